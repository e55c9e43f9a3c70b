/**
 * Which registration each resource change belongs to, and which of the registration's objects it is. A
 * registration's children are named by components/childNames.ts, so names are read back with parseChildName
 * only; the target's provider is a sibling of the component, found by its name the same way.
 */

import { CLUSTER_REGISTRATION_TYPE } from "../argocd/names";
import { parseChildName } from "../components/childNames";
import { parseUrn, type Step } from "./resourceSteps";

export const KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes";

/** Which registration a step belongs to, by the component's name; undefined for stack-level resources. */
export function registrationOf(step: Step): string | undefined {
    if (step.type === CLUSTER_REGISTRATION_TYPE) return step.name;
    const parent = step.parentUrn ? parseUrn(step.parentUrn) : undefined;
    if (parent && parent.types[parent.types.length - 1] === CLUSTER_REGISTRATION_TYPE) return parent.name;
    // Each target has its own provider, named from its registration (index.ts); the Argo CD provider is stack-level.
    const child = parseChildName(step.name);
    if (step.type === KUBERNETES_PROVIDER_TYPE) return child?.part === "provider" ? child.registration : undefined;
    const urn = parseUrn(step.urn);
    if (!urn?.types.includes(CLUSTER_REGISTRATION_TYPE)) return undefined;
    return child?.registration;
}

export type Part =
    | "component"
    | "provider"
    | "clusterSecret"
    | "token"
    | "tokenSuffix"
    | "boundTokenSuffix"
    | "boundTokenObject"
    | "boundToken"
    | "serviceAccount"
    | "clusterRole"
    | "clusterRoleBinding"
    | "role"
    | "roleBinding"
    | "other";

/**
 * What a registration's resource is: by its type, and for RandomIds, Secrets and the bound token by the child
 * name components/childNames.ts gave it (each token kind has its own suffix, Secret and token resource).
 */
export function partOf(step: Step): Part {
    const child = parseChildName(step.name)?.part;
    // The dynamic provider's type names the project (pulumi-nodejs:dynamic/<project>:BoundToken): go by name.
    if (child === "boundToken") return "boundToken";
    switch (step.type) {
        case CLUSTER_REGISTRATION_TYPE:
            return "component";
        case KUBERNETES_PROVIDER_TYPE:
            return "provider";
        case "random:index/randomId:RandomId":
            // A bound token's suffix has no rotateEvery: it must not read as the secret kind's rotation.
            return child === "boundTokenSuffix" ? "boundTokenSuffix" : "tokenSuffix";
        case "kubernetes:core/v1:ServiceAccount":
            return "serviceAccount";
        case "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole":
            return "clusterRole";
        case "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding":
            return "clusterRoleBinding";
        case "kubernetes:rbac.authorization.k8s.io/v1:Role":
            return "role";
        case "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding":
            return "roleBinding";
        case "kubernetes:core/v1:Secret":
            switch (child) {
                case "clusterSecret":
                    return "clusterSecret";
                case "token":
                    return "token";
                case "boundTokenObject":
                    return "boundTokenObject";
                default:
                    return "other";
            }
        default:
            return "other";
    }
}

/** A bound token's objects: replaced (or created, on a move to bound) together whenever the token is renewed. */
export const BOUND_TOKEN_PARTS: Part[] = ["boundTokenSuffix", "boundTokenObject", "boundToken"];

/** The objects that carry a registration's rights on its target. */
export const RBAC_PARTS: Part[] = ["clusterRole", "role", "clusterRoleBinding", "roleBinding"];

/** What a change means to Argo CD, which knows a cluster by its Secret: a new one, one gone, or one changed. */
export type Kind = "added" | "removed" | "changed";
