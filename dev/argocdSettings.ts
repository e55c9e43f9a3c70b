/**
 * Argo CD's settings on a local Argo CD cluster, as OpenShift GitOps writes them: argocd-cm, argocd-secret and
 * argocd-rbac-cm in the Argo CD namespace, each labelled `app.kubernetes.io/part-of: argocd` (without which
 * Argo CD does not read them: util/settings/settings.go selects them by that label), `app.kubernetes.io/name`
 * and `app.kubernetes.io/managed-by`. The one writer of these objects for the end-to-end World, the sandbox and
 * the live Argo CD (dev/controlPlane/argocd.ts), so none of them holds a setting Argo CD would ignore.
 */
import { randomBytes } from "node:crypto";
import { ARGOCD_CM, ARGOCD_SETTINGS_PART_OF, MANAGED_BY_LABEL, PART_OF_LABEL, RESPECT_RBAC_KEY } from "../argocd/names";
import type { LocalCluster } from "./controlPlane/controlPlane";

/** What the writer needs of a cluster: admin requests, and its name for errors. */
export type SettingsCluster = Pick<LocalCluster, "name" | "admin">;

/**
 * argocd-cm's data unless a caller gives its own: least-privilege registrations (a namespaced one, narrowed
 * rules) sync only with it, and the program refuses them without it (components/respectRbac.ts). OpenShift
 * GitOps sets it through spec.extraConfig of the ArgoCD resource.
 */
export const LEAST_PRIVILEGE_ARGOCD_CM: Record<string, string> = { [RESPECT_RBAC_KEY]: "normal" };

/** The labels OpenShift GitOps's operator puts on each settings object, `name` being the object's. */
export function settingsLabels(name: string): Record<string, string> {
    return {
        [PART_OF_LABEL]: ARGOCD_SETTINGS_PART_OF,
        "app.kubernetes.io/name": name,
        [MANAGED_BY_LABEL]: "openshift-gitops",
    };
}

/** The three settings objects, argocd-cm holding `argocdCm`. */
export function argocdSettingsObjects(namespace: string, argocdCm: Record<string, string> = LEAST_PRIVILEGE_ARGOCD_CM) {
    const metadata = (name: string) => ({ name, namespace, labels: settingsLabels(name) });
    return {
        configMaps: [
            { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(ARGOCD_CM), data: argocdCm },
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: metadata("argocd-rbac-cm"),
                data: { "policy.default": "", scopes: "[groups]" },
            },
        ],
        // The key argocd-server would otherwise generate on its first start; no argocd-server runs here.
        secret: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: metadata("argocd-secret"),
            type: "Opaque",
            data: { "server.secretkey": randomBytes(32).toString("base64") },
        },
    };
}

/**
 * Writes Argo CD's settings into `namespace` on `cluster` (the namespace is created when missing). An existing
 * ConfigMap keeps its other keys and gets the labels and these keys; an existing argocd-secret keeps its data
 * (its server key stays the one Argo CD may already use) and gets the labels. Throws on any other answer.
 */
export async function installArgoCdSettings(
    cluster: SettingsCluster,
    namespace: string,
    argocdCm: Record<string, string> = LEAST_PRIVILEGE_ARGOCD_CM,
): Promise<void> {
    const ns = await cluster.admin("POST", "/api/v1/namespaces", { metadata: { name: namespace } });
    if (ns.status !== 201 && ns.status !== 409)
        throw new Error(`${cluster.name}: creating namespace ${namespace} answered ${ns.status}`);
    const { configMaps, secret } = argocdSettingsObjects(namespace, argocdCm);
    const base = `/api/v1/namespaces/${namespace}`;
    for (const cm of configMaps) await upsert(cluster, `${base}/configmaps`, cm, cm.data);
    await upsert(cluster, `${base}/secrets`, secret, undefined);
}

/** Creates `object` in `collection`, or merges its labels (and `data`, when given) into the existing one. */
async function upsert(
    cluster: SettingsCluster,
    collection: string,
    object: { metadata: { name: string; labels: Record<string, string> } },
    data: Record<string, string> | undefined,
): Promise<void> {
    const created = await cluster.admin("POST", collection, object);
    if (created.status === 201) return;
    const url = `${collection}/${object.metadata.name}`;
    const patched =
        created.status === 409
            ? await cluster.admin(
                  "PATCH",
                  url,
                  { metadata: { labels: object.metadata.labels }, ...(data ? { data } : {}) },
                  "application/merge-patch+json",
              )
            : created;
    if (patched.status !== 200)
        throw new Error(`${cluster.name}: writing ${url} answered ${patched.status} ${JSON.stringify(patched.body)}`);
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
