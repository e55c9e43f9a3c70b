/**
 * End to end, with Argo CD's own code as the judge: every cluster Secret the program writes is read by
 * argocd-judge (dev/toolchain/argocd/judge: Argo CD v3.6.2's util/db conversion and REST config, then the
 * application controller's gitops-engine cluster cache, configured from the hub's argocd-cm through Argo CD's
 * settings manager), after up, after a token rotation, and for the production example's namespaced registration
 * with clusterResources (issue 10, section 0) under each resource.respectRBAC setting, written on the hub as an
 * operator would. The steps build on each other, so they run in order in one world.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import { ARGOCD_CM, PART_OF_LABEL, RESPECT_RBAC_KEY } from "../../argocd/names";
import { patchArgoCdSettings } from "../../dev/argocdSettings";
import { ensureToolchain, type Toolchain } from "../../dev/toolchain/toolchain";
import { ARGOCD_NS, type JudgeReport, type JudgeRun, World } from "../support/world";

/**
 * What a cluster cache sync aborts with when one list is Forbidden (gitops-engine v3.6.2 pkg/cache/cluster.go: since
 * v3 the list's error is wrapped in "failed to list resources").
 */
const LIST_FORBIDDEN =
    /^failed to sync cluster https:\/\/\S+: failed to load initial state of resource \S+: failed to list resources: \S+ is forbidden: User "system:serviceaccount:kube-system:argocd-manager" cannot list resource/;

let world: World;
let toolchain: Toolchain;
/** Every bearer token the cluster Secrets held: the judge must never print one. */
const tokens = new Set<string>();

/** Runs the judge and checks what holds for every run: it printed a report per Secret and no token. */
async function judge(options: Parameters<World["judge"]>[1] = {}): Promise<JudgeRun> {
    const run = await world.judge(toolchain, options);
    assert.notEqual(run.code, 2, `the judge could not read the cluster Secrets:\n${run.stderr}`);
    assert.ok(run.reports.length > 0, `no report:\n${run.stdout}\n${run.stderr}`);
    for (const token of tokens)
        assert.ok(!`${run.stdout}${run.stderr}`.includes(token), "the judge printed a bearer token");
    return run;
}

/**
 * Runs `body` with the hub's argocd-cm setting resource.respectRBAC to `value` (null: unset, Argo CD's default),
 * then puts back the World's `normal`.
 */
async function underRespectRbac<T>(value: "normal" | "strict" | null, body: () => Promise<T>): Promise<T> {
    const set = (v: string | null) =>
        patchArgoCdSettings(world.argocd, ARGOCD_NS, ARGOCD_CM, { data: { [RESPECT_RBAC_KEY]: v } });
    await set(value);
    try {
        return await body();
    } finally {
        await set("normal");
    }
}

async function recordTokens(): Promise<void> {
    for (const target of [world.a, world.b, world.c]) {
        const secret = await world.clusterSecret(target);
        if (secret) tokens.add(secret.config.bearerToken);
    }
}

/** A report's every check, for assertion messages. */
function show(report: JudgeReport | undefined): string {
    return JSON.stringify(report, null, 2);
}

function assertConnects(report: JudgeReport): void {
    assert.equal(report.conversion.ok, true, show(report));
    assert.equal(report.credential, "bearerToken");
    assert.deepEqual(
        report.tls,
        { insecure: false, caData: true, clientCert: false },
        "TLS verified against the target's CA",
    );
    assert.equal(report.restConfig?.ok, true, show(report));
    assert.equal(report.version?.ok, true, show(report));
    assert.equal(report.version?.gitVersion, "v1.36.3");
}

function assertSynced(report: JudgeReport): void {
    assert.equal(report.sync?.ok, true, `Argo CD's cluster cache must sync:\n${show(report)}`);
    assert.ok(report.sync!.apis > 0 && report.sync!.resources > 0, show(report));
}

describe("Argo CD's own code judges every cluster Secret the program writes", { timeout: 900_000 }, () => {
    before(
        async () => {
            toolchain = await ensureToolchain();
            // Written for the token Secret kind (a rotation replaces the token Secret).
            world = await World.create("local", { token: { kind: "secret" } });
        },
        { timeout: 5_400_000 },
    );

    after(async () => {
        await world?.dispose();
    });

    it("1. after up, Argo CD reads, connects with and syncs every registration as its mode allows", async (t) => {
        await world.succeed("up");
        await recordTokens();
        // Argo CD's default: resource.respectRBAC unset in the hub's argocd-cm.
        const all = await underRespectRbac(null, () => judge());
        assert.deepEqual(Object.keys(all.byName).sort(), ["alpha", "beta", "gamma"]);
        for (const report of all.reports)
            assert.equal(report.sync?.respectRBAC, "none", `read from the hub's argocd-cm: ${show(report)}`);

        // alpha, cluster-wide with the CLI's rights: the controller lists and watches everything.
        const alpha = all.byName.alpha;
        assertConnects(alpha);
        assert.equal(alpha.server, world.a.server);
        assert.equal(alpha.namespaces, undefined);
        assert.equal(alpha.clusterResources, false);
        assertSynced(alpha);
        assert.deepEqual(alpha.sync!.watchErrors, undefined, show(alpha));

        // beta, namespaced: the controller lists namespaced kinds in apps and monitoring only, so it syncs.
        const beta = all.byName.beta;
        assertConnects(beta);
        assert.deepEqual(beta.namespaces, ["apps", "monitoring"]);
        assert.equal(beta.project, "team-b");
        assertSynced(beta);
        assert.deepEqual(beta.sync!.watchErrors, undefined, show(beta));

        // gamma, cluster-wide with only get/list/watch/create/delete on ConfigMaps: Argo CD's default (respectRBAC
        // unset) lists every kind at cluster scope, and the first Forbidden list aborts the sync.
        const gamma = all.byName.gamma;
        assertConnects(gamma);
        assert.equal(gamma.sync?.ok, false, show(gamma));
        assert.match(gamma.sync!.error!, LIST_FORBIDDEN);
        assert.equal(all.code, 1, "a failed sync fails the judge");
        t.diagnostic(`gamma, respectRBAC none: ${gamma.sync!.error}`);
    });

    it("2. the ConfigMap round trip succeeds where the mode grants it and is refused elsewhere", async (t) => {
        const alpha = await judge({ target: world.a, configMapNamespaces: ["default", "kube-system"] });
        assert.equal(alpha.code, 0, show(alpha.byName.alpha));
        assert.deepEqual(
            alpha.byName.alpha.configMaps!.map((c) => [c.namespace, c.create, c.delete]),
            [
                ["default", 201, 200],
                ["kube-system", 201, 200],
            ],
        );

        const beta = await judge({ target: world.b, configMapNamespaces: ["apps", "monitoring"] });
        assert.equal(beta.code, 0, show(beta.byName.beta));
        assert.deepEqual(
            beta.byName.beta.configMaps!.map((c) => [c.namespace, c.create, c.delete]),
            [
                ["apps", 201, 200],
                ["monitoring", 201, 200],
            ],
        );
        const betaElsewhere = await judge({ target: world.b, configMapNamespaces: ["other"] });
        assert.equal(betaElsewhere.code, 1, "a refused round trip fails the judge");
        const refused = betaElsewhere.byName.beta.configMaps![0];
        assert.deepEqual([refused.ok, refused.create, refused.delete], [false, 403, 0]);
        assert.match(refused.error!, /configmaps is forbidden: .* in the namespace "other"/);

        // gamma may create and delete ConfigMaps anywhere, and with respectRBAC normal (the World's argocd-cm)
        // Argo CD drops the kinds it may not list and syncs what is left. Its rules grant watch too (validation
        // requires it with list: without it the controller's watch is refused and retried for ever, and its cache
        // never sees a change).
        const gamma = await judge({ target: world.c, configMapNamespaces: ["default"] });
        assert.equal(gamma.code, 0, show(gamma.byName.gamma));
        assert.equal(gamma.byName.gamma.sync?.respectRBAC, "normal", show(gamma.byName.gamma));
        assertSynced(gamma.byName.gamma);
        assert.deepEqual(
            gamma.byName.gamma.configMaps!.map((c) => [c.create, c.delete]),
            [[201, 200]],
        );
        // Only ConfigMaps: the API server's own in each namespace (kube-root-ca.crt) and the round trip's.
        assert.deepEqual(Object.keys(gamma.byName.gamma.sync!.kinds ?? {}), ["/ConfigMap"], show(gamma.byName.gamma));
        assert.deepEqual(gamma.byName.gamma.sync!.watchErrors, undefined, show(gamma.byName.gamma));
        t.diagnostic(`gamma, respectRBAC normal: ${JSON.stringify(gamma.byName.gamma.sync)}`);
    });

    it("3. after a token rotation Argo CD syncs with the new token, and a Secret holding the old one fails", async () => {
        // A copy of alpha's Secret as it is now, as an Argo CD that missed the switch would hold it.
        const stale = (await world.clusterSecret(world.a))!.object;
        const copy = {
            metadata: { name: "stale-alpha", labels: stale.metadata.labels },
            data: { ...stale.data, name: Buffer.from("stale-alpha").toString("base64") },
        };
        // Written only after the up: a second Secret for alpha's server would be refused before anything is
        // registered (components/claims.ts), as Argo CD would use either of the two.
        world.writeConfig(world.clusterEntries("2"));
        await world.succeed("up");
        const created = await world.argocd.admin("POST", `/api/v1/namespaces/${ARGOCD_NS}/secrets`, copy);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        try {
            await recordTokens();
            const alpha = await judge({ target: world.a, configMapNamespaces: ["default"] });
            assert.equal(alpha.code, 0, show(alpha.byName.alpha));
            assertConnects(alpha.byName.alpha);
            assertSynced(alpha.byName.alpha);

            // The old token is revoked once the API server notices its Secret is gone: allow it a moment.
            let old: JudgeRun;
            const deadline = Date.now() + 20_000;
            do {
                old = await judge({ target: "stale-alpha" });
            } while (old.byName["stale-alpha"].version?.ok && Date.now() < deadline);
            assert.equal(old.code, 1);
            assert.equal(old.byName["stale-alpha"].version?.ok, false, show(old.byName["stale-alpha"]));
            assert.equal(old.byName["stale-alpha"].version!.status, 401, show(old.byName["stale-alpha"]));
            assert.equal(
                old.byName["stale-alpha"].version!.error,
                "the server has asked for the client to provide credentials",
            );
        } finally {
            await world.argocd.admin("DELETE", `/api/v1/namespaces/${ARGOCD_NS}/secrets/stale-alpha`);
        }
        // Every registration, rotated or not, reads as it did after the first up.
        const all = await judge();
        assert.deepEqual(Object.keys(all.byName).sort(), ["alpha", "beta", "gamma"]);
        for (const report of all.reports) {
            assertConnects(report);
            assertSynced(report);
        }
        assert.equal(all.code, 0);
    });

    it("4. a Secret without the cluster label is not a cluster to Argo CD", async () => {
        const secret = (await world.clusterSecret(world.b))!.object;
        const unlabelled = { metadata: { name: "unlabelled-beta" }, data: secret.data };
        assert.equal(
            (await world.argocd.admin("POST", `/api/v1/namespaces/${ARGOCD_NS}/secrets`, unlabelled)).status,
            201,
        );
        try {
            const run = await judge({ target: "unlabelled-beta" });
            assert.equal(run.code, 1);
            assert.match(run.reports[0].conversion.error!, /no label argocd\.argoproj\.io\/secret-type=cluster/);
        } finally {
            await world.argocd.admin("DELETE", `/api/v1/namespaces/${ARGOCD_NS}/secrets/unlabelled-beta`);
        }
    });

    it("5. issue 10 section 0: namespaced + clusterResources with clusterRules on namespaces only (Pulumi.production.yaml)", async (t) => {
        const [alpha, beta, gamma] = world.clusterEntries("2");
        world.writeConfig([
            alpha,
            {
                ...beta,
                clusterResources: true,
                clusterRules: [
                    {
                        apiGroups: [""],
                        resources: ["namespaces"],
                        verbs: ["get", "list", "watch", "create", "update", "patch"],
                    },
                ],
            },
            gamma,
        ]);
        await world.succeed("up");
        await recordTokens();
        const secretName = clusterSecretName(world.b.server);

        // Argo CD's default: the controller lists every cluster-scoped kind at cluster scope and the first it may
        // not list aborts the sync, so Argo CD cannot use the registration.
        const none = await underRespectRbac(null, () => judge({ target: secretName, configMapNamespaces: ["apps"] }));
        const underNone = none.byName.beta;
        assertConnects(underNone);
        assert.equal(underNone.clusterResources, true);
        assert.equal(underNone.sync?.ok, false, show(underNone));
        assert.match(underNone.sync!.error!, LIST_FORBIDDEN);
        assert.deepEqual(
            underNone.configMaps!.map((c) => [c.create, c.delete]),
            [[201, 200]],
            "the token itself works",
        );
        assert.equal(none.code, 1);
        t.diagnostic(`section 0, respectRBAC none: ${underNone.sync!.error}`);

        // resource.respectRBAC normal or strict: the kinds it may not list are dropped, and namespaces are kept.
        for (const respectRBAC of ["normal", "strict"] as const) {
            const run = await underRespectRbac(respectRBAC, () => judge({ target: secretName }));
            assert.equal(run.code, 0, show(run.byName.beta));
            assert.equal(run.byName.beta.sync?.respectRBAC, respectRBAC, show(run.byName.beta));
            assertSynced(run.byName.beta);
            // What clusterRules grant is seen cluster-wide (every namespace, not only the two), and what the
            // Roles grant in the two namespaces.
            const kinds = run.byName.beta.sync!.kinds!;
            assert.ok(kinds["/Namespace"] >= 5, `Namespaces seen: ${show(run.byName.beta)}`);
            assert.equal(
                kinds["rbac.authorization.k8s.io/Role"],
                2,
                `the Roles in apps and monitoring: ${show(run.byName.beta)}`,
            );
            assert.equal(kinds["/PersistentVolume"], undefined);
            assert.deepEqual(run.byName.beta.sync!.watchErrors, undefined, "clusterRules grant watch on namespaces");
            t.diagnostic(`section 0, respectRBAC ${respectRBAC}: ${JSON.stringify(run.byName.beta.sync)}`);
        }
    });

    it("6. an argocd-cm without Argo CD's label is not Argo CD's: the judge, like the controller, cannot load its settings", async () => {
        const label = (value: string | null) =>
            patchArgoCdSettings(world.argocd, ARGOCD_NS, ARGOCD_CM, { labels: { [PART_OF_LABEL]: value } });
        await label(null);
        let unlabelled: JudgeRun;
        try {
            unlabelled = await world.judge(toolchain, { target: world.a });
        } finally {
            await label("argocd");
        }
        // The controller exits at start with the same words (controller/cache/cache.go Init).
        assert.equal(unlabelled.code, 2, `${unlabelled.stdout}\n${unlabelled.stderr}`);
        assert.match(unlabelled.stderr, /error loading cache settings from argocd .*configmap "argocd-cm" not found/);
        assert.deepEqual(unlabelled.reports, [], "no verdict without Argo CD's settings");

        // Labelled again, the same argocd-cm is read: respectRBAC normal, and alpha syncs.
        const labelled = await judge({ target: world.a });
        assert.equal(labelled.code, 0, show(labelled.byName.alpha));
        assert.equal(labelled.byName.alpha.sync?.respectRBAC, "normal");
    });
});
