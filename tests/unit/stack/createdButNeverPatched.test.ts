import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createdButNeverPatched } from "../../../stack/rbacRules";

describe("rules that let Argo CD create an object but never change it", () => {
    it("names each resource with create and no patch, by resource.group", () => {
        assert.deepEqual(
            createdButNeverPatched([
                { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "delete"] },
                { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create", "update"] },
            ]),
            ["configmaps", "deployments.apps"],
        );
    });

    it("says nothing of rules with patch, with every verb, or without create", () => {
        assert.deepEqual(
            createdButNeverPatched([
                { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "patch"] },
                { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
                { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
                { nonResourceURLs: ["/version"], verbs: ["get"] },
            ]),
            [],
        );
    });
});
