/**
 * The registration summary against a determined author (issue 11): rights that are wildcards in all but
 * spelling, rule strings that hide text from the reviewer in Markdown, and credentials that reach the summary's
 * input in shapes the last-pass redaction has to decode first.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { type PreviewDigest, parsePreview, summarizePreview } from "../../../summary/summary";

const FIXTURES = path.resolve(__dirname, "..", "..", "..", "..", "tests", "fixtures");
const digest = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(FIXTURES, "summary", name), "utf8")) as PreviewDigest;
const captured = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(FIXTURES, "previews", name), "utf8")) as PreviewDigest;

/** add-cluster.json with the new ClusterRole's rules replaced. */
function addedWithRules(rules: unknown[]): string {
    const d = digest("add-cluster.json");
    const role = d.steps!.find((s) => s.urn.endsWith("-cluster-role"))!;
    role.newState!.inputs!.rules = rules;
    return summarizePreview(d);
}

describe("the summary warns about what the policy pack refuses, judged the same way", () => {
    it('warns about every verb spelt out on every resource, as about "*"', () => {
        const verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
        assert.match(
            addedWithRules([{ apiGroups: ["*"], resources: ["*"], verbs }]),
            /^- ⚠️ `dev` gets wildcard RBAC: `\*` verbs on `\*` resources cluster-wide$/m,
        );
    });

    it("warns about escalate, bind, impersonate and minting tokens", () => {
        const out = addedWithRules([
            { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind", "escalate"] },
            { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
            { apiGroups: ["*"], resources: ["*/token"], verbs: ["create"] },
        ]);
        assert.match(
            out,
            /`escalate` on roles cluster-wide, `bind` on roles cluster-wide, `impersonate` on users, groups or serviceaccounts cluster-wide, `create` on `serviceaccounts\/token` cluster-wide/,
        );
    });
});

describe("the summary escapes every value that comes from the stack's config", () => {
    it("shows an HTML comment in a verb instead of letting it hide rights", () => {
        const out = addedWithRules([{ apiGroups: ["*"], resources: ["*"], verbs: ["get<!-- hidden -->", "list"] }]);
        // Inside a code span the comment is text the reviewer sees; outside one, GitHub would hide it.
        const line = out.split("\n").find((l) => l.includes("hidden"))!;
        assert.ok(line, out);
        const outside = line.replace(/(`+)[^`]*?\1/g, "");
        assert.doesNotMatch(outside, /<!--/, line);
    });

    it("keeps a newline in a rule, a label or a name from starting a Markdown block", () => {
        const d = digest("add-cluster.json");
        const role = d.steps!.find((s) => s.urn.endsWith("-cluster-role"))!;
        role.newState!.inputs!.rules = [
            { apiGroups: [""], resources: ["pods\n\n# Approved\n- nothing to see"], verbs: ["get"] },
        ];
        const clusters = JSON.parse(d.config!["argocd-clusters:clusters"] as string);
        clusters[1].name = "dev\n\n## All good";
        clusters[1].labels = { tier: "a`b\n- injected" };
        d.config!["argocd-clusters:clusters"] = JSON.stringify(clusters);
        const out = summarizePreview(d);
        assert.doesNotMatch(out, /^#|^- nothing to see|^- injected/m, out);
        assert.match(out, /\\u\{a\}/, "control characters are shown, not applied");
    });

    it("shows bidirectional and zero-width characters instead of letting them reorder what the reviewer reads", () => {
        const out = addedWithRules([{ apiGroups: [""], resources: ["pods"], verbs: ["get\u202e\u200b"] }]);
        assert.doesNotMatch(out, /[\u202e\u200b]/);
        assert.match(out, /\\u\{202e\}/);
    });
});

describe("the last-pass redaction decodes and parses before it scans", () => {
    const token = () => `tok${randomBytes(16).toString("hex")}`;

    /** A real preview (rotate-rights-tls-labels.json) with its cluster Secret and provider shown in plain text. */
    function leaky(
        change: (secretData: Record<string, string>, providerInputs: Record<string, unknown>) => void,
        printed: string,
    ): string {
        const d = captured("rotate-rights-tls-labels.json");
        const secret = d.steps!.find((s) => s.urn.endsWith("-cluster-secret") && s.op === "update")!;
        // A target's provider as a real first preview shows it, updated in place.
        const created = captured("create.json").steps!.find(
            (s) => s.urn.includes("pulumi:providers:kubernetes::") && s.urn.endsWith("-k8s"),
        )!;
        const provider = { ...created, op: "update", oldState: structuredClone(created.newState) };
        d.steps!.push(provider);
        const data: Record<string, string> = {};
        change(data, provider.newState!.inputs!);
        // The shape of a known Secret's outputs in a digest: `data`, base64 per key.
        secret.oldState!.outputs = { ...secret.oldState!.outputs, data };
        // And where the summary prints config-derived text: a label of the cluster Secret.
        (secret.newState!.inputs!.metadata as { labels: Record<string, string> }).labels.leak = printed;
        return summarizePreview(parsePreview(JSON.stringify(d)));
    }

    it("finds a bearer token inside a base64 data.config, whatever the key's letter case", () => {
        for (const key of ["bearerToken", "BearerToken", "bearertoken"]) {
            const t = token();
            const out = leaky((data) => {
                data.config = Buffer.from(JSON.stringify({ [key]: t, tlsClientConfig: { insecure: false } })).toString(
                    "base64",
                );
            }, t);
            assert.ok(!out.includes(t), `${key}: the token is printed`);
        }
    });

    it("finds OIDC and auth-provider credentials in a kubeconfig", () => {
        const [idToken, refreshToken, clientSecret] = [token(), token(), token()];
        const kubeconfig = [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: c",
            "  cluster: {server: https://api.example:6443}",
            "users:",
            "- name: u",
            "  user:",
            "    auth-provider:",
            "      name: oidc",
            "      config:",
            `        id-token: ${idToken}`,
            `        refresh-token: "${refreshToken}"`,
            `        client-secret: ${clientSecret}`,
            "        client-id: argocd",
            "contexts:",
            "- name: x",
            "  context: {cluster: c, user: u}",
        ].join("\n");
        for (const t of [idToken, refreshToken, clientSecret]) {
            const out = leaky((_, inputs) => {
                inputs.kubeconfig = kubeconfig;
            }, t);
            assert.ok(!out.includes(t), "an OIDC credential is printed");
        }
        const inline = leaky((_, inputs) => {
            inputs.kubeconfig = `{"users":[{"name":"u","user":{"auth-provider":{"config":{"id-token":"${idToken}"}}}}]}`;
        }, idToken);
        assert.ok(!inline.includes(idToken), "an OIDC credential in a JSON kubeconfig is printed");
    });
});
