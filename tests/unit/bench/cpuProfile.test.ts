/**
 * bench/cpuProfile.ts: self time is attributed by the samples' time deltas, to the package a frame's file is in;
 * idle time is left out.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { frameOwner, summarize } from "../../../bench/cpuProfile";

describe("bench/cpuProfile.ts", () => {
    it("names a frame's owner", () => {
        assert.equal(frameOwner("file:///p/node_modules/@pulumi/pulumi/runtime/rpc.js", "f"), "@pulumi/pulumi");
        assert.equal(frameOwner("file:///p/node_modules/google-protobuf/x.js", "f"), "google-protobuf");
        assert.equal(frameOwner("node:internal/timers", "f"), "node internals");
        assert.equal(frameOwner("file:///p/components/providers.ts", "f"), "the program (its own files)");
        assert.equal(frameOwner("", "(garbage collector)"), "(garbage collector)");
    });

    it("sums self time per package and per function, without idle", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cpuprofile-")), "a.cpuprofile");
        const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
        fs.writeFileSync(
            file,
            JSON.stringify({
                nodes: [
                    { id: 1, callFrame: frame("(root)", "") },
                    { id: 2, callFrame: frame("register", "file:///p/node_modules/@pulumi/pulumi/resource.js") },
                    { id: 3, callFrame: frame("main", "file:///p/index.ts") },
                    { id: 4, callFrame: frame("(idle)", "") },
                ],
                samples: [2, 3, 2, 4],
                timeDeltas: [1000, 2000, 3000, 50000],
                startTime: 0,
                endTime: 56000,
            }),
        );
        const s = summarize(file);
        assert.equal(s.totalMs, 6);
        assert.deepEqual(s.byPackage, [
            { name: "@pulumi/pulumi", ms: 4 },
            { name: "the program (its own files)", ms: 2 },
        ]);
        assert.equal(s.topFunctions[0].name, "register resource.js:10 [@pulumi/pulumi]");
    });
});
