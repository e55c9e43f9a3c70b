/**
 * The real engine, providers and control plane, built from the Go module proxy. Each tool is a Go module
 * under tools/ with a build.sh that installs into $PREFIX/bin. Builds are cached outside the repository,
 * in a user cache directory keyed by tool, version and a hash of the module's files, so CI on the same machine
 * and every later run reuse them. A binary already on PATH (or in KUBEBUILDER_ASSETS for etcd and
 * kube-apiserver) is used instead of building.
 *
 * Run directly (`node dist/tools/toolchain.js`) it builds what is missing and prints where each tool is.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const TOOLS_DIR = path.resolve(__dirname, "..", "..", "tools");

interface Recipe {
    /** Directory under tools/ holding the Go module and build.sh. */
    module: string;
    /** Binaries build.sh installs into $PREFIX/bin. */
    binaries: string[];
    /** Where an existing installation may be found instead. */
    lookup: ("PATH" | "KUBEBUILDER_ASSETS")[];
}

const RECIPES: Recipe[] = [
    { module: "pulumi", binaries: ["pulumi"], lookup: ["PATH"] },
    { module: "pulumi-resource-kubernetes", binaries: ["pulumi-resource-kubernetes"], lookup: ["PATH"] },
    { module: "pulumi-resource-random", binaries: ["pulumi-resource-random"], lookup: ["PATH"] },
    { module: "control-plane/etcd", binaries: ["etcd"], lookup: ["KUBEBUILDER_ASSETS", "PATH"] },
    { module: "control-plane/kubernetes", binaries: ["kube-apiserver", "kube-controller-manager"], lookup: ["PATH"] },
    { module: "actionlint", binaries: ["actionlint"], lookup: ["PATH"] },
    // The project's own program: always built from tools/argocd-judge, never taken from PATH.
    { module: "argocd-judge", binaries: ["argocd-judge"], lookup: [] },
];

/** A resource provider plugin, as the engine's plugin cache names it. */
export interface Plugin {
    name: string;
    version: string;
    binary: string;
}

export interface Toolchain {
    pulumi: string;
    plugins: Plugin[];
    etcd: string;
    kubeApiServer: string;
    kubeControllerManager: string;
    actionlint: string;
    /** Reads cluster Secrets with Argo CD's own code (tools/argocd-judge). */
    argocdJudge: string;
}

export function cacheRoot(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "argocd-clusters", "toolchain");
}

function versionOf(recipe: Recipe): string {
    const script = fs.readFileSync(path.join(TOOLS_DIR, recipe.module, "build.sh"), "utf8");
    const match = /^VERSION=(\S+)$/m.exec(script);
    if (!match) throw new Error(`tools/${recipe.module}/build.sh does not set VERSION=`);
    return match[1].startsWith("v") ? match[1] : `v${match[1]}`;
}

/** Hash of everything that determines the build: a change to any of these files means a new cache entry. */
function fingerprint(recipe: Recipe): string {
    const hash = createHash("sha256");
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (/\.(go|mod|sum|sh)$/.test(entry.name)) hash.update(path.relative(TOOLS_DIR, full)).update(fs.readFileSync(full));
        }
    };
    walk(path.join(TOOLS_DIR, recipe.module));
    return hash.digest("hex").slice(0, 12);
}

function installDir(recipe: Recipe): string {
    return path.join(cacheRoot(), `${path.basename(recipe.module)}-${versionOf(recipe)}-${fingerprint(recipe)}`);
}

function findExisting(recipe: Recipe, binary: string): string | undefined {
    for (const where of recipe.lookup) {
        const dirs = where === "PATH"
            ? (process.env.PATH ?? "").split(path.delimiter)
            : process.env.KUBEBUILDER_ASSETS ? [process.env.KUBEBUILDER_ASSETS] : [];
        for (const dir of dirs) {
            const candidate = path.join(dir, binary);
            if (dir && isExecutable(candidate)) return candidate;
        }
    }
    return undefined;
}

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function formatDuration(ms: number): string {
    const s = Math.round(ms / 1000);
    return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Runs build.sh into a temporary prefix, reporting progress, then moves the result into the cache. */
async function build(recipe: Recipe, target: string, log: (line: string) => void): Promise<void> {
    const version = versionOf(recipe);
    const staging = `${target}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const logFile = path.join(staging, "build.log");
    const started = Date.now();
    log(`building ${recipe.binaries.join(", ")} ${version} (log: ${logFile})`);
    const out = fs.openSync(logFile, "a");
    const child = spawn("bash", [path.join(TOOLS_DIR, recipe.module, "build.sh")], {
        env: { ...process.env, PREFIX: staging, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false" },
        stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    const ticker = setInterval(() => log(`  still building ${recipe.binaries.join(", ")}: ${formatDuration(Date.now() - started)} so far`), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearInterval(ticker);
    if (code !== 0) {
        const tail = fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-30).join("\n");
        throw new Error(`building tools/${recipe.module} failed (exit ${code}); last lines of ${logFile}:\n${tail}`);
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    log(`built ${recipe.binaries.join(", ")} ${version} in ${formatDuration(Date.now() - started)}`);
}

/** Where a tool already is (on its lookup path or built in the cache), without building it: for tests. */
export function findTool(binary: string): string | undefined {
    const recipe = RECIPES.find((r) => r.binaries.includes(binary));
    if (!recipe) throw new Error(`no tool under tools/ builds ${binary}`);
    const built = path.join(installDir(recipe), "bin", binary);
    return findExisting(recipe, binary) ?? (isExecutable(built) ? built : undefined);
}

/** Finds or builds every tool; `log` receives progress lines. */
export async function ensureToolchain(log: (line: string) => void = (l) => console.log(`[toolchain] ${l}`)): Promise<Toolchain> {
    const found = new Map<string, string>();
    for (const recipe of RECIPES) {
        const existing = recipe.binaries.map((b) => findExisting(recipe, b));
        if (existing.every((e) => e !== undefined)) {
            recipe.binaries.forEach((b, i) => found.set(b, existing[i]!));
            continue;
        }
        const dir = installDir(recipe);
        const binaries = recipe.binaries.map((b) => path.join(dir, "bin", b));
        if (!binaries.every(isExecutable)) await build(recipe, dir, log);
        recipe.binaries.forEach((b, i) => found.set(b, binaries[i]));
    }
    const get = (b: string) => found.get(b)!;
    const plugin = (name: string): Plugin => {
        const recipe = RECIPES.find((r) => r.binaries.includes(`pulumi-resource-${name}`))!;
        return { name, version: versionOf(recipe).slice(1), binary: get(`pulumi-resource-${name}`) };
    };
    return {
        pulumi: get("pulumi"),
        plugins: [plugin("kubernetes"), plugin("random")],
        etcd: get("etcd"),
        kubeApiServer: get("kube-apiserver"),
        kubeControllerManager: get("kube-controller-manager"),
        actionlint: get("actionlint"),
        argocdJudge: get("argocd-judge"),
    };
}

if (require.main === module) {
    const started = Date.now();
    ensureToolchain()
        .then((toolchain) => {
            console.log(`[toolchain] ready in ${formatDuration(Date.now() - started)}:`);
            for (const [name, where] of Object.entries(toolchain)) {
                console.log(`  ${name}: ${typeof where === "string" ? where : where.map((p: Plugin) => `${p.name} ${p.version} ${p.binary}`).join(", ")}`);
            }
        })
        .catch((err) => {
            console.error(`[toolchain] ${err.message}`);
            process.exit(1);
        });
}
