/**
 * One line of the health report: a registration as its cluster Secret alone shows it (the connection check,
 * the token's claims, what Argo CD recorded), and whether the stack still declares it. Pure: the checks are
 * made elsewhere (checkRegistration.ts) and handed in.
 */

import { ARGOCD_KUBERNETES_VERSION_LABEL } from "../argocd/names";
import type { CheckResult } from "../components/connectionCheck";
import type { ClusterSettings } from "../stack/settings";
import type { ControllerClusterInfo } from "./argocdReported";
import { type Checks, classify, UNCHECKED } from "./classify";
import type { DecodedClusterSecret } from "./clusterSecrets";
import type { TokenClaims } from "./tokenClaims";
import { DEFAULT_WARN_WITHIN_SECONDS, type LifetimeLimits, type TokenKind, tokenLifetime } from "./tokenLifetime";

/**
 * missing: declared, but Argo CD has no cluster Secret of the stack for it; broken: Argo CD cannot use it;
 * undeclared: a Secret of the stack that its stack file no longer declares; unreachable: not reached from
 * here (Argo CD may reach it over another network); expiring: its token has expired, or expires before the
 * next scheduled run could renew it (--fail-within); healthy: everything checked held.
 */
export type Status = "healthy" | "unreachable" | "expiring" | "undeclared" | "broken" | "missing";

export interface Finding {
    message: string;
    fix: string;
}

export interface TokenReport {
    /** The token-kind annotation; null on a Secret written before token kinds. */
    kind: TokenKind | null;
    /** ISO 8601; null without an iat claim. */
    issuedAt: string | null;
    ageSeconds: number | null;
    /** ISO 8601: the token's exp claim, else the token-expires-at annotation; null: it never expires. */
    expiresAt: string | null;
    /** ISO 8601: from when `up` renews a bound token (token-renews-at, moved with exp if they disagree). */
    renewsAt: string | null;
    /** ISO 8601: from when `up` rotates a secret-kind token (token-rotates-at); null without rotateEvery. */
    rotatesAt: string | null;
    serviceAccount: string | null;
    tokenSecret: string | null;
}

export interface ArgoCdView {
    /** The label argocd.argoproj.io/kubernetes-version, written by Argo CD when it labels cluster info. */
    kubernetesVersion: string | null;
    /** What /version answers through the Secret's connection, from here. */
    serverVersion: string | null;
    /** Whether both name the same version as Argo CD writes it (argoCdView); null when either is missing. */
    agrees: boolean | null;
}

export interface RegistrationReport {
    name: string;
    server: string;
    secret: string | null;
    declared: boolean;
    mode: "cluster-wide" | "namespaced";
    namespaces: string[];
    status: Status;
    /** Whether this registration lets the report pass: healthy, or unreachable unless reachability is required. */
    ok: boolean;
    checks: Checks;
    token: TokenReport;
    argocd: ArgoCdView;
    /**
     * What Argo CD's application-controller itself cached for the server (health/argocdReported.ts); null when
     * its Redis was not read, or holds nothing for it. Set by verify, absent from healthReport's own output.
     */
    argocdReported?: ControllerClusterInfo | null;
    problems: Finding[];
    warnings: string[];
}

export interface Observed {
    secret: DecodedClusterSecret;
    /** The stack's entry for the Secret's server; undefined when the stack no longer declares it. */
    entry?: ClusterSettings;
    stackFile: string;
    /** Undefined when the Secret could not be used to connect at all (secret.problem says why). */
    result?: CheckResult;
    serverVersion?: string;
    claims?: TokenClaims;
    /** Seconds since the epoch. */
    now: number;
    requireReachable: boolean;
    /** When a token's expiry warns or fails; a warning from three days, failure only once expired, without. */
    limits?: LifetimeLimits;
}

const NO_TOKEN: TokenReport = {
    kind: null,
    issuedAt: null,
    ageSeconds: null,
    expiresAt: null,
    renewsAt: null,
    rotatesAt: null,
    serviceAccount: null,
    tokenSecret: null,
};

/** `v1.36.3` and `1.36` both as `1.36`. */
export function majorMinor(version: string): string | undefined {
    return /^v?(\d+)\.(\d+)/.exec(version)?.slice(1, 3).join(".");
}

/**
 * The version as Argo CD records it from a gitVersion (gitops-engine GetServerVersion, Argo CD 3.3.3+ and 3.4+):
 * "v" + version.ParseGeneric, which keeps the dotted numbers and drops a vendor suffix ("-gke.100", "+k3s1").
 */
export function argoCdKubernetesVersion(gitVersion: string): string | undefined {
    const numbers = /^\s*v?(\d+(?:\.\d+)+)/.exec(gitVersion)?.[1];
    return numbers === undefined ? undefined : `v${numbers.split(".").map(Number).join(".")}`;
}

/**
 * Argo CD 3.3.3+ and 3.4+ label `vMAJOR.MINOR.PATCH`, compared whole with what the server answers, as Argo CD
 * would record it now (a patch behind is stale cluster info); before, `MAJOR.MINOR`, compared as such.
 */
export function argoCdView(labels: Record<string, string>, serverVersion: string | undefined): ArgoCdView {
    const recorded = labels[ARGOCD_KUBERNETES_VERSION_LABEL];
    const whole = recorded !== undefined && /^v\d+\.\d+\.\d+$/.test(recorded);
    const normalise = whole ? argoCdKubernetesVersion : majorMinor;
    const a = recorded === undefined ? undefined : normalise(recorded);
    const b = serverVersion === undefined ? undefined : normalise(serverVersion);
    return {
        kubernetesVersion: recorded ?? null,
        serverVersion: serverVersion ?? null,
        agrees: a === undefined || b === undefined ? null : a === b,
    };
}

export function tokenReport(claims: TokenClaims | undefined, now: number): TokenReport {
    if (!claims) return NO_TOKEN;
    const iso = (s: number | undefined) => (s === undefined ? null : new Date(s * 1000).toISOString());
    return {
        ...NO_TOKEN,
        issuedAt: iso(claims.issuedAt),
        ageSeconds: claims.issuedAt === undefined ? null : Math.max(0, Math.floor(now - claims.issuedAt)),
        expiresAt: iso(claims.expiresAt),
        serviceAccount: claims.serviceAccount ?? null,
        tokenSecret: claims.tokenSecret ?? null,
    };
}

const DEFAULT_LIMITS: LifetimeLimits = { warnWithin: DEFAULT_WARN_WITHIN_SECONDS, failWithin: 0 };

/** Whether a registration of this status lets the whole report pass. */
export function passes(status: Status, requireReachable: boolean): boolean {
    return status === "healthy" || (status === "unreachable" && !requireReachable);
}

export function registrationReport(o: Observed): RegistrationReport {
    const { secret, entry, result } = o;
    const label = `cluster "${secret.name || secret.secretName}" (${secret.server || "no server"})`;
    const problems: Finding[] = [];
    const warnings: string[] = [];
    let checks: Checks = UNCHECKED;
    let connectionStatus: Status;
    if (secret.problem !== undefined || result === undefined) {
        connectionStatus = "broken";
        problems.push({
            message: `${label}: ${secret.problem ?? "was not checked"}, so Argo CD cannot connect with it`,
            fix: "run scripts/up to write the Secret again; if it was edited by hand, that edit is what broke it",
        });
    } else {
        checks = classify(result, secret.connection?.insecure ?? false);
        if (result.outcome === "ok") connectionStatus = "healthy";
        else if (result.outcome === "unreachable") {
            // Reported as unreachable either way; --require-reachable only makes it fail the report.
            connectionStatus = "unreachable";
            const message = `${label} cannot be reached from here: ${result.reason}`;
            if (o.requireReachable)
                problems.push({
                    message,
                    fix: "run the report where Argo CD's network reaches the server, or leave out --require-reachable",
                });
            else
                warnings.push(
                    `${message}; Argo CD may reach it over another network (--require-reachable makes this an error)`,
                );
        } else {
            connectionStatus = "broken";
            problems.push({ message: `${label}: ${result.reason}`, fix: result.fix });
        }
        if (checks.tls === "insecure") warnings.push(`${label} has TLS verification off (tlsClientConfig.insecure)`);
    }
    const view = argoCdView(secret.labels, o.serverVersion);
    if (view.agrees === false) {
        warnings.push(
            `${label}: Argo CD recorded Kubernetes ${view.kubernetesVersion}, the server answers ${view.serverVersion} ` +
                "(Argo CD's cluster info is stale, or it reaches another cluster at this URL)",
        );
    }
    if (!entry) {
        problems.push({
            message: `${label}: its cluster Secret ${secret.secretName} carries this stack's mark, but ${o.stackFile} no longer declares it`,
            fix: `run scripts/up to remove it, or add the entry back to ${o.stackFile}`,
        });
    }
    // The token's time left, also when the server cannot be reached from here: an expired token is lost anyway.
    const lifetime = tokenLifetime(label, secret.annotations, o.claims, o.now, o.limits ?? DEFAULT_LIMITS);
    problems.push(...lifetime.failures);
    warnings.push(...lifetime.warnings);
    const status: Status =
        connectionStatus === "broken"
            ? "broken"
            : lifetime.failures.length > 0
              ? "expiring"
              : !entry
                ? "undeclared"
                : connectionStatus;
    return {
        name: secret.name || entry?.name || secret.secretName,
        server: secret.server,
        secret: secret.secretName,
        declared: entry !== undefined,
        mode: secret.namespaces.length > 0 ? "namespaced" : "cluster-wide",
        namespaces: secret.namespaces,
        status,
        ok: passes(status, o.requireReachable),
        checks,
        token: {
            ...tokenReport(o.claims, o.now),
            kind: lifetime.lifetime.kind,
            expiresAt: lifetime.lifetime.expiresAt,
            renewsAt: lifetime.lifetime.renewsAt,
            rotatesAt: lifetime.lifetime.rotatesAt,
        },
        argocd: view,
        problems,
        warnings,
    };
}

/** A stack entry with no cluster Secret of the stack; `foreign` names another owner's Secret for its server. */
export function missingReport(
    entry: ClusterSettings,
    secretName: string,
    stackFile: string,
    foreign?: string,
): RegistrationReport {
    const label = `cluster "${entry.name}" (${entry.server})`;
    const fix = foreign
        ? `Argo CD's Secret ${foreign} for this server is not this stack's: take it over with adopt: true (docs/migration.md), or remove the entry`
        : "run scripts/up; if it fails, its output names the cluster and the cause";
    return {
        name: entry.name,
        server: entry.server,
        secret: null,
        declared: true,
        mode: entry.namespaces && entry.namespaces.length > 0 ? "namespaced" : "cluster-wide",
        namespaces: entry.namespaces ?? [],
        status: "missing",
        ok: false,
        checks: UNCHECKED,
        token: NO_TOKEN,
        argocd: argoCdView({}, undefined),
        problems: [
            {
                message: `${label} is declared in ${stackFile}, but Argo CD has no cluster Secret ${secretName} of this stack`,
                fix,
            },
        ],
        warnings: [],
    };
}
