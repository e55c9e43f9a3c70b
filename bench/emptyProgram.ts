/**
 * Baseline (a), the engine's floor: exactly what `dist/tools/pulumi.js` does (find the toolchain, run the
 * real CLI once with the program served from this process, same engine settings), but with an inline program
 * that registers nothing. Whatever `pulumi.js` costs beyond this is the program and
 * its resources.
 *
 *   node dist/bench/emptyProgram.js <preview|up|destroy> --stack NAME --cwd DIR --state DIR [--result FILE]
 *
 * Needs PULUMI_CONFIG_PASSPHRASE, as pulumi.js does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { resourceChanges, runPulumi } from "../tools/engine";
import { ensureToolchain } from "../tools/toolchain";

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            stack: { type: "string" },
            cwd: { type: "string" },
            state: { type: "string" },
            result: { type: "string" },
        },
    });
    const operation = positionals[0];
    if (!["preview", "up", "destroy"].includes(operation) || !values.stack || !values.cwd || !values.state) {
        console.error("usage: emptyProgram.js <preview|up|destroy> --stack NAME --cwd DIR --state DIR [--result FILE]");
        return 2;
    }
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined) {
        console.error("set PULUMI_CONFIG_PASSPHRASE");
        return 2;
    }
    const toolchain = await ensureToolchain((line) => console.error(`[toolchain] ${line}`));
    const run = await runPulumi(operation === "preview" ? [operation] : [operation, "--yes"], {
        workDir: path.resolve(values.cwd),
        stack: values.stack,
        stateDir: path.resolve(values.state),
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE,
        pulumiBinary: toolchain.pulumi,
        plugins: toolchain.plugins,
        program: async () => ({}),
    });
    if (values.result) fs.writeFileSync(values.result, JSON.stringify(resourceChanges(run) ?? {}));
    return run.code;
}
main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(`error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        process.exit(1);
    },
);
