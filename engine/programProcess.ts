/**
 * Runs the program the way the Node.js language host (pulumi-language-nodejs) runs it: in a Node process of
 * its own, through the SDK's own entry `@pulumi/pulumi/cmd/run`, with the runtime options of Pulumi.yaml.
 * Machines that build the CLI from the Go module proxy have no language host, so the engine wrapper serves
 * this one over the language runtime protocol and hands its address to the CLI with `--client`. Importing the
 * program into the wrapper instead would run it differently from a stock CLI (the host calls the module's
 * export, never `exports.default`): what users run is what the tests run.
 *
 * Left out, as in the Automation API's own server: the monitor proxy and the synchronous-invoke pipes (the
 * program talks to the engine's monitor directly), the debugger and plugin discovery (the engine wrapper
 * provides the plugins).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

// The generated stubs ship inside @pulumi/pulumi without type declarations and must use the very grpc-js
// instance they were built against, so both are resolved from @pulumi/pulumi itself.
const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [SDK_DIR] }));
const languageRpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const languageProto = require("@pulumi/pulumi/proto/language_pb");
const pluginProto = require("@pulumi/pulumi/proto/plugin_pb");
const { grpcChannelOptions } = require("@pulumi/pulumi/runtime/settings");

/** The script pulumi-language-nodejs starts: `node [nodeargs] <it> --monitor ... <entry point>`. */
const CMD_RUN = path.join(SDK_DIR, "cmd", "run");
/** cmd/run's exit code for "the error is already in the engine's log": the host answers bail, not an error. */
const EXIT_AFTER_LOGGED_ERROR = 32;

/** What the language host reads from Pulumi.yaml: `main` and the runtime options it passes on. */
export interface ProgramSettings {
    /** The entry point, absolute: Pulumi.yaml's `main`, else its directory (then package.json's main). */
    entryPoint: string;
    nodeargs: string[];
    typescript: boolean;
    tsconfig?: string;
}

/** Reads `workDir`'s Pulumi.yaml; paths in it are relative to it, as for the CLI and the language host. */
export function programSettings(workDir: string): ProgramSettings {
    const project = (yaml.load(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8")) ?? {}) as {
        main?: unknown;
        runtime?: { options?: Record<string, unknown> } | string;
    };
    const options = typeof project.runtime === "object" ? (project.runtime.options ?? {}) : {};
    return {
        entryPoint: path.resolve(workDir, typeof project.main === "string" ? project.main : "."),
        nodeargs: typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [],
        // The host's default is on.
        typescript: options.typescript !== false,
        tsconfig: typeof options.tsconfig === "string" ? path.resolve(workDir, options.tsconfig) : undefined,
    };
}

/** The parts of the engine's RunRequest (generated protobuf, untyped in the SDK) that a run reads. */
interface RunRequest {
    getMonitorAddress(): string;
    getArgsList(): string[];
    getOrganization(): string;
    getProject(): string;
    getStack(): string;
    getPwd(): string;
    getDryrun(): boolean;
    getParallel(): number;
    getConfigMap(): { entries(): Iterable<[string, string]> };
    getConfigsecretkeysList(): string[];
    getInfo(): { getRootDirectory(): string; getProgramDirectory(): string } | undefined;
}

export interface ServedProgram {
    address: string;
    stop(): void;
}

/** The `cmd/run` command line for one run request, as the stock host builds it. */
function runArguments(request: RunRequest, settings: ProgramSettings, workDir: string): string[] {
    const args = [...settings.nodeargs, CMD_RUN];
    const flag = (name: string, value: unknown) => {
        if (value !== undefined && value !== "" && value !== 0) args.push(`--${name}`, String(value));
    };
    const info = request.getInfo();
    flag("monitor", request.getMonitorAddress());
    // With --client the CLI passes the engine's address as the first program argument.
    flag("engine", request.getArgsList()[0]);
    flag("organization", request.getOrganization());
    flag("project", request.getProject());
    flag("root-directory", info?.getRootDirectory() || workDir);
    flag("stack", request.getStack());
    flag("pwd", info?.getProgramDirectory() || request.getPwd() || workDir);
    if (request.getDryrun()) args.push("--dry-run");
    flag("parallel", request.getParallel());
    args.push(settings.entryPoint);
    return args;
}

function runEnvironment(request: RunRequest, settings: ProgramSettings): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(Object.fromEntries(request.getConfigMap().entries())),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.getConfigsecretkeysList()),
    };
    if (settings.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (settings.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = settings.tsconfig;
    return env;
}

/** Serves the language runtime protocol on a loopback port; each run starts the program in a new process. */
export async function serveProgramProcess(workDir: string, settings: ProgramSettings): Promise<ServedProgram> {
    const running = new Set<ChildProcess>();
    const service = {
        getRequiredPlugins(_call: unknown, callback: (err: Error | null, resp: unknown) => void) {
            const resp = new languageProto.GetRequiredPluginsResponse();
            resp.setPluginsList([]);
            callback(null, resp);
        },
        getPluginInfo(_call: unknown, callback: (err: Error | null, resp: unknown) => void) {
            const resp = new pluginProto.PluginInfo();
            resp.setVersion("1.0.0");
            callback(null, resp);
        },
        run(call: { request: RunRequest }, callback: (err: Error | null, resp: unknown) => void) {
            const args = runArguments(call.request, settings, workDir);
            // The program's own output goes to stderr: stdout carries the CLI's (`--json` must stay JSON).
            const child = spawn(process.execPath, args, {
                cwd: workDir,
                env: runEnvironment(call.request, settings),
                stdio: ["ignore", process.stderr, process.stderr],
            });
            running.add(child);
            child.on("close", (code, signal) => {
                running.delete(child);
                const resp = new languageProto.RunResponse();
                if (code === EXIT_AFTER_LOGGED_ERROR) resp.setBail(true);
                else if (code !== 0) resp.setError(`Program exited with non-zero exit code: ${code ?? signal}`);
                callback(null, resp);
            });
        },
    };
    const server = new grpc.Server(grpcChannelOptions);
    server.addService(languageRpc.LanguageRuntimeService, service);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) =>
            err ? reject(err) : resolve(p),
        ),
    );
    return {
        address: `127.0.0.1:${port}`,
        stop() {
            for (const child of running) child.kill("SIGKILL");
            server.forceShutdown();
        },
    };
}
