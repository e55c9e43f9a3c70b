/**
 * The Argo CD side of a registration as plain data: the cluster Secret's name and contents exactly as Argo CD
 * writes and reads them (util/db/secrets.go, util/db/cluster.go). Pure functions, so they are tested
 * without any engine.
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text` (Go's hash/fnv New32a). */
export function fnv32a(text: string): number {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, "utf8")) {
        hash ^= byte;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash >>> 0;
}

/**
 * The name Argo CD gives the Secret of `server` (URIToSecretName): `cluster-<host>-<fnv32a(server)>`, the host
 * lowercased without its port, an IPv6 address canonicalised with its colons turned into dashes. Matching it
 * means `argocd cluster add` and this program address the same Secret instead of creating a duplicate.
 */
export function clusterSecretName(server: string): string {
    const afterScheme = server.slice(server.indexOf("://") + 3);
    const authority = afterScheme.split(/[/?#]/, 1)[0];
    let host: string;
    if (authority.startsWith("[")) {
        // WHATWG URL canonicalises IPv6 (lowercase, zero-compressed) as Go's netip does.
        host = new URL(server).hostname.slice(1, -1).replace(/:/g, "-");
    } else {
        host = authority.split(":", 1)[0];
    }
    return `cluster-${host.toLowerCase()}-${fnv32a(server)}`;
}

/** `tlsClientConfig` as Argo CD's TLSClientConfig JSON; byte fields are base64 strings. */
export interface TlsClientConfig {
    insecure: boolean;
    serverName?: string;
    caData?: string;
}

/** The `config` key of a cluster Secret (Argo CD's ClusterConfig), restricted to what we write. */
export interface ClusterConfig {
    bearerToken: string;
    tlsClientConfig: TlsClientConfig;
    proxyUrl?: string;
    disableCompression?: boolean;
}

export interface ClusterConfigInput {
    bearerToken: string;
    insecure: boolean;
    caData?: string;
    serverName?: string;
    proxyUrl?: string;
    disableCompression?: boolean;
}

/** Builds the `config` JSON; optional fields appear only when set, as Argo CD's omitempty does. */
export function clusterConfigJson(input: ClusterConfigInput): string {
    const tlsClientConfig: TlsClientConfig = { insecure: input.insecure };
    if (input.serverName) tlsClientConfig.serverName = input.serverName;
    // client-go refuses a CA together with insecure, so an insecure registration carries none.
    if (input.caData && !input.insecure) tlsClientConfig.caData = input.caData;
    const config: ClusterConfig = { bearerToken: input.bearerToken, tlsClientConfig };
    if (input.proxyUrl) config.proxyUrl = input.proxyUrl;
    if (input.disableCompression !== undefined) config.disableCompression = input.disableCompression;
    return JSON.stringify(config);
}

export interface ClusterSecretDataInput {
    name: string;
    server: string;
    config: string;
    namespaces?: string[];
    clusterResources?: boolean;
    project?: string;
    shard?: number;
}

/**
 * The Secret's string data. `namespaces` is comma-joined; `clusterResources` only means something in namespaced
 * mode and Argo CD honours it only when it is exactly "true".
 */
export function clusterSecretData(input: ClusterSecretDataInput): Record<string, string> {
    const data: Record<string, string> = { name: input.name, server: input.server, config: input.config };
    if (input.namespaces && input.namespaces.length > 0) {
        data.namespaces = input.namespaces.join(",");
        if (input.clusterResources !== undefined) data.clusterResources = String(input.clusterResources);
    }
    if (input.project) data.project = input.project;
    if (input.shard !== undefined) data.shard = String(input.shard);
    return data;
}

/**
 * The bearer token from a service-account-token Secret's `data`: base64 there, plain in Argo CD's config.
 * An empty token means the token controller has not filled the Secret; registering that would give Argo CD
 * anonymous access, so it is an error naming the cluster.
 */
export function decodeToken(data: Record<string, string> | undefined, cluster: string, secret: string): string {
    const encoded = data?.token;
    if (!encoded) {
        throw new Error(
            `failed to read the token of cluster "${cluster}": Secret "${secret}" has no data.token yet; ` +
                "the target's kube-controller-manager fills it (its service-account token controller must run). " +
                "Run `pulumi up` again once it does.",
        );
    }
    return Buffer.from(encoded, "base64").toString("utf8");
}
