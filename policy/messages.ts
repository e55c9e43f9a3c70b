/**
 * How every finding points the operator at the problem: the object as kubectl shows it, and the stack file's
 * entry and key that fix it. The pack cannot read stack config, so the entry is found from the cluster Secret
 * or the registration's name.
 */
import { PROJECT } from "../argocd/names";
import { isClusterSecret, registrationOf } from "./registration";
import { get, type Resource, secretField } from "./resource";
import { nameOf } from "./urn";

export const ARGOCD_KEY = `${PROJECT}:argocd`;
export const CLUSTERS_KEY = `${PROJECT}:clusters`;

/** `kind namespace/name` as kubectl would show it, falling back to the Pulumi name while unknown. */
export function objectName(kind: string, r: Resource): string {
    const name = get(r.props, "metadata", "name");
    const namespace = get(r.props, "metadata", "namespace");
    const shown = typeof name === "string" ? name : nameOf(r.urn);
    return typeof namespace === "string" ? `${kind} ${namespace}/${shown}` : `${kind} ${shown}`;
}

/** Where the operator finds the registration in the stack file: its entry's name and server when known. */
export function entryOf(r: Resource): string {
    const name = isClusterSecret(r) ? secretField(r.props, "name") : undefined;
    const server = isClusterSecret(r) ? secretField(r.props, "server") : undefined;
    if (typeof name === "string" && typeof server === "string")
        return `the ${CLUSTERS_KEY} entry "${name}" (server ${server})`;
    const host = /^cluster-(.+)-\d+$/.exec(registrationOf(r))?.[1];
    return host
        ? `the ${CLUSTERS_KEY} entry whose server is on ${host}`
        : `the ${CLUSTERS_KEY} entry of ${registrationOf(r)}`;
}
