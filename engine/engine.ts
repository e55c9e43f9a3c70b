/**
 * Runs the real `pulumi` CLI on this project where no Node.js language host is installed (machines that build
 * the CLI from the Go module proxy). We serve the language runtime protocol on a loopback port and hand its
 * address to the CLI with `--client`, as the Automation API does; each run starts the program exactly as the
 * stock language host would (programProcess.ts). Unlike the Automation API we call the CLI exactly once per operation
 * (no `version`, `stack select`, `stack output` and `history` calls around it: about a second per run), and
 * every CLI flag passes through unchanged (`--json`, `--policy-pack`, `--diff`, ...).
 *
 * Engine settings: a file backend, a passphrase secrets provider, no update check, no plugin downloads when
 * the toolchain's plugins are there (they are linked into the plugin cache; engineTools.ts). The stack's configuration is the real
 * `Pulumi.<stack>.yaml` of `workDir`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type Plugin, provideDynamicProviderPlugin } from "./engineTools";
import { programSettings, serveProgramProcess } from "./programProcess";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export interface EngineOptions {
    /** Directory with Pulumi.yaml and the stack file. Default: the project. */
    workDir?: string;
    stack: string;
    /** Directory of the file backend (unless backendUrl is given) and of PULUMI_HOME. */
    stateDir: string;
    /** Whether a stack that does not exist yet is created. Default: yes. */
    createStack?: boolean;
    /** A backend configured elsewhere (PULUMI_BACKEND_URL): used as is, instead of the file backend in stateDir. */
    backendUrl?: string;
    passphrase: string;
    /** The pulumi binary, as `<root>/bin/pulumi`. */
    pulumiBinary: string;
    /** Provider plugins, placed in the engine's plugin cache. */
    plugins: Plugin[];
    /**
     * The program's entry point, run as the Node.js language host runs it (programProcess.ts). Default:
     * Pulumi.yaml's `main` in this project; the benchmark's baselines give programs of their own.
     */
    entryPoint?: string;
    /** Receives the CLI's stdout and stderr as they arrive. Default: this process's stdout and stderr. */
    onStdout?: (chunk: string) => void;
    onStderr?: (chunk: string) => void;
}

export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
    /** The engine's events (`--event-log`), one object per event; empty for commands that run no update. */
    // biome-ignore lint/suspicious/noExplicitAny: events are JSON of many shapes, read by path by their callers.
    events: Record<string, any>[];
}

/**
 * Links each plugin into PULUMI_HOME's plugin cache under the name the engine looks for
 * (`resource-<name>-v<version>`), so it is found like an installed plugin: no download, and no
 * "using ... from $PATH" warning on every operation.
 */
function installPlugins(home: string, plugins: Plugin[]): void {
    for (const plugin of plugins) {
        const dir = path.join(home, "plugins", `resource-${plugin.name}-v${plugin.version}`);
        const link = path.join(dir, `pulumi-resource-${plugin.name}`);
        fs.mkdirSync(dir, { recursive: true });
        if (fs.existsSync(link) && fs.realpathSync(link) === fs.realpathSync(plugin.binary)) continue;
        fs.rmSync(link, { force: true });
        fs.symlinkSync(plugin.binary, link);
    }
}

/**
 * The engine's environment: isolated state and plugins. With the toolchain's plugins nothing is fetched from
 * the network; a CLI found on PATH without them installs the providers it needs, as a stock CLI does.
 */
function engineEnv(options: EngineOptions, home: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        // Where engine/bin/pulumi-resource-pulumi-nodejs finds the SDK that serves the dynamic providers.
        ARGOCD_CLUSTERS_PROJECT_DIR: PROJECT_DIR,
        PULUMI_BACKEND_URL: backendUrlOf(options),
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: options.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        ...(options.plugins.length > 0 ? { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" } : {}),
        // Enables --event-log, as the Automation API does.
        PULUMI_DEBUG_COMMANDS: "true",
    };
}

/** The backend the engine will use: the configured one, else the file backend under stateDir. */
export function backendUrlOf(options: EngineOptions): string {
    return options.backendUrl ?? `file://${path.join(options.stateDir, "backend")}`;
}

/**
 * Whether the stack's state holds any resource. A file backend's checkpoint is read directly; any other
 * backend is asked with `pulumi stack export` (ciphertexts only: nothing is decrypted). A stack that does not
 * exist has no state.
 */
export async function stackHasResources(options: EngineOptions): Promise<boolean> {
    const workDir = options.workDir ?? PROJECT_DIR;
    const backend = backendUrlOf(options);
    if (backend.startsWith("file://")) {
        const project =
            /^name:\s*["']?([^"'\s#]+)/m.exec(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"))?.[1] ?? "";
        const checkpoint = path.join(
            backend.slice("file://".length),
            ".pulumi",
            "stacks",
            project,
            `${options.stack}.json`,
        );
        if (!fs.existsSync(checkpoint)) return false;
        const resources = JSON.parse(fs.readFileSync(checkpoint, "utf8"))?.checkpoint?.latest?.resources;
        return Array.isArray(resources) && resources.length > 0;
    }
    const home = path.join(options.stateDir, "home");
    const quiet = { ...options, onStdout: () => undefined, onStderr: () => undefined };
    const run = await exec(
        options.pulumiBinary,
        ["stack", "export", "--stack", options.stack, "--non-interactive"],
        workDir,
        engineEnv(options, home),
        quiet,
    );
    if (run.code !== 0) return false;
    const resources = JSON.parse(run.stdout)?.deployment?.resources;
    return Array.isArray(resources) && resources.length > 0;
}

function exec(
    binary: string,
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    options: EngineOptions,
): Promise<CliRun> {
    const onStdout = options.onStdout ?? ((s: string) => process.stdout.write(s));
    const onStderr = options.onStderr ?? ((s: string) => process.stderr.write(s));
    return new Promise((resolve, reject) => {
        const child = spawn(binary, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (s: string) => {
            stdout += s;
            onStdout(s);
        });
        child.stderr.setEncoding("utf8").on("data", (s: string) => {
            stderr += s;
            onStderr(s);
        });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, events: [] }));
    });
}

/** Creates the stack in the file backend the first time; later runs skip the extra CLI call. */
async function ensureStack(options: EngineOptions, workDir: string, env: NodeJS.ProcessEnv): Promise<void> {
    const project = /^name:\s*["']?([^"'\s#]+)/m.exec(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8"))?.[1];
    const checkpoint = path.join(
        options.stateDir,
        "backend",
        ".pulumi",
        "stacks",
        project ?? "",
        `${options.stack}.json`,
    );
    if (project && fs.existsSync(checkpoint)) return;
    const quiet = { ...options, onStdout: () => undefined, onStderr: () => undefined };
    const create = options.createStack ?? true;
    const run = await exec(
        options.pulumiBinary,
        ["stack", "select", ...(create ? ["--create"] : []), "--non-interactive", "--stack", options.stack],
        workDir,
        env,
        quiet,
    );
    if (run.code !== 0) {
        throw new Error(`could not ${create ? "create" : "select"} stack ${options.stack}: ${run.stderr.trim()}`);
    }
}

/**
 * Writes Pulumi.yaml into a work dir elsewhere (tests, sandbox, benchmark), which holds only the project file
 * and a stack file: the project's own, with `main` and the runtime's tsconfig pointing back at this project's
 * sources, since the CLI and the language host resolve both against the directory of Pulumi.yaml. `projectDir`:
 * another build of the project (an earlier release, for the upgrade tests).
 */
export function writeProjectFile(workDir: string, projectDir = PROJECT_DIR): void {
    const project = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        main?: unknown;
        runtime?: { options?: Record<string, unknown> };
    };
    const back = (file: string) => path.relative(workDir, path.join(projectDir, file));
    if (typeof project.main === "string") project.main = back(project.main);
    const options = project.runtime?.options;
    if (typeof options?.tsconfig === "string") options.tsconfig = back(options.tsconfig);
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), yaml.dump(project));
}

/** Commands that run the program (and so need it served). */
const PROGRAM_COMMANDS = new Set(["preview", "up", "update", "refresh", "destroy"]);

/**
 * Runs `pulumi <args>` on `options.stack`. For commands that run the program, the program is served as the
 * Node.js language host would run it (programProcess.ts) and `--event-log` captures the engine's events for
 * the caller (summaries, tests).
 */
export async function runPulumi(args: string[], options: EngineOptions): Promise<CliRun> {
    const workDir = options.workDir ?? PROJECT_DIR;
    fs.mkdirSync(path.join(options.stateDir, "backend"), { recursive: true });
    const home = path.join(options.stateDir, "home");
    installPlugins(home, options.plugins);
    try {
        provideDynamicProviderPlugin(options.pulumiBinary);
    } catch (err) {
        // Only programs with bound tokens need it; the CLI then says which plugin it misses.
        console.error(`warning: cannot place the dynamic provider plugin beside ${options.pulumiBinary}: ${err}`);
    }
    const env = engineEnv(options, home);
    await ensureStack(options, workDir, env);

    const command = args[0];
    const cliArgs = [...args, "--stack", options.stack, "--non-interactive"];
    if (!PROGRAM_COMMANDS.has(command)) return exec(options.pulumiBinary, cliArgs, workDir, env, options);

    const settings = programSettings(workDir);
    const served = await serveProgramProcess(
        workDir,
        options.entryPoint ? { ...settings, entryPoint: options.entryPoint } : settings,
    );
    const eventDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-events-"));
    const eventLog = path.join(eventDir, "events.jsonl");
    cliArgs.push(`--client=${served.address}`, "--exec-kind", "auto.inline", "--event-log", eventLog);
    let run: CliRun | undefined;
    try {
        run = await exec(options.pulumiBinary, cliArgs, workDir, env, options);
        return run;
    } finally {
        served.stop();
        if (run) run.events = readEvents(eventLog);
        fs.rmSync(eventDir, { recursive: true, force: true });
    }
}

function readEvents(file: string): CliRun["events"] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line));
}

/** The resource changes of the run's summary event (`{ create: 2, same: 3 }`), as the CLI counted them. */
export function resourceChanges(run: CliRun): Record<string, number> | undefined {
    return run.events.find((e) => e.summaryEvent)?.summaryEvent.resourceChanges;
}
