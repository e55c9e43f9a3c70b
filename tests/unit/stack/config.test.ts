/** readRawConfig and loadStack: what the program reads from Pulumi and checks across entries. */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { loadStack, readRawConfig } from "../../../stack/config";
import { ConfigurationError } from "../../../stack/settings";

describe("readRawConfig", () => {
    it("carries the names of the keys Pulumi holds as secrets", () => {
        pulumi.runtime.setAllConfig(
            {
                "argocd-clusters:argocd": JSON.stringify({ context: "hub" }),
                "argocd-clusters:clusters": JSON.stringify([]),
                "aws:region": "eu-west-1",
            },
            ["argocd-clusters:clusters"],
        );
        const raw = readRawConfig();
        assert.deepEqual(raw.secretKeys, ["argocd-clusters:clusters"]);
        assert.deepEqual(raw.projectKeys, ["argocd-clusters:argocd", "argocd-clusters:clusters"]);
        assert.deepEqual(raw.clusters, []);
    });
});

describe("loadStack refuses two registrations of one target cluster", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-test-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

    /** A kubeconfig whose contexts reach the given API servers. */
    function kubeconfigFile(name: string, contexts: Record<string, string>): string {
        const file = path.join(dir, name);
        const names = Object.keys(contexts);
        fs.writeFileSync(
            file,
            yaml.dump({
                apiVersion: "v1",
                kind: "Config",
                clusters: names.map((c) => ({ name: `${c}-cluster`, cluster: { server: contexts[c] } })),
                users: names.map((c) => ({ name: `${c}-user`, user: { token: `token-of-${c}` } })),
                contexts: names.map((c) => ({ name: c, context: { cluster: `${c}-cluster`, user: `${c}-user` } })),
            }),
        );
        return file;
    }

    const KUBECONFIG = kubeconfigFile("config", {
        hub: "https://hub.example:6443",
        prod: "https://api.prod.example:443",
        "prod-admin": "https://API.prod.example",
        staging: "https://api.staging.example:6443",
    });
    const argocd = { context: "hub" };
    const entry = (name: string, extra: Record<string, unknown>) => ({
        name,
        server: `https://${name}.argocd.example:6443`,
        ...extra,
    });

    function problemsOf(clusters: unknown[]) {
        try {
            loadStack({ argocd, clusters, projectKeys: [], secretKeys: [] }, "Pulumi.test.yaml", { KUBECONFIG });
            return [];
        } catch (error) {
            assert.ok(error instanceof ConfigurationError, String(error));
            return error.problems;
        }
    }

    it("two contexts reaching one API server with one ServiceAccount", () => {
        assert.deepEqual(problemsOf([entry("a", { context: "prod" }), entry("b", { context: "prod-admin" })]), [
            {
                path: "argocd-clusters:clusters[1]",
                message:
                    'cluster "b" and argocd-clusters:clusters[0] (cluster "a") manage the same ServiceAccount ' +
                    'kube-system/argocd-manager on one cluster: contexts "prod-admin" and "prod" both reach "https://api.prod.example"',
                fix:
                    "give one its own serviceAccount (e.g. serviceAccount: argocd-manager-b), or remove the duplicate entry: " +
                    "each registration would take over, rotate or delete the other's ServiceAccount, rights and token",
            },
        ]);
    });

    it("one context named twice", () => {
        const problems = problemsOf([
            entry("a", { context: "staging", systemNamespace: "argocd" }),
            entry("b", { context: "staging", systemNamespace: "argocd" }),
        ]);
        assert.deepEqual(
            problems.map((p) => [p.path, p.message]),
            [
                [
                    "argocd-clusters:clusters[1]",
                    'cluster "b" and argocd-clusters:clusters[0] (cluster "a") manage the same ServiceAccount argocd/argocd-manager ' +
                        'on one cluster: contexts "staging" and "staging" both reach "https://api.staging.example:6443"',
                ],
            ],
        );
    });

    it("but accepts two registrations of one cluster with their own ServiceAccounts, and distinct clusters", () => {
        assert.deepEqual(
            problemsOf([
                entry("a", { context: "prod" }),
                entry("b", { context: "prod-admin", serviceAccount: "argocd-manager-b" }),
                entry("c", { context: "staging" }),
            ]),
            [],
        );
        const elsewhere = kubeconfigFile("other", { prod: "https://api.other.example:6443" });
        assert.deepEqual(
            problemsOf([entry("a", { context: "prod" }), entry("b", { context: "prod", kubeconfig: elsewhere })]),
            [],
            "one context name in two kubeconfigs reaching two servers is two clusters",
        );
    });
});
