/**
 * How long a registration's token has left, from what the program annotated on its cluster Secret (the token
 * kinds' contract, issue 12) checked against the token's own `exp` claim, and what that means for Argo CD:
 *
 * - bound: FAILS once the token has expired (Argo CD has lost the cluster) or when it expires within the
 *   caller's `failWithin` (a scheduled pipeline passes its own period: no later run could renew it in time);
 *   WARNS once now is past token-renews-at (the `up` that should have renewed it did not run or failed) or
 *   when less than `warnWithin` is left.
 * - secret with rotateEvery: WARNS once now is past token-rotates-at (a missed rotation); never fails, the
 *   token still works, it is only older than it should be.
 *
 * The token's `exp` wins over the annotation when they disagree (anyone who can edit the Secret can edit an
 * annotation; the API server goes by the claim), and the report says so. Pure: "now" is handed in.
 */
import {
    TOKEN_EXPIRES_AT_ANNOTATION,
    TOKEN_KIND_ANNOTATION,
    TOKEN_RENEWS_AT_ANNOTATION,
    TOKEN_ROTATES_AT_ANNOTATION,
} from "../argocd/names";
import type { TokenClaims } from "./tokenClaims";
import { formatDuration } from "./tokenClaims";

/** Where `warnWithin` comes from when the caller sets none: three days, a long weekend without a run. */
export const DEFAULT_WARN_WITHIN_SECONDS = 72 * 3_600;

/** Annotation and claim further apart than this disagree (the annotation is written to the second). */
const AGREEMENT_SECONDS = 60;

export type TokenKind = "secret" | "bound";

export interface TokenLifetime {
    /** From token-kind; null on a Secret written before token kinds (or by hand). */
    kind: TokenKind | null;
    /** ISO 8601, UTC: when the token stops working (the `exp` claim, else token-expires-at); null: never. */
    expiresAt: string | null;
    /** ISO 8601, UTC: from when `up` renews a bound token; null for other kinds. */
    renewsAt: string | null;
    /** ISO 8601, UTC: from when `up` rotates a secret-kind token; null without rotateEvery. */
    rotatesAt: string | null;
    /** Where expiresAt comes from. */
    expirySource: "claim" | "annotation" | null;
}

export interface LifetimeFindings {
    lifetime: TokenLifetime;
    /** Each one fails the registration: its token no longer works, or will not once no run renewed it. */
    failures: { message: string; fix: string }[];
    warnings: string[];
}

export interface LifetimeLimits {
    /** Seconds: less left than this is a warning. */
    warnWithin: number;
    /** Seconds: less left than this fails (0: only an expired token fails). */
    failWithin: number;
}

/** Seconds since the epoch of an RFC 3339 annotation; undefined when absent or unreadable. */
function seconds(text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms / 1000;
}

function iso(s: number | undefined): string | null {
    return s === undefined ? null : new Date(s * 1000).toISOString();
}

function rfc3339(s: number): string {
    return new Date(Math.floor(s) * 1000).toISOString().replace(".000Z", "Z");
}

export function tokenLifetime(
    label: string,
    annotations: Record<string, string>,
    claims: TokenClaims | undefined,
    now: number,
    limits: LifetimeLimits,
): LifetimeFindings {
    const failures: LifetimeFindings["failures"] = [];
    const warnings: string[] = [];
    const kindText = annotations[TOKEN_KIND_ANNOTATION];
    const kind: TokenKind | null = kindText === "secret" || kindText === "bound" ? kindText : null;
    if (kindText !== undefined && kind === null)
        warnings.push(`${label}: its Secret's ${TOKEN_KIND_ANNOTATION} is "${kindText}", neither secret nor bound`);

    const annotatedExpiry = seconds(annotations[TOKEN_EXPIRES_AT_ANNOTATION]);
    const annotatedRenewal = seconds(annotations[TOKEN_RENEWS_AT_ANNOTATION]);
    const rotation = seconds(annotations[TOKEN_ROTATES_AT_ANNOTATION]);
    for (const key of [TOKEN_EXPIRES_AT_ANNOTATION, TOKEN_RENEWS_AT_ANNOTATION, TOKEN_ROTATES_AT_ANNOTATION])
        if (annotations[key] !== undefined && seconds(annotations[key]) === undefined)
            warnings.push(`${label}: its Secret's ${key} is not an RFC 3339 time, so it was not used`);

    // The claim is what the API server enforces; the annotation is what people read.
    let expiry = claims?.expiresAt ?? annotatedExpiry;
    const expirySource: TokenLifetime["expirySource"] =
        claims?.expiresAt !== undefined ? "claim" : annotatedExpiry !== undefined ? "annotation" : null;
    let renewal = annotatedRenewal;
    if (claims?.expiresAt !== undefined && annotatedExpiry !== undefined) {
        if (Math.abs(claims.expiresAt - annotatedExpiry) > AGREEMENT_SECONDS) {
            warnings.push(
                `${label}: its Secret's ${TOKEN_EXPIRES_AT_ANNOTATION} says ${rfc3339(annotatedExpiry)}, but the token's own exp claim says ` +
                    `${rfc3339(claims.expiresAt)}; the report goes by the token (the Secret was edited, or its token replaced by hand)`,
            );
            // renewBefore is the gap the program annotated; it stays the same for the token's real expiry.
            if (annotatedRenewal !== undefined) renewal = claims.expiresAt - (annotatedExpiry - annotatedRenewal);
        }
    } else if (kind === "bound" && claims !== undefined && claims.expiresAt === undefined) {
        warnings.push(
            `${label}: annotated as a bound token, but the token carries no exp claim (a long-lived token was put in its place)`,
        );
        expiry = undefined;
    }

    if (expiry !== undefined) {
        const left = expiry - now;
        if (left <= 0) {
            failures.push({
                message: `${label}: its token expired at ${rfc3339(expiry)}, so Argo CD can no longer reach the cluster`,
                fix: "run scripts/up now: it issues a new token and writes it into the Secret",
            });
        } else if (left < limits.failWithin) {
            failures.push({
                message: `${label}: its token expires at ${rfc3339(expiry)}, in ${formatDuration(left)}, before the next scheduled run could renew it`,
                // Before its renewal time an up keeps the token: only a new tokenRotation renews it at once.
                fix:
                    renewal !== undefined && now < renewal
                        ? `an up renews it only from ${rfc3339(renewal)}: set a new tokenRotation on the entry and run scripts/up now, ` +
                          "then raise renewBefore well above the schedule's period (docs/security.md)"
                        : "run scripts/up now, and check why the scheduled pipeline did not renew it (renewBefore must be much longer than the schedule's period: docs/security.md)",
            });
        } else if (renewal !== undefined && now >= renewal) {
            warnings.push(
                `${label}: its token was due for renewal at ${rfc3339(renewal)} and expires at ${rfc3339(expiry)} (in ${formatDuration(left)}): ` +
                    "no successful up has run since; run scripts/up or check the scheduled pipeline",
            );
        } else if (left < limits.warnWithin) {
            warnings.push(
                `${label}: its token expires at ${rfc3339(expiry)}, in ${formatDuration(left)}; run scripts/up to renew it`,
            );
        }
    }
    if (rotation !== undefined && now >= rotation) {
        warnings.push(
            `${label}: its token was due for rotation at ${rfc3339(rotation)}; it still works, but no successful up has rotated it since: ` +
                "run scripts/up or check the scheduled pipeline",
        );
    }
    return {
        lifetime: {
            kind,
            // ISO 8601 as the report's other times (issuedAt), for tools comparing them.
            expiresAt: iso(expiry),
            renewsAt: iso(renewal),
            rotatesAt: iso(rotation),
            expirySource: expiry === undefined ? null : expirySource,
        },
        failures,
        warnings,
    };
}
