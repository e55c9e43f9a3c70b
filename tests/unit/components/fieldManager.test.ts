import { installMocks, resolvedValue } from "../../support/mocks";

installMocks();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childName, roleBindingChildName, roleChildName } from "../../../components/childNames";
import {
    type ChildObject,
    childKey,
    fieldManagerAnnotation,
    fieldManagerName,
    inheritedFieldManagers,
    madeUpManager,
    NOTHING_INHERITED,
} from "../../../components/fieldManager";
import { clusterSpec } from "../../support/fixtures";

const entry = (manager: string, operation = "Apply") => ({
    manager,
    operation,
    apiVersion: "v1",
    fieldsType: "FieldsV1",
});

describe("the field manager of an object of ours", () => {
    it("is the same in every run, so a create retried after a kill applies as the stopped one did", () => {
        const first = fieldManagerName("9f2c", "alpha-cluster-secret", "argocd:in-cluster");
        assert.equal(fieldManagerName("9f2c", "alpha-cluster-secret", "argocd:in-cluster"), first);
        assert.match(first, /^argocd-clusters-[0-9a-f]{16}$/);
    });

    it("differs wherever a conflict protects: another deployment, another child, another cluster identifier", () => {
        const names = [
            fieldManagerName("9f2c", "alpha-service-account", "https://a.example:6443"),
            // Another deployment under the same stack name (identity.ts): its applies must conflict with ours.
            fieldManagerName("77aa", "alpha-service-account", "https://a.example:6443"),
            // Another registration's object of the same name on the same cluster.
            fieldManagerName("9f2c", "beta-service-account", "https://a.example:6443"),
            // A new registration replacing the old one on the same cluster (names.ts, CLUSTER_IDENTIFIER_ANNOTATION).
            fieldManagerName("9f2c", "alpha-service-account", "https://a-new.example:6443"),
        ];
        assert.equal(new Set(names).size, names.length);
    });

    it("is the one the child inherited from an earlier release, when it did, and none when its object was unread", async () => {
        const inherited = {
            names: { "ServiceAccount:service-account": "pulumi-kubernetes-d807a898" },
            unread: ["Secret:cluster-secret"],
        };
        const annotation = (name: string, kind: ChildObject["kind"]) =>
            fieldManagerAnnotation("9f2c", "c-1", { name, kind }, "https://a", inherited);
        assert.equal(
            await resolvedValue(annotation("c-1-service-account", "ServiceAccount")["pulumi.com/patchFieldManager"]),
            "pulumi-kubernetes-d807a898",
        );
        assert.equal(
            await resolvedValue(annotation("c-1-cluster-role", "ClusterRole")["pulumi.com/patchFieldManager"]),
            fieldManagerName("9f2c", "c-1-cluster-role", "https://a"),
        );
        // pulumi-kubernetes then applies under the name its state records.
        assert.deepEqual(annotation("c-1-cluster-secret", "Secret"), {});
    });

    it("is kept per child, keyed so that no two children of a registration share a key", () => {
        // The Role of namespace `binding-x` and the RoleBinding of `x` are both named `c-1-role-binding-x`.
        const keys = [
            childKey("c-1", { name: roleChildName("c-1", "binding-x"), kind: "Role" }),
            childKey("c-1", { name: roleBindingChildName("c-1", "x"), kind: "RoleBinding" }),
            childKey("c-1", { name: childName("c-1", "token"), kind: "Secret" }),
            childKey("c-1", { name: childName("c-1", "boundTokenObject"), kind: "Secret" }),
            childKey("c-1", { name: childName("c-1", "clusterSecret"), kind: "Secret" }),
        ];
        assert.equal(new Set(keys).size, keys.length, keys.join(", "));
        assert.equal(keys[0], "Role:role-binding-x");
    });
});

describe("the name an earlier release's object keeps", () => {
    it("is its one Apply manager that pulumi-kubernetes named", () => {
        const fields = [
            entry("pulumi-kubernetes-d807a898"),
            entry("kube-controller-manager", "Update"),
            entry("kubectl"),
        ];
        assert.equal(madeUpManager(fields), "pulumi-kubernetes-d807a898");
    });

    it("is none when the object already has a manager of ours, or two made-up ones nobody can tell apart", () => {
        assert.equal(
            madeUpManager([entry("pulumi-kubernetes-d807a898"), entry("argocd-clusters-0123456789abcdef")]),
            undefined,
        );
        assert.equal(
            madeUpManager([entry("pulumi-kubernetes-d807a898"), entry("pulumi-kubernetes-0badcafe")]),
            undefined,
        );
        assert.equal(madeUpManager([entry("pulumi-kubernetes-d807a898", "Update")]), undefined);
    });
});

describe("the field managers a registration keeps, from the last up's record", () => {
    const cluster = clusterSpec({ server: "https://a.example:6443" });
    const argocd = { namespace: "argocd", access: { context: "argocd", kubeconfig: "", server: "https://hub" } };
    const owner = { stack: "argocd-clusters/test", id: "9f2c" };
    const recorded = {
        name: "alpha",
        server: "https://a.example:6443",
        fieldManagers: {
            "ServiceAccount:service-account": "pulumi-kubernetes-d807a898",
            "Secret:cluster-secret": "pulumi-kubernetes-0badcafe",
        },
    };

    it("are the recorded ones, read from no cluster", async () => {
        assert.deepEqual(await inheritedFieldManagers(cluster, recorded, argocd, true, owner, "c-1"), {
            names: recorded.fieldManagers,
            unread: [],
        });
    });

    it("leave the cluster Secret out when it moves to another Argo CD (it is written anew, delete first)", async () => {
        assert.deepEqual(await inheritedFieldManagers(cluster, recorded, argocd, false, owner, "c-1"), {
            names: { "ServiceAccount:service-account": "pulumi-kubernetes-d807a898" },
            unread: [],
        });
    });

    it("are none for a registration under another server, even another spelling of it: its objects are new", async () => {
        const respelled = clusterSpec({ server: "https://a.example:6443/" });
        assert.deepEqual(
            await inheritedFieldManagers(respelled, recorded, argocd, true, owner, "c-1"),
            NOTHING_INHERITED,
        );
        assert.deepEqual(
            await inheritedFieldManagers(cluster, undefined, argocd, true, owner, "c-1"),
            NOTHING_INHERITED,
        );
    });
});
