/**
 * End to end, an environment sharded across stacks that share one Argo CD (issue 13, "Beyond one stack"), on the
 * real engine and real API servers: production-eu and production-us each register their own cluster; then
 * production-us claims what is not its own, and each claim fails loudly at preview and at up, before anything
 * is written: production-eu's cluster Secret stays byte-identical, no object of production-us appears on any
 * cluster, and production-us's state records no registration for it. The claims: production-eu's server (under
 * a ServiceAccount of its own, so no object on the target conflicts first), production-eu's Argo CD name for
 * another server, and a server whose cluster Secret `argocd cluster add` made, without `adopt: true`. And a
 * hand-made second Secret for production-eu's server makes production-eu's own preview fail: Argo CD would use
 * either of the two. The read-only previewer, which may not list Secrets, previews with a warning, and its up
 * is refused before anything is written. Steps build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import { STACK_ANNOTATION, stackAnnotationValue } from "../../argocd/names";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { argocdClusterAddOnHub } from "../support/cliRegistration";
import { ARGOCD_NS, World } from "../support/world";

let eu: World;
let us: World;

const EU_STACK = stackAnnotationValue("argocd-clusters", "production-eu");
const US_STACK = stackAnnotationValue("argocd-clusters", "production-us");
const SECRETS = `/api/v1/namespaces/${ARGOCD_NS}/secrets`;

/** production-eu's cluster: target-a, cluster-wide. */
function euEntries(): Record<string, unknown>[] {
    return [{ name: "alpha", server: eu.a.server, context: "target-a", allowWildcardRbac: true }];
}

/** production-us's cluster: target-b, cluster-wide; `extra` are the claims under test. */
function usEntries(...extra: Record<string, unknown>[]): Record<string, unknown>[] {
    return [{ name: "beta", server: eu.b.server, context: "target-b", allowWildcardRbac: true }, ...extra];
}

/** A cluster Secret exactly as the API server holds it (resourceVersion, managed fields and data included). */
async function rawClusterSecret(name: string): Promise<any> {
    const res = await eu.argocd.admin("GET", `${SECRETS}/${name}`);
    assert.equal(res.status, 200, `GET ${name}: ${JSON.stringify(res.body)}`);
    return res.body;
}

/** Objects on `cluster` (of the kinds a registration writes) that carry production-us's stack mark. */
async function usObjectsOn(cluster: LocalCluster): Promise<string[]> {
    const found: string[] = [];
    for (const list of [
        "/api/v1/serviceaccounts",
        "/api/v1/secrets",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        "/apis/rbac.authorization.k8s.io/v1/roles",
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    ]) {
        const res = await cluster.admin("GET", list);
        assert.equal(res.status, 200, `GET ${list} on ${cluster.name}`);
        for (const item of res.body.items) {
            if (item.metadata.annotations?.[STACK_ANNOTATION] === US_STACK)
                found.push(`${list}/${item.metadata.namespace ?? ""}/${item.metadata.name}`);
        }
    }
    return found;
}

/**
 * production-us claims `claim` (an entry for `target`): preview and up both fail naming the entry and matching
 * `because`, and afterwards nothing changed anywhere.
 */
async function refusedClaim(claim: Record<string, unknown>, target: LocalCluster, because: RegExp): Promise<void> {
    const euSecret = await rawClusterSecret(clusterSecretName(eu.a.server));
    const everything = await eu.everyOwnedObject();
    const usOnTarget = await usObjectsOn(target);
    assert.deepEqual(usOnTarget, [], `no object of production-us on ${target.name} before the claim`);
    us.writeConfig(usEntries(claim));
    for (const operation of ["preview", "up"]) {
        const run = await us.pulumi(operation, ...(operation === "up" ? ["--yes"] : []));
        assert.notEqual(run.code, 0, `production-us's ${operation} must fail:\n${run.output.slice(-4000)}`);
        assert.match(run.output, /Pulumi\.production-us\.yaml has 1 problem; nothing was registered/, run.output);
        assert.match(run.output, /argocd-clusters:clusters\[1\]/, run.output);
        assert.match(run.output, because, run.output.slice(-4000));
        assert.doesNotMatch(run.output, /bearerToken/, "no credential in the message");
    }
    assert.deepEqual(
        await rawClusterSecret(clusterSecretName(eu.a.server)),
        euSecret,
        "production-eu's cluster Secret is byte-identical",
    );
    assert.deepEqual(await usObjectsOn(target), [], `no object of production-us on ${target.name}`);
    assert.deepEqual(await eu.everyOwnedObject(), everything, "nothing was written on any cluster");
    const outputs = (await us.succeed("outputs")).registrations;
    assert.deepEqual(Object.keys(outputs), ["beta"], "production-us's state records only its own registration");
    assert.doesNotMatch(
        await checkpointText(us),
        new RegExp(`${clusterSecretName(target.server)}\\b`),
        "production-us's state holds nothing of the claimed cluster",
    );
}

async function checkpointText(world: World): Promise<string> {
    const { readFileSync } = await import("node:fs");
    return readFileSync(world.checkpointFile(), "utf8");
}

describe("stacks sharing one Argo CD never claim the same cluster", { timeout: 1_800_000 }, () => {
    before(
        async () => {
            eu = await World.create("production-eu");
            us = eu.otherStack("production-us");
        },
        { timeout: 5_400_000 },
    );
    after(async () => {
        await eu?.dispose();
    });

    it("1. each shard registers its own cluster in the shared Argo CD", async () => {
        eu.writeConfig(euEntries());
        await eu.succeed("up");
        us.writeConfig(usEntries());
        await us.succeed("up");
        const alpha = await rawClusterSecret(clusterSecretName(eu.a.server));
        const beta = await rawClusterSecret(clusterSecretName(eu.b.server));
        assert.equal(alpha.metadata.annotations[STACK_ANNOTATION], EU_STACK);
        assert.equal(beta.metadata.annotations[STACK_ANNOTATION], US_STACK);
        // Each shard is a no-op on the other's registration.
        await eu.succeed("preview", "--expect-no-changes");
        await us.succeed("preview", "--expect-no-changes");
    });

    it("2. a second stack claiming the first stack's server fails at preview and up, and changes nothing", async () => {
        // Its own ServiceAccount: nothing on the target conflicts, so only the claim check can stop it before
        // the target's objects are written (today the cluster Secret's create fails after they were).
        const claim = {
            name: "alpha-us",
            server: eu.a.server,
            context: "target-a",
            serviceAccount: "argocd-manager-us",
            allowWildcardRbac: true,
        };
        await refusedClaim(
            claim,
            eu.a,
            /belongs to another deployment \(argocd-clusters\/owner: [0-9a-f]{32}, stack argocd-clusters\/production-eu\)/,
        );
    });

    it("3. a second stack using the first stack's Argo CD name for another server fails, and changes nothing", async () => {
        const claim = { name: "alpha", server: eu.c.server, context: "target-c", allowWildcardRbac: true };
        await refusedClaim(
            claim,
            eu.c,
            /Argo CD name "alpha" is already the cluster Secret .* of another deployment \(argocd-clusters\/owner: [0-9a-f]{32}, stack argocd-clusters\/production-eu\)/,
        );
    });

    it("4. a cluster Secret made by argocd cluster add is not written over without adopt: true", async () => {
        const secretName = clusterSecretName(eu.c.server);
        await argocdClusterAddOnHub(eu.argocd, ARGOCD_NS, "gamma", eu.c.server, {
            bearerToken: "cli-token-never-echoed",
            tlsClientConfig: { insecure: true },
        });
        const cliSecret = await rawClusterSecret(secretName);
        const claim = { name: "gamma", server: eu.c.server, context: "target-c", allowWildcardRbac: true };
        await refusedClaim(
            claim,
            eu.c,
            /was not made by a stack \(argocd cluster add\?\)[^\n]*\n\s+fix: [^\n]*adopt: true/,
        );
        assert.deepEqual(await rawClusterSecret(secretName), cliSecret, "the CLI's cluster Secret is untouched");
        const deleted = await eu.argocd.admin("DELETE", `${SECRETS}/${secretName}`);
        assert.equal(deleted.status, 200);
    });

    it("5. a second cluster Secret for a stack's server, under another name, fails that stack's preview", async () => {
        const b64 = (text: string) => Buffer.from(text).toString("base64");
        const created = await eu.argocd.admin("POST", SECRETS, {
            metadata: { name: "alpha-by-hand", labels: { "argocd.argoproj.io/secret-type": "cluster" } },
            // A trailing slash: Argo CD trims it before comparing servers, so this is the same server.
            data: { name: b64("alpha-by-hand"), server: b64(`${eu.a.server}/`), config: b64("{}") },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const preview = await eu.pulumi("preview");
        assert.notEqual(preview.code, 0, preview.output.slice(-4000));
        assert.match(
            preview.output,
            /argocd-clusters:clusters\[0\]\.server: .*cluster Secret argocd\/alpha-by-hand/,
            preview.output,
        );
        const deleted = await eu.argocd.admin("DELETE", `${SECRETS}/alpha-by-hand`);
        assert.equal(deleted.status, 200);
        await eu.succeed("preview", "--expect-no-changes");
    });
    it("6. the read-only previewer may not list cluster Secrets: its preview warns, its up is refused, nothing changes", async () => {
        const admin = eu.plane.kubeconfig;
        const everything = await eu.everyOwnedObject();
        us.useKubeconfig(await eu.previewerKubeconfig());
        us.writeConfig(
            usEntries({
                name: "alpha-us",
                server: eu.a.server,
                context: "target-a",
                serviceAccount: "argocd-manager-us",
                allowWildcardRbac: true,
            }),
        );
        try {
            const preview = await us.pulumi("preview");
            assert.equal(preview.code, 0, preview.output.slice(-4000));
            assert.match(
                preview.output,
                /cannot list the cluster Secrets in argocd on the Argo CD cluster here \(the API answered 403: [^\n]*cannot list resource "secrets"[^\n]*\), so it is not checked[^\n]*; up checks it/,
                preview.output,
            );
            const up = await us.pulumi("up", "--yes");
            assert.notEqual(up.code, 0, up.output.slice(-4000));
            assert.match(
                up.output,
                /cannot list the cluster Secrets in argocd on the Argo CD cluster \(the API answered 403: secrets is forbidden: User "system:serviceaccount:kube-system:argocd-clusters-previewer" cannot list resource "secrets"/,
                up.output.slice(-4000),
            );
            assert.deepEqual(await eu.everyOwnedObject(), everything, "nothing was written on any cluster");
        } finally {
            us.useKubeconfig(admin);
            us.writeConfig(usEntries());
        }
        await us.succeed("preview", "--expect-no-changes");
    });
});
