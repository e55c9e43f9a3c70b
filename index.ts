// argocd-clusters: registers Kubernetes clusters with Argo CD. Wiring only:
// config -> validate -> removal guard -> providers -> one ClusterRegistration per cluster -> outputs.
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./components/childNames";
import { ClusterRegistration } from "./components/clusterRegistration";
import { clusterSecretName } from "./components/clusterSecret";
import { Adoption, finishAdoption, foreignObjects } from "./components/adoption";
import { loadStack, readRawConfig, stackFileName } from "./stack/config";
import {
    ARGOCD_PROVIDER_NAME,
    argocdClusterIdentifier,
    DEFAULT_ARGOCD_NAME,
    LEGACY_ARGOCD_PROVIDER_NAME,
    stackAnnotationValue,
    targetClusterIdentifier,
} from "./components/names";
import { clusterProvider } from "./components/providers";
import { lastUp, refuseRemovalsInUse } from "./components/removalGuard";
import { narrowedKey, readRespectRbac, respectRbacProblems } from "./components/respectRbac";
import { ConfigurationError } from "./stack/settings";
import { normalizeServer } from "./stack/validate";

export default async function main() {
    // All throw before any resource is registered: anything wrong in the stack file, a removal that would break
    // Applications still deploying to the cluster, an adoption of another stack's objects.
    const stackFile = stackFileName();
    const stack = stackAnnotationValue(pulumi.getProject(), pulumi.getStack());
    const { settings, argocdAccess, clusterAccess } = loadStack(readRawConfig(), stackFile);
    const last = await lastUp();
    await refuseRemovalsInUse(last.registrations, settings.clusters, argocdAccess, settings.argocd.namespace, stackFile, stack);
    // A new argocd.name or namespace replaces every cluster Secret, delete first (clusterRegistration.ts).
    const hubMove = last.registrations.length > 0 &&
        ((last.argocdName ?? DEFAULT_ARGOCD_NAME) !== settings.argocd.name || (last.argocdNamespace ?? settings.argocd.namespace) !== settings.argocd.namespace);
    const adoptions = new Map<number, Adoption>();
    settings.clusters.forEach((cluster, i) => {
        if (!cluster.adopt || cluster.retire) return;
        adoptions.set(i, {
            clusterName: cluster.name, keyPath: `argocd-clusters:clusters[${i}]`, target: clusterAccess[i], argocd: argocdAccess,
            systemNamespace: cluster.systemNamespace, serviceAccount: cluster.serviceAccount,
            argocdNamespace: settings.argocd.namespace, secretName: clusterSecretName(cluster.server), stack,
        });
    });
    const foreign = await foreignObjects([...adoptions.values()]);
    if (foreign.length > 0) throw new ConfigurationError(stackFile, foreign);
    if (settings.clusters.some((c) => narrowedKey(c) !== undefined && !c.retire)) {
        const namespace = settings.argocd.namespace;
        const { problems, unchecked } = respectRbacProblems(settings.clusters, await readRespectRbac(argocdAccess, namespace), namespace);
        if (problems.length > 0) throw new ConfigurationError(stackFile, problems);
        if (unchecked.length > 0) {
            pulumi.log.warn(`cannot read ${namespace}/argocd-cm here, so it is not checked that Argo CD can sync ${unchecked.join(", ")}: ` +
                "with rights narrower than the CLI's it needs resource.respectRBAC: normal or strict there (rbac/previewer.yaml grants the read)");
        }
    }

    const argocdProvider = clusterProvider(ARGOCD_PROVIDER_NAME, argocdAccess, argocdClusterIdentifier(settings.argocd.name), {
        // Stacks made before argocd.name identified this provider by its API URL, under the name "argocd". The
        // engine does not replace resources whose provider is an alias of their old one, so moving to the new
        // identity updates each cluster Secret in place; without the alias it would replace them all (delete
        // first, clusterRegistration.ts), and Argo CD would lack every cluster for a moment.
        aliases: [{ name: LEGACY_ARGOCD_PROVIDER_NAME }],
    });

    // A retired entry stays in the stack file only to say "remove it anyway"; nothing is registered for it.
    const active = settings.clusters.map((cluster, i) => ({ cluster, i, access: clusterAccess[i] })).filter(({ cluster }) => !cluster.retire);
    const registrations = active.map(({ cluster, i, access }) => {
        // Resources are named after the cluster Secret, i.e. the server URL: a new display name is an update.
        const name = clusterSecretName(cluster.server);
        // context, kubeconfig and retire only shape the provider and this list; they never reach the component.
        const { name: clusterName, context: _context, kubeconfig: _kubeconfig, retire: _retire, ...options } = cluster;
        const adoption = adoptions.get(i);
        const registration = new ClusterRegistration(name, {
            ...options,
            clusterName,
            argocdNamespace: settings.argocd.namespace,
            argocdName: settings.argocd.name,
            hubMove,
            // Only when Pulumi reaches the target at the registration's own server: then it signs Argo CD's endpoint.
            kubeconfigCaData: normalizeServer(access.server) === normalizeServer(cluster.server) ? access.caData : undefined,
            targetProvider: clusterProvider(childName(name, "provider"), access, targetClusterIdentifier(cluster.server)),
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
            // Resolves once the CLI's leftovers are gone; a failure there fails the up.
            ...(adoption ? { adopted: finishAdoption(adoption, registration.secretName).apply(() => true) } : {}),
        }] as const;
    });

    return { registrations: Object.fromEntries(registrations), argocdNamespace: settings.argocd.namespace, argocdName: settings.argocd.name };
}
