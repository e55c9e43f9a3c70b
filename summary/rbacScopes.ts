/**
 * A registration's rights before and after the change, per scope (cluster-wide or one namespace), read from
 * its ClusterRole, Roles and their bindings: the rules where the preview shows them, and the stack entry's
 * `allowWildcardRbac` opt-in recorded on the ClusterRole.
 */

import { ALLOW_WILDCARD_RBAC_ANNOTATION, type PolicyRule } from "../argocd/names";
import { parseChildName } from "../components/childNames";
import { asObject, at, plainString, stringList } from "./engineValues";
import type { ResourceState } from "./previewDigest";
import { type Part, partOf, RBAC_PARTS } from "./registrationParts";
import type { Step } from "./resourceSteps";

/** Rights held in one scope: cluster-wide, or one namespace. `rules` undefined when not readable. */
export interface Grant {
    rules?: PolicyRule[];
    /** The stack entry's `allowWildcardRbac`, recorded on the ClusterRole. */
    optedIn?: boolean;
}

export const CLUSTER_SCOPE = "";

/** A role's rules, or undefined when any part of them is hidden. */
function rulesOf(state: ResourceState | undefined): PolicyRule[] | undefined {
    const rules = state?.inputs?.rules;
    if (!Array.isArray(rules)) return undefined;
    const result: PolicyRule[] = [];
    for (const rule of rules) {
        const o = asObject(rule);
        const verbs = stringList(o?.verbs);
        if (!o || !verbs) return undefined;
        result.push({
            verbs,
            apiGroups: stringList(o.apiGroups),
            resources: stringList(o.resources),
            resourceNames: stringList(o.resourceNames),
            nonResourceURLs: stringList(o.nonResourceURLs),
        });
    }
    return result;
}

/** CLUSTER_SCOPE for cluster-wide objects, else the Role's namespace: from the object, or from its child name. */
function scopeOf(step: Step, part: Part, state: ResourceState | undefined): string {
    if (part === "clusterRole" || part === "clusterRoleBinding") return CLUSTER_SCOPE;
    const namespace = plainString(at(state, "inputs", "metadata", "namespace"));
    return namespace ?? parseChildName(step.name)?.namespace ?? "?";
}

export interface ScopeChange {
    scope: string;
    before?: Grant;
    after?: Grant;
}

/**
 * Rights per scope before and after. A role carries the rules; a binding alone (its role untouched) still
 * grants or withdraws them, with rules this preview does not show.
 */
export function rightsChanges(steps: Step[]): ScopeChange[] {
    const scopes = new Map<string, ScopeChange>();
    for (const step of steps) {
        const part = partOf(step);
        if (!RBAC_PARTS.includes(part)) continue;
        const isRole = part === "clusterRole" || part === "role";
        const scope = scopeOf(step, part, step.new ?? step.old);
        const s = scopes.get(scope) ?? { scope };
        scopes.set(scope, s);
        if (step.change !== "create") s.before = isRole ? grantOf(step.old) : (s.before ?? {});
        if (step.change !== "delete") s.after = isRole ? grantOf(step.new) : (s.after ?? {});
    }
    return [...scopes.values()].sort((a, b) => a.scope.localeCompare(b.scope));
}

function grantOf(state: ResourceState | undefined): Grant {
    const optIn = at(state, "inputs", "metadata", "annotations", ALLOW_WILDCARD_RBAC_ANNOTATION);
    return { rules: rulesOf(state), optedIn: optIn === "true" };
}

/** The rights held in one scope. */
export interface ScopedGrant {
    scope: string;
    grant: Grant;
}
