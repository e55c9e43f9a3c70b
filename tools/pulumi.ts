/**
 * `pulumi` for this project where no Node.js language host is installed (as on machines that build the CLI
 * from the Go module proxy): runs the real CLI with the program served from this process (tools/engine.ts).
 *
 *   node dist/tools/pulumi.js <preview|up|refresh|destroy|outputs|stack ...> --stack NAME [--cwd DIR]
 *        [--state DIR] [--result FILE] [any pulumi flag: --json, --policy-pack PATH, --diff, --refresh,
 *        --expect-no-changes, --continue-on-error, ...]
 *
 * Flags other than --stack, --cwd, --state and --result pass to the CLI unchanged, so this behaves like
 * `pulumi` itself (up, refresh and destroy get --yes, as in a pipeline). `outputs` is `stack output --json`
 * (secrets masked). State lives in a file backend under --state (default .state/ in --cwd), encrypted with
 * $PULUMI_CONFIG_PASSPHRASE. --result writes the run's resource changes (or the outputs) as JSON, for scripts and tests.
 * The exit code is the CLI's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR, resourceChanges, runPulumi } from "./engine";
import { ensureToolchain } from "./toolchain";

const USAGE = "usage: pulumi.js <preview|up|refresh|destroy|outputs|stack ...> --stack NAME [--cwd DIR] [--state DIR] [--result FILE] [pulumi flags]";
const OWN_OPTIONS = ["--stack", "--cwd", "--state", "--result"];

/** Splits our own options (`--x v` or `--x=v`) from the arguments meant for the CLI. */
export function splitArgs(argv: string[]): { own: Record<string, string>; cli: string[] } {
    const own: Record<string, string> = {};
    const cli: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        if (!OWN_OPTIONS.includes(flag)) {
            cli.push(argv[i]);
            continue;
        }
        const value = inline ?? argv[++i];
        if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
        own[flag.slice(2)] = value;
    }
    return { own, cli };
}

async function main(): Promise<number> {
    const { own, cli } = splitArgs(process.argv.slice(2));
    if (cli.length === 0 || cli[0].startsWith("-") || !own.stack) {
        console.error(USAGE);
        return 2;
    }
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined) {
        console.error("set PULUMI_CONFIG_PASSPHRASE: it encrypts the secrets in this stack's state");
        return 2;
    }
    const outputs = cli[0] === "outputs";
    if (outputs) cli.splice(0, 1, "stack", "output", "--json");
    if (["up", "update", "refresh", "destroy"].includes(cli[0]) && !cli.includes("--yes")) cli.push("--yes");
    if (["up", "update", "refresh", "destroy", "preview"].includes(cli[0]) && !cli.some((a) => a.startsWith("--color"))) {
        cli.push(process.stdout.isTTY ? "--color=auto" : "--color=never");
    }
    const cwd = path.resolve(own.cwd ?? PROJECT_DIR);
    const toolchain = await ensureToolchain((line) => console.error(`[toolchain] ${line}`));
    const run = await runPulumi(cli, {
        workDir: cwd,
        stack: own.stack,
        stateDir: path.resolve(own.state ?? path.join(cwd, ".state")),
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE,
        pulumiBinary: toolchain.pulumi,
        plugins: toolchain.plugins,
    });
    if (own.result && run.code === 0) {
        const result = outputs ? JSON.parse(run.stdout) : (resourceChanges(run) ?? {});
        fs.writeFileSync(own.result, JSON.stringify(result));
    }
    return run.code;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err) => {
            console.error(`error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
            process.exit(1);
        },
    );
}
