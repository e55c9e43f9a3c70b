import { runProgram, stackConfig } from "../../support/program";

// Production's stack with four mistakes in it, and a context the kubeconfig lacks.
const config = stackConfig("production");
const [production] = config["argocd-clusters:clusters"] as Record<string, unknown>[];
config["argocd-clusters:clusters"] = [
    { ...production, server: "https://api.cluster.production:6443/", context: "missing-context" },
    { ...production, tls: { insecure: true, caData: "Zm9v" } },
];
const { mocks, result } = runProgram("production", { config, contexts: ["default/api-cluster-hub:6443/admin"] });

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../../stack/settings";

describe("a stack with bad configuration", () => {
    it("fails with every problem, naming the stack file, and registers nothing", async () => {
        const run = await result;
        assert.ok("error" in run, "the program must fail");
        assert.ok(run.error instanceof ConfigurationError, String(run.error));
        const paths = run.error.problems.map((p) => p.path);
        assert.deepEqual(paths, [
            "argocd-clusters:clusters[0].server",
            "argocd-clusters:clusters[1].tls.caData",
            "argocd-clusters:clusters[1].tls.insecure",
            "argocd-clusters:clusters[1].name",
            // The same server as [0]'s: its trailing slash makes no other cluster to Argo CD (argocd/serverKey.ts).
            "argocd-clusters:clusters[1].server",
            "argocd-clusters:clusters[0].context",
            "argocd-clusters:clusters[1].context",
        ]);
        assert.match(run.error.message, /^Pulumi\.production\.yaml has 7 problems; nothing was registered:/);
        assert.deepEqual(mocks.resources, [], "nothing may be registered when the configuration is invalid");
    });
});
