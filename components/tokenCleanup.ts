/**
 * Revocation of superseded tokens, by the program rather than the engine. The token Secret is created with
 * `retainOnDelete` (managerAccess.ts): when a rotation replaces it, the engine only forgets the old one. The
 * engine would delete it whenever it gets to the replaced resource's delete, whether or not the cluster Secret
 * was switched: after a failed switch with --continue-on-error in the same run, or as a pending delete in a
 * later one. Argo CD would then hold a revoked token. Here the old token Secrets are deleted (which revokes
 * their tokens) only once the cluster Secret's step is done, i.e. it holds the current token.
 *
 * Bound tokens (`kind: bound`) the same way: each is bound to an empty Secret of its own (boundToken.ts), and
 * deleting that object revokes the token at once. Whatever kind the registration has now, the other kind's
 * leftovers are superseded too, so changing kind revokes the old token once Argo CD holds the new one.
 */

import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import {
    BOUND_TOKEN_OBJECT_TYPE,
    BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION,
    CLUSTER_IDENTIFIER_ANNOTATION,
} from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import {
    clientNode,
    deleteSecret,
    describeFailure,
    kubeConfigOf,
    serviceAccountTokenSecrets,
    withDeadline,
} from "./kubeClient";
import { isOurs, type Owner } from "./ownership";

/** The registration's current token: its token Secret (secret kind) or its bound object (bound kind). */
export interface CurrentToken {
    tokenSecret?: pulumi.Output<string>;
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

/**
 * Once `switched` resolves (the cluster Secret's step is done), during an `up` only: deletes every token Secret
 * and bound object of the registration's ServiceAccount that this stack made for this registration, except
 * `current`'s. Never
 * fails the run: what cannot be deleted is warned about, and the next `up` tries again. Resolves to true.
 */
export function revokeSupersededTokens(
    owner: TokenOwner,
    switched: pulumi.Output<unknown>,
    current: CurrentToken,
    parent: pulumi.Resource,
): pulumi.Output<boolean> {
    return pulumi
        .all([switched, current.tokenSecret, current.boundObject])
        .apply(async ([, tokenSecret, boundObject]) => {
            if (pulumi.runtime.isDryRun()) return true;
            const where = `${owner.systemNamespace}/${owner.serviceAccount}`;
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
            const deleted: string[] = [];
            const failed: string[] = [];
            for (const name of names) {
                try {
                    await deleteSecret(core, owner.systemNamespace, name);
                    deleted.push(name);
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
            if (failed.length > 0) {
                await pulumi.log.warn(
                    `cluster "${owner.clusterName}": superseded token Secret(s) of ${where} could NOT be deleted, so their ` +
                        `tokens still work: ${failed.join(", ")}. Delete them by hand, or run up again`,
                    parent,
                );
            }
            return true;
        });
}

async function supersededTokenSecrets(
    core: K8s.CoreV1Api,
    owner: TokenOwner,
    current: string | undefined,
): Promise<string[]> {
    return ours(await serviceAccountTokenSecrets(core, owner.systemNamespace, owner.serviceAccount), owner, current);
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
    return ours(boundToAccount, owner, current);
}

/** This stack's Secrets for this registration, except the current one. */
function ours(secrets: K8s.V1Secret[], owner: TokenOwner, current: string | undefined): string[] {
    return secrets
        .filter((s) => {
            const ref = {
                kind: "Secret" as const,
                namespace: owner.systemNamespace,
                name: s.metadata?.name ?? "",
                server: owner.server,
            };
            return (
                isOurs(s.metadata, owner.owner, ref) &&
                s.metadata?.annotations?.[CLUSTER_IDENTIFIER_ANNOTATION] === owner.clusterIdentifier &&
                s.metadata?.name !== current
            );
        })
        .map((s) => s.metadata!.name!);
}
