/**
 * What a set of RBAC rules grants that amounts to cluster-admin, or leads to it, judged by what the rules
 * grant rather than by a literal "*". The policy pack refuses these in production and the registration
 * summary warns about them; both call `dangerousRights`, so they can never disagree.
 *
 * Matching follows the API server's RBAC authorizer (pkg/apis/rbac/v1/evaluation_helpers.go): a verb, API
 * group or resource matches "*" or itself, and "*\/<sub>" matches that subresource of every resource. One
 * deliberate difference: "*\/*" is taken to match every subresource (the authorizer reads it as a subresource
 * literally named "*"), so a spelling that only looks like everything is refused rather than waved through.
 */
import type { PolicyRule } from "../argocd/names";

/** Every verb the API server checks on resources; "*" grants them all, and so does listing them all. */
export const RESOURCE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

const RBAC_GROUP = "rbac.authorization.k8s.io";

/** A request the authorizer would evaluate; `resource` may be `resource/subresource`. */
interface Request {
    verb: string;
    group: string;
    resource: string;
}

export type DangerKind = "every-resource" | "every-non-resource-url" | "escalate" | "bind" | "impersonate" | "token";

export interface Danger {
    kind: DangerKind;
    /** For messages: which rules grant it and what, e.g. `rules[0] grants verbs "*" on resources "*"`. */
    detail: string;
}

/**
 * Resources no rule can list by name: only "*" reaches them. Granting every verb on one of them means
 * granting every verb on every resource of that group.
 */
const ANY_RESOURCE = "\u0000any-resource";
const ANY_GROUP = "\u0000any-group";

function matches(list: string[] | undefined, value: string): boolean {
    return (list ?? []).some((item) => item === "*" || item === value);
}

function resourceMatches(rule: PolicyRule, resource: string): boolean {
    const subresource = resource.includes("/") ? resource.slice(resource.indexOf("/") + 1) : "";
    return (rule.resources ?? []).some(
        (r) => r === "*" || r === resource || (subresource !== "" && (r === `*/${subresource}` || r === "*/*")),
    );
}

function grants(rule: PolicyRule, request: Request, ignoreNames: boolean): boolean {
    // resourceNames narrow a rule to named objects; for escalation paths one name (cluster-admin) is enough.
    if (!ignoreNames && (rule.resourceNames ?? []).length > 0) return false;
    return (
        matches(rule.verbs, request.verb) &&
        matches(rule.apiGroups, request.group) &&
        resourceMatches(rule, request.resource)
    );
}

/** Indices of the rules granting `request`. */
function granting(rules: PolicyRule[], request: Request, ignoreNames = true): number[] {
    return rules.flatMap((rule, i) => (grants(rule, request, ignoreNames) ? [i] : []));
}

const which = (indices: number[]) => indices.map((i) => `rules[${i}]`).join(", ");

/** Every verb on every resource, in one rule or spread over several, of every API group or of one. */
function everyResource(rules: PolicyRule[]): Danger[] {
    const literal = rules.flatMap((rule, i) =>
        !(rule.resourceNames ?? []).length && (rule.verbs ?? []).includes("*") && (rule.resources ?? []).includes("*")
            ? [i]
            : [],
    );
    if (literal.length > 0) {
        return literal.map((i) => ({
            kind: "every-resource" as const,
            detail: `rules[${i}] grants verbs "*" on resources "*"`,
        }));
    }
    const groups = [ANY_GROUP, ...new Set(rules.flatMap((r) => r.apiGroups ?? []).filter((g) => g !== "*"))];
    for (const group of groups) {
        const perVerb = RESOURCE_VERBS.map((verb) => granting(rules, { verb, group, resource: ANY_RESOURCE }, false));
        if (perVerb.some((indices) => indices.length === 0)) continue;
        const indices = [...new Set(perVerb.flat())].sort((a, b) => a - b);
        const where =
            group === ANY_GROUP ? "every API group" : `API group ${group === "" ? '"" (core)' : `"${group}"`}`;
        return [
            {
                kind: "every-resource",
                detail:
                    `${which(indices)} ${indices.length > 1 ? "together grant" : "grants"} every verb (${RESOURCE_VERBS.join(", ")}) ` +
                    `on resources "*" of ${where}`,
            },
        ];
    }
    return [];
}

/** Rights that lead to cluster-admin without granting it: each names the request it allows. */
const PATHS: { kind: DangerKind; requests: Request[]; what: string }[] = [
    {
        kind: "escalate",
        requests: ["roles", "clusterroles"].map((resource) => ({ verb: "escalate", group: RBAC_GROUP, resource })),
        what: "escalate on roles or clusterroles (write any rights into a role)",
    },
    {
        kind: "bind",
        requests: ["roles", "clusterroles"].map((resource) => ({ verb: "bind", group: RBAC_GROUP, resource })),
        what: "bind on roles or clusterroles (bind any role, cluster-admin included)",
    },
    {
        kind: "impersonate",
        requests: ["users", "groups", "serviceaccounts"].map((resource) => ({
            verb: "impersonate",
            group: "",
            resource,
        })),
        what: "impersonate on users, groups or serviceaccounts (act as anyone)",
    },
    {
        kind: "token",
        requests: [{ verb: "create", group: "", resource: "serviceaccounts/token" }],
        what: "create on serviceaccounts/token (mint a token of any ServiceAccount it reaches)",
    },
];

/** Everything in `rules` that is cluster-admin or a path to it; empty when nothing. */
export function dangerousRights(rules: PolicyRule[]): Danger[] {
    const found = everyResource(rules);
    // A rule already reported as every verb on every resource grants these too; naming it again adds nothing.
    const everything = new Set(
        found.flatMap((d) => [...d.detail.matchAll(/rules\[(\d+)\]/g)].map((m) => Number(m[1]))),
    );
    for (const path of PATHS) {
        const indices = [...new Set(path.requests.flatMap((request) => granting(rules, request)))].sort(
            (a, b) => a - b,
        );
        if (indices.length > 0 && indices.some((i) => !everything.has(i)))
            found.push({
                kind: path.kind,
                detail: `${which(indices)} ${indices.length > 1 ? "grant" : "grants"} ${path.what}`,
            });
    }
    rules.forEach((rule, i) => {
        if ((rule.nonResourceURLs ?? []).includes("*"))
            found.push({ kind: "every-non-resource-url", detail: `rules[${i}] grants nonResourceURLs "*"` });
    });
    return found;
}

/**
 * Namespaces where namespaced rights are cluster-wide rights: they hold the ServiceAccounts of the cluster's
 * own controllers (kube-system, OpenShift's openshift-*), whose tokens full rights there can mint or read.
 * The registration's own system namespace is added by the caller.
 */
export function isSystemNamespace(namespace: string): boolean {
    return /^kube-/.test(namespace) || namespace === "openshift" || /^openshift-/.test(namespace);
}
