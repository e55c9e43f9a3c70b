/** The validated shape of a stack's configuration: what the rest of the program works from. */
import { PolicyRule } from "../components/names";

export { ConfigurationError, formatProblems, Problem } from "./problems";

export interface ArgoCDSettings {
    /**
     * Stable name of the Argo CD cluster within the stack: its provider's identity (`clusterIdentifier`
     * `argocd:<name>`). Never derived from a kubeconfig, so two machines that spell the API URL differently
     * still address the same cluster. Default `argocd`.
     */
    name: string;
    /** Namespace Argo CD runs in; cluster Secrets are written there. */
    namespace: string;
    /** kubeconfig context that reaches the Argo CD cluster. */
    context: string;
    /** kubeconfig path or contents; unset means $KUBECONFIG, then ~/.kube/config. */
    kubeconfig?: string;
}

export interface TlsSettings {
    insecure: boolean;
    /** base64 PEM CA bundle; unset means the target's own CA from the token Secret's ca.crt. */
    caData?: string;
    serverName?: string;
}

export interface ClusterSettings {
    /** Argo CD display name (`data.name`). */
    name: string;
    /** API URL as Argo CD reaches it. */
    server: string;
    context: string;
    kubeconfig?: string;
    systemNamespace: string;
    serviceAccount: string;
    /** Set: namespaced mode, a Role per namespace. Unset: cluster-wide mode. */
    namespaces?: string[];
    clusterResources?: boolean;
    /** Rules granted in place of the CLI's full rights (ClusterRole, or each namespace's Role). */
    rules?: PolicyRule[];
    /** Cluster-wide rules granted with `clusterResources: true` in namespaced mode. */
    clusterRules?: PolicyRule[];
    /** Explicit consent to `*` rules cluster-wide, which the policy pack otherwise refuses in production. */
    allowWildcardRbac?: boolean;
    project?: string;
    shard?: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    tls: TlsSettings;
    proxyUrl?: string;
    disableCompression?: boolean;
    tokenRotation: string;
    /**
     * Remove this registration although Argo CD Applications still deploy to it (removalGuard.ts): the entry
     * stays in the stack file, nothing is registered for it, and a warning names the Applications.
     */
    retire?: boolean;
    /**
     * Take over what `argocd cluster add` left for this cluster in one run, and revoke the CLI's token
     * (adoption.ts). A one-time switch: remove it once done.
     */
    adopt?: boolean;
    /** The check before the cluster Secret is written: auto (default), required or off (connectionCheck.ts). */
    verify?: "auto" | "required" | "off";
}

export interface StackSettings {
    argocd: ArgoCDSettings;
    clusters: ClusterSettings[];
}
