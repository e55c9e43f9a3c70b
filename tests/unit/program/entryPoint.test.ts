/**
 * The Node.js language host (@pulumi/pulumi/cmd/run) requires the program and calls its export when it is a
 * function; a CommonJS module whose function is only `exports.default` is taken as a map of stack outputs and
 * runs nothing. End to end, every e2e test runs the program through cmd/run (engine/programProcess.ts).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";

describe("the program's entry point", () => {
    it("exports the program itself, a function, as the language host expects", () => {
        const exported = require(path.resolve(__dirname, "..", "..", "..", "index.js"));
        assert.equal(typeof exported, "function");
        assert.equal(exported.default, undefined);
    });
});
