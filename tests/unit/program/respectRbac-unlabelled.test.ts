import { fakeArgoCdCluster } from "../../support/fakeApi";
import { refusedBeforeRegistering, runProgram } from "../../support/program";

// Production's least-privilege registration in a real up whose argocd-cm says respectRBAC: normal but lacks the
// label app.kubernetes.io/part-of: argocd. Argo CD reads its settings ConfigMaps by that label only, so for it
// there is no argocd-cm (its controller loads no cluster); read by name, the program would believe normal is set.
const argocd = fakeArgoCdCluster("openshift-gitops", "argocd-cluster-token-0123456789", {
    metadata: { name: "argocd-cm", namespace: "openshift-gitops" },
    data: { "resource.respectRBAC": "normal" },
});
const run = runProgram("production", { argocd });

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

after(async () => (await argocd).close());

describe("a real up against an argocd-cm without Argo CD's label", () => {
    it("refuses the narrowed registration, as Argo CD would not see respectRBAC, and registers nothing", async () => {
        const error = await refusedBeforeRegistering(run, "argocd-cm read by name, it registered production");
        assert.deepEqual(
            error.problems.map((p) => p.path),
            ["argocd-clusters:clusters[0].clusterRules"],
        );
        assert.match(
            error.message,
            /openshift-gitops\/argocd-cm has no label app\.kubernetes\.io\/part-of: argocd, so Argo CD does not read it/,
        );
    });
});
