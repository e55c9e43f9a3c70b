/**
 * End to end, what ships is what is tested: the repository's own stack files, as written, through the
 * pipelines' own scripts (scripts/preview with the policy pack and its shipped configuration, scripts/up,
 * scripts/verify), on local clusters; then every token kind in every mode. Only the target's `server` is
 * pointed at a local cluster (a stack file's host names do not resolve here); the contexts are the stack files'
 * own, in a kubeconfig that maps them to the local clusters.
 *
 * 1-2. Pulumi.staging.yaml (bound token, cluster-wide) and Pulumi.production.yaml (secret token, namespaced with
 *      cluster resources), each its own stack in openshift-gitops on one hub, as the pipelines run them.
 * 3.   The matrix: token kind (the product's default, bound, and secret) x mode (cluster-wide, namespaced,
 *      namespaced + clusterResources, custom rules), eight registrations in one production-kind stack,
 *      previewed with the pack, applied and verified.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { installArgoCdSettings } from "../../dev/argocdSettings";
import {
    addShippedContexts,
    copyShippedStackFile,
    SHIPPED_ARGOCD_NAMESPACE,
    SHIPPED_CONTEXTS,
} from "../../dev/shippedStacks";
import { type PulumiRun, World, worldPerSuite } from "../support/world";

const HUB_NAMESPACE = SHIPPED_ARGOCD_NAMESPACE;

let world: World;

/** The world's kubeconfig plus the contexts the shipped stack files name, on the local clusters. */
function kubeconfigWithShippedContexts(): string {
    const file = path.join(world.workDir, "shipped.kubeconfig");
    addShippedContexts(
        world.plane.kubeconfig,
        {
            [SHIPPED_CONTEXTS.hub]: world.argocd.name,
            [SHIPPED_CONTEXTS.staging]: world.a.name,
            [SHIPPED_CONTEXTS.production]: world.b.name,
        },
        file,
    );
    return file;
}

/** A failed run's errors first (the engine's, then the program's echo of them), then its tail. */
function failure(run: PulumiRun): string {
    const errors = run.output.split("\n").filter((l) => /error|failed|refus/i.test(l) && !/grpc|^\s+at /.test(l));
    return `${errors.slice(0, 40).join("\n")}\n...\n${run.output.slice(-3000)}`;
}

/** What the pipelines run for a stack: the policy-enforced preview with its summary, up, then the health report. */
async function pipeline(
    stack: World,
): Promise<{ preview: PulumiRun; summary: string; up: PulumiRun; verify: PulumiRun }> {
    const out = path.join(stack.workDir, `preview-out-${stack.stack}`);
    const preview = await stack.script("preview", "--out", out);
    assert.equal(preview.code, 0, `scripts/preview --stack ${stack.stack}:\n${failure(preview)}`);
    const summary = fs.readFileSync(path.join(out, `summary-${stack.stack}.md`), "utf8");
    const up = await stack.script("up");
    assert.equal(up.code, 0, `scripts/up --stack ${stack.stack}:\n${failure(up)}`);
    assert.match(
        up.output,
        /Policies:\s*\n\s*✅ argocd-clusters-guardrails@v/,
        "the engine ran the policy pack, which passed",
    );
    const verify = await stack.script("verify", "--json", "--require-reachable");
    assert.equal(verify.code, 0, `scripts/verify --stack ${stack.stack}:\n${failure(verify)}`);
    // Converged: the pipelines' next preview, with the pack, has nothing to do.
    const again = await stack.pulumi("preview", "--expect-no-changes");
    assert.equal(again.code, 0, `preview --expect-no-changes of ${stack.stack}:\n${again.output.slice(-4000)}`);
    return { preview, summary, up, verify };
}

/** The health report's registrations by name, each healthy. */
function healthy(verify: PulumiRun): Record<string, any> {
    const report = JSON.parse(verify.stdout);
    for (const r of report.registrations)
        assert.equal(r.status, "healthy", `${r.name}: ${JSON.stringify(r.checks)} ${JSON.stringify(r.problems ?? [])}`);
    return Object.fromEntries(report.registrations.map((r: any) => [r.name, r]));
}

describe("the shipped stack files and every token kind and mode, through the shipped scripts", {
    timeout: 1_800_000,
}, () => {
    worldPerSuite((started) => {
        world = started;
    }, "staging");

    it("1. Pulumi.staging.yaml as written: a bound token, cluster-wide, previewed with the pack, applied, verified", async () => {
        await world.argocd.admin("POST", "/api/v1/namespaces", { metadata: { name: HUB_NAMESPACE } });
        // OpenShift GitOps's settings: production's least-privilege registration needs resource.respectRBAC.
        await installArgoCdSettings(world.argocd, HUB_NAMESPACE);
        for (const ns of ["shop", "payments"])
            await world.b.admin("POST", "/api/v1/namespaces", { metadata: { name: ns } });
        world.useKubeconfig(kubeconfigWithShippedContexts());
        copyShippedStackFile("staging", world.workDir, world.a.server);

        const { summary, verify } = await pipeline(world);
        assert.match(summary, /`staging`/, summary);
        const staging = healthy(verify).staging;
        assert.ok(staging, `the report lists staging: ${verify.stdout}`);
        assert.equal(staging.token.kind, "bound", JSON.stringify(staging.token));
        const secret = await world.clusterSecret(world.a);
        assert.equal(secret, undefined, "registered in openshift-gitops, not in the world's own argocd namespace");
        const registered = await world.argocd.admin(
            "GET",
            `/api/v1/namespaces/${HUB_NAMESPACE}/secrets?labelSelector=${encodeURIComponent("argocd.argoproj.io/secret-type=cluster")}`,
        );
        assert.deepEqual(
            registered.body.items.map((s: any) => Buffer.from(s.data.name, "base64").toString()),
            ["staging"],
        );
    });

    it("2. Pulumi.production.yaml as written: a secret token, namespaced with cluster resources, beside staging", async () => {
        const production = world.otherStack("production");
        copyShippedStackFile("production", world.workDir, world.b.server);
        const { summary, verify } = await pipeline(production);
        assert.match(summary, /`production`/, summary);
        const report = healthy(verify).production;
        assert.ok(report, `the report lists production: ${verify.stdout}`);
        assert.equal(report.token.kind, "secret", JSON.stringify(report.token));
    });

    it("3. token kind x mode: eight registrations, the product's default kind and secret, previewed with the pack, applied, verified", async () => {
        const matrix = world.otherStack("matrix");
        // Eight servers for three API servers: each registration is its own address (an alias relays to the
        // same API server) and its own ServiceAccount, as the benchmark's fleet does.
        const aliases = await Promise.all(
            [world.a, world.b, world.b, world.a, world.b, world.b, world.c].map(World.alias),
        );
        try {
            const modes = (kind: "default" | "secret", servers: string[]) => {
                const token = kind === "secret" ? { token: { kind: "secret" } } : {};
                const entry = (mode: string, server: string, context: string, rest: Record<string, unknown>) => ({
                    name: `${mode}-${kind}`,
                    server,
                    context,
                    serviceAccount: `argocd-${mode}-${kind}`,
                    ...token,
                    ...rest,
                });
                return [
                    // Cluster-wide, as argocd cluster add: its wildcard rights are an explicit opt-in in production.
                    entry("cluster-wide", servers[0], "target-a", { allowWildcardRbac: true }),
                    entry("namespaced", servers[1], "target-b", { namespaces: ["apps"] }),
                    entry("cluster-resources", servers[2], "target-b", {
                        namespaces: ["monitoring"],
                        clusterResources: true,
                        clusterRules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch"] }],
                    }),
                    entry("rules", servers[3], "target-c", {
                        rules: [
                            { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create"] },
                        ],
                    }),
                ];
            };
            const [a1, b1, b2, a2, b3, b4, c2] = aliases.map((a) => a.server);
            matrix.writeConfig([
                ...modes("default", [a1, b1, b2, world.c.server]),
                ...modes("secret", [a2, b3, b4, c2]),
            ]);
            const { summary, verify } = await pipeline(matrix);
            const report = healthy(verify);
            assert.equal(Object.keys(report).length, 8, verify.stdout);
            for (const [name, r] of Object.entries<any>(report)) {
                // No pinned kind anywhere: entries without `token` get the product's default for a new stack.
                assert.equal(
                    r.token.kind,
                    name.endsWith("-secret") ? "secret" : "bound",
                    `${name}: ${JSON.stringify(r.token)}`,
                );
                assert.match(summary, new RegExp(`\`${name}\``), `the summary names ${name}`);
            }
        } finally {
            for (const alias of aliases) await alias.close();
        }
    });
});
