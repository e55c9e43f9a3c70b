import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    type ApplicationRef,
    applicationsInUse,
    mergeRegistrations,
    removedRegistrations,
} from "../../../components/removalGuard";
import type { ClusterSettings } from "../../../stack/settings";
import { clusterSpec, type SpecOptions } from "../../support/fixtures";

/** A validated entry (every default filled) at `server`, reached through the context of its own name. */
function entry(name: string, server: string, extra: SpecOptions = {}): ClusterSettings {
    return clusterSpec({ name, server, context: name, ...extra });
}

function app(name: string, destination: ApplicationRef["destination"]): ApplicationRef {
    return { namespace: "argocd", name, destination };
}

const PROD = "https://api.prod:6443";
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
        assert.deepEqual(
            applicationsInUse(removed, apps, [entry("prod", PROD)]).map((a) => a.name),
            ["by-server", "by-server-slash", "by-name"],
        );
    });

    it("lets Applications follow a registration that keeps its name or its server", () => {
        const apps = [app("by-server", { server: STAGE }), app("by-name", { name: "stage" })];
        const removed = { name: "stage", server: STAGE };
        // New server, same name: Applications using the name keep working, those using the old URL do not.
        assert.deepEqual(
            applicationsInUse(removed, apps, [entry("stage", "https://new.stage:6443")]).map((a) => a.name),
            ["by-server"],
        );
        // Renamed, same server: the other way round.
        assert.deepEqual(
            applicationsInUse(removed, apps, [entry("staging", STAGE)]).map((a) => a.name),
            ["by-name"],
        );
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
