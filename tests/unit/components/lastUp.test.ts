import { installMocks } from "../../support/mocks";

const mocks = installMocks();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lastUp } from "../../../components/removalGuard";

describe("lastUp: what the last up of this stack recorded", () => {
    it("reads back each registration's field managers, and takes anything else for none recorded", async () => {
        mocks.lastOutputs = {
            registrations: {
                alpha: {
                    server: "https://a.example:6443",
                    fieldManagers: {
                        serviceAccount: "pulumi-kubernetes-d807a898",
                        "role/apps": "pulumi-kubernetes-0badcafe",
                    },
                },
                beta: { server: "https://b.example:6443", fieldManagers: { serviceAccount: 7 } },
                gamma: { server: "https://c.example:6443" },
            },
        };
        const byName = Object.fromEntries((await lastUp()).registrations.map((r) => [r.name, r.fieldManagers]));
        assert.deepEqual(byName, {
            alpha: { serviceAccount: "pulumi-kubernetes-d807a898", "role/apps": "pulumi-kubernetes-0badcafe" },
            // Not names: read again from the objects, as for a record of an earlier release.
            beta: undefined,
            gamma: undefined,
        });
    });
});
