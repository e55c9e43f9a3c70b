/**
 * End to end, we create, change, delete and revoke only what is provably ours (docs/ownership.md), with a second
 * deployment beside ours on the same clusters:
 *
 * 1. A target that `argocd cluster add` registered with another Argo CD: our entry for it is refused before
 *    anything is written (create, never upsert), the CLI's objects and token stay as they were; with a
 *    ServiceAccount of its own the entry registers beside them.
 * 2. Two deployments that share a stack name (each its own state backend and Argo CD): the second is refused
 *    the first's ServiceAccount; with its own, both rotate their tokens and each revokes only its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { argocdClusterAddOnTarget } from "../support/cliRegistration";
import { eventually, type World, worldPerSuite } from "../support/world";

let world: World;

const b64 = (value: string) => Buffer.from(value, "base64").toString("utf8");

/** `GET /api` with `token` on `cluster`: 200 while the token works, 401 once it is revoked. */
async function tokenStatus(cluster: LocalCluster, token: string): Promise<number> {
    return (await kubeRequest({ server: cluster.server, ca: cluster.caPem, bearerToken: token }, "GET", "/api")).status;
}

/** The bearer token of the cluster Secret for `target` in Argo CD namespace `namespace`. */
async function heldToken(namespace: string, target: LocalCluster): Promise<string> {
    const res = await world.argocd.admin(
        "GET",
        `/api/v1/namespaces/${namespace}/secrets/${clusterSecretName(target.server)}`,
    );
    assert.equal(res.status, 200, `the cluster Secret in ${namespace}: ${JSON.stringify(res.body)}`);
    return JSON.parse(b64(res.body.data.config)).bearerToken;
}

/**
 * What `argocd cluster add` left on `cluster`, as far as a takeover would change it: each object's uid, its
 * annotations and the field managers that wrote it (the API server itself may touch the token Secret: it labels
 * a legacy token with the day it was last used).
 */
async function cliObjects(cluster: LocalCluster): Promise<Record<string, unknown>> {
    const paths = [
        "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/argocd-manager-role-binding",
        "/api/v1/namespaces/kube-system/secrets/argocd-manager-long-lived-token",
    ];
    const objects: Record<string, unknown> = {};
    for (const p of paths) {
        const res = await cluster.admin("GET", p);
        if (res.status !== 200) {
            objects[p] = res.status;
            continue;
        }
        const { uid, annotations, managedFields } = res.body.metadata;
        const managers = [...new Set((managedFields ?? []).map((f: { manager: string }) => f.manager))];
        objects[p] = { uid, annotations, managers: managers.filter((m) => m !== "kube-apiserver") };
    }
    return objects;
}

describe("only what is provably ours, with a second deployment beside ours", { timeout: 1_800_000 }, () => {
    worldPerSuite((started) => {
        world = started;
    }, "production");

    it("1. a target that argocd cluster add registered with another Argo CD is refused, never taken over", async () => {
        // What `argocd cluster add target-c` (v3.1+) leaves on the target for another Argo CD.
        const c = world.c;
        const cliToken = await argocdClusterAddOnTarget(c);
        const before = await cliObjects(c);
        const everything = await world.everyOwnedObject();

        // Full cluster-wide rights, as the CLI grants, with the opt-in a production stack needs for them.
        const gamma = { name: "gamma", server: c.server, context: "target-c", allowWildcardRbac: true };
        world.writeConfig([gamma]);
        for (const operation of ["preview", "up"]) {
            const run = await world.pulumi(operation);
            assert.notEqual(run.code, 0, `${operation} must refuse:\n${run.output.slice(-3000)}`);
            assert.match(
                run.output,
                /the target already has ServiceAccount kube-system\/argocd-manager \(no argocd-clusters\/stack mark: argocd cluster add, a person or another tool\), ClusterRole argocd-manager-role \([^)]*\), ClusterRoleBinding argocd-manager-role-binding \([^)]*\), which this stack did not make/,
                run.output.slice(-3000),
            );
            assert.match(run.output, /Pulumi\.production\.yaml/, "the stack file is named");
            assert.match(run.output, /argocd-clusters:clusters\[0\]\.serviceAccount/, "the key is named");
            assert.match(run.output, /serviceAccount: a name nobody else uses on that cluster/, "the fix is named");
        }
        assert.deepEqual(await cliObjects(c), before, "the CLI's objects are untouched");
        assert.deepEqual(await world.everyOwnedObject(), everything, "nothing of ours was written anywhere");
        assert.equal(await tokenStatus(c, cliToken), 200, "the other Argo CD's token still works");

        // With an account of its own, the entry registers beside the CLI's, which stays as it was.
        world.writeConfig([{ ...gamma, serviceAccount: "argocd-manager-production" }]);
        const up = await world.pulumi("up");
        assert.equal(up.code, 0, up.output.slice(-4000));
        assert.deepEqual(await cliObjects(c), before, "the CLI's objects are still untouched");
        assert.equal(await tokenStatus(c, cliToken), 200, "the other Argo CD's token still works");
        assert.equal(await tokenStatus(c, await heldToken("argocd", c)), 200, "ours works");
    });

    it("2. two deployments under one stack name: refused the other's account, each revokes only its own token", async () => {
        const a = world.a;
        const entry = (rotation: string, more: Record<string, unknown> = {}) => ({
            name: "alpha",
            server: a.server,
            context: "target-a",
            tokenRotation: rotation,
            allowWildcardRbac: true,
            ...more,
        });
        const secretKind = { "argocd-clusters:token": { kind: "secret" } };
        world.writeConfig([entry("1")], secretKind);
        await world.succeed("up");
        const ours = await heldToken("argocd", a);

        // Another team's deployment: its own backend and its own Argo CD (namespace argocd-b), the same stack name.
        const theirs = world.otherDeployment("production");
        try {
            await world.argocd.admin("POST", "/api/v1/namespaces", { metadata: { name: "argocd-b" } });
            theirs.writeConfig([entry("1")], secretKind, { namespace: "argocd-b" });
            const refused = await theirs.pulumi("up");
            assert.notEqual(refused.code, 0, "the other deployment may not take our account");
            assert.match(
                refused.output,
                /the target already has ServiceAccount kube-system\/argocd-manager \(another deployment \(argocd-clusters\/owner: [0-9a-f]{32}, stack argocd-clusters\/production\)\)/,
                refused.output.slice(-3000),
            );
            assert.equal(await tokenStatus(a, ours), 200, "our token still works");

            // With an account of its own, it registers; then both rotate, and each revokes only its own token.
            theirs.writeConfig([entry("1", { serviceAccount: "argocd-manager-b" })], secretKind, {
                namespace: "argocd-b",
            });
            await theirs.succeed("up");
            const theirsBefore = await heldToken("argocd-b", a);
            world.writeConfig([entry("2")], secretKind);
            await world.succeed("up");
            theirs.writeConfig([entry("2", { serviceAccount: "argocd-manager-b" })], secretKind, {
                namespace: "argocd-b",
            });
            await theirs.succeed("up");
            const oursNow = await heldToken("argocd", a);
            const theirsNow = await heldToken("argocd-b", a);
            assert.equal(await tokenStatus(a, oursNow), 200, "the token our Argo CD holds works");
            assert.equal(await tokenStatus(a, theirsNow), 200, "the token their Argo CD holds works");
            for (const old of [ours, theirsBefore])
                await eventually(
                    () => tokenStatus(a, old),
                    401,
                    "each superseded token is revoked by its own deployment",
                );
            // Converged, both: nothing to do, nothing of the other's to touch.
            await world.succeed("preview", "--expect-no-changes");
            await theirs.succeed("preview", "--expect-no-changes");
        } finally {
            await theirs.succeed("destroy", "--yes").catch(() => undefined);
            await theirs.dispose();
        }
    });
});
