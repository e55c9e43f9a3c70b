/**
 * The registration summary's command line: `node dist/summary/summary.js [--stack NAME] [FILE.json ...]`
 * (no file, or "-": standard input), one Markdown section per file, exit 1 for input that is not a preview,
 * 2 for bad usage. scripts/preview runs it; README "Registration summary" says what it prints. The modules
 * beside it do the work; this file also re-exports what tests and other callers use.
 */
import * as fs from "node:fs";
import { NotAPreviewError, PreviewDigest, PreviewStep, parsePreview, ResourceState } from "./previewDigest";
import { sensitiveValues } from "./redaction";
import { SummaryOptions, summarizePreview } from "./report";

export {
    NotAPreviewError,
    PreviewDigest,
    PreviewStep,
    parsePreview,
    ResourceState,
    SummaryOptions,
    sensitiveValues,
    summarizePreview,
};

const USAGE = "usage: node dist/summary/summary.js [--stack NAME] [FILE.json ...]  (no file or -: read standard input)";

export function main(
    argv: string[],
    readStdin: () => string = () => fs.readFileSync(0, "utf8"),
): { code: number; out: string; err: string } {
    let stack: string | undefined;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack") {
            stack = argv[++i];
            if (!stack) return { code: 2, out: "", err: `--stack needs a name\n${USAGE}\n` };
        } else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
        else if (arg === "-h" || arg === "--help") return { code: 0, out: `${USAGE}\n`, err: "" };
        else if (arg.startsWith("-") && arg !== "-")
            return { code: 2, out: "", err: `unknown option ${arg}\n${USAGE}\n` };
        else files.push(arg);
    }
    if (files.length === 0) files.push("-");
    if (stack !== undefined && files.length > 1) {
        return {
            code: 2,
            out: "",
            err: `--stack names one stack: give one file (each file's stack is otherwise taken from its URNs)\n${USAGE}\n`,
        };
    }
    const sections: string[] = [];
    for (const file of files) {
        const where = file === "-" ? "standard input" : file;
        let text: string;
        try {
            text = file === "-" ? readStdin() : fs.readFileSync(file, "utf8");
        } catch (e) {
            return { code: 1, out: "", err: `cannot read ${where}: ${(e as Error).message}\n` };
        }
        try {
            sections.push(summarizePreview(parsePreview(text), { stack }));
        } catch (e) {
            if (!(e instanceof NotAPreviewError)) throw e;
            return {
                code: 1,
                out: "",
                err: `${where} is not the output of \`pulumi preview --json\`: ${e.message}\n${USAGE}\n`,
            };
        }
    }
    return { code: 0, out: sections.join("\n"), err: "" };
}

if (require.main === module) {
    const result = main(process.argv.slice(2));
    process.stdout.write(result.out);
    process.stderr.write(result.err);
    process.exitCode = result.code;
}
