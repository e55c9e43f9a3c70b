import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    clusterConfigJson,
    clusterSecretData,
    clusterSecretName,
    decodeToken,
    fnv32a,
} from "../../../argocd/clusterSecret";

/**
 * Names Argo CD's algorithm gives servers, computed by Go's own net/url and net/netip
 * (tests/vectors/secretname/main.go; regenerate with
 * `go -C tests/vectors/secretname run . > tests/vectors/secretname/vectors.json`). No Go at test time.
 */
const VECTORS_FILE = path.resolve(__dirname, "..", "..", "..", "..", "tests", "vectors", "secretname", "vectors.json");
const VECTORS = JSON.parse(fs.readFileSync(VECTORS_FILE, "utf8")) as {
    server: string;
    name?: string;
    error?: string;
}[];

describe("fnv32a", () => {
    it("matches the published FNV-1a 32-bit test vectors", () => {
        assert.equal(fnv32a(""), 0x811c9dc5);
        assert.equal(fnv32a("a"), 0xe40c292c);
        assert.equal(fnv32a("foobar"), 0xbf9cf968);
    });
});

describe("clusterSecretName, as Argo CD's URIToSecretName", () => {
    // Hashes computed independently with Python over the same bytes.
    it("names a host:port server", () => {
        assert.equal(
            clusterSecretName("https://api.cluster.production:6443"),
            "cluster-api.cluster.production-2635694092",
        );
        assert.equal(clusterSecretName("https://api.cluster.staging:6443"), "cluster-api.cluster.staging-2867269650");
    });

    it("lowercases the host but hashes the server as written", () => {
        assert.equal(
            clusterSecretName("https://API.cluster.production:6443"),
            "cluster-api.cluster.production-2825200748",
        );
    });

    it("turns an IPv6 address's colons into dashes", () => {
        assert.equal(
            clusterSecretName("http://[fe80::1ff:fe23:4567:890a]:8000"),
            "cluster-fe80--1ff-fe23-4567-890a-664858999",
        );
    });

    it("ignores the path when taking the host", () => {
        assert.match(clusterSecretName("https://rancher.example/k8s/clusters/c-abc"), /^cluster-rancher\.example-\d+$/);
    });

    it("keeps an IPv4-mapped IPv6 address in its ::ffff: form, as Go's netip does", () => {
        assert.equal(clusterSecretName("https://[::ffff:10.0.0.1]:6443"), "cluster---ffff-10.0.0.1-3469715267");
    });

    it("gives every name Go computes with Argo CD's algorithm", () => {
        assert.ok(VECTORS.length > 50);
        for (const vector of VECTORS.filter((v) => v.name !== undefined)) {
            assert.equal(clusterSecretName(vector.server), vector.name, JSON.stringify(vector.server));
        }
    });

    it("refuses every server Go's net/url or netip refuses, as Argo CD would", () => {
        for (const vector of VECTORS.filter((v) => v.error !== undefined)) {
            assert.throws(
                () => clusterSecretName(vector.server),
                /Argo CD cannot name a cluster Secret after this server/,
                JSON.stringify(vector.server),
            );
        }
    });
});

describe("clusterConfigJson", () => {
    it("writes only what is set", () => {
        assert.equal(
            clusterConfigJson({ bearerToken: "t", insecure: false }),
            '{"bearerToken":"t","tlsClientConfig":{"insecure":false}}',
        );
    });

    it("writes every optional field in Argo CD's names", () => {
        assert.deepEqual(
            JSON.parse(
                clusterConfigJson({
                    bearerToken: "t",
                    insecure: false,
                    caData: "Q0E=",
                    serverName: "api",
                    proxyUrl: "http://p:3128",
                    disableCompression: false,
                }),
            ),
            {
                bearerToken: "t",
                tlsClientConfig: { insecure: false, serverName: "api", caData: "Q0E=" },
                proxyUrl: "http://p:3128",
                disableCompression: false,
            },
        );
    });

    it("drops the CA when insecure, which client-go would refuse", () => {
        assert.deepEqual(
            JSON.parse(clusterConfigJson({ bearerToken: "t", insecure: true, caData: "Q0E=" })).tlsClientConfig,
            { insecure: true },
        );
    });
});

describe("clusterSecretData", () => {
    it("joins namespaces and writes clusterResources only in namespaced mode", () => {
        assert.deepEqual(
            clusterSecretData({
                name: "n",
                server: "s",
                config: "{}",
                namespaces: ["a", "b"],
                clusterResources: false,
                shard: 0,
            }),
            { name: "n", server: "s", config: "{}", namespaces: "a,b", clusterResources: "false", shard: "0" },
        );
        assert.deepEqual(
            clusterSecretData({ name: "n", server: "s", config: "{}", clusterResources: true, project: "p" }),
            { name: "n", server: "s", config: "{}", project: "p" },
        );
    });
});

describe("decodeToken", () => {
    it("decodes the token Secret's base64 token", () => {
        assert.equal(
            decodeToken({ token: Buffer.from("eyJ.abc.def").toString("base64") }, "prod", "argocd-manager-token-1"),
            "eyJ.abc.def",
        );
    });

    it("refuses an unfilled token Secret, naming the cluster and the Secret", () => {
        assert.throws(
            () => decodeToken({}, "prod", "argocd-manager-token-1"),
            /failed to read the token of cluster "prod": Secret "argocd-manager-token-1" has no data.token yet/,
        );
        assert.throws(() => decodeToken(undefined, "prod", "s"), /cluster "prod"/);
    });
});
