import { runProgram } from "../../support/program";

const { mocks, result } = runProgram("production", { preview: true });

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUnknown, isUnknownInput, resolvedValue } from "../../support/mocks";

describe("pulumi preview of a new stack", () => {
    it("plans the same resources as an update, with the token and its Secret's name unknown", async () => {
        const run = await result;
        assert.ok("outputs" in run, `the program failed in preview: ${"error" in run ? run.error.message : ""}`);
        assert.deepEqual(mocks.resources.map((r) => r.type).sort(), [
            "argocd-clusters:index:ClusterRegistration",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "pulumi:providers:kubernetes",
            "pulumi:providers:kubernetes",
            // The stack's own last outputs, read by the removal guard.
            "pulumi:pulumi:StackReference",
            // The deployment identity (components/identity.ts) and the token Secret's suffix.
            "random:index/randomId:RandomId",
            "random:index/randomId:RandomId",
        ]);
        const token = mocks.resources.find((r) => r.name.endsWith("-token"))!;
        assert.ok(isUnknownInput(token.inputs.metadata.name), "the token Secret's name waits for the random suffix");
        const secret = mocks.resources.find((r) => r.name.endsWith("-cluster-secret"))!;
        // Known parts of the cluster Secret are planned; its data waits for the token.
        assert.equal(secret.inputs.metadata.name, "cluster-api.cluster.production-2635694092");
        assert.ok(isUnknownInput(secret.inputs.stringData), "the cluster Secret's data waits for the token");
        // A new stack has no identity before its first up: every object's mark waits for it.
        for (const r of mocks.resources.filter((r) => r.type.startsWith("kubernetes:")))
            assert.ok(isUnknownInput(r.inputs.metadata.annotations["argocd-clusters/owner"]), r.name);
        // The summary is planned too: known where it can be, unknown where the token Secret is involved.
        const registration = run.exports.registrations.production;
        assert.equal(await resolvedValue(registration.secretName), "cluster-api.cluster.production-2635694092");
        assert.equal(await resolvedValue(registration.mode), "namespaced");
        assert.ok(await isUnknown(registration.tokenSecretName));
    });
});
