/**
 * The health report's verdict on a token's time left (health/tokenLifetime.ts), from fixture annotations (the
 * token kinds' contract) and claims, with "now" moved by the test: when it warns, when it fails, and that the
 * token's own exp wins over an edited annotation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TOKEN_EXPIRES_AT_ANNOTATION, TOKEN_KIND_ANNOTATION, TOKEN_RENEWS_AT_ANNOTATION } from "../../../argocd/names";
import type { CheckResult } from "../../../components/connectionCheck";
import type { DecodedClusterSecret } from "../../../health/clusterSecrets";
import { registrationReport } from "../../../health/registrationReport";
import { tokenAgeCell } from "../../../health/table";
import type { TokenClaims } from "../../../health/tokenClaims";
import { DEFAULT_WARN_WITHIN_SECONDS, tokenLifetime } from "../../../health/tokenLifetime";
import { main } from "../../../health/verify";
import { clusterSpec } from "../../support/fixtures";

const H = 3_600;
const D = 24 * H;
/** 2027-01-15T08:00:00Z: the token below was issued then, for 30 days, renewed 7 days before. */
const ISSUED = Date.parse("2027-01-15T08:00:00Z") / 1000;
const EXPIRES = ISSUED + 30 * D;
const RENEWS = EXPIRES - 7 * D;
const at = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

const BOUND = {
    [TOKEN_KIND_ANNOTATION]: "bound",
    [TOKEN_EXPIRES_AT_ANNOTATION]: at(EXPIRES),
    [TOKEN_RENEWS_AT_ANNOTATION]: at(RENEWS),
};
const BOUND_CLAIMS = { issuedAt: ISSUED, expiresAt: EXPIRES, serviceAccount: "kube-system/argocd-manager" };
const SECRET = {
    [TOKEN_KIND_ANNOTATION]: "secret",
    "argocd-clusters/token-issued-at": at(ISSUED),
    "argocd-clusters/token-rotates-at": at(ISSUED + 30 * D),
};
/** A legacy Secret token: no iat, no exp. */
const LEGACY_CLAIMS = { serviceAccount: "kube-system/argocd-manager", tokenSecret: "argocd-manager-token-0a1b" };
const LIMITS = { warnWithin: DEFAULT_WARN_WITHIN_SECONDS, failWithin: 0 };

function verdict(annotations: Record<string, string>, claims: object | undefined, now: number, failWithin = 0) {
    return tokenLifetime('cluster "alpha"', annotations, claims, now, { ...LIMITS, failWithin });
}

describe("a bound token's time left", () => {
    it("inside its lifetime and before renews-at: nothing to say, the times reported", () => {
        const v = verdict(BOUND, BOUND_CLAIMS, ISSUED + D);
        assert.deepEqual(v.failures, []);
        assert.deepEqual(v.warnings, []);
        assert.deepEqual(v.lifetime, {
            kind: "bound",
            expiresAt: "2027-02-14T08:00:00.000Z",
            renewsAt: "2027-02-07T08:00:00.000Z",
            rotatesAt: null,
            expirySource: "claim",
        });
    });

    it("past renews-at: a warning that a renewal was missed, with both dates; no failure yet", () => {
        const v = verdict(BOUND, BOUND_CLAIMS, RENEWS + H);
        assert.deepEqual(v.failures, []);
        assert.equal(v.warnings.length, 1);
        assert.match(
            v.warnings[0],
            /due for renewal at 2027-02-07T08:00:00Z and expires at 2027-02-14T08:00:00Z \(in 6d23h\): no successful up has run since/,
        );
    });

    it("with less than the warning margin left, a warning even when renews-at is not annotated", () => {
        const v = verdict({ [TOKEN_KIND_ANNOTATION]: "bound" }, BOUND_CLAIMS, EXPIRES - 2 * D);
        assert.deepEqual(v.failures, []);
        assert.match(v.warnings.join("\n"), /expires at 2027-02-14T08:00:00Z, in 2d; run scripts\/up to renew it/);
    });

    it("expired: a failure saying Argo CD lost the cluster and what to run", () => {
        const v = verdict(BOUND, BOUND_CLAIMS, EXPIRES);
        assert.equal(v.failures.length, 1);
        assert.match(
            v.failures[0].message,
            /expired at 2027-02-14T08:00:00Z, so Argo CD can no longer reach the cluster/,
        );
        assert.match(v.failures[0].fix, /run scripts\/up now/);
    });

    it("expiring before the next scheduled run (failWithin): a failure while it still works", () => {
        assert.deepEqual(verdict(BOUND, BOUND_CLAIMS, EXPIRES - 25 * H, 24 * H).failures, []);
        const v = verdict(BOUND, BOUND_CLAIMS, EXPIRES - 23 * H, 24 * H);
        assert.equal(v.failures.length, 1);
        assert.match(
            v.failures[0].message,
            /expires at 2027-02-14T08:00:00Z, in 23h, before the next scheduled run could renew it/,
        );
    });

    it("expiring before its renewal time (renewBefore shorter than failWithin): the fix is a tokenRotation, not an up", () => {
        // renews-at is 7d before expiry: with a failWithin of 8d an up would not renew it yet.
        const v = verdict(BOUND, BOUND_CLAIMS, EXPIRES - 7 * D - H, 8 * D);
        assert.equal(v.failures.length, 1);
        assert.match(v.failures[0].fix, /an up renews it only from 2027-02-07T08:00:00Z: set a new tokenRotation/);
        const due = verdict(BOUND, BOUND_CLAIMS, EXPIRES - 7 * D + H, 8 * D);
        assert.match(due.failures[0].fix, /^run scripts\/up now/);
    });

    it("the token's exp wins over an edited annotation, says so, and moves renews-at with it", () => {
        // Someone pushed the annotations a year out; the token itself expires as issued.
        const edited = {
            ...BOUND,
            [TOKEN_EXPIRES_AT_ANNOTATION]: at(EXPIRES + 365 * D),
            [TOKEN_RENEWS_AT_ANNOTATION]: at(RENEWS + 365 * D),
        };
        const v = verdict(edited, BOUND_CLAIMS, EXPIRES + 1);
        assert.match(
            v.warnings[0],
            /token-expires-at says 2028-02-14T08:00:00Z, but the token's own exp claim says 2027-02-14T08:00:00Z; the report goes by the token/,
        );
        assert.equal(v.lifetime.expiresAt, "2027-02-14T08:00:00.000Z");
        assert.equal(v.lifetime.renewsAt, "2027-02-07T08:00:00.000Z");
        assert.equal(v.lifetime.expirySource, "claim");
        assert.equal(v.failures.length, 1, "expired by the claim, whatever the annotation says");
    });

    it("annotation and claim a few seconds apart agree", () => {
        const v = verdict(BOUND, { ...BOUND_CLAIMS, expiresAt: EXPIRES + 2 }, ISSUED + D);
        assert.deepEqual(v.warnings, []);
    });

    it("annotated bound but holding a token without exp: a warning; a non-JWT falls back on the annotation", () => {
        const v = verdict(BOUND, LEGACY_CLAIMS, ISSUED + D);
        assert.match(v.warnings.join("\n"), /annotated as a bound token, but the token carries no exp claim/);
        assert.equal(v.lifetime.expiresAt, null);
        const opaque = verdict(BOUND, undefined, EXPIRES + 1);
        assert.equal(opaque.lifetime.expirySource, "annotation");
        assert.equal(opaque.failures.length, 1);
    });

    it("unreadable annotations are named and not used", () => {
        const v = verdict(
            { [TOKEN_KIND_ANNOTATION]: "forever", [TOKEN_EXPIRES_AT_ANNOTATION]: "soon" },
            undefined,
            ISSUED,
        );
        assert.equal(v.lifetime.kind, null);
        assert.equal(v.lifetime.expiresAt, null);
        assert.match(v.warnings.join("\n"), /token-kind is "forever", neither secret nor bound/);
        assert.match(v.warnings.join("\n"), /token-expires-at is not an RFC 3339 time/);
    });
});

describe("a secret-kind token with rotateEvery", () => {
    it("before rotates-at: nothing; past it: a warning of a missed rotation, never a failure", () => {
        const before = verdict(SECRET, LEGACY_CLAIMS, ISSUED + 29 * D, 24 * H);
        assert.deepEqual([before.failures, before.warnings], [[], []]);
        assert.equal(before.lifetime.rotatesAt, "2027-02-14T08:00:00.000Z");
        assert.equal(before.lifetime.expiresAt, null);
        const after = verdict(SECRET, LEGACY_CLAIMS, ISSUED + 400 * D, 24 * H);
        assert.deepEqual(after.failures, []);
        assert.equal(after.warnings.length, 1);
        assert.match(
            after.warnings[0],
            /due for rotation at 2027-02-14T08:00:00Z; it still works, but no successful up has rotated it/,
        );
    });

    it("a Secret from before token kinds (no annotations, no claims of time): nothing to say", () => {
        const v = verdict({}, LEGACY_CLAIMS, ISSUED);
        assert.deepEqual([v.failures, v.warnings], [[], []]);
        assert.deepEqual(v.lifetime, {
            kind: null,
            expiresAt: null,
            renewsAt: null,
            rotatesAt: null,
            expirySource: null,
        });
    });
});

describe("in the registration's report", () => {
    const server = "https://alpha.example:6443";
    function secret(annotations: Record<string, string>): DecodedClusterSecret {
        return {
            secretName: "cluster-alpha",
            name: "alpha",
            server,
            namespaces: [],
            clusterResources: false,
            labels: {},
            annotations,
            connection: { server, bearerToken: "opaque", insecure: false },
        };
    }
    const unreachable: CheckResult = { outcome: "unreachable", reason: "connect ECONNREFUSED" } as CheckResult;
    const ok: CheckResult = { outcome: "ok" } as CheckResult;
    /** Cluster alpha's report, its Secret carrying `annotations`, with the check's `result` and token claims at `now`. */
    const alphaReport = (annotations: Record<string, string>, result: CheckResult, claims: TokenClaims, now: number) =>
        registrationReport({
            secret: secret(annotations),
            entry: clusterSpec({ name: "alpha", server, context: "alpha" }),
            stackFile: "Pulumi.test.yaml",
            result,
            claims,
            now,
            requireReachable: false,
        });

    it("an expired token fails the registration as expiring, even when the server cannot be reached from here", () => {
        const r = alphaReport(BOUND, unreachable, BOUND_CLAIMS, EXPIRES + 1);
        assert.equal(r.status, "expiring");
        assert.equal(r.ok, false);
        assert.match(r.problems.map((p) => p.message).join("\n"), /its token expired at/);
        assert.equal(tokenAgeCell(r, EXPIRES + 1), "bound, 30d, expired");
    });

    it("a healthy bound registration shows its kind, expiry and renewal in the table", () => {
        const r = alphaReport(BOUND, ok, BOUND_CLAIMS, ISSUED + D);
        assert.equal(r.status, "healthy");
        assert.deepEqual(r.warnings, []);
        assert.equal(tokenAgeCell(r, ISSUED + D), "bound, 1d, expires in 29d, renews in 22d");
    });

    it("a secret-kind registration past its rotation stays healthy, with the warning and the cell saying overdue", () => {
        const r = alphaReport(SECRET, ok, LEGACY_CLAIMS, ISSUED + 31 * D);
        assert.equal(r.status, "healthy");
        assert.equal(r.ok, true);
        assert.equal(r.warnings.length, 1);
        assert.equal(tokenAgeCell(r, ISSUED + 31 * D), "secret, unknown, rotation overdue");
    });
});

describe("the report's now", () => {
    it("is the machine's clock: ARGOCD_CLUSTERS_NOW is not read (a leftover value would hide expiry)", async () => {
        const saved = process.env.ARGOCD_CLUSTERS_NOW;
        process.env.ARGOCD_CLUSTERS_NOW = "next tuesday";
        try {
            const run = await main(["--stack", "test", "--", "--cwd", "/nonexistent"]);
            assert.equal(run.code, 2);
            assert.doesNotMatch(run.err, /ARGOCD_CLUSTERS_NOW/);
            assert.match(run.err, /no project directory/, "the run goes on to the project, as without the variable");
        } finally {
            if (saved === undefined) delete process.env.ARGOCD_CLUSTERS_NOW;
            else process.env.ARGOCD_CLUSTERS_NOW = saved;
        }
    });
});
