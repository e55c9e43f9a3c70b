/**
 * Direct Kubernetes API access from the program, for the few checks and steps the engine cannot express
 * (removalGuard.ts, adoption.ts, tokenCleanup.ts): with the same self-contained kubeconfig the cluster's provider gets, so the
 * program never reaches a cluster by another identity than Pulumi does.
 */
import type * as K8s from "@kubernetes/client-node";
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from "../argocd/names";
import type { ClusterAccess } from "../stack/kubeconfig";

// @kubernetes/client-node is an ES module only; this project compiles to CommonJS, where TypeScript would turn
// import() into require(). A real import() loads it whatever the module graph holds (require() of an ES module
// refuses one with top-level await).
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

/**
 * What a failed call may say about itself: its HTTP status, else its error code, never its message (an exec
 * credential plugin's failure carries the plugin's output, which may hold a credential).
 */
export function describeFailure(err: unknown): string {
    const status = statusOf(err);
    if (status !== undefined) return `the API answered ${status}`;
    const code = (err as NodeJS.ErrnoException)?.code;
    return typeof code === "string" ? `the call failed (${code})` : "the call failed";
}

/** A direct call that never answers must not hold a run (and the stack's lock) for ever. */
export const CALL_DEADLINE_MS = 60_000;

export async function withDeadline<T>(call: Promise<T>, ms = CALL_DEADLINE_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("no answer in time"), { code: "TIMEOUT" })), ms);
    });
    try {
        return await Promise.race([call, deadline]);
    } finally {
        clearTimeout(timer);
    }
}

/** The token Secrets the token controller keeps for a ServiceAccount (its name annotation, the token type). */
export async function serviceAccountTokenSecrets(
    core: K8s.CoreV1Api,
    namespace: string,
    serviceAccount: string,
): Promise<K8s.V1Secret[]> {
    const list = await withDeadline(
        core.listNamespacedSecret({ namespace, fieldSelector: `type=${SERVICE_ACCOUNT_TOKEN_TYPE}` }),
    );
    return list.items.filter((s) => s.metadata?.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION] === serviceAccount);
}
