import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fieldManagerName, handedOver } from "../../../components/fieldManager";

const entry = (manager: string, operation = "Apply", subresource?: string) => ({
    manager,
    operation,
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    ...(subresource ? { subresource } : {}),
});

describe("the field manager of an object of ours", () => {
    it("is the same in every run, so a create retried after a kill applies as the stopped one did", () => {
        const first = fieldManagerName("9f2c", "alpha-cluster-secret", "argocd:in-cluster");
        assert.equal(fieldManagerName("9f2c", "alpha-cluster-secret", "argocd:in-cluster"), first);
        assert.match(first, /^argocd-clusters-[0-9a-f]{16}$/);
        assert.ok(first.length <= 128, "the API server refuses longer names");
    });

    it("differs wherever a conflict protects: another deployment, another child, another cluster identifier", () => {
        const ours = fieldManagerName("9f2c", "alpha-service-account", "https://a.example:6443");
        const names = [
            ours,
            // Another deployment under the same stack name (identity.ts): its applies must conflict with ours.
            fieldManagerName("77aa", "alpha-service-account", "https://a.example:6443"),
            // Another registration's object of the same name on the same cluster.
            fieldManagerName("9f2c", "beta-service-account", "https://a.example:6443"),
            // A new registration replacing the old one on the same cluster (names.ts, CLUSTER_IDENTIFIER_ANNOTATION).
            fieldManagerName("9f2c", "alpha-service-account", "https://a-new.example:6443"),
        ];
        assert.equal(new Set(names).size, names.length);
    });
});

describe("handing an object's fields from the manager the state records to the annotation's", () => {
    it("renames the recorded manager's entries and leaves every other manager's as they are", () => {
        const fields = [
            entry("pulumi-kubernetes-d807a898"),
            entry("kube-controller-manager", "Update"),
            entry("pulumi-kubernetes-0badcafe"),
        ];
        assert.deepEqual(handedOver(fields, "pulumi-kubernetes-d807a898", "argocd-clusters-0123456789abcdef"), [
            entry("argocd-clusters-0123456789abcdef"),
            entry("kube-controller-manager", "Update"),
            entry("pulumi-kubernetes-0badcafe"),
        ]);
    });

    it("drops the recorded manager's entry where the new one already has its own (an update stopped half way)", () => {
        const fields = [
            entry("pulumi-kubernetes-d807a898"),
            entry("pulumi-kubernetes-d807a898", "Update", "status"),
            entry("argocd-clusters-0123456789abcdef"),
        ];
        assert.deepEqual(handedOver(fields, "pulumi-kubernetes-d807a898", "argocd-clusters-0123456789abcdef"), [
            entry("argocd-clusters-0123456789abcdef", "Update", "status"),
            entry("argocd-clusters-0123456789abcdef"),
        ]);
    });

    it("has nothing to do when the recorded manager owns nothing", () => {
        const fields = [entry("argocd-clusters-0123456789abcdef"), entry("kubectl-edit", "Update")];
        assert.equal(handedOver(fields, "pulumi-kubernetes-d807a898", "argocd-clusters-0123456789abcdef"), undefined);
    });
});
