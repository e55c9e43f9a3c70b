import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FULL_CLUSTER_RULES, FULL_NAMESPACE_RULES } from "../../../argocd/names";
import { coversEverything, narrowedKey, respectRbacProblems } from "../../../components/respectRbac";
import type { ClusterSettings } from "../../../stack/settings";
import { clusterSpec, type SpecOptions } from "../../support/fixtures";

/** A validated entry (every default filled), with `more` set over it. */
function entry(more: SpecOptions = {}): ClusterSettings {
    return clusterSpec({ name: "prod", server: "https://api.prod:6443", context: "prod", ...more });
}

const CONFIGMAPS = [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }];

describe("which registrations need Argo CD's resource.respectRBAC", () => {
    it("rules that list and watch every kind cover everything; anything narrower does not", () => {
        assert.ok(coversEverything(FULL_CLUSTER_RULES));
        assert.ok(coversEverything(FULL_NAMESPACE_RULES));
        assert.ok(coversEverything([{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] }]));
        assert.ok(!coversEverything([{ apiGroups: ["*"], resources: ["*"], verbs: ["get", "list"] }]));
        assert.ok(!coversEverything([{ apiGroups: ["*"], resources: ["*"], resourceNames: ["x"], verbs: ["*"] }]));
        assert.ok(!coversEverything(CONFIGMAPS));
    });

    it("names the key that narrows: rules, or clusterRules with clusterResources", () => {
        assert.equal(narrowedKey(entry()), undefined, "the CLI's rights");
        assert.equal(narrowedKey(entry({ namespaces: ["shop"] })), undefined, "full rights in the namespaces");
        assert.equal(narrowedKey(entry({ rules: CONFIGMAPS })), "rules");
        assert.equal(
            narrowedKey(entry({ namespaces: ["shop"], clusterResources: true, clusterRules: CONFIGMAPS })),
            "clusterRules",
        );
        assert.equal(
            narrowedKey(entry({ namespaces: ["shop"], clusterResources: false, clusterRules: CONFIGMAPS })),
            undefined,
        );
    });

    it("refuses under none, passes under normal and strict, and lists what it could not check", () => {
        const clusters = [
            entry(),
            entry({ name: "narrow", rules: CONFIGMAPS }),
            entry({ name: "gone", rules: CONFIGMAPS, retire: true }),
        ];
        const none = respectRbacProblems(clusters, "none", "openshift-gitops");
        assert.deepEqual(
            none.problems.map((p) => p.path),
            ["argocd-clusters:clusters[1].rules"],
        );
        assert.match(
            none.problems[0].message,
            /Argo CD \(openshift-gitops\/argocd-cm\) leaves resource\.respectRBAC unset: .* could not sync "narrow"/,
        );
        assert.match(none.problems[0].fix, /spec\.extraConfig of the ArgoCD resource/);
        for (const setting of ["normal", "strict"] as const)
            assert.deepEqual(respectRbacProblems(clusters, setting, "argocd"), { problems: [], unchecked: [] });
        assert.deepEqual(respectRbacProblems(clusters, undefined, "argocd"), { problems: [], unchecked: ["narrow"] });
    });
});
