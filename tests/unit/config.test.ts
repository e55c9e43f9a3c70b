/** readRawConfig and loadStack: what the program reads from Pulumi and checks across entries. */
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readRawConfig } from "../../components/config";

describe("readRawConfig", () => {
    it("carries the names of the keys Pulumi holds as secrets", () => {
        pulumi.runtime.setAllConfig({
            "argocd-clusters:argocd": JSON.stringify({ context: "hub" }),
            "argocd-clusters:clusters": JSON.stringify([]),
            "aws:region": "eu-west-1",
        }, ["argocd-clusters:clusters"]);
        const raw = readRawConfig();
        assert.deepEqual(raw.secretKeys, ["argocd-clusters:clusters"]);
        assert.deepEqual(raw.projectKeys, ["argocd-clusters:argocd", "argocd-clusters:clusters"]);
        assert.deepEqual(raw.clusters, []);
    });
});
