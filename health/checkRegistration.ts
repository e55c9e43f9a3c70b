/**
 * Checks one cluster Secret from the Secret alone: connects as Argo CD would with its server and config
 * (components/connectionCheck.ts), asks for the rights the stack's entry grants (or its mode promises), and
 * reads the server's version to compare with what Argo CD recorded.
 */
import { checkConnection, serverVersion } from "../components/connectionCheck";
import type { ClusterSettings } from "../stack/settings";
import type { DecodedClusterSecret } from "./clusterSecrets";
import { rightsOfEntry, rightsOfMode } from "./expectedRights";
import { type Observed, type RegistrationReport, registrationReport } from "./registrationReport";
import { tokenClaims } from "./tokenClaims";
import type { LifetimeLimits } from "./tokenLifetime";

export interface CheckContext {
    stackFile: string;
    requireReachable: boolean;
    now: () => number;
    /** When a token's time left warns or fails (verify's --warn-within and --fail-within). */
    limits?: LifetimeLimits;
}

export async function checkRegistration(
    secret: DecodedClusterSecret,
    entry: ClusterSettings | undefined,
    ctx: CheckContext,
): Promise<RegistrationReport> {
    const observed: Observed = {
        secret,
        entry,
        stackFile: ctx.stackFile,
        requireReachable: ctx.requireReachable,
        now: ctx.now(),
        limits: ctx.limits,
    };
    const conn = secret.connection;
    if (conn) {
        observed.claims = tokenClaims(conn.bearerToken);
        const expected = entry ? rightsOfEntry(entry) : rightsOfMode(secret.namespaces);
        observed.result = await checkConnection(conn, expected);
        if (observed.result.outcome === "ok") {
            // Only once the check passed: the version is a second opinion, not a second way to fail.
            observed.serverVersion = await serverVersion(conn).catch(() => undefined);
        }
    }
    return registrationReport(observed);
}
