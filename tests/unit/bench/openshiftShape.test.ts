/**
 * bench/openshiftShape.ts: the generated CRDs are the same on every run, of OpenShift's order of size, and
 * structural (what kube-apiserver requires of apiextensions.k8s.io/v1 schemas), so the bench never measures
 * against a target that refused half of them. Installed for real by the benchmark (bench/bench.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openshiftShapedCrds, SHAPE_DOMAIN } from "../../../bench/openshiftShape";

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema };
type Crd = {
    metadata: { name: string };
    spec: {
        group: string;
        names: { plural: string; kind: string };
        versions: { name: string; storage: boolean; served: boolean; schema: { openAPIV3Schema: Schema } }[];
    };
};

/** Paths of schema nodes without a type, or arrays without items: what a structural schema may not have. */
function unstructural(node: Schema, at: string, out: string[]): string[] {
    if (!node.type) out.push(at);
    if (node.type === "array" && !node.items) out.push(`${at}[]`);
    for (const [k, v] of Object.entries(node.properties ?? {})) unstructural(v, `${at}.${k}`, out);
    if (node.items) unstructural(node.items, `${at}[]`, out);
    if (node.additionalProperties) unstructural(node.additionalProperties, `${at}{}`, out);
    return out;
}

describe("bench/openshiftShape.ts", () => {
    const crds = openshiftShapedCrds() as unknown as Crd[];

    it("is deterministic", () => {
        assert.deepEqual(openshiftShapedCrds(), crds);
        assert.notDeepEqual(openshiftShapedCrds({ seed: 5 }), crds);
    });

    it("has OpenShift's order of size: 180 CRDs in 30 groups, schemas of megabytes in all", () => {
        assert.equal(crds.length, 180);
        assert.equal(new Set(crds.map((c) => c.spec.group)).size, 30);
        assert.equal(new Set(crds.map((c) => c.metadata.name)).size, 180);
        const bytes = JSON.stringify(crds).length;
        assert.ok(bytes > 8e6 && bytes < 30e6, `${bytes} bytes`);
        const versions = crds.reduce((n, c) => n + c.spec.versions.length, 0);
        assert.ok(versions > 200 && versions < 300, `${versions} versions`);
    });

    it("is valid for kube-apiserver: names, one storage version, structural schemas", () => {
        for (const c of crds) {
            assert.equal(c.metadata.name, `${c.spec.names.plural}.${c.spec.group}`);
            assert.match(c.spec.names.plural, /^[a-z][a-z0-9]{0,62}$/);
            assert.ok(c.spec.group.endsWith(`.${SHAPE_DOMAIN}`));
            assert.deepEqual(
                c.spec.versions.filter((v) => v.storage).map((v) => v.name),
                ["v1"],
            );
            for (const v of c.spec.versions)
                assert.deepEqual(unstructural(v.schema.openAPIV3Schema, c.metadata.name, []), []);
        }
    });
});
