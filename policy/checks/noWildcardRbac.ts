/**
 * no-wildcard-rbac-in-production (resource): a registration's ClusterRole grants cluster-admin or a path to it
 * only with the stack entry's `allowWildcardRbac: true`, which the program records as an annotation on the
 * role. A Role counts as cluster-wide in a system namespace (kube-*, openshift-*): full rights there mint
 * tokens of the cluster's own controllers. Such a Role has no opt-in; other Roles are bounded by their
 * namespace, which is what namespaced mode is for. What counts as such a grant is policy/rbacGrants.ts, shared
 * with the summary. policies.ts runs this in production stacks only.
 */
import { ALLOW_WILDCARD_RBAC_ANNOTATION, type PolicyRule } from "../../argocd/names";
import { entryOf, objectName } from "../messages";
import { dangerousRights, isSystemNamespace } from "../rbacGrants";
import { CLUSTER_ROLE_TYPE, inRegistration, ROLE_TYPE, registrationOf } from "../registration";
import { get, type Resource, UNKNOWN } from "../resource";
import { stackFile } from "../stacks";
import { stackOf } from "../urn";

/** What a ClusterRole or Role grants that is cluster-admin or a path to it; empty when nothing. */
export function wildcardRules(r: Resource): string[] {
    const rules = get(r.props, "rules");
    if (!Array.isArray(rules)) return [];
    const asRule = (rule: unknown): PolicyRule => {
        const list = (key: string) => {
            const v = get(rule, key);
            return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
        };
        return {
            verbs: list("verbs") ?? [],
            apiGroups: list("apiGroups"),
            resources: list("resources"),
            resourceNames: list("resourceNames"),
            nonResourceURLs: list("nonResourceURLs"),
        };
    };
    return dangerousRights(rules.map(asRule)).map((d) => d.detail);
}

export function checkWildcardRbac(r: Resource): string | undefined {
    if (!inRegistration(r)) return undefined;
    if (r.type === ROLE_TYPE) return checkSystemNamespaceRole(r);
    if (r.type !== CLUSTER_ROLE_TYPE) return undefined;
    const optIn = get(r.props, "metadata", "annotations", ALLOW_WILDCARD_RBAC_ANNOTATION);
    const wildcards = wildcardRules(r);
    if (optIn === "true" || optIn === UNKNOWN || wildcards.length === 0) return undefined;
    return (
        `${objectName("ClusterRole", r)} of registration ${registrationOf(r)} grants everything cluster-wide ` +
        `(${wildcards.join("; ")}) in production stack "${stackOf(r.urn)}" without an explicit opt-in. ` +
        `Fix: in ${stackFile(r.urn)}, on ${entryOf(r)}, grant only what Argo CD needs (rules, or namespaces with ` +
        "clusterResources and clusterRules), or opt in with allowWildcardRbac: true."
    );
}

function checkSystemNamespaceRole(r: Resource): string | undefined {
    const namespace = get(r.props, "metadata", "namespace");
    if (typeof namespace !== "string" || !isSystemNamespace(namespace)) return undefined;
    const wildcards = wildcardRules(r);
    if (wildcards.length === 0) return undefined;
    return (
        `${objectName("Role", r)} of registration ${registrationOf(r)} grants (${wildcards.join("; ")}) in system ` +
        `namespace "${namespace}" in production stack "${stackOf(r.urn)}": the ServiceAccounts of the cluster's own ` +
        "controllers live there, so these rights lead to cluster-admin, and allowWildcardRbac does not cover them. " +
        `Fix: in ${stackFile(r.urn)}, on ${entryOf(r)}, remove "${namespace}" from namespaces, or give rules that grant ` +
        "only what Argo CD deploys there."
    );
}
