/**
 * The stack file's keys, each listed once. Validation's allowed-keys and "present without a value" checks read
 * these tables; the spec types (settings.ts) pick exactly their keys, so a key added to one and not the other
 * fails the build; and tests/unit/stack/keys.test.ts holds docs/configuration.md's tables to them. Order
 * matters: messages list known keys, and suggest a close one, in this order.
 */
import {
    DEFAULT_ARGOCD_NAME,
    DEFAULT_ARGOCD_NAMESPACE,
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SYSTEM_NAMESPACE,
    PROJECT,
} from "../argocd/names";

/**
 * One key of an object in the stack file. `ifNull` is the fix for the key present without a value: YAML reads
 * a key whose every item is commented out as null, and read as "unset", `namespaces:`, `rules:` or
 * `clusterRules:` would silently grant the CLI's full rights cluster-wide, any other optional key would
 * silently take its default; so a present null is an error for every optional key, and the fix says what
 * removing it means. Without `ifNull` the key's own check reports it ("is required"). `keys`: a nested object's.
 */
export interface KeyInfo {
    ifNull?: string;
    keys?: KeyTable;
}

export type KeyTable = Readonly<Record<string, KeyInfo>>;

export const ARGOCD_KEY = `${PROJECT}:argocd`;
export const CLUSTERS_KEY = `${PROJECT}:clusters`;
/** The stack-wide default of every entry's `token`. */
export const TOKEN_KEY = `${PROJECT}:token`;
export const PROJECT_KEYS = [ARGOCD_KEY, CLUSTERS_KEY, TOKEN_KEY];

const VALUE_OR_DEFAULT = "give a value, or remove the key for the default";
const BOOLEAN_OR_DEFAULT = "write true or false, or remove the key for the default (false)";
const KUBECONFIG_OR_DEFAULT =
    "give a kubeconfig path or its contents, or remove the key to use $KUBECONFIG, then ~/.kube/config";

export const TLS_KEYS = {
    insecure: { ifNull: BOOLEAN_OR_DEFAULT },
    caData: { ifNull: VALUE_OR_DEFAULT },
    serverName: { ifNull: VALUE_OR_DEFAULT },
} as const satisfies KeyTable;

/** apiGroups and verbs have no `ifNull`: their absence is reported as required where it matters. */
export const RULE_KEYS = {
    apiGroups: {},
    resources: { ifNull: "list at least one resource, or remove the key" },
    resourceNames: { ifNull: "list at least one name, or remove the key to grant every name" },
    nonResourceURLs: { ifNull: "list at least one URL, or remove the key" },
    verbs: {},
} as const satisfies KeyTable;

/** The token Argo CD holds: `argocd-clusters:token` (stack-wide), or an entry's `token` (replaces it whole). */
export const TOKEN_KEYS = {
    kind: {},
    rotateEvery: { ifNull: "give a duration, e.g. 720h, or remove the key for no automatic rotation" },
    lifetime: { ifNull: "give the bound token's lifetime, e.g. 720h" },
    renewBefore: { ifNull: "give how long before expiry an up renews the bound token, e.g. 168h" },
} as const satisfies KeyTable;

export const ARGOCD_KEYS = {
    name: { ifNull: `give a name, or remove the key for the default ${DEFAULT_ARGOCD_NAME}` },
    namespace: { ifNull: `give Argo CD's namespace, or remove the key for the default ${DEFAULT_ARGOCD_NAMESPACE}` },
    context: {},
    kubeconfig: { ifNull: KUBECONFIG_OR_DEFAULT },
} as const satisfies KeyTable;

/** The keys of one `argocd-clusters:clusters` entry. */
export const CLUSTER_KEYS = {
    name: {},
    server: {},
    context: {},
    kubeconfig: { ifNull: KUBECONFIG_OR_DEFAULT },
    systemNamespace: { ifNull: `give a namespace, or remove the key for the default ${DEFAULT_SYSTEM_NAMESPACE}` },
    serviceAccount: { ifNull: `give a name, or remove the key for the default ${DEFAULT_SERVICE_ACCOUNT}` },
    namespaces: { ifNull: "list at least one namespace, or remove the key for cluster-wide mode" },
    clusterResources: { ifNull: BOOLEAN_OR_DEFAULT },
    rules: { ifNull: "list at least one rule, or remove the key for the default rights (the CLI's full rights)" },
    clusterRules: { ifNull: "list at least one cluster-wide rule, or remove clusterRules and clusterResources" },
    allowWildcardRbac: { ifNull: BOOLEAN_OR_DEFAULT },
    project: { ifNull: "give an AppProject name, or remove the key" },
    shard: { ifNull: "give the application-controller shard number, or remove the key" },
    labels: { ifNull: "write at least one key: value, or remove the key" },
    annotations: { ifNull: "write at least one key: value, or remove the key" },
    tls: {
        ifNull: "set insecure, caData or serverName, or remove tls to verify TLS with the target's own CA",
        keys: TLS_KEYS,
    },
    proxyUrl: { ifNull: "give the proxy URL, or remove the key for a direct connection" },
    disableCompression: { ifNull: BOOLEAN_OR_DEFAULT },
    token: {
        ifNull: `write e.g. {kind: bound, lifetime: 720h, renewBefore: 168h}, or remove the key for ${TOKEN_KEY}'s default`,
        keys: TOKEN_KEYS,
    },
    tokenRotation: { ifNull: 'give a value, e.g. tokenRotation: "2026-11", or remove the key' },
    adopt: { ifNull: BOOLEAN_OR_DEFAULT },
    revokeCliToken: {
        ifNull: "give the name of the CLI's token Secret to delete, e.g. argocd-manager-long-lived-token, or remove the key to leave it",
    },
    retire: { ifNull: BOOLEAN_OR_DEFAULT },
    nameMovedFrom: { ifNull: "give the server this entry's name pointed to before, or remove the key" },
    customVerbs: { ifNull: "list the verbs of your aggregated APIs or webhooks that rules may use, or remove the key" },
    verify: { ifNull: "write auto, required or off, or remove the key for auto" },
} as const satisfies KeyTable;

export type ArgoCDKey = keyof typeof ARGOCD_KEYS;
export type ClusterKey = keyof typeof CLUSTER_KEYS;
export type TlsKey = keyof typeof TLS_KEYS;
export type TokenKey = keyof typeof TOKEN_KEYS;

/** The table's keys as documentation lists them: a nested object by its own keys, e.g. `tls.caData`. */
export function keyPaths(table: KeyTable): string[] {
    return Object.entries(table).flatMap(([key, info]) =>
        info.keys ? keyPaths(info.keys).map((k) => `${key}.${k}`) : [key],
    );
}
