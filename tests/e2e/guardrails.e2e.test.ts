/**
 * End to end, the pull-request guardrails: a preview with a read-only "previewer" identity (rbac/previewer.yaml)
 * works while its up is refused by the API servers. The world's stack is `production`, so the
 * production-only rules apply. Steps build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { World } from "./world";

let world: World;

/** The bearer token Argo CD holds for each target, by target name. */
async function argocdTokens(): Promise<Record<string, string>> {
    const tokens: Record<string, string> = {};
    for (const target of [world.a, world.b, world.c]) tokens[target.name] = (await world.clusterSecret(target))!.config.bearerToken;
    return tokens;
}

describe("pull-request guardrails against real clusters and the real engine", { timeout: 600_000 }, () => {
    before(async () => {
        world = await World.create("production");
        await world.succeed("up");
    });
    after(async () => {
        await world?.dispose();
    });

    it("1. a read-only previewer previews a token rotation; its up is refused by every API server it reaches", async () => {
        const objectsBefore = await world.everyOwnedObject();
        const tokensBefore = await argocdTokens();
        const admin = world.plane.kubeconfig;
        world.useKubeconfig(await world.previewerKubeconfig());
        world.writeConfig(world.clusterEntries("2"));
        try {
            const preview = await world.succeed("preview");
            assert.ok(preview.replace >= 1, `the rotation shows as a replacement: ${JSON.stringify(preview)}`);

            const up = await world.pulumi("up");
            assert.notEqual(up.code, 0, "an up with the previewer's credentials must fail");
            const refusals = up.output.match(/User "system:serviceaccount:kube-system:argocd-clusters-previewer" cannot \w+ resource/g) ?? [];
            assert.ok(refusals.length >= 1, `the API server refused the writes:\n${up.output.slice(-4000)}`);
            assert.deepEqual(await world.everyOwnedObject(), objectsBefore, "nothing changed on any cluster");
            assert.deepEqual(await argocdTokens(), tokensBefore, "Argo CD still holds the same tokens");
        } finally {
            world.useKubeconfig(admin);
            world.writeConfig(world.clusterEntries("2"));
        }
        // The writer converges what the refused up left half-recorded (providers, the random suffix).
        await world.succeed("up");
        assert.notEqual((await argocdTokens())[world.a.name], tokensBefore[world.a.name], "the writer rotated alpha's token");
        await world.succeed("preview", "--expect-no-changes");
    });
});
