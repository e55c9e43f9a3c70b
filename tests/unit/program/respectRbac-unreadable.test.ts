import { refusedBeforeRegistering, runProgram } from "../../support/program";

// Production's least-privilege registration in a real up whose Argo CD cluster does not answer: argocd-cm, and
// with it resource.respectRBAC, cannot be read (the kubeconfig's loopback port refuses the connection).
const run = runProgram("production");

import assert from "node:assert/strict";
import { describe, it } from "node:test";

describe("a real up that cannot read argocd-cm", () => {
    it("refuses a narrowed registration, naming the entry and the fix, and registers nothing", async () => {
        // Only what the checks need (the stack's read of its own outputs, its deployment identity) is registered.
        const error = await refusedBeforeRegistering(run, "before, it warned and registered production");
        assert.deepEqual(
            error.problems.map((p) => p.path),
            ["argocd-clusters:clusters[0].clusterRules"],
        );
        assert.match(
            error.message,
            /openshift-gitops\/argocd-cm cannot be read here \(the call failed \(ECONNREFUSED\)\), so it is not known that Argo CD could sync "production"/,
        );
        assert.match(error.message, /fix: give the Argo CD context's identity get on the ConfigMap argocd-cm/);
    });
});
