/**
 * End to end with a live Argo CD 3.6 (dev/controlPlane/argocd.ts): its application-controller and repo-server
 * run against the world's Argo CD cluster, and every registration the program's `up` writes is proven by an
 * Application that syncs a ConfigMap through it, as a user's Argo CD would. The steps build on each other in one
 * world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LiveArgocd } from "../../dev/controlPlane/argocd";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { majorMinor } from "../../health/registrationReport";
import { configMap, deployedRevision, liveArgocdPerSuite, messages } from "../support/liveArgocd";
import { eventually, World, worldPerSuite } from "../support/world";

/** The identity every registration's token belongs to (argocd/names.ts). */
const MANAGER = "system:serviceaccount:kube-system:argocd-manager";

let world: World;
let argocd: LiveArgocd;
const closers: { close: () => Promise<void> }[] = [];
/** Beta's entry after its move (step 6). */
let movedBeta: Record<string, unknown>;

/**
 * The entries from step 5 on: alpha and gamma keep the secret kind by entry, beta has no `token` (so it gets the
 * stack's default), each with its overrides; gamma is left out when `gamma` is.
 */
function entries(beta: Record<string, unknown>, gamma?: Record<string, unknown>): Record<string, unknown>[] {
    const [a, b, c] = world.clusterEntries("2");
    const secret = { token: { kind: "secret" } };
    return [{ ...a, ...secret }, { ...b, ...beta }, ...(gamma ? [{ ...c, ...secret, ...gamma }] : [])];
}

/** Waits until `token` no longer authenticates to `cluster`. */
async function revoked(cluster: LocalCluster, token: string, message: string): Promise<void> {
    await eventually(
        async () =>
            (await kubeRequest({ server: cluster.server, bearerToken: token, ca: cluster.caPem }, "GET", "/api"))
                .status,
        401,
        message,
    );
}

/** A kind gamma's rules (ConfigMaps only) do not cover. */
const SERVICE_ACCOUNT = ["apiVersion: v1", "kind: ServiceAccount", "metadata:", "  name: live-argocd", ""].join("\n");

describe("a live Argo CD 3.6 deploys through every registration the program writes", { timeout: 1_200_000 }, () => {
    // Declared before the world: Argo CD stops before the world's clusters do.
    const live = liveArgocdPerSuite(() => world, { projects: ["team-b"] });
    after(async () => {
        for (const c of closers) await c.close();
    });

    worldPerSuite((w) => {
        world = w;
    });

    before(
        async () => {
            argocd = await live.start();
        },
        { timeout: 5_400_000 },
    );

    it("1. after up, an Application per registration syncs a ConfigMap and is Healthy", async (t) => {
        world.writeConfig(world.clusterEntries(), { "argocd-clusters:token": { kind: "secret" } });
        await world.succeed("up");

        // By URL for alpha and gamma, by the registration's name for beta (a namespaced, project-scoped one).
        const statuses = await Promise.all([
            live.deploy("alpha", { server: world.a.server, namespace: "default" }, world.a),
            live.deploy("beta", { name: "beta", namespace: "apps" }, world.b, { project: "team-b" }),
            live.deploy("gamma", { server: world.c.server, namespace: "default" }, world.c),
        ]);
        for (const status of statuses) t.diagnostic(JSON.stringify(status));
        assert.equal(await deployedRevision(world.a, "default"), "1");
        assert.equal(await deployedRevision(world.b, "apps"), "1");
        assert.equal(await deployedRevision(world.c, "default"), "1");
    });

    it("2. an Application into a namespace out of beta's scope is refused by Argo CD itself", async (t) => {
        await argocd.createApplication({
            name: "beta-other",
            project: "team-b",
            destination: { name: "beta", namespace: "other" },
            path: "configmap",
        });
        // The cluster Secret's namespaces bound what Argo CD manages there: it sends nothing and says why.
        const status = await argocd.waitForApplication("beta-other", (s) => /not managed/.test(messages(s)));
        t.diagnostic(messages(status));
        assert.match(messages(status), /namespace "other" for ConfigMap "live-argocd" is not managed/);
        assert.notEqual(status.sync, "Synced");
        assert.equal(await deployedRevision(world.b, "other"), undefined, "nothing was deployed out of scope");
    });

    it("3. an Application with a kind beyond gamma's rules fails with the cluster's permission error", async (t) => {
        await argocd.repo.commit({ "serviceaccount/serviceaccount.yaml": SERVICE_ACCOUNT }, "a ServiceAccount");
        await argocd.createApplication({
            name: "gamma-serviceaccount",
            destination: { name: "gamma", namespace: "default" },
            path: "serviceaccount",
        });
        // Which request the cluster refuses varies from run to run; the words and the account do not.
        const status = await argocd.waitForApplication("gamma-serviceaccount", (s) => /forbidden/.test(messages(s)));
        t.diagnostic(messages(status));
        assert.match(messages(status), new RegExp(`forbidden: User "${MANAGER}"`), messages(status));
        assert.notEqual(status.sync, "Synced");
        const sa = await world.c.admin("GET", "/api/v1/namespaces/default/serviceaccounts/live-argocd");
        assert.equal(sa.status, 404, "nothing was deployed beyond the rules");
    });

    it("4. after alpha's token is rotated, a new commit still syncs to alpha, with the new token", async (t) => {
        const oldToken = await world.bearerToken(world.a);
        world.writeConfig(world.clusterEntries("2"), { "argocd-clusters:token": { kind: "secret" } });
        await world.succeed("up");
        const newToken = await world.bearerToken(world.a);
        assert.notEqual(newToken, oldToken, "up rotated alpha's token");
        // Only the new token works from now on, so a sync of the new commit can only be made with it.
        await revoked(world.a, oldToken, "the old token is revoked");

        const status = await live.syncNewCommit("alpha", "2");
        t.diagnostic(JSON.stringify(status));
        assert.equal(await deployedRevision(world.a, "default"), "2");
    });

    it("5. beta on the default token kind (bound) is renewed at its renewal time; a new commit syncs with the renewed token", async (t) => {
        // The stack-wide kind goes: alpha and gamma keep theirs by entry; beta, with no `token`, gets what an entry
        // without one gets in a new stack (the product's default, bound).
        world.writeConfig(entries({}, {}));
        await world.succeed("up");
        const { beta } = (await world.succeed("outputs")).registrations;
        assert.equal(beta.tokenKind, "bound", "beta has the default kind");
        const oldToken = await world.bearerToken(world.b);

        // At its renewal time (tests/support/clock.ts): the program runs with the moved clock, Argo CD does not.
        world.clock = beta.tokenRenewsAt;
        try {
            await world.succeed("up");
        } finally {
            world.clock = undefined;
        }
        const renewed = (await world.succeed("outputs")).registrations.beta;
        assert.notEqual(renewed.tokenExpiresAt, beta.tokenExpiresAt, "up renewed beta's token");
        assert.notEqual(await world.bearerToken(world.b), oldToken, "Argo CD holds the renewed token");
        // Only the renewed token works from now on, so a sync of the new commit can only be made with it.
        await revoked(world.b, oldToken, "the token before the renewal is revoked");

        const status = await live.syncNewCommit("beta", "3");
        t.diagnostic(JSON.stringify(status));
        assert.equal(await deployedRevision(world.b, "apps"), "3");
    });

    it("6. beta moved to a new server with nameMovedFrom: its Applications by name follow and a new commit syncs there", async (t) => {
        // target-b at another URL (a DNS alias), registered with a ServiceAccount of its own (docs/operations.md).
        const alias = await World.alias(world.b);
        closers.push(alias);
        const oldToken = await world.bearerToken(world.b);
        movedBeta = { server: alias.server, serviceAccount: "argocd-manager-v2", nameMovedFrom: world.b.server };
        world.writeConfig(entries(movedBeta, {}));
        const moved = await world.pulumi("up", "--yes");
        assert.equal(moved.code, 0, moved.output.slice(-4000));
        assert.match(
            moved.output,
            /moving "beta" \(https:\/\/127\.0\.0\.\d+:\d+\) to https:\/\/localhost:\d+ \(nameMovedFrom\): 2 Application\(s\) that deploy to it by name now deploy there/,
            moved.output.slice(-4000),
        );
        assert.equal(await world.clusterSecret(world.b), undefined, "the old URL's cluster Secret is deleted");
        await revoked(world.b, oldToken, "the old registration's token is revoked");

        const status = await live.syncNewCommit("beta", "4");
        t.diagnostic(JSON.stringify(status));
        assert.equal(await deployedRevision(world.b, "apps"), "4");
    });

    it("7. removing gamma is refused while Applications deploy to it; retired, they fail with Argo CD's error and nothing is deployed", async (t) => {
        const token = await world.bearerToken(world.c);
        // The program reads the live Applications: gamma by URL, gamma-serviceaccount by name.
        world.writeConfig(entries(movedBeta));
        const refused = await world.pulumi("up", "--yes");
        assert.notEqual(refused.code, 0, "the up must fail");
        assert.match(
            refused.output,
            /removing "gamma" \(https:\/\/127\.0\.0\.\d+:\d+\) would break 2 Application\(s\) that still deploy to it: argocd\/gamma, argocd\/gamma-serviceaccount/,
            refused.output.slice(-4000),
        );
        assert.equal(await world.bearerToken(world.c), token, "gamma stays registered as it was");

        world.writeConfig(entries(movedBeta, { retire: true }));
        const retired = await world.pulumi("up", "--yes");
        assert.equal(retired.code, 0, retired.output.slice(-4000));
        assert.match(retired.output, /retiring "gamma" .* although 2 Application\(s\) still deploy to it/);
        assert.equal(await world.clusterSecret(world.c), undefined, "gamma's cluster Secret is deleted");
        await revoked(world.c, token, "gamma's token is revoked");

        // Gamma's rules allow creating ConfigMaps, not patching them: with its ConfigMap gone, a registered gamma
        // would create it anew from the next commit. Argo CD no longer knows the cluster, by URL or by name.
        const configMaps = "/api/v1/namespaces/default/configmaps";
        assert.equal((await world.c.admin("DELETE", `${configMaps}/live-argocd`)).status, 200);
        await argocd.repo.commit({ "configmap/configmap.yaml": configMap("5") }, "a fifth revision");
        for (const name of ["gamma", "gamma-serviceaccount"]) await argocd.refresh(name);
        const server = world.c.server.replace(/\./g, "\\.");
        const byServer = await argocd.waitForApplication("gamma", (s) => /InvalidSpecError/.test(messages(s)));
        t.diagnostic(messages(byServer));
        assert.match(
            messages(byServer),
            new RegExp(
                `InvalidSpecError: error getting cluster by server "${server}": .*cluster "${server}" not found`,
            ),
        );
        const byName = await argocd.waitForApplication("gamma-serviceaccount", (s) =>
            /InvalidSpecError/.test(messages(s)),
        );
        t.diagnostic(messages(byName));
        assert.match(messages(byName), /InvalidSpecError: there are no clusters with this name: gamma/);
        assert.equal(await deployedRevision(world.c, "default"), undefined, "nothing was deployed after the removal");
    });

    it("last: the health report shows, per registration, what Argo CD itself reported from its Redis, and no token", async (t) => {
        const credentials = world.plane.clusters.map((c) => c.adminToken);
        for (const target of [world.a, world.b, world.c]) {
            const secret = await world.clusterSecret(target);
            if (secret) credentials.push(secret.config.bearerToken);
        }
        const reported = (r: any) =>
            r.argocdReported?.connectionState === "Successful" && r.argocdReported.serverVersion;
        // The controller writes its cluster info every 10 s: wait until every registration with a Secret has one.
        const deadline = Date.now() + 90_000;
        let run = await world.script("verify", "--json", "--argocd-redis", argocd.redisAddress);
        while (!(run.result?.registrations ?? []).filter((r: any) => r.secret !== null).every(reported)) {
            if (Date.now() > deadline) break;
            await new Promise((resolve) => setTimeout(resolve, 2000));
            run = await world.script("verify", "--json", "--argocd-redis", argocd.redisAddress);
        }
        assert.ok(run.result, `no JSON report:\n${run.output.slice(-3000)}`);
        assert.deepEqual(run.result.argocdRedis, { read: true, address: argocd.redisAddress, reason: null });
        const registrations = run.result.registrations.filter((r: any) => r.secret !== null);
        assert.ok(registrations.length > 0, "the report has registrations");
        for (const r of registrations) {
            t.diagnostic(`${r.name}: ${JSON.stringify(r.argocdReported)}`);
            assert.equal(
                r.argocdReported?.connectionState,
                "Successful",
                `${r.name}: ${JSON.stringify(r.argocdReported)}`,
            );
            // Argo CD writes vMAJOR.MINOR.PATCH (gitops-engine GetServerVersion); ours is /version's gitVersion.
            assert.match(r.argocdReported.serverVersion, /^v\d+\.\d+\.\d+$/);
            if (r.argocd.serverVersion)
                assert.equal(majorMinor(r.argocdReported.serverVersion), majorMinor(r.argocd.serverVersion));
            assert.ok(r.argocdReported.resourcesCount > 0, `${r.name}: the controller's cache holds its resources`);
        }

        const table = await world.script("verify", "--argocd-redis", argocd.redisAddress);
        t.diagnostic(table.stdout);
        assert.match(table.stdout, /What Argo CD itself reported \(its application-controller's cache in Redis at /);
        for (const r of registrations)
            assert.ok(
                table.stdout.includes(`  ${r.name}: Successful, Kubernetes ${r.argocdReported.serverVersion}`),
                `${r.name} in:\n${table.stdout}`,
            );
        for (const text of [run.output, JSON.stringify(run.result), table.output])
            for (const credential of credentials) assert.ok(!text.includes(credential), "no credential in the report");

        // Without the option, the report says Argo CD's view was not read.
        const without = await world.script("verify");
        assert.match(
            without.stdout,
            /Argo CD's own view was not read: not asked \(--argocd-redis HOST:PORT reads it\)/,
        );
    });
});
