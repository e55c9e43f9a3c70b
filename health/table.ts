/**
 * The report for people: one line per registration, then the problems with their fixes, then warnings.
 * Names and servers come from cluster Secrets anyone with write access to the Argo CD namespace could edit, so
 * control, format (bidi, zero-width) and line-separator characters are shown as \u{...}, never applied.
 */
import { type HealthReport, STATUSES } from "./healthReport";
import type { RegistrationReport } from "./registrationReport";
import { formatDuration } from "./tokenClaims";

export function printable(text: string): string {
    return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** "bound, 3d4h, expires in 26d, renews in 19d": the kind when annotated, the age, then what comes next. */
export function tokenAgeCell(r: RegistrationReport, now: number): string {
    const parts: string[] = r.token.kind === null ? [] : [r.token.kind];
    parts.push(r.token.ageSeconds === null ? "unknown" : formatDuration(r.token.ageSeconds));
    const until = (at: string) => Date.parse(at) / 1000 - now;
    if (r.token.expiresAt !== null) {
        const left = until(r.token.expiresAt);
        parts.push(left <= 0 ? "expired" : `expires in ${formatDuration(left)}`);
        if (left > 0 && r.token.renewsAt !== null) {
            const renew = until(r.token.renewsAt);
            parts.push(renew <= 0 ? "renewal overdue" : `renews in ${formatDuration(renew)}`);
        }
    }
    if (r.token.rotatesAt !== null) {
        const rotate = until(r.token.rotatesAt);
        parts.push(rotate <= 0 ? "rotation overdue" : `rotates in ${formatDuration(rotate)}`);
    }
    return parts.join(", ");
}

export function argoCdCell(r: RegistrationReport): string {
    const { kubernetesVersion, agrees } = r.argocd;
    if (kubernetesVersion === null) return "-";
    return agrees === null ? kubernetesVersion : `${kubernetesVersion} (${agrees ? "agrees" : "differs"})`;
}

export function rowOf(r: RegistrationReport, now: number): string[] {
    const reachable = r.checks.reachable === null ? "-" : r.checks.reachable ? "yes" : "no";
    const cell = (state: string) => (r.secret === null ? "-" : state);
    return [
        r.name,
        r.server,
        r.status,
        reachable,
        cell(r.checks.tls),
        cell(r.checks.token),
        cell(r.checks.rights),
        r.secret === null ? "-" : tokenAgeCell(r, now),
        argoCdCell(r),
    ].map(printable);
}

const HEADER = ["CLUSTER", "SERVER", "STATUS", "REACHABLE", "TLS", "TOKEN", "RIGHTS", "TOKEN AGE", "ARGO CD"];

/** Columns padded to their widest cell, two spaces apart. */
export function columns(rows: string[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => [...row[i]].length)));
    return rows
        .map((row) =>
            row
                .map((c, i) => (i === row.length - 1 ? c : c + " ".repeat(widths[i] - [...c].length)))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

export function headline(report: HealthReport): string {
    const n = report.registrations.length;
    const counts = STATUSES.filter((s) => report.counts[s] > 0)
        .map((s) => `${report.counts[s]} ${s}`)
        .join(", ");
    const verdict = report.healthy ? "healthy" : "NOT healthy";
    return (
        `Stack ${printable(report.stack)} (Argo CD namespace ${printable(report.argocd.namespace)}, context ${printable(report.argocd.context)}): ` +
        `${n} registration${n === 1 ? "" : "s"}${counts ? `: ${counts}` : ""}; ${verdict}`
    );
}

/** "Successful, Kubernetes v1.36.3, 42 resources in 55 APIs, 1 Application, cache synced 12s ago". */
export function argocdReportedLine(r: RegistrationReport, now: number): string {
    const info = r.argocdReported;
    if (!info) return `${r.name}: nothing cached for ${r.server}`;
    const parts = [info.connectionState || "no connection state"];
    if (info.message) parts[0] += ` (${info.message})`;
    if (info.serverVersion) parts.push(`Kubernetes ${info.serverVersion}`);
    if (info.resourcesCount !== null)
        parts.push(
            `${info.resourcesCount} resources${info.apisCount === null ? "" : ` in ${info.apisCount} API${info.apisCount === 1 ? "" : "s"}`}`,
        );
    parts.push(`${info.applicationsCount} Application${info.applicationsCount === 1 ? "" : "s"}`);
    if (info.lastCacheSyncTime)
        parts.push(`cache synced ${formatDuration(Math.max(0, now - Date.parse(info.lastCacheSyncTime) / 1000))} ago`);
    return `${r.name}: ${parts.join(", ")}`;
}

/** The section "what Argo CD itself reported", or the line saying it was not read. */
export function argocdReportedSection(report: HealthReport, now: number): string[] {
    const read = report.argocdRedis;
    if (!read) return [];
    if (!read.read)
        return [
            `Argo CD's own view was not read${read.address ? ` from its Redis at ${read.address}` : ""}: ${read.reason}`,
        ];
    const withSecret = report.registrations.filter((r) => r.secret !== null);
    return [
        `What Argo CD itself reported (its application-controller's cache in Redis at ${read.address}):`,
        ...withSecret.map((r) => `  ${argocdReportedLine(r, now)}`),
    ];
}

export function formatTable(report: HealthReport, now: number): string {
    const lines = [headline(report), ""];
    if (report.registrations.length > 0)
        lines.push(columns([HEADER, ...report.registrations.map((r) => rowOf(r, now))]));
    const reported = argocdReportedSection(report, now).map(printable);
    if (reported.length > 0) lines.push("", ...reported);
    const problems = report.registrations.flatMap((r) => r.problems);
    const warnings = report.registrations.flatMap((r) => r.warnings);
    if (problems.length > 0) {
        lines.push("", "Problems:");
        for (const p of problems) lines.push(`  - ${printable(p.message)}`, `    fix: ${printable(p.fix)}`);
    }
    if (warnings.length > 0) {
        lines.push("", "Warnings:");
        for (const w of warnings) lines.push(`  - ${printable(w)}`);
    }
    return `${lines.join("\n")}\n`;
}
