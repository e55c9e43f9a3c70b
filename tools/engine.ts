/**
 * Drives the real Pulumi engine on this project through the Automation API. The program runs in this Node
 * process (an inline program that loads the compiled index.js), so no Node.js language host binary is needed;
 * the stack's configuration is the real `Pulumi.<stack>.yaml` of `workDir`. Engine settings: a file backend,
 * a passphrase secrets provider, no update check, no plugin downloads (the toolchain's plugins are linked into
 * the plugin cache).
 */
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import { Plugin } from "./toolchain";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const COMPILED_DIR = path.join(PROJECT_DIR, "dist");

export interface EngineOptions {
    /** Directory with Pulumi.yaml and the stack file. Default: the project. */
    workDir?: string;
    stack: string;
    /** Directory of the file backend and PULUMI_HOME. */
    stateDir: string;
    passphrase: string;
    /** The pulumi binary, as `<root>/bin/pulumi`. */
    pulumiBinary: string;
    /** Provider plugins, placed in the engine's plugin cache. */
    plugins: Plugin[];
    /** The inline program to run. Default: this project's compiled index.js, loaded afresh on every run. */
    program?: () => Promise<Record<string, unknown>>;
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
 * Loads the compiled program afresh: the engine may run it several times in one process (preview, then up),
 * and Node's module cache would otherwise skip registering its resources the second time.
 */
async function program(): Promise<Record<string, unknown>> {
    for (const key of Object.keys(require.cache)) {
        if (key.startsWith(COMPILED_DIR) && !key.includes(`${path.sep}tools${path.sep}`)) delete require.cache[key];
    }
    // A configuration error must be thrown, never logged and swallowed: a program that returns without
    // registering anything tells the engine to delete every resource of the stack.
    return { ...require(path.join(COMPILED_DIR, "index.js")) };
}

export async function openStack(options: EngineOptions): Promise<Stack> {
    fs.mkdirSync(path.join(options.stateDir, "backend"), { recursive: true });
    const home = path.join(options.stateDir, "home");
    installPlugins(home, options.plugins);
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(options.pulumiBinary)), skipVersionCheck: true });
    const envVars: Record<string, string> = {
        PULUMI_BACKEND_URL: `file://${path.join(options.stateDir, "backend")}`,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: options.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const workspace = await LocalWorkspace.create({
        workDir: options.workDir ?? PROJECT_DIR,
        program: options.program ?? program,
        pulumiCommand,
        envVars,
    });
    return Stack.createOrSelect(options.stack, workspace);
}
