/**
 * The registration spec: the shape every stack-file entry has once validation (validate.ts) has checked it,
 * filled every default and resolved its kubeconfig context. It flows unchanged from loadStack through index.ts
 * to the ClusterRegistration component, which applies no default of its own. The types pick exactly the keys
 * of keys.ts's tables: a key added to a table and not here, or the other way round, fails the build.
 */
import type { PolicyRule } from "../argocd/names";
import type { ArgoCDKey, ClusterKey, TlsKey, TokenKey } from "./keys";
import type { ClusterAccess } from "./kubeconfig";

export { ConfigurationError, formatProblems, Problem } from "./problems";

export const VERIFY_MODES = ["auto", "required", "off"] as const;
/** The check before the cluster Secret is written (connectionCheck.ts). */
export type VerifyMode = (typeof VERIFY_MODES)[number];

/** One value type per key of TLS_KEYS. */
interface TlsValues {
    /** Skip TLS verification; exclusive with caData. */
    insecure: boolean;
    /**
     * base64 PEM CA bundle. Unset: the kubeconfig's CA when it reaches the target at `server` itself, else the
     * target's own CA from the token Secret's ca.crt (the component's caFor).
     */
    caData?: string;
    /** Host name to verify the server certificate against, when it differs from the URL's. */
    serverName?: string;
}

export type TlsSpec = Pick<TlsValues, TlsKey>;

export const TOKEN_KINDS = ["secret", "bound"] as const;

/** One value type per key of TOKEN_KEYS. */
interface TokenValues {
    /**
     * `secret`: a service-account-token Secret, which never expires by itself. `bound`: a time-bound token from
     * the TokenRequest API (components/boundToken.ts), renewed by the first `up` inside its renewal window.
     */
    kind: (typeof TOKEN_KINDS)[number];
    /**
     * Secret kind: how long a token is used before an `up` replaces it, as written (720h) and in milliseconds.
     * Unset: only a new `tokenRotation` replaces it, as before this key existed.
     */
    rotateEvery?: Duration;
    /** Bound kind (always set there): the token's lifetime, its TokenRequest's expirationSeconds. */
    lifetime?: Duration;
    /** Bound kind (always set there): the first `up` this long before the token expires, or later, renews it. */
    renewBefore?: Duration;
}

/** A duration as the stack file wrote it and in milliseconds. */
export interface Duration {
    text: string;
    ms: number;
}

export type TokenSpec = Pick<TokenValues, TokenKey>;

/** One value type per key of ARGOCD_KEYS. */
interface ArgoCDValues {
    /**
     * Stable name of the Argo CD cluster within the stack: its provider's identity (`clusterIdentifier`
     * `argocd:<name>`). Never derived from a kubeconfig, so two machines that spell the API URL differently
     * still address the same cluster.
     */
    name: string;
    /** Namespace Argo CD runs in; cluster Secrets are written there. */
    namespace: string;
    /** kubeconfig context that reaches the Argo CD cluster. */
    context: string;
    /** kubeconfig path or contents; unset means $KUBECONFIG, then ~/.kube/config. */
    kubeconfig?: string;
}

export interface ArgoCDSpec extends Pick<ArgoCDValues, ArgoCDKey> {
    /** `context` resolved in `kubeconfig`: what the Argo CD cluster's provider and direct API calls use. */
    access: ClusterAccess;
}

/** One value type per key of CLUSTER_KEYS. Unset (`?`) only where unset means something no value says. */
interface ClusterValues {
    /** Argo CD display name (`data.name`), as Applications' `destination.name` refers to it. */
    name: string;
    /** API URL as Argo CD reaches it; names the cluster Secret and identifies the registration. */
    server: string;
    /** kubeconfig context Pulumi creates the RBAC on the target with. */
    context: string;
    /** kubeconfig path or contents; unset means $KUBECONFIG, then ~/.kube/config. */
    kubeconfig?: string;
    /** Namespace of the ServiceAccount and its token on the target. */
    systemNamespace: string;
    /** ServiceAccount name; roles are named after it. */
    serviceAccount: string;
    /** Set: namespaced mode, a Role per namespace. Unset: cluster-wide mode. */
    namespaces?: string[];
    /** Namespaced mode only: the Secret's `clusterResources`, written only when set. */
    clusterResources?: boolean;
    /** The rights granted: the ClusterRole's, or each namespace's Role's (the CLI's full rights unless given). */
    rules: PolicyRule[];
    /** Cluster-wide rules granted with `clusterResources: true` in namespaced mode. */
    clusterRules?: PolicyRule[];
    /** Verbs of the cluster's own APIs that `rules` and `clusterRules` may use. */
    customVerbs: string[];
    /** Explicit consent to `*` rules cluster-wide, which the policy pack otherwise refuses in production. */
    allowWildcardRbac: boolean;
    /** AppProject the cluster belongs to (Secret key `project`). */
    project?: string;
    /** Application-controller shard (Secret key `shard`). */
    shard?: number;
    /** On the cluster Secret, with the program's own; ApplicationSet cluster generators select on them. */
    labels: Record<string, string>;
    annotations: Record<string, string>;
    tls: TlsSpec;
    /** Proxy Argo CD reaches the API server through (config `proxyUrl`). */
    proxyUrl?: string;
    /** Config `disableCompression`, written only when set. */
    disableCompression?: boolean;
    /** The entry's `token`, else the stack-wide `argocd-clusters:token`, else `{kind: secret}`. */
    token: TokenSpec;
    /** Any new value issues a new token and retires the old one. */
    tokenRotation: string;
    /**
     * Take over what `argocd cluster add` left for this cluster in one run (adoption.ts): its ServiceAccount,
     * role and binding, and its cluster Secret in place. The CLI's token stays valid unless revokeCliToken
     * names it. A one-time switch: remove it once done.
     */
    adopt: boolean;
    /**
     * With adopt: the name of the CLI's token Secret in systemNamespace to delete once the cluster Secret holds
     * our token, which revokes the CLI's token for everyone who holds it (another Argo CD may).
     */
    revokeCliToken?: string;
    /**
     * Remove this registration although Argo CD Applications still deploy to it (removalGuard.ts): the entry
     * stays in the stack file, nothing is registered for it, and a warning names the Applications.
     */
    retire: boolean;
    /**
     * The server this entry's name pointed to at the last `up`: Applications that deploy by that name may follow
     * it to this entry's server (removalGuard.ts), which otherwise refuses a name that changes its server.
     */
    nameMovedFrom?: string;
    /** The check before the cluster Secret is written: auto, required or off (connectionCheck.ts). */
    verify: VerifyMode;
}

/** One `argocd-clusters:clusters` entry, complete, with the access its context resolved to. */
export interface ClusterSpec extends Pick<ClusterValues, ClusterKey> {
    /** `context` resolved in `kubeconfig`: what the target's provider and direct API calls use. */
    access: ClusterAccess;
}

export interface StackSpec {
    argocd: ArgoCDSpec;
    clusters: ClusterSpec[];
}

/** The keys validation fills that code reading an entry may do without. */
type FilledKeys = "access" | "rules" | "customVerbs" | "allowWildcardRbac" | "token" | "adopt" | "retire" | "verify";

/**
 * An entry as the removal guard, the respectRBAC check and the health report read it. Every ClusterSpec is
 * one; the keys validation fills are optional here only so that their tests can write entries by hand.
 */
export type ClusterSettings = Omit<ClusterSpec, FilledKeys> & Partial<Pick<ClusterSpec, FilledKeys>>;
