/**
 * What Argo CD's application controller lists on a target under its default `resource.respectRBAC` (unset), and
 * which of it an entry's rules do not let it list and watch. The controller (gitops-engine's cluster cache, as
 * Argo CD v3.6 configures it) takes the server's preferred resources, drops every kind Argo CD excludes
 * (argocd/resourceFilter.ts) and every resource without both list and watch, then lists each: namespaced ones in
 * each of the registration's namespaces (cluster-wide without namespaces), cluster-scoped ones only cluster-wide
 * or with clusterResources. The first list it may not make fails the whole cluster. So a registration narrower
 * than every resource still syncs under the default when its rules cover exactly what is left; what Argo CD
 * excludes needs no rights, and what it does not exclude needs list and watch.
 */
import type * as K8s from "@kubernetes/client-node";
import { FULL_CLUSTER_RULES, FULL_NAMESPACE_RULES, type PolicyRule } from "../argocd/names";
import { isExcludedResource, type ResourcesFilter } from "../argocd/resourceFilter";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { ClusterSettings } from "../stack/settings";
import { clientNode, describeFailure, kubeConfigOf, withDeadline } from "./kubeClient";

/** One resource of the server's discovery, as the controller sees it. */
export interface ApiResource {
    group: string;
    /** The plural name RBAC rules use, e.g. `configmaps`. */
    resource: string;
    kind: string;
    namespaced: boolean;
    verbs: string[];
}

/** What the controller would list there that the entry may not list and watch: `Kind.group`, sorted. */
export type Unlisted = { kind: "known"; missing: string[] } | { kind: "unknown"; reason: string };

/** Whether one of `rules` allows `verb` on every object of `group`/`resource` (RBAC's rule matching). */
function allows(rules: PolicyRule[], verb: string, group: string, resource: string): boolean {
    const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === "*" || v === value);
    return rules.some(
        (r) =>
            (r.resourceNames ?? []).length === 0 &&
            has(r.verbs, verb) &&
            has(r.apiGroups, group) &&
            has(r.resources, resource),
    );
}

/**
 * The kinds the controller would list for `cluster` (at `server`) and may not list and watch, from the server's
 * `resources`: the rules the entry grants in its namespaces (Roles) and cluster-wide (its ClusterRole).
 */
export function unlistedKinds(
    cluster: Pick<ClusterSettings, "server" | "namespaces" | "clusterResources" | "rules" | "clusterRules">,
    resources: ApiResource[],
    filter: ResourcesFilter,
): string[] {
    const namespaced = cluster.namespaces !== undefined && cluster.namespaces.length > 0;
    const clusterWide = namespaced
        ? cluster.clusterResources
            ? (cluster.clusterRules ?? [])
            : []
        : (cluster.rules ?? FULL_CLUSTER_RULES);
    const inNamespaces = namespaced ? (cluster.rules ?? FULL_NAMESPACE_RULES) : [];
    const missing = new Set<string>();
    for (const r of resources) {
        if (!r.verbs.includes("list") || !r.verbs.includes("watch")) continue;
        if (isExcludedResource(filter, r.group, r.kind, cluster.server)) continue;
        // Namespaced mode lists cluster-scoped kinds only with clusterResources (gitops-engine processApi).
        if (namespaced && !r.namespaced && !cluster.clusterResources) continue;
        // A namespaced kind in namespaced mode is listed in each namespace: a Role there or the ClusterRole grants it.
        const rules = namespaced && r.namespaced ? [...inNamespaces, ...clusterWide] : clusterWide;
        if (!["list", "watch"].every((verb) => allows(rules, verb, r.group, r.resource)))
            missing.add(r.group === "" ? r.kind : `${r.kind}.${r.group}`);
    }
    return [...missing].sort();
}

/**
 * The server's preferred resources, as client-go's ServerPreferredResources gives them to the controller: per
 * API group, each resource from the first version that serves it, the preferred version first; no subresources.
 * Throws when the server's lists of core resources or of API groups cannot be read.
 */
export async function discoverResources(access: ClusterAccess): Promise<ApiResource[]> {
    const k8s = await clientNode();
    const kc = await kubeConfigOf(access);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apis = kc.makeApiClient(k8s.ApisApi);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const of = (group: string, list: K8s.V1APIResourceList): ApiResource[] =>
        list.resources
            .filter((r) => !r.name.includes("/"))
            .map((r) => ({ group, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs }));
    const found = of("", await withDeadline(core.getAPIResources()));
    const groups = (await withDeadline(apis.getAPIVersions())).groups;
    const perGroup = await Promise.all(
        groups.map(async (g) => {
            const versions = [
                ...(g.preferredVersion ? [g.preferredVersion.version] : []),
                ...g.versions.map((v) => v.version).filter((v) => v !== g.preferredVersion?.version),
            ];
            const seen = new Set<string>();
            const resources: ApiResource[] = [];
            for (const version of versions) {
                // A group version that does not answer (an aggregated API down) is left out, as client-go's partial
                // discovery leaves it out for the controller, which then neither lists it nor fails on it.
                const list = await withDeadline(custom.getAPIResources({ group: g.name, version })).catch(
                    () => undefined,
                );
                if (list === undefined) continue;
                for (const r of of(g.name, list)) {
                    if (seen.has(r.resource)) continue;
                    seen.add(r.resource);
                    resources.push(r);
                }
            }
            return resources;
        }),
    );
    return [...found, ...perGroup.flat()];
}

/** unlistedKinds against the target's own discovery; what cannot be discovered is unknown, with why. */
export async function unlistedOnTarget(
    cluster: Pick<ClusterSettings, "server" | "namespaces" | "clusterResources" | "rules" | "clusterRules"> & {
        access: ClusterAccess;
    },
    filter: ResourcesFilter,
): Promise<Unlisted> {
    let resources: ApiResource[];
    try {
        resources = await discoverResources(cluster.access);
    } catch (err) {
        return { kind: "unknown", reason: `its API discovery failed: ${describeFailure(err)}` };
    }
    return { kind: "known", missing: unlistedKinds(cluster, resources, filter) };
}
