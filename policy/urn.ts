/**
 * Reading Pulumi URNs. Policies are not told a resource's stack or its place in the component tree; the URN
 * carries both: `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`.
 */

/** The stack a resource belongs to. */
export function stackOf(urn: string): string {
    return urn.split("::", 1)[0].replace(/^urn:pulumi:/, "");
}

/** The resource's Pulumi name. */
export function nameOf(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

/** The types from the outermost parent's to the resource's own, which is last. */
export function typeChainOf(urn: string): string[] {
    return (urn.split("::")[2] ?? "").split("$");
}
