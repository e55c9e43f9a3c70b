/**
 * Configuration errors are printed whole by `pulumi preview`: into CI job logs and, through pulumi/actions,
 * into check annotations on the pull request. This plants one secret, made afresh on every run, in every place
 * of a stack's configuration where credentials end up by mistake, runs validation and kubeconfig resolution
 * over each, and scans every message and fix for the secret and its encodings.
 */

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { loadStack } from "../../../stack/config";
import type { Environment } from "../../../stack/kubeconfig";
import { ConfigurationError, formatProblems, type Problem } from "../../../stack/settings";
import type { RawStackConfig } from "../../../stack/validate";

const SECRET = `Pl4nted${randomBytes(12).toString("hex")}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "message-secrets-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

/** Every form the secret could be printed in. */
const FORMS = [SECRET, Buffer.from(SECRET).toString("base64").slice(0, 16), SECRET.slice(0, 12), SECRET.slice(-12)];

function kubeconfigText(token: string, context = "prod"): string {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://api.prod:6443" } }],
        users: [{ name: "u", user: { token } }],
        contexts: [{ name: context, context: { cluster: "c", user: "u" } }],
    });
}

const goodKubeconfig = path.join(dir, "good.yaml");
fs.writeFileSync(goodKubeconfig, kubeconfigText("not-the-secret"));

/** The messages loadStack reports for a stack, as `pulumi preview` would print them. */
function messages(clusters: unknown[], env: Environment = {}, secretKeys = ["argocd-clusters:clusters"]): string {
    const raw: RawStackConfig = {
        argocd: { context: "prod", kubeconfig: goodKubeconfig },
        clusters,
        projectKeys: ["argocd-clusters:argocd", "argocd-clusters:clusters"],
        secretKeys,
        stack: "production",
    };
    try {
        loadStack(raw, "Pulumi.production.yaml", env);
    } catch (error) {
        assert.ok(error instanceof ConfigurationError, String(error));
        const problems: Problem[] = error.problems;
        return `${error.message}\n${formatProblems("Pulumi.production.yaml", problems)}`;
    }
    assert.fail("the stack was accepted; every case here must be refused");
}

function assertNoSecret(text: string, what: string): void {
    for (const form of FORMS)
        assert.ok(
            !text.includes(form),
            `${what}: a message prints the secret:\n${text.replace(new RegExp(SECRET, "g"), "<SECRET>")}`,
        );
}

const entry = (extra: Record<string, unknown>) => ({
    name: "prod",
    server: "https://api.prod:6443",
    context: "prod",
    kubeconfig: goodKubeconfig,
    ...extra,
});

describe("no validation message prints a planted secret", () => {
    const cases: [string, () => string][] = [
        [
            "a base64 kubeconfig as kubeconfig",
            () => messages([entry({ kubeconfig: Buffer.from(kubeconfigText(SECRET)).toString("base64") })]),
        ],
        [
            "$KUBECONFIG holding a kubeconfig's contents",
            () => messages([entry({ kubeconfig: undefined })], { KUBECONFIG: kubeconfigText(SECRET) }),
        ],
        [
            "$KUBECONFIG holding one line of contents",
            () => messages([entry({ kubeconfig: undefined })], { KUBECONFIG: `token: ${SECRET}` }),
        ],
        [
            "$KUBECONFIG holding a base64 kubeconfig",
            () =>
                messages([entry({ kubeconfig: undefined })], {
                    KUBECONFIG: Buffer.from(kubeconfigText(SECRET)).toString("base64"),
                }),
        ],
        [
            "an inline kubeconfig with a tag-like password",
            () =>
                messages([
                    entry({ kubeconfig: `apiVersion: v1\nusers:\n- name: u\n  user: {password: !${SECRET} x}\n` }),
                ]),
        ],
        [
            "an inline kubeconfig with an alias-like password",
            () =>
                messages([
                    entry({ kubeconfig: `apiVersion: v1\nusers:\n- name: u\n  user:\n    password: *${SECRET}\n` }),
                ]),
        ],
        [
            "a kubeconfig file with a tag-like token",
            () => {
                const file = path.join(dir, "tagged.yaml");
                fs.writeFileSync(file, `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: !<!${SECRET}> x\n`);
                return messages([entry({ kubeconfig: file })]);
            },
        ],
        ["a server with a password", () => messages([entry({ server: `https://admin:${SECRET}@api.prod:6443` })])],
        [
            "a server with a password and a slash",
            () => messages([entry({ server: `https://admin:${SECRET}@api.prod:6443/` })]),
        ],
        [
            "a server with '#' in its password",
            () => messages([entry({ server: `https://admin:x#${SECRET}@api.prod:6443` })]),
        ],
        [
            "a server with '?' and '/' in its password",
            () => messages([entry({ server: `https://admin:${SECRET}/?x@api.prod:6443` })]),
        ],
        [
            "a server with a token in its query",
            () => messages([entry({ server: `https://api.prod:6443?token=${SECRET}` })]),
        ],
        [
            "a proxyUrl with a password and a bad scheme",
            () => messages([entry({ proxyUrl: `ftp://user:${SECRET}@proxy:3128` })]),
        ],
        [
            "a proxyUrl with a password and no scheme",
            () => messages([entry({ proxyUrl: `user:${SECRET}@proxy:3128` })]),
        ],
        [
            "a proxyUrl with '#' in its password",
            () => messages([entry({ proxyUrl: `gopher://user:a#${SECRET}@proxy:3128` })]),
        ],
        [
            "a private key as caData",
            () =>
                messages([
                    entry({
                        tls: {
                            caData: Buffer.from(
                                `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`,
                            ).toString("base64"),
                        },
                    }),
                ]),
        ],
        [
            "inline contents not held as a secret",
            () => messages([entry({ kubeconfig: kubeconfigText(SECRET) })], {}, []),
        ],
    ];
    for (const [what, run] of cases) {
        it(what, () => assertNoSecret(run(), what));
    }

    it("still says what is wrong, by key, kind and length", () => {
        const env = messages([entry({ kubeconfig: undefined })], { KUBECONFIG: kubeconfigText(SECRET) });
        assert.match(env, /\$KUBECONFIG: holds a kubeconfig's contents \(\d+ characters\), not a list of paths/);
        const tagged = messages([
            entry({ kubeconfig: `apiVersion: v1\nusers:\n- name: u\n  user: {password: !${SECRET} x}\n` }),
        ]);
        assert.match(
            tagged,
            /argocd-clusters:clusters\[0\]\.kubeconfig: kubeconfig the kubeconfig given inline is not valid YAML: an unknown tag at line 4, column \d+/,
        );
        const server = messages([entry({ server: `https://admin:x#${SECRET}@api.prod:6443` })]);
        assert.match(server, /"https:\/\/api\.prod:6443" carries credentials/);
    });
});
