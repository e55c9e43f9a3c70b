/**
 * End to end: time-bound tokens (token.kind: bound) from the TokenRequest API, issued by the program's dynamic
 * provider (components/boundToken.ts, served by engine/bin/pulumi-resource-pulumi-nodejs) in the real engine
 * against real API servers. The API server issues against its own clock, so the test reads the token's `exp`
 * and moves the program's "now" (ARGOCD_CLUSTERS_NOW) relative to it. The steps build on each other.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { credentialsFrom, eventually, World } from "../support/world";

const HOUR = 3_600_000;

let world: World;

/** The claims of a JWT, unverified: what the API server put in it. */
function claims(token: string): { exp: number; iat: number; [key: string]: unknown } {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

function rfc3339(ms: number): string {
    return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Alpha and beta take nothing of their own: the new stack's default decides. */
function writeStack(rotation = "1"): void {
    const [alpha, beta] = world.clusterEntries(rotation);
    world.writeConfig([alpha, { ...beta, token: { kind: "secret" } }], { "argocd-clusters:token": undefined });
}

describe("bound tokens against real clusters and the real engine", { timeout: 900_000 }, () => {
    let expiresAt: string;
    let renewsAt: string;

    before(
        async () => {
            world = await World.create();
        },
        { timeout: 5_400_000 },
    );

    after(async () => {
        await world?.dispose();
    });

    it("1. a new stack gets bound tokens: issued for 720h, expiry recorded, the token works and stays secret", async () => {
        world.env.ARGOCD_CLUSTERS_NOW = undefined;
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
        world.env.ARGOCD_CLUSTERS_NOW = rfc3339(Date.parse(renewsAt) - 1000);
        await world.succeed("preview", "--expect-no-changes");
        await world.succeed("up", "--expect-no-changes");
    });

    it("3. at the renewal time, up switches Argo CD to a new token that works, and the old one is revoked", async () => {
        const oldToken = await world.bearerToken(world.a);
        const betaToken = await world.bearerToken(world.b);
        const oldObject = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;

        world.env.ARGOCD_CLUSTERS_NOW = renewsAt;
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

        const { alpha } = (await world.succeed("outputs")).registrations;
        const { exp } = claims(creds.bearerToken);
        assert.equal(alpha.tokenExpiresAt, rfc3339(exp * 1000));
        assert.equal(secret.object.metadata.annotations["argocd-clusters/token-expires-at"], alpha.tokenExpiresAt);
        assert.equal(await world.bearerToken(world.b), betaToken, "beta, a secret token, is untouched");
        await world.succeed("up", "--expect-no-changes");
    });
});
