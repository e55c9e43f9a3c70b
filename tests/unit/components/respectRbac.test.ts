import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FULL_CLUSTER_RULES, FULL_NAMESPACE_RULES } from "../../../argocd/names";
import type { Unlisted } from "../../../components/listedKinds";
import {
    coversEverything,
    narrowedKey,
    type RespectRbacReading,
    respectRbacOf,
    respectRbacProblems,
} from "../../../components/respectRbac";
import type { ClusterSettings } from "../../../stack/settings";
import { clusterSpec, type SpecOptions } from "../../support/fixtures";

/** A validated entry (every default filled), with `more` set over it. */
function entry(more: SpecOptions = {}): ClusterSettings {
    return clusterSpec({ name: "prod", server: "https://api.prod:6443", context: "prod", ...more });
}

const CONFIGMAPS = [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }];

describe("which registrations need Argo CD's resource.respectRBAC", () => {
    it("rules that list and watch every kind cover everything; anything narrower does not", () => {
        assert.ok(coversEverything(FULL_CLUSTER_RULES));
        assert.ok(coversEverything(FULL_NAMESPACE_RULES));
        assert.ok(coversEverything([{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] }]));
        assert.ok(!coversEverything([{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "list"] }]));
        assert.ok(!coversEverything([{ apiGroups: ["*"], resources: ["*"], resourceNames: ["x"], verbs: ["*"] }]));
        assert.ok(!coversEverything(CONFIGMAPS));
    });

    it("names the key that narrows: rules, or clusterRules with clusterResources", () => {
        assert.equal(narrowedKey(entry()), undefined, "the CLI's rights");
        assert.equal(narrowedKey(entry({ namespaces: ["shop"] })), undefined, "full rights in the namespaces");
        assert.equal(narrowedKey(entry({ rules: CONFIGMAPS })), "rules");
        assert.equal(
            narrowedKey(entry({ namespaces: ["shop"], clusterResources: true, clusterRules: CONFIGMAPS })),
            "clusterRules",
        );
        assert.equal(
            narrowedKey(entry({ namespaces: ["shop"], clusterResources: false, clusterRules: CONFIGMAPS })),
            undefined,
        );
    });

    const clusters = [
        entry(),
        entry({ name: "narrow", rules: CONFIGMAPS }),
        entry({ name: "gone", rules: CONFIGMAPS, retire: true }),
    ];
    const setting = (value: "none" | "normal" | "strict"): RespectRbacReading => ({ kind: "setting", setting: value });

    it("refuses under none and passes under normal and strict, in a preview as in an up", () => {
        for (const preview of [true, false]) {
            const none = respectRbacProblems(clusters, setting("none"), "openshift-gitops", preview);
            assert.deepEqual(
                none.problems.map((p) => p.path),
                ["argocd-clusters:clusters[1].rules"],
            );
            assert.match(
                none.problems[0].message,
                /Argo CD \(openshift-gitops\/argocd-cm\) leaves resource\.respectRBAC unset: .* could not sync "narrow"/,
            );
            assert.match(none.problems[0].fix, /spec\.extraConfig of the ArgoCD resource/);
            for (const value of ["normal", "strict"] as const)
                assert.deepEqual(respectRbacProblems(clusters, setting(value), "argocd", preview), {
                    problems: [],
                    unchecked: [],
                });
        }
    });

    it("under none, passes an entry whose rules cover all Argo CD lists there; names what they do not", () => {
        for (const preview of [true, false]) {
            const covered = new Map<string, Unlisted>([["narrow", { kind: "known", missing: [] }]]);
            assert.deepEqual(respectRbacProblems(clusters, setting("none"), "argocd", preview, covered), {
                problems: [],
                unchecked: [],
            });
            const missing = ["Deployment.apps", "Endpoints", "Pod", "Secret", "Service", "StatefulSet.apps"];
            const uncovered = new Map<string, Unlisted>([["narrow", { kind: "known", missing }]]);
            const { problems } = respectRbacProblems(clusters, setting("none"), "argocd", preview, uncovered);
            assert.deepEqual(
                problems.map((p) => p.path),
                ["argocd-clusters:clusters[1].rules"],
            );
            assert.match(
                problems[0].message,
                /lists every kind in scope that resource\.exclusions and resource\.inclusions do not exclude, .*\(here it may not list and watch Deployment\.apps, Endpoints, Pod, Secret, Service and 1 more\), so it could not sync "narrow"/,
            );
            const unknown = new Map<string, Unlisted>([
                ["narrow", { kind: "unknown", reason: "its API discovery failed: the API answered 403" }],
            ]);
            assert.match(
                respectRbacProblems(clusters, setting("none"), "argocd", preview, unknown).problems[0].message,
                /which kinds it lists there is not known: its API discovery failed: the API answered 403/,
            );
        }
    });

    it("under none, an argocd-cm whose resource.exclusions Argo CD cannot read refuses, naming it", () => {
        const broken: RespectRbacReading = {
            kind: "setting",
            setting: "none",
            filter: { error: "resource.exclusions is not a list" },
        };
        const { problems } = respectRbacProblems(clusters, broken, "argocd", false);
        assert.match(
            problems[0].message,
            /and resource\.exclusions is not a list: Argo CD then loads no cluster cache/,
        );
    });

    it("an argocd-cm that cannot be read from here: a preview warns, a real up refuses", () => {
        const unreadable: RespectRbacReading = { kind: "unreadable", reason: "the API answered 403" };
        assert.deepEqual(respectRbacProblems(clusters, unreadable, "argocd", true), {
            problems: [],
            unchecked: ["narrow"],
        });
        const up = respectRbacProblems(clusters, unreadable, "argocd", false);
        assert.deepEqual(up.unchecked, []);
        assert.deepEqual(
            up.problems.map((p) => p.path),
            ["argocd-clusters:clusters[1].rules"],
        );
        assert.match(
            up.problems[0].message,
            /argocd\/argocd-cm cannot be read here \(the API answered 403\), so it is not known that Argo CD could sync "narrow"/,
        );
        assert.match(
            up.problems[0].fix,
            /get on the ConfigMap argocd-cm in argocd \(rbac\/previewer\.yaml has the rule\)/,
        );
    });

    it("an argocd-cm Argo CD cannot use refuses in a preview as in an up, naming why and the fix", () => {
        const unusable = respectRbacOf({ data: { "resource.respectRBAC": "normal" } }, "argocd");
        for (const preview of [true, false]) {
            const { problems, unchecked } = respectRbacProblems(clusters, unusable, "argocd", preview);
            assert.deepEqual(unchecked, []);
            assert.deepEqual(
                problems.map((p) => p.path),
                ["argocd-clusters:clusters[1].rules"],
            );
            assert.match(
                problems[0].message,
                /argocd\/argocd-cm has no label app\.kubernetes\.io\/part-of: argocd, so Argo CD does not read it: .* could not sync "narrow"/,
            );
            assert.match(
                problems[0].fix,
                /kubectl -n argocd label configmap argocd-cm app\.kubernetes\.io\/part-of=argocd/,
            );
        }
    });
});

describe("argocd-cm's resource.respectRBAC, read as Argo CD v3.6 reads it (util/settings/settings.go)", () => {
    const labelled = (data?: Record<string, string>) => ({
        metadata: { labels: { "app.kubernetes.io/part-of": "argocd" } },
        data,
    });

    it("takes normal and strict exactly; unset or empty is Argo CD's default, none", () => {
        assert.deepEqual(respectRbacOf(labelled({ "resource.respectRBAC": "normal" }), "argocd"), {
            kind: "setting",
            setting: "normal",
        });
        assert.deepEqual(respectRbacOf(labelled({ "resource.respectRBAC": "strict" }), "argocd"), {
            kind: "setting",
            setting: "strict",
        });
        for (const data of [undefined, {}, { "resource.respectRBAC": "" }] as (Record<string, string> | undefined)[])
            assert.deepEqual(respectRbacOf(labelled(data), "argocd"), { kind: "setting", setting: "none" });
    });

    it("any other value, even one with a space around it, is one Argo CD refuses", () => {
        for (const value of [" normal", "normal\n", "Normal", "true", "none"]) {
            const reading = respectRbacOf(labelled({ "resource.respectRBAC": value }), "argocd");
            assert.equal(reading.kind, "unusable", `${JSON.stringify(value)}: ${JSON.stringify(reading)}`);
            assert.match(
                reading.kind === "unusable" ? reading.reason : "",
                /resource\.respectRBAC in argocd\/argocd-cm is ".*", which Argo CD does not accept/,
            );
            assert.match(reading.kind === "unusable" ? reading.fix : "", /exactly normal or strict/);
        }
    });

    it("an argocd-cm without the label app.kubernetes.io/part-of: argocd is, for Argo CD, no argocd-cm", () => {
        const labelSets: (Record<string, string> | undefined)[] = [
            undefined,
            {},
            { "app.kubernetes.io/part-of": "openshift-gitops" },
        ];
        for (const labels of labelSets) {
            const reading = respectRbacOf(
                { metadata: { labels }, data: { "resource.respectRBAC": "normal" } },
                "gitops",
            );
            assert.equal(reading.kind, "unusable", JSON.stringify(reading));
            assert.match(
                reading.kind === "unusable" ? reading.reason : "",
                /^gitops\/argocd-cm has no label app\.kubernetes\.io\/part-of: argocd, so Argo CD does not read it/,
            );
        }
        const missing = respectRbacOf(undefined, "gitops");
        assert.equal(missing.kind, "unusable");
        assert.match(missing.kind === "unusable" ? missing.reason : "", /^gitops\/argocd-cm does not exist/);
    });
});
