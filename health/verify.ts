/**
 * The health report (issue 10 §3): `scripts/verify --stack NAME`, run by the deploy pipelines after `up` and by
 * people whenever they doubt a registration. Reads the stack file as the program does, lists the stack's
 * cluster Secrets on the Argo CD cluster and checks each from the Secret alone (health/*).
 *
 *   node dist/health/verify.js --stack NAME [--json] [--require-reachable] [--warn-within DUR] [--fail-within DUR]
 *                              [--argocd-redis HOST:PORT] [-- --cwd DIR [--result FILE] [--state DIR]]
 *
 * After `--` come the flags scripts/preview and scripts/up pass to the engine: --cwd is where Pulumi.yaml and
 * the stack file are (default: the project); --result also writes the JSON report to FILE; --state is accepted
 * and unused (the report reads the hub, never the stack's state). Exit 0: every registration healthy
 * (unreachable from here counts as healthy unless --require-reachable); 1: any is not; 2: usage, the stack file,
 * or the Argo CD cluster could not be read. Prints no credential.
 *
 * Tokens (health/tokenLifetime.ts): less than --warn-within left (a Go duration, default 72h) warns; an expired
 * token, or one with less than --fail-within left (default 0), fails. A scheduled pipeline passes twice its
 * period as --fail-within, so it fails while a person still has time to act. "Now" is stack/now.ts's, as for
 * `up`: the machine's clock.
 *
 * --argocd-redis HOST:PORT also reads what Argo CD's application-controller itself cached about each cluster
 * from Argo CD's Redis (health/argocdReported.ts) and shows it beside our own checks; without it, the report says
 * Argo CD's view was not read. The Redis password is taken as Argo CD takes it and never printed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stackAnnotationValue } from "../argocd/names";
import { clientNode, kubeConfigOf } from "../components/kubeClient";
import { parseDuration } from "../stack/duration";
import type { ClusterAccess } from "../stack/kubeconfig";
import { runTime } from "../stack/now";
import {
    type ArgoCdRedisRead,
    type ControllerClusterInfo,
    describeRedisFailure,
    KEY_PREFIX_ENV,
    REDIS_SECRET,
    REDIS_SECRET_KEY,
    readControllerClusterInfo,
    redisCredentials,
    withArgoCdReported,
} from "./argocdReported";
import { decodeClusterSecret, ListError, listStackSecrets } from "./clusterSecrets";
import { exitCode, type HealthReport, healthReport } from "./healthReport";
import { parseAddress } from "./redisClient";
import { readStack, StackFileError } from "./stackFile";
import { formatTable } from "./table";
import { DEFAULT_WARN_WITHIN_SECONDS, type LifetimeLimits } from "./tokenLifetime";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export const USAGE =
    "usage: scripts/verify --stack NAME [--json] [--require-reachable] [--warn-within DUR] [--fail-within DUR] [--argocd-redis HOST:PORT] [-- --cwd DIR [--result FILE]]";

export interface Options {
    stack: string;
    json: boolean;
    requireReachable: boolean;
    cwd?: string;
    result?: string;
    limits: LifetimeLimits;
    /** Argo CD's Redis (HOST:PORT), to read what its controller cached; unset: not read. */
    argocdRedis?: string;
}

/** Parses the command line; a string is the usage error. */
export function parseArgs(argv: string[]): Options | string {
    const options: Partial<Options> = {
        json: false,
        requireReachable: false,
        limits: { warnWithin: DEFAULT_WARN_WITHIN_SECONDS, failWithin: 0 },
    };
    let afterDashes = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].startsWith("--") ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
        if (flag === "--") {
            afterDashes = true;
            continue;
        }
        if (!afterDashes && flag === "--json") options.json = true;
        else if (!afterDashes && flag === "--require-reachable") options.requireReachable = true;
        else if (
            (!afterDashes && flag === "--stack") ||
            flag === "--cwd" ||
            flag === "--result" ||
            (afterDashes && flag === "--state") ||
            (!afterDashes && (flag === "--warn-within" || flag === "--fail-within" || flag === "--argocd-redis"))
        ) {
            const value = inline ?? argv[++i];
            if (value === undefined || value === "") return `${flag} needs a value`;
            if (flag === "--warn-within" || flag === "--fail-within") {
                const ms = parseDuration(value);
                if (ms === undefined) return `${flag} ${JSON.stringify(value)} is not a Go duration such as 72h or 90m`;
                const limits = options.limits as LifetimeLimits;
                if (flag === "--warn-within") limits.warnWithin = ms / 1000;
                else limits.failWithin = ms / 1000;
            }
            if (flag === "--argocd-redis") {
                if (!parseAddress(value)) return `--argocd-redis ${JSON.stringify(value)} is not HOST:PORT`;
                options.argocdRedis = value;
            }
            if (flag === "--stack") options.stack = value;
            if (flag === "--cwd") options.cwd = value;
            if (flag === "--result") options.result = value;
        } else return `unknown argument ${argv[i]}`;
    }
    if (!options.stack || options.stack.startsWith("-")) return "--stack NAME is required";
    return options as Options;
}

/** Cuts out any bearer token should one ever reach the output (nothing above prints one). */
export function withoutTokens(text: string, tokens: string[]): string {
    return tokens.filter((t) => t.length >= 8).reduce((out, t) => out.split(t).join("[redacted]"), text);
}

/** The `auth` key of Argo CD's `argocd-redis` Secret in `namespace`; undefined when there is none. */
async function redisSecretAuth(access: ClusterAccess, namespace: string): Promise<string | undefined> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    try {
        const secret = await core.readNamespacedSecret({ name: REDIS_SECRET, namespace });
        const auth = secret.data?.[REDIS_SECRET_KEY];
        return auth === undefined ? undefined : Buffer.from(auth, "base64").toString("utf8");
    } catch {
        // No such Secret: a Redis without a password, as Argo CD's CLI assumes then. Not readable here: we go on
        // without one too, and Redis says whether it wants one (describeRedisFailure names both ways to give it).
        return undefined;
    }
}

/**
 * Argo CD's own view for every registration with a Secret, from its Redis at `address`; what was read, or why
 * not. `secrets` collects the password so that it is cut from the output should it ever reach it.
 */
async function argocdView(
    address: string | undefined,
    servers: string[],
    readAuth: () => Promise<string | undefined>,
    secrets: string[],
): Promise<{ read: ArgoCdRedisRead; infos: Map<string, ControllerClusterInfo | null> }> {
    const none = new Map<string, ControllerClusterInfo | null>();
    if (address === undefined)
        return {
            read: { read: false, address: null, reason: "not asked (--argocd-redis HOST:PORT reads it)" },
            infos: none,
        };
    try {
        const credentials = await redisCredentials(process.env, readAuth);
        if (credentials.password) secrets.push(credentials.password);
        const infos = await readControllerClusterInfo(address, credentials, servers, process.env[KEY_PREFIX_ENV] ?? "");
        return { read: { read: true, address, reason: null }, infos };
    } catch (err) {
        return { read: { read: false, address, reason: describeRedisFailure(err) }, infos: none };
    }
}

export async function main(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    if (argv.includes("-h") || argv.includes("--help")) return { code: 0, out: `${USAGE}\n`, err: "" };
    const options = parseArgs(argv);
    if (typeof options === "string") return { code: 2, out: "", err: `${options}\n${USAGE}\n` };
    const dir = path.resolve(options.cwd ?? PROJECT_DIR);
    let report: HealthReport;
    let tokens: string[] = [];
    const now = runTime().getTime() / 1000;
    try {
        // Relative kubeconfig paths in the stack file resolve from the project directory, as for the program.
        process.chdir(dir);
        const { project, stack, stackFile, loaded } = readStack(dir, options.stack);
        const namespace = loaded.settings.argocd.namespace;
        const { ours, others } = await listStackSecrets(
            loaded.settings.argocd.access,
            namespace,
            stackAnnotationValue(project, stack),
        );
        tokens = ours.map((s) => decodeClusterSecret(s).connection?.bearerToken ?? "");
        report = await healthReport(
            {
                stack,
                stackFile,
                argocd: { context: loaded.settings.argocd.access.context, namespace },
                entries: loaded.settings.clusters,
                ours,
                others,
            },
            { stackFile, requireReachable: options.requireReachable, now: () => now, limits: options.limits },
        );
        const view = await argocdView(
            options.argocdRedis,
            report.registrations.filter((r) => r.secret !== null).map((r) => r.server),
            () => redisSecretAuth(loaded.settings.argocd.access, namespace),
            tokens,
        );
        report = withArgoCdReported(report, view.read, view.infos);
    } catch (err) {
        if (err instanceof StackFileError || err instanceof ListError)
            return { code: 2, out: "", err: `${err.message}\n` };
        if ((err as NodeJS.ErrnoException).code === "ENOENT")
            return { code: 2, out: "", err: `no project directory ${dir}\n` };
        throw err;
    }
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (options.result) fs.writeFileSync(options.result, withoutTokens(json, tokens));
    const out = options.json ? json : formatTable(report, now);
    return { code: exitCode(report), out: withoutTokens(out, tokens), err: "" };
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (result) => {
            process.stdout.write(result.out);
            process.stderr.write(result.err);
            process.exitCode = result.code;
        },
        (err) => {
            // The first line only: a stack trace helps nobody here and might carry a request's details.
            process.stderr.write(`verify failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
            process.exitCode = 2;
        },
    );
}
