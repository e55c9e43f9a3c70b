/**
 * Benchmark of the program against the real engine, providers and local API servers shaped like OpenShift,
 * with three baselines measured in the same run (an empty Pulumi program through the same wrapper: the engine's
 * floor; a program of only the N+1 kubernetes providers: the floor of one explicit provider per cluster; the
 * same API calls made directly with @kubernetes/client-node: the physical limit), the levers of issue 13 A/B,
 * a CPU profile of the program, and the program's own cost under mocks.
 * A measurement, not a test: nothing here asserts on time. Prints the tables and writes them to
 * bench/results.md, with every raw figure in bench/results.json.
 *
 *   npm run bench -- [--sizes 1,5,20,50] [--repeat 1] [--per-server 50] [--bare] [--levers a,b|none]
 *                    [--lever-size 20] [--mock-sizes 1,100] [--mock-repeat R] [--no-engine] [--no-mocks]
 *                    [--keep] [--out DIR]
 *
 * Once for all sizes: the Argo CD cluster's API server and ceil(max size / --per-server) target API servers
 * (one shared etcd), each given 180 generated CRDs (openshiftShape.ts; --bare leaves them bare). Registration
 * i reaches its server under its own URL (a loopback alias 127.0.1.x per registration on that server) with its
 * own ServiceAccount. Per size N and repetition, each operation its own process: an unrecorded warm-up on the
 * first size; empty preview + up; providers-only preview + up; `pulumi.js preview` (fresh stack), `up`, `up`
 * with no change, then at --lever-size each lever's preview (fresh stack) and up with no change, a preview
 * under CPU profiling, then `up` with one entry's tokenRotation changed and `destroy`; direct create + delete.
 * Figures are medians over the repetitions. Memory is the peak of the summed VmRSS (and RssAnon) of the whole
 * process tree (wrapper node process, pulumi CLI, every plugin), sampled every 100 ms. /openapi downloads are
 * counted from the API servers' audit logs.
 *
 * --keep keeps each size's work dir (engine output of every operation, and the state) and the servers' files in
 * $TMPDIR; --out writes results.md/results.json elsewhere than bench/ (for exploratory runs).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import { LocalControlPlane } from "../dev/controlPlane/controlPlane";
import { ensureToolchain, type Toolchain } from "../dev/toolchain/toolchain";
import { PROJECT_DIR, writeProjectFile } from "../engine/engine";
import { type ProfileSummary, programProfile } from "./cpuProfile";
import { measureShape, openshiftShapedCrds, type ShapeFigures, shapeLikeOpenshift } from "./openshiftShape";
import { type Measurement, measure } from "./procTree";

const DIST = path.join(PROJECT_DIR, "dist");
const PULUMI_JS = path.join(DIST, "engine", "pulumi.js");
const EMPTY_JS = path.join(DIST, "bench", "emptyProgram.js");
const DIRECT_JS = path.join(DIST, "bench", "directCalls.js");
const MOCK_JS = path.join(DIST, "bench", "mockProgram.js");
const ARGOCD_NS = "argocd";
const PASSPHRASE = "bench-passphrase";
const RUN_TIMEOUT_MS = 30 * 60_000;

// ---------------------------------------------------------------------------------------------- progress

const benchStarted = Date.now();
function clock(ms: number): string {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
function log(line: string): void {
    console.log(`[bench ${clock(Date.now() - benchStarted)}] ${line}`);
}

// ---------------------------------------------------------------------------------------------- figures

/** One operation's figures, as kept in results.json. */
interface Run {
    seconds: number;
    peakRssMiB: number;
    peakAnonMiB: number;
    cpuSeconds: number;
    peakProcesses: number;
    byProgram: Measurement["byProgram"];
    timeline: Measurement["timeline"];
    /** The operation's own summary (change counts), or the script's own timings. */
    result?: any;
    loadAvg1: number;
    /** GETs of /openapi/v2 and /openapi/v3* across every API server while the operation ran (audit logs). */
    openapiV2Gets?: number;
    openapiV3Gets?: number;
}

type EngineOp =
    | "emptyPreview"
    | "emptyUp"
    | "providersPreview"
    | "providersUp"
    | "preview"
    | "up"
    | "upNoChange"
    | "upRotation"
    | "destroy"
    | "directCreate"
    | "directDelete";
const ENGINE_OPS: EngineOp[] = [
    "emptyPreview",
    "emptyUp",
    "providersPreview",
    "providersUp",
    "preview",
    "up",
    "upNoChange",
    "upRotation",
    "destroy",
    "directCreate",
    "directDelete",
];

interface SizeResult {
    n: number;
    runs: Partial<Record<EngineOp, Run[]>>;
    /** Lever variants (same size, same run): preview and up of the program with the variant's environment. */
    levers: Record<string, { env: Record<string, string>; preview: Run[]; upNoChange: Run[] }>;
    /** Lever (d): a CPU profile of the program's process during one more preview (not timed with the others). */
    profile?: ProfileSummary;
    error?: string;
}

interface MockRun {
    ms: number;
    syncMs: number;
    resources: number;
    heapUsedMiB: number;
    maxRssMiB: number;
    processSeconds: number;
}

interface MockResult {
    n: number;
    load: MockRun[];
    program: MockRun[];
    error?: string;
}

function median(values: number[]): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------------------------------------- running

async function run(
    what: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    resultFile?: string,
): Promise<Run & { log: string }> {
    log(`  ${what} ...`);
    const m = await measure(command, args, {
        env,
        onTick: (s) => log(`    still running ${what}: ${s.toFixed(0)}s`),
        tickMs: 15_000,
        timeoutMs: RUN_TIMEOUT_MS,
    });
    if (m.code !== 0) {
        throw new Error(
            `${what} failed (exit ${m.code}) after ${m.seconds.toFixed(1)}s; last output:\n${m.log.split("\n").slice(-40).join("\n")}`,
        );
    }
    const result =
        resultFile && fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, "utf8")) : undefined;
    const top = Object.entries(m.byProgram)
        .sort((a, b) => b[1].peakRssMiB - a[1].peakRssMiB)
        .map(
            ([name, u]) =>
                `${name}${u.processes > 1 ? `x${u.processes}` : ""} ${u.peakRssMiB.toFixed(0)} MiB/${u.cpuSeconds.toFixed(1)}s`,
        )
        .join(", ");
    log(
        `  ${what}: ${m.seconds.toFixed(2)}s, peak ${m.peakRssMiB.toFixed(0)} MiB (anon ${m.peakAnonMiB.toFixed(0)}), CPU ${m.cpuSeconds.toFixed(1)}s [${top}]`,
    );
    return {
        seconds: m.seconds,
        peakRssMiB: m.peakRssMiB,
        peakAnonMiB: m.peakAnonMiB,
        cpuSeconds: m.cpuSeconds,
        peakProcesses: m.peakProcesses,
        byProgram: m.byProgram,
        timeline: m.timeline,
        result,
        loadAvg1: os.loadavg()[0],
        log: m.log,
    };
}

/**
 * The bench's API servers, started once for every size: the Argo CD cluster and ceil(maxN / perServer) target
 * servers, each shaped like OpenShift (openshiftShape.ts) unless --bare. Registration i reaches its server under
 * its own URL (one loopback alias per registration on that server, so its own cluster Secret) and has its own
 * ServiceAccount, as distinct registrations on one real cluster would.
 */
interface Targets {
    plane: LocalControlPlane;
    kubeconfig: string;
    /** Context name -> server URL the registration uses. */
    servers: Map<string, string>;
    shape: { bare: ShapeFigure; argocd?: ShapeFigure; target?: ShapeFigure };
}
type ShapeFigure = Partial<ShapeFigures> & { openapiV2Bytes: number };

const serviceAccountOf = (target: string) => `argocd-manager-${target.replace(/^target-/, "")}`;

async function startTargets(maxN: number, perServer: number, shaped: boolean, toolchain: Toolchain): Promise<Targets> {
    const serverCount = Math.ceil(maxN / perServer);
    const aliases = Array.from({ length: perServer }, (_, j) => `127.0.1.${j + 1}`);
    const names = ["argocd", ...Array.from({ length: serverCount }, (_, s) => `server-${s + 1}`)];
    log(`starting ${names.length} API servers (${serverCount} for targets, ${perServer} registrations each at most)`);
    const plane = await LocalControlPlane.start(names, toolchain, { shared: { aliases, auditOpenapi: true } });
    try {
        const created = await plane
            .cluster("argocd")
            .admin("POST", "/api/v1/namespaces", { metadata: { name: ARGOCD_NS } });
        if (created.status !== 201)
            throw new Error(`creating namespace ${ARGOCD_NS}: ${created.status} ${JSON.stringify(created.body)}`);
        const bare = await measureShape(plane.cluster("server-1"));
        const shape: Targets["shape"] = { bare };
        if (shaped) {
            const crds = openshiftShapedCrds();
            log(`installing ${crds.length} generated CRDs on every server`);
            const figures = await Promise.all(plane.clusters.map((c) => shapeLikeOpenshift(c, crds)));
            shape.argocd = figures[0];
            shape.target = figures[1];
            log(
                `shaped: /openapi/v2 ${(figures[1].openapiV2Bytes / 2 ** 20).toFixed(1)} MiB, ${figures[1].discoveryGroups} groups, ${figures[1].discoveryResources} resources (${figures.map((f) => f.installSeconds.toFixed(0)).join("/")} s)`,
            );
        }
        const servers = new Map<string, string>();
        const argocd = plane.cluster("argocd");
        const clusters: Record<string, unknown>[] = [
            {
                name: "argocd",
                cluster: { server: argocd.server, "certificate-authority-data": argocd.caPem.toString("base64") },
            },
        ];
        const users: Record<string, unknown>[] = [{ name: "argocd", user: { token: argocd.adminToken } }];
        const contexts: Record<string, unknown>[] = [
            { name: "argocd", context: { cluster: "argocd", user: "argocd" } },
        ];
        for (let i = 0; i < maxN; i++) {
            const name = `target-${i + 1}`;
            const server = plane.cluster(`server-${Math.floor(i / perServer) + 1}`);
            const url = server.aliasServer(aliases[i % perServer]);
            servers.set(name, url);
            clusters.push({
                name,
                cluster: { server: url, "certificate-authority-data": server.caPem.toString("base64") },
            });
            users.push({ name, user: { token: server.adminToken } });
            contexts.push({ name, context: { cluster: name, user: name } });
        }
        const kubeconfig = path.join(plane.dir, "bench.kubeconfig");
        fs.writeFileSync(
            kubeconfig,
            yaml.dump({ apiVersion: "v1", kind: "Config", clusters, users, contexts, "current-context": "argocd" }),
            { mode: 0o600 },
        );
        return { plane, kubeconfig, servers, shape };
    } catch (err) {
        await plane.stop();
        throw err;
    }
}

function stackConfig(t: Targets, targets: string[], rotated: string[] = []): Record<string, unknown> {
    return {
        config: {
            "pulumi:disable-default-providers": ["kubernetes"],
            "argocd-clusters:argocd": { namespace: ARGOCD_NS, context: "argocd", kubeconfig: t.kubeconfig },
            "argocd-clusters:clusters": targets.map((name) => ({
                name,
                server: t.servers.get(name),
                context: name,
                serviceAccount: serviceAccountOf(name),
                tokenRotation: rotated.includes(name) ? "2" : "1",
            })),
        },
    };
}

/** /openapi/v2 and v3 GETs across every server, from their audit logs. */
function openapiGets(t: Targets): { v2: number; v3: number } {
    const total = { v2: 0, v3: 0 };
    for (const c of t.plane.clusters) {
        const n = c.openapiRequests();
        total.v2 += n.v2;
        total.v3 += n.v3;
    }
    return total;
}

/**
 * The levers measured A/B against the program as committed (issue 13). Each is an environment only: the
 * program reads ARGOCD_CLUSTERS_KEEP_STACK_TRACES (index.ts), the engine hands ARGOCD_CLUSTERS_PROVIDER_* to each
 * kubernetes provider as GOMAXPROCS, GOGC, GOMEMLIMIT (components/providers.ts, envVarMappings).
 */
const LEVERS: Variant[] = [
    { name: "stack-traces-kept", env: { ARGOCD_CLUSTERS_KEEP_STACK_TRACES: "1" } },
    { name: "provider-gomaxprocs-1", env: { ARGOCD_CLUSTERS_PROVIDER_GOMAXPROCS: "1" } },
    { name: "provider-gogc-50", env: { ARGOCD_CLUSTERS_PROVIDER_GOGC: "50" } },
    { name: "provider-gomemlimit-100mib", env: { ARGOCD_CLUSTERS_PROVIDER_GOMEMLIMIT: "100MiB" } },
];

/** A lever measured A/B: the program run with these extra environment variables (and nothing else changed). */
interface Variant {
    name: string;
    env: Record<string, string>;
}

async function benchSize(
    n: number,
    repeat: number,
    t: Targets,
    keep: boolean,
    variants: Variant[],
    warmUp: boolean,
    out: SizeResult,
): Promise<void> {
    const targets = Array.from({ length: n }, (_, i) => `target-${i + 1}`);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `argocd-clusters-bench-${n}-`));
    try {
        const programDir = path.join(workDir, "program");
        const emptyDir = path.join(workDir, "empty");
        const providersDir = path.join(workDir, "providers");
        for (const dir of [programDir, emptyDir, providersDir]) {
            fs.mkdirSync(dir);
            writeProjectFile(dir);
        }
        const baseEnv = { ...process.env, KUBECONFIG: t.kubeconfig, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
        const timed = async (
            what: string,
            logName: string,
            script: string,
            args: string[],
            resultFile: string,
            extraEnv: Record<string, string> = {},
        ): Promise<Run> => {
            const before = openapiGets(t);
            const r = await run(what, process.execPath, [script, ...args], { ...baseEnv, ...extraEnv }, resultFile);
            const after = openapiGets(t);
            const { log: text, ...figures } = r;
            const result = { ...figures, openapiV2Gets: after.v2 - before.v2, openapiV3Gets: after.v3 - before.v3 };
            fs.writeFileSync(path.join(workDir, `${logName}.log`), text);
            return result;
        };
        const add = (op: EngineOp, r: Run) => {
            out.runs[op] ??= [];
            out.runs[op].push(r);
        };
        const writeStack = (rotated: string[] = []) =>
            fs.writeFileSync(path.join(programDir, "Pulumi.local.yaml"), yaml.dump(stackConfig(t, targets, rotated)));
        for (let rep = 1; rep <= repeat; rep++) {
            const tag = `N=${n} rep ${rep}/${repeat}`;
            // A fresh stack each time: new state dir, and a stack file without the previous salt.
            const state = path.join(workDir, `state-${rep}`);
            const emptyState = path.join(workDir, `empty-state-${rep}`);
            const providersState = path.join(workDir, `providers-state-${rep}`);
            writeStack();
            for (const dir of [emptyDir, providersDir]) {
                fs.writeFileSync(
                    path.join(dir, "Pulumi.local.yaml"),
                    yaml.dump({ config: { "pulumi:disable-default-providers": ["kubernetes"] } }),
                );
            }
            const pulumiArgs = (op: string, dir: string, st: string, result: string) => [
                op,
                "--stack",
                "local",
                "--cwd",
                dir,
                "--state",
                st,
                "--result",
                result,
            ];
            const res = (name: string) => path.join(workDir, `${name}-${rep}.json`);
            const engine = async (
                op: EngineOp | undefined,
                what: string,
                name: string,
                script: string,
                args: string[],
                extraEnv: Record<string, string> = {},
            ) => {
                const r = await timed(`${tag}: ${what}`, `${name}-${rep}`, script, args, res(name), extraEnv);
                if (op) add(op, r);
                return r;
            };

            if (warmUp && rep === 1) {
                // Unrecorded: the first engine run after the servers were shaped pays one-off costs (the API
                // servers' first build of the merged OpenAPI document, a cold page cache for the plugins).
                await engine(undefined, "warm-up, providers-only preview (not recorded)", "warm-up", EMPTY_JS, [
                    ...pulumiArgs("preview", providersDir, path.join(workDir, "warm-up-state"), res("warm-up")),
                    "--providers",
                    ["argocd", ...targets].join(","),
                    "--kubeconfig",
                    t.kubeconfig,
                ]);
            }
            await engine(
                "emptyPreview",
                "empty program preview",
                "empty-preview",
                EMPTY_JS,
                pulumiArgs("preview", emptyDir, emptyState, res("empty-preview")),
            );
            await engine(
                "emptyUp",
                "empty program up",
                "empty-up",
                EMPTY_JS,
                pulumiArgs("up", emptyDir, emptyState, res("empty-up")),
            );
            const providers = ["--providers", ["argocd", ...targets].join(","), "--kubeconfig", t.kubeconfig];
            await engine("providersPreview", "providers-only program preview", "providers-preview", EMPTY_JS, [
                ...pulumiArgs("preview", providersDir, providersState, res("providers-preview")),
                ...providers,
            ]);
            await engine("providersUp", "providers-only program up", "providers-up", EMPTY_JS, [
                ...pulumiArgs("up", providersDir, providersState, res("providers-up")),
                ...providers,
            ]);
            await engine(
                "preview",
                "pulumi.js preview (fresh stack)",
                "preview",
                PULUMI_JS,
                pulumiArgs("preview", programDir, state, res("preview")),
            );
            await engine("up", "pulumi.js up", "up", PULUMI_JS, pulumiArgs("up", programDir, state, res("up")));
            await engine(
                "upNoChange",
                "pulumi.js up, no change",
                "up-no-change",
                PULUMI_JS,
                pulumiArgs("up", programDir, state, res("up-no-change")),
            );
            // Each lever A/B against the program as it is: a preview on a fresh stack (nothing to clean up) and an up
            // with no change on the stack just made (every provider configured, every resource registered and
            // checked: the cost the levers act on, without a destroy per variant).
            for (const v of variants) {
                const vState = path.join(workDir, `state-${v.name}-${rep}`);
                const p = await engine(
                    undefined,
                    `pulumi.js preview, lever ${v.name}`,
                    `${v.name}-preview`,
                    PULUMI_JS,
                    pulumiArgs("preview", programDir, vState, res(`${v.name}-preview`)),
                    v.env,
                );
                const u = await engine(
                    undefined,
                    `pulumi.js up, no change, lever ${v.name}`,
                    `${v.name}-up-no-change`,
                    PULUMI_JS,
                    pulumiArgs("up", programDir, state, res(`${v.name}-up-no-change`)),
                    v.env,
                );
                out.levers[v.name] ??= { env: v.env, preview: [], upNoChange: [] };
                out.levers[v.name].preview.push(p);
                out.levers[v.name].upNoChange.push(u);
                fs.rmSync(vState, { recursive: true, force: true });
            }
            if (variants.length > 0 && rep === 1) {
                const profileDir = path.join(workDir, "cpu-profiles");
                await engine(
                    undefined,
                    "pulumi.js preview with CPU profiles (lever d; not recorded)",
                    "profile-preview",
                    PULUMI_JS,
                    pulumiArgs("preview", programDir, path.join(workDir, "profile-state"), res("profile-preview")),
                    {
                        NODE_OPTIONS:
                            `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${profileDir}`.trim(),
                    },
                );
                out.profile = programProfile(profileDir);
                if (!out.profile) log(`  no CPU profile of the program found in ${profileDir}`);
            }
            writeStack(["target-1"]);
            await engine(
                "upRotation",
                "pulumi.js up, one token rotated",
                "up-rotation",
                PULUMI_JS,
                pulumiArgs("up", programDir, state, res("up-rotation")),
            );
            await engine("destroy", "pulumi.js destroy", "destroy", PULUMI_JS, [
                ...pulumiArgs("destroy", programDir, state, res("destroy")),
                "--yes",
            ]);

            const directArgs = (phase: string, result: string) => [
                phase,
                "--kubeconfig",
                t.kubeconfig,
                "--argocd",
                "argocd",
                "--namespace",
                ARGOCD_NS,
                "--targets",
                targets.join(","),
                "--service-accounts",
                targets.map(serviceAccountOf).join(","),
                "--result",
                result,
            ];
            await engine(
                "directCreate",
                "direct API calls, create",
                "direct-create",
                DIRECT_JS,
                directArgs("create", res("direct-create")),
            );
            await engine(
                "directDelete",
                "direct API calls, delete",
                "direct-delete",
                DIRECT_JS,
                directArgs("delete", res("direct-delete")),
            );
            if (!keep)
                for (const dir of [state, emptyState, providersState]) fs.rmSync(dir, { recursive: true, force: true });
        }
    } finally {
        if (keep) log(`N=${n}: logs and state kept in ${workDir}`);
        else fs.rmSync(workDir, { recursive: true, force: true });
    }
}

async function benchMocks(n: number, repeat: number, out: MockResult): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "argocd-clusters-bench-mocks-"));
    try {
        for (let rep = 1; rep <= repeat; rep++) {
            for (const phase of ["load", "program"] as const) {
                const resultFile = path.join(dir, `${phase}-${rep}.json`);
                const r = await run(
                    `mocks N=${n} rep ${rep}/${repeat}: ${phase}`,
                    process.execPath,
                    ["--expose-gc", MOCK_JS, phase, "--clusters", String(n), "--result", resultFile],
                    process.env,
                    resultFile,
                );
                out[phase].push({ ...r.result, processSeconds: r.seconds });
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------- report

interface Environment {
    date: string;
    nproc: number;
    memoryGiB: number;
    cpu: string;
    node: string;
    pulumi: string;
    pulumiKubernetes: string;
    clientNode: string;
    loadAvgStart: number[];
    loadAvgEnd?: number[];
    sizes: number[];
    repeat: number;
    mockSizes: number[];
    perServer?: number;
    shaped?: boolean;
    leverSize?: number;
    serversStartSeconds?: number;
    shape?: Targets["shape"];
    durationSeconds?: number;
    /** Written after a size while larger ones were still to run. */
    partial?: boolean;
    command?: string;
}

function describeEnvironment(toolchain: Toolchain, sizes: number[], repeat: number, mockSizes: number[]): Environment {
    const pkg = (name: string) =>
        JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "node_modules", name, "package.json"), "utf8")).version;
    return {
        date: new Date().toISOString(),
        nproc: Number(execFileSync("nproc", { encoding: "utf8" }).trim()),
        memoryGiB: os.totalmem() / 1024 ** 3,
        cpu: os.cpus()[0]?.model ?? "unknown",
        node: process.version,
        pulumi: execFileSync(toolchain.pulumi, ["version"], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
        }).trim(),
        pulumiKubernetes: toolchain.plugins.find((p) => p.name === "kubernetes")?.version ?? "?",
        clientNode: pkg("@kubernetes/client-node"),
        loadAvgStart: os.loadavg(),
        sizes,
        repeat,
        mockSizes,
    };
}

const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "–");

function table(header: string[], rows: string[][]): string {
    return [
        `| ${header.join(" | ")} |`,
        `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
        ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
}

function report(env: Environment, sizes: SizeResult[], mocks: MockResult[]): string {
    const med = (s: SizeResult, op: EngineOp, pick: (r: Run) => number) => median((s.runs[op] ?? []).map(pick));
    const secs = (s: SizeResult, op: EngineOp) => med(s, op, (r) => r.seconds);
    const mem = (s: SizeResult, op: EngineOp) => med(s, op, (r) => r.peakRssMiB);
    const anon = (s: SizeResult, op: EngineOp) => med(s, op, (r) => r.peakAnonMiB);
    const cpu = (s: SizeResult, op: EngineOp) => med(s, op, (r) => r.cpuSeconds);
    const calls = (s: SizeResult, op: EngineOp) => med(s, op, (r) => r.result?.callsSeconds ?? NaN);
    const ok = sizes.filter((s) => !s.error || Object.keys(s.runs).length > 0);
    const base = ok.find((s) => s.runs.preview?.length && s.runs.up?.length);
    const lines: string[] = [];

    lines.push("# argocd-clusters benchmark", "");
    lines.push(
        table(
            ["", ""],
            [
                ["date", env.date],
                ["machine", `${env.nproc} CPUs (\`nproc\`), ${env.memoryGiB.toFixed(1)} GiB, ${env.cpu}`],
                [
                    "load average (1/5/15 min)",
                    `start ${env.loadAvgStart.map((v) => v.toFixed(2)).join(" / ")}, end ${env.loadAvgEnd?.map((v) => v.toFixed(2)).join(" / ") ?? "?"}`,
                ],
                [
                    "duration",
                    `${clock((env.durationSeconds ?? NaN) * 1000)} (min:s) for the whole run${env.partial ? "; PARTIAL: written after a size, larger sizes still to run" : ""}`,
                ],
                ["command", `\`${env.command ?? "?"}\``],
                ["node", env.node],
                ["pulumi", `${env.pulumi} (CLI), pulumi-resource-kubernetes ${env.pulumiKubernetes}`],
                ["@kubernetes/client-node", env.clientNode],
                [
                    "run",
                    `sizes ${env.sizes.join(", ") || "none"}, ${env.repeat} repetition(s), median reported; mock sizes ${env.mockSizes.join(", ") || "none"}`,
                ],
                [
                    "targets",
                    `${env.shaped ? "shaped like OpenShift (bench/openshiftShape.ts)" : "bare kube-apiservers (--bare)"}; up to ${env.perServer ?? "?"} registrations per target API server, each its own URL and ServiceAccount; servers started and shaped in ${f(env.serversStartSeconds ?? NaN, 0)} s`,
                ],
            ],
        ),
    );
    lines.push("");

    if (env.shape) {
        lines.push("## What the targets serve", "");
        lines.push(
            "Read as the cluster admin after the generated CRDs were Established and in `/openapi/v2`; bytes of the",
            "document as compact JSON. A real OpenShift 4.x cluster: about 95 CRDs in a base install of 4.8",
            "(openshift/svt#661), more with each operator; no published size of its `/openapi/v2` was found (docs/benchmark.md).",
            "",
        );
        const row = (name: string, v?: ShapeFigure) => [
            name,
            v?.crds === undefined ? "–" : String(v.crds),
            v ? f(v.openapiV2Bytes / 2 ** 20, 1) : "–",
            v ? String(v.openapiV2Bytes) : "–",
            String(v?.openapiV2Definitions ?? "–"),
            String(v?.discoveryGroups ?? "–"),
            String(v?.discoveryGroupVersions ?? "–"),
            String(v?.discoveryResources ?? "–"),
            v?.installSeconds === undefined ? "–" : f(v.installSeconds, 1),
        ];
        lines.push(
            table(
                [
                    "server",
                    "generated CRDs",
                    "/openapi/v2 MiB",
                    "/openapi/v2 bytes",
                    "definitions",
                    "discovery groups",
                    "group versions",
                    "resources",
                    "install s",
                ],
                [
                    row("bare kube-apiserver", env.shape.bare),
                    row("target (shaped)", env.shape.target),
                    row("Argo CD cluster (shaped)", env.shape.argocd),
                ],
            ),
        );
        lines.push("");
    }

    if (ok.length > 0) {
        lines.push("## Real engine, local clusters (median wall-clock seconds, each operation its own process)", "");
        lines.push(
            "`preview` is on a fresh stack; `up` creates every registration; `up, no change` runs again with nothing",
            "changed; `up, rotation` after `tokenRotation` of one entry changed; `destroy` removes them all. Baselines,",
            "measured at each size against the same servers and through the same wrapper (one CLI call): `empty`, a",
            "program that registers nothing (the engine's floor); `providers`, a program that registers only the N+1",
            "kubernetes providers (the floor of any program with one explicit provider per cluster: the engine starts",
            "each provider's plugin one after another, and each configured provider reads its cluster's OpenAPI",
            "document); `direct`, the same API calls made with @kubernetes/client-node, in parallel (whole process; in",
            "brackets the calls alone). `up` includes the preview the CLI runs before updating.",
            "",
        );
        lines.push(
            table(
                [
                    "N",
                    "empty preview",
                    "empty up",
                    "providers preview",
                    "providers up",
                    "preview",
                    "up",
                    "up, no change",
                    "up, rotation",
                    "destroy",
                    "direct create",
                    "direct delete",
                ],
                ok.map((s) => [
                    String(s.n),
                    f(secs(s, "emptyPreview")),
                    f(secs(s, "emptyUp")),
                    f(secs(s, "providersPreview")),
                    f(secs(s, "providersUp")),
                    f(secs(s, "preview")),
                    f(secs(s, "up")),
                    f(secs(s, "upNoChange")),
                    f(secs(s, "upRotation")),
                    f(secs(s, "destroy")),
                    `${f(secs(s, "directCreate"))} (${f(calls(s, "directCreate"))})`,
                    `${f(secs(s, "directDelete"))} (${f(calls(s, "directDelete"))})`,
                ]),
            ),
        );
        lines.push("");
        lines.push(
            "### `/openapi/v2` downloads per operation (GETs in the API servers' audit logs; in brackets `/openapi/v3*`)",
            "",
            "Each configured kubernetes provider should fetch its own server's document: N+1 providers per engine pass.",
            "",
        );
        const gets = (s: SizeResult, op: EngineOp) =>
            `${f(
                med(s, op, (r) => r.openapiV2Gets ?? NaN),
                0,
            )} (${f(
                med(s, op, (r) => r.openapiV3Gets ?? NaN),
                0,
            )})`;
        const getOps: EngineOp[] = [
            "providersPreview",
            "providersUp",
            "preview",
            "up",
            "upNoChange",
            "upRotation",
            "destroy",
        ];
        lines.push(
            table(
                ["N", "providers (N+1)", ...getOps],
                ok.map((s) => [String(s.n), String(s.n + 1), ...getOps.map((op) => gets(s, op))]),
            ),
        );
        lines.push("");
        lines.push(
            "### Peak memory of the process tree (MiB, summed VmRSS; in brackets summed RssAnon) and CPU (user+system s of the tree)",
            "",
        );
        const both = (s: SizeResult, op: EngineOp) => `${f(mem(s, op), 0)} (${f(anon(s, op), 0)})`;
        const memOps: EngineOp[] = [
            "emptyPreview",
            "providersPreview",
            "providersUp",
            "preview",
            "up",
            "upNoChange",
            "upRotation",
            "destroy",
            "directCreate",
        ];
        const cpuOps: EngineOp[] = ["providersPreview", "providersUp", "preview", "up", "upNoChange"];
        lines.push(
            table(
                ["N", ...memOps, ...cpuOps.map((op) => `CPU ${op}`)],
                ok.map((s) => [
                    String(s.n),
                    ...memOps.map((op) => both(s, op)),
                    ...cpuOps.map((op) => f(cpu(s, op), 1)),
                ]),
            ),
        );
        lines.push("");
        lines.push(
            "VmRSS counts file-backed pages in every process that maps them: each provider plugin process maps the same",
            "executable, whose pages the page cache holds once. RssAnon leaves those out: closer to what each process adds.",
            "",
        );
        lines.push("### Against the floor (same run): the issue's targets are ≤ 1.15× and ≤ 10% above", "");
        const b = base;
        const per = (s: SizeResult, v: (s: SizeResult) => number) =>
            b && s.n !== b.n ? (v(s) - v(b)) / (s.n - b.n) : NaN;
        // "ours / floor" per registration, in MiB: one memory measure of an operation and of its floor.
        const perPair = (s: SizeResult, m: (s: SizeResult, op: EngineOp) => number, op: EngineOp, floor: EngineOp) =>
            `${f(
                per(s, (z) => m(z, op)),
                1,
            )} / ${f(
                per(s, (z) => m(z, floor)),
                1,
            )}`;
        lines.push(
            table(
                [
                    "N",
                    "preview / providers preview",
                    "up / providers up",
                    "up, no change / providers up",
                    "CPU: preview / providers preview",
                    "CPU: up / providers up",
                    "CPU: up, no change / providers up",
                    "providers preview / empty preview",
                    "up / direct create",
                    "marginal s per registration: preview / providers preview",
                    "marginal s: up / providers up",
                    "marginal MiB RSS per registration: preview / providers preview",
                    "marginal MiB anon: preview / providers preview",
                    "marginal MiB RSS: up / providers up",
                    "marginal MiB anon: up / providers up",
                ],
                ok.map((s) => [
                    String(s.n),
                    x(secs(s, "preview") / secs(s, "providersPreview")),
                    x(secs(s, "up") / secs(s, "providersUp")),
                    x(secs(s, "upNoChange") / secs(s, "providersUp")),
                    x(cpu(s, "preview") / cpu(s, "providersPreview")),
                    x(cpu(s, "up") / cpu(s, "providersUp")),
                    x(cpu(s, "upNoChange") / cpu(s, "providersUp")),
                    x(secs(s, "providersPreview") / secs(s, "emptyPreview")),
                    x(secs(s, "up") / secs(s, "directCreate")),
                    `${f(per(s, (z) => secs(z, "preview")))} / ${f(per(s, (z) => secs(z, "providersPreview")))}`,
                    `${f(per(s, (z) => secs(z, "up")))} / ${f(per(s, (z) => secs(z, "providersUp")))}`,
                    perPair(s, mem, "preview", "providersPreview"),
                    perPair(s, anon, "preview", "providersPreview"),
                    perPair(s, mem, "up", "providersUp"),
                    perPair(s, anon, "up", "providersUp"),
                ]),
            ),
        );
        lines.push("");
        lines.push(
            `Marginal figures are (value(N) − value(${b?.n ?? "?"})) / (N − ${b?.n ?? "?"}). On a shared machine wall time moves`,
            "with the other load (see the load average above); CPU seconds of the process tree move much less, so the CPU",
            "ratios are the steadier comparison with the floor.",
            "",
        );

        const withLevers = ok.filter((s) => Object.keys(s.levers).length > 0);
        for (const s of withLevers) {
            lines.push(`### Levers, A/B at N=${s.n} (same run; each a fresh stack; median)`, "");
            lines.push(
                "`as committed` is the program's own preview (fresh stack) and up with no change above; each lever's are",
                "run right after them, on the same stack. Each lever changes only the environment:",
                "`stack-traces-kept` sets ARGOCD_CLUSTERS_KEEP_STACK_TRACES (the program then captures stack traces while",
                "registering, as before the lever); `provider-*` hand GOMAXPROCS, GOGC or GOMEMLIMIT to each kubernetes",
                "provider process.",
                "",
            );
            const rowFor = (name: string, env: string, p: Run[], u: Run[]) => {
                const m = (rs: Run[], pick: (r: Run) => number) => median(rs.map(pick));
                const program = (r: Run) => r.byProgram["node run"]?.peakRssMiB ?? NaN;
                return [
                    name,
                    env,
                    f(m(p, (r) => r.seconds)),
                    x(m(p, (r) => r.seconds) / secs(s, "providersPreview")),
                    f(m(u, (r) => r.seconds)),
                    x(m(u, (r) => r.seconds) / secs(s, "providersUp")),
                    `${f(
                        m(p, (r) => r.peakRssMiB),
                        0,
                    )} (${f(
                        m(p, (r) => r.peakAnonMiB),
                        0,
                    )})`,
                    `${f(
                        m(u, (r) => r.peakRssMiB),
                        0,
                    )} (${f(
                        m(u, (r) => r.peakAnonMiB),
                        0,
                    )})`,
                    `${f(m(p, program), 0)} / ${f(m(u, program), 0)}`,
                    `${f(
                        m(p, (r) => r.cpuSeconds),
                        1,
                    )} (${x(m(p, (r) => r.cpuSeconds) / cpu(s, "providersPreview"))})`,
                    `${f(
                        m(u, (r) => r.cpuSeconds),
                        1,
                    )} (${x(m(u, (r) => r.cpuSeconds) / cpu(s, "providersUp"))})`,
                    `${f(
                        m(p, (r) => r.byProgram["node run"]?.cpuSeconds ?? NaN),
                        1,
                    )} / ${f(
                        m(u, (r) => r.byProgram["node run"]?.cpuSeconds ?? NaN),
                        1,
                    )}`,
                ];
            };
            lines.push(
                table(
                    [
                        "variant",
                        "environment",
                        "preview s",
                        "/ providers preview",
                        "up, no change s",
                        "/ providers up",
                        "preview peak MiB (anon)",
                        "up, no change peak MiB (anon)",
                        "program process peak MiB, preview / up no change",
                        "preview CPU s (/ providers preview CPU)",
                        "up, no change CPU s (/ providers up CPU)",
                        "program process CPU s, preview / up no change",
                    ],
                    [
                        rowFor("as committed", "", s.runs.preview ?? [], s.runs.upNoChange ?? []),
                        ...Object.entries(s.levers).map(([name, l]) =>
                            rowFor(
                                name,
                                Object.entries(l.env)
                                    .map(([k, v]) => `${k}=${v}`)
                                    .join(" "),
                                l.preview,
                                l.upNoChange,
                            ),
                        ),
                    ],
                ),
            );
            lines.push("");
        }

        for (const s of ok.filter((z) => z.profile)) {
            const p = s.profile!;
            lines.push(
                `### What a profile shows: the program's Node process during a preview at N=${s.n} (lever d)`,
                "",
            );
            lines.push(
                `V8 CPU profile (NODE_OPTIONS=--cpu-prof) of the program's own process, ${f(p.totalMs / 1000)} s of samples`,
                "(idle left out). The providers are Go processes, outside it: their share is in the by-program table below.",
                "",
            );
            lines.push(
                table(
                    ["self time by package", "ms", "share"],
                    p.byPackage.slice(0, 12).map((b) => [b.name, f(b.ms, 0), `${f((100 * b.ms) / p.totalMs, 1)}%`]),
                ),
            );
            lines.push("");
            lines.push(
                table(
                    ["functions with the most self time", "ms"],
                    p.topFunctions.map((b) => [`\`${b.name}\``, f(b.ms, 0)]),
                ),
            );
            lines.push("");
        }

        const shard = ok.find((s) => s.n === 20);
        if (shard) {
            const p = secs(shard, "preview");
            const u = secs(shard, "up");
            const nc = secs(shard, "upNoChange");
            lines.push(
                "### Sharding: one shard of 20, and 200 clusters as 10 shards of 20 (arithmetic, not measured)",
                "",
            );
            lines.push(
                `One shard of 20 registrations, measured above: preview ${f(p)} s, up ${f(u)} s (up with no change ${f(nc)} s),`,
                `peak ${f(mem(shard, "up"), 0)} MiB RSS (${f(anon(shard, "up"), 0)} MiB anon) for the up's process tree. A 200-cluster`,
                "environment as 10 such stacks sharing one Argo CD, run as a CI matrix with one shard per job on R runners of",
                "this size: wall time = ceil(10 / R) × the shard's time (each runner holds one shard at a time; assumes the",
                "runners do not slow each other and every shard costs what this one did; the Argo CD API server serves 10",
                "shards' writes at once, which this arithmetic does not measure).",
                "",
            );
            lines.push(
                table(
                    ["runners R", "rounds ceil(10/R)", "preview, wall s", "up, wall s", "up no change, wall s"],
                    [1, 2, 5, 10].map((r) => {
                        const rounds = Math.ceil(10 / r);
                        return [String(r), String(rounds), f(rounds * p, 0), f(rounds * u, 0), f(rounds * nc, 0)];
                    }),
                ),
            );
            lines.push("");
        }

        lines.push(
            "### Where it goes, by program (median peak MiB VmRSS (RssAnon) / CPU seconds; approximate: sampled every 100 ms)",
            "",
        );
        const programs = new Set<string>();
        for (const s of ok)
            for (const op of ENGINE_OPS)
                for (const r of s.runs[op] ?? []) for (const p of Object.keys(r.byProgram)) programs.add(p);
        const names = [...programs].sort();
        const rows: string[][] = [];
        for (const s of ok) {
            for (const op of [
                "emptyPreview",
                "providersPreview",
                "providersUp",
                "preview",
                "up",
                "upNoChange",
                "upRotation",
                "destroy",
            ] as EngineOp[]) {
                const rs = s.runs[op] ?? [];
                if (rs.length === 0) continue;
                rows.push([
                    `${s.n} ${op}`,
                    ...names.map((p) => {
                        const have = rs.filter((r) => r.byProgram[p]);
                        if (have.length === 0) return "";
                        const usage = have.map((r) => r.byProgram[p]);
                        return `${f(median(usage.map((u) => u.peakRssMiB)), 0)} (${f(median(usage.map((u) => u.peakAnonMiB)), 0)}) / ${f(median(usage.map((u) => u.cpuSeconds)), 1)}`;
                    }),
                ]);
            }
        }
        lines.push(table(["N, operation", ...names], rows));
        lines.push("");
        const largest = ok[ok.length - 1];
        for (const op of ["providersPreview", "preview", "up"] as EngineOp[]) {
            const first = largest.runs[op]?.[0];
            if (!first) continue;
            lines.push(
                `### Process timeline: ${op}, N=${largest.n}, first repetition (${f(first.seconds)} s in all; seen from–to, seconds after spawn)`,
                "",
            );
            lines.push("```");
            for (const p of first.timeline)
                lines.push(`${f(p.firstSeen).padStart(6)} – ${f(p.lastSeen).padStart(6)}  ${p.name} ${p.args}`);
            lines.push("```", "");
        }
    }
    for (const s of sizes.filter((s) => s.error)) lines.push(`**N=${s.n} failed:** ${s.error?.split("\n")[0]}`, "");

    if (mocks.length > 0) {
        lines.push("## The program alone, under Pulumi mocks (median of each figure)", "");
        lines.push(
            "`load`: readRawConfig + loadStack (validation, kubeconfig parsing, one self-contained kubeconfig per cluster).",
        );
        lines.push(
            "`program`: loading index.js until every resource has reached the mocks (8 per cluster + the Argo CD provider)",
        );
        lines.push(
            "and the outputs are resolved; `sync` is the part before the first await. Heap: used after a GC at the end.",
            "",
        );
        const smallest = mocks.find((m) => m.program.length > 0 && m.load.length > 0);
        const lms = (m: MockResult) => median(m.load.map((r) => r.ms));
        const pms = (m: MockResult) => median(m.program.map((r) => r.ms));
        const marginal = (m: MockResult, v: (m: MockResult) => number) =>
            smallest && m.n !== smallest.n ? f((v(m) - v(smallest)) / (m.n - smallest.n), 3) : "–";
        lines.push(
            table(
                [
                    "N",
                    "load ms",
                    "load ms/cluster",
                    "load marginal ms/cluster",
                    "program ms",
                    "program ms/cluster",
                    "program marginal ms/cluster",
                    "program sync ms",
                    "resources",
                    "heap used MiB",
                    "max RSS MiB",
                    "process s",
                ],
                mocks.map((m) => [
                    String(m.n),
                    f(lms(m), 1),
                    f(lms(m) / m.n, 3),
                    marginal(m, lms),
                    f(pms(m), 1),
                    f(pms(m) / m.n, 3),
                    marginal(m, pms),
                    f(median(m.program.map((r) => r.syncMs)), 1),
                    String(median(m.program.map((r) => r.resources))),
                    f(median(m.program.map((r) => r.heapUsedMiB)), 1),
                    f(median(m.program.map((r) => r.maxRssMiB)), 0),
                    f(median(m.program.map((r) => r.processSeconds))),
                ]),
            ),
        );
        lines.push("");
        lines.push(
            `Marginal figures are (value(N) − value(${smallest?.n ?? "?"})) / (N − ${smallest?.n ?? "?"}): without the one-off module loading.`,
            "",
        );
        for (const m of mocks.filter((m) => m.error))
            lines.push(`**mocks N=${m.n} failed:** ${m.error?.split("\n")[0]}`, "");
    }
    return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------- main

function sizesArg(text: string | undefined, name: string): number[] {
    if (text === undefined || text === "") return [];
    const sizes = text.split(",").map((s) => Number(s.trim()));
    if (sizes.some((s) => !Number.isInteger(s) || s < 1))
        throw new Error(`--${name}: give positive integers, comma separated`);
    return sizes;
}

/** Writes results.md and results.json; `partial` marks a run that has sizes still to go. */
function write(out: string, env: Environment, sizes: SizeResult[], mocks: MockResult[], partial = false): string {
    env.loadAvgEnd = os.loadavg();
    env.durationSeconds = (Date.now() - benchStarted) / 1000;
    env.partial = partial;
    const markdown = report(env, sizes, mocks);
    const outDir = path.resolve(out);
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "results.md"), `${markdown}\n`);
    fs.writeFileSync(
        path.join(outDir, "results.json"),
        `${JSON.stringify({ environment: env, engine: sizes, mocks }, null, 2)}\n`,
    );
    return markdown;
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            sizes: { type: "string", default: "1,5,20,50" },
            repeat: { type: "string", default: "1" },
            "mock-sizes": { type: "string", default: "1,100" },
            "mock-repeat": { type: "string" },
            "no-engine": { type: "boolean", default: false },
            "no-mocks": { type: "boolean", default: false },
            keep: { type: "boolean", default: false },
            "per-server": { type: "string", default: "50" },
            bare: { type: "boolean", default: false },
            levers: { type: "string", default: "stack-traces-kept,provider-gomaxprocs-1" },
            "lever-size": { type: "string", default: "20" },
            "from-json": { type: "string" },
            out: { type: "string", default: path.join(PROJECT_DIR, "bench") },
        },
    });
    if (values["from-json"]) {
        // Renders results.md again from a run's raw figures (after a fix to the report), measuring nothing.
        const raw = JSON.parse(fs.readFileSync(values["from-json"], "utf8"));
        const markdown = report(raw.environment, raw.engine, raw.mocks);
        fs.writeFileSync(path.join(path.resolve(values.out!), "results.md"), `${markdown}\n`);
        return 0;
    }
    const sizes = values["no-engine"] ? [] : sizesArg(values.sizes, "sizes");
    const mockSizes = values["no-mocks"] ? [] : sizesArg(values["mock-sizes"], "mock-sizes");
    const repeat = Number(values.repeat);
    const mockRepeat = Number(values["mock-repeat"] ?? values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || !Number.isInteger(mockRepeat) || mockRepeat < 1)
        throw new Error("--repeat: a positive integer");
    const perServer = Number(values["per-server"]);
    if (!Number.isInteger(perServer) || perServer < 1 || perServer > 254)
        throw new Error("--per-server: an integer from 1 to 254 (one loopback alias per registration on a server)");
    const leverSize = Number(values["lever-size"]);
    const leverNames = values.levers === "" || values.levers === "none" ? [] : values.levers!.split(",");
    const unknown = leverNames.filter((name) => !LEVERS.some((l) => l.name === name));
    if (unknown.length > 0)
        throw new Error(`--levers: unknown ${unknown.join(", ")}; known: ${LEVERS.map((l) => l.name).join(", ")}`);
    const variants = LEVERS.filter((l) => leverNames.includes(l.name));
    for (const file of [PULUMI_JS, EMPTY_JS, DIRECT_JS, MOCK_JS]) {
        if (!fs.existsSync(file))
            throw new Error(`${file} is missing: run \`npm run build\` first (npm run bench does)`);
    }

    const toolchain = await ensureToolchain((line) => log(`[toolchain] ${line}`));
    const env = describeEnvironment(toolchain, sizes, repeat, mockSizes);
    env.perServer = perServer;
    env.command = ["npm run bench --", ...process.argv.slice(2)].join(" ").replace(/ --$/, "");
    env.shaped = !values.bare;
    env.leverSize = sizes.includes(leverSize) ? leverSize : undefined;
    log(
        `${env.nproc} CPUs, ${env.memoryGiB.toFixed(1)} GiB, node ${env.node}, pulumi ${env.pulumi}; load average ${env.loadAvgStart.map((v) => v.toFixed(2)).join(" ")}`,
    );
    log(
        `engine sizes: ${sizes.join(", ") || "none"} x ${repeat}; mock sizes: ${mockSizes.join(", ") || "none"} x ${mockRepeat}`,
    );

    const mockResults: MockResult[] = [];
    for (const n of mockSizes) {
        const out: MockResult = { n, load: [], program: [] };
        mockResults.push(out);
        try {
            await benchMocks(n, mockRepeat, out);
        } catch (err) {
            out.error = err instanceof Error ? err.message : String(err);
            log(`mocks N=${n} FAILED: ${out.error}`);
        }
    }
    const sizeResults: SizeResult[] = [];
    if (sizes.length > 0) {
        const started = Date.now();
        const targets = await startTargets(Math.max(...sizes), perServer, !values.bare, toolchain);
        env.serversStartSeconds = (Date.now() - started) / 1000;
        env.shape = targets.shape;
        try {
            for (const n of sizes) {
                const out: SizeResult = { n, runs: {}, levers: {} };
                sizeResults.push(out);
                try {
                    await benchSize(
                        n,
                        repeat,
                        targets,
                        values.keep!,
                        n === leverSize ? variants : [],
                        n === sizes[0],
                        out,
                    );
                } catch (err) {
                    out.error = err instanceof Error ? err.message : String(err);
                    log(`N=${n} FAILED: ${out.error}`);
                }
                // After every size, so that a run stopped before its largest size still leaves its figures.
                write(values.out!, env, sizeResults, mockResults, n !== sizes[sizes.length - 1]);
            }
        } finally {
            log("stopping the API servers");
            await targets.plane.stop({ keepFiles: values.keep });
        }
    }
    const markdown = write(values.out!, env, sizeResults, mockResults);
    console.log(`\n${markdown}\n`);
    log(
        `done in ${clock(Date.now() - benchStarted)}; wrote ${path.join(path.resolve(values.out!), "results.md")} and results.json`,
    );
    return sizeResults.some((s) => s.error) || mockResults.some((m) => m.error) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
    },
);
