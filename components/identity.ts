/**
 * The deployment identity: a random id made once per stack, on its first up (or the first up after upgrading),
 * and kept in the stack's state as a resource of its own. Every object the program writes carries it
 * (OWNER_ANNOTATION), and ownership.ts proves ownership by it. Random, so two stacks, two backends or two
 * organisations never share it, even under one stack name; in the state, so `pulumi stack rename` and a move
 * of the state to another backend keep it. Losing the state loses it, and with it the proof: the objects then
 * count as someone else's and are refused, never taken (docs/ownership.md says how to recover).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { clusterSecretName } from "../argocd/clusterSecret";
import { IDENTITY_RESOURCE_NAME, roleBindingName, roleName, stackAnnotationValue } from "../argocd/names";
import { argocdServerKey } from "../argocd/serverKey";
import type { ObjectRef, Owner } from "./ownership";
import type { RecordedRegistration } from "./removalGuard";

/** The deployment identity of this stack, and the Owner the checks before registering use. */
export interface DeploymentIdentity {
    /** The identity, as every object's OWNER_ANNOTATION. */
    id: pulumi.Output<string>;
    owner: Owner;
}

/**
 * Registers the identity (a no-op when the state has it) and waits for its value: known at once when the state
 * has it, made now by an up that creates it, unknown only in the preview of a stack that has none yet.
 */
export async function deploymentIdentity(recorded: RecordedRegistration[]): Promise<DeploymentIdentity> {
    const identity = new random.RandomId(IDENTITY_RESOURCE_NAME, { byteLength: 16 });
    return {
        id: identity.hex,
        owner: {
            stack: stackAnnotationValue(pulumi.getProject(), pulumi.getStack()),
            id: await knownValue(identity.hex),
            recorded: recordedBy(recorded),
        },
    };
}

/** The value of `output`, or undefined when the engine does not know it (a preview of a create). */
async function knownValue(output: pulumi.Output<string>): Promise<string | undefined> {
    // Output.apply never calls back on an unknown value in a preview, so a plain await would never return.
    const impl = output as unknown as { isKnown: Promise<boolean>; promise(): Promise<string> };
    return (await impl.isKnown) ? impl.promise() : undefined;
}

/**
 * Which objects the last up recorded, by name on the cluster of each registration's server: its cluster Secret,
 * its ServiceAccount with the roles and bindings named after it, and its current token Secret or bound object.
 */
export function recordedBy(registrations: RecordedRegistration[]): (object: ObjectRef) => boolean {
    return (object) => registrations.some((r) => records(r, object));
}

function records(r: RecordedRegistration, object: ObjectRef): boolean {
    if (argocdServerKey(r.server) !== argocdServerKey(object.server)) return false;
    if (object.kind === "Secret")
        return (
            (r.secretName ?? clusterSecretName(r.server)) === object.name ||
            (r.serviceAccount?.split("/")[0] === object.namespace && r.tokenSecretName === object.name)
        );
    if (r.serviceAccount === undefined) return false;
    const account = accountName(r.serviceAccount);
    switch (object.kind) {
        case "ServiceAccount":
            return r.serviceAccount === `${object.namespace}/${object.name}`;
        case "ClusterRole":
        case "Role":
            return object.name === roleName(account);
        case "ClusterRoleBinding":
        case "RoleBinding":
            return object.name === roleBindingName(account);
    }
}

/** `name` of a recorded `<namespace>/<name>`. */
function accountName(serviceAccount: string): string {
    return serviceAccount.slice(serviceAccount.indexOf("/") + 1);
}
