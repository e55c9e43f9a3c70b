/**
 * The whole report for one stack: every cluster Secret of the stack checked, matched against the stack
 * file's entries (a Secret per entry, by the name the program gives it, or by its server), entries without a
 * Secret and Secrets without an entry flagged. Exit code 0 only when every registration passes.
 */
import { clusterSecretName } from "../argocd/clusterSecret";
import { apiServerKey, argocdServerKey } from "../argocd/serverKey";
import type { ClusterSettings } from "../stack/settings";
import type { ArgoCdRedisRead } from "./argocdReported";
import { type CheckContext, checkRegistration } from "./checkRegistration";
import { decodeClusterSecret, type SecretObject, serverOf } from "./clusterSecrets";
import { missingReport, type RegistrationReport, type Status } from "./registrationReport";

export interface HealthReport {
    stack: string;
    stackFile: string;
    argocd: { context: string; namespace: string };
    requireReachable: boolean;
    /** Every registration passes: healthy, or unreachable from here without --require-reachable. */
    healthy: boolean;
    counts: Record<Status, number>;
    /** Whether Argo CD's own view (its Redis) was read, and why not (health/argocdReported.ts); set by verify. */
    argocdRedis?: ArgoCdRedisRead;
    registrations: RegistrationReport[];
}

export const STATUSES: Status[] = ["healthy", "unreachable", "expiring", "undeclared", "broken", "missing"];

/** How many Secrets are checked at once: enough for a large hub, few enough for a small runner. */
const PARALLEL_CHECKS = 4;

export interface Inputs {
    stack: string;
    stackFile: string;
    argocd: { context: string; namespace: string };
    entries: ClusterSettings[];
    ours: SecretObject[];
    others: SecretObject[];
}

/** The entry a Secret registers: by the Secret's name (what the program names it), else by its server. */
export function entryOf(secretName: string, server: string, entries: ClusterSettings[]): ClusterSettings | undefined {
    return (
        entries.find((e) => clusterSecretName(e.server) === secretName) ??
        entries.find((e) => argocdServerKey(e.server) === argocdServerKey(server))
    );
}

export async function healthReport(inputs: Inputs, ctx: CheckContext): Promise<HealthReport> {
    // A retired entry stays in the stack file only to be removed: nothing should be registered for it.
    const active = inputs.entries.filter((e) => !e.retire);
    const decoded = inputs.ours.map(decodeClusterSecret);
    const matched = decoded.map((secret) => ({ secret, entry: entryOf(secret.secretName, secret.server, active) }));
    const checked = await inBatches(matched, PARALLEL_CHECKS, ({ secret, entry }) =>
        checkRegistration(secret, entry, ctx),
    );
    const found = new Set(matched.map((m) => m.entry).filter((e) => e !== undefined));
    const missing = active
        .filter((e) => !found.has(e))
        .map((entry) => {
            const name = clusterSecretName(entry.server);
            const foreign = inputs.others.find(
                (s) => s.metadata?.name === name || apiServerKey(serverOf(s)) === apiServerKey(entry.server),
            );
            return missingReport(entry, name, inputs.stackFile, foreign?.metadata?.name);
        });
    // Stack file order first, then what the stack no longer declares, by name.
    const order = (r: RegistrationReport) => {
        const i = active.findIndex((e) => argocdServerKey(e.server) === argocdServerKey(r.server));
        return i < 0 ? active.length : i;
    };
    const registrations = [...checked, ...missing].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
    const counts = Object.fromEntries(
        STATUSES.map((s) => [s, registrations.filter((r) => r.status === s).length]),
    ) as Record<Status, number>;
    return {
        stack: inputs.stack,
        stackFile: inputs.stackFile,
        argocd: inputs.argocd,
        requireReachable: ctx.requireReachable,
        healthy: registrations.every((r) => r.ok),
        counts,
        registrations,
    };
}

export function exitCode(report: HealthReport): 0 | 1 {
    return report.healthy ? 0 : 1;
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    for (let i = 0; i < items.length; i += size)
        results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
    return results;
}
