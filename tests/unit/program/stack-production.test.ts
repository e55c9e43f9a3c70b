import { fakeArgoCdCluster } from "../../support/fakeApi";
import { runProgram } from "../../support/program";

// A real up reads argocd-cm before registering production's narrowed rights, and refuses when it cannot.
const argocd = fakeArgoCdCluster("openshift-gitops", "argocd-cluster-token-0123456789");
const { mocks, result } = runProgram("production", { argocd });

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { stackConfig } from "../../support/program";

after(async () => (await argocd).close());

describe("Pulumi.production.yaml", () => {
    it("disables the default kubernetes provider", () => {
        assert.deepEqual(stackConfig("production")["pulumi:disable-default-providers"], ["kubernetes"]);
        assert.deepEqual(stackConfig("staging")["pulumi:disable-default-providers"], ["kubernetes"]);
    });

    it("registers production with less than full rights: two namespaces and namespaces cluster-wide", async () => {
        const run = await result;
        assert.ok("outputs" in run, `the program failed: ${"error" in run ? run.error.message : ""}`);
        const registration = (run.outputs.registrations as any).production;
        assert.equal(registration.secretName, "cluster-api.cluster.production-2635694092");
        assert.equal(registration.mode, "namespaced");
        assert.deepEqual(registration.namespaces, ["shop", "payments"]);

        const roles = mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role");
        assert.deepEqual(roles.map((r) => r.inputs.metadata.namespace).sort(), ["payments", "shop"]);
        const [clusterRole] = mocks.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        assert.deepEqual(clusterRole.inputs.rules, [
            {
                apiGroups: [""],
                resources: ["namespaces"],
                verbs: ["get", "list", "watch", "create", "update", "patch"],
            },
        ]);
        // Nothing in production grants everything.
        for (const r of [...roles, clusterRole]) {
            for (const rule of r.inputs.rules)
                assert.ok(
                    !(rule.resources?.includes("*") && r === clusterRole),
                    `${r.name} grants all resources cluster-wide`,
                );
        }
        const secret = mocks.named("cluster-api.cluster.production-2635694092-cluster-secret");
        assert.equal(secret.inputs.metadata.labels.environment, "production");
        assert.equal(secret.inputs.stringData.namespaces, "shop,payments");
        assert.equal(secret.inputs.stringData.clusterResources, "true");
    });
});
