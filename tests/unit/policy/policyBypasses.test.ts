/**
 * The policy pack against a determined author (issue 11): rights spelt out instead of "*", full rights in
 * system namespaces, stacks not literally named production, and Argo CD configs that Go's encoding/json reads
 * differently from JSON.parse. Each case goes through the pack's own policies, as the analyzer runs them.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type * as policy from "@pulumi/policy";
import { CLUSTER_REGISTRATION_TYPE, FULL_CLUSTER_RULES, type PolicyRule } from "../../../argocd/names";
import { childName } from "../../../components/childNames";
import { dependsOnStackKind, enforcementLevelOf, POLICIES, type PolicyEntry } from "../../../policy/policies";
import { toPulumiPolicy } from "../../../policy/pulumiPolicies";
import type { StackKind } from "../../../policy/stacks";

/** The pack as policy/index.ts builds it from the table. */
const policies = POLICIES.map(toPulumiPolicy);
const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const POLICY_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config.json"), "utf8")) as Record<
    string,
    object
>;

function urns(stack: string, type: string, name: string) {
    const prefix = `urn:pulumi:${stack}::argocd-clusters::`;
    return {
        urn: `${prefix}${CLUSTER_REGISTRATION_TYPE}$${type}::${name}`,
        parent: `${prefix}${CLUSTER_REGISTRATION_TYPE}::cw`,
    };
}

/** Runs one resource policy as the pack's server would, on plain props; returns its messages. */
function analyze(
    name: string,
    type: string,
    props: Record<string, unknown>,
    stack = "production",
    config?: object,
): string[] {
    const found = policies.find((p) => p.name === name) as policy.ResourceValidationPolicy;
    assert.ok(found, name);
    // Named as the component names its children: the pack tells a registration's Secrets apart by that name.
    const child = type === SECRET ? childName("cw", "clusterSecret") : "cw-x";
    const { urn, parent } = urns(stack, type, child);
    const messages: string[] = [];
    const args = {
        type,
        urn,
        name: child,
        props,
        opts: { parent, protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
        stackTags: new Map(),
        getConfig: () => config ?? POLICY_CONFIG[name] ?? {},
    } as unknown as policy.ResourceValidationArgs;
    (found.validateResource as policy.ResourceValidation)(args, (message) => messages.push(message));
    return messages;
}

const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const SECRET = "kubernetes:core/v1:Secret";

const clusterRole = (rules: PolicyRule[]) => ({ metadata: { name: "argocd-manager-role" }, rules });
const wildcard = (rules: PolicyRule[], stack?: string) =>
    analyze("no-wildcard-rbac-in-production", CLUSTER_ROLE, clusterRole(rules), stack);

const EVERY_VERB = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

describe("no-wildcard-rbac-in-production judges rules by what they grant", () => {
    it("still refuses the literal wildcard, and passes narrow rules", () => {
        assert.equal(wildcard(FULL_CLUSTER_RULES).length, 1);
        assert.deepEqual(wildcard([{ apiGroups: ["apps"], resources: ["deployments"], verbs: EVERY_VERB }]), []);
        assert.deepEqual(wildcard([{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }]), []);
    });

    it("refuses every verb spelt out on every resource, in one rule or spread over several", () => {
        assert.match(
            wildcard([{ apiGroups: ["*"], resources: ["*"], verbs: EVERY_VERB }])[0],
            /every verb .* on resources "\*"/,
        );
        const spread = wildcard([
            { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["*"], resources: ["*"], verbs: ["create", "update", "patch", "delete", "deletecollection"] },
        ]);
        assert.match(spread[0], /rules\[0\], rules\[1\] together grant every verb/);
    });

    it("refuses escalate and bind on roles, impersonate, and minting ServiceAccount tokens", () => {
        const cases: [PolicyRule, RegExp][] = [
            [
                { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] },
                /escalate on roles or clusterroles/,
            ],
            [
                {
                    apiGroups: ["rbac.authorization.k8s.io"],
                    resources: ["clusterroles"],
                    verbs: ["bind"],
                    resourceNames: ["cluster-admin"],
                },
                /bind on roles/,
            ],
            [{ apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"] }, /impersonate/],
            [{ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] }, /impersonate/],
            [{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }, /serviceaccounts\/token/],
            [{ apiGroups: ["*"], resources: ["*/token"], verbs: ["create"] }, /serviceaccounts\/token/],
            [{ apiGroups: ["*"], resources: ["*/*"], verbs: ["*"] }, /serviceaccounts\/token/],
            [{ apiGroups: ["*"], resources: ["roles", "clusterroles"], verbs: ["*"] }, /escalate/],
        ];
        for (const [rule, expected] of cases) {
            const [message, ...rest] = wildcard([rule]);
            assert.equal(rest.length, 0, JSON.stringify(rule));
            assert.match(message ?? "", expected, JSON.stringify(rule));
            assert.match(message, /allowWildcardRbac: true/);
        }
    });

    it("accepts them with the opt-in", () => {
        const role = clusterRole([{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }]);
        const optedIn = {
            ...role,
            metadata: { ...role.metadata, annotations: { "argocd-clusters/allow-wildcard-rbac": "true" } },
        };
        assert.deepEqual(analyze("no-wildcard-rbac-in-production", CLUSTER_ROLE, optedIn), []);
    });

    it("treats a Role in kube-system or openshift-* as cluster-wide, and leaves other namespaces to namespaced mode", () => {
        const role = (namespace: string) => ({
            metadata: { name: "argocd-manager-role", namespace },
            rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
        });
        for (const namespace of ["kube-system", "kube-public", "openshift-config", "openshift"]) {
            const [message] = analyze("no-wildcard-rbac-in-production", ROLE, role(namespace));
            assert.match(message ?? "", new RegExp(`system namespace "${namespace}"`), namespace);
        }
        assert.deepEqual(analyze("no-wildcard-rbac-in-production", ROLE, role("shop")), []);
    });
});

describe("production is every stack unless policy/config.json says otherwise", () => {
    const insecureSecret = {
        type: "Opaque",
        metadata: {
            name: "cluster-x",
            namespace: "argocd",
            labels: { "argocd.argoproj.io/secret-type": "cluster", environment: "prod" },
        },
        stringData: {
            name: "x",
            server: "https://x.example",
            config: JSON.stringify({ bearerToken: "t", tlsClientConfig: { insecure: true } }),
        },
    };

    it("gives a new stack, whatever its name, the mandatory checks", () => {
        for (const stack of ["prod", "production-eu", "prd", "newstack"]) {
            assert.equal(wildcard(FULL_CLUSTER_RULES, stack).length, 1, stack);
            assert.equal(analyze("tls-verified-in-production", SECRET, insecureSecret, stack).length, 1, stack);
            assert.equal(analyze("tls-verified", SECRET, insecureSecret, stack).length, 0, stack);
        }
    });

    it("relaxes only the stacks the policy config lists, and every stack file of the repository is accounted for", () => {
        assert.deepEqual(wildcard(FULL_CLUSTER_RULES, "staging"), []);
        assert.equal(analyze("tls-verified", SECRET, insecureSecret, "staging").length, 1);
        assert.equal(analyze("tls-verified-in-production", SECRET, insecureSecret, "staging").length, 0);
        // Without the config (a pipeline that forgets it), staging is production too.
        assert.equal(wildcard(FULL_CLUSTER_RULES.slice(0, 1), undefined).length, 1);
        assert.equal(
            analyze("no-wildcard-rbac-in-production", CLUSTER_ROLE, clusterRole(FULL_CLUSTER_RULES), "staging", {})
                .length,
            1,
        );
        const lists = Object.values(POLICY_CONFIG).map((c) =>
            JSON.stringify((c as { nonProductionStacks?: string[] }).nonProductionStacks),
        );
        assert.equal(new Set(lists).size, 1, "every production-dependent policy relaxes the same stacks");
        const stackFiles = fs
            .readdirSync(ROOT)
            .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
            .filter((s) => s !== undefined);
        assert.ok(stackFiles.includes("production"));
        assert.ok(!JSON.parse(lists[0]).includes("production"), "production is never relaxed");
    });
});

describe("policies.ts: every policy runs in the kinds of stack its row enables, at its row's level", () => {
    const secret = (environment: string, config: object) => ({
        type: "Opaque",
        metadata: {
            name: "cluster-x",
            namespace: "argocd",
            labels: { "argocd.argoproj.io/secret-type": "cluster", environment },
        },
        stringData: { name: "x", server: "https://x.example", config: JSON.stringify({ bearerToken: "t", ...config }) },
    });
    /** A resource each resource policy refuses, in whatever stack. */
    const violating: Record<string, [string, Record<string, unknown>]> = {
        "tls-verified-in-production": [SECRET, secret("elsewhere", { tlsClientConfig: { insecure: true } })],
        "tls-verified": [SECRET, secret("elsewhere", { tlsClientConfig: { insecure: true } })],
        "no-wildcard-rbac-in-production": [CLUSTER_ROLE, clusterRole(FULL_CLUSTER_RULES)],
        "environment-label-is-stack": [SECRET, secret("elsewhere", { tlsClientConfig: {} })],
    };
    const stacks: [string, StackKind][] = [
        ["production", "production"],
        ["prod-eu", "production"],
        ["staging", "nonProduction"],
    ];

    it("reports a violating resource exactly in the stacks whose kind is not disabled", () => {
        for (const entry of POLICIES.filter((p) => "resource" in p)) {
            assert.ok(violating[entry.name], `no violating resource for ${entry.name}`);
            const [type, props] = violating[entry.name];
            for (const [stack, kind] of stacks) {
                const expected = entry.levels[kind] === "disabled" ? 0 : 1;
                assert.equal(analyze(entry.name, type, props, stack).length, expected, `${entry.name} in ${stack}`);
            }
        }
    });

    it("filters a stack policy's findings by the kind of their stack", () => {
        const urn = (stack: string) => urns(stack, SECRET, "cw-x").urn;
        const entry: PolicyEntry = {
            name: "production-only",
            description: "",
            levels: { production: "mandatory", nonProduction: "disabled" },
            stack: () => [
                { urn: urn("production"), message: "a" },
                { urn: urn("staging"), message: "b" },
            ],
        };
        const found: string[] = [];
        const validate = (toPulumiPolicy(entry) as policy.StackValidationPolicy).validateStack;
        validate(
            {
                resources: [],
                stackTags: new Map(),
                getConfig: () => ({ nonProductionStacks: ["staging"] }),
            } as unknown as policy.StackValidationArgs,
            (message) => found.push(message),
        );
        assert.deepEqual(found, ["a"]);
    });

    it("gives each policy its one level, and config.json configures exactly the policies that depend on the stack kind", () => {
        for (const entry of POLICIES) {
            const built = policies.find((p) => p.name === entry.name)!;
            assert.equal(built.enforcementLevel, enforcementLevelOf(entry), entry.name);
            assert.equal(built.configSchema !== undefined, dependsOnStackKind(entry), entry.name);
        }
        assert.deepEqual(
            Object.keys(POLICY_CONFIG).sort(),
            POLICIES.filter(dependsOnStackKind)
                .map((p) => p.name)
                .sort(),
        );
        assert.throws(
            () =>
                enforcementLevelOf({ ...POLICIES[0], levels: { production: "mandatory", nonProduction: "advisory" } }),
            /one policy per level/,
        );
    });
});

describe("the TLS policies read config as Argo CD does (Go's encoding/json)", () => {
    const secret = (config: string) => ({
        type: "Opaque",
        metadata: {
            name: "cluster-x",
            namespace: "argocd",
            labels: { "argocd.argoproj.io/secret-type": "cluster", environment: "production" },
        },
        stringData: { name: "x", server: "https://x.example", config },
    });
    const tls = (config: string) => analyze("tls-verified-in-production", SECRET, secret(config));

    it("finds insecure TLS under any letter case, in duplicates, and through Unicode folding", () => {
        for (const config of [
            '{"bearerToken":"t","tlsClientConfig":{"Insecure":true}}',
            '{"bearerToken":"t","TLSClientConfig":{"INSECURE":true}}',
            '{"bearerToken":"t","tlsClientConfig":{"insecure":false,"Insecure":true}}',
            '{"bearerToken":"t","tlsClientConfig":{"Insecure":true,"insecure":false,"Insecure":true}}',
            '{"bearerToken":"t","tlsClientConfig":{"insecure":true},"tlsclientconfig":{"serverName":"x"}}',
            '{"bearerToken":"t","tlsClientConfig":{"in\u017fecure":true}}',
            '{"bearerToken":"t","tlsClientConfig":{"insecure":true,"insecure":null}}',
        ]) {
            assert.equal(tls(config).length, 1, config);
        }
    });

    it("passes what Go reads as secure", () => {
        for (const config of [
            '{"bearerToken":"t","tlsClientConfig":{"insecure":false}}',
            '{"bearerToken":"t","tlsClientConfig":{"Insecure":true,"insecure":false}}',
            '{"bearerToken":"t","tlsClientConfig":{"insecure":true},"tlsClientConfig":{"insecure":false}}',
            '{"bearerToken":"t","tlsClientConfig":{"insecure ":true}}',
        ]) {
            assert.deepEqual(tls(config), [], config);
        }
    });
});
