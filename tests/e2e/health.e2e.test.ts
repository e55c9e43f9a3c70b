/**
 * End to end, the health report (issue 10 §3): `scripts/verify`, run as the deploy pipelines run it after
 * `up`, judges every registration from its cluster Secret alone against real API servers. Things are then
 * broken behind Pulumi's back, as they break in real life (a token Secret deleted on the target, a cluster
 * Secret edited on the hub, an entry dropped from the stack file without an `up`), and the report must name
 * each; then time is moved (world.clock, for `up` and the report alike: tests/support/clock.ts) past a secret-kind token's
 * rotation without an `up`, as when a scheduled pipeline stopped running. Steps build on each other and run
 * in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePorts } from "../../dev/controlPlane/controlPlane";
import { readAt } from "../support/clock";
import { ARGOCD_NS, type PulumiRun, World } from "../support/world";

let world: World;

/** Every credential the report could leak: Argo CD's tokens and the admins' (the kubeconfig's). */
async function credentials(): Promise<string[]> {
    const tokens = world.plane.clusters.map((c) => c.adminToken);
    for (const target of [world.a, world.b, world.c]) {
        const secret = await world.clusterSecret(target);
        if (secret) tokens.push(secret.config.bearerToken);
    }
    return tokens;
}

/** scripts/verify on the world's stack; asserts it printed no credential. */
async function verify(...args: string[]): Promise<PulumiRun> {
    const secrets = await credentials();
    const run = await world.script("verify", ...args);
    for (const s of secrets)
        assert.ok(
            !run.output.includes(s) && !JSON.stringify(run.result ?? {}).includes(s),
            "no credential in the report",
        );
    return run;
}

/** The JSON report's registrations by name. */
function byName(run: PulumiRun): Record<string, any> {
    assert.ok(run.result, `no JSON report:\n${run.output.slice(-3000)}`);
    return Object.fromEntries(run.result.registrations.map((r: any) => [r.name, r]));
}

/** Runs verify until `done` holds or 20 s pass (a deleted token takes the API server's informer a moment). */
async function verifyUntil(done: (run: PulumiRun) => boolean, ...args: string[]): Promise<PulumiRun> {
    const deadline = Date.now() + 20_000;
    for (;;) {
        const run = await verify(...args);
        if (done(run) || Date.now() > deadline) return run;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

const HEALTHY = { reachable: true, tls: "verified", token: "accepted", rights: "expected" };

describe("the health report reads every registration from its cluster Secret alone", { timeout: 900_000 }, () => {
    before(async () => {
        // Written for the token Secret kind (its checks read token Secrets); boundTokens.e2e covers bound tokens.
        world = await World.create("local", { token: { kind: "secret" } });
        await world.succeed("up");
    });
    after(async () => {
        await world?.dispose();
    });

    it("1. after up, every registration is healthy: exit 0, a JSON line per registration, a table for people", async () => {
        const run = await verify("--json");
        assert.equal(run.code, 0, run.output.slice(-4000));
        const report = JSON.parse(run.stdout);
        assert.deepEqual(report, run.result, "--json prints what --result writes");
        assert.equal(report.healthy, true);
        const regs = byName(run);
        assert.deepEqual(Object.keys(regs), ["alpha", "beta", "gamma"]);
        for (const [name, r] of Object.entries<any>(regs)) {
            assert.equal(r.status, "healthy", `${name}: ${JSON.stringify(r)}`);
            assert.deepEqual(r.checks, HEALTHY, name);
            assert.equal(r.declared, true);
            // The token controller's tokens carry no iat: their age is unknown, and said so.
            assert.equal(r.token.ageSeconds, null);
            assert.equal(r.token.serviceAccount, "kube-system/argocd-manager");
            assert.match(r.token.tokenSecret, /^argocd-manager-token-[0-9a-f]{8}$/);
        }
        assert.equal(regs.beta.mode, "namespaced");
        assert.deepEqual(regs.beta.namespaces, ["apps", "monitoring"]);
        assert.equal(regs.alpha.server, world.a.server);

        const table = await verify();
        assert.equal(table.code, 0, table.output.slice(-4000));
        assert.match(
            table.stdout,
            /^Stack local \(Argo CD namespace argocd, context argocd\): 3 registrations: 3 healthy; healthy$/m,
        );
        assert.match(
            table.stdout,
            /^alpha +https:\/\/127\.0\.0\.\d+:\d+ +healthy +yes +verified +accepted +expected +secret, unknown +-$/m,
        );
    });

    it("2. a token revoked behind Pulumi's back: that registration is broken, its token rejected (exit 1)", async () => {
        const tokenSecret = byName(await verify("--json")).alpha.token.tokenSecret;
        const deleted = await world.a.admin("DELETE", `/api/v1/namespaces/kube-system/secrets/${tokenSecret}`);
        assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
        const run = await verifyUntil((r) => byName(r).alpha?.status === "broken", "--json");
        assert.equal(run.code, 1, run.output.slice(-4000));
        const regs = byName(run);
        assert.equal(regs.alpha.status, "broken");
        assert.deepEqual(regs.alpha.checks, { reachable: true, tls: "verified", token: "rejected", rights: "unknown" });
        assert.match(
            regs.alpha.problems[0].message,
            /^cluster "alpha" \(https:\/\/127\.0\.0\.\d+:\d+\): the API server rejected the token \(401\)$/,
        );
        assert.equal(regs.beta.status, "healthy", "the others are unaffected");
        assert.equal(regs.gamma.status, "healthy");

        const table = await verify();
        assert.equal(table.code, 1);
        assert.match(table.stdout, /NOT healthy/);
        assert.match(table.stdout, /^Problems:\n {2}- cluster "alpha" .*rejected the token \(401\)\n {4}fix: /m);

        // A rotation issues a new token: healthy again.
        world.writeConfig(world.clusterEntries("2"));
        await world.succeed("up");
        assert.equal((await verify("--json")).code, 0);
    });

    it("3. a cluster Secret whose CA does not sign the server (edited on the hub): TLS failed", async () => {
        const path = `/api/v1/namespaces/${ARGOCD_NS}/secrets/${(await world.clusterSecret(world.b))!.object.metadata.name}`;
        const original = (await world.argocd.admin("GET", path)).body.data.config;
        const config = JSON.parse(Buffer.from(original, "base64").toString("utf8"));
        config.tlsClientConfig.caData = world.argocd.caPem.toString("base64");
        const patch = (value: string) =>
            world.argocd.admin("PATCH", path, { data: { config: value } }, "application/merge-patch+json");
        assert.equal((await patch(Buffer.from(JSON.stringify(config)).toString("base64"))).status, 200);
        try {
            const run = await verify("--json");
            assert.equal(run.code, 1, run.output.slice(-4000));
            const beta = byName(run).beta;
            assert.equal(beta.status, "broken");
            assert.deepEqual(beta.checks, { reachable: true, tls: "failed", token: "unknown", rights: "unknown" });
            assert.match(
                beta.problems[0].message,
                /^cluster "beta" \(https:\/\/127\.0\.0\.\d+:\d+\): TLS failed: [A-Z_]+$/,
            );
            assert.match(beta.problems[0].fix, /the CA Argo CD gets/);
            assert.equal(byName(run).alpha.status, "healthy");
        } finally {
            assert.equal((await patch(original)).status, 200);
        }
        assert.equal((await verify()).code, 0);
    });

    it("4. a server nobody answers at is unreachable, not broken, unless --require-reachable", async () => {
        const [closed] = await freePorts(1);
        const elsewhere = {
            name: "elsewhere",
            server: `https://127.0.0.1:${closed}`,
            context: "target-c",
            serviceAccount: "argocd-elsewhere",
            allowWildcardRbac: true,
        };
        world.writeConfig([...world.clusterEntries("2"), elsewhere]);
        await world.succeed("up");
        const run = await verify("--json");
        assert.equal(run.code, 0, run.output.slice(-4000));
        const r = byName(run).elsewhere;
        assert.equal(r.status, "unreachable");
        assert.equal(r.checks.reachable, false);
        assert.match(r.warnings[0], /cannot be reached from here: no connection \(ECONNREFUSED\)/);
        const required = await verify("--json", "--require-reachable");
        assert.equal(required.code, 1, required.output.slice(-4000));
        assert.equal(byName(required).elsewhere.status, "unreachable");
        assert.equal(byName(required).elsewhere.ok, false);
    });

    it("5. an entry dropped from the stack file but still on the hub is flagged, and a declared one without a Secret", async () => {
        const [alpha, beta] = world.clusterEntries("2");
        const [closed] = await freePorts(1);
        const delta = {
            name: "delta",
            server: `https://127.0.0.1:${closed}`,
            context: "target-c",
            serviceAccount: "argocd-delta",
            allowWildcardRbac: true,
        };
        // No up: the stack file and the hub now disagree.
        world.writeConfig([alpha, beta, delta]);
        const run = await verify("--json");
        assert.equal(run.code, 1, run.output.slice(-4000));
        const regs = byName(run);
        for (const name of ["gamma", "elsewhere"]) {
            assert.equal(regs[name].declared, false, name);
            assert.match(
                regs[name].problems.at(-1).message,
                /carries this stack's mark, but Pulumi\.local\.yaml no longer declares it$/,
            );
        }
        assert.equal(regs.elsewhere.status, "undeclared");
        // Without its entry, gamma is judged by its mode (cluster-wide: full rights), which its ConfigMap-only
        // token does not hold: broken as well as undeclared.
        assert.equal(regs.gamma.status, "broken");
        assert.deepEqual(regs.gamma.checks, { ...HEALTHY, rights: "missing" });
        assert.equal(regs.delta.status, "missing");
        assert.equal(regs.delta.secret, null);
        assert.equal(regs.alpha.status, "healthy");
        const table = await verify();
        assert.match(table.stdout, /^elsewhere +https:\/\/\S+ +undeclared +no /m);
        assert.match(table.stdout, /^delta +https:\/\/\S+ +missing +- +- +- +- +- +-$/m);
    });

    it("6. a secret-kind token past its rotation with no up since: a warning, never a failure; up clears it", async () => {
        const [alpha, beta, gamma] = world.clusterEntries("2");
        world.writeConfig([{ ...alpha, token: { kind: "secret", rotateEvery: "720h" } }, beta, gamma]);
        const rotatesAt = async () => (await world.succeed("outputs")).registrations.alpha.tokenRotatesAt as string;
        world.clock = "2030-01-01T00:00:00Z";
        try {
            await world.succeed("up");
            const due = await rotatesAt();
            assert.ok(readAt(due, "2030-01-31T00:00:00Z"), due);
            // The scheduled pipeline's own check: fails only on a token that expires before the next run.
            let run = await verify("--json", "--fail-within", "48h");
            assert.equal(run.code, 0, run.output.slice(-4000));
            let regs = byName(run);
            assert.equal(regs.alpha.token.rotatesAt, new Date(due).toISOString());
            assert.equal(regs.alpha.token.expiresAt, null, "a Secret token never expires");
            assert.deepEqual(regs.alpha.warnings, []);
            assert.equal(regs.beta.token.rotatesAt, null, "beta has no rotateEvery");
            assert.match(
                (await verify()).stdout,
                /^alpha +https:\/\/\S+ +healthy .*unknown, rotates in (30d|29d23h) /m,
            );

            // Two days past the rotation, and no up ran: the token still works, so the report still passes,
            // but says the rotation was missed, in the JSON and in the table.
            world.clock = "2030-02-02T00:00:00Z";
            run = await verify("--json", "--fail-within", "48h");
            assert.equal(run.code, 0, run.output.slice(-4000));
            regs = byName(run);
            assert.equal(regs.alpha.status, "healthy");
            assert.equal(regs.alpha.warnings.length, 1, JSON.stringify(regs.alpha.warnings));
            assert.match(
                regs.alpha.warnings[0],
                new RegExp(
                    `^cluster "alpha" \\(\\S+\\): its token was due for rotation at ${due}; it still works, but no successful up has rotated it since`,
                ),
            );
            const table = await verify("--fail-within", "48h");
            assert.equal(table.code, 0);
            assert.match(table.stdout, /^alpha +https:\/\/\S+ +healthy .*rotation overdue/m);
            assert.match(table.stdout, /^Warnings:\n(.*\n)* {2}- cluster "alpha" .*due for rotation/m);

            // The missed run comes: up rotates, and the report's next rotation moves a period on.
            await world.succeed("up");
            const next = await rotatesAt();
            assert.ok(readAt(next, "2030-03-04T00:00:00Z"), next);
            run = await verify("--json", "--fail-within", "48h");
            assert.equal(run.code, 0, run.output.slice(-4000));
            regs = byName(run);
            assert.equal(regs.alpha.token.rotatesAt, new Date(next).toISOString());
            assert.deepEqual(regs.alpha.warnings, []);
        } finally {
            world.clock = undefined;
        }
    });
});
