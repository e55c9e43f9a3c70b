/**
 * Benchmark of the program against the real engine, providers and local clusters, with three baselines measured
 * in the same run (an empty Pulumi program through the same wrapper: the engine's floor; a program of only the
 * N+1 kubernetes providers: the floor of one explicit provider per cluster; the same API calls made directly
 * with @kubernetes/client-node: the physical limit), and the program's own cost under mocks.
 * A measurement, not a test: nothing here asserts on time. Prints the tables and writes them to
 * bench/results.md, with every raw figure in bench/results.json.
 *
 *   npm run bench -- [--sizes 1,5,20] [--repeat 3] [--mock-sizes 1,100,1000] [--mock-repeat R]
 *                    [--no-engine] [--no-mocks] [--keep] [--out DIR]
 *
 * Per size N: N+1 local clusters (one is the Argo CD cluster), a scratch work dir with the project's
 * Pulumi.yaml and a Pulumi.local.yaml registering the N targets (cluster-wide), then per repetition, each
 * operation its own process: empty preview + up, providers-only preview + up, `pulumi.js preview` (fresh
 * stack) + `up` + `destroy`, direct create + delete. Figures are medians over the repetitions. Memory is the peak of the summed VmRSS of the
 * whole process tree (wrapper node process, pulumi CLI, every plugin), sampled every 100 ms.
 *
 * --keep keeps each size's work dir (engine output of every operation, timestamped, and the state) in $TMPDIR;
 * --out writes results.md/results.json elsewhere than bench/ (for exploratory runs).
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
}

type EngineOp =
    | "emptyPreview"
    | "emptyUp"
    | "providersPreview"
    | "providersUp"
    | "preview"
    | "up"
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
    "destroy",
    "directCreate",
    "directDelete",
];

interface SizeResult {
    n: number;
    clusterStartSeconds: number;
    runs: Partial<Record<EngineOp, Run[]>>;
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

function stackConfig(plane: LocalControlPlane, targets: string[]): Record<string, unknown> {
    return {
        config: {
            "pulumi:disable-default-providers": ["kubernetes"],
            "argocd-clusters:argocd": { namespace: ARGOCD_NS, context: "argocd", kubeconfig: plane.kubeconfig },
            "argocd-clusters:clusters": targets.map((name) => ({
                name,
                server: plane.cluster(name).server,
                context: name,
            })),
        },
    };
}

async function benchSize(
    n: number,
    repeat: number,
    toolchain: Toolchain,
    keep: boolean,
    out: SizeResult,
): Promise<void> {
    const targets = Array.from({ length: n }, (_, i) => `target-${i + 1}`);
    log(`N=${n}: starting ${n + 1} local clusters (shared etcd, one kube-apiserver + kube-controller-manager each)`);
    const startedAt = Date.now();
    const plane = await LocalControlPlane.start(["argocd", ...targets], toolchain);
    out.clusterStartSeconds = (Date.now() - startedAt) / 1000;
    log(`N=${n}: clusters ready in ${out.clusterStartSeconds.toFixed(1)}s`);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `argocd-clusters-bench-${n}-`));
    try {
        const created = await plane
            .cluster("argocd")
            .admin("POST", "/api/v1/namespaces", { metadata: { name: ARGOCD_NS } });
        if (created.status !== 201)
            throw new Error(`creating namespace ${ARGOCD_NS}: ${created.status} ${JSON.stringify(created.body)}`);
        const programDir = path.join(workDir, "program");
        const emptyDir = path.join(workDir, "empty");
        const providersDir = path.join(workDir, "providers");
        for (const dir of [programDir, emptyDir, providersDir]) {
            fs.mkdirSync(dir);
            writeProjectFile(dir);
        }
        const env = { ...process.env, KUBECONFIG: plane.kubeconfig, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
        const add = (op: EngineOp, r: Run & { log: string }, logName: string) => {
            const { log: text, ...figures } = r;
            out.runs[op] ??= [];
            out.runs[op].push(figures);
            fs.writeFileSync(path.join(workDir, `${logName}.log`), text);
        };
        for (let rep = 1; rep <= repeat; rep++) {
            const tag = `N=${n} rep ${rep}/${repeat}`;
            // A fresh stack each time: new state dir, and a stack file without the previous salt.
            const state = path.join(workDir, `state-${rep}`);
            const emptyState = path.join(workDir, `empty-state-${rep}`);
            const providersState = path.join(workDir, `providers-state-${rep}`);
            fs.writeFileSync(path.join(programDir, "Pulumi.local.yaml"), yaml.dump(stackConfig(plane, targets)));
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

            add(
                "emptyPreview",
                await run(
                    `${tag}: empty program preview`,
                    process.execPath,
                    [EMPTY_JS, ...pulumiArgs("preview", emptyDir, emptyState, res("empty-preview"))],
                    env,
                    res("empty-preview"),
                ),
                `empty-preview-${rep}`,
            );
            add(
                "emptyUp",
                await run(
                    `${tag}: empty program up`,
                    process.execPath,
                    [EMPTY_JS, ...pulumiArgs("up", emptyDir, emptyState, res("empty-up"))],
                    env,
                    res("empty-up"),
                ),
                `empty-up-${rep}`,
            );

            const providers = ["--providers", ["argocd", ...targets].join(","), "--kubeconfig", plane.kubeconfig];
            add(
                "providersPreview",
                await run(
                    `${tag}: providers-only program preview`,
                    process.execPath,
                    [
                        EMPTY_JS,
                        ...pulumiArgs("preview", providersDir, providersState, res("providers-preview")),
                        ...providers,
                    ],
                    env,
                    res("providers-preview"),
                ),
                `providers-preview-${rep}`,
            );
            add(
                "providersUp",
                await run(
                    `${tag}: providers-only program up`,
                    process.execPath,
                    [EMPTY_JS, ...pulumiArgs("up", providersDir, providersState, res("providers-up")), ...providers],
                    env,
                    res("providers-up"),
                ),
                `providers-up-${rep}`,
            );

            add(
                "preview",
                await run(
                    `${tag}: pulumi.js preview (fresh stack)`,
                    process.execPath,
                    [PULUMI_JS, ...pulumiArgs("preview", programDir, state, res("preview"))],
                    env,
                    res("preview"),
                ),
                `preview-${rep}`,
            );
            add(
                "up",
                await run(
                    `${tag}: pulumi.js up`,
                    process.execPath,
                    [PULUMI_JS, ...pulumiArgs("up", programDir, state, res("up"))],
                    env,
                    res("up"),
                ),
                `up-${rep}`,
            );
            add(
                "destroy",
                await run(
                    `${tag}: pulumi.js destroy`,
                    process.execPath,
                    [PULUMI_JS, ...pulumiArgs("destroy", programDir, state, res("destroy"))],
                    env,
                    res("destroy"),
                ),
                `destroy-${rep}`,
            );

            const directArgs = (phase: string, result: string) => [
                DIRECT_JS,
                phase,
                "--kubeconfig",
                plane.kubeconfig,
                "--argocd",
                "argocd",
                "--namespace",
                ARGOCD_NS,
                "--targets",
                targets.join(","),
                "--result",
                result,
            ];
            add(
                "directCreate",
                await run(
                    `${tag}: direct API calls, create`,
                    process.execPath,
                    directArgs("create", res("direct-create")),
                    env,
                    res("direct-create"),
                ),
                `direct-create-${rep}`,
            );
            add(
                "directDelete",
                await run(
                    `${tag}: direct API calls, delete`,
                    process.execPath,
                    directArgs("delete", res("direct-delete")),
                    env,
                    res("direct-delete"),
                ),
                `direct-delete-${rep}`,
            );
            if (!keep)
                for (const dir of [state, emptyState, providersState]) fs.rmSync(dir, { recursive: true, force: true });
        }
    } finally {
        log(`N=${n}: stopping the clusters`);
        await plane.stop();
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
                ["node", env.node],
                ["pulumi", `${env.pulumi} (CLI), pulumi-resource-kubernetes ${env.pulumiKubernetes}`],
                ["@kubernetes/client-node", env.clientNode],
                [
                    "run",
                    `sizes ${env.sizes.join(", ") || "none"}, ${env.repeat} repetition(s), median reported; mock sizes ${env.mockSizes.join(", ") || "none"}`,
                ],
            ],
        ),
    );
    lines.push("");

    if (ok.length > 0) {
        lines.push("## Real engine, local clusters (median wall-clock seconds, each operation its own process)", "");
        lines.push(
            "`preview` is on a fresh stack. Baselines, measured at each size with the same clusters running and through the",
        );
        lines.push(
            "same wrapper (one CLI call, the program served from the wrapper's process): `empty`, a program that registers",
        );
        lines.push(
            "nothing (the engine's floor); `providers`, a program that registers only the N+1 kubernetes providers and",
        );
        lines.push(
            "nothing else (the floor of any program with one explicit provider per cluster: the engine starts each",
        );
        lines.push(
            "provider's plugin one after another, and each configured provider reads the cluster's OpenAPI schema);",
        );
        lines.push(
            "`direct`, the same API calls made with @kubernetes/client-node, in parallel (whole process; in brackets",
        );
        lines.push(
            "the calls alone, without Node start-up). `up` includes the preview the CLI runs before updating.",
            "",
        );
        lines.push(
            table(
                [
                    "N",
                    "clusters start",
                    "empty preview",
                    "empty up",
                    "providers preview",
                    "providers up",
                    "preview",
                    "up",
                    "destroy",
                    "direct create",
                    "direct delete",
                ],
                ok.map((s) => [
                    String(s.n),
                    f(s.clusterStartSeconds, 1),
                    f(secs(s, "emptyPreview")),
                    f(secs(s, "emptyUp")),
                    f(secs(s, "providersPreview")),
                    f(secs(s, "providersUp")),
                    f(secs(s, "preview")),
                    f(secs(s, "up")),
                    f(secs(s, "destroy")),
                    `${f(secs(s, "directCreate"))} (${f(calls(s, "directCreate"))})`,
                    `${f(secs(s, "directDelete"))} (${f(calls(s, "directDelete"))})`,
                ]),
            ),
        );
        lines.push("");
        lines.push(
            "### Peak memory of the process tree (MiB, summed VmRSS; in brackets summed RssAnon) and CPU (user+system s of the tree)",
            "",
        );
        const both = (s: SizeResult, op: EngineOp) => `${f(mem(s, op), 0)} (${f(anon(s, op), 0)})`;
        lines.push(
            table(
                [
                    "N",
                    "empty preview",
                    "empty up",
                    "providers preview",
                    "preview",
                    "up",
                    "destroy",
                    "direct create",
                    "CPU empty up",
                    "CPU providers preview",
                    "CPU preview",
                    "CPU up",
                    "CPU direct create",
                ],
                ok.map((s) => [
                    String(s.n),
                    both(s, "emptyPreview"),
                    both(s, "emptyUp"),
                    both(s, "providersPreview"),
                    both(s, "preview"),
                    both(s, "up"),
                    both(s, "destroy"),
                    both(s, "directCreate"),
                    f(cpu(s, "emptyUp"), 1),
                    f(cpu(s, "providersPreview"), 1),
                    f(cpu(s, "preview"), 1),
                    f(cpu(s, "up"), 1),
                    f(cpu(s, "directCreate"), 1),
                ]),
            ),
        );
        lines.push("");
        lines.push(
            "VmRSS counts file-backed pages in every process that maps them: each provider plugin process maps the same",
        );
        lines.push(
            "executable, whose pages the page cache holds once. RssAnon leaves those out: closer to what each process adds.",
            "",
        );
        lines.push("### Ratios (same run)", "");
        const b = base;
        lines.push(
            table(
                [
                    "N",
                    "preview / empty preview",
                    "providers preview / empty preview",
                    "preview / providers preview",
                    "up / empty up",
                    "up / providers up",
                    "up / direct create",
                    "up / direct calls",
                    `preview(N) / preview(${b?.n ?? "?"})`,
                    `providers preview(N) / providers preview(${b?.n ?? "?"})`,
                    `up(N) / up(${b?.n ?? "?"})`,
                    "marginal s per cluster, preview / up",
                    "peak MiB per cluster, preview / up",
                    "peak anon MiB per cluster, preview / up",
                ],
                ok.map((s) => {
                    const dn = b && s.n !== b.n ? s.n - b.n : NaN;
                    return [
                        String(s.n),
                        x(secs(s, "preview") / secs(s, "emptyPreview")),
                        x(secs(s, "providersPreview") / secs(s, "emptyPreview")),
                        x(secs(s, "preview") / secs(s, "providersPreview")),
                        x(secs(s, "up") / secs(s, "emptyUp")),
                        x(secs(s, "up") / secs(s, "providersUp")),
                        x(secs(s, "up") / secs(s, "directCreate")),
                        x(secs(s, "up") / calls(s, "directCreate")),
                        b ? x(secs(s, "preview") / secs(b, "preview")) : "–",
                        b ? x(secs(s, "providersPreview") / secs(b, "providersPreview")) : "–",
                        b ? x(secs(s, "up") / secs(b, "up")) : "–",
                        b
                            ? `${f((secs(s, "preview") - secs(b, "preview")) / dn)} / ${f((secs(s, "up") - secs(b, "up")) / dn)}`
                            : "–",
                        b
                            ? `${f((mem(s, "preview") - mem(b, "preview")) / dn, 1)} / ${f((mem(s, "up") - mem(b, "up")) / dn, 1)}`
                            : "–",
                        b
                            ? `${f((anon(s, "preview") - anon(b, "preview")) / dn, 1)} / ${f((anon(s, "up") - anon(b, "up")) / dn, 1)}`
                            : "–",
                    ];
                }),
            ),
        );
        lines.push("");
        lines.push(`Per cluster figures are (value(N) − value(${b?.n ?? "?"})) / (N − ${b?.n ?? "?"}).`, "");

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
                "emptyUp",
                "providersPreview",
                "providersUp",
                "preview",
                "up",
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
        for (const op of ["emptyPreview", "providersPreview", "preview", "up"] as EngineOp[]) {
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

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: {
            sizes: { type: "string", default: "1,5,20" },
            repeat: { type: "string", default: "3" },
            "mock-sizes": { type: "string", default: "1,100,1000" },
            "mock-repeat": { type: "string" },
            "no-engine": { type: "boolean", default: false },
            "no-mocks": { type: "boolean", default: false },
            keep: { type: "boolean", default: false },
            out: { type: "string", default: path.join(PROJECT_DIR, "bench") },
        },
    });
    const sizes = values["no-engine"] ? [] : sizesArg(values.sizes, "sizes");
    const mockSizes = values["no-mocks"] ? [] : sizesArg(values["mock-sizes"], "mock-sizes");
    const repeat = Number(values.repeat);
    const mockRepeat = Number(values["mock-repeat"] ?? values.repeat);
    if (!Number.isInteger(repeat) || repeat < 1 || !Number.isInteger(mockRepeat) || mockRepeat < 1)
        throw new Error("--repeat: a positive integer");
    if (sizes.some((n) => n + 2 > 254))
        throw new Error("--sizes: at most 252 targets (one loopback address per cluster)");
    for (const file of [PULUMI_JS, EMPTY_JS, DIRECT_JS, MOCK_JS]) {
        if (!fs.existsSync(file))
            throw new Error(`${file} is missing: run \`npm run build\` first (npm run bench does)`);
    }

    const toolchain = await ensureToolchain((line) => log(`[toolchain] ${line}`));
    const env = describeEnvironment(toolchain, sizes, repeat, mockSizes);
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
    for (const n of sizes) {
        const out: SizeResult = { n, clusterStartSeconds: NaN, runs: {} };
        sizeResults.push(out);
        try {
            await benchSize(n, repeat, toolchain, values.keep!, out);
        } catch (err) {
            out.error = err instanceof Error ? err.message : String(err);
            log(`N=${n} FAILED: ${out.error}`);
        }
    }
    env.loadAvgEnd = os.loadavg();

    const markdown = report(env, sizeResults, mockResults);
    const outDir = path.resolve(values.out!);
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "results.md"), `${markdown}\n`);
    fs.writeFileSync(
        path.join(outDir, "results.json"),
        `${JSON.stringify({ environment: env, engine: sizeResults, mocks: mockResults }, null, 2)}\n`,
    );
    console.log(`\n${markdown}\n`);
    log(`done in ${clock(Date.now() - benchStarted)}; wrote ${path.join(outDir, "results.md")} and results.json`);
    return sizeResults.some((s) => s.error) || mockResults.some((m) => m.error) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
    },
);
