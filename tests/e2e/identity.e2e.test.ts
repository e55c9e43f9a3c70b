/**
 * End to end, "never lose a registration", on the real engine and real API servers: another spelling of the
 * Argo CD cluster's URL changes nothing; a new identity for it replaces every cluster Secret delete-first, so
 * none is lost (and the summary shouts); a second stack registering the same target and a new `server` with
 * the same ServiceAccount are refused by the API servers before anything changes; a removal that would break
 * Applications is refused unless the entry is retired. Steps build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLUSTER_IDENTIFIER_ANNOTATION } from "../../argocd/names";
import { freePorts, type LocalCluster } from "../../dev/controlPlane/controlPlane";
import { parsePreview, summarizePreview } from "../../summary/summary";
import { configMapRoundTrip, credentialsFrom, decodeClusterSecret, World } from "../support/world";

let world: World;
const aliases: { close: () => Promise<void> }[] = [];
/** alpha's entry as the steps leave it (step 4 moves it to another server). */
let alphaNow: Record<string, unknown> = {};

/** Argo CD's Application CRD, reduced to what the removal guard reads (the real one has a full schema). */
const APPLICATION_CRD = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "applications.argoproj.io" },
    spec: {
        group: "argoproj.io",
        scope: "Namespaced",
        names: { kind: "Application", listKind: "ApplicationList", plural: "applications", singular: "application" },
        versions: [
            {
                name: "v1alpha1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
        ],
    },
};

/** Creates an Application on the Argo CD cluster, once its CRD is served. */
async function createApplication(name: string, destination: Record<string, string>): Promise<void> {
    const body = {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name, namespace: "argocd" },
        spec: {
            project: "default",
            destination: { namespace: "default", ...destination },
            source: { repoURL: "https://git.example/apps", path: name },
        },
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
        const res = await world.argocd.admin("POST", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications", body);
        if (res.status === 201) return;
        if (Date.now() > deadline)
            throw new Error(`creating Application ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** alpha (cluster-wide) on target-a and gamma (custom rules) on target-c. */
function entries(
    overrides: Record<string, unknown> = {},
    gammaOverrides: Record<string, unknown> = {},
): Record<string, unknown>[] {
    const [alpha, , gamma] = world.clusterEntries();
    return [
        { ...alpha, ...alphaNow, ...overrides },
        { ...gamma, ...gammaOverrides },
    ];
}

/** Each registration's cluster Secret: resourceVersion, and that its token works as Argo CD would use it. */
async function registrationsWork(targets: LocalCluster[]): Promise<Record<string, string>> {
    const versions: Record<string, string> = {};
    for (const target of targets) {
        const secret = await world.clusterSecret(target);
        assert.ok(secret, `the cluster Secret of ${target.name} exists`);
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom(secret), "default"),
            [201, 200],
            `${target.name}'s token works`,
        );
        versions[target.name] = secret.object.metadata.resourceVersion;
    }
    return versions;
}

async function previewSummary(w: World): Promise<string> {
    const run = await w.pulumi("preview", "--json");
    assert.equal(run.code, 0, run.output.slice(-4000));
    return summarizePreview(parsePreview(run.stdout), { stack: w.stack });
}

describe("registrations survive identity changes, against real clusters and the real engine", {
    timeout: 900_000,
}, () => {
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

    it("2. a new argocd.name on the same Argo CD cluster: the summary shouts, and every cluster Secret comes back", async () => {
        await registrationsWork([world.a, world.c]);
        for (const name of ["hub-renamed", "argocd"]) {
            // There and back: the way back is the case a refused create-first replacement would turn into a loss.
            world.writeConfig(entries(), {}, { name });
            const summary = await previewSummary(world);
            assert.match(summary, /🛑 \*\*2 cluster Secrets deleted or replaced/, summary);
            assert.match(summary, /`alpha` \([^)]*\) replaced/, summary);
            const changes = await world.succeed("up");
            // The Argo CD cluster's provider and both cluster Secrets; nothing is deleted for good.
            assert.deepEqual(
                { ...changes, same: undefined, read: undefined },
                { replace: 3, same: undefined, read: undefined },
                JSON.stringify(changes),
            );
            await registrationsWork([world.a, world.c]);
            for (const target of [world.a, world.c]) {
                const secret = (await world.clusterSecret(target))!;
                assert.equal(secret.object.metadata.annotations[CLUSTER_IDENTIFIER_ANNOTATION], `argocd:${name}`);
            }
            await world.succeed("preview", "--expect-no-changes");
        }
        world.writeConfig(entries());
    });

    it("3. a second stack registering the same target is refused and changes nothing of the first", async () => {
        const before = await registrationsWork([world.a, world.c]);
        const objects = await world.everyOwnedObject();
        const other = world.otherStack("other-team");
        const { labels: _labels, ...alpha } = entries()[0];
        other.writeConfig([alpha]);
        const up = await other.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the second stack's up must fail");
        // Refused before anything is written (components/claims.ts), naming the deployment and stack that own it.
        assert.match(
            up.output,
            /belongs to another deployment \(argocd-clusters\/owner: [0-9a-f]{32}, stack argocd-clusters\/local\)/,
            up.output.slice(-4000),
        );
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

        // The documented way (docs/operations.md): a new server together with a new ServiceAccount, in one up.
        const oldSecretName = (await world.clusterSecret(world.a))!.object.metadata.name;
        alphaNow = { server: alias.server, serviceAccount: "argocd-manager-v2" };
        world.writeConfig(entries());
        await world.succeed("up");
        const moved = await world.argocd.admin(
            "GET",
            `/api/v1/namespaces/argocd/secrets?labelSelector=${encodeURIComponent("argocd.argoproj.io/secret-type=cluster")}`,
        );
        const alpha = moved.body.items.filter((s: any) => Buffer.from(s.data.name, "base64").toString() === "alpha");
        assert.equal(alpha.length, 1, "exactly one cluster Secret for alpha");
        assert.notEqual(alpha[0].metadata.name, oldSecretName);
        const alphaSecret = decodeClusterSecret(alpha[0]);
        assert.equal(alphaSecret.data.server, alias.server);
        const creds = credentialsFrom(alphaSecret);
        assert.deepEqual(
            await configMapRoundTrip(creds, "default"),
            [201, 200],
            "the new registration works at the new address",
        );
        const oldAccount = await world.a.admin("GET", "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager");
        assert.equal(oldAccount.status, 404, "the old ServiceAccount, and with it its token, is gone");
        await world.succeed("preview", "--expect-no-changes");
    });

    it("5. removing a registration that Applications deploy to is refused, naming them; retire: true removes it anyway", async () => {
        assert.equal(
            (
                await world.argocd.admin(
                    "POST",
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    APPLICATION_CRD,
                )
            ).status,
            201,
        );
        await createApplication("guestbook", { server: world.c.server });
        await createApplication("dashboards", { name: "gamma" });
        await createApplication("elsewhere", { name: "alpha" });
        const before = await registrationsWork([world.c]);
        const objects = await world.everyOwnedObject();
        const [alpha] = entries();

        // A pull request's preview, with the read-only previewer (which may list Applications, not Secrets).
        const admin = world.plane.kubeconfig;
        world.useKubeconfig(await world.previewerKubeconfig());
        world.writeConfig([alpha]);
        try {
            const preview = await world.pulumi("preview");
            assert.notEqual(preview.code, 0, "the preview must fail");
            assert.match(
                preview.output,
                /Pulumi\.local\.yaml: argocd-clusters:clusters: removing "gamma" \(https:\/\/127\.0\.0\.\d+:\d+\) would break 2 Application\(s\) that still deploy to it: argocd\/dashboards, argocd\/guestbook/,
                preview.output.slice(-4000),
            );
            assert.match(preview.output, /retire: true/);
        } finally {
            world.useKubeconfig(admin);
            world.writeConfig([alpha]);
        }
        const up = await world.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the up must fail");
        assert.match(up.output, /removing "gamma" .* argocd\/dashboards, argocd\/guestbook/, up.output.slice(-4000));
        assert.deepEqual(await world.everyOwnedObject(), objects, "nothing changed on any cluster");
        assert.deepEqual(await registrationsWork([world.c]), before, "gamma's registration still works");

        // The explicit opt-in: the entry stays, marked retire: true; the registration goes, with a warning.
        world.writeConfig(entries({}, { retire: true }));
        const retired = await world.pulumi("up", "--yes");
        assert.equal(retired.code, 0, retired.output.slice(-4000));
        assert.match(
            retired.output,
            /retiring "gamma" .* 2 Application\(s\) still deploy to it: argocd\/dashboards, argocd\/guestbook/,
        );
        assert.equal(await world.clusterSecret(world.c), undefined, "gamma's cluster Secret is gone");
        assert.deepEqual(await world.ownedObjects(world.c), {}, "and everything on target-c");
        // Gone from the record too: the entry can now leave the stack file, and nothing else is blocked.
        world.writeConfig([alpha]);
        await world.succeed("up", "--expect-no-changes");
    });

    it("6. a new registration on a target Pulumi cannot reach fails the run, not hangs it, and the others go on", async () => {
        const [alpha] = entries();
        // Full rights, with the opt-in a production stack needs for them (the pack runs on every up).
        const full = { allowWildcardRbac: true };
        const delta = {
            name: "delta",
            server: world.b.server,
            context: "target-b",
            serviceAccount: "argocd-delta",
            ...full,
        };
        const down = {
            name: "down",
            server: world.c.server,
            context: "target-c",
            serviceAccount: "argocd-down",
            ...full,
        };
        const [closed] = await freePorts(1);
        const admin = world.plane.kubeconfig;
        world.useKubeconfig(world.kubeconfigWithServer(world.c, `https://127.0.0.1:${closed}`));
        world.writeConfig([alpha, delta, down]);
        try {
            const run = await world.pulumi("up", "--yes", "--continue-on-error");
            assert.notEqual(run.code, 0, "the run fails on the unreachable target");
            assert.match(run.output, /configured Kubernetes cluster is unreachable/);
        } finally {
            world.useKubeconfig(admin);
        }
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.b))!), "default"),
            [201, 200],
            "delta was registered meanwhile",
        );
        assert.equal(await world.clusterSecret(world.c), undefined, "down was not");
        world.writeConfig([alpha, delta]);
        await world.succeed("up");
        await world.succeed("preview", "--expect-no-changes");
    });
});
