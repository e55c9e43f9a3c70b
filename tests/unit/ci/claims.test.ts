/**
 * The pipelines' stack list refuses stack files that make two stacks sharing one Argo CD claim the same server or
 * Argo CD name (ci/claims.ts), before any preview: the pure check, and scripts/stacks failing on such files.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { claimClashes, type StackConfig } from "../../../ci/claims";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const A = "https://api.a.example:6443";
const B = "https://api.b.example:6443";

function stack(clusters: Record<string, unknown>[], argocd: Record<string, unknown> = {}): StackConfig {
    return {
        "argocd-clusters:argocd": { context: "hub", ...argocd },
        "argocd-clusters:clusters": clusters.map((c) => ({ context: "x", ...c })),
    };
}

describe("stack files sharing one Argo CD claim each server and name once", () => {
    it("passes the repository's own stack files, and shards with distinct servers and names", () => {
        const files = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f) && f !== "Pulumi.local.yaml");
        const stacks = files.map((f) => ({
            stack: f.slice("Pulumi.".length, -".yaml".length),
            config: (yaml.load(fs.readFileSync(path.join(ROOT, f), "utf8")) as { config: StackConfig }).config,
        }));
        assert.ok(stacks.length >= 2);
        assert.deepEqual(claimClashes(stacks), []);
        assert.deepEqual(
            claimClashes([
                { stack: "production-eu", config: stack([{ name: "eu", server: A }]) },
                { stack: "production-us", config: stack([{ name: "us", server: B }]) },
            ]),
            [],
        );
    });

    it("refuses one server in two stacks, trailing slash or not, naming both files, keys and the fix", () => {
        const clashes = claimClashes([
            { stack: "production-eu", config: stack([{ name: "eu", server: A }]) },
            {
                stack: "production-us",
                config: stack([
                    { name: "us", server: B },
                    { name: "eu-too", server: `${A}/` },
                ]),
            },
        ]);
        assert.equal(clashes.length, 1, clashes.join("\n"));
        assert.match(
            clashes[0],
            /^Pulumi\.production-us\.yaml: argocd-clusters:clusters\[1\]\.server: https:\/\/api\.a\.example:6443\/ is also registered by Pulumi\.production-eu\.yaml: argocd-clusters:clusters\[0\]; stacks production-eu and production-us share one Argo CD \(argocd\.name argocd, namespace argocd\)/,
        );
        assert.match(clashes[0], /Fix: keep it in one of the two stack files/);
    });

    it("refuses one API server in two stacks in another spelling (letter case, :443), as the program's claims do", () => {
        const clashes = claimClashes([
            { stack: "production-eu", config: stack([{ name: "eu", server: "https://api.example" }]) },
            { stack: "production-us", config: stack([{ name: "us", server: "https://API.example:443/" }]) },
        ]);
        assert.equal(clashes.length, 1, clashes.join("\n"));
        assert.match(
            clashes[0],
            /^Pulumi\.production-us\.yaml: argocd-clusters:clusters\[0\]\.server: https:\/\/API\.example:443\/ is also registered/,
        );
    });

    it("refuses one Argo CD name for two servers in two stacks", () => {
        const clashes = claimClashes([
            { stack: "production-eu", config: stack([{ name: "shop", server: A }]) },
            { stack: "production-us", config: stack([{ name: "shop", server: B }]) },
        ]);
        assert.deepEqual(clashes.length, 1);
        assert.match(
            clashes[0],
            /production-us\.yaml: argocd-clusters:clusters\[0\]\.name: Argo CD name "shop" is also/,
        );
    });

    it("lets stacks of different Argo CDs (another argocd.name or namespace) register the same cluster", () => {
        for (const other of [{ name: "hub-us" }, { namespace: "openshift-gitops" }]) {
            assert.deepEqual(
                claimClashes([
                    { stack: "production-eu", config: stack([{ name: "shop", server: A }]) },
                    { stack: "production-us", config: stack([{ name: "shop", server: A }], other) },
                ]),
                [],
            );
        }
        // Spelled out or by default, argocd.name argocd in namespace argocd is the same Argo CD.
        assert.equal(
            claimClashes([
                { stack: "a", config: stack([{ name: "shop", server: A }], { name: "argocd", namespace: "argocd" }) },
                { stack: "b", config: stack([{ name: "shop", server: A }]) },
            ]).length,
            1,
        );
    });

    it("skips entries with retire: true, which claim nothing (the program removes their registration)", () => {
        // A cluster moved from one stack to another: retired in the old stack file, registered in the new one.
        const moved = [
            { stack: "production-eu", config: stack([{ name: "shop", server: A, retire: true }]) },
            { stack: "production-us", config: stack([{ name: "shop", server: A }]) },
        ];
        assert.deepEqual(claimClashes(moved), []);
        // Only true retires: false, or anything else the program's validation refuses, still claims.
        for (const retire of [false, "true"]) {
            assert.equal(
                claimClashes([
                    { stack: "a", config: stack([{ name: "shop", server: A, retire }]) },
                    { stack: "b", config: stack([{ name: "shop", server: A }]) },
                ]).length,
                1,
                String(retire),
            );
        }
        // The other entries of a stack with a retired one still count, at their own index.
        const clashes = claimClashes([
            {
                stack: "a",
                config: stack([
                    { name: "old", server: B, retire: true },
                    { name: "shop", server: A },
                ]),
            },
            { stack: "b", config: stack([{ name: "shop", server: A }]) },
        ]);
        assert.equal(clashes.length, 1);
        assert.match(clashes[0], /also registered by Pulumi\.a\.yaml: argocd-clusters:clusters\[1\]/);
    });

    it("leaves clashes within one stack, and entries it cannot read, to the program's validation", () => {
        assert.deepEqual(
            claimClashes([
                { stack: "a", config: stack([{ name: "x", server: A }, { name: "x", server: A }, {}, { name: 3 }]) },
                { stack: "b", config: { "argocd-clusters:clusters": "not a list" } },
                { stack: "c", config: {} },
            ]),
            [],
        );
    });
});

describe("scripts/stacks fails the pipeline's stack listing on clashing stack files", () => {
    it("exits 1 naming every clash, and lists no stack", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-claims-"));
        try {
            fs.mkdirSync(path.join(dir, "policy"));
            fs.copyFileSync(path.join(ROOT, "policy", "config.json"), path.join(dir, "policy", "config.json"));
            const write = (name: string, config: StackConfig) =>
                fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), yaml.dump({ config }));
            write("production-eu", stack([{ name: "shop", server: A }]));
            write(
                "production-us",
                stack([
                    { name: "shop", server: B },
                    { name: "eu", server: A },
                ]),
            );
            const run = spawnSync(path.join(ROOT, "scripts", "stacks"), ["--root", dir], { encoding: "utf8" });
            assert.equal(run.status, 1, run.stdout);
            assert.equal(run.stdout, "");
            assert.match(run.stderr, /production-us\.yaml: argocd-clusters:clusters\[0\]\.name: Argo CD name "shop"/);
            assert.match(run.stderr, /production-us\.yaml: argocd-clusters:clusters\[1\]\.server: https:\/\/api\.a/);

            fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), "config: [unclosed\n");
            const broken = spawnSync(path.join(ROOT, "scripts", "stacks"), ["--root", dir], { encoding: "utf8" });
            assert.equal(broken.status, 1);
            assert.match(broken.stderr, /Pulumi\.broken\.yaml is not valid YAML/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
