/**
 * End to end, "never lose a registration": the identities of the clusters behind each provider, on the real
 * engine and real API servers. Another spelling of the Argo CD cluster's URL must change nothing; a changed
 * identity on the same cluster, a second stack registering the same target and a changed `server` must be
 * refused by the API servers before anything is deleted, and the summary must shout about the first. Steps
 * build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLUSTER_IDENTIFIER_ANNOTATION } from "../../components/names";
import { LocalCluster } from "../../tools/localClusters/controlPlane";
import { parsePreview, summarizePreview } from "../../tools/summary";
import { configMapRoundTrip, credentialsFrom, World } from "./world";

let world: World;
const aliases: { close: () => Promise<void> }[] = [];

/** alpha (cluster-wide) on target-a and gamma (custom rules) on target-c. */
function entries(overrides: Record<string, unknown> = {}): Record<string, unknown>[] {
    const [alpha, , gamma] = world.clusterEntries();
    return [{ ...alpha, ...overrides }, gamma];
}

/** Each registration's cluster Secret: resourceVersion, and that its token works as Argo CD would use it. */
async function registrationsWork(targets: LocalCluster[]): Promise<Record<string, string>> {
    const versions: Record<string, string> = {};
    for (const target of targets) {
        const secret = await world.clusterSecret(target);
        assert.ok(secret, `the cluster Secret of ${target.name} exists`);
        assert.deepEqual(await configMapRoundTrip(credentialsFrom(secret), "default"), [201, 200], `${target.name}'s token works`);
        versions[target.name] = secret.object.metadata.resourceVersion;
    }
    return versions;
}

async function previewSummary(w: World): Promise<string> {
    const run = await w.pulumi("preview", "--json");
    assert.equal(run.code, 0, run.output.slice(-4000));
    return summarizePreview(parsePreview(run.stdout), { stack: w.stack });
}

describe("registrations survive identity changes, against real clusters and the real engine", { timeout: 900_000 }, () => {
    before(async () => {
        world = await World.create();
        world.writeConfig(entries());
        await world.succeed("up");
    });
    after(async () => {
        for (const a of aliases) await a.close();
        await world?.dispose();
    });

    it("1. the Argo CD cluster reached by another name (a laptop vs a CI runner) replaces and deletes nothing", async () => {
        const before = await registrationsWork([world.a, world.c]);
        const alias = await World.alias(world.argocd);
        aliases.push(alias);
        const admin = world.plane.kubeconfig;
        world.useKubeconfig(world.kubeconfigWithServer(world.argocd, alias.server));
        world.writeConfig(entries());
        try {
            const changes = await world.succeed("up");
            assert.equal(changes.replace, undefined, `nothing is replaced: ${JSON.stringify(changes)}`);
            assert.equal(changes.delete, undefined, `nothing is deleted: ${JSON.stringify(changes)}`);
            assert.deepEqual(await registrationsWork([world.a, world.c]), before, "every cluster Secret is untouched");
            await world.succeed("preview", "--expect-no-changes");
        } finally {
            world.useKubeconfig(admin);
            world.writeConfig(entries());
        }
        // And back: the provider takes the first spelling again, still without touching a Secret.
        await world.succeed("up");
        assert.deepEqual(await registrationsWork([world.a, world.c]), before);
    });

    it("2. a new argocd.name on the same Argo CD cluster: the summary shouts, the up is refused, nothing is lost", async () => {
        const before = await registrationsWork([world.a, world.c]);
        const objects = await world.everyOwnedObject();
        world.writeConfig(entries(), {}, { name: "hub-renamed" });
        try {
            const summary = await previewSummary(world);
            assert.match(summary, /🛑 \*\*2 cluster Secrets deleted or replaced/, summary);
            assert.match(summary, /`alpha` \([^)]*\) replaced/, summary);

            const up = await world.pulumi("up", "--yes");
            assert.notEqual(up.code, 0, "the up must fail");
            assert.match(up.output, new RegExp(`conflict[^\\n]*${CLUSTER_IDENTIFIER_ANNOTATION.replace("/", "\\/")}`, "i"), up.output.slice(-4000));
            assert.deepEqual(await registrationsWork([world.a, world.c]), before, "every cluster Secret is untouched");
            assert.deepEqual(await world.everyOwnedObject(), objects, "nothing changed on any cluster");
        } finally {
            world.writeConfig(entries());
        }
        // Back to the old name: the refused run left only Pulumi's bookkeeping, which the next up converges.
        await world.succeed("up");
        await world.succeed("preview", "--expect-no-changes");
        assert.deepEqual(await registrationsWork([world.a, world.c]), before);
    });

    it("3. a second stack registering the same target is refused and changes nothing of the first", async () => {
        const before = await registrationsWork([world.a, world.c]);
        const objects = await world.everyOwnedObject();
        const other = world.otherStack("other-team");
        other.writeConfig([entries()[0]]);
        const up = await other.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the second stack's up must fail");
        assert.match(up.output, /conflict/i, up.output.slice(-4000));
        assert.deepEqual(await world.everyOwnedObject(), objects, "nothing changed on any cluster");
        // Destroying the second stack removes only what it made: nothing on the clusters.
        await other.succeed("destroy", "--yes");
        assert.deepEqual(await world.everyOwnedObject(), objects, "the other stack's destroy deleted nothing of ours");
        assert.deepEqual(await registrationsWork([world.a, world.c]), before);
    });

    it("4. a new server for a registration with the same ServiceAccount is refused; with a new one it moves in one up", async () => {
        const before = await registrationsWork([world.a, world.c]);
        const objects = await world.everyOwnedObject();
        const alias = await World.alias(world.a);
        aliases.push(alias);

        world.writeConfig(entries({ server: alias.server }));
        const refused = await world.pulumi("up", "--yes");
        assert.notEqual(refused.code, 0, "the up must fail");
        assert.match(refused.output, /conflict/i, refused.output.slice(-4000));
        assert.deepEqual(await world.everyOwnedObject(), objects, "nothing changed on any cluster");
        assert.deepEqual(await registrationsWork([world.a, world.c]), before, "Argo CD keeps the working registration");

        // The README's way: a new server together with a new ServiceAccount, in one up.
        const oldSecretName = (await world.clusterSecret(world.a))!.object.metadata.name;
        world.writeConfig(entries({ server: alias.server, serviceAccount: "argocd-manager-v2" }));
        await world.succeed("up");
        const moved = await world.argocd.admin("GET", `/api/v1/namespaces/argocd/secrets?labelSelector=${encodeURIComponent("argocd.argoproj.io/secret-type=cluster")}`);
        const alpha = moved.body.items.filter((s: any) => Buffer.from(s.data.name, "base64").toString() === "alpha");
        assert.equal(alpha.length, 1, "exactly one cluster Secret for alpha");
        assert.notEqual(alpha[0].metadata.name, oldSecretName);
        const data = Object.fromEntries(Object.entries(alpha[0].data).map(([k, v]) => [k, Buffer.from(v as string, "base64").toString()]));
        assert.equal(data.server, alias.server);
        const creds = credentialsFrom({ object: alpha[0], data, config: JSON.parse(data.config) });
        assert.deepEqual(await configMapRoundTrip(creds, "default"), [201, 200], "the new registration works at the new address");
        const oldAccount = await world.a.admin("GET", "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager");
        assert.equal(oldAccount.status, 404, "the old ServiceAccount, and with it its token, is gone");
        await world.succeed("preview", "--expect-no-changes");
    });
});
