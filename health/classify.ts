/**
 * What one connection check (components/connectionCheck.ts, the same check `up` runs before writing a Secret)
 * says about each part of a registration. The check stops at the first failure, so what comes after it is
 * unknown, never assumed fine: a rejected token says nothing about its rights.
 */
import type { CheckResult } from "../components/connectionCheck";

export type Reachable = boolean | null;
export type TlsState = "verified" | "insecure" | "failed" | "unknown";
export type TokenState = "accepted" | "rejected" | "unknown";
export type RightsState = "expected" | "missing" | "unknown";

export interface Checks {
    /** A TCP connection to `server` (through its proxy) from where the report runs; null when not tried. */
    reachable: Reachable;
    tls: TlsState;
    token: TokenState;
    rights: RightsState;
}

export const UNCHECKED: Checks = { reachable: null, tls: "unknown", token: "unknown", rights: "unknown" };

/** Each part's state from the check's outcome; `insecure` is the Secret's tlsClientConfig.insecure. */
export function classify(result: CheckResult, insecure: boolean): Checks {
    const tlsPassed: TlsState = insecure ? "insecure" : "verified";
    if (result.outcome === "ok") return { reachable: true, tls: tlsPassed, token: "accepted", rights: "expected" };
    if (result.outcome === "unreachable") return { ...UNCHECKED, reachable: false };
    const reason = result.reason;
    if (reason.startsWith("TLS failed")) return { ...UNCHECKED, reachable: true, tls: "failed" };
    if (reason.startsWith("the API server rejected the token"))
        return { ...UNCHECKED, reachable: true, tls: tlsPassed, token: "rejected" };
    // /version answered with the token, then an access review did not: the rights are unproven.
    if (reason.startsWith("the check could not complete"))
        return { ...UNCHECKED, reachable: true, tls: tlsPassed, token: "accepted" };
    if (reason.startsWith("the token lacks rights"))
        return { reachable: true, tls: tlsPassed, token: "accepted", rights: "missing" };
    // The access review refused, or /version was no Kubernetes version: TLS held, the rest is unknown.
    if (reason.startsWith("the access review answered") || reason.startsWith("GET /version answered")) {
        return { ...UNCHECKED, reachable: true, tls: tlsPassed };
    }
    // A proxy that refused the CONNECT: the server itself was not reached.
    return { ...UNCHECKED };
}
