/**
 * Create, never upsert, on the targets. pulumi-kubernetes writes with server-side apply, which takes over an
 * object of the same name whoever made it: `argocd cluster add` with another Argo CD, another deployment that
 * uses the same ServiceAccount name. Removing our entry later would delete that object, and with the account
 * the token another Argo CD holds. So before any resource is registered, the program reads, on each target, every
 * object the entry writes (the ServiceAccount, the ClusterRole and ClusterRoleBinding or the Roles and
 * RoleBindings named after it) and refuses the entry when one exists that is not ours (ownership.ts). An entry
 * with `adopt: true` is left to adoption.ts, which takes exactly the CLI's objects and refuses the rest.
 *
 * Where a target cannot be read, a preview warns (the read-only previewer may read these kinds:
 * rbac/previewer.yaml) and an up fails for a 403 (the writer must be able to read what it writes) and warns when
 * the target does not answer at all: the provider then fails on that target by itself.
 */
import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { roleBindingName, roleName } from "../argocd/names";
import type { ClusterSpec, Problem } from "../stack/settings";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import { describeOwner, isOurs, type ObjectRef, type Owner } from "./ownership";

/**
 * The object of `kind` an entry writes on its target (in `namespace` for a Role or RoleBinding): the
 * ServiceAccount, and the roles and bindings named after it (argocd/names.ts).
 */
export function targetObject(
    cluster: Pick<ClusterSpec, "server" | "systemNamespace" | "serviceAccount">,
    kind: ObjectRef["kind"],
    namespace?: string,
): ObjectRef {
    const { server, serviceAccount } = cluster;
    switch (kind) {
        case "ServiceAccount":
            return { kind, namespace: cluster.systemNamespace, name: serviceAccount, server };
        case "ClusterRole":
        case "Role":
            return { kind, namespace, name: roleName(serviceAccount), server };
        case "ClusterRoleBinding":
        case "RoleBinding":
            return { kind, namespace, name: roleBindingName(serviceAccount), server };
        case "Secret":
            throw new Error("token Secrets carry a random suffix: they are never met before they are created");
    }
}

/** The objects an entry writes on its target, in the order it writes them. */
export function targetObjects(cluster: ClusterSpec): ObjectRef[] {
    const clusterWide = [targetObject(cluster, "ClusterRole"), targetObject(cluster, "ClusterRoleBinding")];
    const account = targetObject(cluster, "ServiceAccount");
    if (cluster.namespaces === undefined || cluster.namespaces.length === 0) return [account, ...clusterWide];
    return [
        account,
        ...cluster.namespaces.flatMap((namespace) => [
            targetObject(cluster, "Role", namespace),
            targetObject(cluster, "RoleBinding", namespace),
        ]),
        ...(cluster.clusterResources ? clusterWide : []),
    ];
}

export type Read = { found: false } | { found: true; metadata: K8s.V1ObjectMeta | undefined };

/** Reads one object; a 404 is "not found", any other failure throws. */
export async function readObject(k8s: typeof K8s, kc: K8s.KubeConfig, object: ObjectRef): Promise<Read> {
    const { name } = object;
    const namespace = object.namespace ?? "";
    const core = () => kc.makeApiClient(k8s.CoreV1Api);
    const rbac = () => kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const calls: Record<ObjectRef["kind"], () => Promise<{ metadata?: K8s.V1ObjectMeta }>> = {
        ServiceAccount: () => core().readNamespacedServiceAccount({ name, namespace }),
        Secret: () => core().readNamespacedSecret({ name, namespace }),
        ClusterRole: () => rbac().readClusterRole({ name }),
        ClusterRoleBinding: () => rbac().readClusterRoleBinding({ name }),
        Role: () => rbac().readNamespacedRole({ name, namespace }),
        RoleBinding: () => rbac().readNamespacedRoleBinding({ name, namespace }),
    };
    try {
        return { found: true, metadata: (await withDeadline(calls[object.kind]())).metadata };
    } catch (err) {
        if (statusOf(err) === 404) return { found: false };
        throw err;
    }
}

function display(object: ObjectRef): string {
    return `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
}

/**
 * Problems for every entry (stack-file order; retired and adopting entries skipped) whose target holds an
 * object of the same name that is not ours. All targets are read at once; nothing is written.
 */
export async function foreignTargetObjects(clusters: ClusterSpec[], owner: Owner): Promise<Problem[]> {
    const k8s = await clientNode();
    const checked = await Promise.all(
        clusters.map(async (cluster, i): Promise<Problem[]> => {
            if (cluster.retire || cluster.adopt) return [];
            const path = `argocd-clusters:clusters[${i}]`;
            let kc: K8s.KubeConfig;
            const foreign: { object: ObjectRef; owner: string }[] = [];
            try {
                kc = await kubeConfigOf(cluster.access);
                for (const object of targetObjects(cluster)) {
                    const found = await readObject(k8s, kc, object);
                    if (found.found && !isOurs(found.metadata, owner, object))
                        foreign.push({ object, owner: describeOwner(found.metadata) });
                }
            } catch (err) {
                const why = `cannot read what cluster "${cluster.name}" would write on its target (${describeFailure(err)})`;
                if (statusOf(err) === 403 && !pulumi.runtime.isDryRun())
                    return [
                        {
                            path: `${path}.context`,
                            message: `${why}, so it is not proven that none of it belongs to someone else`,
                            fix: "run up with an identity that may read ServiceAccounts, Roles, RoleBindings, ClusterRoles and ClusterRoleBindings there",
                        },
                    ];
                await pulumi.log.warn(
                    `${why}, so it is not checked here that none of it belongs to someone else` +
                        (pulumi.runtime.isDryRun() ? "; up checks it" : ""),
                );
                return [];
            }
            if (foreign.length === 0) return [];
            return [
                {
                    path: `${path}.serviceAccount`,
                    message:
                        `cluster "${cluster.name}": the target already has ${foreign
                            .map((f) => `${display(f.object)} (${f.owner})`)
                            .join(", ")}, which this stack did not make; writing the entry would take ` +
                        "it over, and removing the entry later would delete it (and with the account, the tokens others hold)",
                    fix:
                        "give this entry a ServiceAccount of its own (serviceAccount: a name nobody else uses on that cluster), " +
                        "or take over what argocd cluster add made with adopt: true (docs/migration.md), " +
                        "or delete those objects if nobody uses them",
                },
            ];
        }),
    );
    return checked.flat();
}

/**
 * The same rule at the moment of writing, as a hook the engine runs before it creates `object` (during up
 * only): the checks above ran before any registration, and someone may have created the object since, or the
 * target may not have answered then. Throws, so the object is not written, when it exists and is not ours.
 */
export function refuseForeignOnCreate(
    cluster: Pick<ClusterSpec, "name" | "access">,
    owner: Owner,
    object: ObjectRef,
): () => Promise<void> {
    return async () => {
        const k8s = await clientNode();
        let found: Read;
        try {
            found = await readObject(k8s, await kubeConfigOf(cluster.access), object);
        } catch {
            // A target that cannot be read now cannot be written either: the provider's create then fails in its
            // own words (an unreachable cluster, a refused right), which say more than this read could.
            return;
        }
        if (found.found && !isOurs(found.metadata, owner, object))
            throw new pulumi.RunError(
                `cluster "${cluster.name}": ${display(object)} appeared on the target before it was created, and it is ` +
                    `not this stack's (${describeOwner(found.metadata)}); it was not written. fix: give the entry a ` +
                    "ServiceAccount of its own, or adopt: true if argocd cluster add made it (docs/ownership.md)",
            );
    };
}
