/**
 * Which resources belong to a ClusterRegistration, and which of its Secrets is which. The pack knows a
 * registration's children by their URN (the registration's type is next to last in their type chain) and
 * their parent (the registration, named like its cluster Secret: `cluster-<host>-<fnv32a(server)>`). Which child
 * is which is decided where the component names them, components/childNames.ts, for the pack and the summary
 * alike: a registration has several Secrets (the cluster Secret, a token Secret, a bound token's object), and
 * their contents are what a policy checks, so their contents cannot be what tells them apart.
 */
import { CLUSTER_REGISTRATION_TYPE } from "../argocd/names";
import { type ChildPart, parseChildName } from "../components/childNames";
import type { Resource } from "./resource";
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

/** A registration's Secret that the component named as `part`. */
function isSecretChild(r: Pick<Resource, "urn" | "type">, part: ChildPart): boolean {
    return r.type === SECRET_TYPE && inRegistration(r) && parseChildName(nameOf(r.urn))?.part === part;
}

/** The Secret Argo CD reads the cluster from. */
export function isClusterSecret(r: Pick<Resource, "urn" | "type">): boolean {
    return isSecretChild(r, "clusterSecret");
}

/** The Secret the token controller fills with the ServiceAccount's token (kind secret). */
export function isTokenSecret(r: Pick<Resource, "urn" | "type">): boolean {
    return isSecretChild(r, "token");
}
