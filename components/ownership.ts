/**
 * Which objects are ours, in one place: every create-over, change, delete or revocation of an object the
 * program did not just create asks here first (docs/ownership.md). An object is ours only when it carries our
 * exact deployment identity, OWNER_ANNOTATION: a random id generated once per stack and kept in its state
 * (identity.ts). An object without it belongs to someone else (another deployment, even one with the same stack
 * name; `argocd cluster add`; a person) and is never changed or deleted, except by an explicit `adopt`, which
 * proves the CLI's objects by their names and shape instead (adoption.ts).
 *
 * Objects written before identities existed carry only a stack mark, which another deployment under the same
 * stack name also writes. Such an object is ours only when our last up recorded it by name on that very cluster
 * (the `registrations` output): our state made it. The next up writes our identity on it, and from then on only
 * the identity counts.
 *
 * Deletes go through deleteIfProven (deleteSecretIfOurs for our Secrets): it reads the object again right
 * before, proves ownership (or, for an adoption, the CLI's shape) on what it read, and deletes with that read's
 * uid and resourceVersion as preconditions, so an object changed or recreated by someone else in between is
 * left alone.
 */
import type * as K8s from "@kubernetes/client-node";
import { OWNER_ANNOTATION, STACK_ANNOTATION } from "../argocd/names";
import { statusOf, withDeadline } from "./kubeClient";

/** Who we are, as written on every object we create. */
export interface Owner {
    /** `<project>/<stack>`, as STACK_ANNOTATION records it: for people, and for objects from before identities. */
    stack: string;
    /** Our OWNER_ANNOTATION; undefined while it is not known (the preview of a stack that has none yet). */
    id: string | undefined;
    /** Whether our last up recorded this object (only asked of objects without any identity). */
    recorded?: (object: ObjectRef) => boolean;
}

/** An object on a cluster, as the ownership rules need to name it. */
export interface ObjectRef {
    kind: "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding" | "Secret";
    namespace?: string;
    name: string;
    /** The registration's server whose cluster holds it (a target object) or that it registers (a cluster Secret). */
    server: string;
}

interface Marked {
    annotations?: Record<string, string> | { [key: string]: string };
}

/** Whether the object `ref` with `metadata` is ours (see the top of this file). */
export function isOurs(metadata: Marked | undefined, owner: Owner, ref: ObjectRef): boolean {
    const annotations = metadata?.annotations ?? {};
    const id = annotations[OWNER_ANNOTATION];
    if (id !== undefined) return owner.id !== undefined && id === owner.id;
    // Any stack mark: a stack renamed since keeps the old name on its objects until this up rewrites them.
    return annotations[STACK_ANNOTATION] !== undefined && (owner.recorded?.(ref) ?? false);
}

/** Whether `metadata` carries a mark of this program (a stack's or a deployment's) and the object is not ours. */
export function isAnotherOwners(metadata: Marked | undefined, owner: Owner, ref: ObjectRef): boolean {
    const annotations = metadata?.annotations ?? {};
    const marked = annotations[STACK_ANNOTATION] !== undefined || annotations[OWNER_ANNOTATION] !== undefined;
    return marked && !isOurs(metadata, owner, ref);
}

/** Who an object says it belongs to, for messages. */
export function describeOwner(metadata: Marked | undefined): string {
    const annotations = metadata?.annotations ?? {};
    const id = annotations[OWNER_ANNOTATION];
    const stack = annotations[STACK_ANNOTATION];
    if (id !== undefined) return `another deployment (${OWNER_ANNOTATION}: ${id}${stack ? `, stack ${stack}` : ""})`;
    if (stack !== undefined)
        return `stack ${stack}, from before deployment identities, and not recorded by this stack's last up`;
    return `no ${STACK_ANNOTATION} mark: argocd cluster add, a person or another tool`;
}

/** What deleteSecretIfOurs did. */
export type DeleteOutcome = "deleted" | "gone" | "not ours";

/**
 * Deletes the Secret `namespace/name` (on the cluster of `server`) only if, read now, it is ours (and `also`
 * holds for it); the delete is conditional on exactly the object read. A Secret already gone is "gone"; one
 * changed in between (a 409 on the preconditions) is read again on the next run, and reported as "not ours" now.
 */
export async function deleteSecretIfOurs(
    core: K8s.CoreV1Api,
    namespace: string,
    name: string,
    owner: Owner,
    server: string,
    also: (secret: K8s.V1Secret) => boolean = () => true,
): Promise<DeleteOutcome> {
    return deleteIfProven(
        () => core.readNamespacedSecret({ name, namespace }),
        (secret) => isOurs(secret.metadata, owner, { kind: "Secret", namespace, name, server }) && also(secret),
        (preconditions) => core.deleteNamespacedSecret({ name, namespace, body: { preconditions } }),
    );
}

/** What a conditional delete sends: exactly the object that was read and proven. */
export interface Preconditions {
    uid?: string;
    resourceVersion?: string;
}

/**
 * The one way an object is deleted: `read` it now, delete it only if `proof` holds for what was read, and only
 * that very object (`remove` sends the read's uid and resourceVersion as preconditions). The proof is our mark
 * (deleteSecretIfOurs) or, for an adoption, the exact name and shape of what `argocd cluster add` makes.
 */
export async function deleteIfProven<T extends { metadata?: K8s.V1ObjectMeta }>(
    read: () => Promise<T>,
    proof: (object: T) => boolean,
    remove: (preconditions: Preconditions) => Promise<unknown>,
): Promise<DeleteOutcome> {
    let object: T;
    try {
        object = await withDeadline(read());
    } catch (err) {
        if (statusOf(err) === 404) return "gone";
        throw err;
    }
    if (!proof(object)) return "not ours";
    try {
        await withDeadline(remove({ uid: object.metadata?.uid, resourceVersion: object.metadata?.resourceVersion }));
        return "deleted";
    } catch (err) {
        if (statusOf(err) === 404) return "gone";
        if (statusOf(err) === 409) return "not ours";
        throw err;
    }
}
