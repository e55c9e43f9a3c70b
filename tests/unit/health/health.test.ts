/**
 * The health report's own parts (health/): the token's claims, classification of real connection checks
 * against a loopback API server stand-in (its TLS, its /version, its access reviews), the JSON shape, the
 * table, the stack file, the command line. No network beyond loopback.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { clusterConfigJson, clusterSecretData, clusterSecretName } from "../../../argocd/clusterSecret";
import { ARGOCD_KUBERNETES_VERSION_LABEL } from "../../../argocd/names";
import type { CheckResult } from "../../../components/connectionCheck";
import { classify } from "../../../health/classify";
import { decodeClusterSecret, type SecretObject } from "../../../health/clusterSecrets";
import { rightsOfEntry, rightsOfMode } from "../../../health/expectedRights";
import { exitCode, healthReport, type Inputs } from "../../../health/healthReport";
import { argoCdView, majorMinor, registrationReport } from "../../../health/registrationReport";
import { readStack, StackFileError, securePaths } from "../../../health/stackFile";
import { formatTable, printable } from "../../../health/table";
import { formatDuration, tokenClaims } from "../../../health/tokenClaims";
import { main, parseArgs } from "../../../health/verify";
import type { ClusterSettings } from "../../../stack/settings";
import { type FakeApi, fakeApi } from "../../support/fakeApi";
import { clusterSpec, type SpecOptions } from "../../support/fixtures";

const NOW = 1_800_000_000;

/** An unsigned JWT with `claims`: the report reads claims, the API server checks signatures. */
function jwt(claims: Record<string, unknown>): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${part({ alg: "RS256" })}.${part(claims)}.c2lnbmF0dXJl`;
}

const LEGACY_TOKEN = jwt({
    iss: "kubernetes/serviceaccount",
    sub: "system:serviceaccount:kube-system:argocd-manager",
    "kubernetes.io/serviceaccount/secret.name": "argocd-manager-token-0a1b2c3d",
});
const BOUND_TOKEN = jwt({
    sub: "system:serviceaccount:kube-system:argocd-manager",
    iat: NOW - 3 * 86_400 - 4 * 3_600,
    exp: NOW + 3_600,
});

/** A cluster Secret exactly as the program writes it, as the API returns it (base64 data). */
function clusterSecret(opts: {
    name: string;
    server: string;
    token: string;
    caData?: string;
    insecure?: boolean;
    namespaces?: string[];
    labels?: Record<string, string>;
}): SecretObject {
    const config = clusterConfigJson({
        bearerToken: opts.token,
        insecure: opts.insecure ?? false,
        caData: opts.caData,
    });
    const data = clusterSecretData({ name: opts.name, server: opts.server, config, namespaces: opts.namespaces });
    return {
        metadata: {
            name: clusterSecretName(opts.server),
            labels: opts.labels ?? {},
            annotations: { "argocd-clusters/stack": "argocd-clusters/test" },
        },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    };
}

/** A validated entry (every default filled) at `server`, reached through the context of its own name. */
function entry(name: string, server: string, extra: SpecOptions = {}): ClusterSettings {
    return clusterSpec({ name, server, context: name, ...extra });
}

async function closedPort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
}

describe("the token's claims", () => {
    it("give a bound token's age and expiry and whose it is; a legacy token's age is unknown", () => {
        assert.deepEqual(tokenClaims(BOUND_TOKEN), {
            issuedAt: NOW - 3 * 86_400 - 4 * 3_600,
            expiresAt: NOW + 3_600,
            serviceAccount: "kube-system/argocd-manager",
            tokenSecret: undefined,
        });
        const legacy = tokenClaims(LEGACY_TOKEN)!;
        assert.equal(legacy.issuedAt, undefined);
        assert.equal(legacy.tokenSecret, "argocd-manager-token-0a1b2c3d");
        assert.equal(tokenClaims("not-a-jwt"), undefined);
        assert.equal(tokenClaims("a.!!!.c"), undefined);
    });

    it("durations read as the largest unit and the next", () => {
        assert.deepEqual([0, 42, 432, 3_600, 18_720, 273_600].map(formatDuration), [
            "0s",
            "42s",
            "7m12s",
            "1h",
            "5h12m",
            "3d4h",
        ]);
    });
});

describe("what the report asks for", () => {
    it("an entry's rights are what the program grants; a Secret's mode alone means full rights in its scope", () => {
        assert.deepEqual(
            rightsOfEntry(entry("a", "https://x")).map((c) => [c.verb, c.resource ?? c.nonResourceURL, c.namespace]),
            [
                ["*", "*", undefined],
                ["*", "*", undefined],
            ],
        );
        const narrow = entry("b", "https://y", {
            namespaces: ["shop"],
            clusterResources: true,
            clusterRules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get"] }],
        });
        assert.deepEqual(
            rightsOfEntry(narrow).map((c) => `${c.verb} ${c.resource} ${c.namespace ?? "cluster"}`),
            ["* * shop", "get namespaces cluster"],
        );
        assert.deepEqual(
            rightsOfMode(["a", "b"]).map((c) => c.namespace),
            ["a", "b"],
        );
    });

    it("Argo CD's recorded version agrees by major.minor, in either spelling", () => {
        assert.equal(majorMinor("v1.36.3"), "1.36");
        assert.equal(majorMinor("1.36"), "1.36");
        assert.deepEqual(argoCdView({ [ARGOCD_KUBERNETES_VERSION_LABEL]: "1.36" }, "v1.36.3"), {
            kubernetesVersion: "1.36",
            serverVersion: "v1.36.3",
            agrees: true,
        });
        assert.equal(argoCdView({ [ARGOCD_KUBERNETES_VERSION_LABEL]: "v1.29.1" }, "v1.36.3").agrees, false);
        assert.equal(argoCdView({}, "v1.36.3").agrees, null);
    });

    it("Argo CD 3.3.3+/3.4+ records vMAJOR.MINOR.PATCH without the vendor suffix: compared as it writes it", () => {
        const view = (label: string, server: string) =>
            argoCdView({ [ARGOCD_KUBERNETES_VERSION_LABEL]: label }, server).agrees;
        assert.equal(view("v1.36.3", "v1.36.3"), true);
        // Argo CD's GetServerVersion: "v" + version.ParseGeneric(gitVersion), which drops "-gke.100", "+k3s1".
        assert.equal(view("v1.36.3", "v1.36.3-gke.100"), true);
        assert.equal(view("v1.36.3", "v1.36.3+k3s1"), true);
        // A patch behind what the server answers now: Argo CD's cluster info is stale (or another cluster answers).
        assert.equal(view("v1.36.2", "v1.36.3"), false, "a recorded patch that differs is a difference");
        // What Argo CD before 3.3.3 wrote (major.minor) still compares by major.minor.
        assert.equal(view("1.36", "v1.36.3-eks-a737599"), true);
        assert.equal(view("1.35", "v1.36.3"), false);
    });
});

describe("classifying real connection checks against a loopback API server", () => {
    const token = "the-token-of-the-registration-0123456789";
    let api: FakeApi;
    let deniedApi: FakeApi;
    before(async () => {
        api = await fakeApi(token, new Set());
        deniedApi = await fakeApi(token, new Set(["*"]));
    });
    after(async () => {
        await api?.close();
        await deniedApi?.close();
    });

    const inputs = (secrets: SecretObject[], entries: ClusterSettings[]): Inputs => ({
        stack: "test",
        stackFile: "Pulumi.test.yaml",
        argocd: { context: "hub", namespace: "argocd" },
        entries,
        ours: secrets,
        others: [],
    });
    const ctx = { stackFile: "Pulumi.test.yaml", requireReachable: false, now: () => NOW };

    it("an API server that answers /version and then resets the access reviews is broken, its rights unknown", async () => {
        const flaky = await fakeApi(token, new Set(), { accessReviews: "reset" });
        try {
            const secret = clusterSecret({ name: "alpha", server: flaky.server, token, caData: flaky.caData });
            const report = await healthReport(inputs([secret], [entry("alpha", flaky.server)]), ctx);
            const [alpha] = report.registrations;
            assert.equal(alpha.status, "broken", JSON.stringify(alpha));
            assert.deepEqual(alpha.checks, { reachable: true, tls: "verified", token: "accepted", rights: "unknown" });
            assert.equal(exitCode(report), 1);
        } finally {
            await flaky.close();
        }
    });

    it("a working registration is healthy in every part, Argo CD's view agreeing", async () => {
        const secret = clusterSecret({
            name: "alpha",
            server: api.server,
            token,
            caData: api.caData,
            labels: { [ARGOCD_KUBERNETES_VERSION_LABEL]: "1.36" },
        });
        const report = await healthReport(inputs([secret], [entry("alpha", api.server)]), ctx);
        const [alpha] = report.registrations;
        assert.equal(alpha.status, "healthy", JSON.stringify(alpha));
        assert.deepEqual(alpha.checks, { reachable: true, tls: "verified", token: "accepted", rights: "expected" });
        assert.deepEqual(alpha.argocd, { kubernetesVersion: "1.36", serverVersion: "v1.36.3", agrees: true });
        assert.equal(exitCode(report), 0);
    });

    it("a rejected token, a CA that does not sign the server, missing rights: broken, each named", async () => {
        const rejected = clusterSecret({
            name: "rejected",
            server: api.server,
            token: "some-other-token-0123456789",
            caData: api.caData,
        });
        const wrongCa = clusterSecret({
            name: "wrong-ca",
            server: `https://localhost:${new URL(api.server).port}`,
            token,
            caData: api.otherCaData,
        });
        const lacking = clusterSecret({
            name: "lacking",
            server: deniedApi.server,
            token,
            caData: deniedApi.caData,
            namespaces: ["shop"],
        });
        const entries = [
            entry("rejected", api.server),
            entry("wrong-ca", `https://localhost:${new URL(api.server).port}`),
            entry("lacking", deniedApi.server, { namespaces: ["shop"] }),
        ];
        const report = await healthReport(inputs([rejected, wrongCa, lacking], entries), ctx);
        const by = Object.fromEntries(report.registrations.map((r) => [r.name, r]));
        assert.deepEqual(by.rejected.checks, {
            reachable: true,
            tls: "verified",
            token: "rejected",
            rights: "unknown",
        });
        assert.deepEqual(by["wrong-ca"].checks, {
            reachable: true,
            tls: "failed",
            token: "unknown",
            rights: "unknown",
        });
        assert.deepEqual(by.lacking.checks, { reachable: true, tls: "verified", token: "accepted", rights: "missing" });
        assert.equal(by.lacking.mode, "namespaced");
        for (const r of report.registrations) assert.equal(r.status, "broken", r.name);
        assert.match(
            by.rejected.problems[0].message,
            /^cluster "rejected" \(https:\/\/127\.0\.0\.1:\d+\): the API server rejected the token \(401\)$/,
        );
        assert.match(by.lacking.problems[0].message, /lacks rights the entry grants: \* \*\.\* in namespace shop$/);
        assert.equal(exitCode(report), 1);
    });

    it("unreachable from here passes unless reachability is required; TLS off is a warning", async () => {
        const server = `https://127.0.0.1:${await closedPort()}`;
        const secrets = [
            clusterSecret({ name: "far", server, token }),
            clusterSecret({ name: "loose", server: api.server, token, insecure: true }),
        ];
        const entries = [entry("far", server), entry("loose", api.server)];
        const relaxed = await healthReport(inputs(secrets, entries), ctx);
        const far = relaxed.registrations.find((r) => r.name === "far")!;
        assert.equal(far.status, "unreachable");
        assert.deepEqual(far.checks, { reachable: false, tls: "unknown", token: "unknown", rights: "unknown" });
        assert.match(far.warnings[0], /cannot be reached from here: no connection \(ECONNREFUSED\)/);
        const loose = relaxed.registrations.find((r) => r.name === "loose")!;
        assert.equal(loose.checks.tls, "insecure");
        assert.match(loose.warnings.join("\n"), /TLS verification off/);
        assert.equal(exitCode(relaxed), 0);
        const strict = await healthReport(inputs(secrets, entries), { ...ctx, requireReachable: true });
        assert.equal(
            strict.registrations.find((r) => r.name === "far")!.status,
            "unreachable",
            "still reported as unreachable",
        );
        assert.equal(exitCode(strict), 1);
    });

    it("flags a declared entry without a Secret and a Secret the stack no longer declares", async () => {
        const secret = clusterSecret({ name: "old", server: api.server, token, caData: api.caData });
        const report = await healthReport(inputs([secret], [entry("new", "https://new.example:6443")]), ctx);
        const by = Object.fromEntries(report.registrations.map((r) => [r.name, r]));
        assert.equal(by.old.status, "undeclared");
        assert.equal(by.old.declared, false);
        assert.match(
            by.old.problems[0].message,
            /carries this stack's mark, but Pulumi\.test\.yaml no longer declares it/,
        );
        assert.equal(by.new.status, "missing");
        assert.equal(by.new.secret, null);
        assert.match(
            by.new.problems[0].message,
            /declared in Pulumi\.test\.yaml, but Argo CD has no cluster Secret cluster-new\.example-\w+ of this stack/,
        );
        assert.deepEqual(report.counts, {
            healthy: 0,
            unreachable: 0,
            expiring: 0,
            undeclared: 1,
            broken: 0,
            missing: 1,
        });
        assert.equal(exitCode(report), 1);
    });

    it("the JSON has a fixed shape and neither the JSON nor the table holds the token", async () => {
        const secret = clusterSecret({ name: "alpha", server: api.server, token: BOUND_TOKEN, caData: api.caData });
        const report = await healthReport(inputs([secret], [entry("alpha", api.server)]), ctx);
        const json = JSON.parse(JSON.stringify(report));
        assert.deepEqual(Object.keys(json), [
            "stack",
            "stackFile",
            "argocd",
            "requireReachable",
            "healthy",
            "counts",
            "registrations",
        ]);
        assert.deepEqual(Object.keys(json.registrations[0]), [
            "name",
            "server",
            "secret",
            "declared",
            "mode",
            "namespaces",
            "status",
            "ok",
            "checks",
            "token",
            "argocd",
            "problems",
            "warnings",
        ]);
        assert.deepEqual(json.registrations[0].token, {
            kind: null,
            issuedAt: new Date((NOW - 273_600) * 1000).toISOString(),
            ageSeconds: 273_600,
            expiresAt: new Date((NOW + 3_600) * 1000).toISOString(),
            renewsAt: null,
            rotatesAt: null,
            serviceAccount: "kube-system/argocd-manager",
            tokenSecret: null,
        });
        const table = formatTable(report, NOW);
        for (const text of [JSON.stringify(report), table]) {
            assert.ok(
                !text.includes(BOUND_TOKEN) && !text.includes(BOUND_TOKEN.split(".")[1]),
                "no token, nor its payload",
            );
        }
        assert.match(table, /^CLUSTER +SERVER +STATUS +REACHABLE +TLS +TOKEN +RIGHTS +TOKEN AGE +ARGO CD$/m);
        assert.match(
            table,
            /^alpha +https:\/\/127\.0\.0\.1:\d+ +broken +yes +verified +rejected +unknown +3d4h, expires in 1h +-$/m,
        );
    });
});

describe("the report for people", () => {
    it("shows control, bidi and zero-width characters from a Secret as escapes", () => {
        assert.equal(printable("a\u202eb\nc\u200b"), "a\\u{202e}b\\u{a}c\\u{200b}");
    });

    it("a Secret Argo CD cannot read is broken, without quoting its config", () => {
        const secret: SecretObject = {
            metadata: { name: "cluster-x" },
            data: {
                name: Buffer.from("x").toString("base64"),
                server: Buffer.from("https://x/").toString("base64"),
                config: Buffer.from('{"bearerToken": 5, "secret-ish": "abcdefgh"}').toString("base64"),
            },
        };
        const decoded = decodeClusterSecret(secret);
        assert.equal(decoded.server, "https://x", "trailing slashes trimmed, as Argo CD does");
        const report = registrationReport({
            secret: decoded,
            entry: entry("x", "https://x"),
            stackFile: "Pulumi.test.yaml",
            now: NOW,
            requireReachable: false,
        });
        assert.equal(report.status, "broken");
        assert.match(
            report.problems[0].message,
            /^cluster "x" \(https:\/\/x\): its Secret's config has values Argo CD cannot read \(bearerToken is a number, not a string\)/,
        );
        assert.ok(!JSON.stringify(report).includes("abcdefgh"));
    });

    it("classifies the outcomes it does not know as unknown, never as fine", () => {
        const odd: CheckResult = { outcome: "failed", reason: "the proxy answered 407", fix: "check proxyUrl" };
        assert.deepEqual(classify(odd, false), {
            reachable: null,
            tls: "unknown",
            token: "unknown",
            rights: "unknown",
        });
    });
});

describe("reading the stack and the command line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "health-stack-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: argocd-clusters\nruntime: nodejs\n");
    fs.writeFileSync(
        kubeconfig,
        [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: hub",
            "  cluster: {server: 'https://127.0.0.1:1'}",
            "users:",
            "- name: u",
            "  user: {token: not-a-real-one}",
            "contexts:",
            "- name: hub",
            "  context: {cluster: hub, user: u}",
            "",
        ].join("\n"),
    );
    const stackFile = (config: string) =>
        fs.writeFileSync(
            path.join(dir, "Pulumi.test.yaml"),
            `config:\n  pulumi:disable-default-providers: ["kubernetes"]\n${config}`,
        );
    const env = { KUBECONFIG: kubeconfig, HOME: dir };

    it("loads the stack file as the program does, and says which key it cannot read", () => {
        stackFile(
            `  argocd-clusters:argocd: {context: hub}\n  argocd-clusters:clusters:\n    - {name: alpha, server: "https://127.0.0.1:2", context: hub, namespaces: [shop]}\n`,
        );
        const stack = readStack(dir, "org/argocd-clusters/test", env);
        assert.equal(stack.stack, "test");
        assert.equal(stack.project, "argocd-clusters");
        assert.deepEqual(stack.loaded.settings.clusters[0].namespaces, ["shop"]);

        stackFile(`  argocd-clusters:argocd: {context: nowhere}\n  argocd-clusters:clusters: []\n`);
        assert.throws(
            () => readStack(dir, "test", env),
            (e: Error) =>
                e instanceof StackFileError &&
                /argocd-clusters:argocd\.context: context "nowhere" is not in/.test(e.message),
        );

        stackFile(
            `  argocd-clusters:argocd: {context: hub, kubeconfig: {secure: v1:AAAA}}\n  argocd-clusters:clusters: []\n`,
        );
        assert.throws(
            () => readStack(dir, "test", env),
            (e: Error) =>
                e instanceof StackFileError &&
                /argocd-clusters:argocd\.kubeconfig is a Pulumi secret/.test(e.message) &&
                !e.message.includes("v1:AAAA"),
        );
        assert.deepEqual(securePaths({ a: [{ b: { secure: "x" } }] }, "k"), ["k.a[0].b"]);
    });

    it("parses the command line as the scripts pass it; bad usage and an unreadable hub exit 2", async () => {
        assert.deepEqual(
            parseArgs(["--stack", "s", "--json", "--", "--cwd", "/w", "--state", "/s", "--result", "/r"]),
            {
                json: true,
                requireReachable: false,
                limits: { warnWithin: 72 * 3_600, failWithin: 0 },
                stack: "s",
                cwd: "/w",
                result: "/r",
            },
        );
        assert.deepEqual(
            (parseArgs(["--stack", "s", "--warn-within", "240h", "--fail-within=25h"]) as { limits: unknown }).limits,
            { warnWithin: 240 * 3_600, failWithin: 25 * 3_600 },
        );
        assert.match(
            parseArgs(["--stack", "s", "--fail-within", "1d"]) as string,
            /--fail-within "1d" is not a Go duration such as 72h or 90m/,
        );
        assert.match(parseArgs(["--json"]) as string, /--stack NAME is required/);
        assert.match(parseArgs(["--stack", "s", "--state", "/s"]) as string, /unknown argument --state/);
        assert.equal((await main(["--stack"])).code, 2);
        stackFile(
            `  argocd-clusters:argocd: {context: hub, kubeconfig: ${kubeconfig}}\n  argocd-clusters:clusters: []\n`,
        );
        const cwd = process.cwd();
        try {
            const run = await main(["--stack", "test", "--", "--cwd", dir]);
            assert.equal(run.code, 2, run.err);
            assert.match(
                run.err,
                /cannot list the cluster Secrets in argocd on the Argo CD cluster \(context "hub"\): no answer \(ECONNREFUSED\)/,
            );
            assert.ok(!run.err.includes("not-a-real-one"));
        } finally {
            process.chdir(cwd);
        }
    });
});
