import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { resourcesFilterOf } from "../../../argocd/resourceFilter";
import { type ApiResource, discoverResources, unlistedKinds, unlistedOnTarget } from "../../../components/listedKinds";
import { INSTALL_EXCLUSIONS } from "../../support/argocdInstall";
import { fakeApi } from "../../support/fakeApi";

const RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** A small cluster's discovery: core, apps, coordination, discovery, events and a review kind without list. */
const RESOURCES: ApiResource[] = [
    { group: "", resource: "configmaps", kind: "ConfigMap", namespaced: true, verbs: RW },
    { group: "", resource: "pods", kind: "Pod", namespaced: true, verbs: RW },
    { group: "", resource: "endpoints", kind: "Endpoints", namespaced: true, verbs: RW },
    { group: "", resource: "events", kind: "Event", namespaced: true, verbs: RW },
    { group: "", resource: "namespaces", kind: "Namespace", namespaced: false, verbs: RW },
    { group: "apps", resource: "deployments", kind: "Deployment", namespaced: true, verbs: RW },
    { group: "coordination.k8s.io", resource: "leases", kind: "Lease", namespaced: true, verbs: RW },
    { group: "discovery.k8s.io", resource: "endpointslices", kind: "EndpointSlice", namespaced: true, verbs: RW },
    { group: "events.k8s.io", resource: "events", kind: "Event", namespaced: true, verbs: RW },
    {
        group: "authorization.k8s.io",
        resource: "subjectaccessreviews",
        kind: "SubjectAccessReview",
        namespaced: false,
        verbs: ["create"],
    },
];

const filterOf = (data: Record<string, string>) => {
    const f = resourcesFilterOf(data);
    assert.ok(!("error" in f));
    return f;
};
const INSTALL = filterOf({ "resource.exclusions": INSTALL_EXCLUSIONS });
const NONE = filterOf({});

const read = (resources: string[], groups = [""]) => [
    { apiGroups: groups, resources, verbs: ["get", "list", "watch"] },
];
const SERVER = "https://api.prod.example:6443";

describe("what Argo CD's controller lists on a target under its default respectRBAC, and may not", () => {
    it("demands no rights on what Argo CD excludes, and list and watch on everything else", () => {
        const rules = [...read(["configmaps", "pods", "namespaces"]), ...read(["deployments"], ["apps"])];
        // Argo CD 3.0's install exclusions and its built-in ones leave exactly what the rules cover.
        assert.deepEqual(unlistedKinds({ server: SERVER, rules }, RESOURCES, INSTALL), []);
        // Without argocd-cm's exclusions (OpenShift GitOps may write none), Endpoints and EndpointSlices are listed.
        assert.deepEqual(unlistedKinds({ server: SERVER, rules }, RESOURCES, NONE), [
            "EndpointSlice.discovery.k8s.io",
            "Endpoints",
        ]);
        // A kind Argo CD does not exclude stays demanded, named with its group.
        assert.deepEqual(
            unlistedKinds({ server: SERVER, rules: read(["configmaps", "pods", "namespaces"]) }, RESOURCES, INSTALL),
            ["Deployment.apps"],
        );
    });

    it("asks for both list and watch, on every object (resourceNames narrow a rule to some)", () => {
        const all = (verbs: string[], more = {}) => [{ apiGroups: ["*"], resources: ["*"], verbs, ...more }];
        assert.deepEqual(unlistedKinds({ server: SERVER, rules: all(["list", "watch"]) }, RESOURCES, NONE), []);
        assert.equal(unlistedKinds({ server: SERVER, rules: all(["list"]) }, RESOURCES, NONE).length, 6);
        assert.equal(
            unlistedKinds({ server: SERVER, rules: all(["*"], { resourceNames: ["x"] }) }, RESOURCES, NONE).length,
            6,
        );
    });

    it("in namespaced mode: namespaced kinds by the Roles or the ClusterRole, cluster-scoped ones only with clusterResources", () => {
        const namespaced = { server: SERVER, namespaces: ["shop"], rules: read(["configmaps", "pods"]) };
        assert.deepEqual(unlistedKinds(namespaced, RESOURCES, INSTALL), ["Deployment.apps"]);
        assert.deepEqual(
            unlistedKinds(
                { ...namespaced, clusterResources: true, clusterRules: read(["deployments"], ["apps"]) },
                RESOURCES,
                INSTALL,
            ),
            ["Namespace"],
        );
        assert.deepEqual(
            unlistedKinds(
                {
                    ...namespaced,
                    clusterResources: true,
                    clusterRules: [...read(["deployments"], ["apps"]), ...read(["namespaces"])],
                },
                RESOURCES,
                INSTALL,
            ),
            [],
        );
    });

    it("follows resource.inclusions: only what they leave is demanded", () => {
        const configMapsOnly = filterOf({ "resource.inclusions": `- apiGroups: [""]\n  kinds: [ConfigMap]\n` });
        assert.deepEqual(unlistedKinds({ server: SERVER, rules: read(["configmaps"]) }, RESOURCES, configMapsOnly), []);
        const elsewhere = filterOf({
            "resource.inclusions": `- apiGroups: [""]\n  kinds: [ConfigMap]\n  clusters: ["https://api.staging*"]\n`,
        });
        assert.ok(unlistedKinds({ server: SERVER, rules: read(["configmaps"]) }, RESOURCES, elsewhere).length > 0);
    });
});

describe("the target's discovery, as the controller gets it (ServerPreferredResources)", () => {
    const list = (groupVersion: string, resources: object[]) => ({ status: 200, body: { groupVersion, resources } });
    const res = (name: string, kind: string, verbs = RW, namespaced = true) => ({ name, kind, namespaced, verbs });

    it("takes each group's preferred version first, skips subresources and a group version that does not answer", async () => {
        const api = await fakeApi("discovery-token", new Set(), {
            routes: {
                "GET /api/v1": () => list("v1", [res("configmaps", "ConfigMap"), res("pods/log", "Pod", ["get"])]),
                "GET /apis": () => ({
                    status: 200,
                    body: {
                        kind: "APIGroupList",
                        groups: [
                            {
                                name: "autoscaling",
                                versions: [{ version: "v1" }, { version: "v2" }],
                                preferredVersion: { version: "v2" },
                            },
                            {
                                name: "metrics.k8s.io",
                                versions: [{ version: "v1beta1" }],
                                preferredVersion: { version: "v1beta1" },
                            },
                        ],
                    },
                }),
                "GET /apis/autoscaling/v2": () =>
                    list("autoscaling/v2", [res("horizontalpodautoscalers", "HorizontalPodAutoscaler")]),
                "GET /apis/autoscaling/v1": () =>
                    list("autoscaling/v1", [
                        res("horizontalpodautoscalers", "HorizontalPodAutoscaler", ["get"]),
                        res("scales", "Scale"),
                    ]),
                "GET /apis/metrics.k8s.io/v1beta1": () => ({ status: 503, body: { kind: "Status" } }),
            },
        });
        try {
            const kubeconfig = yaml.dump({
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: "c", cluster: { server: api.server, "certificate-authority-data": api.caData } }],
                users: [{ name: "u", user: { token: api.token } }],
                contexts: [{ name: "t", context: { cluster: "c", user: "u" } }],
                "current-context": "t",
            });
            const access = { context: "t", kubeconfig, server: api.server };
            const found = await discoverResources(access);
            assert.deepEqual(
                found.map((r) => `${r.resource}.${r.group}:${r.verbs.includes("list")}`),
                ["configmaps.:true", "horizontalpodautoscalers.autoscaling:true", "scales.autoscaling:true"],
            );
            const entry = { server: api.server, rules: read(["configmaps"]), access };
            assert.deepEqual(await unlistedOnTarget(entry, NONE), {
                kind: "known",
                missing: ["HorizontalPodAutoscaler.autoscaling", "Scale.autoscaling"],
            });
            const denied = {
                ...entry,
                access: { ...access, kubeconfig: kubeconfig.replace(api.token, "another-token") },
            };
            const unknown = await unlistedOnTarget(denied, NONE);
            assert.equal(unknown.kind, "unknown");
        } finally {
            await api.close();
        }
    });
});
