/**
 * The program's own cost, without engine or clusters: the real index.js under Pulumi mocks (the unit tests'
 * ClusterMocks, whose simulated token controller fills token Secrets), with a generated stack configuration of
 * N cluster-wide registrations and a kubeconfig with N+1 contexts (each with ~1.1 KiB of CA data and a token,
 * like a real one). Run as its own process, one phase per process so neither warms the other up:
 *
 *   node --expose-gc dist/bench/mockProgram.js <load|program> --clusters N [--result FILE]
 *
 * load:    readRawConfig() + loadStack(): validation and kubeconfig resolution.
 * program: loading index.js until every resource has reached the mocks and the stack outputs are resolved.
 *
 * --result receives {ms, syncMs, resources, heapUsedMiB (after a GC), maxRssMiB}.
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { loadStack, readRawConfig } from "../stack/config";
import { ClusterMocks } from "../tests/support/mocks";

/** Resources index.ts registers per cluster-wide registration: component, provider, ServiceAccount, ClusterRole,
 * ClusterRoleBinding, RandomId, token Secret, cluster Secret. Plus the one Argo CD provider. */
const RESOURCES_PER_CLUSTER = 8;

/** The unit tests' mocks, keeping a count instead of every resource, so their own memory does not grow with N. */
class CountingMocks extends ClusterMocks {
    count = 0;
    private waiting?: { target: number; resolve: () => void };

    newResource(args: pulumi.runtime.MockResourceArgs) {
        const result = super.newResource(args);
        this.resources.pop();
        this.count += 1;
        if (this.waiting && this.count >= this.waiting.target) this.waiting.resolve();
        return result;
    }

    until(target: number): Promise<void> {
        if (this.count >= target) return Promise.resolve();
        return new Promise((resolve) => (this.waiting = { target, resolve }));
    }
}

function generate(n: number): { config: Record<string, unknown>; kubeconfig: string } {
    const contexts = ["argocd", ...Array.from({ length: n }, (_, i) => `cluster-${i}`)];
    const ca = randomBytes(800).toString("base64"); // about the size of a real CA certificate's PEM, base64
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-bench-mock-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = path.join(dir, "config");
    fs.writeFileSync(
        kubeconfig,
        yaml.dump({
            apiVersion: "v1",
            kind: "Config",
            clusters: contexts.map((c) => ({
                name: c,
                cluster: { server: `https://api.${c}.bench.example:6443`, "certificate-authority-data": ca },
            })),
            users: contexts.map((c) => ({ name: `${c}-admin`, user: { token: randomBytes(24).toString("hex") } })),
            contexts: contexts.map((c) => ({ name: c, context: { cluster: c, user: `${c}-admin` } })),
            "current-context": "argocd",
        }),
    );
    const config = {
        "pulumi:disable-default-providers": ["kubernetes"],
        "argocd-clusters:argocd": { namespace: "argocd", context: "argocd" },
        // verify: off: the program alone is measured; its check would connect to each (made-up) server.
        "argocd-clusters:clusters": contexts
            .slice(1)
            .map((c) => ({ name: c, server: `https://api.${c}.bench.example:6443`, context: c, verify: "off" })),
    };
    return { config, kubeconfig };
}

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: { clusters: { type: "string" }, result: { type: "string" } },
    });
    const phase = positionals[0];
    const n = Number(values.clusters);
    if (!["load", "program"].includes(phase) || !Number.isInteger(n) || n < 0) {
        console.error("usage: mockProgram.js <load|program> --clusters N [--result FILE]");
        return 2;
    }
    const { config, kubeconfig } = generate(n);
    const mocks = new CountingMocks(false);
    pulumi.runtime.setMocks(mocks, "argocd-clusters", "bench", false, "organization");
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, JSON.stringify(v)])));
    process.env.KUBECONFIG = kubeconfig;

    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    let syncMs: number;
    let resources = 0;
    if (phase === "load") {
        const loaded = loadStack(readRawConfig(), "Pulumi.bench.yaml");
        syncMs = ms();
        if (loaded.settings.clusters.length !== n)
            throw new Error(`loaded ${loaded.settings.clusters.length} clusters, expected ${n}`);
    } else {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const main = require("..") as () => Promise<{ registrations: pulumi.Input<Record<string, unknown>> }>;
        const running = main();
        syncMs = ms();
        const program = await running;
        // Per cluster, plus the Argo CD provider and the StackReference the removal guard reads.
        const expected = RESOURCES_PER_CLUSTER * n + 2;
        const timeout = setTimeout(() => {
            console.error(`only ${mocks.count} of ${expected} resources registered after 600s`);
            process.exit(1);
        }, 600_000);
        await Promise.all([
            mocks.until(expected),
            new Promise((resolve) => pulumi.output(program.registrations).apply(resolve)),
        ]);
        clearTimeout(timeout);
        resources = mocks.count;
    }
    const total = ms();
    (global as { gc?: () => void }).gc?.();
    const result = {
        ms: total,
        syncMs,
        resources,
        heapUsedMiB: process.memoryUsage().heapUsed / 1024 / 1024,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    console.log(
        `${phase} ${n} cluster(s): ${total.toFixed(1)} ms (synchronous part ${syncMs.toFixed(1)} ms), ${resources} resources`,
    );
    if (values.result) fs.writeFileSync(values.result, JSON.stringify(result));
    return 0;
}

main().then(
    // No process.exit: the last registerOutputs calls are still settling, and the Pulumi runtime fails a process
    // that exits with promises pending. The event loop ends by itself once they are done.
    (code) => (process.exitCode = code),
    (err) => {
        console.error(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        process.exit(1);
    },
);
