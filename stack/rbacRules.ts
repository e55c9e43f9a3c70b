/**
 * The RBAC rules an entry grants (`rules`, `clusterRules`) and the verbs they may use (`customVerbs`). They
 * become Roles and ClusterRoles on the target, so they are checked as the API server and Argo CD read them,
 * plus what a reviewer needs to trust them (no invisible characters, no verb Kubernetes does not know). Apart
 * from the other stack rules because they are the one part of an entry shaped like Kubernetes objects.
 */
import type { PolicyRule } from "../argocd/names";
import { RULE_KEYS } from "./keys";
import { CUSTOM_VERB, NON_RESOURCE_VERBS, RESOURCE_VERBS } from "./kubernetesNames";
import { type Obj, type Problems, quoteVisibly, visibleOnly } from "./problems";

/** `customVerbs`: verbs of the cluster's own APIs that this entry's rules may use. */
export function validateCustomVerbs(p: Problems, path: string, raw: unknown): string[] {
    const list = p.stringList(path, raw, "list verbs, e.g. [frobnicate]") ?? [];
    list.forEach((verb, i) => {
        if (!CUSTOM_VERB.test(verb)) {
            p.add(
                `${path}[${i}]`,
                `${quoteVisibly(verb)} is not a verb`,
                "write a verb in lowercase letters, digits and '-', as the API's authorizer checks it",
            );
        }
    });
    return list;
}

/** Each string of a rule's lists: no invisible characters; verbs known to Kubernetes or listed in customVerbs. */
function checkRuleStrings(p: Problems, at: string, o: Obj, isUrlRule: boolean, customVerbs: string[]): void {
    for (const key of Object.keys(RULE_KEYS)) {
        const list = o[key];
        if (!Array.isArray(list)) continue;
        list.forEach((item, i) => {
            if (typeof item !== "string" || !visibleOnly(p, `${at}.${key}[${i}]`, item) || key !== "verbs") return;
            const known = isUrlRule ? NON_RESOURCE_VERBS : RESOURCE_VERBS;
            if (item !== "" && !known.includes(item) && !customVerbs.includes(item)) {
                p.add(
                    `${at}.${key}[${i}]`,
                    `${quoteVisibly(item)} is not a verb Kubernetes knows`,
                    `use ${known.filter((v) => v !== "*").join(", ")} or "*"; for a verb of your own API, list it in customVerbs of this entry`,
                );
            }
        });
    }
}

export function validateRules(
    p: Problems,
    path: string,
    raw: unknown,
    namespaced: boolean,
    customVerbs: string[],
): PolicyRule[] | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw) || raw.length === 0) {
        return p.add(
            path,
            "must be a non-empty list of RBAC PolicyRules",
            "write rules as in a Role, e.g. [{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}]",
        );
    }
    const before = p.list.length;
    const rules = raw.map((entry, i): PolicyRule | undefined => {
        const at = `${path}[${i}]`;
        const o = p.object(at, entry, RULE_KEYS);
        if (!o) return undefined;
        const listFix = "write a list of strings";
        const apiGroups = stringListAllowingEmpty(p, `${at}.apiGroups`, o.apiGroups);
        const resources = p.stringList(`${at}.resources`, o.resources, listFix);
        const resourceNames = p.stringList(`${at}.resourceNames`, o.resourceNames, listFix);
        if (resourceNames?.length === 0) {
            // An empty resourceNames does not narrow a rule: RBAC grants every name.
            p.add(
                `${at}.resourceNames`,
                "is an empty list, which RBAC reads as every name",
                RULE_KEYS.resourceNames.ifNull,
            );
        }
        const nonResourceURLs = p.stringList(`${at}.nonResourceURLs`, o.nonResourceURLs, listFix);
        const verbs = p.stringList(
            `${at}.verbs`,
            o.verbs,
            "list verbs such as get, list, watch, create, update, patch, delete",
        );
        if (!verbs || verbs.length === 0) {
            if (o.verbs === undefined) p.add(`${at}.verbs`, "is required", "list verbs such as get, list, watch");
            else if (verbs) p.add(`${at}.verbs`, "is an empty list", "list at least one verb");
        }
        const hasResources = (resources?.length ?? 0) > 0;
        const hasUrls = (nonResourceURLs?.length ?? 0) > 0;
        checkRuleStrings(p, at, o, hasUrls && !hasResources, customVerbs);
        if (hasResources && verbs?.includes("list") && !verbs.includes("watch") && !verbs.includes("*")) {
            // Argo CD's controller lists, then watches, every kind it may list; a refused watch is retried forever
            // and its cache never sees a change (observed with Argo CD's own code, tests/e2e/argocd.e2e.test.ts).
            p.add(
                `${at}.verbs`,
                "grants list without watch: Argo CD watches what it lists, so it would never see these resources change",
                "add watch to the verbs",
            );
        }
        if (hasResources && hasUrls) {
            p.add(
                at,
                "mixes resources and nonResourceURLs",
                "split it into one rule for resources and one for nonResourceURLs",
            );
        } else if (!hasResources && !hasUrls) {
            p.add(
                at,
                "grants nothing: it has neither resources nor nonResourceURLs",
                "add resources (with apiGroups) or nonResourceURLs",
            );
        } else if (hasResources && apiGroups === undefined) {
            p.add(
                `${at}.apiGroups`,
                "is required with resources",
                'list API groups, "" for the core group, e.g. ["", apps]',
            );
        } else if (hasResources && apiGroups?.length === 0) {
            // The API server refuses it ("resource rules must supply at least one api group").
            p.add(
                `${at}.apiGroups`,
                "is an empty list: a rule with resources must name at least one API group",
                'list API groups, "" for the core group, e.g. ["", apps]',
            );
        } else if (hasUrls && (apiGroups || resourceNames)) {
            p.add(
                at,
                "has apiGroups or resourceNames beside nonResourceURLs",
                "remove them: non-resource URLs have no API group or name",
            );
        }
        if (hasUrls && namespaced) {
            p.add(
                `${at}.nonResourceURLs`,
                "cannot be granted in namespaced mode: a Role holds only namespaced resources",
                "remove it, or grant it cluster-wide through clusterRules with clusterResources: true",
            );
        }
        const rule: PolicyRule = { verbs: verbs ?? [] };
        if (apiGroups) rule.apiGroups = apiGroups;
        if (resources) rule.resources = resources;
        if (resourceNames) rule.resourceNames = resourceNames;
        if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
        return rule;
    });
    return p.list.length > before ? undefined : (rules as PolicyRule[]);
}

/** apiGroups is the one list where "" is meaningful (the core group). */
function stringListAllowingEmpty(p: Problems, path: string, raw: unknown): string[] | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw) || raw.some((g) => typeof g !== "string")) {
        return p.add(path, "must be a list of strings", 'list API groups, "" for the core group, e.g. ["", apps]');
    }
    return raw as string[];
}

/**
 * Resources that `rules` let Argo CD create but never change: `create` without `patch` (or `*`). Argo CD's
 * controller applies every later version of an object with a patch (`kubectl apply`, or a server-side apply,
 * which is a patch too), so the first sync of such an object works and every later change of it fails with
 * "cannot patch resource". Returned as `resource.group` names, for a warning: a stack may mean it (objects that
 * are only ever created), so it is not refused.
 */
export function createdButNeverPatched(rules: PolicyRule[]): string[] {
    const found: string[] = [];
    for (const rule of rules) {
        const verbs = rule.verbs;
        if (verbs.includes("*") || !verbs.includes("create") || verbs.includes("patch")) continue;
        for (const group of rule.apiGroups ?? [""])
            for (const resource of rule.resources ?? []) found.push(group === "" ? resource : `${resource}.${group}`);
    }
    return [...new Set(found)];
}
