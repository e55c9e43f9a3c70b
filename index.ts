// argocd-clusters: registers Kubernetes clusters with Argo CD. Wiring only:
// config -> validate -> providers -> one ClusterRegistration per cluster -> summary.
import { ClusterRegistration } from "./components/clusterRegistration";
import { clusterSecretName } from "./components/clusterSecret";
import { loadStack, readRawConfig, stackFileName } from "./components/config";
import {
    ARGOCD_PROVIDER_NAME,
    argocdClusterIdentifier,
    LEGACY_ARGOCD_PROVIDER_NAME,
    targetClusterIdentifier,
    targetProviderName,
} from "./components/names";
import { clusterProvider } from "./components/providers";

// Throws before any resource is registered when anything in the stack file is wrong.
const { settings, argocdAccess, clusterAccess } = loadStack(readRawConfig(), stackFileName());

const argocdProvider = clusterProvider(ARGOCD_PROVIDER_NAME, argocdAccess, argocdClusterIdentifier(settings.argocd.name), {
    // Stacks made before argocd.name identified this provider by its API URL, under the name "argocd". The
    // engine does not replace resources whose provider is an alias of their old one, so moving to the new
    // identity updates each cluster Secret in place; without the alias it would replace them all, which on
    // the same cluster ends with them deleted (names.ts, CLUSTER_IDENTIFIER_ANNOTATION).
    aliases: [{ name: LEGACY_ARGOCD_PROVIDER_NAME }],
});

const components = settings.clusters.map((cluster, i) => {
    // Resources are named after the cluster Secret, i.e. the server URL: a new display name is an update.
    const name = clusterSecretName(cluster.server);
    // context and kubeconfig only shape the provider; they never reach the component.
    const { name: clusterName, context: _context, kubeconfig: _kubeconfig, ...options } = cluster;
    return new ClusterRegistration(name, {
        ...options,
        clusterName,
        argocdNamespace: settings.argocd.namespace,
        argocdName: settings.argocd.name,
        targetProvider: clusterProvider(targetProviderName(name), clusterAccess[i], targetClusterIdentifier(cluster.server)),
        argocdProvider,
    });
});

/** What each registration is, keyed by its Argo CD name. No credentials. */
export const registrations = Object.fromEntries(components.map((r, i) => [settings.clusters[i].name, {
    server: r.server,
    secretName: r.secretName,
    serviceAccount: r.serviceAccount,
    tokenSecretName: r.tokenSecretName,
    mode: r.mode,
    namespaces: settings.clusters[i].namespaces ?? [],
}]));
export const argocdNamespace = settings.argocd.namespace;
