import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    main,
    NotAPreviewError,
    type PreviewDigest,
    parsePreview,
    sensitiveValues,
    summarizePreview,
} from "../../../summary/summary";

// Compiled to dist/tests/unit/summary; the fixtures stay in the source tree.
const FIXTURES = path.resolve(__dirname, "..", "..", "..", "..", "tests", "fixtures");
const SUMMARY = path.join(FIXTURES, "summary");
/** Real `pulumi preview --json` outputs, captured from the engine (tests/fixtures/previews/README.md). */
const CAPTURED = path.join(FIXTURES, "previews");
/** The captures that README lists; the secret scan below runs on these and on any capture added since. */
const EXPECTED_CAPTURES = ["create.json", "no-changes.json", "remove-gamma.json", "rotate-rights-tls-labels.json"];

function text(name: string): string {
    return fs.readFileSync(path.join(SUMMARY, name), "utf8");
}

function summary(name: string, stack?: string): string {
    return summarizePreview(parsePreview(text(name)), { stack });
}

function digest(name: string): PreviewDigest {
    return JSON.parse(text(name)) as PreviewDigest;
}

describe("registration summary of hand-built previews (the CLI's PreviewDigest)", () => {
    it("says in one line that nothing changes", () => {
        assert.equal(summary("no-change.json"), "**staging**: no changes.\n");
    });

    it("lists an added cluster with its rights, TLS and labels, and warns about wildcards and insecure TLS", () => {
        assert.equal(
            summary("add-cluster.json"),
            [
                "**staging**: 1 cluster added",
                "",
                "Warnings:",
                "- ⚠️ `dev` gets wildcard RBAC: `*` verbs on `*` resources cluster-wide, `*` non-resource URLs",
                "- ⚠️ `dev` has TLS verification disabled (insecure)",
                "",
                "Added:",
                "- `dev` (`https://api.cluster.dev:6443`): rights: cluster-wide full; TLS: insecure (not verified); labels: `environment=staging`, `tier=dev`",
                "",
            ].join("\n"),
        );
    });

    it("names a removed cluster from the last up's stack outputs and warns that Argo CD loses it", () => {
        assert.equal(
            summary("remove-cluster.json"),
            [
                "**production**: 1 cluster removed",
                "",
                "🛑 **1 cluster Secret deleted or replaced: Argo CD loses this cluster unless this is intended.** " +
                    "`production` (`https://api.cluster.production:6443`) deleted.",
                "",
                "Warnings:",
                "- ⚠️ `production` loses its last registration: Argo CD forgets the cluster, and Applications deploying to it fail",
                "",
                "Removed:",
                "- `production` (`https://api.cluster.production:6443`): rights removed: namespaced [`payments`, `shop`] full; " +
                    "cluster-wide custom: `get,list,watch,create,update,patch on namespaces`",
                "",
            ].join("\n"),
        );
    });

    it("reports a token rotation and new kubeconfigs, without anything about their contents", () => {
        assert.equal(
            summary("rotate-token.json"),
            [
                "**staging**: 1 cluster changed",
                "",
                "Changed:",
                "- `staging` (`https://api.cluster.staging:6443`)",
                "  - token rotated (tokenRotation `2026-11` → `2026-12`)",
                "  - Pulumi's provider for the target: update (kubeconfig)",
                "",
                "Other:",
                "- Pulumi's provider for the Argo CD cluster: update (kubeconfig)",
                "",
            ].join("\n"),
        );
    });

    it("reports namespaces gained and lost, rules added, a rename and label changes", () => {
        assert.equal(
            summary("change-rights.json"),
            [
                "**production**: 1 cluster changed",
                "",
                "Warnings:",
                "- ⚠️ `production-eu` gets wildcard RBAC: `*` verbs on `*` resources in namespace `monitoring`",
                "",
                "Changed:",
                "- `production-eu` (`https://api.cluster.production:6443`)",
                "  - rights gained: namespaced [`monitoring`] full",
                "  - rights lost: namespaced [`payments`] full",
                "  - rights cluster-wide: +`get,list,watch on customresourcedefinitions.apiextensions.k8s.io`",
                "  - renamed: `production` → `production-eu`",
                "  - labels: +`tier=gold`",
                "",
            ].join("\n"),
        );
    });

    it("reports a switch from cluster-wide to namespaced as rights gained and lost", () => {
        const out = summary("narrow-rights.json");
        assert.match(out, /^ {2}- rights gained: namespaced \[`apps`\] full$/m);
        assert.match(out, /^ {2}- rights lost: cluster-wide full$/m);
    });

    it("names a Role's namespace from its child name when the preview does not show it yet", () => {
        const d = digest("change-rights.json");
        for (const step of d.steps!.filter((s) => s.urn.endsWith("-monitoring"))) {
            (step.newState!.inputs!.metadata as { namespace: string }).namespace =
                "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        }
        assert.match(summarizePreview(d), /^ {2}- rights gained: namespaced \[`monitoring`\] full$/m);
    });

    it("says when the stack opted in to cluster-wide wildcards", () => {
        const d = digest("add-cluster.json");
        const role = d.steps!.find((s) => s.urn.endsWith("-cluster-role"))!;
        const metadata = role.newState!.inputs!.metadata as { annotations: Record<string, string> };
        metadata.annotations["argocd-clusters/allow-wildcard-rbac"] = "true";
        assert.match(
            summarizePreview(d),
            /^- ⚠️ `dev` gets wildcard RBAC: .*, `\*` non-resource URLs \(opted in with allowWildcardRbac\)$/m,
        );
    });

    it("counts preview errors without quoting them", () => {
        const out = summary("preview-error.json");
        assert.match(out, /the preview reported 2 error\(s\)/);
        assert.doesNotMatch(out, /Pulumi\.staging\.yaml|RPC/);
    });

    it("takes the heading from --stack, else from the URNs", () => {
        assert.match(summary("no-change.json", "prod-eu"), /^\*\*prod-eu\*\*: no changes\.\n$/);
        assert.match(summary("remove-cluster.json"), /^\*\*production\*\*/);
    });
});

/** Base64, as Kubernetes Secret data and kubeconfig certificate fields hold values. */
function b64(value: string): string {
    return Buffer.from(value).toString("base64");
}

/** Credentials for the plaintext-secrets preview, made afresh on every run so that none is ever committed. */
function freshCredentials(): Record<string, string> {
    const pem = (kind: string) =>
        b64(`-----BEGIN ${kind}-----\n${randomBytes(48).toString("base64")}\n-----END ${kind}-----\n`);
    return {
        oldToken: randomBytes(32).toString("base64url"),
        newToken: randomBytes(32).toString("base64url"),
        oldCa: pem("CERTIFICATE"),
        newCa: pem("CERTIFICATE"),
        adminToken: `kube-admin-${randomBytes(12).toString("hex")}`,
        clientKey: pem("TEST KEY"),
    };
}

/**
 * A preview whose every secret is in plain text, as no CLI prints it: plaintext-secrets.template.json with its
 * @@placeholders@@ filled from `values`, including the forms derived from them (base64 tokens, Argo CD configs).
 */
function plaintextSecrets(values: Record<string, string>): string {
    const config = (token: string, tls: Record<string, unknown>) =>
        b64(JSON.stringify({ bearerToken: token, tlsClientConfig: tls }));
    const all: Record<string, string> = {
        ...values,
        oldTokenB64: b64(values.oldToken),
        newTokenB64: b64(values.newToken),
        oldConfigB64: config(values.oldToken, { insecure: false, caData: values.oldCa }),
        newConfigB64: config(values.newToken, {
            insecure: false,
            serverName: "api.staging.internal",
            caData: values.newCa,
        }),
    };
    return text("plaintext-secrets.template.json").replace(/@@(\w+)@@/g, (_, name: string) => {
        if (!(name in all)) throw new Error(`plaintext-secrets.template.json: no value for @@${name}@@`);
        return all[name];
    });
}

describe("registration summary of readable secrets", () => {
    const values = freshCredentials();
    const input = plaintextSecrets(values);
    const out = summarizePreview(parsePreview(input));

    it("reads TLS and labels from a readable cluster Secret", () => {
        assert.match(out, /^ {2}- TLS: serverName unset → `api\.staging\.internal`, CA changed$/m);
        assert.match(out, /^ {2}- token rotated \(tokenRotation `2026-11` → `2026-12`\)$/m);
        assert.match(out, /^ {2}- labels: \+`team=platform`$/m);
    });

    it("prints no secret value of the input, nor any encoding of one", () => {
        const forms = Object.values(values).flatMap((v) => [
            v,
            Buffer.from(v).toString("base64"),
            Buffer.from(v, "base64").toString("utf8"),
        ]);
        for (const secret of forms.filter((f) => f.length >= 8)) {
            assert.ok(!out.includes(secret), `the summary contains a secret: ${secret.slice(0, 12)}…`);
        }
        assert.doesNotMatch(out, /BEGIN|bearerToken|kubeconfig:|\[secret\]/);
    });

    it("reads the cluster Secret's TLS as Argo CD does: Go's encoding/json, keys in any letter case, the last one winning", () => {
        const newConfig = (tls: Record<string, unknown>) =>
            b64(JSON.stringify({ bearerToken: values.newToken, tlsClientConfig: tls }));
        const asWritten = newConfig({ insecure: false, serverName: "api.staging.internal", caData: values.newCa });
        assert.ok(input.includes(asWritten), "the template's new config is not where this test expects it");
        const goRead = summarizePreview(
            parsePreview(
                input.split(asWritten).join(
                    newConfig({
                        insecure: false,
                        serverName: "api.staging.internal",
                        caData: values.newCa,
                        Insecure: true,
                    }),
                ),
            ),
        );
        assert.match(
            goRead,
            /^ {2}- TLS: insecure false → true, serverName unset → `api\.staging\.internal`, CA changed$/m,
        );
        assert.match(goRead, /^- ⚠️ `staging` has TLS verification disabled \(insecure\)$/m);
    });

    it("cuts out a credential that reaches a printed field", () => {
        const leaky = JSON.parse(input) as PreviewDigest;
        const secretStep = leaky.steps!.find((s) => s.urn.endsWith("-cluster-secret"))!;
        const labels = (secretStep.newState!.inputs!.metadata as { labels: Record<string, string> }).labels;
        labels.oops = values.newToken;
        const leaked = summarizePreview(leaky);
        assert.ok(!leaked.includes(values.newToken));
        assert.match(leaked, /\+`oops=\[redacted\]`/);
    });

    it("collects credentials from Secret data, Argo CD's config and kubeconfigs, but not names or URLs", () => {
        const found = sensitiveValues(JSON.parse(input));
        for (const v of [values.oldToken, values.newToken, values.adminToken, values.clientKey, values.oldCa]) {
            assert.ok(found.includes(v), `not collected: ${v.slice(0, 12)}…`);
        }
        for (const v of ["https://api.cluster.staging:6443", "staging", "kube-system", "update"])
            assert.ok(!found.includes(v), v);
    });
});

describe("registration summary input", () => {
    it("reads the engine event stream (PULUMI_ENABLE_STREAMING_JSON_PREVIEW) as the digest", () => {
        assert.equal(summary("rotate-token.events.ndjson"), summary("rotate-token.json"));
    });

    it("opens with a stop sign when a cluster Secret is replaced, as a changed provider identity does", () => {
        const d = digest("rotate-token.json");
        d.steps = d.steps!.map((s) =>
            s.urn.endsWith("-cluster-secret") ? { ...s, op: "replace", replaceReasons: ["provider"] } : s,
        );
        const lines = summarizePreview(d).split("\n");
        assert.equal(
            lines[2],
            "🛑 **1 cluster Secret deleted or replaced: Argo CD loses this cluster unless this is intended.** " +
                "`staging` (`https://api.cluster.staging:6443`) replaced.",
        );
        assert.match(
            lines[3],
            /^A replacement deletes the cluster Secret, then writes it again: .* `argocd.name` or `argocd.namespace`\.$/,
        );
        // Without the replacement: no stop sign.
        assert.ok(!summary("rotate-token.json").includes("🛑"));
    });

    it("shows the adopt, revokeCliToken, nameMovedFrom and retire opt-ins of the stack file", () => {
        const added = digest("add-cluster.json");
        const clusters = JSON.parse(added.config!["argocd-clusters:clusters"] as string);
        clusters[1].adopt = true;
        added.config!["argocd-clusters:clusters"] = JSON.stringify(clusters);
        const adopted = summarizePreview(added);
        assert.match(
            adopted,
            /^- `dev` [^\n]*; adopts what `argocd cluster add` left \(adopt: true\): its account, role and binding, and its cluster Secret in place; deletes only the CLI's own role and binding beyond the entry's rights, never a binding the CLI did not make; the CLI's token stays valid, with the rights the stack now grants \(revokeCliToken not set\)/m,
        );
        assert.doesNotMatch(adopted, /revokes/);
        // The revocation is its own opt-in, named in the entry and shown as a warning.
        clusters[1].revokeCliToken = "argocd-manager-long-lived-token";
        added.config!["argocd-clusters:clusters"] = JSON.stringify(clusters);
        const revoking = summarizePreview(added);
        assert.match(
            revoking,
            /^- `dev` [^\n]*; then revokes the CLI's token: deletes its token Secret `kube-system\/argocd-manager-long-lived-token` \(revokeCliToken\)$/m,
        );
        assert.match(
            revoking,
            /^- ⚠️ `dev`: revokeCliToken deletes the token Secret `kube-system\/argocd-manager-long-lived-token` once Argo CD holds the new token: every other Argo CD/m,
        );
        clusters[1].nameMovedFrom = "https://api.cluster.old:6443";
        added.config!["argocd-clusters:clusters"] = JSON.stringify(clusters);
        assert.match(
            summarizePreview(added),
            /^- ⚠️ `dev`: Applications that deploy by its name move here from `https:\/\/api.cluster.old:6443` \(nameMovedFrom\)$/m,
        );
        const removed = digest("remove-cluster.json");
        removed.config!["argocd-clusters:clusters"] = JSON.stringify([
            { name: "production", server: "https://api.cluster.production:6443", retire: true },
        ]);
        assert.match(
            summarizePreview(removed),
            /^- `production` [^\n]*; retired \(retire: true\): removed even if Argo CD Applications still deploy to it$/m,
        );
    });

    it("merges the steps of a replacement shown with --show-replacement-steps", () => {
        const d = digest("rotate-token.json");
        d.steps = d.steps!.flatMap((s) =>
            s.op === "replace"
                ? [
                      { ...s, op: "create-replacement", oldState: undefined },
                      { ...s, op: "delete-replaced", newState: undefined },
                  ]
                : [s],
        );
        assert.equal(summarizePreview(d), summary("rotate-token.json"));
    });

    it("tolerates unknown ops and fields, missing states and odd URNs", () => {
        const d = digest("change-rights.json") as PreviewDigest & { extra?: unknown };
        d.extra = { anything: true };
        d.steps!.push(
            { op: "refresh", urn: d.steps![1].urn },
            { op: "discard", urn: "urn:pulumi:production::argocd-clusters::kubernetes:core/v1:ConfigMap::x" },
            { op: "frobnicate", urn: "not a urn", detailedDiff: null },
            {
                op: "update",
                urn: "urn:pulumi:production::argocd-clusters::kubernetes:core/v1:ConfigMap::x",
                newState: null,
            },
        );
        const out = summarizePreview(d);
        assert.match(out, /rights gained: namespaced \[`monitoring`\] full/);
        assert.match(out, /^Other:\n- ConfigMap `x`: update$/m);
    });

    it("says loudly when an existing stack gets its deployment identity, or loses it, and nothing for a new stack", () => {
        const identity = (op: string) => ({
            op,
            urn: "urn:pulumi:production::argocd-clusters::random:index/randomId:RandomId::deployment-identity",
            newState:
                op === "delete" ? undefined : { type: "random:index/randomId:RandomId", inputs: { byteLength: 16 } },
        });
        const existing = digest("rotate-token.json");
        existing.steps!.push(identity("create"));
        assert.match(
            summarizePreview(existing),
            /^- ⚠️ this stack gets its deployment identity \(`argocd-clusters\/owner`\): every object it manages is updated once/m,
        );
        const lost = digest("rotate-token.json");
        lost.steps!.push(identity("delete"));
        assert.match(summarizePreview(lost), /^- ⚠️ the deployment identity is deleted: every object of this stack/m);
        // A real first preview of a stack (captured): nothing recorded yet.
        const fresh = parsePreview(fs.readFileSync(path.join(CAPTURED, "create.json"), "utf8"));
        const before = summarizePreview(fresh);
        fresh.steps!.push(identity("create"));
        assert.equal(summarizePreview(fresh), before, "a new stack's first identity is no news");
    });

    it("rejects what is not a preview", () => {
        for (const input of [
            "",
            "  ",
            "[]",
            "{}",
            '{"name": "x"}',
            "not json",
            '{"steps": {}}',
            '{"steps": [{"op": "create"}]}',
            '{"a":1}\n{"b":2}',
        ]) {
            assert.throws(() => parsePreview(input), NotAPreviewError, JSON.stringify(input));
        }
    });
});

describe("summary CLI", () => {
    const file = path.join(SUMMARY, "add-cluster.json");

    it("prints the Markdown of a file, or of standard input", () => {
        assert.deepEqual(main([file]), { code: 0, out: summary("add-cluster.json"), err: "" });
        assert.deepEqual(
            main(["--stack", "staging"], () => text("no-change.json")),
            { code: 0, out: "**staging**: no changes.\n", err: "" },
        );
        assert.equal(main(["--stack=other", "-"], () => text("no-change.json")).out, "**other**: no changes.\n");
    });

    it("prints one section per file", () => {
        const result = main([path.join(SUMMARY, "no-change.json"), path.join(SUMMARY, "remove-cluster.json")]);
        assert.equal(result.out, `${summary("no-change.json")}\n${summary("remove-cluster.json")}`);
    });

    it("fails clearly on input that is not a preview", () => {
        const result = main([], () => '{"hello": "world"}');
        assert.equal(result.code, 1);
        assert.equal(result.out, "");
        assert.match(result.err, /^standard input is not the output of `pulumi preview --json`: /);
        assert.equal(main([path.join(SUMMARY, "missing.json")]).code, 1);
    });

    it("fails on bad usage", () => {
        assert.equal(main(["--stack"]).code, 2);
        assert.equal(main(["--verbose", file]).code, 2);
        assert.equal(main(["--stack", "a", file, file]).code, 2);
    });
});

describe("registration summary of real previews (tests/fixtures/previews, stack local)", () => {
    // Captured against local API servers on random ports: the ports are not pinned.
    const real = (name: string) => summarizePreview(parsePreview(fs.readFileSync(path.join(CAPTURED, name), "utf8")));
    const server = (host: string) => `\\(\`https://${host.replace(/\./g, "\\.")}:\\d+\`\\)`;

    it("first preview: three clusters added, with their rights and the wildcard warnings", () => {
        const out = real("create.json");
        assert.match(out, /^\*\*local\*\*: 3 clusters added\n/);
        assert.match(
            out,
            new RegExp(
                `^- \`alpha\` ${server("127.0.0.3")}: rights: cluster-wide full; labels: \`environment=local\`$`,
                "m",
            ),
        );
        assert.match(
            out,
            new RegExp(
                `^- \`beta\` ${server("127.0.0.4")}: rights: namespaced \\[\`apps\`, \`monitoring\`\\] full$`,
                "m",
            ),
        );
        assert.match(
            out,
            new RegExp(
                `^- \`gamma\` ${server("127.0.0.5")}: rights: cluster-wide custom: \\\`get,list,create,delete on configmaps\\\`$`,
                "m",
            ),
        );
        assert.match(
            out,
            /^- ⚠️ `alpha` gets wildcard RBAC: `\*` verbs on `\*` resources cluster-wide, `\*` non-resource URLs$/m,
        );
        assert.match(
            out,
            /^- ⚠️ `beta` gets wildcard RBAC: `\*` verbs on `\*` resources in namespaces `apps`, `monitoring`$/m,
        );
        assert.doesNotMatch(out, /gamma` gets wildcard|insecure/);
    });

    it("a scheduled rotation: the keeper's issue time moved, tokenRotation did not", () => {
        const scheduled = fs
            .readFileSync(path.join(CAPTURED, "rotate-rights-tls-labels.json"), "utf8")
            .replace(/"tokenRotation": "1"/g, '"tokenRotation": "1", "issuedAt": "2030-01-01T00:00:00Z"')
            .replace(/"tokenRotation": "2"/g, '"tokenRotation": "1", "issuedAt": "2030-01-31T00:00:00Z"');
        assert.match(
            summarizePreview(parsePreview(scheduled), { stack: "local" }),
            /^- `alpha` .*\n {2}- token rotated \(scheduled: the token issued `2030-01-01T00:00:00Z` is rotateEvery old\)$/m,
        );
    });

    it("no changes: one line", () => {
        assert.equal(real("no-changes.json"), "**local**: no changes.\n");
    });

    it("rotation, a namespace, labels, TLS and wildcard rules", () => {
        const out = real("rotate-rights-tls-labels.json");
        assert.match(out, /^\*\*local\*\*: 3 clusters changed\n/);
        assert.match(out, /^- `alpha` .*\n {2}- token rotated \(tokenRotation `1` → `2`\)$/m);
        assert.match(
            out,
            /^- `beta` .*\n {2}- rights gained: namespaced \[`other`\] full\n {2}- labels: \+`tier=gold`$/m,
        );
        assert.match(out, /^ {2}- rights cluster-wide: \+`\* on \*`; −`get,list,create,delete on configmaps`$/m);
        assert.match(
            out,
            /^ {2}- connection config changed \(TLS, proxy or compression; the values are secret\); stack config now: TLS insecure$/m,
        );
        assert.match(out, /^- ⚠️ `gamma` has TLS verification disabled \(insecure\)$/m);
        assert.match(out, /^- ⚠️ `gamma` gets wildcard RBAC: `\*` verbs on `\*` resources cluster-wide$/m);
    });

    it("removal: the cluster, what it loses, and the warning", () => {
        const out = real("remove-gamma.json");
        assert.match(
            out,
            new RegExp(
                `^- \`gamma\` ${server("127.0.0.5")}: rights removed: cluster-wide custom: \\\`get,list,create,delete on configmaps\\\`$`,
                "m",
            ),
        );
        assert.match(out, /^- ⚠️ `gamma` loses its last registration/m);
    });
});

/**
 * A capture with every value the CLI masked as "[secret]" made plain, each a fresh credential in the shape its
 * key holds (a kubeconfig with a user token, a Secret's `data` or `stringData` with Argo CD's config), so the
 * test knows every secret in the input instead of asking the summary which ones it found. One of them is also
 * put where the summary prints config-derived text (a label of each cluster Secret, a rule of each role), the
 * case the last-pass redaction is there for.
 */
function withPlantedSecrets(raw: string): { input: string; planted: string[] } {
    const planted: string[] = [];
    /** Tokens planted where a credential lives; anything else masked (a random suffix's prefix) is no credential. */
    const credentials: string[] = [];
    const fresh = (credential = true) => {
        const t = `tok${randomBytes(16).toString("hex")}`;
        planted.push(t);
        if (credential) credentials.push(t);
        return t;
    };
    const argocdConfig = (token: string) =>
        JSON.stringify({ bearerToken: token, tlsClientConfig: { insecure: false } });
    const plain = (key: string): unknown => {
        if (key === "kubeconfig")
            return `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: ${fresh()}\n`;
        if (key === "data") return { config: b64(argocdConfig(fresh())), token: b64(fresh()) };
        if (key === "stringData") return { config: argocdConfig(fresh()) };
        return fresh(false);
    };
    const unmask = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(unmask);
        if (typeof v !== "object" || v === null) return v;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === "[secret]" ? plain(k) : unmask(x)]));
    };
    const d = unmask(JSON.parse(raw)) as PreviewDigest;
    const leak = credentials[0];
    for (const step of leak === undefined ? [] : (d.steps ?? [])) {
        for (const state of [step.oldState, step.newState]) {
            const inputs = state?.inputs as
                | { metadata?: { labels?: Record<string, string> }; rules?: unknown[] }
                | undefined;
            if (step.urn.endsWith("-cluster-secret") && inputs?.metadata?.labels && state === step.newState)
                inputs.metadata.labels.leak = leak;
            if (Array.isArray(inputs?.rules) && (state === step.newState || step.op === "delete")) {
                inputs.rules.push({ apiGroups: [""], resources: ["secrets"], resourceNames: [leak], verbs: ["get"] });
            }
        }
    }
    return { input: JSON.stringify(d), planted };
}

describe("registration summary of captured previews", () => {
    it("has the captures to check", () => {
        assert.ok(fs.existsSync(CAPTURED), `${CAPTURED} is missing`);
        const present = fs.readdirSync(CAPTURED);
        for (const name of EXPECTED_CAPTURES) assert.ok(present.includes(name), `${name} is missing from ${CAPTURED}`);
    });

    const found = fs.existsSync(CAPTURED) ? fs.readdirSync(CAPTURED).filter((f) => f.endsWith(".json")) : [];
    for (const name of [...new Set([...EXPECTED_CAPTURES, ...found])].sort()) {
        it(`summarizes ${name} without printing a secret`, () => {
            const raw = fs.readFileSync(path.join(CAPTURED, name), "utf8");
            const out = summarizePreview(parsePreview(raw));
            assert.match(out, /^\*\*[^*]+\*\*: /);
            assert.doesNotMatch(out, /\[secret\]|04da6b54-80e4-46f7-96ec-b56ff0331ba9|BEGIN/);

            // The same capture with its secrets in plain text, some of them where the summary prints.
            const { input, planted } = withPlantedSecrets(raw);
            const leaked = summarizePreview(parsePreview(input));
            assert.ok(!input.includes('"[secret]"'), `${name}: a masked value was not replaced`);
            for (const secret of planted) {
                for (const form of [secret, b64(secret)])
                    assert.ok(!leaked.includes(form), `${name}: a secret is printed: ${form.slice(0, 12)}…`);
            }
            // Where the capture masked anything, the planted copy reached a printed field and was cut out there.
            if (raw.includes('"[secret]"'))
                assert.match(leaked, /\[redacted\]/, `${name}: the planted credential reached no printed field`);
            else assert.equal(planted.length, 0);
        });
    }
});
