/**
 * One explicit kubernetes provider per cluster. Stacks disable the default provider, so a resource that forgot
 * its provider fails instead of writing to whatever cluster the ambient kubeconfig points at.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess } from "../stack/kubeconfig";

/**
 * Go runtime settings for the provider processes alone (N+1 of them on one runner), not for the Pulumi CLI: the
 * engine gives each provider GOMAXPROCS=$ARGOCD_CLUSTERS_PROVIDER_GOMAXPROCS and so on, when that variable is set.
 */
export const PROVIDER_ENV_MAPPINGS: Record<string, string> = {
    ARGOCD_CLUSTERS_PROVIDER_GOMAXPROCS: "GOMAXPROCS",
    ARGOCD_CLUSTERS_PROVIDER_GOGC: "GOGC",
    ARGOCD_CLUSTERS_PROVIDER_GOMEMLIMIT: "GOMEMLIMIT",
};

/**
 * `clusterIdentifier` is what makes two runs "the same cluster": with it, a new kubeconfig (rotated
 * credentials, another machine's paths or spelling of the API URL, a renamed context) updates the provider
 * instead of replacing every resource under it. It comes from the stack file (names.ts), never from the
 * kubeconfig in use.
 */
export function clusterProvider(
    name: string,
    access: ClusterAccess,
    clusterIdentifier: string,
    opts: pulumi.CustomResourceOptions = {},
): k8s.Provider {
    return new k8s.Provider(
        name,
        {
            kubeconfig: pulumi.secret(access.kubeconfig),
            context: access.context,
            clusterIdentifier,
            // Without it the provider replaces a Secret whose data changed: Argo CD would briefly lose the cluster
            // on every token rotation. Updated in place, the cluster Secret switches tokens atomically.
            enableSecretMutable: true,
        },
        { ...opts, envVarMappings: PROVIDER_ENV_MAPPINGS },
    );
}
