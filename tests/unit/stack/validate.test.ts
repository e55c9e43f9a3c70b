import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { FULL_CLUSTER_RULES } from "../../../argocd/names";
import { ConfigurationError, formatProblems } from "../../../stack/settings";
import { suggest, validateStack } from "../../../stack/validate";
import { SEPARATE_CLUSTERS } from "../../support/fixtures";

/** A self-signed test CA certificate (its key was discarded when it was made): public, and X.509 that parses. */
const CA_PEM = [
    "-----BEGIN CERTIFICATE-----",
    "MIIBmzCCAUGgAwIBAgIUW3JhsUBzgXpKwG3MyWDzK/YJA+cwCgYIKoZIzj0EAwIw",
    "IjEgMB4GA1UEAwwXYXJnb2NkLWNsdXN0ZXJzLXRlc3QtY2EwIBcNMjYxMTMwMTQ1",
    "MjQyWhgPMjEyNjExMDYxNDUyNDJaMCIxIDAeBgNVBAMMF2FyZ29jZC1jbHVzdGVy",
    "cy10ZXN0LWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkqDINhHNSrne3bFY",
    "fpkCVoKIY2v81GgXZ1AzMwzK18PN984XI7EwK7gHLSF+rHXYLqewYMJFrl9mYC73",
    "dCuzxqNTMFEwHQYDVR0OBBYEFBdguv6I77JTNamRdDY9X0gPr4SsMB8GA1UdIwQY",
    "MBaAFBdguv6I77JTNamRdDY9X0gPr4SsMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI",
    "zj0EAwIDSAAwRQIhAJXmw8o/TwotM95PdwDTHM06+U6spFoUTAZv+j5TeKGiAiBj",
    "R7qV+6wkWWV0rGxbxNYZEifU9ZJYNxufdtkHMvDPsg==",
    "-----END CERTIFICATE-----",
    "",
].join("\n");
const b64 = (text: string) => Buffer.from(text).toString("base64");
const CA = b64(CA_PEM);
const argocd = { namespace: "argocd", context: "hub" };
const cluster = (extra: Record<string, unknown> = {}) => ({
    name: "prod",
    server: "https://api.prod:6443",
    context: "prod",
    ...extra,
});

function problemsOf(
    clusters: unknown,
    more: { argocd?: unknown; projectKeys?: string[]; stack?: string; secretKeys?: string[] } = {},
) {
    const { problems } = validateStack(
        {
            argocd: "argocd" in more ? more.argocd : argocd,
            clusters,
            projectKeys: more.projectKeys ?? ["argocd-clusters:argocd", "argocd-clusters:clusters"],
            secretKeys: more.secretKeys ?? [],
            stack: more.stack,
        },
        SEPARATE_CLUSTERS,
    );
    return problems;
}

/** Asserts exactly one problem, at `path`, whose message matches. */
function expectOne(clusters: unknown, path: string, message: RegExp, more?: Parameters<typeof problemsOf>[1]) {
    const problems = problemsOf(clusters, more);
    assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems, null, 1)}`);
    assert.equal(problems[0].path, path);
    assert.match(problems[0].message, message);
    assert.ok(problems[0].fix.length > 10, "every problem says how to fix it");
}

describe("validateStack accepts", () => {
    it("a minimal stack and fills the CLI's defaults", () => {
        const { settings, problems } = validateStack(
            { argocd: { context: "hub" }, clusters: [cluster()], projectKeys: [], secretKeys: [] },
            SEPARATE_CLUSTERS,
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(settings, {
            argocd: {
                name: "argocd",
                namespace: "argocd",
                context: "hub",
                kubeconfig: undefined,
                access: {
                    context: "hub (argocd-clusters:argocd)",
                    kubeconfig: "",
                    server: "https://argocd-clusters:argocd",
                },
            },
            clusters: [
                {
                    name: "prod",
                    server: "https://api.prod:6443",
                    context: "prod",
                    kubeconfig: undefined,
                    systemNamespace: "kube-system",
                    serviceAccount: "argocd-manager",
                    namespaces: undefined,
                    clusterResources: undefined,
                    rules: FULL_CLUSTER_RULES,
                    clusterRules: undefined,
                    customVerbs: [],
                    allowWildcardRbac: false,
                    project: undefined,
                    shard: undefined,
                    labels: {},
                    annotations: {},
                    tls: { insecure: false },
                    proxyUrl: undefined,
                    disableCompression: undefined,
                    token: { kind: "secret" },
                    tokenRotation: "",
                    adopt: false,
                    revokeCliToken: undefined,
                    retire: false,
                    nameMovedFrom: undefined,
                    verify: "auto",
                    access: {
                        context: "prod (argocd-clusters:clusters[0])",
                        kubeconfig: "",
                        server: "https://argocd-clusters:clusters[0]",
                    },
                },
            ],
        });
    });

    it("an empty cluster list: the way to deregister every cluster", () => {
        assert.deepEqual(
            validateStack({ argocd, clusters: [], projectKeys: [], secretKeys: [] }, SEPARATE_CLUSTERS).settings
                ?.clusters,
            [],
        );
    });

    it("every key at once", () => {
        const { problems, settings } = validateStack(
            {
                argocd: {
                    name: "hub-eu.1",
                    namespace: "openshift-gitops",
                    context: "hub",
                    kubeconfig: "/etc/kube/hub",
                },
                clusters: [
                    cluster({
                        kubeconfig: "/etc/kube/prod",
                        systemNamespace: "argocd-system",
                        serviceAccount: "argocd-hub",
                        namespaces: ["shop", "payments"],
                        clusterResources: true,
                        rules: [{ apiGroups: ["", "apps"], resources: ["*"], verbs: ["*"] }],
                        clusterRules: [
                            { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
                            { nonResourceURLs: ["/version"], verbs: ["get"] },
                        ],
                        allowWildcardRbac: true,
                        project: "platform",
                        shard: "3",
                        labels: { environment: "production", "example.com/team": "" },
                        annotations: { "example.com/owner": "Platform Team <platform@example.com>" },
                        tls: { caData: CA, serverName: "api.internal" },
                        proxyUrl: "socks5://proxy:1080",
                        disableCompression: true,
                        tokenRotation: 7,
                    }),
                ],
                projectKeys: [],
                secretKeys: [],
            },
            SEPARATE_CLUSTERS,
        );
        assert.deepEqual(problems, []);
        assert.equal(settings?.argocd.name, "hub-eu.1");
        assert.equal(settings?.clusters[0].shard, 3);
        assert.equal(settings?.clusters[0].tokenRotation, "7");
        assert.equal(settings?.clusters[0].allowWildcardRbac, true);
    });

    it("a rule that lists without watching: Argo CD's cache would never see a change", () => {
        expectOne(
            [cluster({ rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }] })],
            "argocd-clusters:clusters[0].rules[0].verbs",
            /grants list without watch/,
        );
        assert.deepEqual(
            problemsOf([
                cluster({ rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }] }),
            ]),
            [],
        );
    });

    it("verify: auto, required or off", () => {
        for (const mode of ["auto", "required", "off"]) {
            assert.equal(
                validateStack(
                    { argocd, clusters: [cluster({ verify: mode })], projectKeys: [], secretKeys: [] },
                    SEPARATE_CLUSTERS,
                ).settings?.clusters[0].verify,
                mode,
            );
        }
        expectOne(
            [cluster({ verify: "always" })],
            "argocd-clusters:clusters[0].verify",
            /is "always", not one of auto, required, off/,
        );
    });

    it("the adopt and retire opt-ins, one at a time", () => {
        assert.equal(
            validateStack(
                { argocd, clusters: [cluster({ adopt: true })], projectKeys: [], secretKeys: [] },
                SEPARATE_CLUSTERS,
            ).settings?.clusters[0].adopt,
            true,
        );
        assert.equal(
            validateStack(
                { argocd, clusters: [cluster({ retire: true })], projectKeys: [], secretKeys: [] },
                SEPARATE_CLUSTERS,
            ).settings?.clusters[0].retire,
            true,
        );
        expectOne(
            [cluster({ adopt: true, retire: true })],
            "argocd-clusters:clusters[0].adopt",
            /together with retire: true/,
        );
        expectOne([cluster({ retire: "yes" })], "argocd-clusters:clusters[0].retire", /must be true or false/);
    });

    it("revokeCliToken: the CLI's token Secret to delete, only with adopt", () => {
        assert.equal(
            validateStack(
                {
                    argocd,
                    clusters: [cluster({ adopt: true, revokeCliToken: "argocd-manager-long-lived-token" })],
                    projectKeys: [],
                    secretKeys: [],
                },
                SEPARATE_CLUSTERS,
            ).settings?.clusters[0].revokeCliToken,
            "argocd-manager-long-lived-token",
        );
        expectOne(
            [cluster({ revokeCliToken: "argocd-manager-long-lived-token" })],
            "argocd-clusters:clusters[0].revokeCliToken",
            /only applies with adopt: true/,
        );
        expectOne(
            [cluster({ adopt: true, revokeCliToken: "Argocd Manager" })],
            "argocd-clusters:clusters[0].revokeCliToken",
            /is not a valid name/,
        );
        const [empty] = problemsOf([cluster({ adopt: true, revokeCliToken: null })]);
        assert.equal(empty.path, "argocd-clusters:clusters[0].revokeCliToken");
        assert.match(empty.fix, /argocd-manager-long-lived-token, or remove the key to leave it/);
    });

    it("nameMovedFrom: the server the name pointed to before, not the entry's own", () => {
        assert.equal(
            validateStack(
                {
                    argocd,
                    clusters: [cluster({ nameMovedFrom: "https://api.old:6443" })],
                    projectKeys: [],
                    secretKeys: [],
                },
                SEPARATE_CLUSTERS,
            ).settings?.clusters[0].nameMovedFrom,
            "https://api.old:6443",
        );
        expectOne(
            [cluster({ nameMovedFrom: "https://API.prod:6443" })],
            "argocd-clusters:clusters[0].nameMovedFrom",
            /is this entry's own server/,
        );
        expectOne([cluster({ nameMovedFrom: "http://api.old" })], "argocd-clusters:clusters[0].nameMovedFrom", /https/);
    });
});

describe("validateStack rejects, naming the key and the fix", () => {
    const cases: [string, unknown, string, RegExp][] = [
        [
            "a missing name",
            [{ server: "https://a:6443", context: "a" }],
            "argocd-clusters:clusters[0].name",
            /required/,
        ],
        ["a missing server", [{ name: "a", context: "a" }], "argocd-clusters:clusters[0].server", /required/],
        [
            "a missing context",
            [{ name: "a", server: "https://a:6443" }],
            "argocd-clusters:clusters[0].context",
            /required/,
        ],
        [
            "a server that is no URL",
            [cluster({ server: "api.prod:6443" })],
            "argocd-clusters:clusters[0].server",
            /not a URL|must use https/,
        ],
        [
            "a plain-http server",
            [cluster({ server: "http://api.prod:6443" })],
            "argocd-clusters:clusters[0].server",
            /must use https/,
        ],
        [
            "a trailing slash",
            [cluster({ server: "https://api.prod:6443/" })],
            "argocd-clusters:clusters[0].server",
            /ends with a slash/,
        ],
        [
            "credentials in the URL",
            [cluster({ server: "https://u:p@api.prod:6443" })],
            "argocd-clusters:clusters[0].server",
            /credentials/,
        ],
        ["a misspelt key", [cluster({ namspaces: ["a"] })], "argocd-clusters:clusters[0].namspaces", /not a known key/],
        [
            "a bad label key",
            [cluster({ labels: { "bad key": "x" } })],
            "argocd-clusters:clusters[0].labels.bad key",
            /not a valid label key/,
        ],
        [
            "a bad label value",
            [cluster({ labels: { env: "has space" } })],
            "argocd-clusters:clusters[0].labels.env",
            /not a valid label value/,
        ],
        [
            "a non-string label value",
            [cluster({ labels: { replicas: 3 } })],
            "argocd-clusters:clusters[0].labels.replicas",
            /must be a string/,
        ],
        [
            "a bad annotation key",
            [cluster({ annotations: { "-x/y": "v" } })],
            "argocd-clusters:clusters[0].annotations.-x/y",
            /not a valid annotation key/,
        ],
        [
            "our own label",
            [cluster({ labels: { "argocd.argoproj.io/secret-type": "repository" } })],
            "argocd-clusters:clusters[0].labels.argocd.argoproj.io/secret-type",
            /set by this program/,
        ],
        [
            "Argo CD's managed-by annotation",
            [cluster({ annotations: { "managed-by": "argocd.argoproj.io" } })],
            "argocd-clusters:clusters[0].annotations.managed-by",
            /set by this program/,
        ],
        [
            "insecure with caData",
            [cluster({ tls: { insecure: true, caData: CA } })],
            "argocd-clusters:clusters[0].tls.insecure",
            /together with caData/,
        ],
        [
            "caData that is not base64 PEM",
            [cluster({ tls: { caData: "not-a-cert" } })],
            "argocd-clusters:clusters[0].tls.caData",
            /not base64-encoded PEM/,
        ],
        [
            "a misspelt tls key",
            [cluster({ tls: { insecureSkipVerify: true } })],
            "argocd-clusters:clusters[0].tls.insecureSkipVerify",
            /not a known key/,
        ],
        [
            "a non-boolean allowWildcardRbac",
            [cluster({ allowWildcardRbac: "yes" })],
            "argocd-clusters:clusters[0].allowWildcardRbac",
            /true or false/,
        ],
        [
            "our own wildcard opt-in annotation",
            [cluster({ annotations: { "argocd-clusters/allow-wildcard-rbac": "true" } })],
            "argocd-clusters:clusters[0].annotations.argocd-clusters/allow-wildcard-rbac",
            /set by this program/,
        ],
        [
            "a non-boolean insecure",
            [cluster({ tls: { insecure: "yes" } })],
            "argocd-clusters:clusters[0].tls.insecure",
            /true or false/,
        ],
        [
            "an empty namespace list",
            [cluster({ namespaces: [] })],
            "argocd-clusters:clusters[0].namespaces",
            /empty list/,
        ],
        [
            "a bad namespace name",
            [cluster({ namespaces: ["Shop"] })],
            "argocd-clusters:clusters[0].namespaces[0]",
            /not a valid namespace/,
        ],
        [
            "a namespace listed twice",
            [cluster({ namespaces: ["shop", "shop"] })],
            "argocd-clusters:clusters[0].namespaces[1]",
            /listed twice/,
        ],
        [
            "clusterResources without namespaces",
            [
                cluster({
                    clusterResources: true,
                    clusterRules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
                }),
            ],
            "argocd-clusters:clusters[0].clusterResources",
            /namespaced mode/,
        ],
        [
            "clusterResources without clusterRules",
            [cluster({ namespaces: ["a"], clusterResources: true })],
            "argocd-clusters:clusters[0].clusterRules",
            /required with clusterResources/,
        ],
        [
            "clusterRules without clusterResources",
            [cluster({ namespaces: ["a"], clusterRules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].clusterRules",
            /only applies/,
        ],
        [
            "non-resource URLs in a namespaced Role",
            [cluster({ namespaces: ["a"], rules: [{ nonResourceURLs: ["/healthz"], verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].rules[0].nonResourceURLs",
            /namespaced mode/,
        ],
        [
            "a rule without verbs",
            [cluster({ rules: [{ apiGroups: [""], resources: ["pods"] }] })],
            "argocd-clusters:clusters[0].rules[0].verbs",
            /required/,
        ],
        [
            "a rule that grants nothing",
            [cluster({ rules: [{ verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].rules[0]",
            /grants nothing/,
        ],
        [
            "a rule mixing resources and URLs",
            [cluster({ rules: [{ apiGroups: [""], resources: ["pods"], nonResourceURLs: ["/x"], verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].rules[0]",
            /mixes/,
        ],
        [
            "resources without apiGroups",
            [cluster({ rules: [{ resources: ["pods"], verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].rules[0].apiGroups",
            /required with resources/,
        ],
        ["an empty rule list", [cluster({ rules: [] })], "argocd-clusters:clusters[0].rules", /non-empty list/],
        [
            "a misspelt rule key",
            [cluster({ rules: [{ apiGroups: [""], resources: ["pods"], resourceName: ["x"], verbs: ["get"] }] })],
            "argocd-clusters:clusters[0].rules[0].resourceName",
            /not a known key/,
        ],
        ["a negative shard", [cluster({ shard: -1 })], "argocd-clusters:clusters[0].shard", /non-negative integer/],
        [
            "a bad project name",
            [cluster({ project: "My Project" })],
            "argocd-clusters:clusters[0].project",
            /not a valid name/,
        ],
        [
            "a bad proxy URL",
            [cluster({ proxyUrl: "ftp://proxy" })],
            "argocd-clusters:clusters[0].proxyUrl",
            /not an http/,
        ],
        [
            "a bad system namespace",
            [cluster({ systemNamespace: "kube_system" })],
            "argocd-clusters:clusters[0].systemNamespace",
            /not a valid namespace/,
        ],
        [
            "a bad ServiceAccount name",
            [cluster({ serviceAccount: "Argo" })],
            "argocd-clusters:clusters[0].serviceAccount",
            /not a valid name/,
        ],
        [
            "an empty tokenRotation",
            [cluster({ tokenRotation: "" })],
            "argocd-clusters:clusters[0].tokenRotation",
            /non-empty string/,
        ],
        ["a non-object entry", ["prod"], "argocd-clusters:clusters[0]", /must be an object/],
        ["clusters that is no list", { prod: {} }, "argocd-clusters:clusters", /must be a list/],
        ["a missing clusters key", undefined, "argocd-clusters:clusters", /required/],
    ];
    for (const [what, clusters, path, message] of cases) {
        it(what, () => expectOne(clusters, path, message));
    }

    it("a duplicate name", () => {
        expectOne(
            [cluster(), cluster({ server: "https://other:6443" })],
            "argocd-clusters:clusters[1].name",
            /already used by argocd-clusters:clusters\[0\]/,
        );
    });

    it("a duplicate server, naming both entries", () => {
        assert.deepEqual(problemsOf([cluster(), cluster({ name: "other" })]), [
            {
                path: "argocd-clusters:clusters[1].server",
                message:
                    'cluster "other" and argocd-clusters:clusters[0] (cluster "prod") register the same server "https://api.prod:6443"',
                fix: "register each API server once: remove the duplicate entry (letter case and a :443 port do not make another server)",
            },
        ]);
    });

    it("a server spelt differently only in letter case or the default port", () => {
        assert.deepEqual(
            problemsOf([
                cluster({ server: "https://API.Prod" }),
                cluster({ name: "other", server: "HTTPS://api.prod:443" }),
            ]),
            [
                {
                    path: "argocd-clusters:clusters[1].server",
                    message:
                        'cluster "other" and argocd-clusters:clusters[0] (cluster "prod") register the same server, spelt ' +
                        '"HTTPS://api.prod:443" and "https://API.Prod"',
                    fix: "register each API server once: remove the duplicate entry (letter case and a :443 port do not make another server)",
                },
            ],
        );
        expectOne(
            [
                cluster({ server: "https://[2001:db8::1]:6443" }),
                cluster({ name: "other", server: "https://[2001:DB8:0::1]:6443" }),
            ],
            "argocd-clusters:clusters[1].server",
            /register the same server, spelt/,
        );
        assert.deepEqual(
            problemsOf([
                cluster(),
                cluster({ name: "other", server: "https://api.prod:6444" }),
                cluster({ name: "third", server: "https://api.prod:6443/k8s" }),
            ]),
            [],
            "another port or path is another server",
        );
    });

    it("a tokenRotation YAML read as a fractional number, which would rotate nothing", () => {
        // tokenRotation: 2026.10 reaches the program as 2026.1; a later 2026.10 -> 2026.1 "rotation" is no change.
        assert.deepEqual(problemsOf([cluster({ tokenRotation: 2026.1 })]), [
            {
                path: "argocd-clusters:clusters[0].tokenRotation",
                message:
                    "is the number 2026.1, not text: YAML reads an unquoted value such as 2026.10 as a number and drops digits",
                fix: 'quote the value as you wrote it, e.g. tokenRotation: "2026.10"',
            },
        ]);
        expectOne(
            [cluster({ tokenRotation: 2 ** 60 })],
            "argocd-clusters:clusters[0].tokenRotation",
            /is the number 1152921504606847000, not text/,
        );
        assert.deepEqual(problemsOf([cluster({ tokenRotation: 202611 })]), [], "an integer reads back as written");
    });

    it("a missing or malformed argocd key", () => {
        expectOne([], "argocd-clusters:argocd", /required/, { argocd: undefined });
        expectOne([], "argocd-clusters:argocd.context", /required/, { argocd: { namespace: "argocd" } });
        expectOne([], "argocd-clusters:argocd.namespace", /not a valid namespace/, {
            argocd: { context: "hub", namespace: "Argo CD" },
        });
        expectOne([], "argocd-clusters:argocd.contxt", /not a known key/, { argocd: { context: "hub", contxt: "x" } });
    });

    it("an argocd.name that cannot be the Argo CD cluster's stable identity", () => {
        for (const name of ["Hub", "-hub", "hub.", "hub_eu", "", "x".repeat(64), 7]) {
            const problems = problemsOf([], { argocd: { context: "hub", name } });
            assert.deepEqual(
                problems.map((p) => p.path),
                ["argocd-clusters:argocd.name"],
                `name ${JSON.stringify(name)}`,
            );
        }
        assert.deepEqual(problemsOf([], { argocd: { context: "hub", name: "Hub" } })[0], {
            path: "argocd-clusters:argocd.name",
            message: '"Hub" is not a valid name',
            fix:
                "use at most 63 lowercase letters, digits, '-' and '.', starting and ending alphanumeric, e.g. hub-eu; " +
                "it is the Argo CD cluster's identity in this stack: keep it once set",
        });
        assert.deepEqual(problemsOf([], { argocd: { context: "hub", name: "x".repeat(63) } }), []);
    });

    it("an environment label that is not the stack's name", () => {
        expectOne(
            [cluster({ labels: { environment: "staging" } })],
            "argocd-clusters:clusters[0].labels.environment",
            /"staging" is not this stack's name "production"/,
            { stack: "production" },
        );
        // The same value is merely redundant.
        assert.deepEqual(problemsOf([cluster({ labels: { environment: "production" } })], { stack: "production" }), []);
    });

    it("a stack name that cannot be a label value", () => {
        expectOne([cluster()], `stack "${"x".repeat(64)}"`, /not a valid label value/, { stack: "x".repeat(64) });
    });

    it("a misspelt top-level key, suggesting the right one", () => {
        const problems = problemsOf([], {
            projectKeys: ["argocd-clusters:argocd", "argocd-clusters:clusters", "argocd-clusters:cluster"],
        });
        assert.equal(problems.length, 1);
        assert.equal(problems[0].path, "argocd-clusters:cluster");
        assert.match(problems[0].fix, /did you mean "argocd-clusters:clusters"/);
    });
});

describe("validateStack refuses a key present with no value (null)", () => {
    // YAML reads a key whose every item is commented out as null. Taken as "unset", namespaces, rules or
    // clusterRules would silently grant the CLI's full rights cluster-wide.
    const NULL = "is empty (null): the key is present without a value, e.g. with every item commented out";
    const at = (key: string) => `argocd-clusters:clusters[0].${key}`;

    it("namespaces, rules and clusterRules, with the fix", () => {
        assert.deepEqual(problemsOf([cluster({ namespaces: null })]), [
            {
                path: at("namespaces"),
                message: NULL,
                fix: "list at least one namespace, or remove the key for cluster-wide mode",
            },
        ]);
        assert.deepEqual(problemsOf([cluster({ rules: null })]), [
            {
                path: at("rules"),
                message: NULL,
                fix: "list at least one rule, or remove the key for the default rights (the CLI's full rights)",
            },
        ]);
        assert.deepEqual(problemsOf([cluster({ namespaces: ["shop"], clusterResources: true, clusterRules: null })]), [
            {
                path: at("clusterRules"),
                message: NULL,
                fix: "list at least one cluster-wide rule, or remove clusterRules and clusterResources",
            },
        ]);
    });

    it("every other optional key whose null would read as its default", () => {
        const keys = [
            "kubeconfig",
            "systemNamespace",
            "serviceAccount",
            "clusterResources",
            "allowWildcardRbac",
            "project",
            "shard",
            "labels",
            "annotations",
            "tls",
            "proxyUrl",
            "disableCompression",
            "tokenRotation",
        ];
        for (const key of keys) {
            const problems = problemsOf([cluster({ [key]: null })]);
            assert.deepEqual(
                problems.map((p) => [p.path, p.message]),
                [[at(key), NULL]],
                key,
            );
            assert.match(problems[0].fix, /remove/, key);
        }
        for (const key of ["insecure", "caData", "serverName"]) {
            assert.deepEqual(
                problemsOf([cluster({ tls: { [key]: null } })]).map((p) => [p.path, p.message]),
                [[at(`tls.${key}`), NULL]],
                key,
            );
        }
        for (const key of ["name", "namespace", "kubeconfig"]) {
            assert.deepEqual(
                problemsOf([], { argocd: { context: "hub", [key]: null } }).map((p) => [p.path, p.message]),
                [[`argocd-clusters:argocd.${key}`, NULL]],
                key,
            );
        }
    });

    it("resourceNames null or empty, which RBAC reads as every name", () => {
        const rule = (resourceNames: unknown) => [
            cluster({ rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames, verbs: ["get"] }] }),
        ];
        assert.deepEqual(problemsOf(rule(null)), [
            {
                path: at("rules[0].resourceNames"),
                message: NULL,
                fix: "list at least one name, or remove the key to grant every name",
            },
        ]);
        assert.deepEqual(problemsOf(rule([])), [
            {
                path: at("rules[0].resourceNames"),
                message: "is an empty list, which RBAC reads as every name",
                fix: "list at least one name, or remove the key to grant every name",
            },
        ]);
    });

    it("an explicit empty namespaces list rather than cluster-wide rights", () => {
        assert.deepEqual(problemsOf([cluster({ namespaces: [] })]), [
            {
                path: at("namespaces"),
                message: "is an empty list",
                fix: "list at least one namespace, or remove the key for cluster-wide mode",
            },
        ]);
    });

    it("but still requires the required keys once", () => {
        assert.deepEqual(
            problemsOf([cluster({ name: null })]).map((p) => [p.path, p.message]),
            [[at("name"), "is required"]],
        );
    });
});

describe("validateStack refuses what the API server would refuse once part of a registration exists", () => {
    const at = (key: string) => `argocd-clusters:clusters[0].${key}`;

    it("a serviceAccount too long for its token Secret's name", () => {
        assert.deepEqual(problemsOf([cluster({ serviceAccount: "a".repeat(239) })]), [
            {
                path: at("serviceAccount"),
                message:
                    "is 239 characters long: its token Secret <serviceAccount>-token-<8 hex digits> would have 254, " +
                    "over Kubernetes' 253-character limit for names",
                fix: "use a ServiceAccount name of at most 238 characters",
            },
        ]);
        assert.deepEqual(problemsOf([cluster({ serviceAccount: "a".repeat(238) })]), []);
    });

    it("a resource rule with an empty apiGroups list", () => {
        assert.deepEqual(problemsOf([cluster({ rules: [{ apiGroups: [], resources: ["pods"], verbs: ["get"] }] })]), [
            {
                path: at("rules[0].apiGroups"),
                message: "is an empty list: a rule with resources must name at least one API group",
                fix: 'list API groups, "" for the core group, e.g. ["", apps]',
            },
        ]);
    });

    it("a shard Argo CD cannot use", () => {
        for (const shard of ["+3", " 3", "3.0", 1.5, -1, "-1", "", true]) {
            expectOne([cluster({ shard })], at("shard"), /must be a non-negative integer/);
        }
        assert.deepEqual(problemsOf([cluster({ shard: "2147483648" })]), [
            {
                path: at("shard"),
                message:
                    "is 2147483648, more than any application-controller can have: Argo CD honours a shard below the " +
                    "controller's replica count, at most 2147483647",
                fix: "give a shard number from 0 to the application controller's replicas minus 1",
            },
        ]);
        expectOne([cluster({ shard: 1e21 })], at("shard"), /more than any application-controller can have/);
        assert.deepEqual(problemsOf([cluster({ shard: 2147483647 })]), []);
    });

    it("annotations over Kubernetes' 256 KiB total, counting the most the program adds (every token annotation of either kind)", () => {
        const problems = problemsOf([cluster({ annotations: { "example.com/big": "x".repeat(262144 - 15) } })], {
            stack: "production",
        });
        assert.deepEqual(problems, [
            {
                path: at("annotations"),
                message:
                    "total 262527 bytes of keys and values, with the 383 bytes the program and Argo CD add, over Kubernetes' " +
                    "limit of 262144 (256 KiB)",
                fix: "shorten or remove annotations; bulk data belongs in a ConfigMap or in Git",
            },
        ]);
        assert.deepEqual(
            problemsOf([cluster({ annotations: { "example.com/big": "x".repeat(262144 - 15 - 383) } })], {
                stack: "production",
            }),
            [],
        );
    });
});

describe("validateStack checks tls.caData as client-go will use it", () => {
    const at = "argocd-clusters:clusters[0].tls.caData";
    const caData = (value: string) => [cluster({ tls: { caData: value } })];

    it("accepts a bundle of certificates, base64 on one line or wrapped as base64 wraps it", () => {
        assert.deepEqual(problemsOf(caData(b64(CA_PEM + CA_PEM))), []);
        assert.deepEqual(problemsOf(caData(b64(CA_PEM).replace(/.{76}/g, "$&\n"))), []);
    });

    it("refuses what is not base64 of PEM certificates", () => {
        for (const value of ["not-a-cert", b64("hello"), CA.slice(0, -1), CA_PEM]) {
            expectOne(caData(value), at, /^is not base64-encoded PEM certificates$/);
        }
    });

    it("refuses a block that is not an X.509 certificate", () => {
        assert.deepEqual(
            problemsOf(caData(b64(`${CA_PEM}-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`))).map(
                (p) => p.message,
            ),
            ["PEM block 2 of 2 is not an X.509 certificate"],
        );
        const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
        assert.deepEqual(
            problemsOf(caData(b64(publicKey.export({ type: "spki", format: "pem" }) as string))).map((p) => p.message),
            ['PEM block 1 of 1 is a "PUBLIC KEY", not a "CERTIFICATE"'],
        );
    });

    it("refuses a private key loudly, without echoing it", () => {
        const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
        const key = privateKey.export({ type: "sec1", format: "pem" }) as string;
        for (const value of [b64(CA_PEM + key), CA_PEM + key, b64(key).replace(/.{76}/g, "$&\n")]) {
            const problems = problemsOf(caData(value));
            assert.deepEqual(problems, [
                {
                    path: at,
                    message:
                        'CONTAINS A PRIVATE KEY ("EC PRIVATE KEY" PEM block): a CA bundle holds certificates only, and this ' +
                        "value would be copied into the cluster Secret",
                    fix:
                        "remove the key and treat it as exposed (it is in the stack file and its history): replace it wherever " +
                        "it is used; give only CA certificates, e.g. base64 -w0 ca.crt",
                },
            ]);
            const body = key.split("\n")[1];
            assert.ok(!JSON.stringify(problems).includes(body), "the key must not be echoed");
        }
    });
});

describe("validateStack reads server as Argo CD (Go's net/url) and client-go do", () => {
    const at = "argocd-clusters:clusters[0].server";
    const FIX = "write the API URL Argo CD reaches the cluster at, e.g. https://api.cluster.example:6443";
    const one = (server: string) => {
        const problems = problemsOf([cluster({ server })]);
        assert.equal(problems.length, 1, `${JSON.stringify(server)}: ${JSON.stringify(problems)}`);
        assert.equal(problems[0].path, at);
        return { message: problems[0].message, fix: problems[0].fix };
    };

    it("refuses whitespace and control characters, quoting them visibly", () => {
        assert.deepEqual(one(" https://api.prod:6443"), {
            message: '" https://api.prod:6443" has leading or trailing whitespace',
            fix: 'write "https://api.prod:6443": Argo CD and client-go take the string as written',
        });
        assert.deepEqual(one("https://api.prod:6443\n"), {
            message: '"https://api.prod:6443\\n" has leading or trailing whitespace',
            fix: 'write "https://api.prod:6443": Argo CD and client-go take the string as written',
        });
        for (const server of [
            "https://api .prod:6443",
            "https://api.prod:6443/a\tb",
            "https://api.prod:6443/a\u00a0b",
            "https://api.prod:6443/\u0000",
        ]) {
            assert.deepEqual(one(server), {
                message: `${JSON.stringify(server)} contains whitespace or a control character`,
                fix: "remove it; in a path, write a space as %20",
            });
        }
    });

    it("refuses https:host and https:///host, which Go reads without a host", () => {
        assert.deepEqual(one("https:api.prod:6443"), {
            message: '"https:api.prod:6443" has no "//" after "https:": Go\'s net/url reads it as a URL without a host',
            fix: 'write "https://api.prod:6443"',
        });
        for (const server of ["https:///api.prod:6443", "https://", "https://:6443"]) {
            assert.deepEqual(one(server), { message: `${JSON.stringify(server)} has an empty host`, fix: FIX });
        }
    });

    it("refuses backslashes, which browsers read as slashes and Go does not", () => {
        assert.deepEqual(one("https://api.prod:6443\\k8s"), {
            message: '"https://api.prod:6443\\\\k8s" contains a backslash',
            fix: "use forward slashes: Go's net/url does not read a backslash as a slash, as browsers do",
        });
    });

    it("refuses credentials without showing them", () => {
        const problem = one("https://admin:s3cr3t@api.prod:6443");
        assert.deepEqual(problem, {
            message: '"https://api.prod:6443" carries credentials before "@" (not shown)',
            fix:
                "remove them: Argo CD authenticates with the ServiceAccount token, and the server URL is stored in the clear " +
                "in the cluster Secret and in every Application",
        });
        assert.ok(
            !JSON.stringify(problemsOf([cluster({ server: "https://admin:s3cr3t@api.prod:6443/" })])).includes(
                "s3cr3t",
            ),
        );
    });

    it("refuses a query or a fragment without quoting it", () => {
        assert.deepEqual(one("https://api.prod:6443?token=abc"), {
            message: '"https://api.prod:6443" is followed by a query of 10 characters',
            fix: "remove it: use scheme, host, port and path only",
        });
        assert.deepEqual(one("https://api.prod:6443/k8s#x"), {
            message: '"https://api.prod:6443/k8s" is followed by a fragment of 2 characters',
            fix: "remove it: use scheme, host, port and path only",
        });
    });

    it("refuses hosts and ports Go refuses or Kubernetes cannot name a Secret after", () => {
        assert.deepEqual(one("https://[10.0.0.1]:6443"), {
            message: '"https://[10.0.0.1]:6443" has "[10.0.0.1]" as its host, which is not an IPv6 address',
            fix: "write an IPv6 address in brackets, e.g. https://[2001:db8::1]:6443, an IPv4 address without them",
        });
        assert.deepEqual(one("https://[fe80::1%25eth0]:6443"), {
            message:
                '"https://[fe80::1%25eth0]:6443" has an IPv6 zone ("%25eth0"): the cluster Secret\'s name would ' +
                'contain "%", which Kubernetes refuses',
            fix: "use an address without a zone",
        });
        assert.deepEqual(one("https://api_1.example.com"), {
            message:
                '"https://api_1.example.com" has the host "api_1.example.com", which is not a DNS name or IPv4 address',
            fix: "use a host of letters, digits, '-' and '.' (each label at most 63 characters), an IPv4 address, or an IPv6 address in brackets",
        });
        assert.match(
            one("https://10.0.0.256:6443").message,
            /has the host "10.0.0.256", which is not a DNS name or IPv4 address/,
        );
        for (const [server, port] of [
            ["https://api.prod:65536", "65536"],
            ["https://api.prod:", ""],
            ["https://api.prod:06443", "06443"],
            ["https://api.prod:6443:1", "6443:1"],
            ["https://api.prod:0", "0"],
        ]) {
            assert.deepEqual(one(server), {
                message: `${JSON.stringify(server)} has the port "${port}"; a port is a number from 1 to 65535`,
                fix: "write the port in decimal without leading zeros, or leave it out for 443",
            });
        }
        assert.deepEqual(one("https://api.prod:6443/a|b"), {
            message: '"https://api.prod:6443/a|b" has "|" in its path',
            fix: "percent-encode it: %7C",
        });
    });

    it("quotes a proxy URL without its credentials", () => {
        assert.deepEqual(
            problemsOf([cluster({ proxyUrl: "ftp://user:pr0xy-pw@proxy:21" })]).map((p) => p.message),
            ['"ftp://proxy:21" is not an http, https or socks5 URL'],
        );
    });

    it("accepts what Argo CD and client-go use as written", () => {
        for (const server of [
            "https://API.Example.com:6443",
            "HTTPS://api.example.com",
            "https://10.0.0.1",
            "https://[2001:DB8::1]:6443",
            "https://[::ffff:10.0.0.1]:6443",
            "https://rancher.example/k8s/clusters/c-abc",
            "https://rancher.example/k8s/clusters/c%2Dabc",
        ]) {
            assert.deepEqual(problemsOf([cluster({ server })]), [], server);
        }
    });

    it("refuses every server Go's net/url refuses (the vectors of tests/vectors/secretname)", () => {
        const file = path.resolve(__dirname, "..", "..", "..", "..", "tests", "vectors", "secretname", "vectors.json");
        const vectors = JSON.parse(fs.readFileSync(file, "utf8")) as {
            server: string;
            name?: string;
            error?: string;
        }[];
        for (const { server, error } of vectors.filter((v) => v.error !== undefined)) {
            assert.ok(
                problemsOf([cluster({ server })]).some((p) => p.path === at),
                `${JSON.stringify(server)}: Go says ${error}`,
            );
        }
    });
});

describe("validateStack keeps kubeconfig contents out of plain-text stack files", () => {
    const KUBECONFIG =
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: kubeconfig-token-do-not-show\n";

    it("refuses contents Pulumi does not hold as a secret, without echoing them", () => {
        const problems = problemsOf(
            [cluster(), cluster({ name: "b", server: "https://b:6443", kubeconfig: KUBECONFIG })],
            { argocd: { context: "hub", kubeconfig: `{"apiVersion":"v1"}` } },
        );
        assert.deepEqual(problems, [
            {
                path: "argocd-clusters:argocd.kubeconfig",
                message:
                    "holds a kubeconfig's contents (19 characters) in plain text: Pulumi does not hold argocd-clusters:argocd as a secret",
                fix: "store it encrypted: pulumi config set --secret --path 'argocd-clusters:argocd.kubeconfig' < kubeconfig.yaml",
            },
            {
                path: "argocd-clusters:clusters[1].kubeconfig",
                message:
                    `holds a kubeconfig's contents (${KUBECONFIG.length} characters) in plain text: Pulumi does not hold ` +
                    "argocd-clusters:clusters as a secret",
                fix: "store it encrypted: pulumi config set --secret --path 'argocd-clusters:clusters[1].kubeconfig' < kubeconfig.yaml",
            },
        ]);
        assert.ok(!JSON.stringify(problems).includes("kubeconfig-token-do-not-show"));
    });

    it("accepts contents under a secret key (set --secret --path marks the whole top-level key)", () => {
        assert.deepEqual(
            problemsOf([cluster({ kubeconfig: KUBECONFIG })], {
                argocd: { context: "hub", kubeconfig: KUBECONFIG },
                secretKeys: ["argocd-clusters:argocd", "argocd-clusters:clusters"],
            }),
            [],
        );
        assert.deepEqual(problemsOf([cluster({ kubeconfig: "/etc/kube/prod" })]), [], "a path is no secret");
    });

    it("refuses a base64 kubeconfig or a value that cannot be a path, giving its length only", () => {
        const encoded = Buffer.from(KUBECONFIG).toString("base64");
        assert.deepEqual(problemsOf([cluster({ kubeconfig: encoded })]), [
            {
                path: "argocd-clusters:clusters[0].kubeconfig",
                message: `looks like a base64-encoded kubeconfig (${encoded.length} characters), neither a path nor YAML contents`,
                fix:
                    "decode it (base64 -d) and store the YAML as a secret: " +
                    "pulumi config set --secret --path 'argocd-clusters:clusters[0].kubeconfig' < kubeconfig.yaml",
            },
        ]);
        assert.deepEqual(
            problemsOf([cluster({ kubeconfig: "x".repeat(300) })]).map((p) => p.message),
            ["is neither a kubeconfig path nor its YAML contents (a string of 300 characters)"],
        );
    });
});

describe("validation reports", () => {
    it("every problem of every cluster at once", () => {
        const problems = problemsOf(
            [
                cluster({ server: "http://a/", labels: { "bad key": "x" } }),
                { server: "https://b:6443", context: "b", tls: { insecure: true, caData: CA } },
            ],
            { argocd: { context: "" } },
        );
        assert.deepEqual(
            problems.map((p) => p.path),
            [
                "argocd-clusters:argocd.context",
                "argocd-clusters:clusters[0].server",
                "argocd-clusters:clusters[0].labels.bad key",
                "argocd-clusters:clusters[1].name",
                "argocd-clusters:clusters[1].tls.insecure",
            ],
        );
    });

    it("suggestions for typos, none for unrelated words", () => {
        assert.equal(suggest("namspaces", ["namespaces", "name"]), "namespaces");
        assert.equal(suggest("tokenRotaton", ["tokenRotation"]), "tokenRotation");
        assert.equal(suggest("colour", ["namespaces", "server"]), undefined);
    });

    it("a message naming the stack file, every key path and every fix", () => {
        const problems = problemsOf([
            cluster({ server: "https://api.prod:6443/" }),
            cluster({ name: "b", shard: "x" }),
        ]);
        const error = new ConfigurationError("Pulumi.production.yaml", problems);
        assert.equal(error.message, formatProblems("Pulumi.production.yaml", problems));
        assert.equal(
            error.message,
            [
                "Pulumi.production.yaml has 3 problems; nothing was registered:",
                '  - Pulumi.production.yaml: argocd-clusters:clusters[0].server: "https://api.prod:6443/" ends with a slash',
                '    fix: write "https://api.prod:6443": Argo CD matches clusters by the exact string and strips the slash',
                '  - Pulumi.production.yaml: argocd-clusters:clusters[1].shard: must be a non-negative integer, got string "x"',
                "    fix: give the application-controller shard number, e.g. 0",
                // The slash makes no other cluster to Argo CD (argocd/serverKey.ts): b registers the same one.
                '  - Pulumi.production.yaml: argocd-clusters:clusters[1].server: cluster "b" and argocd-clusters:clusters[0] (cluster "prod") register the same server, spelt "https://api.prod:6443" and "https://api.prod:6443/"',
                "    fix: register each API server once: remove the duplicate entry (letter case and a :443 port do not make another server)",
            ].join("\n"),
        );
    });
});

describe("the name Argo CD gives its own cluster", () => {
    it("refuses in-cluster for another server: Applications addressing it by name would be ambiguous", () => {
        expectOne(
            [cluster({ name: "in-cluster" })],
            "argocd-clusters:clusters[0].name",
            /"in-cluster" is the name Argo CD gives its own cluster/,
        );
    });
    it("accepts in-cluster for Argo CD's own address, with or without a trailing slash", () => {
        for (const server of ["https://kubernetes.default.svc", "https://kubernetes.default.svc/"]) {
            assert.deepEqual(
                problemsOf([cluster({ name: "in-cluster", server })]).filter((p) => p.path.endsWith(".name")),
                [],
            );
        }
    });
});
