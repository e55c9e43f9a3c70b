/**
 * What Argo CD itself reported about each registered cluster: the cluster info its application-controller keeps
 * in Argo CD's Redis, read back as Argo CD v3.6.2 writes it, and shown in the health report beside our own checks.
 *
 * - Written by the controller's cluster info updater every 10 s (controller/clusterinfoupdater.go) for every
 *   cluster of its shard, with a 10-minute expiry: `SetClusterInfo(cluster.Server, ...)`.
 * - Key (util/cache/appstate/cache.go clusterInfoKey, util/cache/cache.go generateFullKey, util/cache/redis.go
 *   getKey): `$ARGOCD_REDIS_KEY_PREFIX` + `cluster|info|<server>|<CacheVersion>` (common.CacheVersion "1.8.3"),
 *   plus `.gz` under the default `--redis-compress gzip`. `<server>` is the cluster Secret's `server` without
 *   trailing slashes (util/db), as health/clusterSecrets.ts decodes it.
 * - Value: the JSON of v1alpha1.ClusterInfo (encoding/json, then gzip under gzip compression), stored as raw
 *   bytes (go-redis/cache keeps a []byte value as it is).
 * - Password: as Argo CD's components take it, `REDIS_PASSWORD` (and `REDIS_USERNAME`) from the environment;
 *   else, as `argocd admin cluster stats --port-forward-redis` does (common.SetOptionalRedisPasswordFromKubeConfig),
 *   the Secret `argocd-redis`, key `auth`, in the Argo CD namespace. Never printed.
 */
import { gunzipSync } from "node:zlib";
import { argocdServerKey } from "../argocd/serverKey";
import type { HealthReport } from "./healthReport";
import { RedisClient, RedisReplyError, type RespValue } from "./redisClient";

/** common.CacheVersion in Argo CD v3.6.2: part of every cache key; another version's keys are not read. */
export const ARGOCD_CACHE_VERSION = "1.8.3";
/** util/cache/redis.go envRedisKeyPrefix. */
export const KEY_PREFIX_ENV = "ARGOCD_REDIS_KEY_PREFIX";
/** common.RedisInitialCredentials and common.RedisInitialCredentialsKey. */
export const REDIS_SECRET = "argocd-redis";
export const REDIS_SECRET_KEY = "auth";

/** One cluster as the application-controller last cached it (v1alpha1.ClusterInfo). */
export interface ControllerClusterInfo {
    /** ConnectionState.Status: Successful, Failed or Unknown. */
    connectionState: string;
    /** ConnectionState.Message: the error when Failed; why it is not watched when Unknown. */
    message: string;
    /** ConnectionState.ModifiedAt (`attemptedAt`): when the controller last wrote this. */
    attemptedAt: string | null;
    /** The cluster's Kubernetes version as the controller saw it (its `/version` gitVersion). */
    serverVersion: string | null;
    /** CacheInfo: what the controller's cluster cache holds, once it synced (Successful only). */
    resourcesCount: number | null;
    apisCount: number | null;
    lastCacheSyncTime: string | null;
    /** How many Applications deploy to the cluster. */
    applicationsCount: number;
}

/** Whether, and from where, the report read Argo CD's own view. */
export interface ArgoCdRedisRead {
    read: boolean;
    /** HOST:PORT, when asked to read it. */
    address: string | null;
    /** Why it was not read; null when it was. */
    reason: string | null;
}

/** The key the controller caches `server`'s info under, without and with the gzip suffix. */
export function clusterInfoKeys(server: string, prefix = ""): { plain: string; gzip: string } {
    const plain = `${prefix}cluster|info|${argocdServerKey(server)}|${ARGOCD_CACHE_VERSION}`;
    return { plain, gzip: `${plain}.gz` };
}

/** The cached bytes as ClusterInfo: gzip when they start with gzip's magic bytes, else plain JSON. */
export function decodeClusterInfo(bytes: Buffer): ControllerClusterInfo {
    const json = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    const info = JSON.parse(json.toString("utf8"));
    const cache = info.cacheInfo ?? {};
    return {
        connectionState: info.connectionState?.status ?? "",
        message: info.connectionState?.message ?? "",
        attemptedAt: info.connectionState?.attemptedAt ?? null,
        serverVersion: info.serverVersion || null,
        resourcesCount: cache.resourcesCount ?? null,
        apisCount: cache.apisCount ?? null,
        lastCacheSyncTime: cache.lastCacheSyncTime ?? null,
        applicationsCount: info.applicationsCount ?? 0,
    };
}

export interface RedisCredentials {
    username?: string;
    password?: string;
}

/**
 * The credentials Argo CD's components would use: REDIS_USERNAME and REDIS_PASSWORD from `env`; else the
 * `argocd-redis` Secret's `auth`, read by `readSecretAuth` (undefined: no such Secret or key, or unreadable).
 */
export async function redisCredentials(
    env: NodeJS.ProcessEnv,
    readSecretAuth: () => Promise<string | undefined>,
): Promise<RedisCredentials> {
    if (env.REDIS_PASSWORD) return { username: env.REDIS_USERNAME || undefined, password: env.REDIS_PASSWORD };
    const auth = await readSecretAuth().catch(() => undefined);
    return auth ? { username: env.REDIS_USERNAME || undefined, password: auth } : {};
}

/** A reply as a Buffer, or null for a missing key. */
function bytesOf(value: RespValue): Buffer | null {
    if (value === null) return null;
    if (Buffer.isBuffer(value)) return value;
    throw new Error("Redis answered GET with something other than a string");
}

/**
 * Reads the controller's cached info for each of `servers` from the Redis at `address`. A server maps to null
 * when nothing is cached for it. Throws with a message fit to print (no password) when Redis cannot be read.
 */
export async function readControllerClusterInfo(
    address: string,
    credentials: RedisCredentials,
    servers: string[],
    prefix = "",
): Promise<Map<string, ControllerClusterInfo | null>> {
    const client = await RedisClient.connect(address);
    try {
        if (credentials.password !== undefined) {
            const auth = credentials.username ? [credentials.username, credentials.password] : [credentials.password];
            await client.command("AUTH", ...auth);
        }
        const infos = new Map<string, ControllerClusterInfo | null>();
        for (const server of servers) {
            const keys = clusterInfoKeys(server, prefix);
            const bytes =
                bytesOf(await client.command("GET", keys.gzip)) ?? bytesOf(await client.command("GET", keys.plain));
            infos.set(server, bytes === null ? null : decodeClusterInfo(bytes));
        }
        return infos;
    } finally {
        client.close();
    }
}

/** Why Redis could not be read, in words fit to print: Redis's own error reply, or the connection's failure. */
export function describeRedisFailure(err: unknown): string {
    if (err instanceof RedisReplyError)
        return /NOAUTH|WRONGPASS|AUTH/i.test(err.message)
            ? `Redis refused us (${err.message.split(" ")[0]}): set REDIS_PASSWORD, or give this identity get on the Secret ${REDIS_SECRET}`
            : `Redis answered ${err.message}`;
    const code = (err as NodeJS.ErrnoException)?.code;
    return code ? `no connection (${code})` : err instanceof Error ? err.message : String(err);
}

/**
 * The report with what Argo CD itself reported: each registration with a Secret gets `argocdReported` (null
 * when the controller cached nothing for its server, with a warning), and a Failed connection state is a
 * warning quoting Argo CD. Our own checks and the verdict are unchanged.
 */
export function withArgoCdReported(
    report: HealthReport,
    read: ArgoCdRedisRead,
    infos: Map<string, ControllerClusterInfo | null>,
): HealthReport {
    const registrations = report.registrations.map((r) => {
        if (!read.read || r.secret === null) return { ...r, argocdReported: null };
        const info = infos.get(r.server) ?? null;
        const label = `cluster "${r.name}" (${r.server})`;
        const warnings = [...r.warnings];
        if (info === null)
            warnings.push(
                `${label}: Argo CD's application-controller has cached nothing for it in Redis (not connected in the ` +
                    "last 10 minutes, another controller shard, or an Argo CD whose cache version is not 1.8.3)",
            );
        else if (info.connectionState === "Failed")
            warnings.push(`${label}: Argo CD itself reports its connection Failed: ${info.message}`);
        return { ...r, warnings, argocdReported: info };
    });
    return { ...report, argocdRedis: read, registrations };
}
