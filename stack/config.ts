/**
 * Reads the stack's configuration, validates it and resolves every kubeconfig, all before any resource is
 * registered. Every problem is collected and thrown at once, so one `pulumi preview` shows them all and
 * nothing is half-created.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterAccess, Environment, KubeconfigReader } from "./kubeconfig";
import { PROJECT } from "../components/names";
import { ConfigurationError, Problem } from "./problems";
import { StackSettings } from "./settings";
import { DEFAULT_SERVICE_ACCOUNT, DEFAULT_SYSTEM_NAMESPACE } from "../components/names";
import { ARGOCD_KEY, CLUSTERS_KEY, entryLabel, entryName, normalizeServer, quoteServer, RawStackConfig, validateStack } from "./validate";

export interface LoadedStack {
    settings: StackSettings;
    argocdAccess: ClusterAccess;
    /** Access to each target cluster, in the order of `settings.clusters`. */
    clusterAccess: ClusterAccess[];
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
 * Validates `raw` and resolves kubeconfigs; throws a ConfigurationError naming `stackFile` on any problem.
 * Kubeconfig contexts are checked even when other keys are wrong, so one run reports everything.
 */
export function loadStack(raw: RawStackConfig, stackFile: string, env: Environment = process.env): LoadedStack {
    const { settings, problems } = validateStack(raw);
    const reader = new KubeconfigReader(env);
    const resolve = (keyPath: string, entry: unknown): ClusterAccess | undefined => {
        const { context, kubeconfig } = (entry ?? {}) as { context?: unknown; kubeconfig?: unknown };
        // Malformed context or kubeconfig values are already reported by validation.
        if (typeof context !== "string" || context === "") return undefined;
        if (kubeconfig !== undefined && kubeconfig !== null && typeof kubeconfig !== "string") return undefined;
        const access = reader.access(keyPath, kubeconfig ?? undefined, context);
        if (!Array.isArray(access)) return access;
        problems.push(...access);
        return undefined;
    };
    const argocdAccess = resolve(ARGOCD_KEY, raw.argocd);
    const clusterAccess = Array.isArray(raw.clusters)
        ? raw.clusters.map((entry, i) => resolve(`${CLUSTERS_KEY}[${i}]`, entry))
        : [];
    if (Array.isArray(raw.clusters)) problems.push(...findSharedAccounts(raw.clusters, clusterAccess));
    if (!settings || problems.length > 0 || !argocdAccess) throw new ConfigurationError(stackFile, unique(problems));
    return { settings, argocdAccess, clusterAccess: clusterAccess as ClusterAccess[] };
}

/**
 * Two entries reaching one target cluster (their contexts resolve to one API server, or they name one context
 * of one kubeconfig) with one `systemNamespace/serviceAccount` would both own that ServiceAccount, its rights
 * and its token: each would take over, rotate or delete the other's. Entries with the same `server` are
 * left to validation, which reports them as one server registered twice.
 */
function findSharedAccounts(entries: unknown[], access: (ClusterAccess | undefined)[]): Problem[] {
    const problems: Problem[] = [];
    const field = (i: number, key: string): unknown => (entries[i] as Record<string, unknown> | null)?.[key];
    const text = (value: unknown, fallback: string) => (typeof value === "string" ? value : fallback);
    const account = (i: number) =>
        `${text(field(i, "systemNamespace"), DEFAULT_SYSTEM_NAMESPACE)}/${text(field(i, "serviceAccount"), DEFAULT_SERVICE_ACCOUNT)}`;
    const sameServer = (i: number, j: number) =>
        typeof field(i, "server") === "string" && typeof field(j, "server") === "string" &&
        normalizeServer(field(i, "server") as string) === normalizeServer(field(j, "server") as string);
    for (let j = 0; j < entries.length; j++) {
        const second = access[j];
        if (!second) continue;
        for (let i = 0; i < j; i++) {
            const first = access[i];
            if (!first || account(i) !== account(j) || sameServer(i, j)) continue;
            const sameContext = first.context === second.context && field(i, "kubeconfig") === field(j, "kubeconfig");
            if (!sameContext && normalizeServer(first.server) !== normalizeServer(second.server)) continue;
            // A suggestion that is itself a valid name: the entry's name in DNS-label form, else its index.
            const suffix = text(field(j, "name"), "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || String(j);
            const serviceAccount = text(field(j, "serviceAccount"), DEFAULT_SERVICE_ACCOUNT);
            problems.push({
                path: `${CLUSTERS_KEY}[${j}]`,
                message: `${entryName(entries, j)} and ${entryLabel(entries, i)} manage the same ServiceAccount ${account(j)} on one ` +
                    `cluster: contexts "${second.context}" and "${first.context}" both reach ${quoteServer(normalizeServer(second.server))}`,
                fix: `give one its own serviceAccount (e.g. serviceAccount: ${serviceAccount}-${suffix}), or remove the ` +
                    "duplicate entry: each registration would take over, rotate or delete the other's ServiceAccount, rights and token",
            });
            break;
        }
    }
    return problems;
}

/** The stack file Pulumi read the configuration from, for error messages. */
export function stackFileName(): string {
    return `Pulumi.${pulumi.getStack()}.yaml`;
}

/** Clusters sharing a missing kubeconfig report it once. */
function unique(problems: Problem[]): Problem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const key = `${p.path}\n${p.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}
