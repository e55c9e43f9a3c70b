/**
 * End to end: scheduled rotation of secret-kind tokens (token.rotateEvery) in the real engine against real API
 * servers, with the clock of the program's processes moved (world.clock, tests/support/clock.ts) instead of
 * waiting 30 days. A moved program reads the time it was given plus its own start-up, so issue times are checked
 * to lie within STARTUP_MARGIN_MS of it and each later step moves the clock relative to what was recorded. The
 * steps build on each other in one world.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { parsePreview, summarizePreview } from "../../summary/summary";
import { readAt, STARTUP_MARGIN_MS, timePlus } from "../support/clock";
import { configMapRoundTrip, credentialsFrom, eventually, type World, worldPerSuite } from "../support/world";

const ISSUED = "2030-01-01T00:00:00Z";
const PERIOD = 720 * 3_600_000;

let world: World;

/** Alpha takes the stack-wide default (every 720h); beta opts out with a token of its own. */
function writeStack(rotation = "1"): void {
    const [alpha, beta] = world.clusterEntries(rotation);
    world.writeConfig([alpha, { ...beta, token: { kind: "secret" } }], {
        "argocd-clusters:token": { kind: "secret", rotateEvery: "720h" },
    });
}

describe("scheduled token rotation against real clusters and the real engine", { timeout: 900_000 }, () => {
    worldPerSuite((started) => {
        world = started;
    });

    let issuedAt: string;
    let rotatesAt: string;

    it("1. up issues the token and records when it was issued and when it rotates", async () => {
        world.clock = ISSUED;
        writeStack();
        await world.succeed("up");

        const { alpha, beta } = (await world.succeed("outputs")).registrations;
        assert.ok(readAt(alpha.tokenIssuedAt, ISSUED), alpha.tokenIssuedAt);
        ({ tokenIssuedAt: issuedAt, tokenRotatesAt: rotatesAt } = alpha);
        assert.equal(rotatesAt, timePlus(issuedAt, PERIOD));
        assert.equal(beta.tokenIssuedAt, undefined, "an entry without rotateEvery records no schedule");
        const secret = (await world.clusterSecret(world.a))!;
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-issued-at"], issuedAt);
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-rotates-at"], rotatesAt);
        assert.deepEqual(await configMapRoundTrip(credentialsFrom(secret), "default"), [201, 200]);
    });

    it("2. before the rotation time, up is a no-op", async () => {
        world.clock = timePlus(rotatesAt, -STARTUP_MARGIN_MS);
        await world.succeed("preview", "--expect-no-changes");
        await world.succeed("up", "--expect-no-changes");
    });

    it("3. at the rotation time, up switches Argo CD to a new token that works and revokes the old one", async () => {
        const oldToken = await world.bearerToken(world.a);
        const betaToken = await world.bearerToken(world.b);
        const oldTokenSecret = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;

        world.clock = rotatesAt;
        const preview = await world.pulumi("preview", "--json");
        assert.equal(preview.code, 0, preview.output.slice(-4000));
        assert.match(
            summarizePreview(parsePreview(preview.stdout)),
            new RegExp(
                `\`alpha\`[^\n]*\n {2}- token rotated \\(scheduled: the token issued \`${issuedAt}\` is rotateEvery old\\)$`,
                "m",
            ),
        );
        const changes = await world.succeed("up");
        // New suffix and token Secret (replaced), the cluster Secret switched (updated); nothing else.
        assert.deepEqual(
            { ...changes, same: undefined, read: undefined },
            { replace: 2, update: 1, same: undefined, read: undefined },
        );

        const secret = (await world.clusterSecret(world.a))!;
        const creds = credentialsFrom(secret);
        assert.notEqual(creds.bearerToken, oldToken);
        assert.deepEqual(await configMapRoundTrip(creds, "default"), [201, 200], "the new token works");
        // The API server drops the token once its informer sees the Secret gone: allow it a moment.
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: oldToken }, "GET", "/api")).status,
            401,
            "the old token must be revoked",
        );
        const gone = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`);
        assert.equal(gone.status, 404, "the old token Secret is deleted");

        const { alpha } = (await world.succeed("outputs")).registrations;
        assert.ok(readAt(alpha.tokenIssuedAt, rotatesAt), alpha.tokenIssuedAt);
        ({ tokenIssuedAt: issuedAt, tokenRotatesAt: rotatesAt } = alpha);
        assert.equal(rotatesAt, timePlus(issuedAt, PERIOD));
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-issued-at"], issuedAt);
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-rotates-at"], rotatesAt);
        assert.equal(await world.bearerToken(world.b), betaToken, "beta, without rotateEvery, keeps its token");
    });

    it("4. the new issue time holds; a new tokenRotation still rotates at once and starts a new period", async () => {
        world.clock = "2030-02-15T00:00:00Z";
        await world.succeed("up", "--expect-no-changes");

        const oldToken = await world.bearerToken(world.a);
        writeStack("2");
        const changes = await world.succeed("up");
        assert.deepEqual(
            { ...changes, same: undefined, read: undefined },
            { replace: 2, update: 1, same: undefined, read: undefined },
        );
        assert.notEqual(await world.bearerToken(world.a), oldToken);
        const recorded = (await world.succeed("outputs")).registrations.alpha;
        assert.ok(readAt(recorded.tokenIssuedAt, "2030-02-15T00:00:00Z"), recorded.tokenIssuedAt);
        assert.equal(recorded.tokenRotatesAt, timePlus(recorded.tokenIssuedAt, PERIOD));
        await world.succeed("up", "--expect-no-changes");
    });

    it("5. with the real clock behind the recorded issue time, up refuses naming the fix and changes nothing; the fix works", async () => {
        const before = await world.everyOwnedObject();
        world.clock = undefined;
        const run = await world.pulumi("up");
        assert.notEqual(run.code, 0);
        assert.match(
            run.output,
            /cluster "alpha": the state records its token as issued at 2030-02-15T00:0\d:\d\dZ, after this machine's clock/,
        );
        assert.match(run.output, /give the entry a new tokenRotation \(now "2"\): its token is then issued anew/);
        assert.deepEqual(await world.everyOwnedObject(), before);

        writeStack("3");
        await world.succeed("up");
        const recorded = (await world.succeed("outputs")).registrations.alpha;
        assert.ok(
            Math.abs(Date.parse(recorded.tokenIssuedAt) - Date.now()) < STARTUP_MARGIN_MS,
            recorded.tokenIssuedAt,
        );
        await world.succeed("up", "--expect-no-changes");
    });
});
