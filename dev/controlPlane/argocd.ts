/**
 * A live Argo CD on a local hub cluster: its CRDs and settings in the hub's Argo CD namespace, and its
 * application-controller and repo-server as plain processes of the harness (no containers), with miniredis as
 * their Redis and a local git repository to deploy from. Everything Argo CD itself would do with the cluster
 * Secrets our program writes (connect, cache, diff, sync) then happens for real, so an Application that syncs
 * to a registered cluster proves the registration the way a user's Argo CD would.
 *
 * The processes and their logs live in a directory of their own (inside the hub's dir by default), started and
 * stopped like the API servers (dev/controlPlane/process.ts).
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { installArgoCdSettings } from "../argocdSettings";
import { argocdCrdsDir, type Toolchain } from "../toolchain/toolchain";
import { freePorts, kubeconfigFor, type LocalCluster } from "./controlPlane";
import { GitRepository } from "./gitRepository";
import { ManagedProcess, sleep } from "./process";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const ARGOPROJ = "/apis/argoproj.io/v1alpha1";

/**
 * The CRDs the controller needs. Not ApplicationSet: no ApplicationSet controller runs here, and its 1.5 MB
 * schema costs the hub's API server more than everything else put together.
 */
const CRD_FILES = ["application-crd.yaml", "appproject-crd.yaml"];

/** Where an Application deploys to: a registered cluster by its URL or by its name, and a namespace there. */
export type Destination = ({ server: string } | { name: string }) & { namespace: string };

export interface ApplicationSpec {
    name: string;
    destination: Destination;
    /** The directory of the git repository holding its manifests. */
    path: string;
    /** Its AppProject; `default` unless given. */
    project?: string;
}

/** What Argo CD reports about an Application: the fields of its status a test asserts on. */
export interface ApplicationStatus {
    sync?: string;
    health?: string;
    /** The git revision the sync status refers to. */
    revision?: string;
    conditions: { type: string; message: string }[];
    /** The last sync operation, when there was one. */
    operation?: { phase: string; message: string };
}

/** The toolchain's live Argo CD (dev/toolchain/argocd). */
export type ArgocdBinaries = Pick<Toolchain, "argocd" | "miniredis">;

export interface LiveArgocdOptions {
    /** The hub's Argo CD namespace (created when missing). */
    namespace: string;
    /** For logs, the git repository and the processes' scratch files; `<hub dir>/argocd-live` unless given. */
    dir?: string;
    /** AppProjects to create besides `default`, each allowing every repository and destination. */
    projects?: string[];
    /** Keep the processes running after this Node process exits (the sandbox); stopped later by PID. */
    persistent?: boolean;
    /** Receives progress lines. */
    log?: (line: string) => void;
}

export class LiveArgocd {
    readonly redis: ManagedProcess;
    readonly repoServer: ManagedProcess;
    readonly controller: ManagedProcess;
    /** Where its Redis listens (HOST:PORT): the application-controller's cache, which the health report reads. */
    readonly redisAddress: string;

    private constructor(
        readonly hub: LocalCluster,
        readonly namespace: string,
        readonly dir: string,
        readonly repo: GitRepository,
        tools: ArgocdBinaries,
        ports: { redis: number; repoServer: number; repoServerMetrics: number; controllerMetrics: number },
        persistent: boolean,
    ) {
        const bin = path.dirname(tools.argocd);
        const redis = `127.0.0.1:${ports.redis}`;
        this.redisAddress = redis;
        const repoServer = `127.0.0.1:${ports.repoServer}`;
        const kubeconfig = path.join(dir, "hub.kubeconfig");
        fs.writeFileSync(kubeconfig, yaml.dump(kubeconfigFor([hub])), { mode: 0o600 });
        for (const sub of ["tmp", "home"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
        // Argo CD's image puts its command names (symlinks to the one binary) and the scripts the repo-server
        // runs by name (git-verify-wrapper.sh, gpg-wrapper.sh) on PATH; the toolchain installs them in one bin/.
        const env = {
            ...process.env,
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
            HOME: path.join(dir, "home"),
            TMPDIR: path.join(dir, "tmp"),
        };

        this.redis = new ManagedProcess({
            name: "argocd-redis",
            binary: tools.miniredis,
            args: ["--addr", redis],
            logDir: dir,
            ready: () => tcpOpen(ports.redis),
            persistent,
        });
        this.repoServer = new ManagedProcess({
            name: "argocd-repo-server",
            binary: path.join(bin, "argocd-repo-server"),
            args: [
                "--redis",
                redis,
                "--address",
                "127.0.0.1",
                "--port",
                String(ports.repoServer),
                "--metrics-address",
                "127.0.0.1",
                "--metrics-port",
                String(ports.repoServerMetrics),
            ],
            env: {
                ...env,
                // No GPG keyring here (its image's is set up by an init step); commits are not verified.
                ARGOCD_GPG_ENABLED: "false",
                // Its git credential helper's socket, here rather than the image's fixed /tmp path.
                ARGOCD_ASK_PASS_SOCK: path.join(dir, "tmp", "ask-pass.sock"),
            },
            logDir: dir,
            ready: () => tcpOpen(ports.repoServer),
            persistent,
        });
        this.controller = new ManagedProcess({
            name: "argocd-application-controller",
            binary: path.join(bin, "argocd-application-controller"),
            args: [
                "--kubeconfig",
                kubeconfig,
                "--namespace",
                namespace,
                "--redis",
                redis,
                "--repo-server",
                repoServer,
                "--metrics-port",
                String(ports.controllerMetrics),
            ],
            env,
            logDir: dir,
            ready: async () => (await fetch(`http://127.0.0.1:${ports.controllerMetrics}/healthz`)).ok,
            persistent,
        });
    }

    /**
     * Installs Argo CD on `hub` (CRDs, settings, AppProjects), makes the git repository and starts Redis, the
     * repo-server and the application-controller; on any failure stops what started.
     */
    static async start(hub: LocalCluster, tools: ArgocdBinaries, options: LiveArgocdOptions): Promise<LiveArgocd> {
        const log = options.log ?? (() => {});
        const started = Date.now();
        const dir = options.dir ?? path.join(hub.dir, "argocd-live");
        fs.mkdirSync(dir, { recursive: true });
        await installCrds(hub, argocdCrdsDir(tools.argocd));
        await installArgoCdSettings(hub, options.namespace);
        for (const project of ["default", ...(options.projects ?? [])])
            await ensureCreated(hub, `${ARGOPROJ}/namespaces/${options.namespace}/appprojects`, {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "AppProject",
                metadata: { name: project, namespace: options.namespace },
                spec: {
                    sourceRepos: ["*"],
                    destinations: [{ server: "*", name: "*", namespace: "*" }],
                    clusterResourceWhitelist: [{ group: "*", kind: "*" }],
                },
            });
        log(`Argo CD's CRDs, settings and AppProjects on ${hub.name} (namespace ${options.namespace})`);

        const repo = await GitRepository.init(path.join(dir, "repo"));
        const [redis, repoServer, repoServerMetrics, controllerMetrics] = await freePorts(4);
        const argocd = new LiveArgocd(
            hub,
            options.namespace,
            dir,
            repo,
            tools,
            { redis, repoServer, repoServerMetrics, controllerMetrics },
            options.persistent ?? false,
        );
        try {
            for (const proc of [argocd.redis, argocd.repoServer, argocd.controller]) {
                await proc.start();
                log(
                    `${proc.spec.name} ready after ${Math.round((Date.now() - started) / 1000)}s (log: ${proc.logFile})`,
                );
            }
        } catch (err) {
            await argocd.stop();
            throw err;
        }
        return argocd;
    }

    /** PIDs of the processes, in the order to stop them in. */
    get pids(): number[] {
        return [this.controller, this.repoServer, this.redis]
            .map((p) => p.pid)
            .filter((pid): pid is number => pid !== undefined);
    }

    async stop(): Promise<void> {
        for (const proc of [this.controller, this.repoServer, this.redis]) await proc.stop();
    }

    /** Creates an Application that syncs automatically (and prunes) from the repository's `spec.path`. */
    async createApplication(spec: ApplicationSpec): Promise<void> {
        const res = await this.hub.admin("POST", `${ARGOPROJ}/namespaces/${this.namespace}/applications`, {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: { name: spec.name, namespace: this.namespace },
            spec: {
                project: spec.project ?? "default",
                source: { repoURL: this.repo.url, path: spec.path, targetRevision: "HEAD" },
                destination: spec.destination,
                syncPolicy: { automated: { prune: true } },
            },
        });
        if (res.status !== 201)
            throw new Error(`creating Application ${spec.name}: ${res.status} ${JSON.stringify(res.body)}`);
    }

    /**
     * Asks the controller to look at the repository again now, as Argo CD's webhook does after a push (it would
     * otherwise notice at its next resync, minutes later).
     */
    async refresh(name: string): Promise<void> {
        const res = await this.hub.admin(
            "PATCH",
            `${ARGOPROJ}/namespaces/${this.namespace}/applications/${name}`,
            { metadata: { annotations: { "argocd.argoproj.io/refresh": "normal" } } },
            "application/merge-patch+json",
        );
        if (res.status !== 200)
            throw new Error(`refreshing Application ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    }

    /** The Application's status as Argo CD last wrote it. */
    async application(name: string): Promise<ApplicationStatus> {
        const res = await this.hub.admin("GET", `${ARGOPROJ}/namespaces/${this.namespace}/applications/${name}`);
        if (res.status !== 200)
            throw new Error(`reading Application ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        const status = res.body.status ?? {};
        return {
            sync: status.sync?.status,
            health: status.health?.status,
            revision: status.sync?.revision,
            conditions: (status.conditions ?? []).map((c: any) => ({ type: c.type, message: c.message })),
            operation: status.operationState
                ? { phase: status.operationState.phase, message: status.operationState.message ?? "" }
                : undefined,
        };
    }

    /**
     * Polls the Application until `until` holds (by default: Synced and Healthy) and returns its status; on
     * timeout, fails with the last status and the end of the controller's log.
     */
    async waitForApplication(
        name: string,
        until: (status: ApplicationStatus) => boolean = (s) => s.sync === "Synced" && s.health === "Healthy",
        timeoutMs = 300_000,
    ): Promise<ApplicationStatus> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const status = await this.application(name);
            if (until(status)) return status;
            if (Date.now() > deadline)
                throw new Error(
                    `Application ${name} did not reach the expected state within ${timeoutMs / 1000}s; last status:\n` +
                        `${JSON.stringify(status, null, 2)}\n${this.controller.spec.name}:\n${this.controller.tail(10)}`,
                );
            await sleep(500);
        }
    }

    /** Resident memory of each process now and at its peak, in MiB (Linux /proc). */
    memory(): Record<string, { rssMiB: number; peakMiB: number }> {
        const report: Record<string, { rssMiB: number; peakMiB: number }> = {};
        for (const proc of [this.controller, this.repoServer, this.redis]) {
            if (proc.pid === undefined) continue;
            const status = fs.readFileSync(`/proc/${proc.pid}/status`, "utf8");
            const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
            report[proc.spec.name] = {
                rssMiB: Math.round(kib("VmRSS") / 1024),
                peakMiB: Math.round(kib("VmHWM") / 1024),
            };
        }
        return report;
    }
}

/** Creates the CRDs (kept when they exist) and waits until the API serves Applications and AppProjects. */
async function installCrds(hub: LocalCluster, crdsDir: string): Promise<void> {
    for (const file of CRD_FILES)
        await ensureCreated(hub, CRDS, yaml.load(fs.readFileSync(path.join(crdsDir, file), "utf8")));
    const deadline = Date.now() + 180_000;
    for (;;) {
        const res = await hub.admin("GET", ARGOPROJ);
        const served = res.status === 200 ? res.body.resources.map((r: any) => r.name) : [];
        if (served.includes("applications") && served.includes("appprojects")) return;
        if (Date.now() > deadline)
            throw new Error(`${hub.name} does not serve Argo CD's CRDs after 180s: ${res.status}`);
        await sleep(200);
    }
}

/** Creates `object` in `collection`; an existing one is left as it is. */
async function ensureCreated(hub: LocalCluster, collection: string, object: any): Promise<void> {
    const res = await hub.admin("POST", collection, object);
    if (res.status !== 201 && res.status !== 409)
        throw new Error(`creating ${collection}/${object.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Whether something accepts TCP connections on the loopback `port`. */
function tcpOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}
