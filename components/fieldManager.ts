/**
 * The field manager each object of ours is applied under: named by us, the same in every run.
 *
 * pulumi-kubernetes applies an object with server-side apply under a field manager it makes up when it creates the
 * object (`pulumi-kubernetes-<8 hex>`, from a random seed) and keeps in the state. A create stopped after its
 * apply reached the API server (a killed run, a cancelled pipeline) never reaches the state, so the next `up`
 * creates the object again under another made-up name, and the object has two managers of ours owning the same
 * fields: the next change of a value (a rotated or renewed token) is refused as a conflict with the first one, in
 * every run after it, until a person edits managedFields (issue 23, tests/e2e/interruption.e2e.test.ts).
 *
 * So every object carries PATCH_FIELD_MANAGER_ANNOTATION, which pulumi-kubernetes reads before anything else
 * (provider.go fieldManagerName): a retried create applies under the name the stopped one used, and owns what
 * that one wrote. A new object's name is derived from the deployment identity (another deployment under the same
 * stack name applies under other names), the child's name (two registrations on one cluster never share one)
 * and the cluster identifier of the object's provider (a new registration that replaces an old one on the same
 * cluster still conflicts with it: names.ts, CLUSTER_IDENTIFIER_ANNOTATION).
 *
 * An object an earlier release made keeps the name pulumi-kubernetes made up for it: under any other name, every
 * value the same run changes (a rotation, new rules) would conflict with the old one, in the preview and in the
 * up. The first run after upgrading reads those names from the objects (inheritedFieldManagers) and the record of
 * every later run carries them (index.ts `fieldManagers`), so no run reads them again.
 */
import { createHash } from "node:crypto";
import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { clusterSecretName } from "../argocd/clusterSecret";
import { PATCH_FIELD_MANAGER_ANNOTATION, targetClusterIdentifier } from "../argocd/names";
import type { ArgoCDSpec, ClusterSpec } from "../stack/settings";
import { childName, roleBindingChildName, roleChildName } from "./childNames";
import { clientNode, describeFailure, kubeConfigOf } from "./kubeClient";
import { isOurs, type ObjectRef, type Owner } from "./ownership";
import type { RecordedRegistration } from "./removalGuard";
import { readObject, targetObjects } from "./targetObjects";

/** Where our names start, so that `kubectl get --show-managed-fields` says who applied what. */
const PREFIX = "argocd-clusters-";

/** How pulumi-kubernetes names the manager of an object it creates without one given. */
const MADE_UP = /^pulumi-kubernetes-[0-9a-f]{8}$/;

/**
 * The field manager of the child `child` of a deployment with identity `identity`, on the cluster its provider
 * names `clusterIdentifier`.
 */
export function fieldManagerName(identity: string, child: string, clusterIdentifier: string): string {
    const digest = createHash("sha256").update(`${identity}\n${child}\n${clusterIdentifier}`).digest("hex");
    return PREFIX + digest.slice(0, 16);
}

/**
 * The field managers a registration's children keep from an earlier release, by child key (childKey): `names`,
 * and `unread`, the children whose object could not be read this run, which get no annotation at all (then
 * pulumi-kubernetes applies under the name its state records: the same one, whatever this run could read).
 */
export interface Inherited {
    names: Record<string, string>;
    unread: string[];
}

export const NOTHING_INHERITED: Inherited = { names: {}, unread: [] };

/** A child of a registration: its Pulumi name and the kind of its object. */
export interface ChildObject {
    name: string;
    kind: ObjectRef["kind"];
}

/**
 * The annotation for the metadata of `child` of the registration `registration`: the name it inherited, else the
 * one derived for it.
 */
export function fieldManagerAnnotation(
    identity: pulumi.Input<string>,
    registration: string,
    child: ChildObject,
    clusterIdentifier: string,
    inherited: Inherited,
): Record<string, pulumi.Output<string>> {
    const key = childKey(registration, child);
    if (inherited.unread.includes(key)) return {};
    const kept = inherited.names[key];
    return {
        [PATCH_FIELD_MANAGER_ANNOTATION]: pulumi
            .output(identity)
            .apply((id) => kept ?? fieldManagerName(id, child.name, clusterIdentifier)),
    };
}

/**
 * The key of a child in the record's `fieldManagers`: its kind and its name after the registration's
 * (`Role:role-apps`). The kind keeps apart what a name alone does not: the Role of namespace `binding-x` and the
 * RoleBinding of namespace `x` are both `role-binding-x`.
 */
export function childKey(registration: string, child: ChildObject): string {
    const part = child.name.startsWith(`${registration}-`) ? child.name.slice(registration.length + 1) : child.name;
    return `${child.kind}:${part}`;
}

/**
 * The name pulumi-kubernetes made up for an object an earlier release applied: its one Apply manager of that
 * form, when it has exactly one and none of ours. Two of them (a create of an earlier release stopped and retried)
 * cannot be told apart: undefined.
 */
export function madeUpManager(managedFields: K8s.V1ManagedFieldsEntry[]): string | undefined {
    const applied = managedFields.filter((e) => e.operation === "Apply").map((e) => e.manager ?? "");
    if (applied.some((m) => m.startsWith(PREFIX))) return undefined;
    const made = [...new Set(applied.filter((m) => MADE_UP.test(m)))];
    return made.length === 1 ? made[0] : undefined;
}

/** Where each object of a registration is, by the key of its child. */
interface Placed {
    key: string;
    ref: ObjectRef;
    hub: boolean;
}

/**
 * The objects an earlier release may have applied for `cluster`, by the names this run writes (the token's by
 * the record, as only the record knows it).
 */
function placedObjects(
    cluster: ClusterSpec,
    recorded: RecordedRegistration,
    argocdNamespace: string,
    registration: string,
): Placed[] {
    // The target objects as targetObjects lists them (the one place that knows which a mode writes), each under
    // the child name managerAccess.ts gives it.
    const childOf = (ref: ObjectRef): string => {
        switch (ref.kind) {
            case "Role":
                return roleChildName(registration, ref.namespace ?? "");
            case "RoleBinding":
                return roleBindingChildName(registration, ref.namespace ?? "");
            case "ServiceAccount":
                return childName(registration, "serviceAccount");
            case "ClusterRole":
                return childName(registration, "clusterRole");
            case "ClusterRoleBinding":
                return childName(registration, "clusterRoleBinding");
            case "Secret":
                throw new Error("token Secrets are placed by the record");
        }
    };
    const placed: Placed[] = [
        ...targetObjects(cluster).map((ref) => ({
            key: childKey(registration, { name: childOf(ref), kind: ref.kind }),
            ref,
            hub: false,
        })),
        {
            key: childKey(registration, { name: childName(registration, "clusterSecret"), kind: "Secret" }),
            ref: {
                kind: "Secret",
                namespace: argocdNamespace,
                name: clusterSecretName(cluster.server),
                server: cluster.server,
            },
            hub: true,
        },
    ];
    if (recorded.tokenSecretName !== undefined)
        placed.push({
            key: childKey(registration, {
                name: childName(registration, recorded.tokenKind === "bound" ? "boundTokenObject" : "token"),
                kind: "Secret",
            }),
            ref: {
                kind: "Secret",
                namespace: cluster.systemNamespace,
                name: recorded.tokenSecretName,
                server: cluster.server,
            },
            hub: false,
        });
    return placed;
}

/**
 * The made-up names the children of `cluster`'s registration keep. Only for the registration the last up
 * recorded with this very server, i.e. the same provider identity (the cluster Secret: under the same Argo CD
 * name and namespace): a new server, even another spelling of it, is a new registration whose objects get new
 * names, and so still conflict with the old ones. From the record when it has them; else (a record of an
 * earlier release, or of a run that could not read them all) read from the objects that are ours. Reads nothing
 * else and writes nothing.
 */
export async function inheritedFieldManagers(
    cluster: ClusterSpec,
    recorded: RecordedRegistration | undefined,
    argocd: Pick<ArgoCDSpec, "namespace" | "access">,
    sameArgocd: boolean,
    owner: Owner,
    registration: string,
): Promise<Inherited> {
    if (!recorded || targetClusterIdentifier(recorded.server) !== targetClusterIdentifier(cluster.server))
        return NOTHING_INHERITED;
    const secretKey = childKey(registration, { name: childName(registration, "clusterSecret"), kind: "Secret" });
    const keep = (entries: [string, string][]) =>
        Object.fromEntries(entries.filter(([key]) => sameArgocd || key !== secretKey));
    if (recorded.fieldManagers !== undefined)
        return { names: keep(Object.entries(recorded.fieldManagers)), unread: [] };
    const k8s = await clientNode();
    const found: [string, string][] = [];
    const unread: string[] = [];
    for (const { key, ref, hub } of placedObjects(cluster, recorded, argocd.namespace, registration)) {
        // A cluster Secret that moves to another Argo CD is written anew (delete first): nothing to keep.
        if (hub && !sameArgocd) continue;
        try {
            const read = await readObject(k8s, await kubeConfigOf(hub ? argocd.access : cluster.access), ref);
            if (!read.found || !isOurs(read.metadata, owner, ref)) continue;
            const name = madeUpManager(read.metadata?.managedFields ?? []);
            if (name !== undefined) found.push([key, name]);
        } catch (err) {
            unread.push(key);
            const what = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
            const text =
                `cluster "${cluster.name}": cannot read ${what} (${describeFailure(err)}) to keep the field manager an ` +
                "earlier release applied it under; it stays under the one its state records until a run can read it";
            await (pulumi.runtime.isDryRun() ? pulumi.log.info(text) : pulumi.log.warn(text));
        }
    }
    return { names: keep(found), unread };
}
