/**
 * How long the program takes to load before it registers anything, each way it can start, in the same run:
 * - `precompiled`: `require` of tsc's output (dist/index.js), how the program started until it ran from its
 *   sources (the baseline);
 * - `sources, cold` / `sources, warm`: `require` of index.ts through ts-node, transpile only, as the Node.js
 *   language host starts it with Pulumi.yaml's options (typescript: true, tsconfig.run.json), with ts-node's
 *   cache empty (the first preview on a machine or after an edit) and filled (every later run).
 * Each figure is a fresh Node process (process start-up included), repeated; medians and the ratio to the
 * precompiled start are written to bench/startup.md.
 *
 *   node dist/bench/startup.js [--repeat N] [--out DIR]
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../engine/engine";

const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/** ts-node as cmd/run loads it: the project's own if installed, else the one the SDK vendors. */
function tsNodePath(): string {
    try {
        return require.resolve("ts-node", { paths: [PROJECT_DIR] });
    } catch {
        const vendored = fs.readdirSync(path.join(SDK_DIR, "vendor")).find((d) => d.startsWith("ts-node@"))!;
        return path.join(SDK_DIR, "vendor", vendored);
    }
}

/** Milliseconds from process start to the program's module loaded, measured inside the child. */
function loadOnce(script: string, env: NodeJS.ProcessEnv): number {
    const out = execFileSync(process.execPath, ["-e", script], { cwd: PROJECT_DIR, env, encoding: "utf8" });
    return Number(out.trim().split("\n").pop());
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
    const { values } = parseArgs({ options: { repeat: { type: "string" }, out: { type: "string" } } });
    const repeat = Number(values.repeat ?? 7);
    const outDir = path.resolve(values.out ?? path.join(PROJECT_DIR, "bench"));
    const elapsed = "process.stdout.write('\\n' + Math.round(performance.now()))";
    const precompiled = `require(${JSON.stringify(path.join(PROJECT_DIR, "dist", "index.js"))}); ${elapsed}`;
    const sources =
        `require(${JSON.stringify(tsNodePath())}).register({ transpileOnly: true, ` +
        `project: ${JSON.stringify(path.join(PROJECT_DIR, "tsconfig.run.json"))}, compiler: require.resolve("typescript") }); ` +
        `require(${JSON.stringify(path.join(PROJECT_DIR, "index.ts"))}); ${elapsed}`;
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "startup-ts-node-"));
    // ts-node 7 keeps its cache under TS_NODE_CACHE_DIRECTORY (default: the system's temporary directory).
    const warmEnv = { ...process.env, TS_NODE_CACHE_DIRECTORY: cacheDir };
    const runs: Record<string, number[]> = { precompiled: [], "sources, cold": [], "sources, warm": [] };
    for (let i = 0; i < repeat; i++) {
        runs.precompiled.push(loadOnce(precompiled, process.env));
        const cold = fs.mkdtempSync(path.join(os.tmpdir(), "startup-ts-node-cold-"));
        runs["sources, cold"].push(loadOnce(sources, { ...process.env, TS_NODE_CACHE_DIRECTORY: cold }));
        fs.rmSync(cold, { recursive: true, force: true });
        runs["sources, warm"].push(loadOnce(sources, warmEnv));
        console.error(`[startup] ${i + 1}/${repeat}`);
    }
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const base = median(runs.precompiled);
    const [load1, load5] = os.loadavg();
    const lines = [
        "# Program start-up",
        "",
        `${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs, load average ${load1.toFixed(2)} / ${load5.toFixed(2)}; ` +
            `${repeat} repetitions, each a fresh Node process; written by \`npm run bench:startup\` (bench/startup.ts).`,
        "",
        "| how the program starts | median ms | min | max | ratio to precompiled |",
        "| --- | ---: | ---: | ---: | ---: |",
        ...Object.entries(runs).map(
            ([name, ms]) =>
                `| ${name} | ${median(ms)} | ${Math.min(...ms)} | ${Math.max(...ms)} | ${(median(ms) / base).toFixed(2)} |`,
        ),
    ];
    fs.writeFileSync(path.join(outDir, "startup.md"), `${lines.join("\n")}\n`);
    console.log(lines.join("\n"));
}

main();
