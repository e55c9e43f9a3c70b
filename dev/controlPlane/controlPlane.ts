/**
 * Local Kubernetes control planes for tests and the sandbox, in the manner of controller-runtime's envtest:
 * one etcd shared by N clusters (each its own --etcd-prefix), and per cluster a kube-apiserver with RBAC and
 * service-account tokens, and a kube-controller-manager running only the token controller and the garbage collector. No kubelet, no
 * containers: objects are real API objects, nothing runs them.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type ClusterCerts, makeCerts } from "./certs";
import { kubeRequest } from "./kubeApi";
import { ManagedProcess } from "./process";
import type { WriteTap } from "./writeTap";

export interface Binaries {
    etcd: string;
    kubeApiServer: string;
    kubeControllerManager: string;
}

/**
 * `count` distinct free TCP ports on `host`, all held open until every one is chosen (the kernel picks them;
 * the small race with other processes between closing and binding is acceptable here).
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
    const servers = await Promise.all(
        Array.from(
            { length: count },
            () =>
                new Promise<net.Server>((resolve, reject) => {
                    const server = net.createServer();
                    server.once("error", reject);
                    server.listen(0, host, () => resolve(server));
                }),
        ),
    );
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

/**
 * Options of the API servers. The benchmark's shared servers use the first two:
 * `aliases`: further loopback addresses (127.0.1.1, ...) the API server answers on, each making a distinct URL
 * for one server, so that many registrations (each its own URL, hence its own cluster Secret) can share it. The
 * server then listens on every address (kube-apiserver binds a single one) and its certificate names them all.
 * `auditOpenapi`: an audit log of the `/openapi/*` requests, to count who downloads the OpenAPI documents.
 * `writeTap`: every write is shown to the tap before the server acts on it (the interruption tests).
 */
export interface SharedServerOptions {
    aliases?: string[];
    auditOpenapi?: boolean;
    writeTap?: WriteTap;
}

const OPENAPI_AUDIT_POLICY = [
    "apiVersion: audit.k8s.io/v1",
    "kind: Policy",
    "omitStages: [RequestReceived]",
    "rules:",
    "  - level: Metadata",
    '    nonResourceURLs: ["/openapi/*"]',
    "  - level: None",
    "",
].join("\n");

export class LocalCluster {
    readonly server: string;
    readonly adminToken = randomBytes(24).toString("hex");
    readonly certs: ClusterCerts;
    /** The cluster CA, read once: every admin request (and every readiness poll) verifies against it. */
    readonly caPem: Buffer;
    readonly apiServer: ManagedProcess;
    readonly controllerManager: ManagedProcess;
    /** The API server's flags as made, before any restartApiServer. */
    private madeWith?: string[];

    /**
     * Each cluster listens on its own loopback address (127.0.0.2, .3, ...), so clusters differ by host as real
     * ones do, and so do the names Argo CD derives from their URLs.
     */
    constructor(
        readonly name: string,
        readonly dir: string,
        readonly host: string,
        readonly port: number,
        controllerManagerPort: number,
        etcdUrl: string,
        binaries: Binaries,
        persistent = false,
        readonly shared: SharedServerOptions = {},
    ) {
        this.server = `https://${host}:${port}`;
        fs.mkdirSync(dir, { recursive: true });
        this.certs = makeCerts(path.join(dir, "pki"), name, host, shared.aliases ?? []);
        const audit = shared.writeTap
            ? shared.writeTap.apiServerFlags(name, dir)
            : shared.auditOpenapi
              ? (() => {
                    const policy = path.join(dir, "audit-policy.yaml");
                    fs.writeFileSync(policy, OPENAPI_AUDIT_POLICY);
                    return [`--audit-policy-file=${policy}`, `--audit-log-path=${this.auditLog}`];
                })()
              : [];
        this.caPem = fs.readFileSync(this.certs.caCert);
        const tokens = path.join(dir, "tokens.csv");
        fs.writeFileSync(tokens, `${this.adminToken},admin,admin,system:masters\n`, { mode: 0o600 });
        const kubeconfig = path.join(dir, "controller-manager.kubeconfig");
        fs.writeFileSync(kubeconfig, yaml.dump(kubeconfigFor([this])), { mode: 0o600 });

        this.apiServer = new ManagedProcess({
            name: `${name}-kube-apiserver`,
            binary: binaries.kubeApiServer,
            logDir: dir,
            args: [
                `--etcd-servers=${etcdUrl}`,
                `--etcd-prefix=/clusters/${name}`,
                `--secure-port=${port}`,
                `--bind-address=${shared.aliases?.length ? "0.0.0.0" : host}`,
                `--advertise-address=${host}`,
                ...audit,
                // Loopback cannot be a Service endpoint; nothing here needs the kubernetes Service's endpoints.
                "--endpoint-reconciler-type=none",
                `--tls-cert-file=${this.certs.servingCert}`,
                `--tls-private-key-file=${this.certs.servingKey}`,
                `--client-ca-file=${this.certs.caCert}`,
                `--token-auth-file=${tokens}`,
                "--service-cluster-ip-range=10.0.0.0/24",
                "--authorization-mode=RBAC",
                `--service-account-issuer=${this.server}`,
                `--service-account-key-file=${this.certs.serviceAccountPub}`,
                `--service-account-signing-key-file=${this.certs.serviceAccountKey}`,
            ],
            ready: async () => (await this.admin("GET", "/readyz")).status === 200,
            persistent,
        });
        this.controllerManager = new ManagedProcess({
            name: `${name}-kube-controller-manager`,
            binary: binaries.kubeControllerManager,
            logDir: dir,
            args: [
                `--kubeconfig=${kubeconfig}`,
                // The token controller fills service-account-token Secrets. The garbage collector completes
                // foreground deletions (pulumi-kubernetes deletes that way): without it they hang forever. The
                // root CA publisher writes kube-root-ca.crt into every namespace, as on every real cluster: a bound
                // token's registration takes the target's CA from it when no other applies.
                "--controllers=serviceaccount-token,garbagecollector,root-ca-cert-publisher",
                `--service-account-private-key-file=${this.certs.serviceAccountKey}`,
                `--root-ca-file=${this.certs.caCert}`,
                "--use-service-account-credentials=false",
                "--leader-elect=false",
                `--bind-address=${host}`,
                `--secure-port=${controllerManagerPort}`,
            ],
            // /healthz needs no credentials; the serving certificate is self-signed, hence insecure here only.
            ready: async () => {
                const res = await kubeRequest(
                    { server: `https://${host}:${controllerManagerPort}`, bearerToken: "", insecure: true },
                    "GET",
                    "/healthz",
                );
                return res.status === 200;
            },
            persistent,
        });
    }

    /** The URL of this server under one of its aliases. */
    aliasServer(alias: string): string {
        if (!this.shared.aliases?.includes(alias)) throw new Error(`${this.name} has no alias ${alias}`);
        return `https://${alias}:${this.port}`;
    }

    get auditLog(): string {
        return path.join(this.dir, "audit.log");
    }

    /** Requests for `/openapi/v2` and `/openapi/v3...` logged so far (with auditOpenapi). */
    openapiRequests(): { v2: number; v3: number } {
        const counts = { v2: 0, v3: 0 };
        if (!fs.existsSync(this.auditLog)) return counts;
        for (const line of fs.readFileSync(this.auditLog, "utf8").split("\n")) {
            if (!line) continue;
            const uri: string = JSON.parse(line).requestURI ?? "";
            if (uri.startsWith("/openapi/v2")) counts.v2++;
            else if (uri.startsWith("/openapi/v3")) counts.v3++;
        }
        return counts;
    }

    /** A request as the cluster admin. */
    admin(method: string, urlPath: string, body?: unknown, contentType?: string) {
        const creds = { server: this.server, bearerToken: this.adminToken, ca: this.caPem };
        return kubeRequest(creds, method, urlPath, body, contentType);
    }

    async start(): Promise<void> {
        await this.apiServer.start();
        await this.controllerManager.start();
        await this.awaitTokens();
    }

    /**
     * Restarts the API server with `extraArgs` after the flags it was made with (none: as made), e.g.
     * `--service-account-max-token-expiration=2h`. Its objects live in etcd and survive; so do its address,
     * certificate and signing keys. Resolves once it issues tokens again.
     */
    async restartApiServer(extraArgs: string[] = []): Promise<void> {
        this.madeWith ??= [...this.apiServer.spec.args];
        await this.apiServer.stop();
        this.apiServer.spec.args = [...this.madeWith, ...extraArgs];
        await this.apiServer.start();
        await this.awaitTokens();
    }

    /**
     * Waits until the cluster issues service-account tokens: a probe token Secret gets filled. Process health
     * alone is not enough after an API server restart, when the controller manager reconnects with back-off.
     */
    async awaitTokens(timeoutMs = 180_000): Promise<void> {
        const name = `token-probe-${randomBytes(4).toString("hex")}`;
        const base = "/api/v1/namespaces/default";
        await this.admin("POST", `${base}/serviceaccounts`, { metadata: { name } });
        await this.admin("POST", `${base}/secrets`, {
            metadata: { name, annotations: { "kubernetes.io/service-account.name": name } },
            type: "kubernetes.io/service-account-token",
        });
        try {
            const deadline = Date.now() + timeoutMs;
            while ((await this.admin("GET", `${base}/secrets/${name}`)).body?.data?.token === undefined) {
                if (Date.now() > deadline)
                    throw new Error(
                        `${this.name} issued no service-account token within ${timeoutMs / 1000}s:\n${this.controllerManager.tail()}`,
                    );
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        } finally {
            await this.admin("DELETE", `${base}/secrets/${name}`);
            await this.admin("DELETE", `${base}/serviceaccounts/${name}`);
        }
    }

    async stop(): Promise<void> {
        await this.controllerManager.stop();
        await this.apiServer.stop();
    }
}

/** A kubeconfig with one context per cluster, named after the cluster. */
export function kubeconfigFor(clusters: LocalCluster[]): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: clusters.map((c) => ({
            name: c.name,
            cluster: { server: c.server, "certificate-authority-data": c.caPem.toString("base64") },
        })),
        users: clusters.map((c) => ({ name: `${c.name}-admin`, user: { token: c.adminToken } })),
        contexts: clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: `${c.name}-admin` } })),
        "current-context": clusters[0]?.name,
    };
}

export class LocalControlPlane {
    readonly clusters: LocalCluster[] = [];
    readonly kubeconfig: string;
    private readonly etcd: ManagedProcess;

    private constructor(
        readonly dir: string,
        binaries: Binaries,
        private readonly etcdUrl: string,
        etcdPeer: number,
        persistent: boolean,
    ) {
        this.kubeconfig = path.join(dir, "kubeconfig");
        const etcdPort = new URL(etcdUrl).port;
        this.etcd = new ManagedProcess({
            name: "etcd",
            binary: binaries.etcd,
            logDir: dir,
            args: [
                "--name=local",
                `--data-dir=${path.join(dir, "etcd")}`,
                `--listen-client-urls=${etcdUrl}`,
                `--advertise-client-urls=${etcdUrl}`,
                `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
                `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
                `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
                "--log-level=warn",
                // Tests need no durability: skip fsync so two cores are not spent waiting on the disk.
                "--unsafe-no-fsync",
            ],
            ready: async () => {
                const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
                return res.ok;
            },
            persistent,
        });
    }

    /**
     * Starts etcd and one cluster per name, in parallel; on any failure stops what started. `persistent`
     * processes outlive this Node process (the sandbox) and are stopped by PID.
     */
    static async start(
        names: string[],
        binaries: Binaries,
        options: { dir?: string; persistent?: boolean; shared?: SharedServerOptions } = {},
    ): Promise<LocalControlPlane> {
        const root = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-local-"));
        fs.mkdirSync(root, { recursive: true });
        const persistent = options.persistent ?? false;
        const [etcdClient, etcdPeer] = await freePorts(2);
        const plane = new LocalControlPlane(root, binaries, `http://127.0.0.1:${etcdClient}`, etcdPeer, persistent);
        try {
            await plane.etcd.start();
            for (const [i, name] of names.entries()) {
                const host = `127.0.0.${i + 2}`;
                // A server on every address (shared) needs a port free on every address.
                const [apiPort, controllerManagerPort] = options.shared?.aliases?.length
                    ? await freePorts(2, "0.0.0.0")
                    : await freePorts(2, host);
                plane.clusters.push(
                    new LocalCluster(
                        name,
                        path.join(root, name),
                        host,
                        apiPort,
                        controllerManagerPort,
                        plane.etcdUrl,
                        binaries,
                        persistent,
                        options.shared,
                    ),
                );
            }
            await Promise.all(plane.clusters.map((c) => c.start()));
            fs.writeFileSync(plane.kubeconfig, yaml.dump(kubeconfigFor(plane.clusters)), { mode: 0o600 });
            return plane;
        } catch (err) {
            await plane.stop({ keepFiles: true });
            throw err;
        }
    }

    /** PIDs of every process, clusters first and etcd last: the order to stop them in. */
    get pids(): number[] {
        const processes = [...this.clusters.flatMap((c) => [c.controllerManager, c.apiServer]), this.etcd];
        return processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
    }

    cluster(name: string): LocalCluster {
        const found = this.clusters.find((c) => c.name === name);
        if (!found) throw new Error(`no local cluster ${name}`);
        return found;
    }

    /** Stops every process, clusters first, then etcd; removes the directory unless asked to keep it. */
    async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
        const results = await Promise.allSettled(this.clusters.map((c) => c.stop()));
        await this.etcd.stop();
        if (!options.keepFiles) fs.rmSync(this.dir, { recursive: true, force: true });
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed.length > 0)
            throw new AggregateError(
                failed.map((f) => f.reason),
                "stopping local clusters failed",
            );
    }
}
