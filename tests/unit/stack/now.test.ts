import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "../../../stack/duration";
import { runTime } from "../../../stack/now";

describe("runTime: the run's now", () => {
    it("is the machine's clock, whatever ARGOCD_CLUSTERS_NOW says (the product takes no clock from the environment)", () => {
        const saved = process.env.ARGOCD_CLUSTERS_NOW;
        try {
            for (const value of ["2031-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "next tuesday"]) {
                process.env.ARGOCD_CLUSTERS_NOW = value;
                const before = Date.now();
                const now = runTime().getTime();
                assert.ok(now >= before && now <= Date.now(), `${value}: ${new Date(now).toISOString()}`);
            }
        } finally {
            if (saved === undefined) delete process.env.ARGOCD_CLUSTERS_NOW;
            else process.env.ARGOCD_CLUSTERS_NOW = saved;
        }
    });
});

describe("parseDuration: Go's duration form", () => {
    it("reads what time.ParseDuration reads", () => {
        assert.equal(parseDuration("720h"), 720 * 3_600_000);
        assert.equal(parseDuration("168h30m"), (168 * 60 + 30) * 60_000);
        assert.equal(parseDuration("1.5h"), 90 * 60_000);
        assert.equal(parseDuration("90m"), 90 * 60_000);
        assert.equal(parseDuration("1h0m0s"), 3_600_000);
        assert.equal(parseDuration("500ms"), 500);
    });

    it("refuses what it refuses, and a sign (a period is positive)", () => {
        for (const text of ["", "720", "30d", "h", "-720h", "+1h", "720 h", "1h 30m", "1H"]) {
            assert.equal(parseDuration(text), undefined, text);
        }
    });
});
