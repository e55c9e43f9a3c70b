/**
 * The clusters as the stack sees them, keyed by cluster Secret name: the ones its config asks for
 * (`<project>:clusters` in the preview's config, the only plain source for a new cluster) and the ones the
 * last `up` registered (the stack output `registrations`, the plain source for a removed one).
 */
import { clusterSecretName } from "../argocd/clusterSecret";
import { DEFAULT_SYSTEM_NAMESPACE } from "../argocd/names";
import { asObject, at, plainBoolean, plainString, plainStringMap } from "./engineValues";
import type { PreviewDigest, PreviewStep } from "./previewDigest";

/** A cluster as the stack's config wants it (`<project>:clusters`), the only plain source for new clusters. */
export interface DesiredCluster {
    name?: string;
    server: string;
    labels?: Record<string, string>;
    insecure: boolean;
    serverName?: string;
    ownCa: boolean;
    /** `adopt: true`: takes over what `argocd cluster add` left. */
    adopt: boolean;
    /** With adopt: the CLI's token Secret to delete, which revokes the CLI's token, and its namespace. */
    revokeCliToken?: string;
    systemNamespace: string;
    /** `retire: true`: removed although Applications may still deploy to it. */
    retire: boolean;
    /** The server the entry's name pointed to before: Applications by that name follow it here. */
    nameMovedFrom?: string;
}

export function desiredClusters(digest: PreviewDigest, project: string): Map<string, DesiredCluster> {
    const result = new Map<string, DesiredCluster>();
    const raw = digest.config?.[`${project}:clusters`];
    let list: unknown;
    try {
        list = typeof raw === "string" ? JSON.parse(raw) : raw;
    } catch {
        return result;
    }
    if (!Array.isArray(list)) return result;
    for (const entry of list) {
        const server = plainString(at(entry, "server"));
        if (server === undefined) continue;
        const secretName = secretNameOf(server);
        if (secretName === undefined) continue;
        result.set(secretName, {
            name: plainString(at(entry, "name")),
            server,
            labels: plainStringMap(at(entry, "labels")),
            insecure: plainBoolean(at(entry, "tls", "insecure")) === true,
            serverName: plainString(at(entry, "tls", "serverName")),
            ownCa: at(entry, "tls", "caData") !== undefined,
            adopt: plainBoolean(at(entry, "adopt")) === true,
            revokeCliToken: plainString(at(entry, "revokeCliToken")),
            systemNamespace: plainString(at(entry, "systemNamespace")) ?? DEFAULT_SYSTEM_NAMESPACE,
            retire: plainBoolean(at(entry, "retire")) === true,
            nameMovedFrom: plainString(at(entry, "nameMovedFrom")),
        });
    }
    return result;
}

/** The cluster Secret's name for a server, or undefined for one Argo CD could not parse (validation refuses it). */
function secretNameOf(server: string): string | undefined {
    try {
        return clusterSecretName(server);
    } catch {
        return undefined;
    }
}

/** A cluster the last `up` registered: its name in Argo CD and its server. */
export interface RegisteredCluster {
    name: string;
    server?: string;
}

/** The last `up`'s stack output `registrations` (index.ts): Argo CD name and server per cluster Secret name. */
export function registeredClusters(root: PreviewStep | undefined): Map<string, RegisteredCluster> {
    const result = new Map<string, RegisteredCluster>();
    for (const state of [root?.newState, root?.oldState]) {
        const registrations = asObject(at(state, "outputs", "registrations"));
        for (const [name, value] of Object.entries(registrations ?? {})) {
            const server = plainString(at(value, "server"));
            const secretName = plainString(at(value, "secretName")) ?? (server ? secretNameOf(server) : undefined);
            if (secretName && !result.has(secretName)) result.set(secretName, { name, server });
        }
    }
    return result;
}

/** Everything the summary knows about the stack's clusters besides the steps. */
export interface Sources {
    desired: Map<string, DesiredCluster>;
    registered: Map<string, RegisteredCluster>;
}
