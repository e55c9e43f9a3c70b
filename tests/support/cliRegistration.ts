/**
 * What `argocd cluster add` (v3.1+) leaves on a target, made by hand for the end-to-end tests: the
 * argocd-manager ServiceAccount in kube-system, the ClusterRole argocd-manager-role with full rights and its
 * binding, and the long-lived token Secret the token controller fills.
 */
import assert from "node:assert/strict";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { eventually } from "./world";

/** The CLI's full rights, written here independently of the program's own copy. */
export const CLI_CLUSTER_RULES = [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
];

export const CLI_TOKEN_SECRET = "argocd-manager-long-lived-token";

/** Creates the CLI's objects on `cluster` and returns the CLI's token once the token controller filled it. */
export async function argocdClusterAddOnTarget(cluster: LocalCluster): Promise<string> {
    const create = async (urlPath: string, body: unknown) => {
        const res = await cluster.admin("POST", urlPath, body);
        assert.equal(res.status, 201, `POST ${urlPath}: ${JSON.stringify(res.body)}`);
    };
    await create("/api/v1/namespaces/kube-system/serviceaccounts", { metadata: { name: "argocd-manager" } });
    await create("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        metadata: { name: "argocd-manager-role" },
        rules: CLI_CLUSTER_RULES,
    });
    await create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        metadata: { name: "argocd-manager-role-binding" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "argocd-manager-role" },
        subjects: [{ kind: "ServiceAccount", name: "argocd-manager", namespace: "kube-system" }],
    });
    await create("/api/v1/namespaces/kube-system/secrets", {
        metadata: {
            name: CLI_TOKEN_SECRET,
            annotations: { "kubernetes.io/service-account.name": "argocd-manager" },
        },
        type: "kubernetes.io/service-account-token",
    });
    let token = "";
    await eventually(
        async () => {
            const res = await cluster.admin("GET", `/api/v1/namespaces/kube-system/secrets/${CLI_TOKEN_SECRET}`);
            token = res.body?.data?.token ? Buffer.from(res.body.data.token, "base64").toString("utf8") : "";
            return token !== "";
        },
        true,
        "the token controller fills the CLI's token",
    );
    return token;
}
