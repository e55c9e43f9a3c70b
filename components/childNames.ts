/**
 * The Pulumi names of a registration's children, built and parsed in this one place. The component names its
 * children `<registration>-<part>`; the registration summary and anything else reading a preview find the
 * registration and the part back from a name with parseChildName, so renaming a child here renames it
 * everywhere (tests/unit/components/childNames.test.ts checks each part round-trips).
 */

/** The children whose name is the registration's name and a fixed suffix. */
export const CHILD_SUFFIXES = {
    serviceAccount: "-service-account",
    clusterRole: "-cluster-role",
    clusterRoleBinding: "-cluster-role-binding",
    tokenSuffix: "-token-suffix",
    token: "-token",
    clusterSecret: "-cluster-secret",
    /** Bound kind: the bound object's random suffix, the bound object, and the TokenRequest token. */
    boundTokenSuffix: "-bound-token-suffix",
    boundTokenObject: "-bound-token-object",
    boundToken: "-bound-token",
    /** The target cluster's provider: a sibling of the component, not a child (index.ts). */
    provider: "-k8s",
} as const;

export type FixedPart = keyof typeof CHILD_SUFFIXES;

/** Roles and bindings of a namespaced registration also carry their namespace. */
/** Must agree with parseChildName's pattern. */
const ROLE_INFIX = "-role-";
const ROLE_BINDING_INFIX = "-role-binding-";

export type ChildPart = FixedPart | "role" | "roleBinding";

export function childName(registration: string, part: FixedPart): string {
    return `${registration}${CHILD_SUFFIXES[part]}`;
}

export function roleChildName(registration: string, namespace: string): string {
    return `${registration}${ROLE_INFIX}${namespace}`;
}

export function roleBindingChildName(registration: string, namespace: string): string {
    return `${registration}${ROLE_BINDING_INFIX}${namespace}`;
}

export interface ParsedChildName {
    registration: string;
    part: ChildPart;
    /** For role and roleBinding. */
    namespace?: string;
}

/**
 * The registration and part a child's name stands for; undefined for a name no part builds. Registration
 * names are cluster Secret names (`cluster-<host>-<hash>`, clusterSecret.ts): they end in the hash's digits,
 * which is what separates them from a Role's namespace.
 */
export function parseChildName(name: string): ParsedChildName | undefined {
    // Namespaced first: a namespace may itself end like a suffix (`...-role-token`).
    const namespaced = /^(.*-\d+)-role-(binding-)?(.+)$/.exec(name);
    if (namespaced)
        return { registration: namespaced[1], part: namespaced[2] ? "roleBinding" : "role", namespace: namespaced[3] };
    // Longest suffix first: `-cluster-role-binding` before `-cluster-role`, `-token-suffix` before `-token`.
    const parts = (Object.keys(CHILD_SUFFIXES) as FixedPart[]).sort(
        (a, b) => CHILD_SUFFIXES[b].length - CHILD_SUFFIXES[a].length,
    );
    for (const part of parts) {
        const suffix = CHILD_SUFFIXES[part];
        if (name.endsWith(suffix) && name.length > suffix.length)
            return { registration: name.slice(0, -suffix.length), part };
    }
    return undefined;
}
