/**
 * One Argo CD, several stacks (an environment sharded into production-eu, production-us, ...): a cluster belongs
 * to one stack. Argo CD enforces nothing of it. It finds a cluster by `server` among all its cluster Secrets
 * (trailing "/" trimmed) and uses whichever its index returns first when two hold the same server
 * (util/db/cluster.go GetCluster); an Application whose destination is a `name` that two Secrets hold fails to
 * sync ("there are 2 clusters with the same name", util/argo/argo.go). And the engine finds a clash too late: a
 * cluster Secret that another stack or `argocd cluster add` wrote is met only at its create, after the target's
 * ServiceAccount, rights and token were written. So before any resource is registered, the program reads the
 * cluster Secrets in Argo CD's namespace and refuses every entry that would
 *   - write the cluster Secret another stack owns (the same server gives the same name, argocd/clusterSecret.ts);
 *   - write over one that `argocd cluster add` or a person made, without `adopt: true` (adoption.ts);
 *   - register an API server that a Secret under another name already holds, in any spelling apiServerKey
 *     takes for one (argocd/serverKey.ts): with the same key Argo CD would use either Secret, with another it
 *     would take them for two clusters, whose Applications could fight over the same objects unseen;
 *   - take an Argo CD `name` that a Secret not of this stack holds for another server.
 * Secrets of this very deployment never count against it (ownership.ts): a moved or renamed registration replaces
 * its own.
 */
import * as pulumi from "@pulumi/pulumi";
import { OWNER_ANNOTATION, SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL, STACK_ANNOTATION } from "../argocd/names";
import { apiServerKey, argocdServerKey } from "../argocd/serverKey";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { ClusterSettings, Problem } from "../stack/settings";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import { describeOwner, isOurs, type Owner } from "./ownership";

/** What the check keeps of a cluster Secret: never its `config`, which holds the credentials. */
export interface LiveClusterSecret {
    /** The Secret's own name. */
    secretName: string;
    /** Its STACK_ANNOTATION, unset when no stack made it (`argocd cluster add`, a person, another tool). */
    stack?: string;
    /** Its OWNER_ANNOTATION: the deployment that wrote it (ownership.ts); unset before identities. */
    ownerId?: string;
    /** `server` and `name` from its data, decoded. */
    server: string;
    name: string;
}

/** An entry as the check needs it; `secretName` is the cluster Secret the entry writes. */
export type Claim = Pick<ClusterSettings, "name" | "server" | "adopt" | "retire"> & { secretName: string };

function marks(secret: LiveClusterSecret) {
    return {
        annotations: {
            ...(secret.stack !== undefined ? { [STACK_ANNOTATION]: secret.stack } : {}),
            ...(secret.ownerId !== undefined ? { [OWNER_ANNOTATION]: secret.ownerId } : {}),
        },
    };
}

/**
 * Problems for every entry that claims what is not this deployment's, given the cluster Secrets in Argo CD's
 * namespace. `claims` are in stack-file order (their index is the key path's); retired entries claim nothing.
 * Ours are the Secrets that carry our deployment identity, and those from before identities that carry our stack
 * mark and our last up recorded (ownership.ts); a Secret of another deployment under the same stack name is not.
 */
export function claimProblems(
    claims: Claim[],
    live: LiveClusterSecret[],
    owner: Owner,
    argocdNamespace: string,
): Problem[] {
    const problems: Problem[] = [];
    const foreign = live.filter(
        (s) =>
            !isOurs(marks(s), owner, {
                kind: "Secret",
                namespace: argocdNamespace,
                name: s.secretName,
                server: s.server,
            }),
    );
    const ownerOf = (s: LiveClusterSecret) => describeOwner(marks(s));
    claims.forEach((claim, i) => {
        if (claim.retire) return;
        const path = `argocd-clusters:clusters[${i}]`;
        const where = (s: LiveClusterSecret) => `cluster Secret ${argocdNamespace}/${s.secretName}`;
        for (const secret of foreign) {
            if (secret.secretName === claim.secretName) {
                if (secret.stack !== undefined) {
                    // With adopt: true, adoption.ts (foreignObjects) already says so, at the adopt key.
                    if (claim.adopt) continue;
                    problems.push({
                        path: `${path}.server`,
                        message:
                            `${claim.server} is registered by the ${where(secret)}, which belongs to ${ownerOf(secret)}: ` +
                            "two stacks or deployments sharing one Argo CD may not register the same cluster",
                        fix: `keep the cluster in one stack: remove this entry, or remove it from stack ${secret.stack} (up there) first`,
                    });
                } else if (!claim.adopt) {
                    problems.push({
                        path,
                        message:
                            `${claim.server} is already registered by the ${where(secret)}, which was not made by a stack ` +
                            "(argocd cluster add?); writing it would fail halfway, after the target's objects were written",
                        fix: "set adopt: true on this entry to take that registration over in one up (docs/migration.md), or delete that Secret",
                    });
                }
            } else if (apiServerKey(secret.server) === apiServerKey(claim.server)) {
                const sameKey = argocdServerKey(secret.server) === argocdServerKey(claim.server);
                problems.push({
                    path: `${path}.server`,
                    message:
                        `${claim.server} is also the server of the ${where(secret)} (${ownerOf(secret)}` +
                        `${sameKey ? "" : `, spelt ${secret.server}`}): Argo CD would hold two Secrets for one API server` +
                        (sameKey
                            ? " and use either"
                            : ", as two clusters whose Applications could fight over the same objects"),
                    fix:
                        secret.stack === undefined
                            ? `delete that Secret (kubectl -n ${argocdNamespace} delete secret ${secret.secretName}), or drop this entry` +
                              (sameKey
                                  ? ""
                                  : `, or write this entry's server as that Secret does (${secret.server}) and set adopt: true to take it over (docs/migration.md)`)
                            : `keep the cluster in one stack: remove it from stack ${secret.stack} or from this one`,
                });
            } else if (secret.name === claim.name) {
                problems.push({
                    path: `${path}.name`,
                    message:
                        `Argo CD name "${claim.name}" is already the ${where(secret)} of ${ownerOf(secret)}, for ${secret.server}: ` +
                        "Applications whose destination is this name would fail to sync (two clusters with the same name)",
                    fix: "give this cluster another name: Argo CD names must be unique among every stack sharing this Argo CD",
                });
            }
        }
    });
    return problems;
}

/**
 * The cluster Secrets in `namespace`, as far as the check needs them, or why they could not be listed: `status`
 * is the API's answer (403 for the read-only previewer, which may not read Secrets: rbac/previewer.yaml),
 * undefined when there was none. Each Secret's `config` is dropped as soon as the list is read.
 */
export async function readClusterSecrets(
    access: ClusterAccess,
    namespace: string,
): Promise<{ secrets: LiveClusterSecret[] } | { unread: string; status?: number }> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    let list: Awaited<ReturnType<typeof core.listNamespacedSecret>>;
    try {
        list = await withDeadline(
            core.listNamespacedSecret({
                namespace,
                labelSelector: `${SECRET_TYPE_LABEL}=${SECRET_TYPE_CLUSTER}`,
            }),
        );
    } catch (err) {
        return { unread: forbidden(err) ?? describeFailure(err), status: statusOf(err) };
    }
    const text = (value: string | undefined) => (value ? Buffer.from(value, "base64").toString("utf8") : "");
    return {
        secrets: list.items.map((s) => ({
            secretName: s.metadata?.name ?? "",
            stack: s.metadata?.annotations?.[STACK_ANNOTATION],
            ownerId: s.metadata?.annotations?.[OWNER_ANNOTATION],
            server: text(s.data?.server),
            name: text(s.data?.name),
        })),
    };
}

/**
 * A 403's reason as the API server words it ("User ... cannot list resource "secrets" ... in the namespace ..."):
 * it names the identity and the missing right, and holds no credential. Any other failure says only its status.
 */
function forbidden(err: unknown): string | undefined {
    if (statusOf(err) !== 403) return undefined;
    let body = (err as { body?: unknown }).body;
    try {
        if (typeof body === "string") body = JSON.parse(body);
    } catch {
        return undefined;
    }
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === "string" ? `the API answered 403: ${message.slice(0, 300)}` : undefined;
}

/**
 * The check itself, before any resource is registered. Where the cluster Secrets may not be listed, a preview
 * warns and passes (the pipelines' stack list also checks the repository's stack files against each other,
 * ci/claims.ts) and an up fails: the writer must be able to list them. Where the Argo CD cluster does not answer
 * at all, both warn, as the respectRBAC check does: every cluster Secret write then fails on its own.
 */
export async function claimConflicts(
    claims: Claim[],
    argocd: { access: ClusterAccess; namespace: string },
    owner: Owner,
): Promise<Problem[]> {
    if (claims.every((c) => c.retire)) return [];
    const read = await readClusterSecrets(argocd.access, argocd.namespace);
    if ("secrets" in read) return claimProblems(claims, read.secrets, owner, argocd.namespace);
    const what = `the cluster Secrets in ${argocd.namespace} on the Argo CD cluster`;
    if (read.status !== undefined && !pulumi.runtime.isDryRun()) {
        throw new pulumi.RunError(
            `cannot list ${what} (${read.unread}): up checks that no other stack or argocd cluster add registers ` +
                "the same servers or Argo CD names, and the identity running it must be allowed to list them",
        );
    }
    pulumi.log.warn(
        `cannot list ${what} here (${read.unread}), so it is not checked that no other stack or argocd cluster add ` +
            `registers the same servers or Argo CD names${pulumi.runtime.isDryRun() ? "; up checks it" : ""}`,
    );
    return [];
}
