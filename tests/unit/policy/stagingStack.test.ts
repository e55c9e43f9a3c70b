import { runProgram } from "../../support/program";

// The real program with Pulumi.staging.yaml as shipped under mocks: a bound token (the default of every new
// stack), cluster-wide rights. policy.test.ts covers Pulumi.production.yaml (a secret token, namespaced rights).
const { mocks, result } = runProgram("staging");

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseChildName } from "../../../components/childNames";
import { isClusterSecret, isTokenSecret } from "../../../policy/registration";
import { type Bag, bags, packViolations } from "../../support/pack";

let staging: Bag[] = [];

before(async () => {
    const run = await result;
    assert.ok("outputs" in run, `the program failed: ${"error" in run ? run.error.message : ""}`);
    assert.equal(run.outputs.registrations.staging.tokenKind, "bound", "Pulumi.staging.yaml ships a bound token");
    staging = bags(mocks);
});

describe("Pulumi.staging.yaml (a bound token) through the policy pack", () => {
    const asResource = (bag: Bag) => ({ urn: bag.urn, type: bag.type, props: bag.inputs, parent: bag.parent });

    it("passes every policy, in its inputs and in its state", () => {
        assert.deepEqual(packViolations(staging), []);
    });

    it("takes exactly the child the component names the cluster Secret for the cluster Secret", () => {
        const secrets = staging.filter((b) => isClusterSecret(asResource(b)));
        assert.deepEqual(
            secrets.map((b) => parseChildName(b.name)?.part),
            ["clusterSecret"],
        );
        // The bound token's object is a Secret of the registration too, but neither the cluster Secret nor a
        // service-account token Secret.
        const bound = staging.find((b) => parseChildName(b.name)?.part === "boundTokenObject");
        assert.ok(bound, "the bound token's object is among the registration's children");
        assert.ok(!isClusterSecret(asResource(bound)));
        assert.ok(!isTokenSecret(asResource(bound)));
    });
});
