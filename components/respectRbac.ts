/**
 * Least privilege needs one setting on the Argo CD side. By default (`resource.respectRBAC` unset in
 * argocd-cm) Argo CD's application controller lists every API kind in a cluster's scope and fails the whole
 * cluster at the first it may not list ("failed to load initial state of resource PersistentVolume: ...
 * forbidden"): a registration with narrower rights than the CLI's is then unusable, as Argo CD's own code
 * shows (tests/e2e/argocd.e2e.test.ts). With `normal` or `strict` the controller skips what it may not list.
 * So before registering anything, the program reads the setting and refuses such registrations under `none`.
 */

import * as pulumi from "@pulumi/pulumi";
import type { PolicyRule } from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { ClusterSettings, Problem } from "../stack/settings";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";

export type RespectRbac = "none" | "normal" | "strict";

const ARGOCD_CM = "argocd-cm";
const RESPECT_RBAC_KEY = "resource.respectRBAC";

/** Whether `rules` let the controller list and watch every kind: then any respectRBAC setting works. */
export function coversEverything(rules: PolicyRule[]): boolean {
    return rules.some(
        (r) =>
            (r.apiGroups ?? []).includes("*") &&
            (r.resources ?? []).includes("*") &&
            r.resourceNames === undefined &&
            (r.verbs.includes("*") || (r.verbs.includes("list") && r.verbs.includes("watch"))),
    );
}

/** The key whose rules are narrower than every kind, for an entry that needs respectRBAC; else undefined. */
export function narrowedKey(cluster: ClusterSettings): "rules" | "clusterRules" | undefined {
    if (cluster.rules !== undefined && !coversEverything(cluster.rules)) return "rules";
    if (
        cluster.namespaces !== undefined &&
        cluster.clusterResources === true &&
        !coversEverything(cluster.clusterRules ?? [])
    ) {
        return "clusterRules";
    }
    return undefined;
}

/** argocd-cm's `resource.respectRBAC` as Argo CD reads it; undefined when it cannot be read from here. */
export async function readRespectRbac(access: ClusterAccess, namespace: string): Promise<RespectRbac | undefined> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    try {
        const cm = await withDeadline(core.readNamespacedConfigMap({ name: ARGOCD_CM, namespace }));
        const value = cm.data?.[RESPECT_RBAC_KEY]?.trim();
        return value === "normal" || value === "strict" ? value : "none";
    } catch (err) {
        // Argo CD runs with its defaults when argocd-cm is missing.
        if (statusOf(err) === 404) return "none";
        // An identity without the right (a previewer), or no connection (the providers then fail on their
        // own), gets a warning; any other answer of the API server must not let an up pass unchecked.
        if (statusOf(err) === undefined || statusOf(err) === 403 || pulumi.runtime.isDryRun()) return undefined;
        throw new pulumi.RunError(
            `cannot read ${namespace}/${ARGOCD_CM} on the Argo CD cluster to check resource.respectRBAC: ${describeFailure(err)}`,
        );
    }
}

/**
 * Problems for every entry that Argo CD could not sync under `setting`, and the entries left unchecked when
 * the setting could not be read.
 */
export function respectRbacProblems(
    clusters: ClusterSettings[],
    setting: RespectRbac | undefined,
    argocdNamespace: string,
): { problems: Problem[]; unchecked: string[] } {
    const problems: Problem[] = [];
    const unchecked: string[] = [];
    clusters.forEach((cluster, i) => {
        const key = narrowedKey(cluster);
        if (key === undefined || cluster.retire) return;
        if (setting === undefined) {
            unchecked.push(cluster.name);
        } else if (setting === "none") {
            problems.push({
                path: `argocd-clusters:clusters[${i}].${key}`,
                message:
                    `grants less than list and watch on every resource, and Argo CD (${argocdNamespace}/${ARGOCD_CM}) leaves ` +
                    `${RESPECT_RBAC_KEY} unset: its controller lists every kind in scope and fails the cluster at the first it ` +
                    `may not list, so it could not sync "${cluster.name}"`,
                fix:
                    `set ${RESPECT_RBAC_KEY}: normal in ${ARGOCD_CM} (OpenShift GitOps: spec.extraConfig of the ArgoCD resource), ` +
                    `so Argo CD skips what it may not list; or grant list and watch on every resource`,
            });
        }
    });
    return { problems, unchecked };
}
