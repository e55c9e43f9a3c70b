/**
 * End to end: the real Pulumi engine and providers against real local API servers. The steps build on each
 * other (preview, up, use, no-op, rotate, remove, migration from the CLI, bad config, faults, destroy), so they run in order in one
 * world that the hooks start and tear down.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import { parsePreview, summarizePreview } from "../../summary/summary";
import {
    argocdClusterAddOnHub,
    argocdClusterAddOnTarget,
    CLI_CLUSTER_RULES,
    legacyCliTokenOnTarget,
} from "../support/cliRegistration";
import {
    ARGOCD_NS,
    configMapRoundTrip,
    credentialsFrom,
    eventually,
    type World,
    worldPerSuite,
} from "../support/world";

/** The others that bindings of the CLI's account also serve (step 6b). */
const PLATFORM_GROUP = { kind: "Group", name: "platform-admins", apiGroup: "rbac.authorization.k8s.io" };
const TEAM_GROUP = { kind: "Group", name: "team-a", apiGroup: "rbac.authorization.k8s.io" };

let world: World;
/** Every bearer token seen during the run: none may appear in state or outputs. */
const tokensSeen = new Set<string>();

async function get(cluster: LocalCluster, urlPath: string): Promise<any | undefined> {
    const res = await cluster.admin("GET", urlPath);
    if (res.status === 404) return undefined;
    assert.equal(res.status, 200, `GET ${urlPath}: ${JSON.stringify(res.body)}`);
    return res.body;
}

async function tokenOf(target: LocalCluster): Promise<string> {
    const token = await world.bearerToken(target);
    tokensSeen.add(token);
    return token;
}

describe("argocd-clusters against real clusters and the real engine", { timeout: 900_000 }, () => {
    // Written for the token Secret kind (its steps count and revoke token Secrets); boundTokens.e2e covers bound.
    worldPerSuite(
        (started) => {
            world = started;
        },
        "local",
        { token: { kind: "secret" } },
    );

    it("1. preview plans every object and changes nothing on any cluster", async () => {
        const run = await world.pulumi("preview");
        assert.equal(run.code, 0, run.output.slice(-4000));
        const summary = run.result;
        // Gamma's ConfigMap rules have create but not patch: Argo CD's first sync would work, later ones not.
        assert.match(run.output, /cluster "gamma": its rules let Argo CD create configmaps but not patch them/);
        assert.doesNotMatch(run.output, /cluster "(alpha|beta)": its rules let Argo CD create/);
        // stack + the deployment identity + 4 providers + 3 x (component, ServiceAccount, suffix, token, cluster
        // Secret) + RBAC: alpha 2 (ClusterRole, binding), beta 4 (Role + binding in 2 namespaces), gamma 2.
        assert.deepEqual(summary, { create: 1 + 1 + 4 + 15 + 8 });
        for (const [cluster, owned] of Object.entries(await world.everyOwnedObject())) {
            assert.deepEqual(owned, {}, `preview created objects on ${cluster}`);
        }
    });

    it("2. up creates what argocd cluster add creates, on both sides", async () => {
        assert.deepEqual(await world.succeed("up"), { create: 29 });

        // alpha: the CLI's cluster-wide setup.
        const account = await get(world.a, "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager");
        assert.ok(account, "ServiceAccount kube-system/argocd-manager");
        const role = await get(world.a, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role");
        assert.deepEqual(role.rules, CLI_CLUSTER_RULES);
        const binding = await get(
            world.a,
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/argocd-manager-role-binding",
        );
        assert.deepEqual(binding.subjects, [
            { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" },
        ]);
        assert.equal(binding.roleRef.name, "argocd-manager-role");

        const outputs = (await world.succeed("outputs")).registrations;
        const tokenSecret = await get(
            world.a,
            `/api/v1/namespaces/kube-system/secrets/${outputs.alpha.tokenSecretName}`,
        );
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
            const nsRole = await get(
                world.b,
                `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles/argocd-manager-role`,
            );
            assert.deepEqual(nsRole.rules, [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]);
            assert.ok(
                await get(
                    world.b,
                    `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/argocd-manager-role-binding`,
                ),
            );
        }
        assert.equal(
            await get(world.b, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role"),
            undefined,
        );
        const beta = await world.clusterSecret(world.b);
        assert.equal(beta?.data.namespaces, "apps,monitoring");
        assert.equal(beta?.data.project, "team-b");

        // gamma: exactly the custom rules.
        const gammaRole = await get(world.c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role");
        assert.deepEqual(gammaRole.rules, [
            { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "delete"] },
        ]);
        for (const target of [world.a, world.b, world.c]) await tokenOf(target);
    });

    it("3. each cluster Secret works as Argo CD uses it, with exactly the rights granted", async () => {
        const alpha = credentialsFrom((await world.clusterSecret(world.a))!);
        assert.deepEqual(await configMapRoundTrip(alpha, "default"), [201, 200]);
        assert.equal(
            (await kubeRequest(alpha, "GET", "/version")).status,
            200,
            "non-resource URLs are granted cluster-wide",
        );
        // TLS is really verified: the same request without the CA is refused by the client.
        await assert.rejects(
            kubeRequest({ ...alpha, ca: undefined }, "GET", "/version"),
            /self-signed|unable to verify|certificate/i,
        );

        const beta = credentialsFrom((await world.clusterSecret(world.b))!);
        assert.deepEqual(await configMapRoundTrip(beta, "apps"), [201, 200]);
        assert.deepEqual(await configMapRoundTrip(beta, "monitoring"), [201, 200]);
        assert.equal(
            (await configMapRoundTrip(beta, "other"))[0],
            403,
            "namespaced mode must not reach other namespaces",
        );
        assert.equal((await kubeRequest(beta, "GET", "/api/v1/namespaces")).status, 403);

        const gamma = credentialsFrom((await world.clusterSecret(world.c))!);
        assert.deepEqual(await configMapRoundTrip(gamma, "default"), [201, 200]);
        assert.equal((await kubeRequest(gamma, "GET", "/api/v1/namespaces/default/secrets")).status, 403);
        assert.equal((await kubeRequest(gamma, "GET", "/apis/apps/v1/deployments")).status, 403);
    });

    it("4. a second up changes nothing, even after Argo CD annotates and labels its Secret", async () => {
        const name = clusterSecretName(world.a.server);
        await mergePatch(world.argocd, `/api/v1/namespaces/${ARGOCD_NS}/secrets/${name}`, {
            metadata: {
                annotations: { "argocd.argoproj.io/refresh": "hard" },
                // As Argo CD 3.4 (and 3.3.3) writes it: vMAJOR.MINOR.PATCH.
                labels: { "argocd.argoproj.io/kubernetes-version": "v1.36.3" },
            },
        });
        await world.succeed("up", "--expect-no-changes");
        await world.succeed("preview", "--expect-no-changes", "--refresh");
        const secret = await world.clusterSecret(world.a);
        assert.equal(
            secret?.object.metadata.annotations["argocd.argoproj.io/refresh"],
            "hard",
            "what Argo CD wrote is left alone",
        );
    });

    it("5. a new tokenRotation issues a new token, switches Argo CD to it and revokes the old one", async () => {
        const oldToken = await tokenOf(world.a);
        const oldTokenSecret = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;
        const others = { b: await world.ownedObjects(world.b), c: await world.ownedObjects(world.c) };

        world.writeConfig(world.clusterEntries("2"));
        const changes = await world.succeed("up");
        // New suffix and token Secret (replaced), the cluster Secret switched (updated); nothing else.
        assert.deepEqual(
            { ...changes, same: undefined, read: undefined },
            { replace: 2, update: 1, same: undefined, read: undefined },
        );

        const newToken = await tokenOf(world.a);
        assert.notEqual(newToken, oldToken);
        const creds = credentialsFrom((await world.clusterSecret(world.a))!);
        assert.deepEqual(await configMapRoundTrip(creds, "default"), [201, 200]);
        // The API server drops the token once its informer sees the Secret gone: allow it a moment.
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: oldToken }, "GET", "/api")).status,
            401,
            "the old token must be revoked",
        );
        assert.equal(await get(world.a, `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`), undefined);
        assert.deepEqual(
            { b: await world.ownedObjects(world.b), c: await world.ownedObjects(world.c) },
            others,
            "other clusters are untouched",
        );
    });

    it("6. removing a cluster from config removes its objects from both clusters, and nothing else", async () => {
        const kept = { a: await world.ownedObjects(world.a), b: await world.ownedObjects(world.b) };
        const keptSecrets = [
            (await world.clusterSecret(world.a))!.object.metadata.resourceVersion,
            (await world.clusterSecret(world.b))!.object.metadata.resourceVersion,
        ];

        world.writeConfig(world.clusterEntries("2").slice(0, 2));
        const changes = await world.succeed("up");
        // component, ServiceAccount, ClusterRole, binding, suffix, token, cluster Secret, provider
        // A read is the removal guard reading the stack's own outputs (they changed since the last up).
        assert.deepEqual(
            { ...changes, same: undefined, read: undefined },
            { delete: 8, same: undefined, read: undefined },
        );

        assert.deepEqual(await world.ownedObjects(world.c), {}, "gamma's RBAC and token are gone");
        assert.equal(
            await get(world.c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role"),
            undefined,
        );
        assert.equal(await world.clusterSecret(world.c), undefined, "gamma's cluster Secret is gone");
        assert.deepEqual({ a: await world.ownedObjects(world.a), b: await world.ownedObjects(world.b) }, kept);
        assert.deepEqual(
            [
                (await world.clusterSecret(world.a))!.object.metadata.resourceVersion,
                (await world.clusterSecret(world.b))!.object.metadata.resourceVersion,
            ],
            keptSecrets,
        );
    });

    it("6b. a cluster added with argocd cluster add is refused without adopt, and taken over in one up with it, deleting only what the CLI made", async () => {
        // What `argocd cluster add target-c` leaves behind: the argocd-manager account with full rights and a
        // long-lived token on the target, and a cluster Secret holding that token on the Argo CD cluster.
        const c = world.c;
        const create = async (cluster: LocalCluster, urlPath: string, body: unknown) => {
            const res = await cluster.admin("POST", urlPath, body);
            assert.equal(res.status, 201, `POST ${urlPath}: ${JSON.stringify(res.body)}`);
        };
        const cliToken = await argocdClusterAddOnTarget(c);
        tokensSeen.add(cliToken);
        // An Argo CD of v3.0 or before added the same cluster earlier: its CLI named the token Secret
        // argocd-manager-token-xxxxx (v3.1 on: argocd-manager-long-lived-token). Adopt knows both as the CLI's.
        const legacy = await legacyCliTokenOnTarget(c);
        tokensSeen.add(legacy.token);
        await argocdClusterAddOnHub(world.argocd, ARGOCD_NS, "gamma", c.server, {
            bearerToken: cliToken,
            tlsClientConfig: { insecure: false, caData: c.caPem.toString("base64") },
        });

        // Bindings of the account that the CLI did not make: a platform's cluster-admin binding for a Group and the
        // account, and a team's RoleBinding. They serve others: adopt must neither delete them nor take the account
        // over with them (issue 20, item 3: adopt deleted both, whole, and said nothing).
        await create(c, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
            metadata: { name: "platform-admins" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [PLATFORM_GROUP, { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" }],
        });
        await create(c, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
            metadata: { name: "team-a-view" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
            subjects: [TEAM_GROUP, { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" }],
        });

        // The same cluster, now in the stack file with narrower rights than the CLI granted: namespace default only.
        const [alpha, beta] = world.clusterEntries("2");
        const gamma = { name: "gamma", server: c.server, context: "target-c", namespaces: ["default"] };
        world.writeConfig([alpha, beta, gamma]);
        const first = await world.pulumi("up");
        assert.notEqual(first.code, 0, "the CLI's cluster Secret is not taken over silently");
        // Refused before anything is written on the target (components/claims.ts), naming the opt-in.
        assert.match(first.output, /not made by a stack \(argocd cluster add\?\)[^\n]*\n\s+fix: set adopt: true/);
        assert.equal(
            (await world.clusterSecret(c))!.config.bearerToken,
            cliToken,
            "Argo CD keeps the CLI's working registration",
        );

        // adopt: true is refused while those bindings grant the account: it names each one and the fix, and changes
        // nothing.
        world.writeConfig([alpha, beta, { ...gamma, adopt: true }]);
        const refused = await world.pulumi("up");
        assert.notEqual(refused.code, 0, "adopt is refused while bindings the CLI did not make grant the account");
        for (const binding of [
            "ClusterRoleBinding platform-admins on the target also grants kube-system/argocd-manager the ClusterRole cluster-admin",
            "RoleBinding default/team-a-view on the target also grants kube-system/argocd-manager the ClusterRole view",
        ]) {
            assert.ok(refused.output.includes(binding), `${binding}\n${refused.output.slice(-4000)}`);
        }
        assert.match(refused.output, /fix: have its owner take kube-system\/argocd-manager out of it/);
        assert.equal((await world.clusterSecret(c))!.config.bearerToken, cliToken, "nothing was taken over");
        const platformAdmins = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/platform-admins";
        const teamView = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/team-a-view";
        assert.equal((await get(c, platformAdmins)).subjects.length, 2, "platform-admins survives whole");
        assert.equal((await get(c, teamView)).subjects.length, 2, "team-a-view survives whole");
        // Their owners take the account out of them (the fix the message gives); the bindings stay theirs.
        for (const [urlPath, group] of [
            [platformAdmins, PLATFORM_GROUP],
            [teamView, TEAM_GROUP],
        ] as const) {
            const binding = await get(c, urlPath);
            const res = await c.admin("PUT", urlPath, { ...binding, subjects: [group] });
            assert.equal(res.status, 200, JSON.stringify(res.body));
        }

        // Now adopt takes the CLI's registration over in one up. Meanwhile Argo CD must always find the cluster
        // Secret, and every token it holds must work.
        const preview = await world.pulumi("preview", "--json");
        assert.equal(preview.code, 0, preview.output.slice(-4000));
        const digest = parsePreview(preview.stdout);
        assert.match(
            summarizePreview(digest),
            /`gamma`[^\n]*adopts what `argocd cluster add` left \(adopt: true\)[^\n]*; the CLI's token stays valid/,
        );
        assert.ok(
            digest.diagnostics?.some((d) => d.message?.includes(`adopt of "gamma": the CLI's token stays valid`)),
            "the preview says the CLI's token stays valid",
        );
        const secretPath = `/api/v1/namespaces/${ARGOCD_NS}/secrets/${clusterSecretName(c.server)}`;
        const seen: number[] = [];
        let polling = true;
        const watcher = (async () => {
            while (polling) {
                const res = await world.argocd.admin("GET", secretPath);
                if (res.status !== 200) {
                    seen.push(res.status);
                } else {
                    const config = JSON.parse(Buffer.from(res.body.data.config, "base64").toString("utf8"));
                    seen.push(
                        (
                            await kubeRequest(
                                { server: c.server, bearerToken: config.bearerToken, ca: c.caPem },
                                "GET",
                                "/api",
                            )
                        ).status,
                    );
                }
                await new Promise((r) => setTimeout(r, 50));
            }
        })();
        let adopted: any;
        try {
            adopted = await world.pulumi("up");
        } finally {
            polling = false;
            await watcher;
        }
        assert.equal(adopted.code, 0, adopted.output.slice(-4000));
        assert.ok(seen.length > 5, `the watcher saw the Secret during the up (${seen.length} reads)`);
        assert.deepEqual([...new Set(seen)], [200], "Argo CD always had the cluster Secret, with a working token");
        // By default the CLI's tokens stay valid, and the run says so, naming both CLI token Secrets and not ours
        // (named argocd-manager-token-xxxxx too): another Argo CD may hold them.
        const left =
            /adopt of "gamma": left the token Secret\(s\) of kube-system\/argocd-manager that the stack did not make[^\n]*grants: ([^\n]*?)\. Another Argo CD/.exec(
                adopted.output,
            );
        assert.ok(left, adopted.output.slice(-4000));
        assert.deepEqual(
            left[1].split(", ").sort(),
            [`kube-system/${legacy.name}`, "kube-system/argocd-manager-long-lived-token"].sort(),
        );

        const ours = (await world.clusterSecret(c))!;
        assert.equal(ours.object.metadata.labels["app.kubernetes.io/managed-by"], "pulumi");
        assert.equal(
            ours.object.metadata.annotations["managed-by"],
            undefined,
            "argocd cluster rm no longer claims it",
        );
        assert.notEqual(await tokenOf(c), cliToken);
        assert.deepEqual(await configMapRoundTrip(credentialsFrom(ours), "default"), [201, 200]);
        const creds = credentialsFrom(ours);
        assert.equal((await kubeRequest({ ...creds, bearerToken: cliToken }, "GET", "/api")).status, 200);
        assert.equal((await kubeRequest({ ...creds, bearerToken: legacy.token }, "GET", "/api")).status, 200);
        assert.equal((await world.succeed("outputs")).registrations.gamma.adopted, true);
        for (const [urlPath, group] of [
            [platformAdmins, PLATFORM_GROUP],
            [teamView, TEAM_GROUP],
        ] as const) {
            assert.deepEqual((await get(c, urlPath))?.subjects, [group], `${urlPath} is left as its owner made it`);
        }
        // Nothing of the CLI's broader rights is left: its ClusterRole and binding are gone, the token is namespaced.
        assert.equal(
            await get(c, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/argocd-manager-role-binding"),
            undefined,
        );
        assert.equal(await get(c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role"), undefined);
        assert.match(
            adopted.output,
            /removed what granted the account more than the stack file declares: ClusterRoleBinding argocd-manager-role-binding, ClusterRole argocd-manager-role/,
        );
        assert.equal(
            (await kubeRequest(credentialsFrom(ours), "GET", "/api/v1/namespaces")).status,
            403,
            "no cluster-wide rights left",
        );

        // Revoking the CLI's token is its own explicit step: revokeCliToken names its Secret.
        world.writeConfig([alpha, beta, { ...gamma, adopt: true, revokeCliToken: "argocd-manager-long-lived-token" }]);
        const revoking = await world.pulumi("up");
        assert.equal(revoking.code, 0, revoking.output.slice(-4000));
        assert.match(
            revoking.output,
            /deleted the token Secret kube-system\/argocd-manager-long-lived-token of argocd cluster add \(revokeCliToken\)/,
        );
        assert.equal(await get(c, "/api/v1/namespaces/kube-system/secrets/argocd-manager-long-lived-token"), undefined);
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: cliToken }, "GET", "/api")).status,
            401,
            "the CLI's token must be revoked",
        );

        // Our own token Secrets are named as the CLI of v3.0 and before named its one (argocd-manager-token-xxxxx):
        // revokeCliToken naming ours is refused before anything is written, and it is kept.
        const ownTokenSecret = Object.keys(await world.ownedObjects(c))
            .map((key) => /\/secrets\/kube-system\/(argocd-manager-token-[^/]+)$/.exec(key)?.[1])
            .find((name) => name !== undefined);
        assert.ok(ownTokenSecret, "gamma has a token Secret of its own");
        world.writeConfig([alpha, beta, { ...gamma, adopt: true, revokeCliToken: ownTokenSecret }]);
        const notTheCli = await world.pulumi("up");
        assert.notEqual(notTheCli.code, 0, "our own token Secret is not the CLI's");
        assert.ok(
            notTheCli.output.includes(`the Secret kube-system/${ownTokenSecret} is this stack's own token Secret`),
            notTheCli.output.slice(-3000),
        );
        assert.ok(await get(c, `/api/v1/namespaces/kube-system/secrets/${ownTokenSecret}`), "ours is kept");
        // The CLI's token Secret of v3.0 and before, by its generated name: revoked like the v3.1 one.
        world.writeConfig([alpha, beta, { ...gamma, adopt: true, revokeCliToken: legacy.name }]);
        const revokingLegacy = await world.pulumi("up");
        assert.equal(revokingLegacy.code, 0, revokingLegacy.output.slice(-4000));
        assert.ok(
            revokingLegacy.output.includes(
                `deleted the token Secret kube-system/${legacy.name} of argocd cluster add (revokeCliToken)`,
            ),
            revokingLegacy.output.slice(-3000),
        );
        await eventually(
            async () => (await kubeRequest({ ...creds, bearerToken: legacy.token }, "GET", "/api")).status,
            401,
            "the v3.0 CLI's token must be revoked",
        );
        // A Secret that only bears the v3.1 CLI's name (an Opaque one, annotated for the account) is not the CLI's
        // token: revokeCliToken naming it is refused, and it is kept.
        await create(c, "/api/v1/namespaces/kube-system/secrets", {
            metadata: {
                name: "argocd-manager-long-lived-token",
                annotations: { "kubernetes.io/service-account.name": "argocd-manager" },
            },
            type: "Opaque",
            data: { note: Buffer.from("not a token").toString("base64") },
        });
        world.writeConfig([alpha, beta, { ...gamma, adopt: true, revokeCliToken: "argocd-manager-long-lived-token" }]);
        const sameName = await world.pulumi("up");
        assert.notEqual(
            sameName.code,
            0,
            "a Secret with the CLI's name that is no token of the account is not the CLI's",
        );
        assert.match(
            sameName.output,
            /the Secret kube-system\/argocd-manager-long-lived-token is not a token Secret of kube-system\/argocd-manager/,
        );
        assert.equal(
            (await get(c, "/api/v1/namespaces/kube-system/secrets/argocd-manager-long-lived-token"))?.type,
            "Opaque",
            "the same-named Secret is kept",
        );
        assert.equal(
            (await c.admin("DELETE", "/api/v1/namespaces/kube-system/secrets/argocd-manager-long-lived-token")).status,
            200,
        );

        // adopt is a one-time switch: dropped, the objects only lose the force annotation.
        world.writeConfig([alpha, beta, gamma]);
        await world.succeed("up");
        await world.succeed("preview", "--expect-no-changes");
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(c))!), "default"),
            [201, 200],
        );

        // Back to the two registrations the later steps expect; gamma's objects, adopted ones included, go.
        world.writeConfig(world.clusterEntries("2").slice(0, 2));
        await world.succeed("up");
        assert.deepEqual(await world.ownedObjects(c), {});
        assert.equal(await get(c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/argocd-manager-role"), undefined);
        // Their owners' bindings were never ours; the test removes them for the steps that follow.
        for (const urlPath of [platformAdmins, teamView]) assert.equal((await c.admin("DELETE", urlPath)).status, 200);
    });

    it("7. bad config fails the preview with every problem, and nothing changes on any cluster", async () => {
        const before = await world.everyOwnedObject();
        const [alpha, beta] = world.clusterEntries("2");
        world.writeConfig([
            { ...alpha, server: `${world.a.server}/` },
            { ...beta, name: "alpha" },
            { name: "delta", server: "https://delta.example:6443", context: "no-such-context" },
        ]);
        for (const operation of ["preview", "up"]) {
            const run = await world.pulumi(operation);
            assert.notEqual(run.code, 0, `${operation} must fail`);
            {
                const text = run.output;
                assert.match(text, /Pulumi\.local\.yaml has 3 problems; nothing was registered/);
                assert.match(
                    text,
                    /argocd-clusters:clusters\[0\]\.server: "https:\/\/127\.0\.0\.3:\d+\/" ends with a slash/,
                );
                assert.match(
                    text,
                    /argocd-clusters:clusters\[1\]\.name: "alpha" is already used by argocd-clusters:clusters\[0\]/,
                );
                assert.match(text, /argocd-clusters:clusters\[2\]\.context: context "no-such-context" is not in/);
            }
        }
        assert.deepEqual(await world.everyOwnedObject(), before);
        world.writeConfig(world.clusterEntries("2").slice(0, 2));
        await world.succeed("preview", "--expect-no-changes");
    });

    it("8a. with the token controller stopped, up fails naming the cluster; once it runs, a rerun converges", async () => {
        await world.a.controllerManager.stop();
        try {
            world.writeConfig(world.clusterEntries("3").slice(0, 2));
            const run = await world.pulumi("up");
            assert.notEqual(run.code, 0, "up must fail while no token can be issued");
            assert.match(run.output, new RegExp(`${clusterSecretName(world.a.server).replace(/\./g, "\\.")}-token`));
        } finally {
            await world.a.controllerManager.start();
            await world.a.awaitTokens();
        }
        await world.succeed("up");
        const tokenSecrets = Object.keys(await world.ownedObjects(world.a)).filter((key) =>
            key.startsWith("/api/v1/secrets/"),
        );
        assert.equal(tokenSecrets.length, 1, `exactly one token Secret, got ${tokenSecrets}`);
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.a))!), "default"),
            [201, 200],
        );
        await tokenOf(world.a);
        await world.succeed("preview", "--expect-no-changes");
    });

    it("8b. a target that is down fails only its own registration", async () => {
        // Both tokens rotate, so both targets must be written to; beta's API server is down.
        const rotateBoth = () =>
            world
                .clusterEntries("4")
                .slice(0, 2)
                .map((e) => ({ ...e, tokenRotation: "4" }));
        const alphaBefore = await tokenOf(world.a);
        const betaBefore = await tokenOf(world.b);
        await world.b.apiServer.stop();
        try {
            world.writeConfig(rotateBoth());
            const run = await world.pulumi("up", "--continue-on-error");
            assert.notEqual(run.code, 0, "up must fail for the cluster that is down");
            assert.match(run.output, new RegExp(clusterSecretName(world.b.server).replace(/\./g, "\\.")));
            assert.notEqual(await tokenOf(world.a), alphaBefore, "alpha was rotated although beta is down");
            assert.equal(await tokenOf(world.b), betaBefore, "beta keeps its working registration");
        } finally {
            await world.b.apiServer.start();
            await world.b.awaitTokens();
        }
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.b))!), "apps"),
            [201, 200],
        );
        await world.succeed("up");
        assert.notEqual(await tokenOf(world.b), betaBefore);
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.b))!), "apps"),
            [201, 200],
        );
        await world.succeed("preview", "--expect-no-changes");
    });

    it("9. no credential is in the state or the outputs, and destroy leaves nothing on any cluster", async () => {
        const outputs = await world.succeed("outputs");
        const credentials = [...tokensSeen, ...world.plane.clusters.map((c) => c.adminToken)];
        assert.ok(tokensSeen.size >= 6, `expected every issued token to be recorded, have ${tokensSeen.size}`);
        const state = JSON.parse(fs.readFileSync(world.checkpointFile(), "utf8"));
        // The state must hold the credentials (the cluster Secrets and providers need them), encrypted.
        assert.ok(JSON.stringify(state).includes("ciphertext"), "secrets are stored as ciphertext");
        for (const credential of credentials) {
            assert.deepEqual(whereIs(credential, state), [], "a credential is in the state in plaintext");
            assert.deepEqual(whereIs(credential, outputs), [], "a credential is in the stack outputs");
        }

        await world.succeed("destroy", "--yes");
        for (const [cluster, owned] of Object.entries(await world.everyOwnedObject()))
            assert.deepEqual(owned, {}, `left on ${cluster}`);
        const clusterSecrets = await get(
            world.argocd,
            `/api/v1/namespaces/${ARGOCD_NS}/secrets?labelSelector=argocd.argoproj.io%2Fsecret-type%3Dcluster`,
        );
        assert.deepEqual(clusterSecrets.items, []);
        const backend = world.backendText();
        for (const credential of credentials)
            assert.ok(!backend.includes(credential), "a credential is in a state file, history or backup");
    });
});

/** JSON paths under `value` whose string contains `needle`, to say where a leaked credential sits. */
function whereIs(needle: string, value: unknown, at = "$"): string[] {
    if (typeof value === "string") return value.includes(needle) ? [at] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => whereIs(needle, v, `${at}[${i}]`));
    if (value && typeof value === "object")
        return Object.entries(value).flatMap(([k, v]) => whereIs(needle, v, `${at}.${k}`));
    return [];
}

async function mergePatch(cluster: LocalCluster, urlPath: string, body: unknown): Promise<void> {
    const res = await cluster.admin("PATCH", urlPath, body, "application/merge-patch+json");
    assert.equal(res.status, 200, `PATCH ${urlPath}: ${JSON.stringify(res.body)}`);
}
