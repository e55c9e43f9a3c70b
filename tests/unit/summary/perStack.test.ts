/**
 * A sharded environment previews several stacks in one pipeline; their registration summaries stay apart, one
 * per stack: each summary's heading names its stack, and scripts/post-summary keeps one comment per stack (found
 * by the stack's marker line), so a rerun of one shard edits that shard's comment and no other. Proven against a
 * stand-in for the `gh` CLI that keeps the pull request's comments in a file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parsePreview, summarizePreview } from "../../../summary/summary";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const CAPTURED = path.join(ROOT, "tests", "fixtures", "previews");

/**
 * `gh api` as post-summary calls it, on comments kept in $FAKE_COMMENTS: list (with the --jq filter's marker),
 * POST a new comment, PATCH one by id. Every call is appended to $FAKE_CALLS.
 */
const FAKE_GH = `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const file = process.env.FAKE_COMMENTS;
const comments = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(args) + "\\n");
const body = () => fs.readFileSync(args[args.indexOf("-F") + 1].replace(/^body=@/, ""), "utf8");
const method = args.includes("--method") ? args[args.indexOf("--method") + 1] : "GET";
if (method === "GET") {
    const jq = args[args.indexOf("--jq") + 1];
    const marker = /startswith\\("(.*)"\\)/.exec(jq)[1];
    const bot = /\\.user\\.login == "([^"]+)"/.exec(jq)[1];
    for (const c of comments) if (c.user.login === bot && c.body.startsWith(marker)) console.log(c.id);
} else if (method === "POST") {
    comments.push({ id: 100 + comments.length, user: { login: "github-actions[bot]" }, body: body() });
} else if (method === "PATCH") {
    const id = Number(args.find((a) => a.includes("/issues/comments/")).split("/").pop());
    comments.find((c) => c.id === id).body = body();
}
fs.writeFileSync(file, JSON.stringify(comments));
`;

describe("summaries of several stacks in one pull request", () => {
    it("each summary's heading names its stack", () => {
        const digest = parsePreview(fs.readFileSync(path.join(CAPTURED, "create.json"), "utf8"));
        for (const stack of ["production-eu", "production-us"]) {
            assert.match(summarizePreview(digest, { stack }), new RegExp(`^\\*\\*${stack}\\*\\*`));
        }
    });

    it("scripts/post-summary keeps one comment per stack and edits only that stack's on a rerun", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "post-summary-"));
        try {
            fs.mkdirSync(path.join(dir, "bin"));
            fs.writeFileSync(path.join(dir, "bin", "gh"), FAKE_GH, { mode: 0o755 });
            const comments = path.join(dir, "comments.json");
            // Someone else's comment carrying a marker must never be edited.
            fs.writeFileSync(
                comments,
                JSON.stringify([
                    {
                        id: 1,
                        user: { login: "someone" },
                        body: "<!-- argocd-clusters summary: production-eu -->\nmine",
                    },
                ]),
            );
            const post = (stack: string, text: string) => {
                const file = path.join(dir, `${stack}.md`);
                fs.writeFileSync(file, text);
                const run = spawnSync(path.join(ROOT, "scripts", "post-summary"), ["--stack", stack, file], {
                    encoding: "utf8",
                    env: {
                        ...process.env,
                        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
                        GITHUB_ACTIONS: "true",
                        GITLAB_CI: "",
                        GH_TOKEN: "unused",
                        PR_NUMBER: "7",
                        GITHUB_REPOSITORY: "org/repo",
                        FAKE_COMMENTS: comments,
                        FAKE_CALLS: path.join(dir, "calls"),
                    },
                });
                assert.equal(run.status, 0, run.stderr);
            };
            const bodies = () =>
                (JSON.parse(fs.readFileSync(comments, "utf8")) as { id: number; body: string }[]).map((c) => [
                    c.id,
                    c.body,
                ]);

            post("production-eu", "**production-eu**: 1 to create\n");
            post("production-us", "**production-us**: 1 to create\n");
            post("production-eu", "**production-eu**: no changes.\n");
            assert.deepEqual(bodies(), [
                [1, "<!-- argocd-clusters summary: production-eu -->\nmine"],
                [101, "<!-- argocd-clusters summary: production-eu -->\n**production-eu**: no changes.\n"],
                [102, "<!-- argocd-clusters summary: production-us -->\n**production-us**: 1 to create\n"],
            ]);
            const calls = fs
                .readFileSync(path.join(dir, "calls"), "utf8")
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l));
            assert.deepEqual(
                calls.filter((c: string[]) => c.includes("--method")).map((c: string[]) => c.slice(1, 4)),
                [
                    ["--method", "POST", "repos/org/repo/issues/7/comments"],
                    ["--method", "POST", "repos/org/repo/issues/7/comments"],
                    ["--method", "PATCH", "repos/org/repo/issues/comments/101"],
                ],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
