/**
 * Argo CD's settings ConfigMaps (argocd-cm, argocd-rbac-cm, ...) on a local Argo CD cluster, as a real install
 * (Argo CD's manifests, OpenShift GitOps) writes them: labelled `app.kubernetes.io/part-of: argocd`, without
 * which Argo CD does not read them (util/settings/settings.go selects them by that label). One place for the
 * end-to-end World and the sandbox, so neither holds a ConfigMap Argo CD would ignore.
 */
import { ARGOCD_SETTINGS_PART_OF, PART_OF_LABEL } from "../argocd/names";
import type { LocalCluster } from "./controlPlane/controlPlane";

/** The ConfigMap `name` in `namespace` holding `data`, labelled for Argo CD. */
export function argocdSettingsConfigMap(name: string, namespace: string, data: Record<string, string>) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace, labels: { [PART_OF_LABEL]: ARGOCD_SETTINGS_PART_OF } },
        data,
    };
}

/** Creates Argo CD's settings ConfigMap `name` in `namespace` on `cluster`; throws unless it was created. */
export async function createArgoCdSettings(
    cluster: LocalCluster,
    namespace: string,
    name: string,
    data: Record<string, string>,
): Promise<void> {
    const res = await cluster.admin(
        "POST",
        `/api/v1/namespaces/${namespace}/configmaps`,
        argocdSettingsConfigMap(name, namespace, data),
    );
    if (res.status !== 201) throw new Error(`${cluster.name}: creating ${namespace}/${name} answered ${res.status}`);
}

/**
 * Merge-patches Argo CD's settings ConfigMap `name` in `namespace` on `cluster` (a null value removes a key or a
 * label), as an operator editing a live install would; throws unless it was patched.
 */
export async function patchArgoCdSettings(
    cluster: LocalCluster,
    namespace: string,
    name: string,
    patch: { data?: Record<string, string | null>; labels?: Record<string, string | null> },
): Promise<void> {
    const res = await cluster.admin(
        "PATCH",
        `/api/v1/namespaces/${namespace}/configmaps/${name}`,
        {
            ...(patch.data ? { data: patch.data } : {}),
            ...(patch.labels ? { metadata: { labels: patch.labels } } : {}),
        },
        "application/merge-patch+json",
    );
    if (res.status !== 200) throw new Error(`${cluster.name}: patching ${namespace}/${name} answered ${res.status}`);
}
