import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
    type ApplicationRef,
    applicationsInUse,
    mergeRegistrations,
    nameSuccessor,
    refuseRemovalsInUse,
    removedRegistrations,
} from "../../../components/removalGuard";
import type { ClusterSettings } from "../../../stack/settings";
import { ConfigurationError } from "../../../stack/settings";
import { type FakeKubeApi, fakeKubeApi } from "../../support/fakeKubeApi";
import { clusterSpec, type SpecOptions } from "../../support/fixtures";

/** A validated entry (every default filled) at `server`, reached through the context of its own name. */
function entry(name: string, server: string, extra: SpecOptions = {}): ClusterSettings {
    return clusterSpec({ name, server, context: name, ...extra });
}

function app(name: string, destination: ApplicationRef["destination"]): ApplicationRef {
    return { namespace: "argocd", name, destination };
}

const PROD = "https://api.prod:6443";
const OWNER = { stack: "argocd-clusters/production", id: "0123456789abcdef0123456789abcdef" };
const STAGE = "https://api.stage:6443";

describe("removal guard", () => {
    it("finds the recorded registrations that no current entry keeps with both name and server", () => {
        const recorded = [
            { name: "prod", server: PROD },
            { name: "stage", server: STAGE },
        ];
        assert.deepEqual(removedRegistrations(recorded, [entry("prod", PROD), entry("stage", STAGE)]), []);
        assert.deepEqual(removedRegistrations(recorded, [entry("prod", PROD)]), [{ name: "stage", server: STAGE }]);
        // Renamed, or moved to another server: the old pair is gone.
        assert.deepEqual(removedRegistrations(recorded, [entry("prod", PROD), entry("staging", STAGE)]), [
            { name: "stage", server: STAGE },
        ]);
        assert.deepEqual(
            removedRegistrations(recorded, [entry("prod", `${PROD}/`), entry("stage", STAGE)]),
            [],
            "a trailing slash is the same server",
        );
    });

    it("names the Applications that use a removed registration by server or by name", () => {
        const apps = [
            app("by-server", { server: STAGE }),
            app("by-server-slash", { server: `${STAGE}/` }),
            app("by-name", { name: "stage" }),
            app("elsewhere", { server: PROD }),
            app("in-cluster", { server: "https://kubernetes.default.svc" }),
        ];
        const removed = { name: "stage", server: STAGE };
        const inUse = applicationsInUse(removed, apps, [entry("prod", PROD)]);
        assert.deepEqual(
            inUse.byServer.map((a) => a.name),
            ["by-server", "by-server-slash"],
        );
        assert.deepEqual(
            inUse.byName.map((a) => a.name),
            ["by-name"],
        );
    });

    it("keeps Applications by server when the server stays; by name, the name must stay on that server", () => {
        const apps = [app("by-server", { server: STAGE }), app("by-name", { name: "stage" })];
        const removed = { name: "stage", server: STAGE };
        // New server, same name: the name now points to another cluster, the old URL to none.
        const moved = [entry("stage", "https://new.stage:6443")];
        assert.deepEqual(applicationsInUse(removed, apps, moved), { byServer: [apps[0]], byName: [apps[1]] });
        assert.equal(nameSuccessor(removed, moved), moved[0]);
        // Renamed, same server: only those that use the name lose it.
        const renamed = [entry("staging", STAGE)];
        assert.deepEqual(applicationsInUse(removed, apps, renamed), { byServer: [], byName: [apps[1]] });
        assert.equal(nameSuccessor(removed, renamed), undefined);
    });
});

describe("registrations the guard knows", () => {
    it("are the recorded ones and the live cluster Secrets', each once", () => {
        const recorded = [{ name: "prod", server: PROD }];
        const live = [
            { name: "prod", server: `${PROD}/` },
            { name: "stage", server: STAGE },
        ];
        assert.deepEqual(mergeRegistrations(recorded, live), [
            { name: "prod", server: PROD },
            { name: "stage", server: STAGE },
        ]);
    });
});

describe("the removal guard against the Argo CD cluster's Applications", () => {
    let api: FakeKubeApi;
    before(async () => {
        api = await fakeKubeApi();
    });
    after(() => api.close());

    function application(name: string, destination: Record<string, string>): void {
        api.put(`/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${name}`, {
            metadata: { name, namespace: "argocd" },
            spec: { destination },
        });
    }

    it("refuses a swap of two registrations' names while Applications deploy to them by name", async () => {
        application("shop-by-name", { name: "prod", namespace: "shop" });
        application("shop-by-server", { server: PROD, namespace: "shop" });
        const recorded = [
            { name: "prod", server: PROD },
            { name: "stage", server: STAGE },
        ];
        // Every name and every server is still there, but "prod" now points to the staging cluster.
        const swapped = [entry("stage", PROD), entry("prod", STAGE)];
        await assert.rejects(
            refuseRemovalsInUse(recorded, swapped, api.access, "argocd", "Pulumi.production.yaml", OWNER),
            (err: unknown) => {
                assert.ok(err instanceof ConfigurationError);
                assert.match(err.message, /"prod" \(https:\/\/api\.prod:6443\)[^\n]*argocd\/shop-by-name/);
                assert.match(
                    err.message,
                    /clusters\[1\]\.name: moving "prod" \(https:\/\/api\.prod:6443\) to https:\/\/api\.stage:6443 would send 1 Application/,
                );
                assert.match(err.message, /fix: [^\n]*nameMovedFrom: https:\/\/api\.prod:6443 on this entry/);
                assert.doesNotMatch(err.message, /shop-by-server/, "the server still points to the same cluster");
                return true;
            },
        );
        // The explicit opt-in names the server the name leaves: then the move goes ahead, with a warning.
        const acknowledged = [entry("stage", PROD), entry("prod", STAGE, { nameMovedFrom: PROD })];
        await refuseRemovalsInUse(recorded, acknowledged, api.access, "argocd", "Pulumi.production.yaml", OWNER);
        // One that names another server acknowledges nothing.
        const elsewhere = [entry("stage", PROD), entry("prod", STAGE, { nameMovedFrom: "https://api.other:6443" })];
        await assert.rejects(
            refuseRemovalsInUse(recorded, elsewhere, api.access, "argocd", "Pulumi.production.yaml", OWNER),
            /moving "prod"/,
        );
    });

    it("refuses a name given to a new server, as the name's Applications would follow it", async () => {
        // Applications of the previous test: shop-by-name deploys by the name "prod".
        const recorded = [{ name: "prod", server: PROD }];
        const moved = [entry("prod", "https://api.prod-2:6443")];
        await assert.rejects(
            refuseRemovalsInUse(recorded, moved, api.access, "argocd", "Pulumi.production.yaml", OWNER),
            (err: unknown) =>
                /moving "prod" \(https:\/\/api\.prod:6443\) to https:\/\/api\.prod-2:6443 [^\n]*argocd\/shop-by-name/.test(
                    String(err),
                ) && /removing "prod" [^\n]*argocd\/shop-by-server/.test(String(err)),
        );
    });
});
