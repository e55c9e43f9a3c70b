import { runProgram } from "../../support/program";

// Production's least-privilege registration in a real up whose Argo CD cluster does not answer: argocd-cm, and
// with it resource.respectRBAC, cannot be read (the kubeconfig's loopback port refuses the connection).
const { mocks, result } = runProgram("production");

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../../stack/settings";

describe("a real up that cannot read argocd-cm", () => {
    it("refuses a narrowed registration, naming the entry and the fix, and registers nothing", async () => {
        const run = await result;
        assert.ok("error" in run, "the up must fail: before, it warned and registered production");
        assert.ok(run.error instanceof ConfigurationError, String(run.error));
        assert.deepEqual(
            run.error.problems.map((p) => p.path),
            ["argocd-clusters:clusters[0].clusterRules"],
        );
        assert.match(
            run.error.message,
            /openshift-gitops\/argocd-cm cannot be read here \(the call failed \(ECONNREFUSED\)\), so it is not known that Argo CD could sync "production"/,
        );
        assert.match(run.error.message, /fix: give the Argo CD context's identity get on the ConfigMap argocd-cm/);
        // Only what the checks need, which writes nothing on any cluster.
        assert.deepEqual(
            mocks.resources.map((r) => r.type),
            // The stack's read of its own outputs, and its deployment identity (the one resource the checks need).
            ["pulumi:pulumi:StackReference", "random:index/randomId:RandomId"],
            "nothing may be registered",
        );
    });
});
