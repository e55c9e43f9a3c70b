/**
 * `pulumi` for this project where no Node.js language host is installed (as on machines that build the CLI
 * from the Go module proxy): runs the real CLI with the program served from this process (engine/engine.ts).
 *
 *   node dist/engine/pulumi.js <preview|up|refresh|destroy|outputs|stack ...> --stack NAME [--cwd DIR]
 *        [--state DIR] [--result FILE] [any pulumi flag: --json, --policy-pack PATH, --diff, --refresh,
 *        --expect-no-changes, --continue-on-error, ...]
 *
 * Flags other than --stack, --cwd, --state and --result pass to the CLI unchanged, so this behaves like
 * `pulumi` itself (up and refresh get --yes, as in a pipeline). destroy never gets it: it runs none of the
 * program's checks (DESTROY_WARNING, said before it runs), so without --yes (or --preview-only) it is refused. `outputs` is `stack output --json`
 * (secrets masked). --result writes the run's resource changes (or the outputs) as JSON, for scripts and tests.
 * The exit code is the CLI's.
 *
 * Where the state is, and when to refuse (backendChoice): $PULUMI_BACKEND_URL when set (the backend the
 * stack lives in, used as is); --state DIR for a local file backend chosen on purpose (the sandbox, the tests);
 * both at once is refused, since one would silently override the other. With neither, a file backend in .state/
 * of --cwd. A preview, up, refresh or destroy of a stack whose state holds nothing is refused unless --first-run
 * says this is its first run or --state chose a local backend: against real clusters an empty state means
 * taking every object over anew, issuing new tokens and never revoking the old ones.
 *
 * A stack left locked by a run that was stopped (engine/stateLock.ts): the lock is removed, loudly, and the
 * command run again only when that run is provably over (its process on this machine is gone, or --only-writer
 * says this job is the stack's only writer); otherwise the refusal names the lock's holder and the fix.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { backendUrlOf, PROJECT_DIR, resourceChanges, runPulumi, stackHasResources } from "./engine";
import { findEngineTools } from "./engineTools";
import { abandonedBecause, age, lockRefusal, reportedLocks } from "./stateLock";

const USAGE =
    "usage: pulumi.js <preview|up|refresh|destroy|outputs|stack ...> --stack NAME [--cwd DIR] [--state DIR] [--first-run] [--only-writer] " +
    "[--result FILE] [pulumi flags]";
const OWN_OPTIONS = ["--stack", "--cwd", "--state", "--result"];
const OWN_SWITCHES = ["--first-run", "--only-writer"];

/** Splits our own options (`--x v` or `--x=v`) from the arguments meant for the CLI. */
export function splitArgs(argv: string[]): { own: Record<string, string>; cli: string[] } {
    const own: Record<string, string> = {};
    const cli: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        if (OWN_SWITCHES.includes(argv[i])) {
            own[argv[i].slice(2)] = "true";
            continue;
        }
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

/** The CLI's arguments for `cli` (our own options removed), with what to say first, or why not to run. */
export function cliArguments(cli: string[], tty: boolean): { args: string[]; warning?: string } | { refusal: string } {
    const args = cli[0] === "outputs" ? ["stack", "output", "--json", ...cli.slice(1)] : [...cli];
    // up and refresh run the program's checks (or change nothing on the clusters) and are answered yes, as in a
    // pipeline. destroy never is: the engine does not run the program on destroy, so nothing checks it.
    if (args[0] === "destroy") {
        if (!args.includes("--yes") && !args.includes("--preview-only")) {
            return {
                refusal:
                    `${DESTROY_WARNING}\nThe engine runs non-interactive here and asks nothing: pass --yes to delete them, or ` +
                    "--preview-only to see the list first. This wrapper never answers yes for a destroy.",
            };
        }
    } else if (["up", "update", "refresh"].includes(args[0]) && !args.includes("--yes")) args.push("--yes");
    if (
        ["up", "update", "refresh", "destroy", "preview"].includes(args[0]) &&
        !args.some((a) => a.startsWith("--color"))
    ) {
        args.push(tty ? "--color=auto" : "--color=never");
    }
    return args[0] === "destroy" ? { args, warning: DESTROY_WARNING } : { args };
}

/** What `destroy` does and, above all, does not check (docs/operations.md, Destroy a stack). */
export const DESTROY_WARNING =
    "destroy deletes every registration of the stack: each cluster Secret (Argo CD loses the cluster at once) and " +
    "the ServiceAccount, rights and token on each target. The engine does not run the program on destroy, so it " +
    "runs none of the program's checks: not the removal guard (Applications that still deploy to a cluster break, " +
    "and an ApplicationSet that loses it deletes its Applications), not the ownership or claim checks. To remove " +
    "clusters with those checks, delete their entries from the stack file and run up.";

/** Commands that read or change the stack's resources: refused on a stack without state unless told. */
const STATEFUL_COMMANDS = ["preview", "up", "update", "refresh", "destroy"];

export type BackendChoice = { stateDir: string; backendUrl?: string; emptyStateAllowed: boolean } | { refusal: string };

/** Which backend to run against, from --state, --first-run and $PULUMI_BACKEND_URL (see the header). */
export function backendChoice(
    own: Record<string, string>,
    configuredBackend: string | undefined,
    cwd: string,
): BackendChoice {
    const firstRun = own["first-run"] === "true";
    if (configuredBackend && own.state !== undefined) {
        return {
            refusal:
                `PULUMI_BACKEND_URL is set, and --state ${own.state} would run this stack against a local file backend ` +
                "instead, with a state of its own. Unset PULUMI_BACKEND_URL to use the local backend on purpose, or drop --state " +
                "to use the configured one.",
        };
    }
    if (configuredBackend) {
        return { stateDir: path.join(cwd, ".state"), backendUrl: configuredBackend, emptyStateAllowed: firstRun };
    }
    if (own.state !== undefined) return { stateDir: path.resolve(own.state), emptyStateAllowed: true };
    return { stateDir: path.join(cwd, ".state"), emptyStateAllowed: firstRun };
}

/**
 * Whether a missing stack may be created: in a local file backend, or on a first run. In a configured backend a
 * mistyped stack name (`outputs --stack stagin`) must fail, not leave an empty stack and a new stack file behind
 * that the pipelines would then pick up.
 */
export function mayCreateStack(choice: { backendUrl?: string; emptyStateAllowed: boolean }): boolean {
    return choice.backendUrl === undefined || choice.emptyStateAllowed;
}

function emptyStateRefusal(stack: string, backend: string): string {
    return (
        `stack ${stack} has no state in ${backend.replace(/\/\/[^/@]*@/, "//")}: run against real clusters, it would create ` +
        "every object anew (taking over what exists), issue new tokens and never revoke the old ones. Point " +
        "PULUMI_BACKEND_URL at the backend that holds the stack's state (pulumi login's URL), or, if this really is the " +
        "stack's first run, pass --first-run (scripts/up --stack NAME -- --first-run); for a local sandbox, pass --state DIR."
    );
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
    const built = cliArguments(cli, process.stdout.isTTY === true);
    if ("refusal" in built) {
        console.error(built.refusal);
        return 2;
    }
    if (built.warning) console.error(`warning: ${built.warning}`);
    const cwd = path.resolve(own.cwd ?? PROJECT_DIR);
    const choice = backendChoice(own, process.env.PULUMI_BACKEND_URL, cwd);
    if ("refusal" in choice) {
        console.error(choice.refusal);
        return 2;
    }
    const tools = findEngineTools();
    const options = {
        createStack: mayCreateStack(choice),
        workDir: cwd,
        stack: own.stack,
        stateDir: choice.stateDir,
        backendUrl: choice.backendUrl,
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE,
        pulumiBinary: tools.pulumi,
        plugins: tools.plugins,
    };
    if (STATEFUL_COMMANDS.includes(cli[0]) && !choice.emptyStateAllowed && !(await stackHasResources(options))) {
        console.error(emptyStateRefusal(own.stack, backendUrlOf(options)));
        return 2;
    }
    let run = await runPulumi(built.args, options);
    const locks = run.code === 0 ? [] : reportedLocks(`${run.stdout}\n${run.stderr}`);
    if (locks.length > 0) {
        const reasons = locks.map((lock) => abandonedBecause(lock, { onlyWriter: own["only-writer"] === "true" }));
        if (reasons.some((r) => r === undefined)) {
            console.error(lockRefusal(own.stack, locks));
            return run.code;
        }
        for (const [i, lock] of locks.entries())
            console.error(
                `warning: stack ${own.stack} was left locked by a run that was stopped before it could unlock: ` +
                    `${lock.holder} (pid ${lock.pid}) since ${lock.takenAt} (${age(lock.takenAt)}); that run is over: ` +
                    `${reasons[i]}. Removing its lock (pulumi cancel) and running ${cli[0]} again: it completes what ` +
                    "that run left undone; the engine lists the operations it left pending.",
            );
        const cancelled = await runPulumi(["cancel", "--yes"], options);
        if (cancelled.code !== 0) return cancelled.code;
        run = await runPulumi(built.args, options);
    }
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
