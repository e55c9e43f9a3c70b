/**
 * engine/pulumi.ts, the fallback engine wrapper: which backend it runs against, and when it must refuse rather
 * than start a stack from an empty state (issue 11). End to end: tests/e2e/guardrails.e2e.test.ts step 4.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { backendChoice, mayCreateStack, splitArgs } from "../../../engine/pulumi";

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
