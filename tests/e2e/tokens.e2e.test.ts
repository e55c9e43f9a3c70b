/**
 * End to end: scheduled rotation of secret-kind tokens (token.rotateEvery) in the real engine against real API
 * servers, with the program's "now" moved by ARGOCD_CLUSTERS_NOW instead of waiting 30 days. The steps build
 * on each other in one world.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { parsePreview, summarizePreview } from "../../summary/summary";
import { configMapRoundTrip, credentialsFrom, eventually, type World, worldPerSuite } from "../support/world";

const ISSUED = "2030-01-01T00:00:00Z";
const ROTATES = "2030-01-31T00:00:00Z"; // ISSUED + 720h
const ROTATES_NEXT = "2030-03-02T00:00:00Z"; // ROTATES + 720h

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

    it("1. up issues the token and records when it was issued and when it rotates", async () => {
        world.env.ARGOCD_CLUSTERS_NOW = ISSUED;
        writeStack();
        await world.succeed("up");

        const { alpha, beta } = (await world.succeed("outputs")).registrations;
        assert.equal(alpha.tokenIssuedAt, ISSUED);
        assert.equal(alpha.tokenRotatesAt, ROTATES);
        assert.equal(beta.tokenIssuedAt, undefined, "an entry without rotateEvery records no schedule");
        const secret = (await world.clusterSecret(world.a))!;
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-issued-at"], ISSUED);
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-rotates-at"], ROTATES);
        assert.deepEqual(await configMapRoundTrip(credentialsFrom(secret), "default"), [201, 200]);
    });

    it("2. before the rotation time, up is a no-op", async () => {
        world.env.ARGOCD_CLUSTERS_NOW = "2030-01-30T23:59:59Z";
        await world.succeed("preview", "--expect-no-changes");
        await world.succeed("up", "--expect-no-changes");
    });

    it("3. at the rotation time, up switches Argo CD to a new token that works and revokes the old one", async () => {
        const oldToken = await world.bearerToken(world.a);
        const betaToken = await world.bearerToken(world.b);
        const oldTokenSecret = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;

        world.env.ARGOCD_CLUSTERS_NOW = ROTATES;
        const preview = await world.pulumi("preview", "--json");
        assert.equal(preview.code, 0, preview.output.slice(-4000));
        assert.match(
            summarizePreview(parsePreview(preview.stdout)),
            /`alpha`[^\n]*\n {2}- token rotated \(scheduled: the token issued `2030-01-01T00:00:00Z` is rotateEvery old\)$/m,
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
        assert.equal(alpha.tokenIssuedAt, ROTATES);
        assert.equal(alpha.tokenRotatesAt, ROTATES_NEXT);
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-issued-at"], ROTATES);
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-rotates-at"], ROTATES_NEXT);
        assert.equal(await world.bearerToken(world.b), betaToken, "beta, without rotateEvery, keeps its token");
    });

    it("4. the new issue time holds; a new tokenRotation still rotates at once and starts a new period", async () => {
        world.env.ARGOCD_CLUSTERS_NOW = "2030-02-15T00:00:00Z";
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
        assert.equal(recorded.tokenIssuedAt, "2030-02-15T00:00:00Z");
        assert.equal(recorded.tokenRotatesAt, "2030-03-17T00:00:00Z");
        await world.succeed("up", "--expect-no-changes");
    });

    it("5. a now that is not RFC 3339 fails the run naming the variable, and changes nothing", async () => {
        const before = await world.everyOwnedObject();
        world.env.ARGOCD_CLUSTERS_NOW = "next tuesday";
        const run = await world.pulumi("up");
        assert.notEqual(run.code, 0);
        assert.match(run.output, /ARGOCD_CLUSTERS_NOW is "next tuesday", not an RFC 3339 time/);
        assert.deepEqual(await world.everyOwnedObject(), before);
        world.env.ARGOCD_CLUSTERS_NOW = undefined;
    });
});
