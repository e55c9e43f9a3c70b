/**
 * Taking over a cluster added with `argocd cluster add`, in one run (`adopt: true`). The engine does the
 * takeover itself: with the opt-in, every object of the registration is applied with `pulumi.com/patchForce`,
 * so the CLI's cluster Secret is switched to our token in place (Argo CD never loses the cluster) and the
 * CLI's ServiceAccount, role and binding (same names) become ours. What the engine cannot do is remove what the
 * CLI left that we do not declare; that happens here, only once the cluster Secret holds our token, and only
 * for what is proven to be the CLI's (ownership.ts deleteIfProven, conditional on the object read):
 *   - the CLI's own role and binding beyond the entry's rights (a namespaced entry over the CLI's cluster-wide
 *     rights, fewer namespaces), recognised by the CLI's exact names and shape (cliObjects below);
 *   - the CLI's ownership mark on the cluster Secret (`managed-by: argocd.argoproj.io`, which makes
 *     `argocd cluster rm` delete it);
 *   - the CLI's token, only when `revokeCliToken` names its Secret: the CLI reuses one token Secret for every
 *     Argo CD that adds the cluster, so revoking it may cut off another Argo CD. Without the opt-in the token
 *     stays valid and the run says so.
 * Before anything is registered, the takeover is refused when the objects carry another stack's mark (adopt
 * takes over what the CLI made, never another stack's registration), and when a binding the CLI did not make
 * grants the account anything: deleting it would break whoever else it serves, and keeping it would give the
 * adopted registration rights the stack file and the summary do not show (docs/migration.md).
 */
import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import {
    ARGOCD_MANAGED_BY_ANNOTATION,
    SERVICE_ACCOUNT_NAME_ANNOTATION,
    SERVICE_ACCOUNT_TOKEN_TYPE,
} from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { Problem } from "../stack/settings";
import { cliBinding, cliRole, type RbacBinding, type RbacRole } from "./cliObjects";
import {
    clientNode,
    describeFailure,
    kubeConfigOf,
    serviceAccountTokenSecrets,
    statusOf,
    withDeadline,
} from "./kubeClient";
import { deleteIfProven, describeOwner, isAnotherOwners, isOurs, type ObjectRef, type Owner } from "./ownership";

/** An object of the adoption's clusters, as ownership.ts names it; bindings and roles by their namespace. */
function refOf(a: Adoption, kind: ObjectRef["kind"], metadata: K8s.V1ObjectMeta | undefined): ObjectRef {
    const namespaced = metadata?.namespace !== undefined && metadata.namespace !== "";
    const rbacKind: ObjectRef["kind"] =
        kind === "ClusterRole" && namespaced
            ? "Role"
            : kind === "ClusterRoleBinding" && namespaced
              ? "RoleBinding"
              : kind;
    return { kind: rbacKind, name: metadata?.name ?? "", namespace: metadata?.namespace, server: a.server };
}

/** The value `argocd cluster add` puts in the cluster Secret's `managed-by` annotation. */
const ARGOCD_MANAGED_BY_VALUE = "argocd.argoproj.io";

/** One registration to take over, with direct access to both of its clusters. */
export interface Adoption {
    /** Argo CD name of the registration, and its entry's key path for messages. */
    clusterName: string;
    keyPath: string;
    target: ClusterAccess;
    argocd: ClusterAccess;
    systemNamespace: string;
    serviceAccount: string;
    argocdNamespace: string;
    secretName: string;
    /** Who we are (ownership.ts): what carries it is ours already. */
    owner: Owner;
    /** The registration's server (ownership.ts proves objects from before identities by it). */
    server: string;
    /** The entry's `revokeCliToken`: the CLI's token Secret to delete, which revokes the CLI's token. */
    revokeCliToken?: string;
}

/**
 * Problems for every adoption whose ServiceAccount or cluster Secret another stack already manages, whose
 * account a binding the CLI did not make also grants rights, or whose `revokeCliToken` names a Secret that is
 * not the CLI's token of the account. What this identity may not read (the read-only previewer and Secrets) is
 * checked by the `up` instead. Says in the run what happens to the CLI's token.
 */
export async function foreignObjects(adoptions: Adoption[]): Promise<Problem[]> {
    const k8s = await clientNode();
    const problems: Problem[] = [];
    for (const a of adoptions) {
        let ours = 0;
        const objects = [
            {
                what: `ServiceAccount ${a.systemNamespace}/${a.serviceAccount} on the target`,
                access: a.target,
                namespace: a.systemNamespace,
                name: a.serviceAccount,
                kind: "serviceaccount",
            },
            {
                what: `cluster Secret ${a.argocdNamespace}/${a.secretName}`,
                access: a.argocd,
                namespace: a.argocdNamespace,
                name: a.secretName,
                kind: "secret",
            },
        ];
        for (const o of objects) {
            const core = (await kubeConfigOf(o.access)).makeApiClient(k8s.CoreV1Api);
            let metadata: K8s.V1ObjectMeta | undefined;
            try {
                const found =
                    o.kind === "secret"
                        ? await withDeadline(core.readNamespacedSecret({ name: o.name, namespace: o.namespace }))
                        : await withDeadline(
                              core.readNamespacedServiceAccount({ name: o.name, namespace: o.namespace }),
                          );
                metadata = found.metadata;
            } catch (err) {
                if (statusOf(err) === 404 || (statusOf(err) === 403 && pulumi.runtime.isDryRun())) continue;
                throw new Error(`adopt of "${a.clusterName}": cannot read the ${o.what}: ${describeFailure(err)}`);
            }
            const ref = refOf(a, o.kind === "secret" ? "Secret" : "ServiceAccount", metadata);
            if (isOurs(metadata, a.owner, ref)) ours += 1;
            else if (isAnotherOwners(metadata, a.owner, ref)) {
                problems.push({
                    path: `${a.keyPath}.adopt`,
                    message: `the ${o.what} belongs to ${describeOwner(metadata)}, not to argocd cluster add`,
                    fix: "remove adopt: a registration of another stack is not taken over; remove it there first",
                });
            }
        }
        if (ours === objects.length) {
            // Forced applies also override the conflict that refuses a replacement on the same cluster
            // (names.ts, CLUSTER_IDENTIFIER_ANNOTATION): adopt is a one-time switch.
            pulumi.log.warn(
                `${a.keyPath}.adopt: "${a.clusterName}" is already taken over; remove adopt: true, ` +
                    "which applies its objects with force for as long as it is set",
            );
        } else {
            // Before the takeover only: once the account is ours, a binding someone adds later is what it would
            // be for any registration, and finishAdoption still deletes nothing but the CLI's own.
            problems.push(...(await foreignBindings(a)));
        }
        problems.push(...(await cliTokenProblems(a)));
        const token = a.revokeCliToken
            ? `the up deletes the token Secret ${a.systemNamespace}/${a.revokeCliToken} once Argo CD holds the stack's token (revokeCliToken), which revokes the CLI's token for every Argo CD that holds it`
            : `the CLI's token stays valid (another Argo CD may hold it too); to revoke it, name its token Secret in ${a.keyPath}.revokeCliToken`;
        pulumi.log.warn(`adopt of "${a.clusterName}": ${token}`);
    }
    return problems;
}

/** Whether a binding grants the adopted ServiceAccount, as a ServiceAccount subject or by its user name. */
function bindsAccount(binding: RbacBinding, a: Adoption): boolean {
    return (binding.subjects ?? []).some(
        (s) =>
            (s.kind === "ServiceAccount" && s.name === a.serviceAccount && s.namespace === a.systemNamespace) ||
            (s.kind === "User" && s.name === `system:serviceaccount:${a.systemNamespace}:${a.serviceAccount}`),
    );
}

/** Every ClusterRoleBinding and RoleBinding on the target, and those of them that grant the account. */
async function targetBindings(
    rbac: K8s.RbacAuthorizationV1Api,
    a: Adoption,
): Promise<{ all: RbacBinding[]; account: RbacBinding[] }> {
    const [cluster, namespaced] = await Promise.all([
        withDeadline(rbac.listClusterRoleBinding()),
        withDeadline(rbac.listRoleBindingForAllNamespaces()),
    ]);
    const all: RbacBinding[] = [...cluster.items, ...namespaced.items];
    return { all, account: all.filter((b) => bindsAccount(b, a)) };
}

/** A binding for messages: `ClusterRoleBinding name` or `RoleBinding namespace/name`. */
function describeBinding(b: RbacBinding): string {
    const namespace = b.metadata?.namespace;
    return namespace ? `RoleBinding ${namespace}/${b.metadata?.name}` : `ClusterRoleBinding ${b.metadata?.name}`;
}

/**
 * A binding of the account that is neither ours nor exactly the CLI's (a platform's cluster-admin binding with
 * a Group, OpenShift's shared `system:openshift:scc:*` bindings, a team's RoleBinding) refuses the adoption:
 * it serves others, so it is never deleted, and it would broaden the adopted registration unseen.
 */
async function foreignBindings(a: Adoption): Promise<Problem[]> {
    const k8s = await clientNode();
    const rbac = (await kubeConfigOf(a.target)).makeApiClient(k8s.RbacAuthorizationV1Api);
    let bindings: RbacBinding[];
    try {
        bindings = (await targetBindings(rbac, a)).account;
    } catch (err) {
        if (statusOf(err) === 403 && pulumi.runtime.isDryRun()) {
            pulumi.log.warn(
                `adopt of "${a.clusterName}": may not list the target's bindings here, so the up checks that no binding ` +
                    "argocd cluster add did not make grants the account anything (rbac/previewer.yaml grants the list)",
            );
            return [];
        }
        throw new Error(`adopt of "${a.clusterName}": cannot list the target's bindings: ${describeFailure(err)}`);
    }
    const account = `${a.systemNamespace}/${a.serviceAccount}`;
    const foreign = bindings.filter(
        (b) =>
            !isOurs(b.metadata, a.owner, refOf(a, "ClusterRoleBinding", b.metadata)) &&
            !cliBinding(b, a.systemNamespace, a.serviceAccount),
    );
    return foreign.map((b) => ({
        path: `${a.keyPath}.adopt`,
        message:
            `${describeBinding(b)} on the target also grants ${account} the ${b.roleRef.kind} ${b.roleRef.name} (${describeOwner(b.metadata)}); ` +
            "argocd cluster add did not make it, so adopt neither deletes it (it may serve others) nor takes the account " +
            "over with rights the stack file does not show",
        fix:
            `have its owner take ${account} out of it (for an OpenShift SCC: oc adm policy remove-scc-from-user), or give ` +
            "this entry a serviceAccount of its own (e.g. argocd-manager-v2): the CLI's account and that binding stay " +
            "as they are, and only the cluster Secret is taken over (docs/migration.md)",
    }));
}

/** Whether a Secret is a token Secret of the adopted account that the stack did not make: the CLI's token. */
function isCliToken(secret: K8s.V1Secret, a: Adoption): boolean {
    return (
        secret.type === SERVICE_ACCOUNT_TOKEN_TYPE &&
        secret.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === a.serviceAccount &&
        !isOurs(secret.metadata, a.owner, refOf(a, "Secret", secret.metadata))
    );
}

/** `revokeCliToken` must name a token Secret of the account that the stack did not make. Gone is fine: revoked. */
async function cliTokenProblems(a: Adoption): Promise<Problem[]> {
    if (!a.revokeCliToken) return [];
    const k8s = await clientNode();
    const core = (await kubeConfigOf(a.target)).makeApiClient(k8s.CoreV1Api);
    let secret: K8s.V1Secret;
    try {
        secret = await withDeadline(
            core.readNamespacedSecret({ name: a.revokeCliToken, namespace: a.systemNamespace }),
        );
    } catch (err) {
        // Token Secrets are credentials: the read-only previewer may not read them (rbac/previewer.yaml).
        if (statusOf(err) === 404 || (statusOf(err) === 403 && pulumi.runtime.isDryRun())) return [];
        throw new Error(
            `adopt of "${a.clusterName}": cannot read the Secret ${a.systemNamespace}/${a.revokeCliToken}: ${describeFailure(err)}`,
        );
    }
    if (isCliToken(secret, a)) return [];
    const why = isOurs(secret.metadata, a.owner, refOf(a, "Secret", secret.metadata))
        ? "is this stack's own token Secret"
        : `is not a token Secret of ${a.systemNamespace}/${a.serviceAccount}`;
    return [
        {
            path: `${a.keyPath}.revokeCliToken`,
            message: `the Secret ${a.systemNamespace}/${a.revokeCliToken} ${why}`,
            fix: `name the token Secret argocd cluster add made for ${a.serviceAccount} (argocd-manager-long-lived-token since Argo CD 3.1, argocd-manager-token-xxxxx before), or remove revokeCliToken`,
        },
    ];
}

/**
 * Once `switched` resolves (the cluster Secret's step is done, so it holds our token), during an `up` only:
 * removes the CLI's own role and binding beyond the entry's rights and its mark, and revokes the CLI's token
 * when `revokeCliToken` names it. Resolves to the names of the token Secrets it deleted; a failure fails the
 * `up`, and the next one tries again (every step is idempotent).
 */
export function finishAdoption(a: Adoption, switched: pulumi.Output<unknown>): pulumi.Output<string[]> {
    return switched.apply(async () => {
        if (pulumi.runtime.isDryRun()) return [];
        const revoked = await revokeCliToken(a);
        const unbound = await removeCliRights(a);
        await removeCliMark(a);
        if (unbound.length > 0) {
            pulumi.log.info(
                `adopt of "${a.clusterName}": removed what granted the account more than the stack file declares: ${unbound.join(", ")}`,
            );
        }
        return revoked;
    });
}

/**
 * With `revokeCliToken`: deletes exactly that Secret, proven a token Secret of the account the stack did not
 * make. Without: deletes nothing and names the CLI's token Secrets it leaves valid.
 */
export async function revokeCliToken(a: Adoption): Promise<string[]> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(a.target)).makeApiClient(k8s.CoreV1Api);
    if (!a.revokeCliToken) {
        const left = (await serviceAccountTokenSecrets(core, a.systemNamespace, a.serviceAccount))
            .filter((s) => isCliToken(s, a))
            .map((s) => `${a.systemNamespace}/${s.metadata?.name}`);
        if (left.length > 0) {
            pulumi.log.warn(
                `adopt of "${a.clusterName}": left the token Secret(s) of ${a.systemNamespace}/${a.serviceAccount} that the stack ` +
                    `did not make, so their tokens stay valid with the rights the stack now grants: ${left.join(", ")}. ` +
                    "Another Argo CD that added this cluster may hold one; to revoke, name it in revokeCliToken",
            );
        }
        return [];
    }
    const name = a.revokeCliToken;
    const secret = `${a.systemNamespace}/${name}`;
    const outcome = await deleteIfProven(
        () => core.readNamespacedSecret({ name, namespace: a.systemNamespace }),
        (s) => isCliToken(s, a),
        (preconditions) => core.deleteNamespacedSecret({ name, namespace: a.systemNamespace, body: { preconditions } }),
    );
    if (outcome === "not ours") {
        throw new Error(
            `adopt of "${a.clusterName}": did not delete the Secret ${secret} named by revokeCliToken: it is not (or no ` +
                `longer) a token Secret of ${a.systemNamespace}/${a.serviceAccount} that the stack did not make`,
        );
    }
    pulumi.log.info(
        outcome === "deleted"
            ? `adopt of "${a.clusterName}": deleted the token Secret ${secret} of argocd cluster add (revokeCliToken), revoking its token`
            : `adopt of "${a.clusterName}": the token Secret ${secret} named by revokeCliToken is already gone`,
    );
    return outcome === "deleted" ? [secret] : [];
}

/**
 * The CLI's own bindings of the account that the entry does not declare (ours, applied by the engine, carry
 * our mark by now), each with its role when no other binding uses that role: without their removal the adopted
 * token would keep rights the stack file does not show. Only the CLI's exact names and shape are deleted; a
 * binding of any other shape was refused before the takeover (foreignBindings) and, should one appear since,
 * is left with a warning.
 */
async function removeCliRights(a: Adoption): Promise<string[]> {
    const k8s = await clientNode();
    const rbac = (await kubeConfigOf(a.target)).makeApiClient(k8s.RbacAuthorizationV1Api);
    const { all, account } = await targetBindings(rbac, a);
    const ours = (b: RbacBinding) => isOurs(b.metadata, a.owner, refOf(a, "ClusterRoleBinding", b.metadata));
    const isCli = (b: RbacBinding) => !ours(b) && cliBinding(b, a.systemNamespace, a.serviceAccount);
    const removed: string[] = [];
    const left: string[] = [];
    for (const b of account.filter((x) => !ours(x))) {
        const name = b.metadata?.name ?? "";
        const namespace = b.metadata?.namespace;
        const outcome = !isCli(b)
            ? "not ours"
            : await deleteIfProven<RbacBinding>(
                  () =>
                      namespace
                          ? rbac.readNamespacedRoleBinding({ name, namespace })
                          : rbac.readClusterRoleBinding({ name }),
                  isCli,
                  (preconditions) =>
                      namespace
                          ? rbac.deleteNamespacedRoleBinding({ name, namespace, body: { preconditions } })
                          : rbac.deleteClusterRoleBinding({ name, body: { preconditions } }),
              );
        if (outcome === "not ours") left.push(describeBinding(b));
        if (outcome !== "deleted") continue;
        removed.push(describeBinding(b));
        // Another binding of the CLI's role (someone bound it to more): the role stays, and grants the account nothing now.
        const role = b.roleRef.name ?? "";
        const sameRole = (o: RbacBinding) =>
            o !== b &&
            o.roleRef.kind === b.roleRef.kind &&
            o.roleRef.name === role &&
            o.metadata?.namespace === namespace;
        if (all.some(sameRole)) continue;
        const roleOutcome = await deleteIfProven<RbacRole>(
            () =>
                namespace ? rbac.readNamespacedRole({ name: role, namespace }) : rbac.readClusterRole({ name: role }),
            (r) =>
                !isOurs(r.metadata, a.owner, refOf(a, "ClusterRole", r.metadata)) &&
                cliRole(r, namespace ? "namespace" : "cluster"),
            (preconditions) =>
                namespace
                    ? rbac.deleteNamespacedRole({ name: role, namespace, body: { preconditions } })
                    : rbac.deleteClusterRole({ name: role, body: { preconditions } }),
        );
        if (roleOutcome === "deleted") removed.push(namespace ? `Role ${namespace}/${role}` : `ClusterRole ${role}`);
    }
    if (left.length > 0) {
        pulumi.log.warn(
            `adopt of "${a.clusterName}": left binding(s) of ${a.systemNamespace}/${a.serviceAccount} that argocd cluster add ` +
                `did not make (or that changed meanwhile), which grant it more than the stack file declares: ${left.join(", ")}`,
        );
    }
    return removed;
}

/** Removes `managed-by: argocd.argoproj.io`, so `argocd cluster rm` no longer deletes a Secret the stack owns. */
async function removeCliMark(a: Adoption): Promise<void> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(a.argocd)).makeApiClient(k8s.CoreV1Api);
    const secret = await core.readNamespacedSecret({ name: a.secretName, namespace: a.argocdNamespace });
    if (secret.metadata?.annotations?.[ARGOCD_MANAGED_BY_ANNOTATION] !== ARGOCD_MANAGED_BY_VALUE) return;
    // JSON Patch with a test: the mark is removed only if it is still exactly the CLI's.
    const path = `/metadata/annotations/${ARGOCD_MANAGED_BY_ANNOTATION.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    await core.patchNamespacedSecret(
        {
            name: a.secretName,
            namespace: a.argocdNamespace,
            body: [
                { op: "test", path, value: ARGOCD_MANAGED_BY_VALUE },
                { op: "remove", path },
            ],
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
    );
}
