/**
 * What `argocd cluster add` leaves on a target (and on the Argo CD cluster), made by hand for the end-to-end tests, as Argo CD's
 * util/clusterauth does: the argocd-manager ServiceAccount in kube-system, the ClusterRole argocd-manager-role
 * with full rights and its binding, and a token Secret the token controller fills. Since v3.1 that Secret is
 * `argocd-manager-long-lived-token` (one fixed name, reused); up to v3.0 it was `argocd-manager-token-xxxxx`
 * (generateName), which the CLI also listed in the ServiceAccount's `secrets`.
 */
import assert from "node:assert/strict";
import { clusterSecretName } from "../../argocd/clusterSecret";
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
    return filledToken(cluster, CLI_TOKEN_SECRET);
}

/**
 * The token Secret an `argocd cluster add` of Argo CD v3.0 or before made for the argocd-manager account that
 * already exists on `cluster`: `argocd-manager-token-` plus a generated suffix, then listed in the account's
 * `secrets`. Returns its name and its token once the token controller filled it.
 */
export async function legacyCliTokenOnTarget(cluster: LocalCluster): Promise<{ name: string; token: string }> {
    const res = await cluster.admin("POST", "/api/v1/namespaces/kube-system/secrets", {
        metadata: {
            generateName: "argocd-manager-token-",
            annotations: { "kubernetes.io/service-account.name": "argocd-manager" },
        },
        type: "kubernetes.io/service-account-token",
    });
    assert.equal(res.status, 201, `POST the legacy token Secret: ${JSON.stringify(res.body)}`);
    const name: string = res.body.metadata.name;
    const account = "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager";
    const sa = await cluster.admin("GET", account);
    assert.equal(sa.status, 200, JSON.stringify(sa.body));
    const put = await cluster.admin("PUT", account, { ...sa.body, secrets: [{ name, namespace: "kube-system" }] });
    assert.equal(put.status, 200, `PUT ${account}: ${JSON.stringify(put.body)}`);
    return { name, token: await filledToken(cluster, name) };
}

async function filledToken(cluster: LocalCluster, name: string): Promise<string> {
    let token = "";
    await eventually(
        async () => {
            const res = await cluster.admin("GET", `/api/v1/namespaces/kube-system/secrets/${name}`);
            token = res.body?.data?.token ? Buffer.from(res.body.data.token, "base64").toString("utf8") : "";
            return token !== "";
        },
        true,
        `the token controller fills the CLI's token Secret ${name}`,
    );
    return token;
}

/**
 * What `argocd cluster add` writes on the Argo CD cluster `hub`: the cluster Secret named after `server`, labelled
 * and annotated as the CLI does, registering it as `name` with `config` (its bearer token and TLS settings).
 */
export async function argocdClusterAddOnHub(
    hub: LocalCluster,
    namespace: string,
    name: string,
    server: string,
    config: Record<string, unknown>,
): Promise<void> {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const res = await hub.admin("POST", `/api/v1/namespaces/${namespace}/secrets`, {
        metadata: {
            name: clusterSecretName(server),
            labels: { "argocd.argoproj.io/secret-type": "cluster" },
            annotations: { "managed-by": "argocd.argoproj.io" },
        },
        data: { name: b64(name), server: b64(server), config: b64(JSON.stringify(config)) },
    });
    assert.equal(res.status, 201, `the CLI's cluster Secret for ${server}: ${JSON.stringify(res.body)}`);
}
