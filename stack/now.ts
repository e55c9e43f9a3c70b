/**
 * "Now" for every decision that depends on time (when a token is due for rotation): read here and nowhere
 * else, so tests and rehearsals move time by setting ARGOCD_CLUSTERS_NOW instead of waiting for it.
 */
import * as pulumi from "@pulumi/pulumi";

export const NOW_VARIABLE = "ARGOCD_CLUSTERS_NOW";

/** RFC 3339 as Go's time.RFC3339 reads it: a date, a time, and a zone (Z or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The time this run acts at: ARGOCD_CLUSTERS_NOW when set, else the clock. */
export function runTime(env: NodeJS.ProcessEnv = process.env, clock: () => Date = () => new Date()): Date {
    const value = env[NOW_VARIABLE];
    if (value === undefined || value === "") return clock();
    const time = RFC3339.test(value) ? new Date(value) : undefined;
    if (!time || Number.isNaN(time.getTime())) {
        // The value is a time someone set on purpose, never a credential: quoting it helps find the typo.
        throw new pulumi.RunError(
            `${NOW_VARIABLE} is ${JSON.stringify(value)}, not an RFC 3339 time; nothing was registered.\n` +
                `  fix: write it as e.g. 2026-12-01T02:00:00Z, or unset ${NOW_VARIABLE} to use the clock`,
        );
    }
    return time;
}
