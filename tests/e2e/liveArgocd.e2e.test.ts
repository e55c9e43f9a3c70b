/**
 * End to end with a live Argo CD 3.6 (dev/controlPlane/argocd.ts): its application-controller and repo-server
 * run against the world's Argo CD cluster, and every registration the program's `up` writes is proven by an
 * Application that syncs a ConfigMap through it, as a user's Argo CD would. The steps build on each other in one
 * world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApplicationStatus, LiveArgocd } from "../../dev/controlPlane/argocd";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { ensureToolchain } from "../../dev/toolchain/toolchain";
import { majorMinor } from "../../health/registrationReport";
import { ARGOCD_NS, eventually, type World, worldPerSuite } from "../support/world";

/** The identity every registration's token belongs to (argocd/names.ts). */
const MANAGER = "system:serviceaccount:kube-system:argocd-manager";

let world: World;
let argocd: LiveArgocd;
const started = Date.now();

/** The manifest every Application deploys: one ConfigMap whose data says which commit it came from. */
function configMap(revision: string): string {
    return [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: live-argocd",
        "data:",
        `  revision: "${revision}"`,
        "",
    ].join("\n");
}

/** A kind gamma's rules (ConfigMaps only) do not cover. */
const SERVICE_ACCOUNT = ["apiVersion: v1", "kind: ServiceAccount", "metadata:", "  name: live-argocd", ""].join("\n");

/** The ConfigMap's `revision` on `cluster`, undefined when Argo CD did not deploy it. */
async function deployedRevision(cluster: LocalCluster, namespace: string): Promise<string | undefined> {
    const res = await cluster.admin("GET", `/api/v1/namespaces/${namespace}/configmaps/live-argocd`);
    return res.status === 200 ? res.body.data.revision : undefined;
}

/** Every message Argo CD reported for an Application: its conditions and its last sync operation's. */
function messages(status: ApplicationStatus): string {
    return [...status.conditions.map((c) => `${c.type}: ${c.message}`), status.operation?.message ?? ""].join("\n");
}

describe("a live Argo CD 3.6 deploys through every registration the program writes", { timeout: 1_200_000 }, () => {
    // Hooks run in the order they are declared: Argo CD stops before the world's clusters do.
    after(async () => {
        if (!argocd) return;
        console.log(`[live-argocd] memory (MiB): ${JSON.stringify(argocd.memory())}`);
        console.log(`[live-argocd] file took ${Math.round((Date.now() - started) / 1000)}s`);
        await argocd.stop();
    });

    worldPerSuite((w) => {
        world = w;
    });

    before(
        async () => {
            const tools = await ensureToolchain();
            argocd = await LiveArgocd.start(world.argocd, tools, {
                namespace: ARGOCD_NS,
                projects: ["team-b"],
                log: (line) => console.log(`[live-argocd] ${line}`),
            });
            await argocd.repo.commit({ "configmap/configmap.yaml": configMap("1") }, "a ConfigMap to deploy");
        },
        { timeout: 5_400_000 },
    );

    it("1. after up, an Application per registration syncs a ConfigMap and is Healthy", async (t) => {
        world.writeConfig(world.clusterEntries(), { "argocd-clusters:token": { kind: "secret" } });
        await world.succeed("up");

        // By URL for alpha and gamma, by the registration's name for beta (a namespaced, project-scoped one).
        await argocd.createApplication({
            name: "alpha",
            destination: { server: world.a.server, namespace: "default" },
            path: "configmap",
        });
        await argocd.createApplication({
            name: "beta",
            project: "team-b",
            destination: { name: "beta", namespace: "apps" },
            path: "configmap",
        });
        await argocd.createApplication({
            name: "gamma",
            destination: { server: world.c.server, namespace: "default" },
            path: "configmap",
        });
        for (const name of ["alpha", "beta", "gamma"]) {
            const status = await argocd.waitForApplication(name);
            t.diagnostic(`${name}: ${JSON.stringify(status)}`);
            assert.deepEqual(status.conditions, [], `${name}: ${messages(status)}`);
        }
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
        await eventually(
            async () =>
                (await kubeRequest({ server: world.a.server, bearerToken: oldToken, ca: world.a.caPem }, "GET", "/api"))
                    .status,
            401,
            "the old token is revoked",
        );

        const revision = await argocd.repo.commit({ "configmap/configmap.yaml": configMap("2") }, "a second revision");
        await argocd.refresh("alpha");
        const status = await argocd.waitForApplication(
            "alpha",
            (s) => s.revision === revision && s.sync === "Synced" && s.health === "Healthy",
        );
        t.diagnostic(JSON.stringify(status));
        assert.equal(await deployedRevision(world.a, "default"), "2");
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
