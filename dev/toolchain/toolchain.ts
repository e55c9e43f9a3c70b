/**
 * The real engine, providers and control plane, built from the Go module proxy. Each tool is a Go module
 * under dev/toolchain/ with a build.sh that installs into $PREFIX/bin. Builds are cached outside the repository,
 * in a user cache directory keyed by tool, version and a hash of the module's files, so CI on the same machine
 * and every later run reuse them. A binary already on PATH (or in KUBEBUILDER_ASSETS for etcd and
 * kube-apiserver) is used instead of building.
 *
 * Run directly (`node dist/dev/toolchain/toolchain.js [--engine]`) it builds what is missing (with --engine only
 * the Pulumi CLI and the providers) and prints where each tool is. Either way it records the CLI and the
 * providers for the engine wrapper (engine/engineTools.ts), which never builds anything itself.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, type EngineTools, isExecutable, type Plugin, recordEngineTools } from "../../engine/engineTools";

const TOOLS_DIR = path.resolve(__dirname, "..", "..", "..", "dev", "toolchain");

interface Recipe {
    /** Directory under dev/toolchain/ holding the Go module and build.sh. */
    module: string;
    /** Binaries build.sh installs into $PREFIX/bin. */
    binaries: string[];
    /** Where an existing installation may be found instead. */
    lookup: ("PATH" | "KUBEBUILDER_ASSETS")[];
    /**
     * The Go toolchain the module needs when the installed one is too old (GOTOOLCHAIN=goX.Y.Z: the go command
     * fetches it from the module proxy). Without it, the installed Go (GOTOOLCHAIN=local).
     */
    goToolchain?: string;
}

const RECIPES: Recipe[] = [
    { module: "pulumi", binaries: ["pulumi"], lookup: ["PATH"] },
    { module: "pulumi-resource-kubernetes", binaries: ["pulumi-resource-kubernetes"], lookup: ["PATH"] },
    { module: "pulumi-resource-random", binaries: ["pulumi-resource-random"], lookup: ["PATH"] },
    { module: "control-plane/etcd", binaries: ["etcd"], lookup: ["KUBEBUILDER_ASSETS", "PATH"] },
    { module: "control-plane/kubernetes", binaries: ["kube-apiserver", "kube-controller-manager"], lookup: ["PATH"] },
    { module: "actionlint", binaries: ["actionlint"], lookup: ["PATH"] },
    // A live Argo CD and its Redis (dev/controlPlane/argocd.ts), and the project's own argocd-judge built in the
    // same module from the same compiled packages (dev/toolchain/argocd/judge); never taken from PATH, since the
    // hack scripts and CRDs are installed next to the binaries. Argo CD v3.6 needs Go 1.27.
    {
        module: "argocd",
        binaries: ["argocd", "miniredis", "argocd-judge"],
        lookup: [],
        goToolchain: "go1.27.3",
    },
];

export interface Toolchain extends EngineTools {
    etcd: string;
    kubeApiServer: string;
    kubeControllerManager: string;
    actionlint: string;
    /** Reads cluster Secrets with the live Argo CD's own code (dev/toolchain/argocd/judge). */
    argocdJudge: string;
    /**
     * A live Argo CD's multi-call binary (dev/toolchain/argocd); bin/ beside it holds its command names, the
     * repo-server's scripts and miniredis, and its CRDs are in argocdCrdsDir.
     */
    argocd: string;
    /** The Redis a live Argo CD caches in. */
    miniredis: string;
}

/** Where dev/toolchain/argocd/build.sh puts Argo CD's CRDs, relative to the `argocd` binary it installs. */
export function argocdCrdsDir(argocd: string): string {
    return path.join(path.dirname(path.dirname(argocd)), "manifests", "crds");
}

export function cacheRoot(): string {
    return path.join(cacheDir(), "toolchain");
}

function versionOf(recipe: Recipe): string {
    const script = fs.readFileSync(path.join(TOOLS_DIR, recipe.module, "build.sh"), "utf8");
    const match = /^VERSION=(\S+)$/m.exec(script);
    if (!match) throw new Error(`dev/toolchain/${recipe.module}/build.sh does not set VERSION=`);
    return match[1].startsWith("v") ? match[1] : `v${match[1]}`;
}

/** Hash of everything that determines the build: a change to any of these files means a new cache entry. */
function fingerprint(recipe: Recipe): string {
    const hash = createHash("sha256");
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (/\.(go|mod|sum|sh)$/.test(entry.name))
                hash.update(path.relative(TOOLS_DIR, full)).update(fs.readFileSync(full));
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
        const dirs =
            where === "PATH"
                ? (process.env.PATH ?? "").split(path.delimiter)
                : process.env.KUBEBUILDER_ASSETS
                  ? [process.env.KUBEBUILDER_ASSETS]
                  : [];
        for (const dir of dirs) {
            const candidate = path.join(dir, binary);
            if (dir && isExecutable(candidate)) return candidate;
        }
    }
    return undefined;
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
        env: {
            ...process.env,
            PREFIX: staging,
            GOTOOLCHAIN: recipe.goToolchain ?? "local",
            GOFLAGS: "-buildvcs=false",
        },
        stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    const ticker = setInterval(
        () => log(`  still building ${recipe.binaries.join(", ")}: ${formatDuration(Date.now() - started)} so far`),
        30_000,
    );
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearInterval(ticker);
    if (code !== 0) {
        const tail = fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-30).join("\n");
        throw new Error(
            `building dev/toolchain/${recipe.module} failed (exit ${code}); last lines of ${logFile}:\n${tail}`,
        );
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    log(`built ${recipe.binaries.join(", ")} ${version} in ${formatDuration(Date.now() - started)}`);
}

/** Where a tool already is (on its lookup path or built in the cache), without building it: for tests. */
export function findTool(binary: string): string | undefined {
    const recipe = RECIPES.find((r) => r.binaries.includes(binary));
    if (!recipe) throw new Error(`no tool under dev/toolchain/ builds ${binary}`);
    const built = path.join(installDir(recipe), "bin", binary);
    return findExisting(recipe, binary) ?? (isExecutable(built) ? built : undefined);
}

/** Finds each recipe's binaries, building those that are missing. */
async function ensureRecipes(recipes: Recipe[], log: (line: string) => void): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const recipe of recipes) {
        const existing = recipe.binaries.map((b) => findExisting(recipe, b));
        if (existing.every((e) => e !== undefined)) {
            for (const [i, b] of recipe.binaries.entries()) found.set(b, existing[i]!);
            continue;
        }
        const dir = installDir(recipe);
        const binaries = recipe.binaries.map((b) => path.join(dir, "bin", b));
        if (!binaries.every(isExecutable)) await build(recipe, dir, log);
        for (const [i, b] of recipe.binaries.entries()) found.set(b, binaries[i]);
    }
    return found;
}

/** What the engine wrapper needs: the CLI and the providers. Recorded for it (engine/engineTools.ts). */
const ENGINE_RECIPES = RECIPES.filter((r) => r.module === "pulumi" || r.module.startsWith("pulumi-resource-"));

/** Finds or builds the Pulumi CLI and the providers, and records them for the engine wrapper. */
export async function ensureEngineTools(
    log: (line: string) => void = (l) => console.log(`[toolchain] ${l}`),
): Promise<EngineTools> {
    const found = await ensureRecipes(ENGINE_RECIPES, log);
    const plugin = (name: string): Plugin => {
        const recipe = RECIPES.find((r) => r.binaries.includes(`pulumi-resource-${name}`))!;
        return { name, version: versionOf(recipe).slice(1), binary: found.get(`pulumi-resource-${name}`)! };
    };
    const tools = { pulumi: found.get("pulumi")!, plugins: [plugin("kubernetes"), plugin("random")] };
    recordEngineTools(tools);
    return tools;
}

/** Finds or builds every tool; `log` receives progress lines. */
export async function ensureToolchain(
    log: (line: string) => void = (l) => console.log(`[toolchain] ${l}`),
): Promise<Toolchain> {
    const engine = await ensureEngineTools(log);
    const found = await ensureRecipes(
        RECIPES.filter((r) => !ENGINE_RECIPES.includes(r)),
        log,
    );
    const get = (b: string) => found.get(b)!;
    return {
        ...engine,
        etcd: get("etcd"),
        kubeApiServer: get("kube-apiserver"),
        kubeControllerManager: get("kube-controller-manager"),
        actionlint: get("actionlint"),
        argocdJudge: get("argocd-judge"),
        argocd: get("argocd"),
        miniredis: get("miniredis"),
    };
}

if (require.main === module) {
    const started = Date.now();
    const engineOnly = process.argv.includes("--engine");
    (engineOnly ? ensureEngineTools() : ensureToolchain())
        .then((toolchain) => {
            console.log(`[toolchain] ready in ${formatDuration(Date.now() - started)}:`);
            for (const [name, where] of Object.entries(toolchain)) {
                console.log(
                    `  ${name}: ${typeof where === "string" ? where : (where as Plugin[]).map((p) => `${p.name} ${p.version} ${p.binary}`).join(", ")}`,
                );
            }
        })
        .catch((err) => {
            console.error(`[toolchain] ${err.message}`);
            process.exit(1);
        });
}
