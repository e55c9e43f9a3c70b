import { installMocks, isSecretValue, resolvedValue, TEST_CA_PEM, tokenFor } from "../../support/mocks";

const mocks = installMocks();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldManagerName } from "../../../components/fieldManager";
import { PRODUCTION, PRODUCTION_SECRET, register, TEST_OWNER_ID } from "../../support/fixtures";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Children of one registration, by the role in their name. */
function children(name: string) {
    const mine = mocks.resources.filter((r) => r.name.startsWith(`${name}-`));
    return {
        all: mine,
        one(role: string) {
            const found = mine.find((r) => r.name === `${name}-${role}`);
            assert.ok(found, `${name}-${role} was not registered; have ${mine.map((r) => r.name).join(", ")}`);
            return found;
        },
    };
}

describe("ClusterRegistration in cluster-wide mode", () => {
    it("creates exactly what argocd cluster add creates, on the right clusters", async () => {
        // GIVEN / WHEN a registration with every default
        const registration = await register("cw");
        const c = children("cw");

        // THEN the graph is the CLI's: account, ClusterRole, binding, token, cluster Secret (+ the token suffix)
        assert.deepEqual(c.all.map((r) => r.type).sort(), [
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "random:index/randomId:RandomId",
        ]);
        const account = c.one("service-account");
        assert.equal(account.inputs.metadata.name, "argocd-manager");
        assert.equal(account.inputs.metadata.namespace, "kube-system");

        const role = c.one("cluster-role");
        assert.equal(role.inputs.metadata.name, "argocd-manager-role");
        assert.deepEqual(role.inputs.rules, [
            { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
            { nonResourceURLs: ["*"], verbs: ["*"] },
        ]);
        const binding = c.one("cluster-role-binding");
        assert.equal(binding.inputs.metadata.name, "argocd-manager-role-binding");
        assert.deepEqual(binding.inputs.roleRef, {
            apiGroup: "rbac.authorization.k8s.io",
            kind: "ClusterRole",
            name: "argocd-manager-role",
        });
        assert.deepEqual(binding.inputs.subjects, [
            { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" },
        ]);

        const token = c.one("token");
        assert.equal(token.inputs.type, "kubernetes.io/service-account-token");
        assert.match(token.inputs.metadata.name, /^argocd-manager-token-[0-9a-f]{8}$/);
        assert.equal(token.inputs.metadata.namespace, "kube-system");
        assert.equal(token.inputs.metadata.annotations["kubernetes.io/service-account.name"], "argocd-manager");

        // Target objects go through the target provider, the cluster Secret through the Argo CD provider.
        for (const r of c.all.filter((r) => r.type.startsWith("kubernetes:"))) {
            const expected = r.name === "cw-cluster-secret" ? "::argocd::" : "::target-k8s::";
            assert.ok(r.provider?.includes(`pulumi:providers:kubernetes${expected}`), `${r.name} uses ${r.provider}`);
        }
        assert.equal(await resolvedValue(registration.mode), "cluster-wide");
    });

    it("writes the cluster Secret exactly as Argo CD reads it", async () => {
        await register("exact");
        const c = children("exact");
        const token = c.one("token");
        const secret = c.one("cluster-secret");

        assert.equal(secret.inputs.metadata.name, PRODUCTION_SECRET);
        assert.equal(secret.inputs.metadata.namespace, "argocd");
        assert.equal(secret.inputs.type, "Opaque");
        assert.deepEqual(secret.inputs.metadata.labels, {
            // The stack's name, for ApplicationSet cluster generators (the mocks' stack is "test").
            environment: "test",
            "argocd.argoproj.io/secret-type": "cluster",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "argocd-clusters",
        });
        // Ours, not Argo CD's managed-by: `argocd cluster rm` must not think the CLI owns it.
        // The identity of the provider that writes it: a replacement on the same cluster then conflicts.
        // And the kind of token it holds, for people and the health report. The deployment identity proves it ours.
        assert.deepEqual(secret.inputs.metadata.annotations, {
            "argocd-clusters/stack": "argocd-clusters/test",
            "argocd-clusters/owner": TEST_OWNER_ID,
            "argocd-clusters/cluster-identifier": "argocd:argocd",
            "argocd-clusters/token-kind": "secret",
            // The field manager it is applied under, the same in every run (components/fieldManager.ts).
            "pulumi.com/patchFieldManager": fieldManagerName(TEST_OWNER_ID, "exact-cluster-secret", "argocd:argocd"),
        });

        // The token is decoded from the token Secret; the CA is the target's own, so TLS is verified.
        const expectedConfig = JSON.stringify({
            bearerToken: tokenFor(token.inputs.metadata.name),
            tlsClientConfig: { insecure: false, caData: b64(TEST_CA_PEM) },
        });
        assert.deepEqual(secret.inputs.stringData, { name: "production", server: PRODUCTION, config: expectedConfig });
        // It holds the token, so the engine receives it as a secret and encrypts it in state.
        assert.ok(isSecretValue(secret.rawInputs.stringData), "stringData must reach the engine as a secret");
    });

    it("records an explicit wildcard opt-in on the ClusterRole only", async () => {
        await register("optin", { server: "https://optin.example:6443", allowWildcardRbac: true });
        const c = children("optin");
        assert.equal(c.one("cluster-role").inputs.metadata.annotations["argocd-clusters/allow-wildcard-rbac"], "true");
        assert.equal(
            c.one("cluster-role-binding").inputs.metadata.annotations["argocd-clusters/allow-wildcard-rbac"],
            undefined,
        );
        // Without it, nothing claims consent.
        await register("nooptin", { server: "https://nooptin.example:6443" });
        assert.deepEqual(children("nooptin").one("cluster-role").inputs.metadata.annotations, {
            "argocd-clusters/stack": "argocd-clusters/test",
            "argocd-clusters/owner": TEST_OWNER_ID,
            "argocd-clusters/cluster-identifier": "https://nooptin.example:6443",
            "pulumi.com/patchFieldManager": fieldManagerName(
                TEST_OWNER_ID,
                "nooptin-cluster-role",
                "https://nooptin.example:6443",
            ),
        });
    });

    it("applies every object under a field manager named by us, one per object (components/fieldManager.ts)", async () => {
        await register("managers", { server: "https://managers.example:6443" });
        const objects = children("managers").all.filter((r) => r.type.startsWith("kubernetes:"));
        const managers = objects.map((r) => r.inputs.metadata.annotations["pulumi.com/patchFieldManager"]);
        for (const [i, m] of managers.entries())
            assert.match(String(m), /^argocd-clusters-[0-9a-f]{16}$/, `${objects[i].name} names no manager`);
        assert.equal(new Set(managers).size, objects.length, "two objects share a field manager");
        const secret = children("managers").one("cluster-secret");
        assert.equal(
            secret.inputs.metadata.annotations["pulumi.com/patchFieldManager"],
            fieldManagerName(TEST_OWNER_ID, "managers-cluster-secret", "argocd:argocd"),
        );
    });

    it("grants custom rules instead of full rights", async () => {
        const rules = [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] }];
        await register("custom", { server: "https://custom.example:6443", rules });
        assert.deepEqual(children("custom").one("cluster-role").inputs.rules, rules);
    });

    it("exposes a summary without any credential", async () => {
        const registration = await register("outputs", {
            server: "https://outputs.example:6443",
            serviceAccount: "argocd-hub",
            systemNamespace: "argocd-system",
        });
        const outputs = {
            secretName: await resolvedValue(registration.secretName),
            server: await resolvedValue(registration.server),
            serviceAccount: await resolvedValue(registration.serviceAccount),
            tokenSecretName: await resolvedValue(registration.tokenSecretName),
            mode: await resolvedValue(registration.mode),
            argocdNamespace: await resolvedValue(registration.argocdNamespace),
        };
        assert.equal(outputs.serviceAccount, "argocd-system/argocd-hub");
        // Recorded for the policy pack, which checks the cluster Secret is there.
        assert.equal(outputs.argocdNamespace, "argocd");
        assert.equal(outputs.server, "https://outputs.example:6443");
        assert.match(outputs.tokenSecretName ?? "", /^argocd-hub-token-[0-9a-f]{8}$/);
        // Roles follow a custom ServiceAccount name, so a second Argo CD on the same cluster gets its own.
        assert.equal(children("outputs").one("cluster-role").inputs.metadata.name, "argocd-hub-role");
        assert.ok(!JSON.stringify(outputs).includes(tokenFor(outputs.tokenSecretName ?? "")));
    });
});

describe("ClusterRegistration in namespaced mode", () => {
    it("creates a Role and RoleBinding per namespace and no cluster-wide rights", async () => {
        await register("ns", { server: "https://ns.example:6443", namespaces: ["shop", "payments"] });
        const c = children("ns");
        assert.equal(c.all.filter((r) => r.type.includes("ClusterRole")).length, 0);
        for (const ns of ["shop", "payments"]) {
            const role = c.one(`role-${ns}`);
            assert.equal(role.type, "kubernetes:rbac.authorization.k8s.io/v1:Role");
            assert.equal(role.inputs.metadata.namespace, ns);
            assert.equal(role.inputs.metadata.name, "argocd-manager-role");
            assert.deepEqual(role.inputs.rules, [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]);
            const binding = c.one(`role-binding-${ns}`);
            assert.equal(binding.inputs.metadata.namespace, ns);
            assert.deepEqual(binding.inputs.roleRef, {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: "argocd-manager-role",
            });
            assert.deepEqual(binding.inputs.subjects, [
                { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" },
            ]);
        }
        const data = c.one("cluster-secret").inputs.stringData;
        assert.equal(data.namespaces, "shop,payments");
        assert.equal(data.clusterResources, undefined);
    });

    it("grants clusterRules cluster-wide with clusterResources", async () => {
        const clusterRules = [
            { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "list", "watch", "create"] },
        ];
        const registration = await register("nscr", {
            server: "https://nscr.example:6443",
            namespaces: ["shop"],
            clusterResources: true,
            clusterRules,
        });
        const c = children("nscr");
        assert.deepEqual(c.one("cluster-role").inputs.rules, clusterRules);
        assert.equal(c.one("cluster-role-binding").inputs.roleRef.name, "argocd-manager-role");
        assert.equal(c.one("role-shop").inputs.metadata.name, "argocd-manager-role");
        assert.equal(c.one("cluster-secret").inputs.stringData.clusterResources, "true");
        assert.equal(await resolvedValue(registration.mode), "namespaced");
    });
});

describe("ClusterRegistration optional settings", () => {
    it("writes project, shard, labels, annotations, TLS and proxy settings only when set", async () => {
        await register("opts", {
            server: "https://opts.example:6443",
            project: "platform",
            shard: 2,
            labels: {
                team: "platform",
                environment: "production",
                "argocd.argoproj.io/auto-label-cluster-info": "true",
            },
            annotations: { "example.com/owner": "platform-team" },
            tls: {
                serverName: "api.internal",
                caData: b64("-----BEGIN CERTIFICATE-----\nCUSTOM\n-----END CERTIFICATE-----\n"),
            },
            proxyUrl: "http://proxy.internal:3128",
            disableCompression: true,
        });
        const secret = children("opts").one("cluster-secret");
        const token = children("opts").one("token");
        assert.equal(secret.inputs.stringData.project, "platform");
        assert.equal(secret.inputs.stringData.shard, "2");
        assert.equal(secret.inputs.metadata.labels.team, "platform");
        // The stack decides the environment; validation rejects a different value before it gets here.
        assert.equal(secret.inputs.metadata.labels.environment, "test");
        assert.equal(secret.inputs.metadata.labels["argocd.argoproj.io/secret-type"], "cluster");
        assert.equal(secret.inputs.metadata.annotations["example.com/owner"], "platform-team");
        assert.deepEqual(JSON.parse(secret.inputs.stringData.config), {
            bearerToken: tokenFor(token.inputs.metadata.name),
            // A given CA replaces the target's own.
            tlsClientConfig: {
                insecure: false,
                serverName: "api.internal",
                caData: b64("-----BEGIN CERTIFICATE-----\nCUSTOM\n-----END CERTIFICATE-----\n"),
            },
            proxyUrl: "http://proxy.internal:3128",
            disableCompression: true,
        });
    });

    it("carries no CA when TLS verification is disabled", async () => {
        await register("insecure", { server: "https://insecure.example:6443", tls: { insecure: true } });
        const config = JSON.parse(children("insecure").one("cluster-secret").inputs.stringData.config);
        assert.deepEqual(config.tlsClientConfig, { insecure: true });
    });
});

describe("token rotation", () => {
    it("a new tokenRotation value makes a new token Secret and token, and keeps the registration", async () => {
        await register("rot-a", { server: "https://rot.example:6443", tokenRotation: "2026-10" });
        await register("rot-b", { server: "https://rot.example:6443", tokenRotation: "2026-11" });
        await register("rot-c", { server: "https://rot.example:6443", tokenRotation: "2026-11" });
        const [a, b, c] = ["rot-a", "rot-b", "rot-c"].map(children);
        // Same Argo CD Secret...
        assert.equal(a.one("cluster-secret").inputs.metadata.name, b.one("cluster-secret").inputs.metadata.name);
        // ...new token Secret and token for a new value,
        assert.notEqual(a.one("token").inputs.metadata.name, b.one("token").inputs.metadata.name);
        assert.notEqual(
            a.one("cluster-secret").inputs.stringData.config,
            b.one("cluster-secret").inputs.stringData.config,
        );
        assert.deepEqual(a.one("token-suffix").inputs.keepers, { tokenRotation: "2026-10" });
        // ...and nothing new while the value stays.
        assert.equal(b.one("token").inputs.metadata.name, c.one("token").inputs.metadata.name);
    });
});

describe("scheduled token rotation (token.rotateEvery)", () => {
    it("keys the token on its issue time and records both times on the cluster Secret", async () => {
        const schedule = { issuedAt: "2026-11-01T00:00:00Z", rotatesAt: "2026-12-01T00:00:00Z" };
        await register("sched-a", { server: "https://sched.example:6443" }, schedule);
        await register("sched-b", { server: "https://sched.example:6443" }, schedule);
        await register(
            "sched-c",
            { server: "https://sched.example:6443" },
            { issuedAt: "2026-12-01T00:00:00Z", rotatesAt: "2026-12-31T00:00:00Z", renewal: "due" },
        );
        const [a, b, c] = ["sched-a", "sched-b", "sched-c"].map(children);
        assert.deepEqual(a.one("token-suffix").inputs.keepers, { tokenRotation: "", issuedAt: "2026-11-01T00:00:00Z" });
        const annotations = a.one("cluster-secret").inputs.metadata.annotations;
        assert.equal(annotations["argocd-clusters/token-issued-at"], "2026-11-01T00:00:00Z");
        assert.equal(annotations["argocd-clusters/token-rotates-at"], "2026-12-01T00:00:00Z");
        // The same issue time keeps the token; a new one makes a new token Secret and token.
        assert.equal(a.one("token").inputs.metadata.name, b.one("token").inputs.metadata.name);
        assert.notEqual(a.one("token").inputs.metadata.name, c.one("token").inputs.metadata.name);
    });

    it("without rotateEvery, keeps today's keepers and writes no token times", async () => {
        await register("sched-none", { server: "https://sched-none.example:6443" });
        const c = children("sched-none");
        assert.deepEqual(c.one("token-suffix").inputs.keepers, { tokenRotation: "" });
        const annotations = c.one("cluster-secret").inputs.metadata.annotations;
        assert.equal(annotations["argocd-clusters/token-issued-at"], undefined);
        assert.equal(annotations["argocd-clusters/token-rotates-at"], undefined);
    });
});

describe("bound tokens (token.kind: bound)", () => {
    // The provider reaches the target with the kubeconfig's credentials, resolved by the program.
    const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        "current-context: t",
        "contexts: [{name: t, context: {cluster: t, user: t}}]",
        "clusters: [{name: t, cluster: {server: 'https://bound.example:6443'}}]",
        "users: [{name: t, user: {token: target-credential}}]",
    ].join("\n");
    const access = { context: "t", kubeconfig, server: "https://bound.example:6443" };
    const bound = {
        access,
        token: {
            kind: "bound" as const,
            lifetime: { text: "720h", ms: 720 * 3_600_000 },
            renewBefore: { text: "168h", ms: 168 * 3_600_000 },
        },
    };

    it("issues a TokenRequest token bound to its own object, secret, and annotates its expiry", async () => {
        const registration = await register("bound-a", { server: "https://bound.example:6443", ...bound }, undefined, {
            issuedAt: "2030-01-01T00:00:00Z",
            renewal: "first",
        });
        const c = children("bound-a");
        assert.equal(c.all.filter((r) => r.name === "bound-a-token").length, 0, "no token Secret");
        const object = c.one("bound-token-object");
        assert.equal(object.inputs.type, "argocd-clusters/bound-token");
        assert.match(object.inputs.metadata.name, /^argocd-manager-bound-[0-9a-f]{8}$/);
        assert.equal(object.inputs.metadata.namespace, "kube-system");
        assert.equal(object.inputs.metadata.annotations["argocd-clusters/service-account"], "argocd-manager");
        assert.equal(object.inputs.metadata.ownerReferences[0].kind, "ServiceAccount", "removed with its account");
        assert.match(object.provider ?? "", /::target-k8s::/);
        assert.deepEqual(c.one("bound-token-suffix").inputs.keepers, {
            tokenRotation: "",
            issuedAt: "2030-01-01T00:00:00Z",
            lifetime: "2592000",
        });

        const token = c.one("bound-token");
        assert.equal(token.inputs.lifetimeSeconds, 720 * 3600);
        assert.equal(token.inputs.boundObjectName, object.inputs.metadata.name);
        assert.ok(isSecretValue(token.rawInputs.connection), "the target's credentials are a secret input");
        assert.equal(token.inputs.connection.authorization, "Bearer target-credential");
        assert.equal(token.inputs.connection.server, "https://bound.example:6443");

        const secret = c.one("cluster-secret");
        assert.ok(isSecretValue(secret.rawInputs.stringData), "the cluster Secret's data stays secret");
        assert.equal(
            JSON.parse(secret.inputs.stringData.config).bearerToken,
            tokenFor(object.inputs.metadata.name),
            "Argo CD gets the bound token",
        );
        const annotations = secret.inputs.metadata.annotations;
        assert.equal(annotations["argocd-clusters/token-kind"], "bound");
        assert.equal(annotations["argocd-clusters/token-issued-at"], "2030-01-01T00:00:00Z");
        assert.equal(annotations["argocd-clusters/token-expires-at"], "2030-01-31T00:00:00Z");
        assert.equal(annotations["argocd-clusters/token-renews-at"], "2030-01-24T00:00:00Z");
        assert.equal(annotations["argocd-clusters/token-rotates-at"], undefined);
        assert.equal(await resolvedValue(registration.tokenKind), "bound");
        assert.equal(await resolvedValue(registration.tokenExpiresAt!), "2030-01-31T00:00:00Z");
        assert.equal(await resolvedValue(registration.tokenRenewsAt!), "2030-01-24T00:00:00Z");
        assert.equal(await resolvedValue(registration.tokenSecretName), object.inputs.metadata.name);
    });

    it("the same issue time keeps the bound object and so the token; a new one replaces both", async () => {
        const kept = { issuedAt: "2030-01-01T00:00:00Z" };
        await register("bound-b", { server: "https://bound-b.example:6443", ...bound }, undefined, kept);
        await register("bound-c", { server: "https://bound-b.example:6443", ...bound }, undefined, kept);
        await register("bound-d", { server: "https://bound-b.example:6443", ...bound }, undefined, {
            issuedAt: "2030-01-24T00:00:00Z",
            renewal: "due",
        });
        const [b, c, d] = ["bound-b", "bound-c", "bound-d"].map(children);
        const name = (x: ReturnType<typeof children>) => x.one("bound-token-object").inputs.metadata.name;
        assert.equal(name(b), name(c));
        assert.notEqual(name(b), name(d));
    });
});
