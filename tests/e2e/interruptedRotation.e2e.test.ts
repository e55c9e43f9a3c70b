/**
 * End to end: a token rotation interrupted between issuing the new token and switching Argo CD to it, in the
 * real engine against real API servers. Writes of the cluster Secret on the Argo CD cluster (not their dry runs)
 * are denied by a ValidatingAdmissionPolicy while the target stays reachable, so each `up` creates (or keeps) the new token but
 * cannot write it into the cluster Secret. Whatever the engine does with the old token Secret meanwhile, the
 * token Argo CD holds must keep working until the cluster Secret holds the new one. The steps build on each
 * other in one world.
 *
 * The engine (3.274) leaves the replaced token Secret pending delete after the failed switch, and a plain `up`
 * deletes pending deletes in its final phase, which a failed switch never reaches (step 4). With
 * --continue-on-error it does reach it: the old token Secret is deleted although the cluster Secret still holds
 * its token (step 4b).
 *
 * Then the same without any failure: an `up` that leaves the cluster Secret out on purpose (`--exclude` on its
 * URN) rotates the token while Argo CD keeps the old one; the cluster Secret's step is skipped and its outputs
 * come from the old state, so only reading the cluster Secret back proves whether Argo CD was switched (steps 6
 * to 11, secret and bound kind). Last, a renamed stack (`pulumi stack rename`) must still revoke its own
 * superseded token (step 12), and the first up after a rename changes no token (step 13).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../argocd/clusterSecret";
import { childName } from "../../components/childNames";
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import {
    ARGOCD_NS,
    configMapRoundTrip,
    credentialsFrom,
    eventually,
    type PulumiRun,
    type World,
    worldPerSuite,
} from "../support/world";

const POLICY = "e2e-deny-cluster-secret-writes";
const VAP = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
const BINDINGS = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";

let world: World;
/** The token Argo CD held before the rotation (T1). */
let oldToken: string;
let oldTokenSecret: string;

/** The status `token` gets from alpha's target, as Argo CD would send it. */
async function statusWith(token: string): Promise<number> {
    const creds = credentialsFrom((await world.clusterSecret(world.a))!);
    return (await kubeRequest({ ...creds, bearerToken: token }, "GET", "/api")).status;
}

/**
 * Asserts `token` keeps authenticating for 15 s: the API server caches a token's authentication for some
 * seconds, so a token revoked by the run just ended only shows a 401 after a moment.
 */
async function keepsWorking(token: string, message: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
        assert.equal(await statusWith(token), 200, message);
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** The engine's lines about pending deletes and the token Secrets, for the test's log. */
function engineLines(run: PulumiRun): string {
    return run.output
        .split("\n")
        .filter((l) => /pending|delet|replac|-token|error|denied|ValidatingAdmissionPolicy/i.test(l))
        .slice(0, 60)
        .join("\n");
}

/** Denies CREATE, UPDATE and DELETE of alpha's cluster Secret on the Argo CD cluster, for every identity. */
async function denyClusterSecretWrites(): Promise<void> {
    const name = clusterSecretName(world.a.server);
    const policy = await world.argocd.admin("POST", VAP, {
        metadata: { name: POLICY },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ARGOCD_NS } },
                resourceRules: [
                    {
                        apiGroups: [""],
                        apiVersions: ["v1"],
                        operations: ["CREATE", "UPDATE", "DELETE"],
                        resources: ["secrets"],
                        resourceNames: [name],
                    },
                ],
            },
            // Dry runs pass: the failure comes at the write itself (as a hub that goes away between the
            // preview and the update, a webhook timing out, or the cluster Secret's own check before it is
            // written), not in the preview that `up` runs first. Denying dry runs too stops the second `up` in
            // its preview, before the engine touches anything.
            validations: [
                {
                    expression: "has(request.dryRun) && request.dryRun == true",
                    message: "e2e: writes of this cluster Secret are denied",
                },
            ],
        },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const binding = await world.argocd.admin("POST", BINDINGS, {
        metadata: { name: POLICY },
        spec: { policyName: POLICY, validationActions: ["Deny"] },
    });
    assert.equal(binding.status, 201, JSON.stringify(binding.body));
    // The policy takes effect once the API server's informers have it: an admin's update must be refused.
    const secretPath = `/api/v1/namespaces/${ARGOCD_NS}/secrets/${name}`;
    await eventually(
        async () => {
            const res = await world.argocd.admin(
                "PATCH",
                secretPath,
                { metadata: { annotations: { "e2e/probe": `${Date.now()}` } } },
                "application/merge-patch+json",
            );
            return [403, 422].includes(res.status) && JSON.stringify(res.body).includes("e2e: writes");
        },
        true,
        "the policy denies an update of the cluster Secret",
    );
}

/** The URN the engine gave alpha's cluster Secret, as the stack's checkpoint records it. */
function clusterSecretUrn(): string {
    const checkpoint = JSON.parse(fs.readFileSync(world.checkpointFile(), "utf8"));
    const suffix = `::${childName(clusterSecretName(world.a.server), "clusterSecret")}`;
    const urns = (checkpoint.checkpoint.latest.resources as { urn: string }[])
        .map((r) => r.urn)
        .filter((urn) => urn.endsWith(suffix));
    assert.equal(urns.length, 1, `one cluster Secret for alpha in the checkpoint, got ${urns}`);
    return urns[0];
}

/** GET of a Secret in alpha's kube-system: its status (200, or 404 once deleted). */
async function targetSecretStatus(name: string): Promise<number> {
    return (await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${name}`)).status;
}

/** Alpha alone, with `token` written explicitly, at `rotation`. */
function writeAlpha(rotation: string, token: Record<string, unknown>): void {
    world.writeConfig(world.clusterEntries(rotation).slice(0, 1), { "argocd-clusters:token": token });
}

const BOUND = { kind: "bound", lifetime: "24h", renewBefore: "1h" };

/**
 * The token Argo CD holds before an excluded up, and its token Secret or bound object on the target (the
 * registration's current one before that up).
 */
let held: string;
let heldObject: string;

async function rememberHeld(): Promise<void> {
    held = await world.bearerToken(world.a);
    heldObject = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;
}

/**
 * An up that leaves alpha's cluster Secret out (`--exclude` on its URN) while the token is replaced: it
 * succeeds, Argo CD still holds `held`, which keeps working, and `heldObject` (its token Secret or bound object)
 * is kept and named in a warning.
 */
async function upExcludingClusterSecret(): Promise<void> {
    const run = await world.pulumi("up", "--exclude", clusterSecretUrn());
    console.log(`--- up --exclude <cluster Secret>: exit ${run.code}\n${engineLines(run)}`);
    assert.equal(run.code, 0, run.output.slice(-4000));
    assert.equal(await world.bearerToken(world.a), held, "the excluded cluster Secret still holds the old token");
    await keepsWorking(held, "the token Argo CD's cluster Secret holds was revoked: Argo CD has lost the cluster");
    assert.equal(await targetSecretStatus(heldObject), 200, `${heldObject} is kept`);
    assert.match(
        run.output,
        new RegExp(
            `were NOT deleted, so their tokens still work: [^\n]*${heldObject}[^\n]*does not hold the token this run issued`,
        ),
        "a warning names the kept Secret and why",
    );
    assert.ok(!run.output.includes(held), "the run never prints a token");
}

/** A plain up after the excluded one switches Argo CD to the new token, then revokes `held` by deleting `heldObject`. */
async function upSwitchesAndRevokes(): Promise<void> {
    const run = await world.pulumi("up");
    console.log(`--- plain up after the excluded one: exit ${run.code}\n${engineLines(run)}`);
    assert.equal(run.code, 0, run.output.slice(-4000));
    assert.notEqual(await world.bearerToken(world.a), held, "Argo CD holds the new token");
    assert.deepEqual(
        await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.a))!), "default"),
        [201, 200],
        "the new token works",
    );
    await eventually(() => statusWith(held), 401, "the old token must be revoked once Argo CD holds the new one");
    assert.equal(await targetSecretStatus(heldObject), 404, `${heldObject} is deleted`);
    await world.succeed("preview", "--expect-no-changes");
}

async function allowClusterSecretWrites(): Promise<void> {
    for (const p of [`${BINDINGS}/${POLICY}`, `${VAP}/${POLICY}`]) {
        const res = await world.argocd.admin("DELETE", p);
        assert.ok([200, 404].includes(res.status), `DELETE ${p}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const name = clusterSecretName(world.a.server);
    const secretPath = `/api/v1/namespaces/${ARGOCD_NS}/secrets/${name}`;
    await eventually(
        async () =>
            (
                await world.argocd.admin(
                    "PATCH",
                    secretPath,
                    { metadata: { annotations: { "e2e/probe": null } } },
                    "application/merge-patch+json",
                )
            ).status,
        200,
        "updates of the cluster Secret are allowed again",
    );
}

describe("a token rotation interrupted before Argo CD is switched", { timeout: 1_800_000 }, () => {
    worldPerSuite((started) => {
        world = started;
    });

    it("1. up registers alpha with a token that works", async () => {
        world.writeConfig(world.clusterEntries("1").slice(0, 1));
        await world.succeed("up");
        oldToken = await world.bearerToken(world.a);
        oldTokenSecret = (await world.succeed("outputs")).registrations.alpha.tokenSecretName;
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.a))!), "default"),
            [201, 200],
        );
    });

    it("2. a ValidatingAdmissionPolicy denies writes of the cluster Secret; the target stays reachable", async () => {
        await denyClusterSecretWrites();
        assert.equal(await statusWith(oldToken), 200);
    });

    it("3. a rotation then fails, and Argo CD's token still works", async () => {
        world.writeConfig(world.clusterEntries("2").slice(0, 1));
        const run = await world.pulumi("up");
        console.log(`--- up #1 during the denial: exit ${run.code}\n${engineLines(run)}`);
        assert.notEqual(run.code, 0, "up must fail while the cluster Secret cannot be written");
        assert.match(run.output, /e2e: writes of this cluster Secret are denied/);
        assert.equal(await world.bearerToken(world.a), oldToken, "Argo CD still holds the old token");
        await keepsWorking(oldToken, "the token Argo CD holds was revoked by the failed rotation");
    });

    it("4. a second up that fails the same way must not revoke the token Argo CD still holds", async () => {
        const run = await world.pulumi("up");
        console.log(`--- up #2 during the denial: exit ${run.code}\n${engineLines(run)}`);
        assert.notEqual(run.code, 0, "up must fail while the cluster Secret cannot be written");
        assert.equal(await world.bearerToken(world.a), oldToken, "Argo CD still holds the old token");
        const old = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`);
        console.log(`--- old token Secret ${oldTokenSecret} after up #2: ${old.status}`);
        await keepsWorking(
            oldToken,
            "the token Argo CD's cluster Secret holds was revoked: Argo CD has lost the cluster",
        );
    });

    it("4b. nor does an up with --continue-on-error (docs/operations.md recommends it when a target is down)", async () => {
        const run = await world.pulumi("up", "--continue-on-error");
        console.log(`--- up --continue-on-error during the denial: exit ${run.code}\n${engineLines(run)}`);
        assert.notEqual(run.code, 0, "up must fail while the cluster Secret cannot be written");
        assert.equal(await world.bearerToken(world.a), oldToken, "Argo CD still holds the old token");
        const old = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`);
        console.log(`--- old token Secret ${oldTokenSecret} after up --continue-on-error: ${old.status}`);
        await keepsWorking(
            oldToken,
            "the token Argo CD's cluster Secret holds was revoked: Argo CD has lost the cluster",
        );
    });

    it("5. once writes are allowed again, up switches Argo CD to the new token and revokes the old one", async () => {
        await allowClusterSecretWrites();
        const run = await world.pulumi("up");
        console.log(`--- up after the denial: exit ${run.code}\n${engineLines(run)}`);
        assert.equal(run.code, 0, run.output.slice(-4000));
        const newToken = await world.bearerToken(world.a);
        assert.notEqual(newToken, oldToken);
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.a))!), "default"),
            [201, 200],
            "the new token works",
        );
        await eventually(() => statusWith(oldToken), 401, "the old token must be revoked");
        const gone = await world.a.admin("GET", `/api/v1/namespaces/kube-system/secrets/${oldTokenSecret}`);
        assert.equal(gone.status, 404, "the old token Secret is deleted");
        // Exactly one token Secret is left for the account.
        const owned = Object.keys(await world.ownedObjects(world.a)).filter((k) => k.startsWith("/api/v1/secrets/"));
        assert.equal(owned.length, 1, `exactly one token Secret, got ${owned}`);
        await world.succeed("preview", "--expect-no-changes");
    });

    it("6. an up with --exclude on the cluster Secret rotates the token but keeps the one Argo CD holds", async () => {
        await rememberHeld();
        writeAlpha("3", { kind: "secret" });
        await upExcludingClusterSecret();
    });

    it("7. the next plain up switches Argo CD and only then revokes it", async () => {
        await upSwitchesAndRevokes();
        const owned = Object.keys(await world.ownedObjects(world.a)).filter((k) => k.startsWith("/api/v1/secrets/"));
        assert.equal(owned.length, 1, `exactly one token Secret, got ${owned}`);
    });

    it("8. a change to kind bound with --exclude on the cluster Secret keeps the token Secret Argo CD holds", async () => {
        await rememberHeld();
        writeAlpha("3", BOUND);
        await upExcludingClusterSecret();
    });

    it("9. the next plain up switches Argo CD to the bound token and revokes the token Secret", async () => {
        await upSwitchesAndRevokes();
    });

    it("10. a bound renewal with --exclude on the cluster Secret keeps the bound object Argo CD's token is bound to", async () => {
        await rememberHeld();
        writeAlpha("4", BOUND);
        await upExcludingClusterSecret();
    });

    it("11. the next plain up switches Argo CD and revokes the old bound token", async () => {
        await upSwitchesAndRevokes();
    });

    it("12. after pulumi stack rename, the first up's rotation still revokes the stack's old token", async () => {
        writeAlpha("4", { kind: "secret" });
        await world.succeed("up");
        await rememberHeld();
        const rename = await world.pulumi("stack", "rename", "renamed");
        assert.equal(rename.code, 0, rename.output.slice(-4000));
        world = world.otherStack("renamed");
        writeAlpha("5", { kind: "secret" });
        const run = await world.pulumi("up");
        console.log(
            `--- first up after the rename: exit ${run.code}, changes ${JSON.stringify(run.result)}\n${engineLines(run)}`,
        );
        assert.equal(run.code, 0, run.output.slice(-4000));
        assert.notEqual(await world.bearerToken(world.a), held, "Argo CD holds the new token");
        await eventually(
            () => statusWith(held),
            401,
            "the renamed stack's superseded token must be revoked: it is still the stack's own",
        );
        assert.equal(await targetSecretStatus(heldObject), 404, `${heldObject} is deleted`);
    });

    it("13. the first up after a rename that changes no token replaces and deletes nothing, and keeps the token", async () => {
        await rememberHeld();
        const rename = await world.pulumi("stack", "rename", "renamed-again");
        assert.equal(rename.code, 0, rename.output.slice(-4000));
        world = world.otherStack("renamed-again");
        writeAlpha("5", { kind: "secret" });
        const run = await world.pulumi("up");
        console.log(
            `--- plain up after the second rename: changes ${JSON.stringify(run.result)}\n${run.output
                .split("\n")
                .filter((l) => /discard|delet|replac|creat|pulumi:Stack/i.test(l))
                .join("\n")}`,
        );
        assert.equal(run.code, 0, run.output.slice(-4000));
        // Updates only (the marks and the environment label), and one discard: the read of the stack's own last
        // outputs (components/removalGuard.ts lastUp), a StackReference named after the stack, is made anew under
        // the new name and the old read dropped from the state.
        assert.deepEqual(
            { ...run.result, same: undefined, update: undefined },
            { discard: 1, same: undefined, update: undefined },
        );
        assert.equal(await world.bearerToken(world.a), held, "Argo CD keeps its token");
        await keepsWorking(held, "the token Argo CD holds stopped working after a rename");
        assert.equal(await targetSecretStatus(heldObject), 200);
        await world.succeed("preview", "--expect-no-changes");
    });
});
