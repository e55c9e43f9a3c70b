import { runProgram } from "../../support/program";

const { mocks, result } = runProgram("staging");

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { isSecretValue } from "../../support/mocks";

describe("Pulumi.staging.yaml", () => {
    it("registers the staging cluster with OpenShift GitOps, cluster-wide", async () => {
        const run = await result;
        assert.ok("outputs" in run, `the program failed: ${"error" in run ? run.error.message : ""}`);
        // The stack file asks for bound tokens: the bound object and the TokenRequest token bound to it, as the
        // mocks received them (their TokenRequest issues at MOCK_ISSUE_TIME).
        const boundObject = mocks.named("cluster-api.cluster.staging-2867269650-bound-token-object");
        assert.equal(boundObject.type, "kubernetes:core/v1:Secret");
        assert.equal(boundObject.inputs.type, "argocd-clusters/bound-token");
        const token = mocks.named("cluster-api.cluster.staging-2867269650-bound-token");
        assert.equal(token.inputs.lifetimeSeconds, 720 * 3600);
        assert.equal(token.inputs.boundObjectName, boundObject.inputs.metadata.name);
        const registration = (run.outputs.registrations as any).staging;
        assert.deepEqual(run.outputs, {
            argocdNamespace: "openshift-gitops",
            registrations: {
                staging: {
                    server: "https://api.cluster.staging:6443",
                    secretName: "cluster-api.cluster.staging-2867269650",
                    serviceAccount: "kube-system/argocd-manager",
                    tokenSecretName: boundObject.inputs.metadata.name,
                    mode: "cluster-wide",
                    namespaces: [],
                    tokenKind: "bound",
                    // A new stack's objects get field managers of ours: none kept from an earlier release.
                    fieldManagers: {},
                    tokenIssuedAt: registration.tokenIssuedAt,
                    tokenExpiresAt: "2030-01-31T00:00:00Z",
                    tokenRenewsAt: "2030-01-24T00:00:00Z",
                    tokenLifetime: "720h",
                    tokenRotation: "2026-11",
                },
            },
        });
        assert.match(registration.tokenSecretName, /^argocd-manager-bound-[0-9a-f]{8}$/);
        assert.equal(run.exports.tokenDefault, "bound", "a new stack records that its default is bound");

        const secret = mocks.named("cluster-api.cluster.staging-2867269650-cluster-secret");
        assert.equal(secret.inputs.metadata.namespace, "openshift-gitops");
        assert.equal(secret.inputs.metadata.labels.environment, "staging");
        assert.equal(secret.inputs.stringData.project, "staging");
        assert.equal(
            mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")[0].inputs.metadata.name,
            "argocd-manager-role",
        );
    });

    it("gives each provider its own context only, as a secret, with a stable identity", async () => {
        await result;
        const providers = mocks.ofType("pulumi:providers:kubernetes");
        assert.deepEqual(providers.map((p) => p.name).sort(), [
            "argocd-cluster",
            "cluster-api.cluster.staging-2867269650-k8s",
        ]);
        const target = providers.find((p) => p.name !== "argocd-cluster")!;
        assert.ok(
            isSecretValue(target.rawInputs.kubeconfig),
            "a provider's kubeconfig holds credentials: it must be secret",
        );
        const kubeconfig = yaml.load(target.inputs.kubeconfig) as any;
        assert.deepEqual(
            kubeconfig.contexts.map((c: any) => c.name),
            ["default/api-cluster-staging:6443/admin"],
        );
        assert.equal(target.inputs.context, "default/api-cluster-staging:6443/admin");
        assert.equal(target.inputs.clusterIdentifier, "https://api.cluster.staging:6443");
        // Cluster Secrets must be updated in place, never replaced (Argo CD would lose the cluster meanwhile).
        assert.deepEqual(
            providers.map((p) => p.inputs.enableSecretMutable),
            ["true", "true"],
            "provider config reaches the engine as strings",
        );
        const argocd = providers.find((p) => p.name === "argocd-cluster")!;
        // From the stack file (argocd.name, default "argocd"), never from the URL the kubeconfig spells.
        assert.equal(argocd.inputs.clusterIdentifier, "argocd:argocd");
    });
});
