import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { globMatch, isExcludedResource, resourcesFilterOf } from "../../../argocd/resourceFilter";
import { INSTALL_EXCLUSIONS } from "../../support/argocdInstall";

const SERVER = "https://api.prod.example:6443";

function filter(data: Record<string, string>) {
    const f = resourcesFilterOf(data);
    assert.ok(!("error" in f), JSON.stringify(f));
    return f;
}

describe("Argo CD's resource.exclusions and resource.inclusions (util/settings/resources_filter.go)", () => {
    it("always excludes what Argo CD's code does: Events, Leases, events.k8s.io and metrics.k8s.io", () => {
        const none = filter({});
        for (const [group, kind] of [
            ["", "Event"],
            ["events.k8s.io", "Event"],
            ["metrics.k8s.io", "PodMetrics"],
            ["coordination.k8s.io", "Lease"],
        ])
            assert.ok(isExcludedResource(none, group, kind, SERVER), `${kind}.${group}`);
        for (const [group, kind] of [
            ["", "Pod"],
            ["", "Endpoints"],
            ["apps", "Deployment"],
        ])
            assert.ok(!isExcludedResource(none, group, kind, SERVER), `${kind}.${group} is listed without argocd-cm's`);
    });

    it("applies the defaults Argo CD 3.0's install writes into argocd-cm, and nothing more", () => {
        const install = filter({ "resource.exclusions": INSTALL_EXCLUSIONS });
        for (const [group, kind] of [
            ["", "Endpoints"],
            ["discovery.k8s.io", "EndpointSlice"],
            ["authorization.k8s.io", "SubjectAccessReview"],
            ["certificates.k8s.io", "CertificateSigningRequest"],
            ["cilium.io", "CiliumEndpoint"],
            ["wgpolicyk8s.io", "PolicyReport"],
        ])
            assert.ok(isExcludedResource(install, group, kind, SERVER), `${kind}.${group}`);
        for (const [group, kind] of [
            ["", "Pod"],
            ["", "Secret"],
            ["apps", "Lease"],
            ["cilium.io", "CiliumNetworkPolicy"],
        ])
            assert.ok(!isExcludedResource(install, group, kind, SERVER), `${kind}.${group}`);
    });

    it("inclusions: what they name is watched, and the rest of a cluster they name is not", () => {
        const only = filter({
            "resource.inclusions": `- apiGroups: ["", "apps"]\n  kinds: [ConfigMap, Deployment]\n  clusters: ["https://*.prod.example:6443"]\n`,
        });
        assert.ok(!isExcludedResource(only, "", "ConfigMap", SERVER));
        assert.ok(!isExcludedResource(only, "apps", "Deployment", SERVER));
        assert.ok(isExcludedResource(only, "", "Secret", SERVER), "not included where inclusions name the cluster");
        assert.ok(!isExcludedResource(only, "", "Secret", "https://api.staging.other:6443"), "another cluster");
        // Exclusion wins over inclusion.
        const both = filter({
            "resource.inclusions": `- kinds: ["*"]\n`,
            "resource.exclusions": `- apiGroups: ["apps"]\n  kinds: [Deployment]\n`,
        });
        assert.ok(isExcludedResource(both, "apps", "Deployment", SERVER));
        assert.ok(!isExcludedResource(both, "apps", "StatefulSet", SERVER));
    });

    it("reads keys as Go's JSON does (case folded, null empty) and says why a value Argo CD rejects", () => {
        const folded = filter({
            "resource.exclusions": `- APIGroups: [apps]\n  Kinds: [Deployment]\n  clusters: null\n`,
        });
        assert.ok(isExcludedResource(folded, "apps", "Deployment", SERVER));
        assert.deepEqual(resourcesFilterOf({ "resource.exclusions": "" }), { exclusions: [], inclusions: [] });
        assert.deepEqual(resourcesFilterOf({ "resource.exclusions": "kinds: [Pod]" }), {
            error: "resource.exclusions is not a list",
        });
        assert.deepEqual(resourcesFilterOf({ "resource.inclusions": "- kinds: Pod" }), {
            error: "resource.inclusions[0].kinds is not a list of strings",
        });
        assert.deepEqual(resourcesFilterOf({ "resource.exclusions": "- [" }), {
            error: "resource.exclusions is not YAML",
        });
    });

    it("matches groups and clusters as gobwas/glob does, kinds exactly or by *", () => {
        assert.ok(globMatch("*.k8s.io", "events.k8s.io"));
        assert.ok(!globMatch("*.k8s.io", "apps"));
        assert.ok(globMatch("", ""));
        assert.ok(!globMatch("", "apps"));
        assert.ok(globMatch("{apps,batch}", "batch"));
        assert.ok(globMatch("cert?manager.io", "cert-manager.io"));
        assert.ok(globMatch("[!a]pps", "xpps") && !globMatch("[!a]pps", "apps"));
        assert.ok(globMatch("https://*", "https://api.prod.example:6443/path"), "no separators: * crosses /");
        assert.ok(!globMatch("[abc", "a"), "a pattern that does not compile matches nothing");
        const kinds = filter({ "resource.exclusions": `- kinds: ["Deploy*"]\n` });
        assert.ok(!isExcludedResource(kinds, "apps", "Deployment", SERVER), "kinds are no globs");
    });
});
