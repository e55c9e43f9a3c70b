/**
 * Which API kinds Argo CD's application controller leaves alone on a cluster: `resource.exclusions` and
 * `resource.inclusions` of argocd-cm, on top of the exclusions built into its code, applied as Argo CD v3.6 does
 * (util/settings/resources_filter.go, filtered_resource.go, util/glob). Argo CD 3.0's install manifests ship a
 * default `resource.exclusions` (Endpoints, EndpointSlice, Lease, the access reviews, CertificateSigningRequest,
 * Cilium's and Kyverno's reports, ...) in argocd-cm itself; an argocd-cm without the key (OpenShift GitOps may
 * write none) leaves only the built-in ones. The controller neither lists nor watches what is excluded, so a
 * registration needs no rights on it.
 */
import * as yaml from "js-yaml";

/** One entry of resource.exclusions or resource.inclusions: API group globs, kinds, cluster URL globs. */
export interface FilteredResource {
    apiGroups?: string[];
    kinds?: string[];
    clusters?: string[];
}

export interface ResourcesFilter {
    exclusions: FilteredResource[];
    inclusions: FilteredResource[];
}

export const RESOURCE_EXCLUSIONS_KEY = "resource.exclusions";
export const RESOURCE_INCLUSIONS_KEY = "resource.inclusions";

/** Argo CD's coreExcludedResources: excluded whatever argocd-cm says. */
const CORE_EXCLUSIONS: FilteredResource[] = [
    { apiGroups: ["events.k8s.io", "metrics.k8s.io"] },
    { apiGroups: [""], kinds: ["Event"] },
    { apiGroups: ["coordination.k8s.io"], kinds: ["Lease"] },
];

/**
 * The filter Argo CD reads from argocd-cm's data, or why it cannot: Argo CD unmarshals each key's YAML into
 * []FilteredResource (Go's JSON: keys fold case, null is empty) and, failing, loads no cluster cache at all.
 */
export function resourcesFilterOf(data: Record<string, string> | undefined): ResourcesFilter | { error: string } {
    const read = (key: string): FilteredResource[] | string => {
        const value = data?.[key];
        if (value === undefined) return [];
        let parsed: unknown;
        try {
            parsed = yaml.load(value);
        } catch {
            return `${key} is not YAML`;
        }
        if (parsed === null || parsed === undefined) return [];
        if (!Array.isArray(parsed)) return `${key} is not a list`;
        const entries: FilteredResource[] = [];
        for (const [i, item] of parsed.entries()) {
            if (item === null) {
                entries.push({});
                continue;
            }
            if (typeof item !== "object" || Array.isArray(item)) return `${key}[${i}] is not a mapping`;
            const entry: FilteredResource = {};
            for (const [field, raw] of Object.entries(item as Record<string, unknown>)) {
                const name = (["apiGroups", "kinds", "clusters"] as const).find(
                    (f) => f.toLowerCase() === field.toLowerCase(),
                );
                if (name === undefined || raw === null) continue;
                if (!Array.isArray(raw) || raw.some((v) => typeof v !== "string"))
                    return `${key}[${i}].${field} is not a list of strings`;
                entry[name] = raw as string[];
            }
            entries.push(entry);
        }
        return entries;
    };
    const exclusions = read(RESOURCE_EXCLUSIONS_KEY);
    const inclusions = read(RESOURCE_INCLUSIONS_KEY);
    if (typeof exclusions === "string") return { error: exclusions };
    if (typeof inclusions === "string") return { error: inclusions };
    return { exclusions, inclusions };
}

/**
 * gobwas/glob without separators, as Argo CD's glob.Match compiles it: `*` any text, `?` one character,
 * `[abc]`, `[a-z]`, `[!abc]`, `{a,b}`, `\` escapes. A pattern that does not compile matches nothing.
 */
export function globMatch(pattern: string, text: string): boolean {
    let source = "";
    let braces = 0;
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === "\\") {
            if (i + 1 >= pattern.length) return false;
            source += literal(pattern[++i]);
        } else if (c === "*") source += "[^]*";
        else if (c === "?") source += "[^]";
        else if (c === "[") {
            const end = pattern.indexOf("]", i + 2);
            if (end < 0) return false;
            let body = pattern.slice(i + 1, end);
            const negated = body.startsWith("!");
            if (negated) body = body.slice(1);
            source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
            i = end;
        } else if (c === "{") {
            braces++;
            source += "(?:";
        } else if (c === "}" && braces > 0) {
            braces--;
            source += ")";
        } else if (c === "," && braces > 0) source += "|";
        else source += literal(c);
    }
    if (braces !== 0) return false;
    try {
        return new RegExp(`^(?:${source})$`, "u").test(text);
    } catch {
        return false;
    }
}

function literal(c: string): string {
    return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function matches(r: FilteredResource, group: string, kind: string, cluster: string): boolean {
    const groups = r.apiGroups ?? [];
    const kinds = r.kinds ?? [];
    const clusters = r.clusters ?? [];
    return (
        (groups.length === 0 || groups.some((g) => globMatch(g, group))) &&
        (kinds.length === 0 || kinds.some((k) => k === "*" || k === kind)) &&
        (clusters.length === 0 || clusters.some((c) => globMatch(c, cluster)))
    );
}

/**
 * Argo CD's IsExcludedResource: excluded (built in or by resource.exclusions) wins; else included by
 * resource.inclusions; else excluded when any inclusion names this cluster (or every cluster); else watched.
 * `cluster` is the registration's server URL, as Argo CD matches `clusters` against it.
 */
export function isExcludedResource(filter: ResourcesFilter, group: string, kind: string, cluster: string): boolean {
    if ([...CORE_EXCLUSIONS, ...filter.exclusions].some((r) => matches(r, group, kind, cluster))) return true;
    if (filter.inclusions.some((r) => matches(r, group, kind, cluster))) return false;
    return filter.inclusions.some(
        (r) => (r.clusters ?? []).length === 0 || r.clusters!.some((c) => globMatch(c, cluster)),
    );
}
