/**
 * The rights a registration should hold, as access review questions: what the stack's entry grants, in the
 * scopes it grants them (the same rules the program puts in the roles, and asks about before writing the
 * Secret, components/clusterRegistration.ts); for a Secret the stack no longer declares, what its mode
 * promises: full rights in each of its namespaces, else cluster-wide.
 */

import { FULL_CLUSTER_RULES, FULL_NAMESPACE_RULES } from "../argocd/names";
import { type AccessCheck, expectedAccess } from "../components/connectionCheck";
import type { ClusterSettings } from "../stack/settings";

export function rightsOfEntry(entry: ClusterSettings): AccessCheck[] {
    const namespaced = entry.namespaces !== undefined && entry.namespaces.length > 0;
    if (!namespaced) return expectedAccess(entry.rules ?? FULL_CLUSTER_RULES, [undefined]);
    return [
        ...expectedAccess(entry.rules ?? FULL_NAMESPACE_RULES, entry.namespaces!),
        ...(entry.clusterResources && entry.clusterRules ? expectedAccess(entry.clusterRules, [undefined]) : []),
    ];
}

/** A namespaced Secret's cluster-scoped rights are unknown without its entry, so only the namespaces are asked about. */
export function rightsOfMode(namespaces: string[]): AccessCheck[] {
    return namespaces.length > 0
        ? expectedAccess(FULL_NAMESPACE_RULES, namespaces)
        : expectedAccess(FULL_CLUSTER_RULES, [undefined]);
}
