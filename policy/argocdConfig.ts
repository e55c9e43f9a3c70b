/**
 * A cluster Secret's `config` as Argo CD reads it: Go's json.Unmarshal into its ClusterConfig struct
 * (pkg/apis/application/v1alpha1 ClusterConfig and TLSClientConfig). The policy pack and the registration
 * summary both judge `config` through this, so `{"tlsClientConfig":{"Insecure":true}}` is insecure to them
 * exactly as it is to Argo CD.
 */
import { type FieldKind, goFields, type JsonValue, OrderedObject, parseOrderedJson } from "./goJson";

/** ClusterConfig's JSON fields and how Go decodes each. */
const CLUSTER_CONFIG_FIELDS: Record<string, FieldKind> = {
    username: "string",
    password: "string",
    bearerToken: "string",
    tlsClientConfig: "struct",
    awsAuthConfig: "pointer",
    execProviderConfig: "pointer",
    disableCompression: "bool",
    proxyUrl: "string",
};

/** TLSClientConfig's JSON fields; the byte slices are base64 strings in JSON. */
const TLS_CLIENT_CONFIG_FIELDS: Record<string, FieldKind> = {
    insecure: "bool",
    serverName: "string",
    certData: "string",
    keyData: "string",
    caData: "string",
};

export interface TlsClientConfig {
    insecure: boolean;
    serverName?: string;
    certData?: string;
    keyData?: string;
    caData?: string;
}

/** What Argo CD ends up with; `tlsClientConfig` is undefined when the key is absent. */
export interface ClusterConfig {
    username?: string;
    password?: string;
    bearerToken?: string;
    tlsClientConfig?: TlsClientConfig;
    awsAuthConfig?: boolean;
    execProviderConfig?: boolean;
    disableCompression?: boolean;
    proxyUrl?: string;
}

/**
 * Decodes `config` as Argo CD does. A string result says why Argo CD cannot use it; it never quotes the text,
 * which holds the token.
 */
export function parseClusterConfig(text: string): ClusterConfig | string {
    let parsed: JsonValue;
    try {
        parsed = parseOrderedJson(text);
    } catch {
        return "is not JSON";
    }
    if (!(parsed instanceof OrderedObject)) return "is not a JSON object";
    const top = goFields(parsed, CLUSTER_CONFIG_FIELDS);
    const tls =
        top.fields.tlsClientConfig instanceof OrderedObject
            ? goFields(top.fields.tlsClientConfig, TLS_CLIENT_CONFIG_FIELDS)
            : undefined;
    const typeErrors = [...top.typeErrors, ...(tls?.typeErrors ?? []).map((e) => `tlsClientConfig.${e}`)];
    if (typeErrors.length > 0) return `has values Argo CD cannot read (${typeErrors.join("; ")})`;
    const text_ = (v: JsonValue | undefined) => (typeof v === "string" ? v : undefined);
    const config: ClusterConfig = {
        username: text_(top.fields.username),
        password: text_(top.fields.password),
        bearerToken: text_(top.fields.bearerToken),
        awsAuthConfig: top.fields.awsAuthConfig instanceof OrderedObject || undefined,
        execProviderConfig: top.fields.execProviderConfig instanceof OrderedObject || undefined,
        disableCompression:
            typeof top.fields.disableCompression === "boolean" ? top.fields.disableCompression : undefined,
        proxyUrl: text_(top.fields.proxyUrl),
    };
    if (tls) {
        config.tlsClientConfig = {
            insecure: tls.fields.insecure === true,
            serverName: text_(tls.fields.serverName),
            certData: text_(tls.fields.certData),
            keyData: text_(tls.fields.keyData),
            caData: text_(tls.fields.caData),
        };
    }
    return config;
}
