/**
 * Where the engine wrapper finds the Pulumi CLI and the provider plugins. It never builds anything: a preview
 * must not start by compiling etcd and kube-apiserver. The project's toolchain (dev/toolchain), which builds
 * the CLI and the providers from the Go module proxy, records what it built in ENGINE_TOOLS_FILE; a CLI on
 * PATH is used otherwise, and it installs its plugins itself as a stock CLI does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A resource provider plugin, as the engine's plugin cache names it. */
export interface Plugin {
    name: string;
    version: string;
    binary: string;
}

export interface EngineTools {
    pulumi: string;
    /** Placed in the engine's plugin cache; empty when the CLI is to install its own. */
    plugins: Plugin[];
}

/** The project's cache directory: the toolchain's builds and, beside them, the record of the engine's tools. */
export function cacheDir(): string {
    return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "argocd-clusters");
}

export function engineToolsFile(): string {
    return path.join(cacheDir(), "engine-tools.json");
}

export function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/** Written by the toolchain after it built (or found) the CLI and the providers. */
export function recordEngineTools(tools: EngineTools): void {
    fs.mkdirSync(cacheDir(), { recursive: true });
    fs.writeFileSync(engineToolsFile(), `${JSON.stringify(tools, null, 2)}\n`);
}

export const NO_ENGINE =
    "no Pulumi CLI found: install the pinned release (scripts/install-pulumi) and put it on PATH, or build the " +
    "project's own CLI and providers from the Go module proxy (npm run toolchain; about 20 minutes the first time)";

/** The toolchain's record when every binary in it still exists, else the `pulumi` on PATH. */
export function findEngineTools(env: NodeJS.ProcessEnv = process.env): EngineTools {
    const recorded = readRecord();
    if (recorded) return recorded;
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        const candidate = path.join(dir, "pulumi");
        if (dir && isExecutable(candidate)) return { pulumi: candidate, plugins: [] };
    }
    throw new Error(NO_ENGINE);
}

function readRecord(): EngineTools | undefined {
    let tools: EngineTools;
    try {
        tools = JSON.parse(fs.readFileSync(engineToolsFile(), "utf8"));
    } catch {
        return undefined;
    }
    const binaries = [tools.pulumi, ...(tools.plugins ?? []).map((p) => p.binary)];
    return binaries.every((b) => typeof b === "string" && isExecutable(b)) ? tools : undefined;
}

/** The name of the dynamic provider plugin a Pulumi CLI release ships beside `pulumi`. */
export const DYNAMIC_PROVIDER_PLUGIN = "pulumi-resource-pulumi-nodejs";

/** This project's copy (engine/bin), for CLIs built from the Go modules, which come without it. */
export const OWN_DYNAMIC_PROVIDER_PLUGIN = path.resolve(
    __dirname,
    "..",
    "..",
    "engine",
    "bin",
    DYNAMIC_PROVIDER_PLUGIN,
);

/**
 * Puts the dynamic provider plugin beside the CLI, where the CLI looks for its bundled plugins (after PATH, but
 * a plugin found on PATH is used with a warning on every run), unless one is already there, as in a release.
 * Written to a temporary name and renamed: engines running at once see either none or the whole script.
 */
export function provideDynamicProviderPlugin(pulumiBinary: string): void {
    const target = path.join(path.dirname(fs.realpathSync(pulumiBinary)), DYNAMIC_PROVIDER_PLUGIN);
    const wanted = fs.readFileSync(OWN_DYNAMIC_PROVIDER_PLUGIN, "utf8");
    if (isExecutable(target) && !isOurs(target, wanted)) return;
    if (isExecutable(target) && fs.readFileSync(target, "utf8") === wanted) return;
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, wanted, { mode: 0o755 });
    fs.renameSync(temporary, target);
}

/** A release's own plugin is left alone; an older copy of ours is replaced. */
function isOurs(file: string, wanted: string): boolean {
    const firstLines = (text: string) => text.split("\n").slice(0, 3).join("\n");
    return firstLines(fs.readFileSync(file, "utf8")) === firstLines(wanted);
}
