import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration } from "../../../stack/duration";
import { runTime } from "../../../stack/now";

const clock = () => new Date("2026-11-30T12:00:00Z");

describe("runTime: the run's now", () => {
    it("is the clock unless ARGOCD_CLUSTERS_NOW is set", () => {
        assert.equal(runTime({}, clock).toISOString(), "2026-11-30T12:00:00.000Z");
        assert.equal(runTime({ ARGOCD_CLUSTERS_NOW: "" }, clock).toISOString(), "2026-11-30T12:00:00.000Z");
    });

    it("reads ARGOCD_CLUSTERS_NOW as RFC 3339, zones included", () => {
        const now = (value: string) => runTime({ ARGOCD_CLUSTERS_NOW: value }, clock).toISOString();
        assert.equal(now("2027-01-01T02:00:00Z"), "2027-01-01T02:00:00.000Z");
        assert.equal(now("2027-01-01T03:00:00.5+01:00"), "2027-01-01T02:00:00.500Z");
    });

    it("refuses anything else, naming the variable", () => {
        for (const value of [
            "tomorrow",
            "2027-01-01",
            "2027-01-01 02:00:00Z",
            "2027-01-01T02:00:00",
            "2027-13-01T00:00:00Z",
        ]) {
            assert.throws(
                () => runTime({ ARGOCD_CLUSTERS_NOW: value }, clock),
                {
                    message:
                        `ARGOCD_CLUSTERS_NOW is ${JSON.stringify(value)}, not an RFC 3339 time; nothing was registered.\n` +
                        "  fix: write it as e.g. 2026-12-01T02:00:00Z, or unset ARGOCD_CLUSTERS_NOW to use the clock",
                },
                value,
            );
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
