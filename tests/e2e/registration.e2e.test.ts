/**
 * End to end: the real Pulumi engine and providers against real local API servers. The steps build on each
 * other (preview, up, use, no-op, rotate, remove, bad config, faults, destroy), so they run in order in one
 * world that the hooks start and tear down.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clusterSecretName } from "../../components/clusterSecret";
import { kubeRequest } from "../../tools/localClusters/kubeApi";
import { LocalCluster } from "../../tools/localClusters/controlPlane";
import { ARGOCD_NS, configMapRoundTrip, credentialsFrom, World } from "./world";

const CLI_CLUSTER_RULES = [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
];
const OUR_LABEL = "app.kubernetes.io%2Fmanaged-by%3Dpulumi";

let world: World;
/** Every bearer token seen during the run: none may appear in state or outputs. */
const tokensSeen = new Set<string>();

async function get(cluster: LocalCluster, urlPath: string): Promise<any | undefined> {
    const res = await cluster.admin("GET", urlPath);
    if (res.status === 404) return undefined;
    assert.equal(res.status, 200, `GET ${urlPath}: ${JSON.stringify(res.body)}`);
    return res.body;
}

/** Everything this program owns on a cluster, by kind and name, with resourceVersions. */
async function ownedObjects(cluster: LocalCluster): Promise<Record<string, string>> {
    const lists = [
        "/api/v1/serviceaccounts", "/api/v1/secrets",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "/apis/rbac.authorization.k8s.io/v1/roles", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    ];
    const owned: Record<string, string> = {};
    for (const list of lists) {
        const body = await get(cluster, `${list}?labelSelector=${OUR_LABEL}`);
        for (const item of body.items) owned[`${list}/${item.metadata.namespace ?? ""}/${item.metadata.name}`] = item.metadata.resourceVersion;
    }
    return owned;
}

async function everyOwnedObject(): Promise<Record<string, Record<string, string>>> {
    const all: Record<string, Record<string, string>> = {};
    for (const c of world.plane.clusters) all[c.name] = await ownedObjects(c);
    return all;
}

async function tokenOf(target: LocalCluster): Promise<string> {
    const secret = await world.clusterSecret(target);
    assert.ok(secret, `no cluster Secret for ${target.name}`);
    tokensSeen.add(secret.config.bearerToken);
    return secret.config.bearerToken;
}

describe("argocd-clusters against real clusters and the real engine", { timeout: 900_000 }, () => {
    before(async () => {
        world = await World.create();
    }, { timeout: 5_400_000 });

    after(async () => {
        await world?.dispose();
    });

    it("1. preview plans every object and changes nothing on any cluster", async () => {
        const preview = await world.stack.preview();
        // stack + 4 providers + 3 x (component, ServiceAccount, suffix, token, cluster Secret)
        // + RBAC: alpha 2 (ClusterRole, binding), beta 4 (Role + binding in 2 namespaces), gamma 2.
        assert.deepEqual(preview.changeSummary, { create: 1 + 4 + 15 + 8 });
        for (const [cluster, owned] of Object.entries(await everyOwnedObject())) {
            assert.deepEqual(owned, {}, `preview created objects on ${cluster}`);
        }
    });

    it("2. up creates what argocd cluster add creates, on both sides", async () => {
        const up = await world.stack.up();
        assert.deepEqual(up.summary.resourceChanges, { create: 28 });

        // alpha: the CLI's cluster-wide setup.
        const account = await get(world.a, "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager");
        assert.ok(account, "ServiceAccount kube-system/argocd-manager");
        const role = await get(world.a, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role");
        assert.deepEqual(role.rules, CLI_CLUSTER_RULES);
        const binding = await get(world.a, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/argocd-manager-role-binding");
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" }]);
        assert.equal(binding.roleRef.name, "argocd-manager-role");

        const outputs = (await world.stack.outputs()).registrations.value;
        const tokenSecret = await get(world.a, `/api/v1/namespaces/kube-system/secrets/${outputs.alpha.tokenSecretName}`);
        assert.equal(tokenSecret.type, "kubernetes.io/service-account-token");
        assert.equal(tokenSecret.metadata.annotations["kubernetes.io/service-account.name"], "argocd-manager");

        const secret = await world.clusterSecret(world.a);
        assert.ok(secret);
        assert.equal(secret.object.metadata.name, clusterSecretName(world.a.server));
        assert.equal(secret.object.metadata.labels["argocd.argoproj.io/secret-type"], "cluster");
        assert.equal(secret.object.metadata.labels.environment, "local");
        assert.deepEqual(Object.keys(secret.data).sort(), ["config", "name", "server"]);
        assert.equal(secret.data.name, "alpha");
        assert.equal(secret.data.server, world.a.server);
        // The token is the one the controller issued, the CA the target's own.
        assert.equal(secret.config.bearerToken, Buffer.from(tokenSecret.data.token, "base64").toString("utf8"));
        assert.equal(secret.config.tlsClientConfig.caData, tokenSecret.data["ca.crt"]);
        assert.equal(secret.config.tlsClientConfig.insecure, false);

        // beta: namespaced; no cluster-wide rights at all.
        for (const ns of ["apps", "monitoring"]) {
            const nsRole = await get(world.b, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/argocd-manager-role`);
            assert.deepEqual(nsRole.rules, [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]);
            assert.ok(await get(world.b, `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/argocd-manager-role-binding`));
        }
        assert.equal(await get(world.b, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role"), undefined);
        const beta = await world.clusterSecret(world.b);
        assert.equal(beta?.data.namespaces, "apps,monitoring");
        assert.equal(beta?.data.project, "team-b");

        // gamma: exactly the custom rules.
        const gammaRole = await get(world.c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role");
        assert.deepEqual(gammaRole.rules, [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "create", "delete"] }]);
        for (const target of [world.a, world.b, world.c]) await tokenOf(target);
    });

    it("3. each cluster Secret works as Argo CD uses it, with exactly the rights granted", async () => {
        const alpha = credentialsFrom((await world.clusterSecret(world.a))!);
        assert.deepEqual(await configMapRoundTrip(alpha, "default"), [201, 200]);
        assert.equal((await kubeRequest(alpha, "GET", "/version")).status, 200, "non-resource URLs are granted cluster-wide");
        // TLS is really verified: the same request without the CA is refused by the client.
        await assert.rejects(kubeRequest({ ...alpha, ca: undefined }, "GET", "/version"), /self-signed|unable to verify|certificate/i);

        const beta = credentialsFrom((await world.clusterSecret(world.b))!);
        assert.deepEqual(await configMapRoundTrip(beta, "apps"), [201, 200]);
        assert.deepEqual(await configMapRoundTrip(beta, "monitoring"), [201, 200]);
        assert.equal((await configMapRoundTrip(beta, "other"))[0], 403, "namespaced mode must not reach other namespaces");
        assert.equal((await kubeRequest(beta, "GET", "/api/v1/namespaces")).status, 403);

        const gamma = credentialsFrom((await world.clusterSecret(world.c))!);
        assert.deepEqual(await configMapRoundTrip(gamma, "default"), [201, 200]);
        assert.equal((await kubeRequest(gamma, "GET", "/api/v1/namespaces/default/secrets")).status, 403);
        assert.equal((await kubeRequest(gamma, "GET", "/apis/apps/v1/deployments")).status, 403);
    });

    it("4. a second up changes nothing, even after Argo CD annotates and labels its Secret", async () => {
        const name = clusterSecretName(world.a.server);
        await mergePatch(world.argocd, `/api/v1/namespaces/${ARGOCD_NS}/secrets/${name}`, {
            metadata: { annotations: { "argocd.argoproj.io/refresh": "hard" }, labels: { "argocd.argoproj.io/kubernetes-version": "1.36" } },
        });
        await world.stack.up({ expectNoChanges: true });
        await world.stack.preview({ expectNoChanges: true, refresh: true });
        const secret = await world.clusterSecret(world.a);
        assert.equal(secret?.object.metadata.annotations["argocd.argoproj.io/refresh"], "hard", "what Argo CD wrote is left alone");
    });
});

async function mergePatch(cluster: LocalCluster, urlPath: string, body: unknown): Promise<void> {
    const res = await cluster.admin("PATCH", urlPath, body, "application/merge-patch+json");
    assert.equal(res.status, 200, `PATCH ${urlPath}: ${JSON.stringify(res.body)}`);
}
