/**
 * The stack's cluster Secrets on the Argo CD cluster, decoded as Argo CD decodes them (util/db
 * SecretToCluster: `server` without trailing slashes, `namespaces` split on commas and trimmed,
 * `clusterResources` only when exactly "true", `config` through Go's encoding/json, policy/argocdConfig.ts).
 * Which Secrets are the stack's: Argo CD's cluster label, and the program's ownership annotation
 * `argocd-clusters/stack: <project>/<stack>`.
 */

import { SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL, STACK_ANNOTATION } from "../argocd/names";
import { argocdServerKey } from "../argocd/serverKey";
import type { ArgoConnection } from "../components/connectionCheck";
import { clientNode, kubeConfigOf, statusOf } from "../components/kubeClient";
import { parseClusterConfig } from "../policy/argocdConfig";
import type { ClusterAccess } from "../stack/kubeconfig";

/** A cluster Secret as read from the API: its metadata and its base64 `data`. */
export interface SecretObject {
    metadata?: {
        name?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
    };
    data?: Record<string, string>;
}

export interface DecodedClusterSecret {
    secretName: string;
    /** `data.name`: the cluster's name in Argo CD. */
    name: string;
    server: string;
    namespaces: string[];
    clusterResources: boolean;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    /** How Argo CD connects; undefined with `problem` when Argo CD could not use the Secret's config. */
    connection?: ArgoConnection;
    /** Why Argo CD cannot connect with this Secret at all; never quotes `config`, which holds the token. */
    problem?: string;
}

/** Why the Secrets could not be listed: the report cannot be made (exit 2). */
export class ListError extends Error {}

/** Lists the cluster Secrets in `namespace` that carry `stackMark` (the ownership annotation's value). */
export async function listStackSecrets(
    access: ClusterAccess,
    namespace: string,
    stackMark: string,
): Promise<{ ours: SecretObject[]; others: SecretObject[] }> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    let items: SecretObject[];
    try {
        items = (
            await core.listNamespacedSecret({ namespace, labelSelector: `${SECRET_TYPE_LABEL}=${SECRET_TYPE_CLUSTER}` })
        ).items as SecretObject[];
    } catch (err) {
        const status = statusOf(err);
        // Only the status: the client's error text carries the whole response, never needed here.
        const what =
            status === undefined
                ? `no answer (${(err as NodeJS.ErrnoException).code ?? (err as Error).message?.split("\n")[0]})`
                : `HTTP ${status}`;
        const fix =
            status === 403
                ? `the identity of context "${access.context}" needs list on Secrets in ${namespace} (the deploy kubeconfig has it; the previewer's does not)`
                : `check that context "${access.context}" reaches the Argo CD cluster`;
        throw new ListError(
            `cannot list the cluster Secrets in ${namespace} on the Argo CD cluster (context "${access.context}"): ${what}. fix: ${fix}`,
        );
    }
    const ours = items.filter((s) => s.metadata?.annotations?.[STACK_ANNOTATION] === stackMark);
    return { ours, others: items.filter((s) => !ours.includes(s)) };
}

function field(secret: SecretObject, key: string): string | undefined {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

/** The Secret's `server` as Argo CD reads it (SecretToCluster: its key, argocd/serverKey.ts). */
export function serverOf(secret: SecretObject): string {
    return argocdServerKey(field(secret, "server") ?? "");
}

/** Decodes one cluster Secret as Argo CD does. Never throws. */
export function decodeClusterSecret(secret: SecretObject): DecodedClusterSecret {
    const namespaces = (field(secret, "namespaces") ?? "")
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "");
    const decoded: DecodedClusterSecret = {
        secretName: secret.metadata?.name ?? "",
        name: field(secret, "name") ?? "",
        server: serverOf(secret),
        namespaces,
        clusterResources: field(secret, "clusterResources") === "true",
        labels: secret.metadata?.labels ?? {},
        annotations: secret.metadata?.annotations ?? {},
    };
    if (decoded.server === "") return { ...decoded, problem: "its Secret has no server" };
    const text = field(secret, "config");
    if (text === undefined) return { ...decoded, problem: "its Secret has no config" };
    const config = parseClusterConfig(text);
    if (typeof config === "string") return { ...decoded, problem: `its Secret's config ${config}` };
    if (!config.bearerToken) {
        // The program always writes a bearer token; without one Argo CD connects with whatever else the config
        // holds, or anonymously, which this report cannot stand in for.
        return { ...decoded, problem: "its Secret's config holds no bearer token" };
    }
    const tls = config.tlsClientConfig ?? { insecure: false };
    decoded.connection = {
        server: decoded.server,
        bearerToken: config.bearerToken,
        caData: tls.caData,
        insecure: tls.insecure,
        serverName: tls.serverName,
        proxyUrl: config.proxyUrl,
    };
    return decoded;
}
