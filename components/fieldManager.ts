/**
 * The field manager each object of ours is applied under: named by us, the same in every run.
 *
 * pulumi-kubernetes applies an object with server-side apply under a field manager it makes up when it creates the
 * object (`pulumi-kubernetes-<8 hex>`, from a random seed) and keeps in the state. A create stopped after its
 * apply reached the API server (a killed run, a cancelled pipeline) never reaches the state, so the next `up`
 * creates the object again under another made-up name, and the object has two managers of ours owning the same
 * fields: the next change of a value (a rotated or renewed token) is refused as a conflict with the first one, in
 * every run after it, until a person edits managedFields (issue 23, tests/e2e/interruption.e2e.ts).
 *
 * So every object carries PATCH_FIELD_MANAGER_ANNOTATION, which pulumi-kubernetes reads before anything else
 * (provider.go fieldManagerName): a retried create applies under the name the stopped one used, and owns what
 * that one wrote. The name stays apart wherever a conflict is what protects: it is derived from the deployment
 * identity (another deployment under the same stack name applies under other names), the child's name (two
 * registrations on one cluster never share one) and the cluster identifier of the object's provider (a new
 * registration that replaces an old one on the same cluster still conflicts with it: names.ts,
 * CLUSTER_IDENTIFIER_ANNOTATION).
 *
 * Objects created before this annotation existed are managed by the made-up name their state records. The
 * first update that brings the annotation would apply under the new name and be refused on every value it
 * changes, so the hook below first hands the recorded manager's entries to the new name.
 */
import { createHash } from "node:crypto";
import type * as K8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { PATCH_FIELD_MANAGER_ANNOTATION } from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import { isOurs, type ObjectRef, type Owner } from "./ownership";

/** Where our names start, so that `kubectl get --show-managed-fields` says who applied what. */
const PREFIX = "argocd-clusters-";

/**
 * The field manager of the child `child` of a deployment with identity `identity`, on the cluster its provider
 * names `clusterIdentifier`.
 */
export function fieldManagerName(identity: string, child: string, clusterIdentifier: string): string {
    const digest = createHash("sha256").update(`${identity}\n${child}\n${clusterIdentifier}`).digest("hex");
    return PREFIX + digest.slice(0, 16);
}

/** The annotation for an object's metadata. */
export function fieldManagerAnnotation(
    identity: pulumi.Input<string>,
    child: string,
    clusterIdentifier: string,
): Record<string, pulumi.Output<string>> {
    return {
        [PATCH_FIELD_MANAGER_ANNOTATION]: pulumi
            .output(identity)
            .apply((id) => fieldManagerName(id, child, clusterIdentifier)),
    };
}

/**
 * The managedFields an object should have once `from`'s entries are `to`'s: renamed, or dropped where `to`
 * already has an entry for the same operation and subresource (an earlier update applied under it and was
 * stopped before it gave `from` up). Undefined when `from` has no entry: nothing to hand over.
 */
export function handedOver(
    managedFields: K8s.V1ManagedFieldsEntry[],
    from: string,
    to: string,
): K8s.V1ManagedFieldsEntry[] | undefined {
    if (!managedFields.some((e) => e.manager === from)) return undefined;
    const slot = (e: K8s.V1ManagedFieldsEntry) => `${e.operation}/${e.subresource ?? ""}`;
    const taken = new Set(managedFields.filter((e) => e.manager === to).map(slot));
    return managedFields.flatMap((e) => {
        if (e.manager !== from) return [e];
        return taken.has(slot(e)) ? [] : [{ ...e, manager: to }];
    });
}

/**
 * A before-update hook for an object of ours on the cluster reached through `access` (the target's, or Argo CD's
 * for the cluster Secret), which belongs to the registration of `server`. It acts only when the state's manager differs
 * from the annotation's, on an object that is ours, and only on ownership records: no value changes. The patch
 * carries the read's resourceVersion, so an object changed in between is left alone (and its update is then
 * refused by the API server as a conflict, loudly).
 */
export function handOverFieldManager(access: ClusterAccess, owner: Owner, server: string): pulumi.ResourceHookFunction {
    return async (args) => {
        const recorded: unknown = args.oldOutputs?.__fieldManager;
        const wanted: unknown = args.newInputs?.metadata?.annotations?.[PATCH_FIELD_MANAGER_ANNOTATION];
        if (typeof recorded !== "string" || typeof wanted !== "string" || recorded === wanted) return;
        const { apiVersion, kind, metadata } = args.oldOutputs ?? {};
        const { name, namespace } = metadata ?? {};
        const what = `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
        try {
            const k8s = await clientNode();
            const client = k8s.KubernetesObjectApi.makeApiClient(await kubeConfigOf(access));
            const spec = { apiVersion, kind, metadata: { name, namespace } };
            const live = await withDeadline(client.read(spec));
            const ref = { kind: kind as ObjectRef["kind"], namespace, name, server };
            if (!isOurs(live.metadata, owner, ref)) return;
            const fields = handedOver(live.metadata?.managedFields ?? [], recorded, wanted);
            if (fields === undefined) return;
            await withDeadline(
                client.patch(
                    {
                        ...spec,
                        metadata: {
                            ...spec.metadata,
                            resourceVersion: live.metadata?.resourceVersion,
                            managedFields: fields,
                        },
                    },
                    undefined,
                    undefined,
                    undefined,
                    undefined,
                    k8s.PatchStrategy.MergePatch,
                ),
            );
            await pulumi.log.info(
                `${what}: its fields are now managed by ${wanted} (was ${recorded}, a name pulumi-kubernetes made up)`,
            );
        } catch (err) {
            if (statusOf(err) === 404) return;
            await pulumi.log.warn(
                `${what}: could not hand its fields from ${recorded} to ${wanted} (${describeFailure(err)}); ` +
                    "if the update is refused as a conflict with that manager, see docs/operations.md, After an interrupted run",
            );
        }
    };
}
