import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FULL_CLUSTER_RULES } from "../../../argocd/names";
import { describeAccess, expectedAccess } from "../../../components/connectionCheck";

describe("the rights a registration's check asks the API server about", () => {
    it("are every verb, group and resource of each rule, in each scope", () => {
        const checks = expectedAccess(
            [{ apiGroups: ["", "apps"], resources: ["configmaps", "deployments/scale"], verbs: ["get", "list"] }],
            ["shop", "payments"],
        );
        assert.equal(checks.length, 2 * 2 * 2 * 2);
        assert.deepEqual(checks[0], {
            verb: "get",
            namespace: "shop",
            group: "",
            resource: "configmaps",
            subresource: undefined,
            name: undefined,
        });
        assert.ok(
            checks.some(
                (c) =>
                    c.group === "apps" &&
                    c.resource === "deployments" &&
                    c.subresource === "scale" &&
                    c.namespace === "payments",
            ),
        );
    });

    it("ask for wildcards as wildcards, and for URLs cluster-wide", () => {
        const checks = expectedAccess(FULL_CLUSTER_RULES, [undefined]);
        assert.deepEqual(checks.map(describeAccess), ["* *.* cluster-wide", "* *"]);
    });

    it("name the first resource name of a rule that lists some, and stay bounded", () => {
        const [check] = expectedAccess(
            [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["app-config", "other"], verbs: ["get"] }],
            [undefined],
        );
        assert.equal(describeAccess(check), "get configmaps app-config cluster-wide");
        const many = expectedAccess(
            [
                {
                    apiGroups: [""],
                    resources: Array.from({ length: 100 }, (_, i) => `r${i}`),
                    verbs: ["get", "list", "watch"],
                },
            ],
            ["a", "b"],
        );
        assert.equal(many.length, 200);
    });
});
