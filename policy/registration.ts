/**
 * Which resources belong to a ClusterRegistration, and which of its Secrets is which. The pack knows a
 * registration's children by their URN (the registration's type is next to last in their type chain) and
 * their parent (the registration, named like its cluster Secret: `cluster-<host>-<fnv32a(server)>`); it never
 * parses child names (components/childNames.ts does, for the summary).
 */
import { CLUSTER_REGISTRATION_TYPE, SERVICE_ACCOUNT_TOKEN_TYPE } from "../argocd/names";
import { get, type Resource } from "./resource";
import { nameOf, typeChainOf } from "./urn";

/** The type the component registers with (components/clusterRegistration.ts), which the pack matches. */
export const REGISTRATION_TYPE = CLUSTER_REGISTRATION_TYPE;
export const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount";
export const CLUSTER_ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
export const ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:Role";

/** Direct children of a ClusterRegistration; its type is next to last in the URN's type chain. */
export function inRegistration(r: Pick<Resource, "urn">): boolean {
    const types = typeChainOf(r.urn);
    return types[types.length - 2] === REGISTRATION_TYPE;
}

/** The registration's name, which is the cluster Secret's name: `cluster-<host>-<fnv32a(server)>`. */
export function registrationOf(r: Resource): string {
    return r.parent ? nameOf(r.parent) : "(unknown registration)";
}

/** The Secret Argo CD reads the cluster from. */
export function isClusterSecret(r: Resource): boolean {
    return r.type === SECRET_TYPE && inRegistration(r) && get(r.props, "type") !== SERVICE_ACCOUNT_TOKEN_TYPE;
}

/** The Secret the token controller fills with the ServiceAccount's token. */
export function isTokenSecret(r: Resource): boolean {
    return r.type === SECRET_TYPE && inRegistration(r) && get(r.props, "type") === SERVICE_ACCOUNT_TOKEN_TYPE;
}
