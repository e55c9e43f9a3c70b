/**
 * Revocation of superseded tokens, by the program rather than the engine. The token Secret is created with
 * `retainOnDelete` (managerAccess.ts): when a rotation replaces it, the engine only forgets the old one. The
 * engine would delete it whenever it gets to the replaced resource's delete, whether or not the cluster Secret
 * was switched: after a failed switch with --continue-on-error in the same run, or as a pending delete in a
 * later one. Argo CD would then hold a revoked token. Here the old token Secrets are deleted (which revokes
 * their tokens) only once the cluster Secret's step is done, i.e. it holds the current token.
 */

import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_IDENTIFIER_ANNOTATION, STACK_ANNOTATION } from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import { clientNode, deleteSecret, describeFailure, kubeConfigOf, serviceAccountTokenSecrets } from "./kubeClient";

/** Which token Secrets on the target are this registration's. */
export interface TokenOwner {
    /** Argo CD name of the registration, for messages. */
    clusterName: string;
    target: ClusterAccess;
    systemNamespace: string;
    serviceAccount: string;
    /** `<project>/<stack>`, as STACK_ANNOTATION records it. */
    stack: string;
    /** CLUSTER_IDENTIFIER_ANNOTATION of the registration's target objects. */
    clusterIdentifier: string;
}

/**
 * Once `switched` resolves (the cluster Secret's step is done), during an `up` only: deletes every token Secret
 * of the registration's ServiceAccount that this stack made for this registration, except `current`. Never
 * fails the run: what cannot be deleted is warned about, and the next `up` tries again. Resolves to true.
 */
export function revokeSupersededTokens(
    owner: TokenOwner,
    switched: pulumi.Output<unknown>,
    current: pulumi.Output<string>,
    parent: pulumi.Resource,
): pulumi.Output<boolean> {
    return pulumi.all([switched, current]).apply(async ([, currentName]) => {
        if (pulumi.runtime.isDryRun()) return true;
        const where = `${owner.systemNamespace}/${owner.serviceAccount}`;
        let core: K8s.CoreV1Api;
        let names: string[];
        try {
            core = (await kubeConfigOf(owner.target)).makeApiClient((await clientNode()).CoreV1Api);
            names = await supersededTokenSecrets(core, owner, currentName);
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

async function supersededTokenSecrets(core: K8s.CoreV1Api, owner: TokenOwner, currentName: string): Promise<string[]> {
    return (await serviceAccountTokenSecrets(core, owner.systemNamespace, owner.serviceAccount))
        .filter((s) => {
            const annotations = s.metadata?.annotations ?? {};
            return (
                annotations[STACK_ANNOTATION] === owner.stack &&
                annotations[CLUSTER_IDENTIFIER_ANNOTATION] === owner.clusterIdentifier &&
                s.metadata?.name !== currentName
            );
        })
        .map((s) => s.metadata!.name!);
}
