/**
 * Validation refuses what could hide rights from a reviewer (issue 11): verbs Kubernetes does not know, unless
 * the entry lists them in customVerbs, and control or invisible characters in names and rules.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../stack/validate";
import { SEPARATE_CLUSTERS } from "../../support/fixtures";

const cluster = (extra: Record<string, unknown> = {}) => ({
    name: "prod",
    server: "https://api.prod:6443",
    context: "prod",
    ...extra,
});

function problemsOf(entry: Record<string, unknown>) {
    return validateStack(
        { argocd: { context: "hub" }, clusters: [entry], projectKeys: [], secretKeys: [] },
        SEPARATE_CLUSTERS,
    ).problems;
}

describe("validateStack refuses verbs Kubernetes does not know", () => {
    it("accepts the built-in verbs, on resources and on non-resource URLs", () => {
        const rules = [
            {
                apiGroups: ["", "apps"],
                resources: ["pods", "deployments"],
                verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
            },
            { apiGroups: ["certificates.k8s.io"], resources: ["signers"], verbs: ["approve", "sign", "attest"] },
            { apiGroups: ["policy"], resources: ["podsecuritypolicies"], verbs: ["use"] },
            { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
        ];
        assert.deepEqual(problemsOf(cluster({ rules })), []);
        assert.deepEqual(
            problemsOf(
                cluster({ rules: [{ nonResourceURLs: ["/healthz"], verbs: ["get", "head", "post", "options"] }] }),
            ),
            [],
        );
    });

    it("refuses a verb with an HTML comment, a misspelt verb, and a verb in capitals", () => {
        for (const verb of ["get<!-- x -->list", "gte", "GET", "list "]) {
            const problems = problemsOf(
                cluster({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", verb] }] }),
            );
            assert.equal(problems.length, 1, `${JSON.stringify(verb)}: ${JSON.stringify(problems)}`);
            assert.equal(problems[0].path, "argocd-clusters:clusters[0].rules[0].verbs[1]");
            assert.match(problems[0].message, /is not a verb Kubernetes knows/);
            assert.match(problems[0].fix, /customVerbs/);
        }
    });

    it("accepts a custom verb the entry lists in customVerbs, in rules and clusterRules", () => {
        const rule = { apiGroups: ["example.com"], resources: ["widgets"], verbs: ["frobnicate"] };
        assert.deepEqual(problemsOf(cluster({ customVerbs: ["frobnicate"], rules: [rule] })), []);
        const namespaced = cluster({
            namespaces: ["shop"],
            clusterResources: true,
            clusterRules: [rule],
            customVerbs: ["frobnicate"],
        });
        assert.deepEqual(problemsOf(namespaced), []);
        const bad = problemsOf(cluster({ customVerbs: ["Frob nicate"], rules: [rule] }));
        assert.ok(
            bad.some((p) => p.path === "argocd-clusters:clusters[0].customVerbs[0]"),
            JSON.stringify(bad),
        );
    });
});

describe("validateStack refuses control and invisible characters in names and rules", () => {
    const cases: [string, Record<string, unknown>, string][] = [
        ["a newline in the name", cluster({ name: "prod\n\n## approved" }), "argocd-clusters:clusters[0].name"],
        ["a right-to-left override in the name", cluster({ name: "prod\u202e" }), "argocd-clusters:clusters[0].name"],
        [
            "a newline in a resource",
            cluster({ rules: [{ apiGroups: [""], resources: ["pods\n- x"], verbs: ["get"] }] }),
            "argocd-clusters:clusters[0].rules[0].resources[0]",
        ],
        [
            "a zero-width space in an API group",
            cluster({ rules: [{ apiGroups: ["apps\u200b"], resources: ["pods"], verbs: ["get"] }] }),
            "argocd-clusters:clusters[0].rules[0].apiGroups[0]",
        ],
        [
            "a tab in a resource name",
            cluster({ rules: [{ apiGroups: [""], resources: ["pods"], resourceNames: ["a\tb"], verbs: ["get"] }] }),
            "argocd-clusters:clusters[0].rules[0].resourceNames[0]",
        ],
        [
            "a newline in a URL",
            cluster({ rules: [{ nonResourceURLs: ["/x\n"], verbs: ["get"] }] }),
            "argocd-clusters:clusters[0].rules[0].nonResourceURLs[0]",
        ],
        [
            "a newline in tokenRotation",
            cluster({ tokenRotation: "1\n- x" }),
            "argocd-clusters:clusters[0].tokenRotation",
        ],
    ];
    for (const [what, entry, path] of cases) {
        it(what, () => {
            const problems = problemsOf(entry);
            assert.ok(
                problems.some((p) => p.path === path && /control or invisible character/.test(p.message)),
                JSON.stringify(problems),
            );
            for (const p of problems)
                assert.doesNotMatch(p.message + p.fix, /[\n\u202e\u200b\t]/, "the message shows the character escaped");
        });
    }
});
