/**
 * Least privilege needs one setting on the Argo CD side. By default (`resource.respectRBAC` unset in
 * argocd-cm) Argo CD's application controller lists every API kind in a cluster's scope and fails the whole
 * cluster at the first it may not list ("failed to load initial state of resource PersistentVolume: ...
 * forbidden"): a registration with narrower rights than the CLI's is then unusable, as Argo CD's own code
 * shows (tests/e2e/argocd.e2e.test.ts). With `normal` or `strict` the controller skips what it may not list.
 * So before registering anything, the program reads the setting exactly as Argo CD v3.6 does
 * (util/settings/settings.go): only an argocd-cm labelled `app.kubernetes.io/part-of: argocd` counts, and the
 * value is compared as written. It refuses such registrations under `none`, under an argocd-cm Argo CD cannot
 * use, and, in a real `up`, when argocd-cm cannot be read; a preview (whose read-only identity may lack the
 * right, rbac/previewer.yaml) only warns then. Under `none`, an entry whose rules still cover every kind the
 * controller would list on its target (what Argo CD's resource.exclusions and inclusions leave, listedKinds.ts)
 * passes: rights are demanded on what Argo CD lists, never on what it excludes.
 */

import { ARGOCD_CM, ARGOCD_SETTINGS_PART_OF, PART_OF_LABEL, type PolicyRule, RESPECT_RBAC_KEY } from "../argocd/names";
import { type ResourcesFilter, resourcesFilterOf } from "../argocd/resourceFilter";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { ClusterSettings, Problem } from "../stack/settings";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import type { Unlisted } from "./listedKinds";

export type RespectRbac = "none" | "normal" | "strict";

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

/** argocd-cm as the API returns it: the parts Argo CD's settings manager looks at. */
export interface ArgoCdConfigMap {
    metadata?: { labels?: Record<string, string> };
    data?: Record<string, string>;
}

/**
 * What the program learnt about resource.respectRBAC: the setting Argo CD runs with; an argocd-cm Argo CD
 * cannot use (why, and the fix); or nothing, because argocd-cm cannot be read from here.
 */
export type RespectRbacReading =
    | {
          kind: "setting";
          setting: RespectRbac;
          /** argocd-cm's resource.exclusions and inclusions, as Argo CD reads them (readRespectRbac sets it). */
          filter?: ResourcesFilter | { error: string };
      }
    | { kind: "unusable"; reason: string; fix: string }
    | { kind: "unreadable"; reason: string };

/**
 * The setting Argo CD runs with, given argocd-cm as the API returns it (undefined: there is none). Argo CD finds
 * argocd-cm through an informer filtered by the part-of label, so one without it is missing for Argo CD; and
 * Argo CD errs on a missing argocd-cm and on any value but "", normal and strict, compared as written: its
 * application controller then loads no cluster at all.
 */
export function respectRbacOf(cm: ArgoCdConfigMap | undefined, namespace: string): RespectRbacReading {
    const where = `${namespace}/${ARGOCD_CM}`;
    const howToSet =
        `set ${RESPECT_RBAC_KEY}: normal there (OpenShift GitOps: spec.extraConfig of the ArgoCD resource, ` +
        "which writes and labels argocd-cm)";
    if (cm === undefined) {
        return {
            kind: "unusable",
            reason: `${where} does not exist, and Argo CD's application controller loads no cluster without it`,
            fix: `create ${ARGOCD_CM} in ${namespace} with the label ${PART_OF_LABEL}: ${ARGOCD_SETTINGS_PART_OF} and ${howToSet}`,
        };
    }
    const partOf = cm.metadata?.labels?.[PART_OF_LABEL];
    if (partOf !== ARGOCD_SETTINGS_PART_OF) {
        return {
            kind: "unusable",
            reason:
                `${where} has no label ${PART_OF_LABEL}: ${ARGOCD_SETTINGS_PART_OF}, so Argo CD does not read it: ` +
                `Argo CD reads its settings ConfigMaps by that label only` +
                `${partOf === undefined ? "" : `, and this one has ${PART_OF_LABEL}: ${partOf}`}`,
            fix:
                `kubectl -n ${namespace} label configmap ${ARGOCD_CM} ${PART_OF_LABEL}=${ARGOCD_SETTINGS_PART_OF}` +
                `${partOf === undefined ? "" : " --overwrite"}, as Argo CD's install and OpenShift GitOps label it, and ${howToSet}`,
        };
    }
    const value = cm.data?.[RESPECT_RBAC_KEY];
    if (value === undefined || value === "") return { kind: "setting", setting: "none" };
    if (value === "normal" || value === "strict") return { kind: "setting", setting: value };
    return {
        kind: "unusable",
        reason:
            `${RESPECT_RBAC_KEY} in ${where} is ${JSON.stringify(value)}, which Argo CD does not accept: it compares ` +
            "the value as written with normal and strict, and on anything else its application controller loads no cluster",
        fix: `write exactly normal or strict (no spaces, no quotes inside the value), or remove the key`,
    };
}

/**
 * argocd-cm's `resource.respectRBAC` as Argo CD reads it. Reads argocd-cm by name (what rbac/previewer.yaml
 * grants), then applies Argo CD's label selector itself.
 */
export async function readRespectRbac(access: ClusterAccess, namespace: string): Promise<RespectRbacReading> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    try {
        const cm = await withDeadline(core.readNamespacedConfigMap({ name: ARGOCD_CM, namespace }));
        const reading = respectRbacOf(cm, namespace);
        return reading.kind === "setting" ? { ...reading, filter: resourcesFilterOf(cm.data) } : reading;
    } catch (err) {
        if (statusOf(err) === 404) return respectRbacOf(undefined, namespace);
        // An identity without the right (a previewer), no connection, any other answer: respectRbacProblems
        // decides (a preview warns, a real up refuses). Only the status or code, never the message.
        return { kind: "unreadable", reason: describeFailure(err) };
    }
}

/**
 * Problems for every entry that Argo CD could not sync under `reading`, and the entries left unchecked.
 * Unchecked is for a preview only: its read-only identity may lack the right to read argocd-cm. A real `up`
 * that cannot read it refuses rather than write a registration Argo CD may be unable to sync. Under `none`,
 * `unlisted` says per entry name what the controller would list on its target and may not (listedKinds.ts):
 * nothing passes; one it does not cover is refused naming those kinds, and one whose target could not be asked is
 * refused as before, naming why.
 */
export function respectRbacProblems(
    clusters: ClusterSettings[],
    reading: RespectRbacReading,
    argocdNamespace: string,
    preview: boolean,
    unlisted: Map<string, Unlisted> = new Map(),
): { problems: Problem[]; unchecked: string[] } {
    const problems: Problem[] = [];
    const unchecked: string[] = [];
    const where = `${argocdNamespace}/${ARGOCD_CM}`;
    const narrowed = "grants less than list and watch on every resource, so Argo CD needs resource.respectRBAC";
    clusters.forEach((cluster, i) => {
        const key = narrowedKey(cluster);
        if (key === undefined || cluster.retire) return;
        const path = `argocd-clusters:clusters[${i}].${key}`;
        if (reading.kind === "unreadable") {
            if (preview) unchecked.push(cluster.name);
            else
                problems.push({
                    path,
                    message:
                        `${narrowed}: normal or strict, and ${where} cannot be read here (${reading.reason}), so it is ` +
                        `not known that Argo CD could sync "${cluster.name}"; nothing was written`,
                    fix:
                        `give the Argo CD context's identity get on the ConfigMap ${ARGOCD_CM} in ${argocdNamespace} ` +
                        "(rbac/previewer.yaml has the rule), or grant list and watch on every resource",
                });
        } else if (reading.kind === "unusable") {
            problems.push({
                path,
                message: `${narrowed}: normal or strict, and ${reading.reason}: it could not sync "${cluster.name}"`,
                fix: reading.fix,
            });
        } else if (reading.setting === "none") {
            const filterError = reading.filter && "error" in reading.filter ? reading.filter.error : undefined;
            if (filterError !== undefined) {
                problems.push({
                    path,
                    message:
                        `grants less than list and watch on every resource, Argo CD (${where}) leaves ${RESPECT_RBAC_KEY} ` +
                        `unset, and ${filterError}: Argo CD then loads no cluster cache, so it could not sync "${cluster.name}"`,
                    fix: "write resource.exclusions and resource.inclusions as YAML lists of {apiGroups, kinds, clusters}",
                });
                return;
            }
            const listed = unlisted.get(cluster.name);
            if (listed?.kind === "known" && listed.missing.length === 0) return;
            const which =
                listed?.kind === "known"
                    ? ` (here it may not list and watch ${listed.missing.slice(0, 5).join(", ")}` +
                      `${listed.missing.length > 5 ? ` and ${listed.missing.length - 5} more` : ""})`
                    : listed?.kind === "unknown"
                      ? ` (which kinds it lists there is not known: ${listed.reason})`
                      : "";
            problems.push({
                path,
                message:
                    `grants less than list and watch on every resource, and Argo CD (${where}) leaves ` +
                    `${RESPECT_RBAC_KEY} unset: its controller lists every kind in scope that resource.exclusions and ` +
                    `resource.inclusions do not exclude, and fails the cluster at the first it may not list${which}, ` +
                    `so it could not sync "${cluster.name}"`,
                fix:
                    `set ${RESPECT_RBAC_KEY}: normal in ${ARGOCD_CM} (OpenShift GitOps: spec.extraConfig of the ArgoCD resource), ` +
                    `so Argo CD skips what it may not list; or grant list and watch on those kinds (or exclude them in ` +
                    `resource.exclusions)`,
            });
        }
    });
    return { problems, unchecked };
}
