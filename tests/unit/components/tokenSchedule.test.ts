/** The rotation decision with "now" moved: pure, so no test waits for a period to pass. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    absentTokenKind,
    boundTokenSchedule,
    CLOCK_TOLERANCE_MS,
    clockBehindState,
    NEW_STACK_TOKEN,
    renewsAt,
    tokenSchedule,
} from "../../../components/tokenSchedule";
import type { TokenSpec } from "../../../stack/settings";
import { clusterSpec } from "../../support/fixtures";

const HOUR = 3_600_000;
const every720h: TokenSpec = { kind: "secret", rotateEvery: { text: "720h", ms: 720 * HOUR } };
const issued = "2026-11-01T00:00:00Z";
const at = (iso: string) => new Date(iso);

describe("tokenSchedule", () => {
    it("without rotateEvery there is no schedule: only tokenRotation replaces the token", () => {
        assert.equal(
            tokenSchedule({ kind: "secret" }, "1", { tokenIssuedAt: issued, tokenRotation: "1" }, at(issued)),
            undefined,
        );
    });

    it("a registration with no recorded issue time gets a token issued now", () => {
        assert.deepEqual(tokenSchedule(every720h, "", undefined, at("2026-11-30T18:33:50.123Z")), {
            issuedAt: "2026-11-30T18:33:50Z",
            rotatesAt: "2026-12-30T18:33:50Z",
            renewal: "first",
        });
    });

    it("before the period has passed, keeps the recorded token and times", () => {
        const last = { tokenIssuedAt: issued, tokenRotation: "" };
        for (const now of ["2026-11-01T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-30T23:59:59.999Z"]) {
            assert.deepEqual(
                tokenSchedule(every720h, "", last, at(now)),
                { issuedAt: issued, rotatesAt: "2026-12-01T00:00:00Z", renewal: undefined },
                now,
            );
        }
    });

    it("at or past the rotation time, issues a new token now (a missed run only rotates later)", () => {
        const last = { tokenIssuedAt: issued, tokenRotation: "" };
        assert.deepEqual(tokenSchedule(every720h, "", last, at("2026-12-01T00:00:00Z")), {
            issuedAt: "2026-12-01T00:00:00Z",
            rotatesAt: "2026-12-31T00:00:00Z",
            renewal: "due",
        });
        assert.deepEqual(tokenSchedule(every720h, "", last, at("2027-03-01T12:00:00Z")), {
            issuedAt: "2027-03-01T12:00:00Z",
            rotatesAt: "2027-03-31T12:00:00Z",
            renewal: "due",
        });
    });

    it("a new tokenRotation issues a new token now, and the period starts again", () => {
        const last = { tokenIssuedAt: issued, tokenRotation: "2026-11" };
        assert.deepEqual(tokenSchedule(every720h, "2026-12", last, at("2026-11-10T00:00:00Z")), {
            issuedAt: "2026-11-10T00:00:00Z",
            rotatesAt: "2026-12-10T00:00:00Z",
            renewal: "tokenRotation",
        });
    });

    it("a shorter rotateEvery moves the rotation time of the current token", () => {
        const every168h: TokenSpec = { kind: "secret", rotateEvery: { text: "168h", ms: 168 * HOUR } };
        const last = { tokenIssuedAt: issued, tokenRotation: "" };
        assert.deepEqual(tokenSchedule(every168h, "", last, at("2026-11-05T00:00:00Z")), {
            issuedAt: issued,
            rotatesAt: "2026-11-08T00:00:00Z",
            renewal: undefined,
        });
        assert.equal(tokenSchedule(every168h, "", last, at("2026-11-08T00:00:00Z"))?.renewal, "due");
    });
});

describe("boundTokenSchedule", () => {
    const bound: TokenSpec = NEW_STACK_TOKEN; // lifetime 720h, renewBefore 168h
    const expires = "2030-01-31T00:00:00Z";
    const renews = "2030-01-24T00:00:00Z"; // expires - 168h
    const recorded = {
        tokenKind: "bound",
        tokenIssuedAt: "2030-01-01T00:00:00Z",
        tokenExpiresAt: expires,
        tokenLifetime: "720h",
        tokenRotation: "1",
    };

    it("a new registration gets a token issued now", () => {
        assert.deepEqual(boundTokenSchedule(bound, "1", undefined, at("2030-01-01T00:00:00.900Z")), {
            issuedAt: "2030-01-01T00:00:00Z",
            renewal: "first",
        });
    });

    it("before expiry minus renewBefore it keeps the recorded token: the run is a no-op", () => {
        assert.deepEqual(boundTokenSchedule(bound, "1", recorded, at("2030-01-23T23:59:59Z")), {
            issuedAt: recorded.tokenIssuedAt,
            expiresAt: expires,
        });
    });

    it("from expiry minus renewBefore on, including after expiry, it renews", () => {
        for (const now of [renews, "2030-01-30T00:00:00Z", "2030-06-01T00:00:00Z"]) {
            assert.deepEqual(boundTokenSchedule(bound, "1", recorded, at(now)), {
                issuedAt: rfc(now),
                renewal: "due",
            });
        }
    });

    it("a new tokenRotation, a new lifetime or another recorded kind renews at once", () => {
        const early = at("2030-01-02T00:00:00Z");
        assert.equal(boundTokenSchedule(bound, "2", recorded, early).renewal, "tokenRotation");
        assert.equal(boundTokenSchedule(bound, "1", { ...recorded, tokenLifetime: "24h" }, early).renewal, "lifetime");
        assert.equal(
            boundTokenSchedule(bound, "1", { ...recorded, tokenLifetime: "43200m" }, early).renewal,
            undefined,
            "the same lifetime written otherwise is no change",
        );
        assert.equal(boundTokenSchedule(bound, "1", { tokenRotation: "1" }, early).renewal, "kind");
        assert.equal(boundTokenSchedule(bound, "1", { ...recorded, tokenKind: "secret" }, early).renewal, "kind");
        assert.equal(
            boundTokenSchedule(bound, "1", { ...recorded, tokenExpiresAt: undefined }, early).renewal,
            "first",
            "an unknown expiry is renewed rather than trusted",
        );
    });

    it("renewsAt is expiry minus renewBefore; an expiry that is no time is an error, never a silent date", () => {
        assert.equal(renewsAt(expires, 168 * HOUR), renews);
        assert.throws(() => renewsAt("soon", HOUR), /not a time/);
    });
});

describe("tokenSchedule after a bound token", () => {
    it("a registration moving from bound to secret with rotateEvery starts its period now", () => {
        const every: TokenSpec = { kind: "secret", rotateEvery: { text: "720h", ms: 720 * HOUR } };
        const last = { tokenKind: "bound", tokenIssuedAt: "2030-01-01T00:00:00Z", tokenRotation: "1" };
        assert.deepEqual(tokenSchedule(every, "1", last, at("2030-01-10T00:00:00Z")), {
            issuedAt: "2030-01-10T00:00:00Z",
            rotatesAt: "2030-02-09T00:00:00Z",
            renewal: "first",
        });
    });
});

describe("absentTokenKind: the kind entries without a token get", () => {
    it("bound for a new stack, secret for a stack whose registrations predate kinds, then what was recorded", () => {
        assert.equal(absentTokenKind({ registrations: [] }), "bound");
        assert.equal(absentTokenKind({ registrations: [{}] }), "secret");
        assert.equal(absentTokenKind({ tokenDefault: "bound", registrations: [{}] }), "bound");
        assert.equal(absentTokenKind({ tokenDefault: "secret", registrations: [] }), "secret");
    });
});

function rfc(iso: string): string {
    return new Date(iso).toISOString().replace(".000Z", "Z");
}

describe("clockBehindState: up refuses a clock that runs behind what the state records", () => {
    const now = at("2026-12-01T00:00:00Z");
    const secret = clusterSpec({ token: every720h, tokenRotation: "1" });
    const bound = clusterSpec({ token: NEW_STACK_TOKEN, tokenRotation: "1" });
    const future = "2030-01-01T00:00:00Z";
    const recordedSecret = { tokenIssuedAt: future, tokenRotation: "1", tokenKind: "secret" };
    const recordedBound = {
        tokenIssuedAt: future,
        tokenRotation: "1",
        tokenKind: "bound",
        tokenExpiresAt: "2026-12-20T00:00:00Z",
        tokenLifetime: "720h",
    };

    it("refuses a kept issue time after now, naming the entry, both times and the fix", () => {
        const problems = clockBehindState([secret], () => recordedSecret, now);
        assert.deepEqual(problems, [
            {
                path: "argocd-clusters:clusters[0]",
                message:
                    'cluster "production": the state records its token as issued at 2030-01-01T00:00:00Z, after this ' +
                    "machine's clock (2026-12-01T00:00:00Z): with the clock behind, its renewal would come late, or after it expired",
                fix:
                    "set this machine's clock right; if the recorded time is the wrong one (an earlier up ran with a moved " +
                    'clock), give the entry a new tokenRotation (now "1"): its token is then issued anew at the real time',
            },
        ]);
        assert.equal(clockBehindState([bound], () => recordedBound, now).length, 1, "bound tokens alike");
    });

    it("lets through what this run issues anew, a clock within the tolerance, and entries without a record", () => {
        const none = (c: typeof secret, r: object | undefined, when = now) =>
            assert.deepEqual(
                clockBehindState([c], () => r, when),
                [],
            );
        none({ ...secret, tokenRotation: "2" }, recordedSecret);
        none({ ...bound, tokenRotation: "2" }, recordedBound);
        none(bound, recordedSecret, now); // another kind: a new token
        none(bound, recordedBound, at("2026-12-14T00:00:00Z")); // due: expiry minus renewBefore has come
        none({ ...secret, retire: true }, recordedSecret);
        none(secret, undefined);
        none(secret, { ...recordedSecret, tokenIssuedAt: new Date(now.getTime() + CLOCK_TOLERANCE_MS).toISOString() });
        none(clusterSpec({ token: { kind: "secret" } }), recordedSecret);
    });
});
