/**
 * Reads the stack's configuration, validates it and resolves every kubeconfig, all before any resource is
 * registered. Every problem is collected and thrown at once, so one `pulumi preview` shows them all and
 * nothing is half-created.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../argocd/names";
import { ARGOCD_KEY, CLUSTERS_KEY, TOKEN_KEY } from "./keys";
import { type Environment, KubeconfigReader } from "./kubeconfig";
import { ConfigurationError } from "./problems";
import type { StackSpec, TokenSpec } from "./settings";
import { type RawStackConfig, validateStack } from "./validate";

export interface LoadedStack {
    /** The Argo CD block and every cluster entry, complete, each with the access its context resolved to. */
    settings: StackSpec;
}

/** The project's raw configuration as the Pulumi runtime holds it (structured values are JSON). */
export function readRawConfig(): RawStackConfig {
    const all = pulumi.runtime.allConfig();
    const value = (key: string): unknown => {
        const text = all[key];
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    };
    const projectKeys = Object.keys(all).filter((k) => k.startsWith(`${PROJECT}:`));
    return {
        argocd: value(ARGOCD_KEY),
        clusters: value(CLUSTERS_KEY),
        token: value(TOKEN_KEY),
        projectKeys,
        secretKeys: projectKeys.filter(isConfigSecret),
        stack: pulumi.getStack(),
    };
}

/**
 * Whether Pulumi holds a config key as a secret (the engine passes their names in PULUMI_CONFIG_SECRET_KEYS).
 * The runtime exports `isConfigSecret` without typing it; were it gone, no key counts as secret and inline
 * kubeconfig contents are refused: the check fails closed.
 */
function isConfigSecret(key: string): boolean {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    return typeof runtime.isConfigSecret === "function" && runtime.isConfigSecret(key);
}

/**
 * Validates `raw` into the stack's spec, every kubeconfig context resolved; throws a ConfigurationError naming
 * `stackFile` with every problem.
 */
export function loadStack(
    raw: RawStackConfig,
    stackFile: string,
    env: Environment = process.env,
    /** What an entry gets when neither it nor the stack sets `token` (components/tokenSchedule.ts). */
    absentToken?: TokenSpec,
): LoadedStack {
    const { settings, problems } = validateStack(raw, new KubeconfigReader(env), absentToken);
    if (!settings) throw new ConfigurationError(stackFile, problems);
    return { settings };
}

/** The stack file Pulumi read the configuration from, for error messages. */
export function stackFileName(): string {
    return `Pulumi.${pulumi.getStack()}.yaml`;
}
