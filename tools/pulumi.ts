/**
 * `pulumi` for this project where no Node.js language host is installed (as on machines that build the CLI
 * from the Go module proxy): runs preview, up, refresh, destroy or outputs on a stack of the project through
 * the Automation API, in its own process, streaming the engine's output.
 *
 *   node dist/tools/pulumi.js <preview|up|refresh|destroy|outputs> --stack NAME [--cwd DIR] [--state DIR]
 *        [--expect-no-changes] [--continue-on-error] [--refresh] [--diff] [--result FILE]
 *
 * State lives in a file backend under --state (default .state/ in --cwd), encrypted with
 * $PULUMI_CONFIG_PASSPHRASE. --result writes the operation's summary as JSON, for scripts and tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { openStack, PROJECT_DIR } from "./engine";
import { ensureToolchain } from "./toolchain";

const OPERATIONS = ["preview", "up", "refresh", "destroy", "outputs"] as const;
type Operation = (typeof OPERATIONS)[number];

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            stack: { type: "string" },
            cwd: { type: "string", default: PROJECT_DIR },
            state: { type: "string" },
            "expect-no-changes": { type: "boolean", default: false },
            "continue-on-error": { type: "boolean", default: false },
            refresh: { type: "boolean", default: false },
            diff: { type: "boolean", default: false },
            result: { type: "string" },
        },
    });
    const operation = positionals[0] as Operation;
    if (!OPERATIONS.includes(operation) || !values.stack) {
        console.error(`usage: pulumi.js <${OPERATIONS.join("|")}> --stack NAME [--cwd DIR] [--state DIR] [options]`);
        return 2;
    }
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined) {
        console.error("set PULUMI_CONFIG_PASSPHRASE: it encrypts the secrets in this stack's state");
        return 2;
    }
    const cwd = path.resolve(values.cwd!);
    const toolchain = await ensureToolchain((line) => console.error(`[toolchain] ${line}`));
    const stack = await openStack({
        workDir: cwd,
        stack: values.stack,
        stateDir: path.resolve(values.state ?? path.join(cwd, ".state")),
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE,
        pulumiBinary: toolchain.pulumi,
        plugins: toolchain.plugins,
    });
    const stream = { onOutput: (out: string) => process.stdout.write(out), onError: (err: string) => process.stderr.write(err) };
    const common = { ...stream, expectNoChanges: values["expect-no-changes"], refresh: values.refresh, diff: values.diff };
    let result: unknown;
    switch (operation) {
        case "preview":
            result = (await stack.preview(common)).changeSummary;
            break;
        case "up":
            result = (await stack.up({ ...common, continueOnError: values["continue-on-error"] })).summary.resourceChanges;
            break;
        case "refresh":
            result = (await stack.refresh({ ...stream, expectNoChanges: values["expect-no-changes"] })).summary.resourceChanges;
            break;
        case "destroy":
            result = (await stack.destroy({ ...stream, continueOnError: values["continue-on-error"] })).summary.resourceChanges;
            break;
        case "outputs":
            result = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
            console.log(JSON.stringify(result, null, 2));
            break;
    }
    if (values.result) fs.writeFileSync(values.result, JSON.stringify(result ?? {}));
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        // The engine's own output, streamed above, already holds the diagnostics; add only the verdict.
        const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
        console.error(`error: ${message}`);
        process.exit(1);
    },
);
