/**
 * A time-bound ServiceAccount token (`token: {kind: bound}`) from the TokenRequest API, as a Pulumi resource.
 * A TokenRequest is no Kubernetes object the kubernetes provider can manage, so a dynamic provider issues it:
 * create = POST .../serviceaccounts/<sa>/token on the target, bound to a small Secret (the bound object) that
 * the program manages; a new bound object or lifetime means replace (create before delete); delete does nothing,
 * since a TokenRequest leaves nothing to delete. The old token is revoked by deleting its bound object, which
 * the program does once Argo CD's cluster Secret holds the new one (tokenCleanup.ts), else it simply expires.
 *
 * The provider runs in another process (pulumi-resource-pulumi-nodejs), from a serialized copy of the
 * functions below: they use only Node's built-in modules and nothing else from this project, and never log.
 * The token is a secret output, the target's credentials secret inputs: neither is in plaintext state.
 */
import * as https from "node:https";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterAccess } from "../stack/kubeconfig";
import { describeFailure, kubeConfigOf } from "./kubeClient";

/**
 * How the provider reaches the target: the kubeconfig's credentials as client-node resolved them (client
 * certificate, bearer token, exec plugin output), so the provider needs no kubeconfig parser. Secret.
 */
export interface TargetConnection {
    server: string;
    ca?: string;
    cert?: string;
    key?: string;
    authorization?: string;
    insecure: boolean;
    servername?: string;
}

export interface TokenInputs {
    connection: TargetConnection;
    namespace: string;
    serviceAccount: string;
    boundObjectName: string;
    boundObjectUid: string;
    lifetimeSeconds: number;
    /** `token.renewBefore` in seconds, and the entry's Argo CD name: for the refusal of a capped lifetime. */
    renewBeforeSeconds: number;
    clusterName: string;
}

/** What state records: the inputs that decide replacement (no credentials), the token and what it says. */
export interface TokenOutputs {
    namespace: string;
    serviceAccount: string;
    boundObjectName: string;
    boundObjectUid: string;
    lifetimeSeconds: number;
    token: string;
    /** RFC 3339, UTC: the token's `exp` claim. */
    expiresAt: string;
    /**
     * The target's own CA (kube-root-ca.crt), base64 PEM, as a legacy token Secret's ca.crt would give it; ""
     * when it cannot be read. Always present: an output missing from state reads as unknown in a preview.
     */
    caData: string;
}

/** The inputs whose change issues a new token. Credentials are not among them: new ones reach the same token. */
const REPLACE_ON = ["namespace", "serviceAccount", "boundObjectName", "boundObjectUid", "lifetimeSeconds"] as const;

/** The parts of the API's answers the provider reads: a TokenRequest's status, a ConfigMap's data. */
interface ApiAnswer {
    status?: { token?: unknown; expirationTimestamp?: string };
    data?: Record<string, unknown>;
}

/** One JSON call to the target. Failures carry the status and the API's reason, never a credential. */
function call(conn: TargetConnection, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const url = new URL(conn.server);
    const prefix = url.pathname.replace(/\/+$/, "");
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const request = https.request(
            {
                method,
                // An IPv6 literal's brackets belong to the URL, not to the address the socket connects to.
                host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
                port: url.port || 443,
                path: `${prefix}${path}`,
                ca: conn.ca,
                cert: conn.cert,
                key: conn.key,
                servername: conn.servername,
                rejectUnauthorized: !conn.insecure,
                timeout: 60_000,
                headers: {
                    Accept: "application/json",
                    ...(payload ? { "Content-Type": "application/json" } : {}),
                    ...(conn.authorization ? { Authorization: conn.authorization } : {}),
                },
            },
            (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (c: Buffer) => chunks.push(c));
                response.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = response.statusCode ?? 0;
                    if (status >= 200 && status < 300) {
                        try {
                            resolve(JSON.parse(text));
                        } catch {
                            reject(new Error(`${method} ${path}: the API answered ${status} with no JSON`));
                        }
                        return;
                    }
                    let reason = "";
                    try {
                        reason = String(JSON.parse(text).message ?? "");
                    } catch {}
                    reject(new Error(`${method} ${path}: the API answered ${status}${reason ? `: ${reason}` : ""}`));
                });
            },
        );
        request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer in 60s`)));
        request.on("error", (err: NodeJS.ErrnoException) =>
            reject(new Error(`${method} ${path}: the call failed (${err.code ?? err.message})`)),
        );
        if (payload) request.write(payload);
        request.end();
    });
}

/** A JWT's numeric claim (`iat`, `exp`), in seconds; undefined when the token carries none. */
function claim(token: string, name: "iat" | "exp"): number | undefined {
    try {
        const value = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"))[name];
        return typeof value === "number" ? value : undefined;
    } catch {
        return undefined;
    }
}

/** Whole seconds as Go writes a duration, as the stack file does: 720h, 1h30m, 10m, 45s. */
function goDuration(seconds: number): string {
    const h = Math.floor(seconds / 3_600);
    const m = Math.floor((seconds % 3_600) / 60);
    const s = seconds % 60;
    const text = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
    return text || "0s";
}

/**
 * Why the token as issued must not be used, or undefined. The API server may issue less than asked (it caps
 * expirationSeconds at its --service-account-max-token-expiration). A token that lives no longer than
 * renewBefore would be recorded with a renewal time (expiry minus renewBefore) already past: every up would
 * renew it, and Argo CD would always hold a token with less left than renewBefore promises, so a missed
 * scheduled run would cost it the cluster. Refused rather than scheduled anew: renewBefore is the margin the
 * stack's owner chose for missed runs, and shrinking it silently would break that promise (docs/configuration.md).
 * The issued lifetime is the token's own `exp - iat`, both of the API server's clock.
 */
export function issuedLifetimeProblem(issued: {
    clusterName: string;
    namespace: string;
    serviceAccount: string;
    lifetimeSeconds: number;
    renewBeforeSeconds: number;
    issuedAt: number;
    expiresAt: number;
}): string | undefined {
    const { renewBeforeSeconds, lifetimeSeconds } = issued;
    const seconds = issued.expiresAt - issued.issuedAt;
    if (seconds > renewBeforeSeconds) return undefined;
    const capped =
        seconds < lifetimeSeconds
            ? `, not the ${goDuration(lifetimeSeconds)} asked (its --service-account-max-token-expiration)`
            : "";
    return (
        `cluster "${issued.clusterName}": the target issued the bound token of ${issued.namespace}/${issued.serviceAccount} for ` +
        `${goDuration(seconds)}${capped}, and that is not more than renewBefore ${goDuration(renewBeforeSeconds)}: ` +
        "its renewal time would already be past, every up would renew it, and Argo CD would always hold a token " +
        "with less left than renewBefore. Argo CD's cluster Secret was not written: Argo CD keeps what it has, " +
        "and the unused token expires by itself.\n" +
        `  fix: set token.lifetime to at most ${goDuration(seconds)} and token.renewBefore well below it (several ` +
        "intervals of the scheduled pipeline), or raise the target's --service-account-max-token-expiration"
    );
}

/** The `exp` claim of a JWT as RFC 3339 UTC; the API's own answer is only a fallback. */
function expiryOf(token: string, fallback: string | undefined): string {
    const exp = claim(token, "exp");
    if (exp !== undefined) return new Date(exp * 1000).toISOString().replace(".000Z", "Z");
    if (fallback) return new Date(fallback).toISOString().replace(".000Z", "Z");
    throw new Error("the issued token carries no expiry");
}

/** Issues the token (the provider's create). Exported for its unit tests, which run it against a loopback API. */
export async function issue(inputs: TokenInputs): Promise<TokenOutputs> {
    const { connection, namespace, serviceAccount } = inputs;
    // The issue time when the token carries no iat: no later than the API server's, give or take clock skew.
    const requestedAt = Math.floor(Date.now() / 1000);
    const answer = await call(
        connection,
        "POST",
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
        {
            apiVersion: "authentication.k8s.io/v1",
            kind: "TokenRequest",
            spec: {
                // No audiences: the API server's own, which is what Argo CD presents the token to.
                expirationSeconds: inputs.lifetimeSeconds,
                boundObjectRef: {
                    apiVersion: "v1",
                    kind: "Secret",
                    name: inputs.boundObjectName,
                    uid: inputs.boundObjectUid,
                },
            },
        },
    );
    const token = answer?.status?.token;
    if (typeof token !== "string" || token === "") throw new Error("the TokenRequest answer holds no token");
    const expiresAt = expiryOf(token, answer?.status?.expirationTimestamp);
    const problem = issuedLifetimeProblem({
        clusterName: inputs.clusterName,
        namespace,
        serviceAccount,
        lifetimeSeconds: inputs.lifetimeSeconds,
        renewBeforeSeconds: inputs.renewBeforeSeconds,
        issuedAt: claim(token, "iat") ?? requestedAt,
        expiresAt: Date.parse(expiresAt) / 1000,
    });
    // Thrown by create: the engine records no token, so nothing downstream (the cluster Secret) is written.
    if (problem) throw new Error(problem);
    let caData = "";
    try {
        const rootCa = await call(
            connection,
            "GET",
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/kube-root-ca.crt`,
        );
        const pem = rootCa?.data?.["ca.crt"];
        if (typeof pem === "string" && pem !== "") caData = Buffer.from(pem, "utf8").toString("base64");
    } catch {
        // Only a fallback CA (clusterRegistration.ts caFor): the check before the cluster Secret is written
        // proves whichever CA is chosen.
    }
    return {
        namespace,
        serviceAccount,
        boundObjectName: inputs.boundObjectName,
        boundObjectUid: inputs.boundObjectUid,
        lifetimeSeconds: inputs.lifetimeSeconds,
        token,
        expiresAt,
        caData,
    };
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: TokenInputs) {
        const outs = await issue(inputs);
        return { id: `${inputs.namespace}/${inputs.serviceAccount}/${inputs.boundObjectName}`, outs };
    },
    async diff(_id: string, olds: TokenOutputs, news: TokenInputs) {
        const replaces = REPLACE_ON.filter((key) => olds[key] !== news[key]);
        return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
    },
    async delete() {
        // Nothing to delete: the token is revoked by deleting its bound object (tokenCleanup.ts), never here,
        // where the engine could do it before or without Argo CD being switched to the new token.
    },
};

export interface BoundTokenArgs {
    connection: pulumi.Input<TargetConnection>;
    namespace: pulumi.Input<string>;
    serviceAccount: pulumi.Input<string>;
    boundObjectName: pulumi.Input<string>;
    boundObjectUid: pulumi.Input<string>;
    lifetimeSeconds: pulumi.Input<number>;
    /** Not among the inputs that replace the token: a new renewBefore changes only when it is renewed. */
    renewBeforeSeconds: pulumi.Input<number>;
    clusterName: pulumi.Input<string>;
}

export class BoundToken extends pulumi.dynamic.Resource {
    declare readonly token: pulumi.Output<string>;
    declare readonly expiresAt: pulumi.Output<string>;
    declare readonly caData: pulumi.Output<string>;

    constructor(name: string, args: BoundTokenArgs, opts: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                ...args,
                connection: pulumi.secret(args.connection),
                token: undefined,
                expiresAt: undefined,
                caData: undefined,
            },
            { ...opts, additionalSecretOutputs: ["token"] },
            "argocd-clusters",
            "BoundToken",
        );
    }
}

/**
 * The target's connection as client-node resolves the kubeconfig's one context (an exec plugin runs here, in
 * the program). Only what an HTTPS request needs; resolved once per registration and run. Never logged, and a
 * failure says only its status or code: an exec plugin's output may hold a credential.
 */
export async function targetConnection(access: ClusterAccess): Promise<TargetConnection> {
    const kc = await kubeConfigOf(access);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new pulumi.RunError(`kubeconfig context "${access.context}" has no cluster`);
    // The provider's plain HTTPS request would go around the proxy and fail, or reach the target another way.
    if (cluster.proxyUrl) {
        throw new pulumi.RunError(
            `kubeconfig context "${access.context}" reaches its cluster through proxy-url, which bound tokens do not ` +
                "support yet: give this entry token: {kind: secret, rotateEvery: 720h}",
        );
    }
    const options: https.RequestOptions = {};
    try {
        await kc.applyToHTTPSOptions(options);
    } catch (err) {
        throw new pulumi.RunError(
            `cannot get the credentials of kubeconfig context "${access.context}" for the bound token (${describeFailure(err)})`,
        );
    }
    const text = (v: unknown) =>
        v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
    const headers = (options.headers ?? {}) as Record<string, unknown>;
    const connection: TargetConnection = {
        server: cluster.server,
        insecure: options.rejectUnauthorized === false || cluster.skipTLSVerify,
    };
    const ca = text(options.ca);
    const cert = text(options.cert);
    const key = text(options.key);
    const basic = options.auth ? `Basic ${Buffer.from(options.auth).toString("base64")}` : undefined;
    const authorization = text(headers.Authorization ?? headers.authorization) ?? basic;
    const servername = text(options.servername) ?? cluster.tlsServerName;
    return {
        ...connection,
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(authorization ? { authorization } : {}),
        ...(servername ? { servername } : {}),
    };
}
