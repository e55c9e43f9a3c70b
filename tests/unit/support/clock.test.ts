/** The e2e harness's clock (tests/support/clock.ts): what a Node.js process started with it reads as "now". */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { movedClockEnv } from "../../support/clock";

const AT = Date.parse("2030-01-01T00:00:00Z");

/** What a process started with the moved clock reads, and what a node process it starts in turn reads. */
const PROBE = `
const { execFileSync } = require("node:child_process");
const child = execFileSync(process.execPath, ["-e", "process.stdout.write(String(Date.now()))"], { encoding: "utf8" });
process.stdout.write(JSON.stringify({
    now: Date.now(), created: new Date().getTime(), text: Date(), epoch: new Date(0).toISOString(),
    parsed: Date.parse("2026-01-01T00:00:00Z"), isDate: new Date() instanceof Date, child: Number(child),
}));`;

describe("the harness's moved clock", () => {
    it("starts Date.now(), new Date() and Date() at the given time in the process and in the node processes it starts", () => {
        const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clock-")), "clock.log");
        const env = { ...process.env, ...movedClockEnv("2030-01-01T00:00:00Z", process.env.NODE_OPTIONS, log) };
        const seen = JSON.parse(execFileSync(process.execPath, ["-e", PROBE], { env, encoding: "utf8" }));
        for (const key of ["now", "created", "child"]) {
            assert.ok(seen[key] >= AT && seen[key] < AT + 60_000, `${key}: ${new Date(seen[key]).toISOString()}`);
        }
        assert.match(seen.text, /^Tue Jan 01 2030 /);
        assert.equal(seen.epoch, "1970-01-01T00:00:00.000Z", "a given time is left as given");
        assert.equal(seen.parsed, Date.parse("2026-01-01T00:00:00Z"));
        assert.equal(seen.isDate, true);
        assert.equal(fs.readFileSync(log, "utf8").split("\n").filter(Boolean).length, 2, "both processes logged");
        assert.ok(Date.now() < AT, "this process is not moved");
    });

    it("refuses a value that is no time, naming the variable", () => {
        const env = { ...process.env, ...movedClockEnv("next tuesday", undefined) };
        const run = spawnSync(process.execPath, ["-e", "0"], { env, encoding: "utf8" });
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, /ARGOCD_CLUSTERS_TEST_CLOCK is "next tuesday", not a time/);
    });
});
