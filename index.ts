// argocd-clusters: registers Kubernetes clusters with Argo CD. Wiring only:
// config -> validate -> removal guard -> providers -> one ClusterRegistration per cluster -> outputs.
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
import { refuseRemovalsInUse } from "./components/removalGuard";

export default async function main() {
    // Both throw before any resource is registered: anything wrong in the stack file, or a removal that
    // would break Applications still deploying to the cluster.
    const { settings, argocdAccess, clusterAccess } = loadStack(readRawConfig(), stackFileName());
    await refuseRemovalsInUse(settings.clusters, argocdAccess, settings.argocd.namespace, stackFileName());

    const argocdProvider = clusterProvider(ARGOCD_PROVIDER_NAME, argocdAccess, argocdClusterIdentifier(settings.argocd.name), {
        // Stacks made before argocd.name identified this provider by its API URL, under the name "argocd". The
        // engine does not replace resources whose provider is an alias of their old one, so moving to the new
        // identity updates each cluster Secret in place; without the alias it would replace them all, which on
        // the same cluster ends with them deleted (names.ts, CLUSTER_IDENTIFIER_ANNOTATION).
        aliases: [{ name: LEGACY_ARGOCD_PROVIDER_NAME }],
    });

    // A retired entry stays in the stack file only to say "remove it anyway"; nothing is registered for it.
    const active = settings.clusters.map((cluster, i) => ({ cluster, access: clusterAccess[i] })).filter(({ cluster }) => !cluster.retire);
    const registrations = active.map(({ cluster, access }) => {
        // Resources are named after the cluster Secret, i.e. the server URL: a new display name is an update.
        const name = clusterSecretName(cluster.server);
        // context, kubeconfig and retire only shape the provider and this list; they never reach the component.
        const { name: clusterName, context: _context, kubeconfig: _kubeconfig, retire: _retire, ...options } = cluster;
        const registration = new ClusterRegistration(name, {
            ...options,
            clusterName,
            argocdNamespace: settings.argocd.namespace,
            argocdName: settings.argocd.name,
            targetProvider: clusterProvider(targetProviderName(name), access, targetClusterIdentifier(cluster.server)),
            argocdProvider,
        });
        // What each registration is, keyed by its Argo CD name. No credentials. The next run reads it back
        // (removalGuard.ts) to know what it removes.
        return [clusterName, {
            server: registration.server,
            secretName: registration.secretName,
            serviceAccount: registration.serviceAccount,
            tokenSecretName: registration.tokenSecretName,
            mode: registration.mode,
            namespaces: cluster.namespaces ?? [],
        }] as const;
    });

    return { registrations: Object.fromEntries(registrations), argocdNamespace: settings.argocd.namespace };
}
