// The one writer of Argo CD's settings for the World, the sandbox and the live Argo CD (dev/argocdSettings.ts):
// argocd-cm, argocd-secret and argocd-rbac-cm as OpenShift GitOps writes them, labelled so Argo CD reads them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { installArgoCdSettings, type SettingsCluster } from "../../../dev/argocdSettings";

interface Request {
    method: string;
    url: string;
    body: any;
}

/** A cluster whose API holds `existing` (URL of an object -> the object) and records every request. */
function fakeCluster(existing: Record<string, any> = {}): SettingsCluster & { requests: Request[] } {
    const requests: Request[] = [];
    return {
        name: "hub",
        requests,
        admin: async (method: string, url: string, body?: any) => {
            requests.push({ method, url, body });
            if (method === "POST") {
                const name = body.metadata.name;
                return { status: existing[`${url}/${name}`] ? 409 : 201, body: {} } as any;
            }
            if (method === "PATCH") return { status: existing[url] ? 200 : 404, body: {} } as any;
            return { status: 405, body: {} } as any;
        },
    };
}

const PART_OF = { "app.kubernetes.io/part-of": "argocd" };
const base = "/api/v1/namespaces/openshift-gitops";

describe("Argo CD's settings, written as OpenShift GitOps writes them", () => {
    it("a new namespace gets argocd-cm (respectRBAC normal), argocd-rbac-cm and argocd-secret, each labelled", async () => {
        const hub = fakeCluster();
        await installArgoCdSettings(hub, "openshift-gitops");
        const created = hub.requests.filter((r) => r.method === "POST" && r.url !== "/api/v1/namespaces");
        assert.deepEqual(
            created.map((r) => `${r.url}/${r.body.metadata.name}`),
            [`${base}/configmaps/argocd-cm`, `${base}/configmaps/argocd-rbac-cm`, `${base}/secrets/argocd-secret`],
        );
        for (const { body } of created) {
            assert.deepEqual(body.metadata.labels, {
                ...PART_OF,
                "app.kubernetes.io/name": body.metadata.name,
                "app.kubernetes.io/managed-by": "openshift-gitops",
            });
            assert.equal(body.metadata.namespace, "openshift-gitops");
        }
        assert.deepEqual(created[0].body.data, { "resource.respectRBAC": "normal" });
        assert.equal(Buffer.from(created[2].body.data["server.secretkey"], "base64").length, 32);
        assert.deepEqual(hub.requests[0].body, { metadata: { name: "openshift-gitops" } }, "the namespace first");
    });

    it("existing objects get the labels; argocd-cm also the keys, argocd-secret keeps its server key", async () => {
        const hub = fakeCluster({
            "/api/v1/namespaces/openshift-gitops": {},
            [`${base}/configmaps/argocd-cm`]: {},
            [`${base}/configmaps/argocd-rbac-cm`]: {},
            [`${base}/secrets/argocd-secret`]: {},
        });
        await installArgoCdSettings(hub, "openshift-gitops", { "resource.respectRBAC": "strict" });
        const patches = hub.requests.filter((r) => r.method === "PATCH");
        assert.deepEqual(
            patches.map((r) => r.url),
            [`${base}/configmaps/argocd-cm`, `${base}/configmaps/argocd-rbac-cm`, `${base}/secrets/argocd-secret`],
        );
        assert.deepEqual(patches[0].body.data, { "resource.respectRBAC": "strict" });
        assert.equal(patches[2].body.data, undefined, "the server key Argo CD may use is kept");
        for (const p of patches) assert.equal(p.body.metadata.labels["app.kubernetes.io/part-of"], "argocd");
    });

    it("an answer other than created or already there fails, naming the object", async () => {
        const hub: SettingsCluster = {
            name: "hub",
            admin: async (_method: string, url: string) =>
                ({ status: url.endsWith("/configmaps") ? 403 : 201, body: { reason: "Forbidden" } }) as any,
        };
        await assert.rejects(
            installArgoCdSettings(hub, "argocd"),
            /hub: writing \/api\/v1\/namespaces\/argocd\/configmaps\/argocd-cm answered 403/,
        );
    });
});
