import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../../argocd/clusterSecret";
import { recordedBy } from "../../../components/identity";
import { describeOwner, isOurs, type ObjectRef, type Owner } from "../../../components/ownership";
import { targetObjects } from "../../../components/targetObjects";
import { clusterSpec } from "../../support/fixtures";

const OURS = "11111111111111111111111111111111";
const THEIRS = "22222222222222222222222222222222";
const STACK = "argocd-clusters/production";
const A = "https://api.a.example:6443";
const B = "https://api.b.example:6443";

/** What production's last up recorded for A (recorded, as index.ts writes its `registrations` output). */
const recorded = recordedBy([
    {
        name: "alpha",
        server: A,
        secretName: clusterSecretName(A),
        serviceAccount: "kube-system/argocd-manager",
        tokenSecretName: "argocd-manager-token-0a1b2c3d",
    },
]);
const owner: Owner = { stack: STACK, id: OURS, recorded };

const marks = (annotations: Record<string, string>) => ({ annotations });
const account = (server: string, name = "argocd-manager"): ObjectRef => ({
    kind: "ServiceAccount",
    namespace: "kube-system",
    name,
    server,
});

describe("ownership: what is ours is proven by the deployment identity", () => {
    it("an object with our identity is ours, whatever stack name it carries (a renamed stack)", () => {
        assert.ok(isOurs(marks({ "argocd-clusters/owner": OURS }), owner, account(B)));
        assert.ok(
            isOurs(marks({ "argocd-clusters/owner": OURS, "argocd-clusters/stack": "x/old" }), owner, account(B)),
        );
    });

    it("another deployment's identity is never ours, even under our stack name and recorded by our last up", () => {
        const theirs = marks({ "argocd-clusters/owner": THEIRS, "argocd-clusters/stack": STACK });
        assert.ok(!isOurs(theirs, owner, account(A)));
        assert.match(describeOwner(theirs), new RegExp(`another deployment \\(argocd-clusters/owner: ${THEIRS}`));
    });

    it("while our identity is unknown (the preview of a new stack), no identity is ours", () => {
        assert.ok(!isOurs(marks({ "argocd-clusters/owner": OURS }), { ...owner, id: undefined }, account(B)));
    });

    it("an object from before identities is ours only when our last up recorded it by name on that cluster", () => {
        const legacy = marks({ "argocd-clusters/stack": STACK });
        assert.ok(isOurs(legacy, owner, account(A)), "recorded ServiceAccount");
        assert.ok(isOurs(legacy, owner, { kind: "ClusterRole", name: "argocd-manager-role", server: A }));
        assert.ok(
            isOurs(legacy, owner, {
                kind: "RoleBinding",
                namespace: "apps",
                name: "argocd-manager-role-binding",
                server: A,
            }),
        );
        assert.ok(
            isOurs(legacy, owner, {
                kind: "Secret",
                namespace: "kube-system",
                name: "argocd-manager-token-0a1b2c3d",
                server: A,
            }),
        );
        assert.ok(
            isOurs(legacy, owner, { kind: "Secret", namespace: "argocd", name: clusterSecretName(A), server: A }),
        );
        // The same names on a cluster the last up did not record, or other names there, are not ours.
        assert.ok(!isOurs(legacy, owner, account(B)), "another cluster");
        assert.ok(!isOurs(legacy, owner, account(A, "other")), "another account");
        assert.ok(
            !isOurs(legacy, owner, {
                kind: "Secret",
                namespace: "kube-system",
                name: "argocd-manager-token-99999999",
                server: A,
            }),
            "a token Secret the last up did not record (another deployment's, under the same stack name)",
        );
        // Without any stack mark it was made by the CLI or a person, recorded or not.
        assert.ok(!isOurs(marks({}), owner, account(A)));
        assert.match(describeOwner(marks({})), /argocd cluster add/);
    });
});

describe("the objects an entry writes on its target", () => {
    it("cluster-wide: the ServiceAccount, the ClusterRole and its binding", () => {
        assert.deepEqual(
            targetObjects(clusterSpec({ server: A })).map((o) => `${o.kind} ${o.namespace ?? ""}/${o.name}`),
            [
                "ServiceAccount kube-system/argocd-manager",
                "ClusterRole /argocd-manager-role",
                "ClusterRoleBinding /argocd-manager-role-binding",
            ],
        );
    });

    it("namespaced with cluster resources: a Role and RoleBinding per namespace, then the cluster-wide pair", () => {
        const spec = clusterSpec({
            server: A,
            serviceAccount: "sa",
            namespaces: ["shop", "payments"],
            clusterResources: true,
            clusterRules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get"] }],
        });
        assert.deepEqual(
            targetObjects(spec).map((o) => `${o.kind} ${o.namespace ?? ""}/${o.name}`),
            [
                "ServiceAccount kube-system/sa",
                "Role shop/sa-role",
                "RoleBinding shop/sa-role-binding",
                "Role payments/sa-role",
                "RoleBinding payments/sa-role-binding",
                "ClusterRole /sa-role",
                "ClusterRoleBinding /sa-role-binding",
            ],
        );
    });
});
