/**
 * When a registration's token is due for rotation (`token.rotateEvery`). The issue time lives in the stack's
 * outputs (`tokenIssuedAt`, read back through lastUp) and in the token's RandomId keeper: the run's "now"
 * (stack/now.ts) only decides whether it is time for a new one, so a run before the date is a no-op and a
 * missed run only rotates later. A pure function, so tests move time instead of waiting.
 */
import { parseDuration } from "../stack/duration";
import { CLUSTERS_KEY } from "../stack/keys";
import type { ClusterSpec, Problem, TokenSpec } from "../stack/settings";

/** What the last `up` recorded for a registration's token (its `registrations.<name>` output). */
export interface RecordedToken {
    /** RFC 3339; unset when the registration was made without rotateEvery, or before it existed. */
    tokenIssuedAt?: string;
    /** The `tokenRotation` that token was issued under. */
    tokenRotation?: string;
    /** `secret` or `bound`; unset for registrations made before token kinds existed (secret). */
    tokenKind?: string;
    /** Bound kind: the token's expiry (RFC 3339) and the lifetime it was issued with (as written). */
    tokenExpiresAt?: string;
    tokenLifetime?: string;
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
    if (token.kind !== "secret" || !token.rotateEvery) return undefined;
    const period = token.rotateEvery.ms;
    // A recorded bound token's issue time says nothing about the token Secret this kind issues.
    const issued =
        last?.tokenIssuedAt !== undefined && last.tokenKind !== "bound" ? Date.parse(last.tokenIssuedAt) : Number.NaN;
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

/** What a `kind: bound` token does this run (boundTokenSchedule). */
export interface BoundTokenSchedule {
    /** When the token Argo CD holds after this run was issued: the recorded time, or now for a new one. */
    issuedAt: string;
    /** The recorded expiry of the kept token; unset when this run issues a new one (its `exp` decides). */
    expiresAt?: string;
    /** Why this run issues a new token; unset when it keeps the current one. */
    renewal?: "first" | "kind" | "due" | "tokenRotation" | "lifetime";
}

/**
 * Whether this run renews a bound token: when none is recorded, when the registration had another kind, when
 * tokenRotation or lifetime changed, or from expiry minus renewBefore on. Otherwise the recorded issue time is
 * kept, which keeps the token (it is the keeper of its bound object), so the run is a no-op.
 */
export function boundTokenSchedule(
    token: TokenSpec,
    tokenRotation: string,
    last: RecordedToken | undefined,
    now: Date,
): BoundTokenSchedule {
    const lifetime = token.lifetime!.ms;
    const renewBefore = token.renewBefore!.ms;
    const issued = last?.tokenIssuedAt !== undefined ? Date.parse(last.tokenIssuedAt) : Number.NaN;
    const expires = last?.tokenExpiresAt !== undefined ? Date.parse(last.tokenExpiresAt) : Number.NaN;
    const recordedLifetime = last?.tokenLifetime !== undefined ? parseDuration(last.tokenLifetime) : undefined;
    const renewal: BoundTokenSchedule["renewal"] =
        last === undefined
            ? "first"
            : last.tokenKind !== "bound"
              ? "kind"
              : Number.isNaN(issued) || Number.isNaN(expires)
                ? "first"
                : last.tokenRotation !== tokenRotation
                  ? "tokenRotation"
                  : recordedLifetime !== lifetime
                    ? "lifetime"
                    : now.getTime() >= expires - renewBefore
                      ? "due"
                      : undefined;
    if (renewal) return { issuedAt: rfc3339(now.getTime()), renewal };
    return { issuedAt: last!.tokenIssuedAt!, expiresAt: last!.tokenExpiresAt! };
}

/** When the first `up` on or after it renews a bound token: expiry minus renewBefore. */
export function renewsAt(expiresAt: string, renewBefore: number): string {
    const expires = Date.parse(expiresAt);
    if (Number.isNaN(expires)) throw new Error(`the bound token's expiry ${JSON.stringify(expiresAt)} is not a time`);
    return rfc3339(expires - renewBefore);
}

/** The token new stacks get when neither an entry nor the stack sets one (docs/configuration.md says why). */
export const NEW_STACK_TOKEN: TokenSpec = {
    kind: "bound",
    lifetime: { text: "720h", ms: 720 * 3_600_000 },
    renewBefore: { text: "168h", ms: 168 * 3_600_000 },
};

/** What the last `up` recorded about the stack's token default (its `tokenDefault` output). */
export interface RecordedDefault {
    /** The kind entries without a `token` got, when that run recorded it. */
    tokenDefault?: string;
    registrations: unknown[];
}

/**
 * The kind an entry gets when neither it nor `argocd-clusters:token` sets one, decided once per stack and then
 * kept (the `tokenDefault` output), so that no stack ever changes kind, and so every token, by itself: a stack
 * made before kinds existed (registrations recorded, no default) keeps secret tokens; a new one gets bound.
 */
export function absentTokenKind(last: RecordedDefault): "secret" | "bound" {
    if (last.tokenDefault === "secret" || last.tokenDefault === "bound") return last.tokenDefault;
    return last.registrations.length > 0 ? "secret" : "bound";
}

/** The token spec of absentTokenKind. */
export function absentToken(kind: "secret" | "bound"): TokenSpec {
    return kind === "bound" ? NEW_STACK_TOKEN : { kind: "secret" };
}

/**
 * How far ahead of this machine's clock a recorded issue time may be before the clock counts as behind: clocks
 * kept by NTP differ by far less; more means a clock set wrong, or a run whose clock was moved.
 */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;

/**
 * Refuses a clock that runs behind what the state records: a token recorded as issued after "now" (by a machine
 * whose clock ran ahead, or a run with a moved clock) would be kept with that time, so it would be renewed late,
 * or not before it expires. Only entries whose recorded time this run keeps count: a token issued anew this run
 * (a new tokenRotation, a due renewal, another kind) records the real time.
 */
export function clockBehindState(
    clusters: ClusterSpec[],
    recordedFor: (cluster: ClusterSpec) => RecordedToken | undefined,
    now: Date,
): Problem[] {
    const problems: Problem[] = [];
    clusters.forEach((cluster, i) => {
        const last = recordedFor(cluster);
        if (cluster.retire || last?.tokenIssuedAt === undefined) return;
        const kept =
            cluster.token.kind === "bound"
                ? boundTokenSchedule(cluster.token, cluster.tokenRotation, last, now)
                : tokenSchedule(cluster.token, cluster.tokenRotation, last, now);
        if (!kept || kept.renewal || !(Date.parse(kept.issuedAt) > now.getTime() + CLOCK_TOLERANCE_MS)) return;
        problems.push({
            path: `${CLUSTERS_KEY}[${i}]`,
            message:
                `cluster "${cluster.name}": the state records its token as issued at ${kept.issuedAt}, after this machine's ` +
                `clock (${rfc3339(now.getTime())}): with the clock behind, its renewal would come late, or after it expired`,
            fix:
                "set this machine's clock right; if the recorded time is the wrong one (an earlier up ran with a moved clock), " +
                `give the entry a new tokenRotation (${cluster.tokenRotation === "" ? "it has none" : `now ${JSON.stringify(cluster.tokenRotation)}`}): ` +
                "its token is then issued anew at the real time",
        });
    });
    return problems;
}
