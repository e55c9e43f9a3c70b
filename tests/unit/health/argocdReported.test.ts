/**
 * What Argo CD itself reported (health/argocdReported.ts): the application-controller's cluster info read from
 * Argo CD's Redis as v3.6.2 writes it, through our own RESP client (health/redisClient.ts), against a small fake
 * Redis (tests/support/fakeRedis.ts); then shown in the report beside our checks, never with the password.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import {
    clusterInfoKeys,
    decodeClusterInfo,
    describeRedisFailure,
    readControllerClusterInfo,
    redisCredentials,
    withArgoCdReported,
} from "../../../health/argocdReported";
import type { HealthReport } from "../../../health/healthReport";
import { encodeCommand, parseAddress, parseReply, RedisReplyError } from "../../../health/redisClient";
import { missingReport } from "../../../health/registrationReport";
import { formatTable } from "../../../health/table";
import { parseArgs } from "../../../health/verify";
import { FakeRedis } from "../../support/fakeRedis";

const NOW = 1_800_000_000;
const SERVER = "https://api.cluster.staging:6443";

/** v1alpha1.ClusterInfo as the controller's updater writes it for a cluster whose cache synced. */
const SUCCESSFUL = {
    connectionState: { status: "Successful", message: "", attemptedAt: "2027-01-15T08:00:00Z" },
    serverVersion: "v1.36.3",
    cacheInfo: { resourcesCount: 42, apisCount: 55, lastCacheSyncTime: new Date((NOW - 12) * 1000).toISOString() },
    applicationsCount: 1,
    apiVersions: ["v1"],
};

/** As util/cache/redis.go stores it: encoding/json (a trailing newline), gzipped. */
function stored(info: unknown): Buffer {
    return gzipSync(Buffer.from(`${JSON.stringify(info)}\n`));
}

/** A report with one registration of `server` that has a cluster Secret. */
function reportOf(server = SERVER): HealthReport {
    const r = missingReport({ name: "staging", server } as any, "cluster-staging", "Pulumi.staging.yaml");
    const registration = { ...r, secret: "cluster-staging", status: "healthy" as const, ok: true, problems: [] };
    return {
        stack: "staging",
        stackFile: "Pulumi.staging.yaml",
        argocd: { context: "hub", namespace: "openshift-gitops" },
        requireReachable: false,
        healthy: true,
        counts: { healthy: 1, unreachable: 0, expiring: 0, undeclared: 0, broken: 0, missing: 0 },
        registrations: [registration],
    };
}

describe("RESP, as our Redis client speaks it", () => {
    it("encodes a command as an array of bulk strings", () => {
        assert.equal(encodeCommand(["GET", "a|b"]).toString(), "*2\r\n$3\r\nGET\r\n$3\r\na|b\r\n");
    });

    it("parses every RESP2 reply kind, and waits for the rest of a partial one", () => {
        const all = Buffer.from("+OK\r\n-ERR no\r\n:7\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\nx\r\n:1\r\n");
        const values: unknown[] = [];
        for (let at = 0; at < all.length; ) {
            const reply = parseReply(all, at);
            assert.ok(reply);
            values.push(reply.value);
            at = reply.next;
        }
        assert.equal(values[0], "OK");
        assert.ok(values[1] instanceof RedisReplyError && values[1].message === "ERR no");
        assert.deepEqual(values.slice(2), [7, Buffer.from("abc"), null, [Buffer.from("x"), 1]]);
        assert.equal(parseReply(Buffer.from("$3\r\nab")), undefined);
        assert.equal(parseReply(Buffer.from("*2\r\n$1\r\nx\r\n")), undefined);
        assert.throws(() => parseReply(Buffer.from("HTTP/1.1 400\r\n")), /not a Redis reply/);
    });

    it("takes HOST:PORT and [IPv6]:PORT, nothing else", () => {
        assert.deepEqual(parseAddress("argocd-redis:6379"), { host: "argocd-redis", port: 6379 });
        assert.deepEqual(parseAddress("[::1]:6379"), { host: "::1", port: 6379 });
        for (const bad of ["argocd-redis", ":6379", "h:0", "h:70000", "redis://h:6379"])
            assert.equal(parseAddress(bad), undefined, bad);
    });
});

describe("the controller's cluster info, read from Argo CD's Redis as v3.6.2 writes it", () => {
    let redis: FakeRedis;
    before(async () => {
        redis = await FakeRedis.start({ trickle: true });
    });
    after(() => redis.stop());

    it("keys it as cluster|info|<server>|1.8.3(.gz), the server without trailing slashes, after the prefix", () => {
        assert.deepEqual(clusterInfoKeys(`${SERVER}/`), {
            plain: `cluster|info|${SERVER}|1.8.3`,
            gzip: `cluster|info|${SERVER}|1.8.3.gz`,
        });
        assert.equal(clusterInfoKeys(SERVER, "team-a-").gzip, `team-a-cluster|info|${SERVER}|1.8.3.gz`);
    });

    it("reads the gzip JSON, a plain one (--redis-compress none), and nothing for an unknown server", async () => {
        redis.data.set(clusterInfoKeys(SERVER).gzip, stored(SUCCESSFUL));
        const failed = { connectionState: { status: "Failed", message: "the server has asked for credentials" } };
        redis.data.set(clusterInfoKeys("https://prod:6443").plain, Buffer.from(JSON.stringify(failed)));
        const infos = await readControllerClusterInfo(redis.address, {}, [SERVER, "https://prod:6443", "https://x"]);
        assert.deepEqual(infos.get(SERVER), {
            connectionState: "Successful",
            message: "",
            attemptedAt: "2027-01-15T08:00:00Z",
            serverVersion: "v1.36.3",
            resourcesCount: 42,
            apisCount: 55,
            lastCacheSyncTime: SUCCESSFUL.cacheInfo.lastCacheSyncTime,
            applicationsCount: 1,
        });
        assert.equal(infos.get("https://prod:6443")?.connectionState, "Failed");
        assert.equal(infos.get("https://prod:6443")?.serverVersion, null);
        assert.equal(infos.get("https://x"), null);
        assert.ok(!redis.commands.some((c) => c[0] === "AUTH"), "no AUTH without a password");
    });

    it("decodes an Unknown state as the updater writes it for a cluster without Applications", () => {
        const info = decodeClusterInfo(
            stored({
                connectionState: {
                    status: "Unknown",
                    message: "Cluster has no applications and is not being monitored.",
                },
                applicationsCount: 0,
            }),
        );
        assert.equal(info.connectionState, "Unknown");
        assert.equal(info.resourcesCount, null);
        assert.equal(info.applicationsCount, 0);
    });
});

describe("the Redis password, taken as Argo CD takes it and never shown", () => {
    it("REDIS_PASSWORD (and REDIS_USERNAME) first, else the argocd-redis Secret's auth, else none", async () => {
        const secret = async () => "from-secret";
        assert.deepEqual(await redisCredentials({ REDIS_PASSWORD: "from-env" }, secret), {
            username: undefined,
            password: "from-env",
        });
        assert.deepEqual(await redisCredentials({ REDIS_PASSWORD: "p", REDIS_USERNAME: "argocd" }, secret), {
            username: "argocd",
            password: "p",
        });
        assert.deepEqual(await redisCredentials({}, secret), { username: undefined, password: "from-secret" });
        assert.deepEqual(await redisCredentials({}, async () => undefined), {});
        assert.deepEqual(
            await redisCredentials({}, async () => {
                throw new Error("403");
            }),
            {},
        );
    });

    it("authenticates with it; without it, or with a wrong one, says so without quoting it", async () => {
        const password = "s3cret-redis-password";
        const redis = await FakeRedis.start({ password });
        try {
            redis.data.set(clusterInfoKeys(SERVER).gzip, stored(SUCCESSFUL));
            const infos = await readControllerClusterInfo(redis.address, { password }, [SERVER]);
            assert.equal(infos.get(SERVER)?.connectionState, "Successful");
            assert.deepEqual(redis.commands[0], ["AUTH", password]);

            for (const credentials of [{}, { password: "wrong-password" }]) {
                const err = await readControllerClusterInfo(redis.address, credentials, [SERVER]).then(
                    () => assert.fail("read without the password"),
                    (e) => e,
                );
                const said = describeRedisFailure(err);
                assert.match(said, /Redis refused us \((NOAUTH|WRONGPASS)\): set REDIS_PASSWORD/);
                assert.ok(!said.includes(password) && !said.includes("wrong-password"), said);
            }
        } finally {
            await redis.stop();
        }
    });

    it("a Redis that is not there is a connection failure", async () => {
        const redis = await FakeRedis.start();
        const address = redis.address;
        await redis.stop();
        const err = await readControllerClusterInfo(address, {}, [SERVER]).catch((e) => e);
        assert.equal(describeRedisFailure(err), "no connection (ECONNREFUSED)");
    });
});

describe("the report shows what Argo CD itself reported, beside our own checks", () => {
    it("a line per registration: connection state, version, cache; the verdict is still ours", () => {
        const report = withArgoCdReported(
            reportOf(),
            { read: true, address: "127.0.0.1:6379", reason: null },
            new Map([[SERVER, decodeClusterInfo(stored(SUCCESSFUL))]]),
        );
        assert.equal(report.registrations[0].argocdReported?.connectionState, "Successful");
        assert.deepEqual(report.registrations[0].warnings, []);
        assert.equal(report.healthy, true);
        const table = formatTable(report, NOW);
        assert.match(
            table,
            /What Argo CD itself reported \(its application-controller's cache in Redis at 127\.0\.0\.1:6379\):/,
        );
        assert.match(
            table,
            / {2}staging: Successful, Kubernetes v1\.36\.3, 42 resources in 55 APIs, 1 Application, cache synced 12s ago/,
        );
    });

    it("a Failed state, and a server Argo CD cached nothing for, are warnings quoting Argo CD", () => {
        const failed = decodeClusterInfo(
            stored({
                connectionState: {
                    status: "Failed",
                    message: "the server has asked for the client to provide credentials",
                },
            }),
        );
        const report = withArgoCdReported(
            reportOf(),
            { read: true, address: "r:6379", reason: null },
            new Map([[SERVER, failed]]),
        );
        assert.match(
            report.registrations[0].warnings.join("\n"),
            /cluster "staging" \(https:\/\/api\.cluster\.staging:6443\): Argo CD itself reports its connection Failed: the server has asked/,
        );
        const nothing = withArgoCdReported(reportOf(), { read: true, address: "r:6379", reason: null }, new Map());
        assert.equal(nothing.registrations[0].argocdReported, null);
        assert.match(nothing.registrations[0].warnings.join("\n"), /has cached nothing for it in Redis/);
        assert.match(formatTable(nothing, NOW), /staging: nothing cached for https:\/\/api\.cluster\.staging:6443/);
    });

    it("without --argocd-redis, or when Redis cannot be read, the report says Argo CD's view was not read", () => {
        const notAsked = withArgoCdReported(
            reportOf(),
            { read: false, address: null, reason: "not asked (--argocd-redis HOST:PORT reads it)" },
            new Map(),
        );
        assert.equal(notAsked.registrations[0].argocdReported, null);
        assert.match(
            formatTable(notAsked, NOW),
            /Argo CD's own view was not read: not asked \(--argocd-redis HOST:PORT reads it\)/,
        );
        const refused = withArgoCdReported(
            reportOf(),
            { read: false, address: "r:6379", reason: "no connection (ECONNREFUSED)" },
            new Map(),
        );
        assert.match(
            formatTable(refused, NOW),
            /Argo CD's own view was not read from its Redis at r:6379: no connection \(ECONNREFUSED\)/,
        );
    });

    it("verify takes --argocd-redis HOST:PORT, and refuses anything else", () => {
        assert.equal(
            (parseArgs(["--stack", "s", "--argocd-redis", "127.0.0.1:6379"]) as { argocdRedis?: string }).argocdRedis,
            "127.0.0.1:6379",
        );
        assert.match(
            parseArgs(["--stack", "s", "--argocd-redis", "redis://r"]) as string,
            /--argocd-redis "redis:\/\/r" is not HOST:PORT/,
        );
    });
});
