/**
 * What a reviewer reads about a registration's rights: "full" or the custom rules per scope, what is gained,
 * lost or altered, and the wildcard warning. What the rules grant is judged by policy/rbacGrants.ts alone, the
 * judgement the policy pack applies, so the summary warns about exactly what the policy pack refuses.
 */
import type { PolicyRule } from "../argocd/names";
import { type DangerKind, dangerousRights } from "../policy/rbacGrants";
import { md } from "./markdown";
import { CLUSTER_SCOPE, type Grant, rightsChanges, type ScopedGrant } from "./rbacScopes";
import type { Kind } from "./registrationParts";
import type { Step } from "./resourceSteps";

/** A rule with `*` verbs on `*` resources: part of the CLI's full rules (FULL_CLUSTER_RULES, FULL_NAMESPACE_RULES). */
function isWildcardResourceRule(rule: PolicyRule): boolean {
    return rule.verbs.includes("*") && (rule.resources ?? []).includes("*");
}

/**
 * Whether the rules are the full rights `argocd cluster add` gives, so they read as "full" rather than as a
 * list: wording only. Whether rights are dangerous is dangerousRights' judgement alone (wildcards below).
 */
function isFull(scope: string, rules: PolicyRule[]): boolean {
    const everyResource = rules.some(
        (r) => isWildcardResourceRule(r) && (r.apiGroups ?? []).includes("*") && !r.resourceNames?.length,
    );
    const everyUrl = rules.some((r) => r.verbs.includes("*") && (r.nonResourceURLs ?? []).includes("*"));
    return everyResource && (scope !== CLUSTER_SCOPE || everyUrl);
}

/** `get,list on pods`, `* on deployments.apps`, `get on /healthz`: kubectl's resource.group spelling. */
function describeRule(rule: PolicyRule): string {
    const groups = rule.apiGroups ?? [""];
    const targets = rule.nonResourceURLs?.length
        ? rule.nonResourceURLs
        : (rule.resources ?? []).flatMap((r) =>
              groups.map((g) => (g === "" || (r === "*" && g === "*") ? r : `${r}.${g}`)),
          );
    const named = rule.resourceNames?.length ? ` [${rule.resourceNames.join(", ")}]` : "";
    return `${rule.verbs.join(",")} on ${targets.join(" ")}${named}`;
}

function describeRules(scope: string, grant: Grant): string {
    if (!grant.rules) return "rules not shown";
    if (isFull(scope, grant.rules)) return "full";
    return `custom: ${grant.rules.map((rule) => md(describeRule(rule))).join("; ")}`;
}

/** "cluster-wide full", "namespaced [shop, payments] full": namespaces with the same rules together. */
function describeGrants(grants: ScopedGrant[]): string {
    const parts: string[] = [];
    const cluster = grants.find((g) => g.scope === CLUSTER_SCOPE);
    const byRules = new Map<string, string[]>();
    for (const { scope, grant } of grants) {
        if (scope === CLUSTER_SCOPE) continue;
        const text = describeRules(scope, grant);
        byRules.set(text, [...(byRules.get(text) ?? []), scope]);
    }
    for (const [text, namespaces] of byRules) parts.push(`namespaced [${namespaces.map(md).join(", ")}] ${text}`);
    if (cluster) parts.push(`cluster-wide ${describeRules(CLUSTER_SCOPE, cluster.grant)}`);
    return parts.join("; ");
}

function sameRules(a: PolicyRule[] | undefined, b: PolicyRule[] | undefined): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

/** `full → custom: …`, or for two custom sets only the rules added (+) and removed (−). */
function describeRuleChange(scope: string, before: Grant, after: Grant): string {
    if (!before.rules || !after.rules || isFull(scope, before.rules) || isFull(scope, after.rules)) {
        return `${describeRules(scope, before)} → ${describeRules(scope, after)}`;
    }
    const b = before.rules.map(describeRule);
    const a = after.rules.map(describeRule);
    return (
        [
            ...a.filter((r) => !b.includes(r)).map((r) => `+${md(r)}`),
            ...b.filter((r) => !a.includes(r)).map((r) => `−${md(r)}`),
        ].join("; ") || "rules reordered"
    );
}

/** How the summary names each finding of policy/rbacGrants.ts, the judgement the policy pack applies. */
const DANGER_WORDS: Record<DangerKind, string> = {
    "every-resource": "`*` verbs on `*` resources",
    "every-non-resource-url": "`*` non-resource URLs",
    escalate: "`escalate` on roles",
    bind: "`bind` on roles",
    impersonate: "`impersonate` on users, groups or serviceaccounts",
    token: "`create` on `serviceaccounts/token`",
};

/**
 * One line for every right a cluster gains that is cluster-admin or a path to it, by scope, judged as the
 * policy pack judges it (every verb spelt out counts as `*`), or undefined.
 */
function wildcards(grants: ScopedGrant[]): string | undefined {
    const found: string[] = [];
    for (const kind of Object.keys(DANGER_WORDS) as DangerKind[]) {
        const scopes = grants
            .filter((g) => dangerousRights(g.grant.rules ?? []).some((d) => d.kind === kind))
            .map((g) => g.scope);
        if (scopes.length === 0) continue;
        if (kind === "every-non-resource-url") {
            found.push(DANGER_WORDS[kind]);
            continue;
        }
        if (scopes.includes(CLUSTER_SCOPE)) found.push(`${DANGER_WORDS[kind]} cluster-wide`);
        const namespaces = scopes.filter((s) => s !== CLUSTER_SCOPE);
        if (namespaces.length)
            found.push(
                `${DANGER_WORDS[kind]} in ${namespaces.length > 1 ? "namespaces" : "namespace"} ${namespaces.map(md).join(", ")}`,
            );
    }
    // Still a warning: the reviewer sees that the stack asked for it, not that it is harmless.
    const optedIn = grants.some((g) => g.scope === CLUSTER_SCOPE && g.grant.optedIn);
    return found.length ? `${found.join(", ")}${optedIn ? " (opted in with allowWildcardRbac)" : ""}` : undefined;
}

/**
 * The rights lines of one registration's change, and its wildcard warning. `touched` when any of its RBAC
 * objects changes: the cluster Secret's namespaces and clusterResources follow the roles, so these lines say
 * what a change to them means.
 */
export function rightsLines(
    kind: Kind,
    steps: Step[],
    label: string,
): { details: string[]; warnings: string[]; touched: boolean } {
    const details: string[] = [];
    const warnings: string[] = [];
    const rights = rightsChanges(steps);
    const gained = rights.filter((r) => r.after && !r.before).map((r) => ({ scope: r.scope, grant: r.after! }));
    const lost = rights.filter((r) => r.before && !r.after).map((r) => ({ scope: r.scope, grant: r.before! }));
    const altered = rights.filter((r) => r.before && r.after && !sameRules(r.before.rules, r.after.rules));
    if (kind === "added" && gained.length) details.push(`rights: ${describeGrants(gained)}`);
    else if (kind === "removed" && lost.length) details.push(`rights removed: ${describeGrants(lost)}`);
    else {
        if (gained.length) details.push(`rights gained: ${describeGrants(gained)}`);
        if (lost.length) details.push(`rights lost: ${describeGrants(lost)}`);
    }
    for (const r of altered) {
        const where = r.scope === CLUSTER_SCOPE ? "cluster-wide" : `namespace ${md(r.scope)}`;
        details.push(`rights ${where}: ${describeRuleChange(r.scope, r.before!, r.after!)}`);
    }
    const wild = wildcards([...gained, ...altered.map((a) => ({ scope: a.scope, grant: a.after! }))]);
    if (wild) warnings.push(`${label} gets wildcard RBAC: ${wild}`);
    return { details, warnings, touched: rights.length > 0 };
}
