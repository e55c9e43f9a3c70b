/**
 * Which objects are ours, in one place: every create-over, change, delete or revocation of an object the
 * program did not just create asks here first. An object is ours only when it carries our exact mark; an
 * object without it belongs to someone else (another stack or deployment, `argocd cluster add`, a person) and
 * is never changed or deleted, except by an explicit `adopt`, which proves the CLI's objects by their names
 * and shape instead (adoption.ts).
 *
 * Deletes go through deleteIfProven (deleteSecretIfOurs for our Secrets): it reads the object again right
 * before, proves the mark (or the CLI's shape) on what it read, and deletes with that read's uid and
 * resourceVersion as preconditions, so an object changed or recreated by someone else in between is left alone.
 */
import type * as K8s from "@kubernetes/client-node";
import { STACK_ANNOTATION } from "../argocd/names";
import { statusOf, withDeadline } from "./kubeClient";

/** Who we are, as written on every object we create. */
export interface Owner {
    /** `<project>/<stack>`, as STACK_ANNOTATION records it. */
    stack: string;
}

interface Marked {
    annotations?: Record<string, string> | { [key: string]: string };
}

/** Whether `metadata` carries exactly our mark. */
export function isOurs(metadata: Marked | undefined, owner: Owner): boolean {
    return metadata?.annotations?.[STACK_ANNOTATION] === owner.stack;
}

/** Whether `metadata` carries a mark of this program that is not ours: another stack's or deployment's. */
export function isAnotherOwners(metadata: Marked | undefined, owner: Owner): boolean {
    return metadata?.annotations?.[STACK_ANNOTATION] !== undefined && !isOurs(metadata, owner);
}

/** Who an object says it belongs to, for messages: its stack mark, or that it has none. */
export function describeOwner(metadata: Marked | undefined): string {
    const stack = metadata?.annotations?.[STACK_ANNOTATION];
    return stack ? `stack ${stack}` : `no ${STACK_ANNOTATION} mark (argocd cluster add, a person or another tool)`;
}

/** What deleteIfOurs did. */
export type DeleteOutcome = "deleted" | "gone" | "not ours";

/**
 * Deletes the Secret `namespace/name` only if, read now, it carries our mark (and `also` holds for it); the
 * delete is conditional on exactly the object read. A Secret already gone is "gone"; one changed in between
 * (a 409 on the preconditions) is read again on the next run, and reported as "not ours" now.
 */
export async function deleteSecretIfOurs(
    core: K8s.CoreV1Api,
    namespace: string,
    name: string,
    owner: Owner,
    also: (secret: K8s.V1Secret) => boolean = () => true,
): Promise<DeleteOutcome> {
    return deleteIfProven(
        () => core.readNamespacedSecret({ name, namespace }),
        (secret) => isOurs(secret.metadata, owner) && also(secret),
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
