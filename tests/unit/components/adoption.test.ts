import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { clusterSecretName } from "../../../argocd/clusterSecret";
import { FULL_CLUSTER_RULES, OWNER_ANNOTATION, STACK_ANNOTATION } from "../../../argocd/names";
import { type Adoption, finishAdoption, foreignObjects, revokeCliToken } from "../../../components/adoption";
import { type FakeKubeApi, fakeKubeApi } from "../../support/fakeKubeApi";
import { resolvedValue } from "../../support/mocks";

const SERVER = "https://api.legacy:6443";
const STACK = "argocd-clusters/production";
const OWNER_ID = "0123456789abcdef0123456789abcdef";
const SECRETS = "/api/v1/namespaces/kube-system/secrets";
const CLI_TOKEN_SECRET = `${SECRETS}/argocd-manager-long-lived-token`;
const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const ACCOUNT = { kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" };
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("adoption of what argocd cluster add left", () => {
    let api: FakeKubeApi;
    beforeEach(async () => {
        api = await fakeKubeApi();
        cliRegistration();
    });
    afterEach(() => api.close());

    function adoption(more: Partial<Adoption> = {}): Adoption {
        return {
            clusterName: "legacy",
            keyPath: "argocd-clusters:clusters[0]",
            target: api.access,
            argocd: api.access,
            systemNamespace: "kube-system",
            serviceAccount: "argocd-manager",
            argocdNamespace: "argocd",
            secretName: clusterSecretName(SERVER),
            owner: { stack: STACK, id: OWNER_ID },
            server: SERVER,
            ...more,
        };
    }

    function tokenSecret(name: string, token: string, annotations: Record<string, string> = {}): void {
        api.put(`${SECRETS}/${name}`, {
            metadata: {
                name,
                namespace: "kube-system",
                annotations: { "kubernetes.io/service-account.name": "argocd-manager", ...annotations },
            },
            type: "kubernetes.io/service-account-token",
            data: { token: b64(token) },
        });
    }

    /** What `argocd cluster add` (3.1+) leaves: the account, its full rights, its token, the cluster Secret. */
    function cliRegistration(): void {
        const token = "eyJhbGciOiJSUzI1NiJ9.shared.signature";
        api.put("/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager", {
            metadata: { name: "argocd-manager", namespace: "kube-system" },
        });
        tokenSecret("argocd-manager-long-lived-token", token);
        api.put(`${RBAC}/clusterroles/argocd-manager-role`, {
            metadata: { name: "argocd-manager-role" },
            rules: FULL_CLUSTER_RULES,
        });
        api.put(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`, {
            metadata: { name: "argocd-manager-role-binding" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "argocd-manager-role" },
            subjects: [ACCOUNT],
        });
        api.put(`/api/v1/namespaces/argocd/secrets/${clusterSecretName(SERVER)}`, {
            metadata: { name: clusterSecretName(SERVER), namespace: "argocd" },
            data: { name: b64("legacy"), server: b64(SERVER), config: b64(JSON.stringify({ bearerToken: token })) },
        });
    }

    it("leaves the CLI's token by default: another Argo CD that ran argocd cluster add holds the same one", async () => {
        // Argo CD's CLI (3.1+) reuses argocd-manager-long-lived-token: two Argo CDs that each added this target
        // hold its one token, and the cluster Secret being taken over holds it too.
        const a = adoption();
        assert.deepEqual(await foreignObjects([a]), []);
        const revoked = await resolvedValue(finishAdoption(a, pulumi.output(true)));
        assert.deepEqual(revoked, []);
        assert.ok(api.get(CLI_TOKEN_SECRET), "the shared token Secret is still there");
        assert.ok(!api.requests.includes(`DELETE ${CLI_TOKEN_SECRET}`), "and no delete was sent for it");
    });

    it("revokes the CLI's token only when revokeCliToken names its Secret, deleting exactly the Secret read", async () => {
        const a = adoption({ revokeCliToken: "argocd-manager-long-lived-token" });
        assert.deepEqual(await foreignObjects([a]), []);
        assert.deepEqual(await resolvedValue(finishAdoption(a, pulumi.output(true))), [
            "kube-system/argocd-manager-long-lived-token",
        ]);
        assert.equal(api.get(CLI_TOKEN_SECRET), undefined);
        // A later up while adopt stays set: already gone, nothing else deleted.
        assert.deepEqual(await resolvedValue(finishAdoption(a, pulumi.output(true))), []);
    });

    it("refuses a revokeCliToken that names the stack's own token Secret or another account's", async () => {
        tokenSecret("argocd-manager-token-0a1b2c3d", "ours", {
            [STACK_ANNOTATION]: STACK,
            [OWNER_ANNOTATION]: OWNER_ID,
        });
        tokenSecret("other-token", "other", { "kubernetes.io/service-account.name": "someone-else" });
        const problems = [
            ...(await foreignObjects([adoption({ revokeCliToken: "argocd-manager-token-0a1b2c3d" })])),
            ...(await foreignObjects([adoption({ revokeCliToken: "other-token" })])),
        ];
        assert.deepEqual(
            problems.map((p) => [p.path, p.message]),
            [
                [
                    "argocd-clusters:clusters[0].revokeCliToken",
                    "the Secret kube-system/argocd-manager-token-0a1b2c3d is this stack's own token Secret",
                ],
                [
                    "argocd-clusters:clusters[0].revokeCliToken",
                    "the Secret kube-system/other-token is not a token Secret of kube-system/argocd-manager",
                ],
            ],
        );
        // Should the check be passed by (the Secret changed since), the delete still proves it and refuses.
        await assert.rejects(
            revokeCliToken(adoption({ revokeCliToken: "argocd-manager-token-0a1b2c3d" })),
            /did not delete the Secret kube-system\/argocd-manager-token-0a1b2c3d/,
        );
        assert.ok(api.get(`${SECRETS}/argocd-manager-token-0a1b2c3d`));
    });

    it("refuses bindings of the account the CLI did not make, and deletes only the CLI's exact role and binding", async () => {
        api.put(`${RBAC}/clusterrolebindings/platform-admins`, {
            metadata: { name: "platform-admins" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [{ kind: "Group", name: "platform", apiGroup: "rbac.authorization.k8s.io" }, ACCOUNT],
        });
        api.put(`${RBAC}/namespaces/team-a/rolebindings/deployers`, {
            metadata: { name: "deployers", namespace: "team-a" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "deployer" },
            subjects: [{ kind: "User", name: "system:serviceaccount:kube-system:argocd-manager" }],
        });
        const problems = await foreignObjects([adoption()]);
        assert.deepEqual(
            problems.map((p) => p.path),
            ["argocd-clusters:clusters[0].adopt", "argocd-clusters:clusters[0].adopt"],
        );
        assert.match(
            problems[0].message,
            /^ClusterRoleBinding platform-admins on the target also grants kube-system\/argocd-manager the ClusterRole cluster-admin/,
        );
        assert.match(problems[1].message, /^RoleBinding team-a\/deployers on the target also grants/);
        assert.match(problems[0].fix, /take kube-system\/argocd-manager out of it.*serviceAccount of its own/s);

        // Were they to appear after the check: the takeover still deletes only the CLI's own binding and role.
        await resolvedValue(finishAdoption(adoption(), pulumi.output(true)));
        assert.ok(api.get(`${RBAC}/clusterrolebindings/platform-admins`));
        assert.ok(api.get(`${RBAC}/namespaces/team-a/rolebindings/deployers`));
        assert.equal(api.get(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`), undefined);
        assert.equal(api.get(`${RBAC}/clusterroles/argocd-manager-role`), undefined);
    });

    it("leaves a CLI-named binding with one more subject, and the CLI's role while another binding uses it", async () => {
        api.put(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`, {
            metadata: { name: "argocd-manager-role-binding" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "argocd-manager-role" },
            subjects: [ACCOUNT, { kind: "ServiceAccount", name: "ci", namespace: "ci" }],
        });
        const problems = await foreignObjects([adoption()]);
        assert.match(problems[0]?.message ?? "", /^ClusterRoleBinding argocd-manager-role-binding on the target/);
        await resolvedValue(finishAdoption(adoption(), pulumi.output(true)));
        assert.ok(api.get(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`), "it serves ci/ci too");

        api.put(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`, {
            metadata: { name: "argocd-manager-role-binding" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "argocd-manager-role" },
            subjects: [ACCOUNT],
        });
        api.put(`${RBAC}/clusterrolebindings/ci-uses-the-cli-role`, {
            metadata: { name: "ci-uses-the-cli-role" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "argocd-manager-role" },
            subjects: [{ kind: "ServiceAccount", name: "ci", namespace: "ci" }],
        });
        await resolvedValue(finishAdoption(adoption(), pulumi.output(true)));
        assert.equal(api.get(`${RBAC}/clusterrolebindings/argocd-manager-role-binding`), undefined);
        assert.ok(api.get(`${RBAC}/clusterroles/argocd-manager-role`), "ci-uses-the-cli-role still needs it");
    });
});
