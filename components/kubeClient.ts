/**
 * Direct Kubernetes API access from the program, for the few checks and steps the engine cannot express
 * (removalGuard.ts, adoption.ts): with the same self-contained kubeconfig the cluster's provider gets, so the
 * program never reaches a cluster by another identity than Pulumi does.
 */
import type * as K8s from "@kubernetes/client-node";
import { ClusterAccess } from "./kubeconfig";

// @kubernetes/client-node is an ES module only; this project compiles to CommonJS, where TypeScript would turn
// import() into require(). A real import() works on every Node 20.
const importModule = new Function("url", "return import(url)") as (url: string) => Promise<typeof K8s>;

let loaded: Promise<typeof K8s> | undefined;

export async function clientNode(): Promise<typeof K8s> {
    loaded ??= importModule("@kubernetes/client-node");
    return loaded;
}

/** A KubeConfig holding exactly the access's one context. */
export async function kubeConfigOf(access: ClusterAccess): Promise<K8s.KubeConfig> {
    const k8s = await clientNode();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(access.kubeconfig);
    return kc;
}

/** The HTTP status of a failed API call, if the API answered. */
export function statusOf(err: unknown): number | undefined {
    const code = (err as { code?: unknown }).code;
    return typeof code === "number" ? code : undefined;
}
