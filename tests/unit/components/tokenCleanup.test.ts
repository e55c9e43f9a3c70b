import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as K8s from "@kubernetes/client-node";
import { CLUSTER_IDENTIFIER_ANNOTATION, OWNER_ANNOTATION, STACK_ANNOTATION } from "../../../argocd/names";
import { superseded, switchProof, type TokenOwner } from "../../../components/tokenCleanup";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

const OWNER: TokenOwner = {
    clusterName: "production",
    target: { context: "target", kubeconfig: "", server: "https://target.example:6443" },
    systemNamespace: "kube-system",
    serviceAccount: "argocd-manager",
    owner: { stack: "argocd-clusters/production", id: "0123456789abcdef0123456789abcdef" },
    server: "https://target.example:6443",
    clusterIdentifier: "target:https://target.example:6443",
};

function tokenSecret(name: string, annotations: Record<string, string>): K8s.V1Secret {
    return { metadata: { name, annotations }, data: { token: b64(`token-of-${name}`) } };
}

const OURS = {
    [STACK_ANNOTATION]: "argocd-clusters/production",
    [OWNER_ANNOTATION]: "0123456789abcdef0123456789abcdef",
    [CLUSTER_IDENTIFIER_ANNOTATION]: OWNER.clusterIdentifier,
};

/** A cluster Secret whose `config` is `config` as written (Argo CD decodes it with Go's encoding/json). */
function clusterSecret(config: string): K8s.V1Secret {
    return {
        metadata: { name: "cluster-target.example-1" },
        data: { name: b64("production"), server: b64("https://target.example:6443"), config: b64(config) },
    };
}

describe("superseded token cleanup", () => {
    it("takes for superseded only our Secrets of this registration, never the current one", () => {
        const secrets = [
            tokenSecret("argocd-manager-token-old", OURS),
            tokenSecret("argocd-manager-token-current", OURS),
            tokenSecret("argocd-manager-token-other-deployment", {
                ...OURS,
                [OWNER_ANNOTATION]: "fedcba9876543210fedcba9876543210",
            }),
            // Before identities, under our very stack name, but not what our last up recorded.
            tokenSecret("argocd-manager-token-same-stack-name", {
                [STACK_ANNOTATION]: "argocd-clusters/production",
                [CLUSTER_IDENTIFIER_ANNOTATION]: OWNER.clusterIdentifier,
            }),
            tokenSecret("argocd-manager-long-lived-token", {}),
            tokenSecret("argocd-manager-token-other-target", {
                ...OURS,
                [CLUSTER_IDENTIFIER_ANNOTATION]: "target:https://elsewhere:6443",
            }),
        ];
        assert.deepEqual(superseded(secrets, OWNER, "argocd-manager-token-current"), ["argocd-manager-token-old"]);
    });

    it("proves the switch only when Argo CD's cluster Secret holds the current token", () => {
        const where = "Argo CD's cluster Secret argocd/cluster-target.example-1";
        const config = (token: string) => JSON.stringify({ bearerToken: token, tlsClientConfig: { insecure: false } });
        assert.deepEqual(switchProof(clusterSecret(config("new-token")), where, "new-token"), { token: "new-token" });

        const stale = switchProof(clusterSecret(config("old-token")), where, "new-token");
        assert.ok("unproven" in stale);
        assert.match(stale.unproven, /does not hold the token this run issued: it was not written in this run/);
        assert.doesNotMatch(stale.unproven, /old-token|new-token/, "never says what a token is");
    });

    it("reads the token Argo CD reads: Go's JSON, whose keys fold case and whose last duplicate wins", () => {
        const where = "the cluster Secret";
        const twice = '{"bearerToken":"old-token","BearerToken":"new-token","tlsClientConfig":{"insecure":false}}';
        assert.deepEqual(switchProof(clusterSecret(twice), where, "new-token"), { token: "new-token" });
        assert.ok("unproven" in switchProof(clusterSecret(twice), where, "old-token"));
    });

    it("proves nothing from a cluster Secret Argo CD cannot use", () => {
        for (const config of ["not json", '{"tlsClientConfig":{"insecure":false}}', '{"bearerToken":7}']) {
            const proof = switchProof(clusterSecret(config), "the cluster Secret", "new-token");
            assert.ok("unproven" in proof, config);
            assert.match(proof.unproven, /^Argo CD cannot use the cluster Secret: /);
        }
    });
});
