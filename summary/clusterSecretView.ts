/**
 * A cluster Secret as the preview shows it, one side (before or after) at a time: Argo CD's name, server,
 * namespaces and clusterResources from its data, its labels, and the TLS part of its connection `config`
 * (read as Argo CD reads it, through policy/argocdConfig.ts),
 * whenever those are readable (a real preview hides the whole of stringData; hand-built input may not).
 */
import { parseClusterConfig } from "../policy/argocdConfig";
import { asObject, at, type Obj, plainBoolean, plainString, plainStringMap } from "./engineValues";
import type { ResourceState } from "./previewDigest";

export interface Tls {
    insecure: boolean;
    serverName?: string;
    /** Kept only to compare old with new; never printed. */
    caData?: string;
}

/** One side (before or after) of a cluster Secret, from whatever is readable. */
export interface SecretView {
    name?: string;
    server?: string;
    labels?: Record<string, string>;
    tls?: Tls;
    namespaces?: string[];
    clusterResources?: boolean;
}

export function secretView(state: ResourceState | undefined): SecretView {
    if (!state) return {};
    const inputs = state.inputs ?? {};
    // The provider's Check turns stringData into base64 `data`; only a Secret still unknown keeps stringData.
    const data = asObject(inputs.stringData) ?? decodeData(asObject(inputs.data));
    return {
        name: plainString(data?.name),
        server: plainString(data?.server),
        labels: plainStringMap(at(inputs, "metadata", "labels")),
        tls: tlsOfConfig(plainString(data?.config)),
        namespaces: plainString(data?.namespaces)
            ?.split(",")
            .filter((ns) => ns !== ""),
        clusterResources: plainBoolean(data?.clusterResources),
    };
}

function decodeData(data: Obj | undefined): Obj | undefined {
    if (!data) return undefined;
    return Object.fromEntries(
        Object.entries(data).map(([k, v]) => {
            const encoded = plainString(v);
            return [k, encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8")];
        }),
    );
}

/**
 * tlsClientConfig from a readable `config`, decoded as Argo CD decodes it (policy/argocdConfig.ts, Go's
 * encoding/json: `Insecure` is `insecure`, the last duplicate wins), so the summary sees the TLS Argo CD will
 * use and the policy pack judges; only what is TLS, never the token. Undefined when Argo CD cannot read it.
 */
function tlsOfConfig(config: string | undefined): Tls | undefined {
    if (config === undefined) return undefined;
    const parsed = parseClusterConfig(config);
    const tls = typeof parsed === "string" ? undefined : parsed.tlsClientConfig;
    if (!tls) return undefined;
    return { insecure: tls.insecure, serverName: plainString(tls.serverName), caData: plainString(tls.caData) };
}
