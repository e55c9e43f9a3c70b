/**
 * End to end: time-bound tokens (token.kind: bound) from the TokenRequest API, issued by the program's dynamic
 * provider (components/boundToken.ts, served by engine/bin/pulumi-resource-pulumi-nodejs) in the real engine
 * against real API servers. The API server issues against its own clock, so the test reads the token's `exp`
 * and moves the clock of the program's processes (world.clock, tests/support/clock.ts) relative to it. The steps
 * build on each other.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { ensureToolchain } from "../../dev/toolchain/toolchain";
import { PROJECT_DIR } from "../../engine/engine";
import { STARTUP_MARGIN_MS } from "../support/clock";
import { deployedRevision, liveArgocdPerSuite } from "../support/liveArgocd";
import { ARGOCD_NS, credentialsFrom, eventually, type World, worldPerSuite } from "../support/world";

const HOUR = 3_600_000;

let world: World;

/** The claims of a JWT, unverified: what the API server put in it. */
function claims(token: string): { exp: number; iat: number; [key: string]: unknown } {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

function rfc3339(ms: number): string {
    return new Date(ms).toISOString().replace(".000Z", "Z");
}

const POLICY = "e2e-deny-bound-cluster-secret-writes";
const VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
const BINDINGS = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";

/**
 * Denies writes (not their dry runs) of alpha's cluster Secret, so an `up` issues the new token but cannot
 * switch Argo CD to it (as tests/e2e/interruptedRotation.e2e.test.ts does for secret tokens). Undone by
 * `allow`. Resolves once an admin's update is refused.
 */
async function denyClusterSecretWrites(): Promise<() => Promise<void>> {
    const name = clusterSecretName(world.a.server);
    const created = await world.argocd.admin("POST", VAP, {
        metadata: { name: POLICY },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["v1"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["secrets"],
                        resourceNames: [name],
                    },
                ],
            },
            validations: [{ expression: "has(request.dryRun) && request.dryRun == true", message: "e2e: denied" }],
        },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const bound = await world.argocd.admin("POST", BINDINGS, {
        metadata: { name: POLICY },
        spec: { policyName: POLICY, validationActions: ["Deny"] },
    });
    assert.equal(bound.status, 201, JSON.stringify(bound.body));
    const patch = (value: string | null) =>
        world.argocd.admin(
            "PATCH",
            `/api/v1/namespaces/${ARGOCD_NS}/secrets/${name}`,
            { metadata: { annotations: { "e2e/probe": value } } },
            "application/merge-patch+json",
        );
    await eventually(async () => (await patch(`${Date.now()}`)).status !== 200, true, "the policy denies writes");
    return async () => {
        for (const p of [`${BINDINGS}/${POLICY}`, `${VAP}/${POLICY}`]) await world.argocd.admin("DELETE", p);
        await eventually(async () => (await patch(null)).status, 200, "writes are allowed again");
    };
}

/** Alpha and beta take nothing of their own: the new stack's default decides. */
function writeStack(rotation = "1"): void {
    const [alpha, beta] = world.clusterEntries(rotation);
    world.writeConfig([alpha, { ...beta, token: { kind: "secret" } }], { "argocd-clusters:token": undefined });
}

describe("bound tokens against real clusters and the real engine", { timeout: 900_000 }, () => {
    let expiresAt: string;
    let renewsAt: string;

    // Declared before the world: Argo CD stops before the world's clusters do.
    const live = liveArgocdPerSuite(() => world);

    worldPerSuite((started) => {
        world = started;
    });

    it("1. a new stack gets bound tokens: issued for 720h, expiry recorded, the token works and stays secret", async () => {
        world.clock = undefined;
        writeStack();
        await world.succeed("up");

        const outputs = await world.succeed("outputs");
        const { alpha, beta } = outputs.registrations;
        assert.equal(outputs.tokenDefault, "bound", "a new stack's default kind is recorded");
        assert.equal(alpha.tokenKind, "bound");
        assert.equal(beta.tokenKind, "secret", "an entry's own token wins over the default");
        assert.equal(beta.tokenExpiresAt, undefined);

        const token = await world.bearerToken(world.a);
        const { exp, iat } = claims(token);
        assert.equal((exp - iat) * 1000, 720 * HOUR, "issued with the configured lifetime");
        expiresAt = rfc3339(exp * 1000);
        renewsAt = rfc3339(exp * 1000 - 168 * HOUR);
        assert.equal(alpha.tokenExpiresAt, expiresAt, "the recorded expiry is the token's exp claim");
        assert.equal(alpha.tokenRenewsAt, renewsAt);

        const secret = (await world.clusterSecret(world.a))!;
        const annotations = secret.object.metadata.annotations;
        assert.equal(annotations["argocd-clusters/token-kind"], "bound");
        assert.equal(annotations["argocd-clusters/token-expires-at"], expiresAt);
        assert.equal(annotations["argocd-clusters/token-renews-at"], renewsAt);
        assert.equal(
            (await world.clusterSecret(world.b))!.object.metadata.annotations["argocd-clusters/token-kind"],
            "secret",
        );

        const creds = credentialsFrom(secret);
        assert.equal((await kubeRequest(creds, "GET", "/api/v1/namespaces")).status, 200, "the bound token works");
        const review = await kubeRequest(creds, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
            apiVersion: "authentication.k8s.io/v1",
            kind: "SelfSubjectReview",
        });
        assert.equal(review.body?.status?.userInfo?.username, "system:serviceaccount:kube-system:argocd-manager");

        assert.ok(!JSON.stringify(outputs).includes(token), "the token is in no output");
        assert.ok(!fs.readFileSync(world.checkpointFile(), "utf8").includes(token), "nor in the state's plaintext");
    });

    it("2. before the renewal time, preview and up change nothing", async () => {
        // Less than a moved program's start-up before it (tests/support/clock.ts).
        world.clock = rfc3339(Date.parse(renewsAt) - STARTUP_MARGIN_MS);
        fs.rmSync(world.clockLog, { force: true });
        // The pack runs to show that the clock reaches it; its verdicts are other files' business ("local" counts as
        // production to it), so every policy only advises here.
        const advisory = path.join(world.workDir, "policy-advisory.json");
        fs.writeFileSync(advisory, JSON.stringify({ all: "advisory" }));
        await world.succeed(
            "preview",
            "--expect-no-changes",
            "--policy-pack",
            path.join(PROJECT_DIR, "policy", "analyzer"),
            "--policy-pack-config",
            advisory,
        );
        // The moved clock reached every Node.js process of the run: the program, the dynamic provider, the pack.
        const moved = fs.readFileSync(world.clockLog, "utf8");
        for (const script of ["cmd/run", "cmd/dynamic-provider", "cmd/run-policy-pack"]) {
            assert.ok(
                moved.split("\n").some((line) => new RegExp(`@pulumi/pulumi/${script}(/index\\.js)?$`).test(line)),
                `${script}:\n${moved}`,
            );
        }
        await world.succeed("up", "--expect-no-changes");
    });

    it("3. at the renewal time, up switches Argo CD to a new token that works, and the old one is revoked", async () => {
        const oldToken = await world.bearerToken(world.a);
        const betaToken = await world.bearerToken(world.b);
        const oldObject = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;

        world.clock = renewsAt;
        await world.succeed("up");

        const secret = (await world.clusterSecret(world.a))!;
        const creds = credentialsFrom(secret);
        assert.notEqual(creds.bearerToken, oldToken, "Argo CD holds a new token");
        assert.equal((await kubeRequest(creds, "GET", "/api/v1/namespaces")).status, 200, "the new token works");
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: oldToken }, "GET", "/api")).status,
            401,
            "the old token must be revoked",
        );
        const gone = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldObject}`);
        assert.equal(gone.status, 404, "the old token's bound object is deleted");

        // Argo CD's own code (dev/toolchain/argocd-judge) reads the cluster Secret, connects and syncs with it.
        const judged = await world.judge(await ensureToolchain(), { target: world.a });
        assert.equal(judged.code, 0, `${judged.stdout}\n${judged.stderr}`);
        assert.equal(judged.reports[0]?.credential, "bearerToken");
        assert.equal(judged.reports[0]?.version?.ok, true, judged.stdout);
        assert.ok(!`${judged.stdout}${judged.stderr}`.includes(creds.bearerToken), "the judge printed no token");
        // And a live Argo CD 3.6 deploys through it with the renewed token.
        await live.deploy("alpha", { server: world.a.server, namespace: "default" }, world.a);

        const { alpha } = (await world.succeed("outputs")).registrations;
        const { exp } = claims(creds.bearerToken);
        assert.equal(alpha.tokenExpiresAt, rfc3339(exp * 1000));
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-expires-at"], alpha.tokenExpiresAt);
        assert.equal(await world.bearerToken(world.b), betaToken, "beta, a secret token, is untouched");
        await world.succeed("up", "--expect-no-changes");
        expiresAt = alpha.tokenExpiresAt;
        renewsAt = alpha.tokenRenewsAt;
    });

    it("4. a renewal that cannot switch Argo CD keeps the old token working; the next up switches, then revokes", async () => {
        const oldToken = await world.bearerToken(world.a);
        const oldObject = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;
        const allow = await denyClusterSecretWrites();
        world.clock = renewsAt;
        const failed = await world.pulumi("up", "--continue-on-error");
        assert.notEqual(failed.code, 0, "the switch must fail");
        assert.equal(await world.bearerToken(world.a), oldToken);
        const creds = credentialsFrom((await world.clusterSecret(world.a))!);
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
            // The API server caches authentications for a few seconds: a revoked token shows within 15 s.
            assert.equal((await kubeRequest(creds, "GET", "/api")).status, 200, "the token Argo CD holds works");
            await new Promise((r) => setTimeout(r, 500));
        }
        const kept = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldObject}`);
        assert.equal(kept.status, 200, "the bound object of the token Argo CD holds is kept");

        await allow();
        await world.succeed("up");
        const switched = credentialsFrom((await world.clusterSecret(world.a))!);
        assert.notEqual(switched.bearerToken, oldToken);
        assert.equal((await kubeRequest(switched, "GET", "/api")).status, 200, "the new token works");
        await eventually(
            async () => (await kubeRequest({ ...switched, bearerToken: oldToken }, "GET", "/api")).status,
            401,
            "the old token is revoked once Argo CD holds the new one",
        );
        // Argo CD itself syncs a new commit with it.
        await live.syncNewCommit("alpha", "2");
        assert.equal(await deployedRevision(world.a, "default"), "2");
    });

    it("5. moving beta from secret to bound switches it, then revokes its token Secret", async () => {
        // The real clock again: beta's new token lives 24h by the API server's clock. Alpha's recorded issue time
        // is then in the future, which up refuses (tokens.e2e step 5): its new tokenRotation issues it anew.
        world.clock = undefined;
        const oldToken = await world.bearerToken(world.b);
        const oldTokenSecret = (await world.succeed("outputs")).registrations.beta.tokenSecretName;
        const [alpha, beta] = world.clusterEntries("2");
        world.writeConfig([alpha, { ...beta, token: { kind: "bound", lifetime: "24h", renewBefore: "1h" } }], {
            "argocd-clusters:token": undefined,
        });
        await world.succeed("up");
        const { beta: recorded } = (await world.succeed("outputs")).registrations;
        assert.equal(recorded.tokenKind, "bound");
        const creds = credentialsFrom((await world.clusterSecret(world.b))!);
        const { exp, iat } = claims(creds.bearerToken);
        assert.equal((exp - iat) * 1000, 24 * HOUR);
        assert.equal((await kubeRequest(creds, "GET", "/api")).status, 200, "beta's bound token works");
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: oldToken }, "GET", "/api")).status,
            401,
            "beta's secret token is revoked",
        );
        const gone = await world.b.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`);
        assert.equal(gone.status, 404, "its token Secret is deleted");
        await world.succeed("up", "--expect-no-changes");
    });

    it("6. a lifetime the API server caps at or below renewBefore is refused before Argo CD gets it; above, kept as issued", async () => {
        world.env.ARGOCD_CLUSTERS_NOW = undefined;
        const [alpha, beta, gamma] = world.clusterEntries();
        const withGamma = (token: Record<string, unknown>) =>
            world.writeConfig(
                [alpha, { ...beta, token: { kind: "bound", lifetime: "24h", renewBefore: "1h" } }, { ...gamma, token }],
                { "argocd-clusters:token": undefined },
            );
        // target-c's API server issues no token for more than 2h, as managed clusters may.
        await world.c.restartApiServer(["--service-account-max-token-expiration=2h"]);
        try {
            withGamma({ kind: "bound", lifetime: "720h", renewBefore: "168h" });
            const refused = await world.pulumi("up", "--yes");
            assert.notEqual(refused.code, 0, "the up must fail");
            assert.match(
                refused.output,
                /cluster "gamma": the target issued the bound token of kube-system\/argocd-manager for 2h, not the 720h asked \(its --service-account-max-token-expiration\), and that is not more than renewBefore 168h/,
                refused.output.slice(-4000),
            );
            assert.match(refused.output, /fix: set token\.lifetime to at most 2h and token\.renewBefore well below it/);
            assert.equal(await world.clusterSecret(world.c), undefined, "Argo CD got no token for gamma");
            assert.equal((await world.succeed("outputs")).registrations?.gamma, undefined, "no schedule recorded");

            // Capped above renewBefore: used as issued, renewed from its real expiry.
            withGamma({ kind: "bound", lifetime: "720h", renewBefore: "1h" });
            await world.succeed("up");
            const { exp, iat } = claims(await world.bearerToken(world.c));
            assert.equal((exp - iat) * 1000, 2 * HOUR, "issued for the cap, not the 720h asked");
            const { gamma: recorded } = (await world.succeed("outputs")).registrations;
            assert.equal(recorded.tokenExpiresAt, rfc3339(exp * 1000));
            assert.equal(recorded.tokenRenewsAt, rfc3339(exp * 1000 - HOUR));
            assert.ok(Date.parse(recorded.tokenRenewsAt) > Date.now(), "the recorded renewal time is not past");
            // The refused run's bound object held a token nobody got: deleted with the superseded ones.
            await eventually(
                async () =>
                    (
                        await world.c.admin(
                            "GET",
                            "/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dargocd-clusters%2Fbound-token",
                        )
                    ).body.items.length,
                1,
                "only the current bound object is left on target-c",
            );
            await world.succeed("up", "--expect-no-changes");
        } finally {
            await world.c.restartApiServer();
        }
    });
});
