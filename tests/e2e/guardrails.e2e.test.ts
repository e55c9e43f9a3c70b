/**
 * End to end, the pull-request guardrails: previews with the policy pack (policy/analyzer) enforced by the real
 * engine, passing and failing; a preview with a read-only "previewer" identity (rbac/previewer.yaml) that works
 * while its up is refused by the API servers; the registration summary of that preview. The world's stack is
 * `production`, so the production-only rules apply. Steps build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parsePreview, summarizePreview } from "../../summary/summary";
import { POLICY_PACK_FLAGS, World } from "../support/world";

let world: World;

/** The world's three registrations, with alpha's cluster-wide wildcard rights explicitly allowed. */
function compliant(rotation = "1"): Record<string, unknown>[] {
    return world.clusterEntries(rotation);
}

/** The bearer token Argo CD holds for each target, by target name. */
async function argocdTokens(): Promise<Record<string, string>> {
    const tokens: Record<string, string> = {};
    for (const target of [world.a, world.b, world.c])
        tokens[target.name] = (await world.clusterSecret(target))!.config.bearerToken;
    return tokens;
}

describe("pull-request guardrails against real clusters and the real engine", { timeout: 600_000 }, () => {
    before(async () => {
        // Written for the token Secret kind (a rotation replaces the token Secret).
        world = await World.create("production", { token: { kind: "secret" } });
        world.writeConfig(compliant());
        await world.succeed("up");
    });
    after(async () => {
        await world?.dispose();
    });

    it("1. a policy-enforced preview of a compliant production stack passes", async () => {
        const run = await world.pulumi("preview", "--expect-no-changes");
        assert.equal(run.code, 0, run.output.slice(-4000));
        assert.match(run.output, /argocd-clusters-guardrails/, "the engine ran the pack");
    });

    it("2. a policy-enforced preview fails on wildcard rights without the opt-in and on unverified TLS, and changes nothing", async () => {
        const before = await world.everyOwnedObject();
        const [{ allowWildcardRbac: _optIn, ...alpha }, beta, gamma] = world.clusterEntries();
        world.writeConfig([alpha, beta, { ...gamma, tls: { insecure: true } }]);
        try {
            const run = await world.pulumi("preview");
            assert.notEqual(run.code, 0, "mandatory violations fail the preview");
            assert.match(run.output, /no-wildcard-rbac-in-production/);
            assert.match(run.output, /allowWildcardRbac/, "the message names the key that opts in");
            assert.match(run.output, /Pulumi\.production\.yaml/, "the message names the stack file");
            assert.match(run.output, /tls-verified-in-production/);
            assert.deepEqual(await world.everyOwnedObject(), before, "nothing changed on any cluster");
        } finally {
            world.writeConfig(compliant());
        }
    });

    it("3. a read-only previewer previews a token rotation; its up is refused by every API server it reaches", async () => {
        const objectsBefore = await world.everyOwnedObject();
        const tokensBefore = await argocdTokens();
        const admin = world.plane.kubeconfig;
        world.useKubeconfig(await world.previewerKubeconfig());
        world.writeConfig(compliant("2"));
        try {
            // The pull-request pipeline's own script: policy-enforced preview, its JSON and the registration summary.
            const out = path.join(world.workDir, "preview-out");
            const preview = await world.script("preview", "--out", out);
            assert.equal(preview.code, 0, preview.output.slice(-4000));
            assert.ok(
                preview.result.replace >= 1,
                `the rotation shows as a replacement: ${JSON.stringify(preview.result)}`,
            );
            const json = fs.readFileSync(path.join(out, `preview-${world.stack}.json`), "utf8");
            const summary = fs.readFileSync(path.join(out, `summary-${world.stack}.md`), "utf8");
            assert.equal(
                summary,
                summarizePreview(parsePreview(json), { stack: world.stack }),
                "the summary is the preview's",
            );
            // What the pipeline posts: the rotation is named, and no credential the preview could reach is in it.
            assert.match(summary, /`alpha`[^\n]*\n\s+- token rotated/, summary);
            for (const token of Object.values(tokensBefore)) {
                assert.ok(
                    !summary.includes(token) && !json.includes(token),
                    "no bearer token in the summary or the preview's JSON",
                );
            }

            const up = await world.script("up");
            assert.notEqual(up.code, 0, "an up with the previewer's credentials must fail");
            const refusals =
                up.output.match(
                    /User "system:serviceaccount:kube-system:argocd-clusters-previewer" cannot \w+ resource/g,
                ) ?? [];
            assert.ok(refusals.length >= 1, `the API server refused the writes:\n${up.output.slice(-4000)}`);
            assert.deepEqual(await world.everyOwnedObject(), objectsBefore, "nothing changed on any cluster");
            assert.deepEqual(await argocdTokens(), tokensBefore, "Argo CD still holds the same tokens");
        } finally {
            world.useKubeconfig(admin);
            world.writeConfig(compliant("2"));
        }
        // The writer converges what the refused up left half-recorded (providers, the random suffix).
        const converge = await world.script("up");
        assert.equal(converge.code, 0, converge.output.slice(-4000));
        assert.notEqual(
            (await argocdTokens())[world.a.name],
            tokensBefore[world.a.name],
            "the writer rotated alpha's token",
        );
        await world.succeed("preview", "--expect-no-changes");
    });

    it("4. the fallback engine wrapper refuses a stack without state, and never overrides a configured backend", async () => {
        const before = await world.everyOwnedObject();
        // `scripts/up --stack production` on a machine whose Pulumi has no Node.js language host and no backend set:
        // the wrapper's default local backend holds no state for the stack.
        const up = await world.wrapper(["up", ...POLICY_PACK_FLAGS]);
        assert.equal(up.code, 2, up.output.slice(-4000));
        assert.match(
            up.output,
            /stack production has no state in file:\/\/.*: run against real clusters, it would create every object anew/,
        );
        assert.match(up.output, /--first-run/);
        assert.ok(
            !fs.existsSync(path.join(world.workDir, ".state", "backend", ".pulumi", "stacks")),
            "no stack was created",
        );
        assert.deepEqual(await world.everyOwnedObject(), before, "nothing changed on any cluster");

        // The backend the stack lives in, configured as pulumi login configures it: used as is, with its state.
        const configured = { PULUMI_BACKEND_URL: `file://${path.join(world.workDir, "state", "backend")}` };
        const preview = await world.wrapper(["preview", "--expect-no-changes", ...POLICY_PACK_FLAGS], configured);
        assert.equal(preview.code, 0, preview.output.slice(-4000));

        // A --state that would silently replace the configured backend is refused.
        const both = await world.wrapper(["preview", "--state", path.join(world.workDir, "elsewhere")], configured);
        assert.equal(both.code, 2, both.output.slice(-4000));
        assert.match(
            both.output,
            /PULUMI_BACKEND_URL is set, and --state .* would run this stack against a local file backend instead/,
        );

        // Told it is the first run, the wrapper goes ahead (a preview only). A new state backend is a new
        // deployment: the objects the stack's own backend made are not its to take over, and it says so.
        const first = await world.wrapper(["preview", "--first-run", ...POLICY_PACK_FLAGS]);
        assert.notEqual(first.code, 0, first.output.slice(-4000));
        assert.match(
            first.output,
            /the target already has ServiceAccount kube-system\/argocd-manager \(another deployment \(argocd-clusters\/owner: [0-9a-f]{32}, stack argocd-clusters\/production\)\)/,
        );
        assert.deepEqual(await world.everyOwnedObject(), before, "nothing changed on any cluster");
    });
});
