/**
 * End to end, an upgrade in place: a stack deployed by the previous release (tests/support/previousRelease.ts),
 * then run by this build with changes in the same run, as the first scheduled run after an upgrade brings them
 * (a rotated token, new rules). The real engine and real API servers; the steps build on each other.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { previousRelease } from "../support/previousRelease";
import { configMapRoundTrip, credentialsFrom, type World, worldPerSuite } from "../support/world";

let world: World;

/**
 * alpha with a secret-kind token at `rotation`, beta in its namespaces and `more`, gamma with `gammaVerbs` on its
 * ConfigMaps.
 */
function writeStack(rotation: string, gammaVerbs: string[], more: string[] = []): void {
    const [alpha, beta, gamma] = world.clusterEntries(rotation);
    world.writeConfig([
        { ...alpha, token: { kind: "secret" } },
        { ...beta, namespaces: [...(beta.namespaces as string[]), ...more] },
        { ...gamma, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: gammaVerbs }] },
    ]);
}

const FIRST_VERBS = ["get", "list", "watch", "create", "delete"];
const NEW_VERBS = [...FIRST_VERBS, "patch", "update"];

describe("a stack deployed by the previous release, upgraded in place", { timeout: 1_800_000 }, () => {
    worldPerSuite((started) => {
        world = started;
    }, "upgrade");

    /** Each object's one manager after step 1, as pulumi-kubernetes made it up. */
    let before: Record<string, string> = {};

    it("1. the previous release registers three clusters, each object under a manager pulumi-kubernetes made up", async () => {
        world.useRelease(previousRelease());
        writeStack("1", FIRST_VERBS);
        await world.succeed("up");
        const managers = await world.applyManagers();
        assert.ok(Object.keys(managers).length >= 12, JSON.stringify(managers));
        for (const [object, { applied, named }] of Object.entries(managers)) {
            assert.match(applied.join(","), /^pulumi-kubernetes-[0-9a-f]{8}$/, object);
            assert.equal(named, undefined, `${object} names its manager already: not the previous release`);
            before[object] = applied[0];
        }
    });

    it("2. this build's first up rotates alpha's token, widens gamma's rules, adds a namespace to beta: one manager each", async () => {
        world.useRelease();
        writeStack("2", NEW_VERBS, ["other"]);
        // Every value that changes is owned by the manager the previous release's object has: under any other
        // name, the preview of this up is refused (`conflict with "pulumi-kubernetes-<hex>": .rules`).
        const up = await world.pulumi("up");
        assert.equal(up.code, 0, up.output.slice(-6000));

        const managers = await world.applyManagers();
        const created: string[] = [];
        for (const [object, { applied, named }] of Object.entries(managers)) {
            assert.deepEqual(applied, [named], `${object} is applied by ${applied.join(", ")}, names ${named}`);
            if (before[object] === undefined) created.push(object);
            else assert.equal(named, before[object], `${object} kept the manager it had`);
        }
        // What this run made: alpha's new token Secret, whose child keeps the manager its old token Secret (gone
        // with the rotation) had; beta's Role and RoleBinding in `other`, new children, under names of ours.
        const tokenSecret = /^target-a:\/api\/v1\/secrets\/kube-system\/argocd-manager-token-/;
        assert.deepEqual(created.map((o) => o.replace(/token-[0-9a-f]+$/, "token-*")).sort(), [
            "target-a:/api/v1/secrets/kube-system/argocd-manager-token-*",
            "target-b:/apis/rbac.authorization.k8s.io/v1/rolebindings/other/argocd-manager-role-binding",
            "target-b:/apis/rbac.authorization.k8s.io/v1/roles/other/argocd-manager-role",
        ]);
        const old = Object.keys(before).filter((o) => tokenSecret.test(o) && managers[o] === undefined);
        assert.equal(old.length, 1, `alpha's old token Secret is gone: ${old.join(", ")}`);
        for (const o of created)
            if (tokenSecret.test(o)) assert.equal(managers[o].named, before[old[0]]);
            else assert.match(managers[o].named ?? "", /^argocd-clusters-[0-9a-f]{16}$/, o);
        before = Object.fromEntries(Object.entries(managers).map(([o, m]) => [o, m.named ?? ""]));

        const alpha = await world.clusterSecret(world.a);
        assert.ok(alpha);
        assert.deepEqual(await configMapRoundTrip(credentialsFrom(alpha), "default"), [201, 200], "alpha's new token");
        const role = await world.c.admin("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role");
        assert.deepEqual(role.body.rules?.[0]?.verbs, NEW_VERBS);
        assert.deepEqual(await world.orphans(), []);
    });

    it("3. later runs take the kept names from the record: previews show no changes, and a rotation keeps them", async () => {
        const preview = await world.pulumi("preview", "--expect-no-changes");
        assert.equal(preview.code, 0, preview.output.slice(-4000));
        // A pull request's preview, with the read-only previewer (it may not read Secrets): the names come from the
        // record, so it reads no object for them and changes nothing but the providers' credentials.
        world.useKubeconfig(await world.previewerKubeconfig());
        writeStack("2", NEW_VERBS, ["other"]);
        try {
            const pr = await world.pulumi("preview", "--json");
            assert.equal(pr.code, 0, pr.output.slice(-4000));
            const changed = (JSON.parse(pr.stdout).steps as { op: string; urn: string }[])
                .filter((s) => !["same", "read"].includes(s.op) && !s.urn.includes("::pulumi:providers:kubernetes::"))
                .map((s) => `${s.op} ${s.urn}`);
            assert.deepEqual(changed, []);
        } finally {
            world.useKubeconfig(world.plane.kubeconfig);
        }
        writeStack("3", NEW_VERBS, ["other"]);
        const up = await world.pulumi("up");
        assert.equal(up.code, 0, up.output.slice(-6000));
        for (const [object, { applied, named }] of Object.entries(await world.applyManagers())) {
            assert.deepEqual(applied, [named], object);
            if (before[object] !== undefined) assert.equal(named, before[object], `${object} kept its manager`);
        }
    });
});
