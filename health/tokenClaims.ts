/**
 * What a ServiceAccount token says about itself, from its JWT claims: when it was issued and expires (bound
 * tokens carry iat/exp; the legacy tokens the token controller writes into Secrets carry neither, so their age
 * is unknown from the token alone), and whose it is. The token itself never leaves this module.
 */

export interface TokenClaims {
    /** Seconds since the epoch; undefined without an `iat` claim. */
    issuedAt?: number;
    /** Seconds since the epoch; undefined without an `exp` claim (legacy tokens never expire). */
    expiresAt?: number;
    /** `<namespace>/<name>` of the ServiceAccount, from `sub` (system:serviceaccount:NS:NAME). */
    serviceAccount?: string;
    /** The token Secret a legacy token belongs to (kubernetes.io/serviceaccount/secret.name). */
    tokenSecret?: string;
}

/** The claims of a JWT; undefined when the token is not one (the API server then decides alone). */
export function tokenClaims(token: string): TokenClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    let payload: Record<string, unknown>;
    try {
        payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    } catch {
        return undefined;
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return undefined;
    const number = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
    const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    const sub = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(text(payload.sub) ?? "");
    return {
        issuedAt: number(payload.iat),
        expiresAt: number(payload.exp),
        serviceAccount: sub ? `${sub[1]}/${sub[2]}` : undefined,
        tokenSecret: text(payload["kubernetes.io/serviceaccount/secret.name"]),
    };
}

/** "3d4h", "5h", "7m12s", "42s": the largest unit and the next one when it is not zero, for a table cell. */
export function formatDuration(seconds: number): string {
    const s = Math.max(0, Math.floor(seconds));
    const units: [string, number][] = [
        ["d", 86_400],
        ["h", 3_600],
        ["m", 60],
        ["s", 1],
    ];
    for (const [i, [unit, size]] of units.entries()) {
        if (s < size) continue;
        const next = units[i + 1];
        const rest = next ? Math.floor((s % size) / next[1]) : 0;
        return `${Math.floor(s / size)}${unit}${rest > 0 ? `${rest}${next[0]}` : ""}`;
    }
    return "0s";
}
