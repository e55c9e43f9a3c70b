/**
 * Before a cluster Secret is written or switched to a new token, connect to the registration's `server`
 * exactly as Argo CD will: that URL, that token, the CA, `serverName` (SNI and the name verified) and proxy
 * that go into the Secret. `argocd cluster add` tests its connection before saving; so do we, and we also ask
 * the API server (SelfSubjectAccessReview) whether the token holds every right the entry grants.
 *
 * Outcomes: `ok`; `unreachable` (no answer to /version from where Pulumi runs: Argo CD often reaches targets
 * over a network a CI runner does not, so this is a warning unless the entry says `verify: required`); `failed`
 * (TLS refused, token rejected, rights missing, or an access review left unanswered after /version answered:
 * the registration is broken or unproven, so the cluster Secret is not written and Argo CD keeps its current
 * one).
 */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import type { PolicyRule } from "../argocd/names";

/** What Argo CD connects with: the cluster Secret's `server` and `config`, decoded. */
export interface ArgoConnection {
    server: string;
    bearerToken: string;
    /** base64 PEM bundle, as in `tlsClientConfig.caData`. */
    caData?: string;
    insecure: boolean;
    serverName?: string;
    proxyUrl?: string;
}

/** One question for SelfSubjectAccessReview: a resource verb (in a namespace, or cluster-wide) or a URL. */
export interface AccessCheck {
    verb: string;
    namespace?: string;
    group?: string;
    resource?: string;
    subresource?: string;
    name?: string;
    nonResourceURL?: string;
}

export type CheckResult =
    | { outcome: "ok" }
    | { outcome: "unreachable"; reason: string }
    | { outcome: "failed"; reason: string; fix: string };

/** Enough to cover any real entry, few enough that a check stays quick. */
const MAX_ACCESS_CHECKS = 200;

/**
 * How long a check may wait: for one request with nothing arriving (`requestMs`), and for the whole check
 * (`deadlineMs`: however the server behaves, a check ends; an `up` must never wait on it for ever).
 */
export interface CheckLimits {
    requestMs: number;
    deadlineMs: number;
}

const LIMITS: CheckLimits = { requestMs: 15_000, deadlineMs: 120_000 };

/** Node's codes for "nothing answered", as opposed to "something answered and refused us". */
const UNREACHABLE = new Set([
    "ECONNREFUSED",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ECONNRESET",
    "TIMEOUT",
]);

/**
 * Every right the entry grants, as access review questions: each rule's verbs × groups × resources (its first
 * resource name, if any), in each listed namespace or cluster-wide; URLs cluster-wide.
 */
export function expectedAccess(rules: PolicyRule[], namespaces: (string | undefined)[]): AccessCheck[] {
    const checks: AccessCheck[] = [];
    for (const rule of rules) {
        for (const verb of rule.verbs) {
            for (const url of rule.nonResourceURLs ?? []) checks.push({ verb, nonResourceURL: url });
            for (const group of rule.apiGroups ?? []) {
                for (const full of rule.resources ?? []) {
                    const [resource, subresource] = full.split("/", 2);
                    for (const namespace of namespaces) {
                        checks.push({ verb, namespace, group, resource, subresource, name: rule.resourceNames?.[0] });
                    }
                }
            }
        }
    }
    const seen = new Set<string>();
    return checks
        .filter((c) => {
            const key = JSON.stringify(c);
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
        })
        .slice(0, MAX_ACCESS_CHECKS);
}

export function describeAccess(c: AccessCheck): string {
    if (c.nonResourceURL !== undefined) return `${c.verb} ${c.nonResourceURL}`;
    const what = `${c.resource}${c.subresource ? `/${c.subresource}` : ""}${c.group ? `.${c.group}` : ""}${c.name ? ` ${c.name}` : ""}`;
    return `${c.verb} ${what} ${c.namespace ? `in namespace ${c.namespace}` : "cluster-wide"}`;
}

interface Reply {
    status: number;
    // biome-ignore lint/suspicious/noExplicitAny: the API server's JSON, read by the few fields each check needs.
    body: any;
}

/** A TCP connection to `host:port`, through an http(s) CONNECT proxy when one is given. */
function connect(host: string, port: number, proxyUrl: string | undefined): Promise<net.Socket> {
    if (!proxyUrl) {
        return new Promise((resolve, reject) => {
            const socket = net.connect({ host, port });
            const timedOut = () => socket.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" }));
            socket.setTimeout(10_000, timedOut);
            socket.once("connect", () => {
                // The request watches the connected socket from here on (call).
                socket.setTimeout(0);
                socket.off("timeout", timedOut);
                resolve(socket);
            });
            socket.once("error", reject);
        });
    }
    const proxy = new URL(proxyUrl);
    const request = (proxy.protocol === "https:" ? https : http).request({
        host: proxy.hostname,
        port: proxy.port || (proxy.protocol === "https:" ? 443 : 80),
        method: "CONNECT",
        path: `${host.includes(":") ? `[${host}]` : host}:${port}`,
        timeout: 10_000,
        // Argo CD sends the proxy URL's credentials; so do we, never printing them.
        headers: proxy.username
            ? {
                  "Proxy-Authorization": `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`,
              }
            : {},
    });
    return new Promise((resolve, reject) => {
        request.once("connect", (res, socket) => {
            if (res.statusCode === 200) resolve(socket);
            else reject(Object.assign(new Error(`the proxy answered ${res.statusCode}`), { code: "PROXY" }));
        });
        request.once("timeout", () => request.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
        request.once("error", reject);
        request.end();
    });
}

/** One request to the API server as Argo CD makes it. */
async function call(
    conn: ArgoConnection,
    method: string,
    path: string,
    body: unknown = undefined,
    timeoutMs = LIMITS.requestMs,
): Promise<Reply> {
    const url = new URL(conn.server);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || 443);
    const socket = await connect(host, port, conn.proxyUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = https.request(
            {
                method,
                host,
                port,
                path: `${url.pathname.replace(/\/$/, "")}${path}`,
                // TLS over the socket we opened (directly or through the proxy). The name sent (SNI) and verified is
                // serverName when set, else the URL's host: what Go's tls.Config does for Argo CD.
                createConnection: () =>
                    tls.connect({
                        socket,
                        servername: conn.serverName ?? (net.isIP(host) ? undefined : host),
                        ca: conn.caData ? Buffer.from(conn.caData, "base64") : undefined,
                        rejectUnauthorized: !conn.insecure,
                        checkServerIdentity: (_name, cert) => tls.checkServerIdentity(conn.serverName ?? host, cert),
                    }),
                headers: {
                    Authorization: `Bearer ${conn.bearerToken}`,
                    Accept: "application/json",
                    ...(payload
                        ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }
                        : {}),
                },
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (chunk) => (text += chunk));
                // A body cut off mid-way must fail the request, not leave it pending for ever.
                res.once("aborted", () =>
                    req.destroy(Object.assign(new Error("the response was cut off"), { code: "ECONNRESET" })),
                );
                res.once("error", reject);
                res.on("end", () => {
                    let parsed: unknown = text;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        // not JSON: keep the text
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            },
        );
        // Nothing arriving for timeoutMs ends the request. Watched on the TCP socket itself: a timeout set on the
        // TLS socket layered over it (the request's) never fires.
        socket.setTimeout(timeoutMs, () =>
            req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: "TIMEOUT" })),
        );
        // on, not once: a socket torn down under the request may report more than one error.
        req.on("error", reject);
        req.once("close", () => reject(Object.assign(new Error("the connection closed"), { code: "ECONNRESET" })));
        if (payload) req.write(payload);
        req.end();
    });
}

/** Whether the token may do `check`, by the API server's own authorizer. */
async function allowed(conn: ArgoConnection, check: AccessCheck, requestMs: number): Promise<boolean | Reply> {
    const spec =
        check.nonResourceURL !== undefined
            ? { nonResourceAttributes: { path: check.nonResourceURL, verb: check.verb } }
            : {
                  resourceAttributes: {
                      namespace: check.namespace,
                      verb: check.verb,
                      group: check.group,
                      resource: check.resource,
                      subresource: check.subresource,
                      name: check.name,
                  },
              };
    const reply = await call(
        conn,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec },
        requestMs,
    );
    if (reply.status !== 201 && reply.status !== 200) return reply;
    return reply.body?.status?.allowed === true;
}

const TLS_FIX =
    "the CA Argo CD gets (tls.caData, else the kubeconfig's CA when it reaches the target at server, else the " +
    "target's own CA from the token Secret's ca.crt) must sign the " +
    "certificate the API server presents at server, for tls.serverName or else the server's host name";

/** Reaches `conn.server` as Argo CD would, then asks for each of `expected`. Never throws, never hangs. */
export async function checkConnection(
    conn: ArgoConnection,
    expected: AccessCheck[],
    limits: CheckLimits = LIMITS,
): Promise<CheckResult> {
    const progress: Progress = { versionAnswered: false, pending: new Set() };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => {
            const what = `no complete answer within ${limits.deadlineMs / 1000} s`;
            const [first] = progress.pending;
            resolve(
                progress.versionAnswered && first
                    ? incomplete(first, what, progress.pending.size - 1)
                    : { outcome: "unreachable", reason: what },
            );
        }, limits.deadlineMs);
    });
    try {
        return await Promise.race([checkOnce(conn, expected, limits, progress), deadline]);
    } finally {
        clearTimeout(timer);
    }
}

/** How far a check got: whether /version answered, and the access reviews asked and not yet answered. */
interface Progress {
    versionAnswered: boolean;
    pending: Set<AccessCheck>;
}

/** An access review that got no complete answer, with what happened to it. */
class IncompleteReview extends Error {
    constructor(
        readonly check: AccessCheck,
        readonly cause: unknown,
    ) {
        super("incomplete access review");
    }
}

const INCOMPLETE_FIX =
    "the API server answered, so this is no network Argo CD might reach it by instead: rerun the up; if it " +
    "recurs, look at what sits between here and server (a proxy or load balancer that resets or holds " +
    "requests) and at the API server (its load, an authorization or admission webhook that does not answer)";

/**
 * Once /version has answered, the server is reachable from here: an access review that then gets no answer
 * leaves the rights unproven, which is a failed check, not an unreachable server (that would let
 * `verify: auto` write the Secret with a warning).
 */
function incomplete(check: AccessCheck, what: string, others = 0): CheckResult {
    return {
        outcome: "failed",
        reason:
            `the check could not complete: GET /version answered, then the access review "${describeAccess(check)}" ` +
            `did not complete: ${what}${others > 0 ? ` (nor ${others} more asked with it)` : ""}`,
        fix: INCOMPLETE_FIX,
    };
}

/** What happened to a request that got no answer, by its error code only (never a message from the wire). */
function interruption(err: unknown): string {
    const code = String((err as NodeJS.ErrnoException)?.code ?? "");
    if (code === "ECONNRESET") return "the connection was reset (ECONNRESET)";
    if (code === "TIMEOUT") return `${(err as Error).message} (TIMEOUT)`;
    return `the call failed (${code || "no error code"})`;
}

async function checkOnce(
    conn: ArgoConnection,
    expected: AccessCheck[],
    limits: CheckLimits,
    progress: Progress,
): Promise<CheckResult> {
    if (conn.proxyUrl && !/^https?:/.test(conn.proxyUrl)) {
        return {
            outcome: "unreachable",
            reason: `it is reached through the ${new URL(conn.proxyUrl).protocol.slice(0, -1)} proxy, which this check does not speak`,
        };
    }
    try {
        const version = await call(conn, "GET", "/version", undefined, limits.requestMs);
        if (version.status === 401) {
            return {
                outcome: "failed",
                reason: "the API server rejected the token (401)",
                fix: "check that the target's token controller runs and that server is the cluster the token belongs to",
            };
        }
        if (version.status !== 200 || typeof version.body?.gitVersion !== "string") {
            return {
                outcome: "failed",
                reason: `GET /version answered ${version.status}, not a Kubernetes version`,
                fix: "check that server is the Kubernetes API URL Argo CD should use",
            };
        }
        progress.versionAnswered = true;
        const missing: string[] = [];
        // A few at a time: a large rule set should not flood the API server.
        for (let i = 0; i < expected.length; i += 10) {
            const answers = await Promise.all(
                expected.slice(i, i + 10).map((c) => {
                    progress.pending.add(c);
                    return allowed(conn, c, limits.requestMs).then(
                        (answer) => {
                            progress.pending.delete(c);
                            return answer;
                        },
                        (err) => {
                            throw new IncompleteReview(c, err);
                        },
                    );
                }),
            );
            for (const [j, answer] of answers.entries()) {
                if (answer === true) continue;
                if (answer !== false) {
                    return {
                        outcome: "failed",
                        reason: `the access review answered ${answer.status}`,
                        fix: "the token must be able to create SelfSubjectAccessReviews, which every authenticated user may",
                    };
                }
                missing.push(describeAccess(expected[i + j]));
            }
        }
        if (missing.length > 0) {
            const shown =
                missing.slice(0, 5).join("; ") + (missing.length > 5 ? `; and ${missing.length - 5} more` : "");
            return {
                outcome: "failed",
                reason: `the token lacks rights the entry grants: ${shown}`,
                fix: "check that server is the cluster whose context Pulumi uses, and that no other policy (an admission webhook, an authorizer) removes them",
            };
        }
        return { outcome: "ok" };
    } catch (err) {
        if (err instanceof IncompleteReview) return incomplete(err.check, interruption(err.cause));
        const code = String((err as NodeJS.ErrnoException).code ?? "");
        if (UNREACHABLE.has(code)) return { outcome: "unreachable", reason: `no connection (${code})` };
        if (code === "PROXY") return { outcome: "failed", reason: (err as Error).message, fix: "check proxyUrl" };
        // Anything else on the way is TLS refusing the server (wrong CA, wrong name, expired certificate).
        return { outcome: "failed", reason: `TLS failed: ${code || "no error code"}`, fix: TLS_FIX };
    }
}

/**
 * The API server's gitVersion as `conn` reaches it, or undefined when it answers with none. Throws what the
 * connection throws. For the health report (health/), which compares it with the Kubernetes version
 * Argo CD recorded on the cluster Secret.
 */
export async function serverVersion(conn: ArgoConnection): Promise<string | undefined> {
    const reply = await call(conn, "GET", "/version");
    return reply.status === 200 && typeof reply.body?.gitVersion === "string" ? reply.body.gitVersion : undefined;
}
