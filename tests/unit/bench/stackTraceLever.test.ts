/**
 * Lever (a) of the benchmark (index.ts): no stack traces are captured while the providers and registrations are
 * built, and the limit is restored afterwards, so the program's later errors keep their stacks. Measured in
 * bench/results.md; this proves the window opens and closes.
 */
import { runProgram } from "../../support/program";

// Every assignment to Error.stackTraceLimit while the program runs (the SDK raises it to Infinity and back
// around each resource's source position; those are left out below).
const original = Error.stackTraceLimit;
const assigned: number[] = [];
let limit = original;
Object.defineProperty(Error, "stackTraceLimit", {
    configurable: true,
    get: () => limit,
    set: (v: number) => {
        assigned.push(v);
        limit = v;
    },
});
const { mocks, result } = runProgram("staging");

import assert from "node:assert/strict";
import { describe, it } from "node:test";

describe("index.ts: stack traces while registering", () => {
    it("are off while the resources are registered, and the limit is restored after", async () => {
        const run = await result;
        assert.ok("outputs" in run, `the program failed: ${"error" in run ? run.error.message : ""}`);
        assert.ok(mocks.resources.length > 0);
        // Before the window the SDK restores its own raises to the original limit; then 0 until the window closes.
        const ours = assigned.filter((v) => v !== Number.POSITIVE_INFINITY);
        const opened = ours.indexOf(0);
        assert.ok(opened >= 0, `never set to 0: ${ours.join(", ")}`);
        assert.deepEqual(
            ours.slice(opened),
            [...ours.slice(opened, -1).map(() => 0), original],
            `assignments: ${ours.join(", ")}`,
        );
        assert.equal(Error.stackTraceLimit, original);
    });
});
