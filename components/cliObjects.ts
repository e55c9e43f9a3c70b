/**
 * What `argocd cluster add` makes on a target, by its exact names and shape (Argo CD's
 * util/clusterauth/clusterauth.go): ServiceAccount argocd-manager in the system namespace; cluster-wide,
 * ClusterRole argocd-manager-role with the full rules, bound by ClusterRoleBinding argocd-manager-role-binding to
 * exactly that account; with `--namespace`, Role argocd-manager-role with the full namespaced rules and
 * RoleBinding argocd-manager-role-binding in each namespace. An adoption deletes nothing of the CLI's that does
 * not match exactly (adoption.ts): a binding with one more subject serves someone else too.
 */
import type * as K8s from "@kubernetes/client-node";
import {
    DEFAULT_SERVICE_ACCOUNT,
    FULL_CLUSTER_RULES,
    FULL_NAMESPACE_RULES,
    type PolicyRule,
    roleBindingName,
    roleName,
} from "../argocd/names";

/** The CLI's names are fixed: with `--service-account` it makes no RBAC at all. */
export const CLI_SERVICE_ACCOUNT = DEFAULT_SERVICE_ACCOUNT;
export const CLI_ROLE = roleName(CLI_SERVICE_ACCOUNT);
export const CLI_ROLE_BINDING = roleBindingName(CLI_SERVICE_ACCOUNT);

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** A ClusterRoleBinding or RoleBinding as the API returns it (a RoleBinding has a namespace). */
export interface RbacBinding {
    metadata?: K8s.V1ObjectMeta;
    roleRef: { apiGroup?: string; kind?: string; name?: string };
    subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/** A ClusterRole or Role as the API returns it. */
export interface RbacRole {
    metadata?: K8s.V1ObjectMeta;
    rules?: PolicyRule[];
    aggregationRule?: unknown;
}

/** Whether `binding` is exactly the CLI's: its name, its own role, and the account as its only subject. */
export function cliBinding(binding: RbacBinding, systemNamespace: string, serviceAccount: string): boolean {
    if (serviceAccount !== CLI_SERVICE_ACCOUNT) return false;
    const namespaced = binding.metadata?.namespace !== undefined;
    const subjects = binding.subjects ?? [];
    return (
        binding.metadata?.name === CLI_ROLE_BINDING &&
        binding.roleRef.apiGroup === RBAC_GROUP &&
        binding.roleRef.kind === (namespaced ? "Role" : "ClusterRole") &&
        binding.roleRef.name === CLI_ROLE &&
        subjects.length === 1 &&
        subjects[0].kind === "ServiceAccount" &&
        subjects[0].name === serviceAccount &&
        subjects[0].namespace === systemNamespace
    );
}

/** Whether `role` is exactly the CLI's: its name and its full rules, cluster-wide or in a namespace. */
export function cliRole(role: RbacRole, scope: "cluster" | "namespace"): boolean {
    const expected = scope === "cluster" ? FULL_CLUSTER_RULES : FULL_NAMESPACE_RULES;
    const rules = role.rules ?? [];
    return (
        role.metadata?.name === CLI_ROLE &&
        role.aggregationRule === undefined &&
        rules.length === expected.length &&
        rules.every((rule, i) => sameRule(rule, expected[i]))
    );
}

/** Two rules alike, an absent list being an empty one (as the API server stores them). */
function sameRule(a: PolicyRule, b: PolicyRule): boolean {
    const keys = ["apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs"] as const;
    return keys.every((key) => JSON.stringify(a[key] ?? []) === JSON.stringify(b[key] ?? []));
}
