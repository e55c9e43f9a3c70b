/**
 * Runs the real program (index.ts) under mocks with a stack file's configuration and a kubeconfig holding the
 * contexts the stack names, as `pulumi up` would run it. One program run per test file: Node's test runner
 * gives each file its own process.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { ConfigurationError } from "../../stack/settings";
import type { FakeApi } from "./fakeApi";
import { type ClusterMocks, installMocks, resolvedValue } from "./mocks";

export const ROOT = path.resolve(__dirname, "..", "..", "..");

/** The `config:` block of a stack file, as the Pulumi runtime receives it (structured values as JSON). */
export function stackConfig(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    return doc.config;
}

/** A kubeconfig with one context per name, each its own cluster and user. */
export function writeKubeconfig(contexts: string[], first?: FakeApi): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-unit-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "config");
    fs.writeFileSync(
        file,
        yaml.dump({
            apiVersion: "v1",
            kind: "Config",
            // Loopback ports nothing listens on: a unit test never reaches a network. What the program itself asks
            // the Argo CD cluster (argocd-cm, Applications) is refused at once and proven end to end instead, unless
            // the first context (the Argo CD cluster's) is a loopback stand-in (`first`, tests/support/fakeApi.ts).
            clusters: contexts.map((_, i) => ({
                name: `cluster-${i}`,
                cluster:
                    i === 0 && first
                        ? { server: first.server, "certificate-authority-data": first.caData }
                        : { server: `https://127.0.0.1:${i + 1}` },
            })),
            users: contexts.map((_, i) => ({
                name: `user-${i}`,
                user: { token: i === 0 && first ? first.token : `kubeconfig-token-${i}` },
            })),
            contexts: contexts.map((c, i) => ({ name: c, context: { cluster: `cluster-${i}`, user: `user-${i}` } })),
        }),
    );
    return file;
}

export interface ProgramRun {
    mocks: ClusterMocks;
    /** The program's stack outputs, or the error it threw. */
    result: Promise<{ outputs: Record<string, any>; exports: Record<string, any> } | { error: Error }>;
}

/** Loads index.ts for `stack` with `config` (default: the stack file's) under mocks. */
export function runProgram(
    stack: string,
    options: {
        config?: Record<string, unknown>;
        contexts?: string[];
        preview?: boolean;
        /** The Argo CD cluster's stand-in, for a real up that must read argocd-cm (respectRbac.ts). */
        argocd?: Promise<FakeApi>;
    } = {},
): ProgramRun {
    const config = withoutVerification(options.config ?? stackConfig(stack));
    const mocks = installMocks(stack, options.preview ?? false);
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    );
    const contexts = options.contexts ?? contextsIn(config);
    if (!options.argocd) process.env.KUBECONFIG = writeKubeconfig(contexts);
    const result = (async () => {
        try {
            if (options.argocd) process.env.KUBECONFIG = writeKubeconfig(contexts, await options.argocd);
            const program = await (await import("../..")).default();
            const outputs = {
                registrations: await resolvedValue(pulumi.output(program.registrations)),
                argocdNamespace: program.argocdNamespace,
            };
            // Let the last registrations reach the mocks.
            await new Promise((resolve) => setTimeout(resolve, 50));
            return { outputs, exports: program };
        } catch (error) {
            return { error: error as Error };
        }
    })();
    return { mocks, result };
}

/** Every entry with `verify: off`: the check connects to each server, which a unit test must not. */
function withoutVerification(config: Record<string, unknown>): Record<string, unknown> {
    const clusters = config["argocd-clusters:clusters"];
    if (!Array.isArray(clusters)) return config;
    return {
        ...config,
        "argocd-clusters:clusters": clusters.map((c) =>
            c && typeof c === "object" && !("verify" in c) ? { ...c, verify: "off" } : c,
        ),
    };
}

function contextsIn(config: Record<string, unknown>): string[] {
    const argocd = config["argocd-clusters:argocd"] as { context?: string } | undefined;
    const clusters = (config["argocd-clusters:clusters"] ?? []) as { context?: string }[];
    return [argocd?.context, ...clusters.map((c) => c.context)].filter((c): c is string => typeof c === "string");
}

/**
 * Asserts that the run was refused by the stack's checks before anything was registered (the only resources are the
 * stack's read of its own outputs and its deployment identity, which write nothing on any cluster) and returns the
 * refusal, for the caller's checks of its problems. `why` says what the run did before the fix.
 */
export async function refusedBeforeRegistering(run: ProgramRun, why: string): Promise<ConfigurationError> {
    const result = await run.result;
    assert.ok("error" in result, `the up must fail: ${why}`);
    assert.ok(result.error instanceof ConfigurationError, String(result.error));
    assert.deepEqual(
        run.mocks.resources.map((r) => r.type),
        ["pulumi:pulumi:StackReference", "random:index/randomId:RandomId"],
        "nothing may be registered",
    );
    return result.error;
}
