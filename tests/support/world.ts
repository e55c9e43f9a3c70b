/**
 * The end-to-end world: local clusters (one Argo CD cluster, three targets), a stack (`local` unless told)
 * whose Pulumi.<stack>.yaml this module writes into a scratch copy of the project, and the real engine and
 * providers.
 * Also the checks an Argo CD would do: a client built from nothing but a cluster Secret.
 */

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";
import * as tls from "node:tls";
import * as yaml from "js-yaml";
import { clusterSecretName } from "../../argocd/clusterSecret";
import { MANAGED_BY_LABEL } from "../../argocd/names";
import { installArgoCdSettings } from "../../dev/argocdSettings";
import { makeExternalCert } from "../../dev/controlPlane/certs";
import { type LocalCluster, LocalControlPlane } from "../../dev/controlPlane/controlPlane";
import { type ApiCredentials, kubeRequest } from "../../dev/controlPlane/kubeApi";
import type { WriteTap } from "../../dev/controlPlane/writeTap";
import { ensureToolchain } from "../../dev/toolchain/toolchain";
import { PROJECT_DIR, writeProjectFile } from "../../engine/engine";
import { movedClockEnv } from "./clock";

export const ARGOCD_NS = "argocd";

/** The engine wrapper of a build of the project. */
const pulumiOf = (projectDir: string) => path.join(projectDir, "dist", "engine", "pulumi.js");
const PULUMI = pulumiOf(PROJECT_DIR);

export interface PulumiRun {
    /** Exit status: 0 when the operation succeeded. */
    code: number;
    /** Everything the engine printed. */
    output: string;
    /** Its standard output alone (the JSON of `preview --json`). */
    stdout: string;
    /** The operation's summary (change counts, or the outputs). */
    result: any;
    /** The signal that ended its first process, when one did. */
    signal?: string;
}

export class World {
    /**
     * The kubeconfig the engine reaches every cluster through (Argo CD by its explicit path in the stack file,
     * targets through $KUBECONFIG): the admin one unless a test switches identities (useKubeconfig).
     */
    private kubeconfig: string;

    /** Set in the environment of every operation the world runs after it; an undefined value removes the variable. */
    readonly env: Record<string, string | undefined> = {};

    /** The stack-wide token kind this world's stack files carry, when its suite chose one (create). */
    token?: Record<string, unknown>;

    /**
     * Where the clock of every Node.js process of the world's next operations starts (RFC 3339): the program,
     * the engine wrapper, the dynamic providers, the policy pack and scripts/verify (tests/support/clock.ts).
     * Undefined: the real clock. The product itself reads only the real clock (stack/now.ts).
     */
    clock: string | undefined = undefined;

    /**
     * Told the process group of each run as it starts (every run is its own group: the engine, its plugins and
     * the program), so a test can signal all of it as a cancelled pipeline or a dying runner would.
     */
    onRunStart?: (processGroup: number) => void;

    /**
     * The build of the project that pulumi() runs (engine wrapper, program and policy pack): this checkout's,
     * or an earlier release's (useRelease).
     */
    private projectDir = PROJECT_DIR;

    /**
     * Runs the world's next pulumi() operations with another build of the project, `projectDir` (a previous
     * release: tests/support/previousRelease.ts), or this checkout's again without one: an upgrade in place.
     */
    useRelease(projectDir = PROJECT_DIR): void {
        this.projectDir = projectDir;
        writeProjectFile(this.workDir, projectDir);
    }

    /** Each Node.js process whose clock was moved appends its script here (tests/support/clock.ts). */
    get clockLog(): string {
        return path.join(this.workDir, "clock.log");
    }

    private constructor(
        readonly plane: LocalControlPlane,
        readonly workDir: string,
        readonly stack: string,
        /**
         * What dispose() removes: the clusters and the work dir; only the work dir (another deployment on the
         * same clusters); nothing (a second stack in the same work dir).
         */
        private readonly owns: "plane" | "workDir" | "nothing" = "plane",
    ) {
        this.kubeconfig = plane.kubeconfig;
    }

    /** Another stack of the same project, on the same clusters and state backend (a second team, or environment). */
    otherStack(stack: string): World {
        const other = new World(this.plane, this.workDir, stack, "nothing");
        other.kubeconfig = this.kubeconfig;
        other.token = this.token;
        return other;
    }

    /**
     * Another deployment of the project on the same clusters: its own checkout and state backend (another team or
     * organisation), the stack named `stack`, possibly the same name as this one's. dispose() removes its files.
     */
    otherDeployment(stack = this.stack): World {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-e2e-"));
        writeProjectFile(workDir);
        const other = new World(this.plane, workDir, stack, "workDir");
        other.kubeconfig = this.kubeconfig;
        other.token = this.token;
        return other;
    }

    /**
     * A second address for `cluster`: https://localhost:<port>, forwarded to its API server, as a DNS alias or a
     * load balancer in front of it would be (the serving certificate names localhost). Close it when done.
     */
    static async alias(cluster: LocalCluster): Promise<{ server: string; close: () => Promise<void> }> {
        return relay(net.createServer(), () => net.connect(cluster.port, cluster.host));
    }

    /**
     * A load balancer in front of `cluster`: https://localhost:<port>, where TLS ends with a certificate from
     * another CA than the cluster's (as OpenShift's named certificates or a public CA), and each connection is
     * re-encrypted to the API server. Bearer tokens pass through. Close it when done.
     */
    static async loadBalancer(
        cluster: LocalCluster,
        dir: string,
    ): Promise<{ server: string; caPem: Buffer; close: () => Promise<void> }> {
        const cert = makeExternalCert(dir, "localhost");
        const balancer = tls.createServer({ cert: cert.certPem, key: cert.keyPem });
        const relayed = await relay(balancer, () =>
            tls.connect({ host: cluster.host, port: cluster.port, ca: cluster.caPem }),
        );
        return { ...relayed, caPem: cert.caPem };
    }

    /**
     * A copy of the current kubeconfig in which `cluster` is reached at `server` instead (verified with `caPem`
     * when given); returns its path.
     */
    kubeconfigWithServer(cluster: LocalCluster, server: string, caPem?: Buffer): string {
        const kubeconfig = yaml.load(fs.readFileSync(this.kubeconfig, "utf8")) as any;
        const entry = kubeconfig.clusters.find((c: any) => c.name === cluster.name).cluster;
        entry.server = server;
        if (caPem) entry["certificate-authority-data"] = caPem.toString("base64");
        const file = path.join(
            this.workDir,
            `${cluster.name}-as-${new URL(server).host.replace(/[^a-z0-9]/gi, "-")}.kubeconfig`,
        );
        fs.writeFileSync(file, yaml.dump(kubeconfig), { mode: 0o600 });
        return file;
    }

    /**
     * Creates the world. `token`: the stack-wide `argocd-clusters:token` every writeConfig of this world writes,
     * for a suite written for one kind (its checks read token Secrets, say); unset, entries get the product's
     * default for a new stack, as a user's do.
     */
    static async create(
        stack = "local",
        options: { token?: Record<string, unknown>; writeTap?: WriteTap } = {},
    ): Promise<World> {
        const toolchain = await ensureToolchain();
        const plane = await LocalControlPlane.start(["argocd", "target-a", "target-b", "target-c"], toolchain, {
            shared: { writeTap: options.writeTap },
        });
        try {
            await plane.cluster("argocd").admin("POST", "/api/v1/namespaces", { metadata: { name: ARGOCD_NS } });
            // An Argo CD set up for least privilege: its controller skips what a registration may not list
            // (gamma's rules); the program refuses such registrations without it (components/respectRbac.ts).
            await installArgoCdSettings(plane.cluster("argocd"), ARGOCD_NS);
            for (const ns of ["apps", "monitoring", "other"]) {
                await plane.cluster("target-b").admin("POST", "/api/v1/namespaces", { metadata: { name: ns } });
            }
            const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-e2e-"));
            writeProjectFile(workDir);
            const world = new World(plane, workDir, stack);
            world.token = options.token;
            world.writeConfig(world.clusterEntries());
            return world;
        } catch (err) {
            await plane.stop();
            throw err;
        }
    }

    /**
     * Runs a Pulumi operation on the world's stack in its own process, as a person or a pipeline would, through
     * the real engine and providers. Targets are reached through $KUBECONFIG, Argo CD through an explicit path.
     */
    pulumi(operation: string, ...flags: string[]): Promise<PulumiRun> {
        return this.run(
            process.execPath,
            [pulumiOf(this.projectDir), operation, "--stack", this.stack],
            [...packFlags(operation, this.projectDir), ...flags],
        );
    }

    /**
     * Runs a pipeline script of the project (scripts/<name>) on the world's stack, exactly as a pipeline does,
     * with the engine pointed at the world's work dir and state after `--`.
     */
    script(name: string, ...args: string[]): Promise<PulumiRun> {
        return this.run(path.join(PROJECT_DIR, "scripts", name), ["--stack", this.stack, ...args, "--"], []);
    }

    private run(command: string, args: string[], flags: string[]): Promise<PulumiRun> {
        const resultFile = path.join(this.workDir, `result-${Date.now()}.json`);
        const all = [
            ...args,
            "--cwd",
            this.workDir,
            "--state",
            path.join(this.workDir, "state"),
            "--result",
            resultFile,
            ...flags,
        ];
        if (this.env.ARGOCD_CLUSTERS_NOW !== undefined) {
            // The product no longer reads it (issue 20): a test that sets it would silently run at the real time.
            throw new Error("ARGOCD_CLUSTERS_NOW moves nothing: set world.clock instead (tests/support/clock.ts)");
        }
        const env = {
            ...process.env,
            KUBECONFIG: this.kubeconfig,
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
            ...this.env,
            ...(this.clock === undefined ? {} : movedClockEnv(this.clock, process.env.NODE_OPTIONS, this.clockLog)),
        };
        return new Promise((resolve) => {
            // Its own process group (detached), so a test can signal all of it; execFile would not make one.
            const child = spawn(command, all, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            child.stdout.on("data", (b: Buffer) => out.push(b));
            child.stderr.on("data", (b: Buffer) => err.push(b));
            child.on("close", (code, signal) => {
                const stdout = Buffer.concat(out).toString("utf8");
                const stderr = Buffer.concat(err).toString("utf8");
                const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, "utf8")) : undefined;
                resolve({
                    code: code ?? 1,
                    output: `${stdout}\n${stderr}`,
                    stdout,
                    result,
                    signal: signal ?? undefined,
                });
            });
            if (child.pid !== undefined) this.onRunStart?.(child.pid);
        });
    }

    /** Like pulumi(), but the operation must succeed; its summary is returned. */
    async succeed(operation: string, ...flags: string[]): Promise<any> {
        const run = await this.pulumi(operation, ...flags);
        if (run.code !== 0)
            throw new Error(`pulumi ${operation} ${flags.join(" ")} failed (${run.code}):\n${run.output.slice(-6000)}`);
        return run.result;
    }

    /**
     * Runs dist/engine/pulumi.js on the world's stack in its work dir as a person would on a machine of their own:
     * no --state unless given in `args`, and only the backend settings in `env` (PULUMI_BACKEND_URL is never
     * inherited from this process).
     */
    wrapper(args: string[], env: Record<string, string> = {}): Promise<PulumiRun> {
        const all = [PULUMI, ...args, "--stack", this.stack, "--cwd", this.workDir];
        const base: NodeJS.ProcessEnv = {
            ...process.env,
            KUBECONFIG: this.kubeconfig,
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
        };
        delete base.PULUMI_BACKEND_URL;
        return new Promise((resolve) => {
            execFile(
                process.execPath,
                all,
                { env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 },
                (err, stdout, stderr) => {
                    const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
                    resolve({ code, output: `${stdout}\n${stderr}`, stdout, result: undefined });
                },
            );
        });
    }

    async dispose(): Promise<void> {
        if (this.owns === "plane") await this.plane.stop();
        if (this.owns === "nothing") return;
        fs.rmSync(this.workDir, { recursive: true, force: true });
    }

    get a(): LocalCluster {
        return this.plane.cluster("target-a");
    }
    get b(): LocalCluster {
        return this.plane.cluster("target-b");
    }
    get c(): LocalCluster {
        return this.plane.cluster("target-c");
    }
    get argocd(): LocalCluster {
        return this.plane.cluster("argocd");
    }

    /**
     * The three registrations: cluster-wide, namespaced, custom rules. Alpha's full cluster-wide rights carry
     * the opt-in the policy pack requires in a production stack, which the world's stacks are to it.
     */
    clusterEntries(rotation = "1"): Record<string, unknown>[] {
        return [
            {
                name: "alpha",
                server: this.a.server,
                context: "target-a",
                labels: { environment: this.stack },
                tokenRotation: rotation,
                allowWildcardRbac: true,
            },
            {
                name: "beta",
                server: this.b.server,
                context: "target-b",
                namespaces: ["apps", "monitoring"],
                project: "team-b",
            },
            {
                name: "gamma",
                server: this.c.server,
                context: "target-c",
                rules: [
                    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "delete"] },
                ],
            },
        ];
    }

    /**
     * From now on the engine authenticates with `kubeconfig` (same context names, other credentials). Takes
     * effect for Argo CD at the next writeConfig.
     */
    useKubeconfig(kubeconfig: string): void {
        this.kubeconfig = kubeconfig;
    }

    writeConfig(clusters: unknown, extra: Record<string, unknown> = {}, argocd: Record<string, unknown> = {}): void {
        const config = {
            "pulumi:disable-default-providers": ["kubernetes"],
            "argocd-clusters:argocd": {
                namespace: ARGOCD_NS,
                context: "argocd",
                kubeconfig: this.kubeconfig,
                ...argocd,
            },
            "argocd-clusters:clusters": clusters,
            // No token kind of the harness's own: entries without `token` get the product's default for a new
            // stack, as a user's do. A suite that depends on the kind says so (create's `token`, `extra`).
            ...(this.token ? { "argocd-clusters:token": this.token } : {}),
            ...extra,
        };
        for (const key of Object.keys(config) as (keyof typeof config)[])
            if (config[key] === undefined) delete config[key];
        fs.writeFileSync(path.join(this.workDir, `Pulumi.${this.stack}.yaml`), yaml.dump({ config }));
    }

    /** Everything this program owns on `cluster` (by its managed-by label), by kind and name, with resourceVersions. */
    async ownedObjects(cluster: LocalCluster): Promise<Record<string, string>> {
        const owned: Record<string, string> = {};
        for (const [key, item] of await ownedItems(cluster)) owned[key] = item.metadata.resourceVersion;
        return owned;
    }

    /**
     * For each object this program owns, as `cluster:path`: the managers that applied it (server-side apply,
     * managedFields) and the one its pulumi.com/patchFieldManager annotation names (components/fieldManager.ts).
     * When all is well, one manager per object, the one it names.
     */
    async applyManagers(): Promise<Record<string, { applied: string[]; named?: string }>> {
        const managers: Record<string, { applied: string[]; named?: string }> = {};
        for (const c of this.plane.clusters)
            for (const [key, item] of await ownedItems(c))
                managers[`${c.name}:${key}`] = {
                    applied: (item.metadata.managedFields ?? [])
                        .filter((e: any) => e.operation === "Apply")
                        .map((e: any) => e.manager),
                    named: item.metadata.annotations?.["pulumi.com/patchFieldManager"],
                };
        return managers;
    }

    /** ownedObjects of every cluster, by cluster name: equal snapshots mean nothing was written. */
    async everyOwnedObject(): Promise<Record<string, Record<string, string>>> {
        const all: Record<string, Record<string, string>> = {};
        for (const c of this.plane.clusters) all[c.name] = await this.ownedObjects(c);
        return all;
    }

    /**
     * Bindings on the targets that grant a registered account (a ServiceAccount `argocd-manager*` in kube-system)
     * and do not carry our mark, as `cluster:kind/namespace/name`: rights beyond what a stack file declares.
     */
    async foreignGrants(): Promise<string[]> {
        const found: string[] = [];
        for (const cluster of [this.a, this.b, this.c])
            for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
                const c = COLLECTIONS[kind];
                const res = await cluster.admin("GET", `${c.prefix}/${c.plural}`);
                for (const item of res.body?.items ?? []) {
                    const grants = (item.subjects ?? []).some(
                        (s: any) =>
                            s.kind === "ServiceAccount" &&
                            s.namespace === "kube-system" &&
                            /^argocd-manager/.test(s.name),
                    );
                    if (grants && item.metadata.labels?.[MANAGED_BY_LABEL] !== "pulumi")
                        found.push(`${cluster.name}:${kind}/${item.metadata.namespace ?? ""}/${item.metadata.name}`);
                }
            }
        return found;
    }

    /**
     * Objects carrying our mark on any cluster that the stack's state does not know (`cluster:path`), e.g. what a
     * killed run created before it could record it. Counted per path, since targets hold objects of the same name.
     */
    async orphans(): Promise<string[]> {
        const known = new Map<string, number>();
        let resources: any[] = [];
        try {
            resources = JSON.parse(fs.readFileSync(this.checkpointFile(), "utf8")).checkpoint?.latest?.resources ?? [];
        } catch {
            // No state yet: everything marked is unknown to it.
        }
        for (const r of resources) {
            const collection = COLLECTIONS[r.outputs?.kind];
            if (!r.type.startsWith("kubernetes:") || !collection) continue;
            const key = `${collection.prefix}/${collection.plural}/${r.outputs.metadata?.namespace ?? ""}/${r.outputs.metadata?.name}`;
            known.set(key, (known.get(key) ?? 0) + 1);
        }
        const orphans: string[] = [];
        for (const [cluster, owned] of Object.entries(await this.everyOwnedObject()))
            for (const key of Object.keys(owned)) {
                const left = known.get(key) ?? 0;
                if (left > 0) known.set(key, left - 1);
                else orphans.push(`${cluster}:${key}`);
            }
        return orphans;
    }

    /**
     * Applies a manifest file (several documents) to `cluster` as its admin would with `kubectl create -f`.
     * Knows the kinds this project ships manifests of.
     */
    async applyManifest(cluster: LocalCluster, file: string): Promise<void> {
        for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8")) as any[]) {
            if (!doc) continue;
            const ns = doc.metadata.namespace;
            const collection = COLLECTIONS[doc.kind];
            if (!collection) throw new Error(`${file}: no API path known for kind ${doc.kind}`);
            const url = collection.namespaced
                ? `${collection.prefix}/namespaces/${ns}/${collection.plural}`
                : `${collection.prefix}/${collection.plural}`;
            const res = await cluster.admin("POST", url, doc);
            if (res.status !== 201)
                throw new Error(
                    `creating ${doc.kind} ${doc.metadata.name} on ${cluster.name}: ${res.status} ${JSON.stringify(res.body)}`,
                );
        }
    }

    /**
     * Applies rbac/previewer.yaml to every cluster and writes a kubeconfig with the same context names whose
     * users carry the previewer's token instead of the admin's; returns its path.
     */
    async previewerKubeconfig(): Promise<string> {
        const kubeconfig = yaml.load(fs.readFileSync(this.plane.kubeconfig, "utf8")) as any;
        for (const cluster of this.plane.clusters) {
            await this.applyManifest(cluster, path.join(PROJECT_DIR, "rbac", "previewer.yaml"));
            const token = await this.filledToken(cluster, "kube-system", "argocd-clusters-previewer-token");
            const context = kubeconfig.contexts.find((c: any) => c.name === cluster.name).context;
            kubeconfig.users.find((u: any) => u.name === context.user).user = { token };
        }
        const file = path.join(this.workDir, "previewer.kubeconfig");
        fs.writeFileSync(file, yaml.dump(kubeconfig), { mode: 0o600 });
        return file;
    }

    private async filledToken(cluster: LocalCluster, namespace: string, name: string): Promise<string> {
        const deadline = Date.now() + 120_000;
        for (;;) {
            const token = (await cluster.admin("GET", `/api/v1/namespaces/${namespace}/secrets/${name}`)).body?.data
                ?.token;
            if (token) return Buffer.from(token, "base64").toString("utf8");
            if (Date.now() > deadline)
                throw new Error(`${cluster.name}: ${namespace}/${name} got no token within 120s`);
            await new Promise((r) => setTimeout(r, 200));
        }
    }

    /** The cluster Secret Argo CD would read for `target`, decoded; undefined when there is none. */
    async clusterSecret(target: LocalCluster): Promise<ClusterSecret | undefined> {
        const res = await this.argocd.admin(
            "GET",
            `/api/v1/namespaces/${ARGOCD_NS}/secrets/${clusterSecretName(target.server)}`,
        );
        if (res.status === 404) return undefined;
        if (res.status !== 200)
            throw new Error(`reading the cluster Secret: ${res.status} ${JSON.stringify(res.body)}`);
        return decodeClusterSecret(res.body);
    }

    /** The bearer token Argo CD holds for `target`: the one in its cluster Secret, which must exist. */
    async bearerToken(target: LocalCluster): Promise<string> {
        const secret = await this.clusterSecret(target);
        assert.ok(secret, `no cluster Secret for ${target.name}`);
        return secret.config.bearerToken;
    }

    /** The stack's current checkpoint in the file backend: the state exactly as stored. */
    checkpointFile(): string {
        const file = path.join(
            this.workDir,
            "state",
            "backend",
            ".pulumi",
            "stacks",
            "argocd-clusters",
            `${this.stack}.json`,
        );
        if (!fs.existsSync(file)) throw new Error(`no checkpoint at ${file}`);
        return file;
    }

    /**
     * Runs argocd-judge (dev/toolchain/argocd/judge) against cluster Secrets on the Argo CD cluster: Argo CD's own
     * code (v3.6.2) reads each Secret, connects with it and syncs the application controller's cluster cache,
     * configured from the argocd-cm Argo CD would read in the Argo CD namespace (resource.respectRBAC included).
     * `target` picks one Secret (by name, or the target cluster whose Secret it is); without it, every cluster
     * Secret this program wrote.
     */
    async judge(toolchain: { argocdJudge: string }, options: JudgeOptions = {}): Promise<JudgeRun> {
        const args = ["--kubeconfig", this.plane.kubeconfig, "--context", "argocd", "--namespace", ARGOCD_NS];
        const { target } = options;
        if (target === undefined) args.push("--selector", `${MANAGED_BY_LABEL}=pulumi`);
        else args.push("--secret", typeof target === "string" ? target : clusterSecretName(target.server));
        for (const ns of options.configMapNamespaces ?? []) args.push("--configmap-namespace", ns);
        return new Promise((resolve) => {
            execFile(
                toolchain.argocdJudge,
                args,
                { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
                (err, stdout, stderr) => {
                    const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
                    let reports: JudgeReport[] = [];
                    try {
                        reports = JSON.parse(stdout);
                    } catch {
                        // Left empty: the caller's assertions on the reports show the output.
                    }
                    const byName = Object.fromEntries(reports.map((r) => [r.name ?? r.secret, r]));
                    resolve({ code, stdout, stderr, reports, byName });
                },
            );
        });
    }

    /** Every state file the backend wrote, history and backups included. */
    backendText(): string {
        const files: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, e.name);
                if (e.isDirectory()) walk(full);
                else files.push(fs.readFileSync(full, "utf8"));
            }
        };
        walk(path.join(this.workDir, "state", "backend"));
        return files.join("\n");
    }
}

/**
 * The policy pack flags scripts/preview and scripts/up pass (scripts/lib.sh): every preview and up of the e2e
 * suite runs the pack with its shipped configuration, as the pipelines do.
 */
export const POLICY_PACK_FLAGS = policyPackFlags(PROJECT_DIR);

/** Every object on `cluster` carrying this program's managed-by label, by API path. */
async function ownedItems(cluster: LocalCluster): Promise<[string, any][]> {
    const items: [string, any][] = [];
    for (const collection of Object.values(COLLECTIONS)) {
        const list = `${collection.prefix}/${collection.plural}`;
        const res = await cluster.admin(
            "GET",
            `${list}?labelSelector=${encodeURIComponent(`${MANAGED_BY_LABEL}=pulumi`)}`,
        );
        if (res.status !== 200)
            throw new Error(`GET ${list} on ${cluster.name}: ${res.status} ${JSON.stringify(res.body)}`);
        for (const item of res.body.items)
            items.push([`${list}/${item.metadata.namespace ?? ""}/${item.metadata.name}`, item]);
    }
    return items;
}

function policyPackFlags(projectDir: string): string[] {
    return [
        "--policy-pack",
        path.join(projectDir, "policy", "analyzer"),
        "--policy-pack-config",
        path.join(projectDir, "policy", "config.json"),
    ];
}

function packFlags(operation: string, projectDir: string): string[] {
    return operation === "preview" || operation === "up" ? policyPackFlags(projectDir) : [];
}

/** Where each kind that rbac/*.yaml uses is created. */
const COLLECTIONS: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
    ServiceAccount: { prefix: "/api/v1", plural: "serviceaccounts", namespaced: true },
    Secret: { prefix: "/api/v1", plural: "secrets", namespaced: true },
    ClusterRole: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "clusterroles", namespaced: false },
    ClusterRoleBinding: {
        prefix: "/apis/rbac.authorization.k8s.io/v1",
        plural: "clusterrolebindings",
        namespaced: false,
    },
    Role: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "roles", namespaced: true },
    RoleBinding: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "rolebindings", namespaced: true },
};

export interface ClusterSecret {
    object: any;
    data: Record<string, string>;
    config: any;
}

/** Polls `probe` until it returns `expected`, for up to 60 s (two e2e files run at once); asserts on the last value. */
export async function eventually<T>(probe: () => Promise<T>, expected: T, message: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last = await probe();
    while (last !== expected && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        last = await probe();
    }
    assert.equal(last, expected, message);
}

/** Credentials exactly as Argo CD derives them from a cluster Secret: `server` plus `config`. */
/** A cluster Secret as the API returns it, with its data decoded and its config parsed. */
export function decodeClusterSecret(object: any): ClusterSecret {
    const data = Object.fromEntries(
        Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, "base64").toString("utf8")]),
    );
    return { object, data, config: JSON.parse(data.config) };
}

export function credentialsFrom(secret: ClusterSecret): ApiCredentials {
    const tls = secret.config.tlsClientConfig ?? {};
    return {
        server: secret.data.server,
        bearerToken: secret.config.bearerToken,
        ca: tls.caData ? Buffer.from(tls.caData, "base64") : undefined,
        insecure: tls.insecure,
        serverName: tls.serverName,
    };
}

/** Creates and deletes a ConfigMap in `namespace` with `creds`; returns both HTTP statuses. */
export async function configMapRoundTrip(creds: ApiCredentials, namespace: string): Promise<[number, number]> {
    const name = `e2e-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const created = await kubeRequest(creds, "POST", `/api/v1/namespaces/${namespace}/configmaps`, {
        metadata: { name },
        data: { k: "v" },
    });
    const deleted = await kubeRequest(creds, "DELETE", `/api/v1/namespaces/${namespace}/configmaps/${name}`);
    return [created.status, deleted.status];
}

export interface JudgeOptions {
    /** One cluster Secret: its name, or the target cluster it registers. */
    target?: string | LocalCluster;
    /** Namespaces to create and delete a ConfigMap in. */
    configMapNamespaces?: string[];
}

/** What argocd-judge concludes about one cluster Secret (see dev/toolchain/argocd/judge/main.go). */
export interface JudgeReport {
    secret: string;
    ok: boolean;
    conversion: { ok: boolean; error?: string };
    name?: string;
    server?: string;
    namespaces?: string[];
    clusterResources: boolean;
    project?: string;
    credential?: string;
    tls?: { insecure: boolean; caData: boolean; serverName?: string; clientCert: boolean };
    restConfig?: { ok: boolean; error?: string };
    version?: { ok: boolean; error?: string; status?: number; gitVersion?: string };
    sync?: {
        ok: boolean;
        error?: string;
        /** argocd-cm's resource.respectRBAC as Argo CD read it from the hub: none (unset), normal or strict. */
        respectRBAC: string;
        apis: number;
        resources: number;
        kinds?: Record<string, number>;
        watchErrors?: string[];
    };
    configMaps?: { ok: boolean; error?: string; namespace: string; create: number; delete: number }[];
}

export interface JudgeRun {
    /**
     * 0 when every check passed, 1 when one failed, 2 when the judge could not read the Secrets or Argo CD's
     * settings (as the controller, which then does not start).
     */
    code: number;
    stdout: string;
    stderr: string;
    reports: JudgeReport[];
    /** The reports by the registration's name (the Secret's name when it has none). */
    byName: Record<string, JudgeReport>;
}

/**
 * Serves `server` on a loopback port, piping each connection (after its TLS, for a TLS server) to a fresh
 * `upstream()`; https://localhost:<port> is its address.
 */
async function relay(
    server: net.Server,
    upstream: () => net.Socket,
): Promise<{ server: string; close: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    server.on(server instanceof tls.Server ? "secureConnection" : "connection", (client: net.Socket) => {
        const next = upstream();
        for (const s of [client, next]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => {
                client.destroy();
                next.destroy();
            });
        }
        client.pipe(next).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return {
        server: `https://localhost:${(server.address() as net.AddressInfo).port}`,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

/**
 * One World for the enclosing describe: started before its first test (the first start may build the
 * toolchain, hence the long timeout) and handed to `started`; disposed after its last test, also when the
 * start failed halfway.
 */
export function worldPerSuite(
    started: (world: World) => void,
    stack?: string,
    options: { token?: Record<string, unknown> } = {},
): void {
    let world: World | undefined;
    before(
        async () => {
            world = await World.create(stack, options);
            started(world);
        },
        { timeout: 5_400_000 },
    );
    after(async () => {
        await world?.dispose();
    });
}
