/**
 * When a registration's token is due for rotation (`token.rotateEvery`). The issue time lives in the stack's
 * outputs (`tokenIssuedAt`, read back through lastUp) and in the token's RandomId keeper: the run's "now"
 * (stack/now.ts) only decides whether it is time for a new one, so a run before the date is a no-op and a
 * missed run only rotates later. A pure function, so tests move time instead of waiting.
 */
import type { TokenSpec } from "../stack/settings";

/** What the last `up` recorded for a registration's token (its `registrations.<name>` output). */
export interface RecordedToken {
    /** RFC 3339; unset when the registration was made without rotateEvery, or before it existed. */
    tokenIssuedAt?: string;
    /** The `tokenRotation` that token was issued under. */
    tokenRotation?: string;
}

export interface TokenSchedule {
    /** When the token Argo CD holds after this run was issued (RFC 3339, UTC, whole seconds). */
    issuedAt: string;
    /** When the first `up` at or after it replaces that token. */
    rotatesAt: string;
    /** Why this run issues a new token; unset when it keeps the current one. */
    renewal?: "first" | "due" | "tokenRotation";
}

/** Undefined without rotateEvery: the token is then replaced only by a new tokenRotation, as it always was. */
export function tokenSchedule(
    token: TokenSpec,
    tokenRotation: string,
    last: RecordedToken | undefined,
    now: Date,
): TokenSchedule | undefined {
    if (!token.rotateEvery) return undefined;
    const period = token.rotateEvery.ms;
    const issued = last?.tokenIssuedAt !== undefined ? Date.parse(last.tokenIssuedAt) : Number.NaN;
    // No usable record: the current token's age is unknown (rotateEvery was just set, or the registration is
    // new), so a token issued now starts the clock. For a new registration that token is its first anyway.
    const renewal: TokenSchedule["renewal"] = Number.isNaN(issued)
        ? "first"
        : last?.tokenRotation !== tokenRotation
          ? "tokenRotation"
          : now.getTime() >= issued + period
            ? "due"
            : undefined;
    const issuedAt = renewal ? rfc3339(now.getTime()) : (last?.tokenIssuedAt as string);
    return { issuedAt, rotatesAt: rfc3339(Date.parse(issuedAt) + period), renewal };
}

function rfc3339(ms: number): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
