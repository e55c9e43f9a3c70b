/**
 * Revocation of superseded tokens, by the program rather than the engine. The token Secret is created with
 * `retainOnDelete` (managerAccess.ts): when a rotation replaces it, the engine only forgets the old one. The
 * engine would delete it whenever it gets to the replaced resource's delete, whether or not the cluster Secret
 * was switched: after a failed switch with --continue-on-error in the same run, or as a pending delete in a
 * later one. Argo CD would then hold a revoked token.
 *
 * Here the old token Secrets are deleted (which revokes their tokens) only once the switch is proven in this
 * run, whatever engine flags were given: right before revoking, Argo CD's cluster Secret is read back from the
 * Argo CD cluster, and nothing is revoked unless it holds the token this run leaves the registration with. That
 * the cluster Secret's step is done proves nothing by itself: with `--exclude` on the cluster Secret, or
 * `--target` on the token alone, the step is skipped and its outputs come from the old state, while the token
 * is replaced. Each token Secret is also deleted only if, read again right before, it is ours (ownership.ts) and
 * does not hold the token Argo CD holds.
 *
 * Bound tokens (`kind: bound`) the same way: each is bound to an empty Secret of its own (boundToken.ts), and
 * deleting that object revokes the token at once. A bound object holds no token; once the cluster Secret holds
 * the current token, which is bound to the current object, no other bound object's token is the one Argo CD
 * holds. Whatever kind the registration has now, the other kind's leftovers are superseded too, so changing
 * kind revokes the old token once Argo CD holds the new one.
 */

import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import {
    BOUND_TOKEN_OBJECT_TYPE,
    BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION,
    CLUSTER_IDENTIFIER_ANNOTATION,
} from "../argocd/names";
import { decodeClusterSecret } from "../health/clusterSecrets";
import type { ClusterAccess } from "../stack/kubeconfig";
import {
    clientNode,
    describeFailure,
    kubeConfigOf,
    serviceAccountTokenSecrets,
    statusOf,
    withDeadline,
} from "./kubeClient";
import { deleteSecretIfOurs, isOurs, type Owner } from "./ownership";

/** The registration's current token: what Argo CD must hold, and the object that issued it on the target. */
export interface CurrentToken {
    /** The token itself (the token Secret's, or the bound token). Secret: compared, never logged. */
    bearerToken: pulumi.Output<string>;
    /** Secret kind: the current token Secret's name. */
    tokenSecret?: pulumi.Output<string>;
    /** Bound kind: the current bound object's name. */
    boundObject?: pulumi.Output<string>;
}

/** Which token Secrets on the target are this registration's. */
export interface TokenOwner {
    /** Argo CD name of the registration, for messages. */
    clusterName: string;
    target: ClusterAccess;
    systemNamespace: string;
    serviceAccount: string;
    /** Who we are (ownership.ts): only objects that are provably ours are revoked. */
    owner: Owner;
    /** The registration's server, whose cluster holds the tokens. */
    server: string;
    /** CLUSTER_IDENTIFIER_ANNOTATION of the registration's target objects. */
    clusterIdentifier: string;
}

/** Where Argo CD holds the registration's token: its cluster Secret, on the Argo CD cluster. */
export interface ClusterSecretRef {
    access: ClusterAccess;
    /** The cluster Secret resource's namespace and name: resolve once its step is done. */
    namespace: pulumi.Output<string>;
    name: pulumi.Output<string>;
}

/**
 * Once the cluster Secret's step is done, during an `up` only: deletes every token Secret and bound object of
 * the registration's ServiceAccount that is ours and made for this registration, except `current`'s, provided
 * the cluster Secret, read back now, holds `current`'s token. Never fails the run: what is kept is warned about,
 * naming each Secret and why, and the next `up` tries again. Resolves to true.
 */
export function revokeSupersededTokens(
    owner: TokenOwner,
    clusterSecret: ClusterSecretRef,
    current: CurrentToken,
    parent: pulumi.Resource,
): pulumi.Output<boolean> {
    const done = pulumi
        .all([
            clusterSecret.namespace,
            clusterSecret.name,
            current.bearerToken,
            current.tokenSecret,
            current.boundObject,
        ])
        .apply(async ([hubNamespace, hubName, bearerToken, tokenSecret, boundObject]) => {
            if (pulumi.runtime.isDryRun()) return true;
            const where = `${owner.systemNamespace}/${owner.serviceAccount}`;
            const prefix = `cluster "${owner.clusterName}": superseded token Secret(s) of ${where} on the target`;
            let core: K8s.CoreV1Api;
            let names: string[];
            try {
                core = (await kubeConfigOf(owner.target)).makeApiClient((await clientNode()).CoreV1Api);
                names = [
                    ...(await supersededTokenSecrets(core, owner, tokenSecret)),
                    ...(await supersededBoundObjects(core, owner, boundObject)),
                ];
            } catch (err) {
                await pulumi.log.warn(
                    `cluster "${owner.clusterName}": cannot list the token Secrets of ${where} on the target ` +
                        `(${describeFailure(err)}), so superseded tokens were not revoked; the next up tries again`,
                    parent,
                );
                return true;
            }
            if (names.length === 0) return true;

            const held = await heldToken(clusterSecret.access, hubNamespace, hubName, bearerToken);
            if ("unproven" in held) {
                await pulumi.log.warn(
                    `${prefix} were NOT deleted, so their tokens still work: ${names.join(", ")}. ${held.unproven}. ` +
                        "A token is revoked only once Argo CD is proven to hold its successor; the next up that " +
                        "writes the cluster Secret revokes them",
                    parent,
                );
                return true;
            }

            const deleted: string[] = [];
            const kept: string[] = [];
            const failed: string[] = [];
            for (const name of names) {
                let why = "it changed since it was listed, or is no longer ours";
                const revocable = (secret: K8s.V1Secret) => {
                    if (!ofRegistration(secret, owner)) return false;
                    if (tokenOf(secret) === held.token) {
                        why = "Argo CD's cluster Secret holds its token";
                        return false;
                    }
                    return true;
                };
                try {
                    const outcome = await deleteSecretIfOurs(
                        core,
                        owner.systemNamespace,
                        name,
                        owner.owner,
                        owner.server,
                        revocable,
                    );
                    if (outcome === "not ours") kept.push(`${name} (${why})`);
                    else deleted.push(name);
                } catch (err) {
                    failed.push(`${name} (${describeFailure(err)})`);
                }
            }
            if (deleted.length > 0) {
                await pulumi.log.info(
                    `cluster "${owner.clusterName}": deleted superseded token Secret(s) of ${where}, revoking them: ${deleted.join(", ")}`,
                    parent,
                );
            }
            if (kept.length > 0) {
                await pulumi.log.warn(
                    `${prefix} were left alone, so their tokens still work: ${kept.join(", ")}`,
                    parent,
                );
            }
            if (failed.length > 0) {
                await pulumi.log.warn(
                    `${prefix} could NOT be deleted, so their tokens still work: ${failed.join(", ")}. ` +
                        "Delete them by hand, or run up again",
                    parent,
                );
            }
            return true;
        });
    // Depends on the token, a secret; the result itself is none.
    return pulumi.unsecret(done);
}

/** The token Argo CD holds, read now from its cluster Secret, if it is `current`; else why the switch is unproven. */
async function heldToken(
    access: ClusterAccess,
    namespace: string,
    name: string,
    current: string,
): Promise<SwitchProof> {
    const where = `Argo CD's cluster Secret ${namespace}/${name}`;
    let read: K8s.V1Secret;
    try {
        const core = (await kubeConfigOf(access)).makeApiClient((await clientNode()).CoreV1Api);
        read = await withDeadline(core.readNamespacedSecret({ namespace, name }));
    } catch (err) {
        if (statusOf(err) === 404) return { unproven: `${where} does not exist` };
        return {
            unproven: `${where} could not be read back on the Argo CD cluster (context "${access.context}": ${describeFailure(err)})`,
        };
    }
    return switchProof(read, where, current);
}

export type SwitchProof = { token: string } | { unproven: string };

/**
 * Whether the cluster Secret `read`, decoded as Argo CD decodes it, holds `current`: then the token it holds,
 * else why not. Never says what either token is.
 */
export function switchProof(read: K8s.V1Secret, where: string, current: string): SwitchProof {
    const decoded = decodeClusterSecret(read);
    if (!decoded.connection) return { unproven: `Argo CD cannot use ${where}: ${decoded.problem}` };
    if (decoded.connection.bearerToken !== current) {
        return {
            unproven:
                `${where} does not hold the token this run issued: it was not written in this run (--exclude or ` +
                "--target left it out, or its write failed)",
        };
    }
    return { token: decoded.connection.bearerToken };
}

/** A token Secret's token (`data.token`); a bound object holds none. */
function tokenOf(secret: K8s.V1Secret): string | undefined {
    const encoded = secret.data?.token;
    return encoded ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** Made for this registration's target (not another registration's on the same account). */
function ofRegistration(secret: K8s.V1Secret, owner: TokenOwner): boolean {
    return secret.metadata?.annotations?.[CLUSTER_IDENTIFIER_ANNOTATION] === owner.clusterIdentifier;
}

async function supersededTokenSecrets(
    core: K8s.CoreV1Api,
    owner: TokenOwner,
    current: string | undefined,
): Promise<string[]> {
    return superseded(
        await serviceAccountTokenSecrets(core, owner.systemNamespace, owner.serviceAccount),
        owner,
        current,
    );
}

async function supersededBoundObjects(
    core: K8s.CoreV1Api,
    owner: TokenOwner,
    current: string | undefined,
): Promise<string[]> {
    const list = await withDeadline(
        core.listNamespacedSecret({
            namespace: owner.systemNamespace,
            fieldSelector: `type=${BOUND_TOKEN_OBJECT_TYPE}`,
        }),
    );
    const boundToAccount = list.items.filter(
        (s) => s.metadata?.annotations?.[BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION] === owner.serviceAccount,
    );
    return superseded(boundToAccount, owner, current);
}

/** Our Secrets for this registration, except the current one. */
export function superseded(secrets: K8s.V1Secret[], owner: TokenOwner, current: string | undefined): string[] {
    return secrets
        .filter((s) => {
            const ref = {
                kind: "Secret" as const,
                namespace: owner.systemNamespace,
                name: s.metadata?.name ?? "",
                server: owner.server,
            };
            return isOurs(s.metadata, owner.owner, ref) && ofRegistration(s, owner) && s.metadata?.name !== current;
        })
        .map((s) => s.metadata!.name!);
}
