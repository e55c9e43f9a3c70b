/**
 * Baseline (a), the engine's floor: exactly what `dist/engine/pulumi.js` does (find the toolchain, run the
 * real CLI once with the program started as the language host starts it, same engine settings), but with a
 * program that registers nothing (programs/empty.ts). Whatever `pulumi.js` costs beyond this is the program and
 * its resources.
 *
 *   node dist/bench/emptyProgram.js <preview|up|destroy> --stack NAME --cwd DIR --state DIR [--result FILE]
 *        [--providers CONTEXT,... --kubeconfig FILE]
 *
 * With --providers the program registers one kubernetes provider per context and nothing else: the floor of
 * any program with one explicit provider per cluster, since the engine starts and configures every
 * provider's plugin process whether or not resources use it.
 *
 * Needs PULUMI_CONFIG_PASSPHRASE, as pulumi.js does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ensureToolchain } from "../dev/toolchain/toolchain";
import { resourceChanges, runPulumi } from "../engine/engine";

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            stack: { type: "string" },
            cwd: { type: "string" },
            state: { type: "string" },
            result: { type: "string" },
            providers: { type: "string" },
            kubeconfig: { type: "string" },
        },
    });
    const operation = positionals[0];
    if (
        !["preview", "up", "destroy"].includes(operation) ||
        !values.stack ||
        !values.cwd ||
        !values.state ||
        (values.providers && !values.kubeconfig)
    ) {
        console.error(
            "usage: emptyProgram.js <preview|up|destroy> --stack NAME --cwd DIR --state DIR [--result FILE] [--providers CONTEXT,... --kubeconfig FILE]",
        );
        return 2;
    }
    if (process.env.PULUMI_CONFIG_PASSPHRASE === undefined) {
        console.error("set PULUMI_CONFIG_PASSPHRASE");
        return 2;
    }
    if (values.providers) {
        // Read by programs/providersOnly.ts, which runs in the program's own process.
        process.env.BENCH_CONTEXTS = values.providers;
        process.env.BENCH_KUBECONFIG = path.resolve(values.kubeconfig!);
    }
    const toolchain = await ensureToolchain((line) => console.error(`[toolchain] ${line}`));
    const run = await runPulumi(operation === "preview" ? [operation] : [operation, "--yes"], {
        workDir: path.resolve(values.cwd),
        stack: values.stack,
        stateDir: path.resolve(values.state),
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE,
        pulumiBinary: toolchain.pulumi,
        plugins: toolchain.plugins,
        entryPoint: path.join(__dirname, "programs", values.providers ? "providersOnly.js" : "empty.js"),
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
