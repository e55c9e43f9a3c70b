/**
 * Every write that reaches a local API server, as it arrives and before the server acts on it: the servers send
 * their audit events for writes to this tap, synchronously (`--audit-webhook-mode=blocking`), so the request
 * waits while the tap's listener runs. A test that stops a run "at the k-th write" therefore stops it at an exact
 * point: the k-th write has reached a server, and nothing after it has.
 *
 * Counted: create, update, patch, delete and deletecollection, TokenRequests included (they issue a credential);
 * not counted: dry runs, access and token reviews (they change nothing), and the controller manager's own writes
 * (token filling, garbage collection), which happen whether or not a run is under way.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as yaml from "js-yaml";

/** One write, as the audit event tells it. */
export interface Write {
    /** The local cluster's name. */
    cluster: string;
    verb: string;
    /** e.g. `secrets`, `serviceaccounts/token`, `clusterrolebindings`. */
    resource: string;
    namespace?: string;
    name?: string;
    userAgent: string;
}

/** Answers before the API server goes on with the write; the server waits for it. */
export type WriteListener = (write: Write) => void | Promise<void>;

const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];

/** Only writes, only at arrival; reviews are creates that change nothing. */
const AUDIT_POLICY = [
    "apiVersion: audit.k8s.io/v1",
    "kind: Policy",
    "omitStages: [ResponseStarted, ResponseComplete, Panic]",
    "rules:",
    "  - level: None",
    "    resources:",
    "      - group: authorization.k8s.io",
    "      - group: authentication.k8s.io",
    "  - level: Metadata",
    `    verbs: [${WRITE_VERBS.join(", ")}]`,
    "  - level: None",
    "",
].join("\n");

export class WriteTap {
    /** Every write seen since start, in order of arrival. */
    readonly writes: Write[] = [];
    private listener?: WriteListener;

    private constructor(
        private readonly server: http.Server,
        readonly url: string,
    ) {}

    static async start(): Promise<WriteTap> {
        let tap: WriteTap | undefined;
        const server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                // The server appends its own query (`?timeout=30s`) to the path that names the cluster.
                const cluster = decodeURIComponent(new URL(req.url ?? "/", "http://tap").pathname.slice(1));
                void tap!
                    .received(cluster, JSON.parse(Buffer.concat(chunks).toString("utf8")))
                    .catch((err) => console.error(`[write-tap] listener failed: ${err}`))
                    .finally(() => res.writeHead(200).end());
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as { port: number }).port;
        tap = new WriteTap(server, `http://127.0.0.1:${port}`);
        return tap;
    }

    /** From now on `listener` sees each write before its server acts on it; undefined stops that. */
    listen(listener: WriteListener | undefined): void {
        this.listener = listener;
    }

    /**
     * The kube-apiserver flags that send `cluster`'s writes here; the policy and webhook config are written into
     * `dir` (the cluster's own).
     */
    apiServerFlags(cluster: string, dir: string): string[] {
        const policy = path.join(dir, "write-tap-policy.yaml");
        const config = path.join(dir, "write-tap.kubeconfig");
        fs.writeFileSync(policy, AUDIT_POLICY);
        const kubeconfig = {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "tap", cluster: { server: `${this.url}/${encodeURIComponent(cluster)}` } }],
            users: [{ name: "tap", user: {} }],
            contexts: [{ name: "tap", context: { cluster: "tap", user: "tap" } }],
            "current-context": "tap",
        };
        fs.writeFileSync(config, yaml.dump(kubeconfig));
        return [
            `--audit-policy-file=${policy}`,
            `--audit-webhook-config-file=${config}`,
            // The request waits until the event is delivered: the listener runs before the write happens.
            "--audit-webhook-mode=blocking",
        ];
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }

    private async received(cluster: string, list: { items?: any[] }): Promise<void> {
        for (const event of list.items ?? []) {
            const write = toWrite(cluster, event);
            if (!write) continue;
            this.writes.push(write);
            await this.listener?.(write);
        }
    }
}

/** The write an audit event records, or undefined for one that changes nothing or is the cluster's own. */
function toWrite(cluster: string, event: any): Write | undefined {
    if (event.stage !== "RequestReceived" || !WRITE_VERBS.includes(event.verb)) return undefined;
    if (/[?&]dryRun=/.test(event.requestURI ?? "")) return undefined;
    const userAgent: string = event.userAgent ?? "";
    if (userAgent.startsWith("kube-controller-manager") || userAgent.startsWith("kube-apiserver")) return undefined;
    const ref = event.objectRef ?? {};
    return {
        cluster,
        verb: event.verb,
        resource: ref.subresource ? `${ref.resource}/${ref.subresource}` : (ref.resource ?? event.requestURI),
        namespace: ref.namespace,
        name: ref.name,
        userAgent,
    };
}
