/**
 * Taking over a cluster added with `argocd cluster add`, in one run (`adopt: true`). The engine does the
 * takeover itself: with the opt-in, every object of the registration is applied with `pulumi.com/patchForce`,
 * so the CLI's cluster Secret is switched to our token in place (Argo CD never loses the cluster) and the
 * CLI's ServiceAccount and rights become ours. What the engine cannot do is remove what the CLI left that we do
 * not declare; that happens here, only once the cluster Secret holds our token:
 *   - the CLI's token Secrets for the ServiceAccount are deleted, which revokes the CLI's token;
 *   - the CLI's ownership mark on the cluster Secret (`managed-by: argocd.argoproj.io`, which makes
 *     `argocd cluster rm` delete it) is removed.
 * Before anything is registered, the takeover is refused when the objects carry another stack's mark: adopt
 * takes over what the CLI made, never another stack's registration.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    ARGOCD_MANAGED_BY_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    roleName,
    STACK_ANNOTATION,
} from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import type { Problem } from "../stack/settings";
import {
    clientNode,
    deleteSecret,
    describeFailure,
    kubeConfigOf,
    serviceAccountTokenSecrets,
    statusOf,
    withDeadline,
} from "./kubeClient";

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
    /** `<project>/<stack>`, as STACK_ANNOTATION records it. */
    stack: string;
    /**
     * The bearer token the CLI's cluster Secret holds, read before the takeover (during up, in memory only):
     * the one token to revoke. Another Argo CD may have added the same cluster with the same ServiceAccount.
     */
    cliToken?: string;
}

/**
 * Problems for every adoption whose ServiceAccount or cluster Secret another stack already manages. A cluster
 * Secret that cannot be read (the read-only previewer) is checked by the `up` instead.
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
            let annotations: Record<string, string> | undefined;
            try {
                const found =
                    o.kind === "secret"
                        ? await withDeadline(core.readNamespacedSecret({ name: o.name, namespace: o.namespace }))
                        : await withDeadline(
                              core.readNamespacedServiceAccount({ name: o.name, namespace: o.namespace }),
                          );
                annotations = found.metadata?.annotations;
                if (o.kind === "secret") a.cliToken = bearerTokenOf((found as { data?: Record<string, string> }).data);
            } catch (err) {
                if (statusOf(err) === 404 || (statusOf(err) === 403 && pulumi.runtime.isDryRun())) continue;
                throw new Error(`adopt of "${a.clusterName}": cannot read the ${o.what}: ${describeFailure(err)}`);
            }
            const owner = annotations?.[STACK_ANNOTATION];
            if (owner === a.stack) ours += 1;
            if (owner !== undefined && owner !== a.stack) {
                problems.push({
                    path: `${a.keyPath}.adopt`,
                    message: `the ${o.what} belongs to stack ${owner}, not to argocd cluster add`,
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
        }
    }
    return problems;
}

/**
 * Once `switched` resolves (the cluster Secret's step is done, so it holds our token), during an `up` only:
 * revokes the CLI's tokens and removes its mark. Resolves to the names of the token Secrets it deleted; a
 * failure fails the `up`, and the next one tries again (every step is idempotent).
 */
export function finishAdoption(a: Adoption, switched: pulumi.Output<unknown>): pulumi.Output<string[]> {
    return switched.apply(async () => {
        if (pulumi.runtime.isDryRun()) return [];
        const revoked = await revokeCliTokens(a);
        const unbound = await removeUndeclaredBindings(a);
        await removeCliMark(a);
        if (revoked.length > 0) {
            pulumi.log.info(
                `adopt of "${a.clusterName}": deleted the token Secret(s) of argocd cluster add, revoking them: ${revoked.join(", ")}`,
            );
        }
        if (unbound.length > 0) {
            pulumi.log.info(
                `adopt of "${a.clusterName}": removed what granted the account more than the stack file declares: ${unbound.join(", ")}`,
            );
        }
        return revoked;
    });
}

/** The bearer token in a cluster Secret's `config` (base64 in `data`), if any. Never logged. */
function bearerTokenOf(data: Record<string, string> | undefined): string | undefined {
    try {
        const config = JSON.parse(Buffer.from(data?.config ?? "", "base64").toString("utf8"));
        return typeof config?.bearerToken === "string" && config.bearerToken !== "" ? config.bearerToken : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The token Secret of the ServiceAccount that holds the token the CLI's cluster Secret held: the CLI's,
 * whatever its version named it. Other token Secrets of the account that are not ours are left, with a
 * warning: another Argo CD may use one of them.
 */
async function revokeCliTokens(a: Adoption): Promise<string[]> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(a.target)).makeApiClient(k8s.CoreV1Api);
    const foreign = (await serviceAccountTokenSecrets(core, a.systemNamespace, a.serviceAccount)).filter(
        (s) => s.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE,
    );
    const deleted: string[] = [];
    const left: string[] = [];
    for (const secret of foreign) {
        const name = secret.metadata!.name!;
        const token = secret.data?.token ? Buffer.from(secret.data.token, "base64").toString("utf8") : undefined;
        if (a.cliToken === undefined || token !== a.cliToken) {
            left.push(`${a.systemNamespace}/${name}`);
            continue;
        }
        await deleteSecret(core, a.systemNamespace, name);
        deleted.push(`${a.systemNamespace}/${name}`);
    }
    if (left.length > 0) {
        await pulumi.log.warn(
            `adopt of "${a.clusterName}": left token Secret(s) of ${a.systemNamespace}/${a.serviceAccount} that hold ` +
                `another token than the replaced registration did (another Argo CD?): ${left.join(", ")}`,
        );
    }
    return deleted;
}

/**
 * Bindings that grant the ServiceAccount more than the entry declares: the CLI's, left behind when the entry is
 * narrower (a namespaced entry over the CLI's cluster-wide rights, fewer namespaces). Without their removal the
 * adopted token would keep rights the stack file does not show. Deleted with the CLI's role of the same name.
 */
async function removeUndeclaredBindings(a: Adoption): Promise<string[]> {
    const k8s = await clientNode();
    const rbac = (await kubeConfigOf(a.target)).makeApiClient(k8s.RbacAuthorizationV1Api);
    const bindsAccount = (b: { subjects?: { kind?: string; name?: string; namespace?: string }[] }) =>
        (b.subjects ?? []).some(
            (s) => s.kind === "ServiceAccount" && s.name === a.serviceAccount && s.namespace === a.systemNamespace,
        );
    const notOurs = (m?: { annotations?: Record<string, string> }) => m?.annotations?.[STACK_ANNOTATION] !== a.stack;
    const removed: string[] = [];
    const clusterBindings = await withDeadline(rbac.listClusterRoleBinding());
    for (const b of clusterBindings.items.filter((x) => bindsAccount(x) && notOurs(x.metadata))) {
        await ignoreMissing(rbac.deleteClusterRoleBinding({ name: b.metadata!.name! }));
        removed.push(`ClusterRoleBinding ${b.metadata!.name}`);
        if (b.roleRef.kind === "ClusterRole" && b.roleRef.name === roleName(a.serviceAccount)) {
            const role = await withDeadline(rbac.readClusterRole({ name: b.roleRef.name })).catch(() => undefined);
            if (role && notOurs(role.metadata)) {
                await ignoreMissing(rbac.deleteClusterRole({ name: b.roleRef.name }));
                removed.push(`ClusterRole ${b.roleRef.name}`);
            }
        }
    }
    const bindings = await withDeadline(rbac.listRoleBindingForAllNamespaces());
    for (const b of bindings.items.filter((x) => bindsAccount(x) && notOurs(x.metadata))) {
        const namespace = b.metadata!.namespace!;
        await ignoreMissing(rbac.deleteNamespacedRoleBinding({ name: b.metadata!.name!, namespace }));
        removed.push(`RoleBinding ${namespace}/${b.metadata!.name}`);
        if (b.roleRef.kind === "Role" && b.roleRef.name === roleName(a.serviceAccount)) {
            const role = await withDeadline(rbac.readNamespacedRole({ name: b.roleRef.name, namespace })).catch(
                () => undefined,
            );
            if (role && notOurs(role.metadata)) {
                await ignoreMissing(rbac.deleteNamespacedRole({ name: b.roleRef.name, namespace }));
                removed.push(`Role ${namespace}/${b.roleRef.name}`);
            }
        }
    }
    return removed;
}

async function ignoreMissing(call: Promise<unknown>): Promise<void> {
    try {
        await withDeadline(call);
    } catch (err) {
        if (statusOf(err) !== 404) throw err;
    }
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
