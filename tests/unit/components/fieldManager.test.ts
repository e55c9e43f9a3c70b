import { installMocks, resolvedValue } from "../../support/mocks";

installMocks();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    fieldManagerAnnotation,
    fieldManagerName,
    inheritedFieldManagers,
    madeUpManager,
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

    it("is the one the child inherited from an earlier release, when it did", async () => {
        const kept = { "service-account": "pulumi-kubernetes-d807a898" };
        const annotation = (child: string) =>
            resolvedValue(
                fieldManagerAnnotation("9f2c", "alpha", child, "https://a", kept)["pulumi.com/patchFieldManager"],
            );
        assert.equal(await annotation("alpha-service-account"), "pulumi-kubernetes-d807a898");
        assert.equal(
            await annotation("alpha-cluster-role"),
            fieldManagerName("9f2c", "alpha-cluster-role", "https://a"),
        );
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
            "service-account": "pulumi-kubernetes-d807a898",
            "cluster-secret": "pulumi-kubernetes-0badcafe",
        },
    };

    it("are the recorded ones, read from no cluster", async () => {
        assert.deepEqual(
            await inheritedFieldManagers(cluster, recorded, argocd, true, owner, "alpha"),
            recorded.fieldManagers,
        );
    });

    it("leave the cluster Secret out when it moves to another Argo CD (it is written anew, delete first)", async () => {
        assert.deepEqual(await inheritedFieldManagers(cluster, recorded, argocd, false, owner, "alpha"), {
            "service-account": "pulumi-kubernetes-d807a898",
        });
    });

    it("are none for a registration under another server, even another spelling of it: its objects are new", async () => {
        const respelled = clusterSpec({ server: "https://a.example:6443/" });
        assert.deepEqual(await inheritedFieldManagers(respelled, recorded, argocd, true, owner, "alpha"), {});
        assert.deepEqual(await inheritedFieldManagers(cluster, undefined, argocd, true, owner, "alpha"), {});
    });
});
