/**
 * engine/pulumi.ts, the fallback engine wrapper: which backend it runs against, and when it must refuse rather
 * than start a stack from an empty state (issue 11). End to end: tests/e2e/guardrails.e2e.test.ts step 4.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR } from "../../../engine/engine";
import { backendChoice, cliArguments, mayCreateStack, splitArgs } from "../../../engine/pulumi";

describe("engine/pulumi.ts backend choice", () => {
    const cwd = "/work/project";

    it("creates a missing stack in a local file backend or on a first run, never otherwise in a configured one", () => {
        const choice = (own: Record<string, string>, backend?: string) =>
            backendChoice(own, backend, cwd) as { backendUrl?: string; emptyStateAllowed: boolean };
        assert.equal(mayCreateStack(choice({}, "s3://bucket/argocd-clusters")), false);
        assert.equal(mayCreateStack(choice({ "first-run": "true" }, "s3://bucket/argocd-clusters")), true);
        assert.equal(mayCreateStack(choice({})), true);
        assert.equal(mayCreateStack(choice({ state: "/tmp/state" })), true);
    });

    it("uses a configured backend as is, and allows an empty state there only with --first-run", () => {
        assert.deepEqual(backendChoice({}, "s3://bucket/argocd-clusters", cwd), {
            stateDir: path.join(cwd, ".state"),
            backendUrl: "s3://bucket/argocd-clusters",
            emptyStateAllowed: false,
        });
        assert.equal(
            (backendChoice({ "first-run": "true" }, "s3://b", cwd) as { emptyStateAllowed: boolean }).emptyStateAllowed,
            true,
        );
    });

    it("refuses --state beside a configured backend instead of overriding it", () => {
        const choice = backendChoice({ state: "/tmp/s" }, "s3://bucket", cwd);
        assert.ok("refusal" in choice);
        assert.match(
            choice.refusal,
            /PULUMI_BACKEND_URL is set, and --state \/tmp\/s would run this stack against a local file backend/,
        );
    });

    it("takes an explicit --state as a local sandbox, and the implicit .state/ only with existing state or --first-run", () => {
        assert.deepEqual(backendChoice({ state: "/tmp/s" }, undefined, cwd), {
            stateDir: "/tmp/s",
            emptyStateAllowed: true,
        });
        assert.deepEqual(backendChoice({}, undefined, cwd), {
            stateDir: path.join(cwd, ".state"),
            emptyStateAllowed: false,
        });
        assert.deepEqual(backendChoice({}, "", cwd), { stateDir: path.join(cwd, ".state"), emptyStateAllowed: false });
    });

    it("reads --first-run as a switch, passing every other flag to the CLI", () => {
        assert.deepEqual(splitArgs(["up", "--first-run", "--stack", "production", "--diff"]), {
            own: { "first-run": "true", stack: "production" },
            cli: ["up", "--diff"],
        });
    });
});

describe("engine/pulumi.ts arguments for the CLI", () => {
    it("never answers yes for a destroy: without --yes it refuses, saying what destroy does not check", () => {
        const built = cliArguments(["destroy"], false);
        assert.ok("refusal" in built, JSON.stringify(built));
        assert.match(built.refusal, /runs none of the program's checks: not the removal guard/);
        assert.match(built.refusal, /pass --yes to delete them, or --preview-only to see the list first/);
    });

    it("warns before a destroy the user confirmed, and passes it on unchanged but for the color", () => {
        const built = cliArguments(["destroy", "--yes"], false);
        assert.ok("args" in built);
        assert.deepEqual(built.args, ["destroy", "--yes", "--color=never"]);
        assert.match(built.warning ?? "", /^destroy deletes every registration of the stack/);
        const preview = cliArguments(["destroy", "--preview-only"], false);
        assert.ok("args" in preview);
        assert.deepEqual(preview.args, ["destroy", "--preview-only", "--color=never"], "a preview-only needs no yes");
        assert.match(preview.warning ?? "", /removal guard/);
    });

    it("the wrapper itself refuses `destroy` without --yes before it starts anything (exit 2)", () => {
        const run = spawnSync(
            process.execPath,
            [
                path.join(PROJECT_DIR, "dist", "engine", "pulumi.js"),
                "destroy",
                "--stack",
                "nowhere",
                "--cwd",
                "/nonexistent",
            ],
            { env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "x" }, encoding: "utf8" },
        );
        assert.equal(run.status, 2, run.stderr);
        assert.match(run.stderr, /^destroy deletes every registration of the stack/);
        assert.match(run.stderr, /never answers yes for a destroy/);
    });

    it("answers yes for up and refresh, as a pipeline does, and adds nothing else", () => {
        for (const command of ["up", "update", "refresh"]) {
            assert.deepEqual(cliArguments([command], true), { args: [command, "--yes", "--color=auto"] });
        }
        assert.deepEqual(cliArguments(["preview", "--color=always"], false), { args: ["preview", "--color=always"] });
        assert.deepEqual(cliArguments(["outputs"], false), { args: ["stack", "output", "--json"] });
    });
});
