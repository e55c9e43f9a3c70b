import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { FULL_CLUSTER_RULES } from "../../../argocd/names";
import { checkConnection, describeAccess, expectedAccess } from "../../../components/connectionCheck";
import { type AccessReviewBehaviour, type FakeApi, fakeApi } from "../../support/fakeApi";

describe("the rights a registration's check asks the API server about", () => {
    it("are every verb, group and resource of each rule, in each scope", () => {
        const checks = expectedAccess(
            [{ apiGroups: ["", "apps"], resources: ["configmaps", "deployments/scale"], verbs: ["get", "list"] }],
            ["shop", "payments"],
        );
        assert.equal(checks.length, 2 * 2 * 2 * 2);
        assert.deepEqual(checks[0], {
            verb: "get",
            namespace: "shop",
            group: "",
            resource: "configmaps",
            subresource: undefined,
            name: undefined,
        });
        assert.ok(
            checks.some(
                (c) =>
                    c.group === "apps" &&
                    c.resource === "deployments" &&
                    c.subresource === "scale" &&
                    c.namespace === "payments",
            ),
        );
    });

    it("ask for wildcards as wildcards, and for URLs cluster-wide", () => {
        const checks = expectedAccess(FULL_CLUSTER_RULES, [undefined]);
        assert.deepEqual(checks.map(describeAccess), ["* *.* cluster-wide", "* *"]);
    });

    it("name the first resource name of a rule that lists some, and stay bounded", () => {
        const [check] = expectedAccess(
            [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["app-config", "other"], verbs: ["get"] }],
            [undefined],
        );
        assert.equal(describeAccess(check), "get configmaps app-config cluster-wide");
        const many = expectedAccess(
            [
                {
                    apiGroups: [""],
                    resources: Array.from({ length: 100 }, (_, i) => `r${i}`),
                    verbs: ["get", "list", "watch"],
                },
            ],
            ["a", "b"],
        );
        assert.equal(many.length, 200);
    });
});

describe("a check that the API server stops answering after /version", () => {
    const token = "the-token-of-the-registration-0123456789";
    const servers: FakeApi[] = [];
    after(async () => {
        for (const api of servers) await api.close();
    });
    /** Short limits, so a stall is seen in a second instead of the product's 15 s and 120 s. */
    const limits = { requestMs: 500, deadlineMs: 2_000 };
    const expected = expectedAccess(
        [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
        ["shop"],
    );

    async function check(accessReviews: AccessReviewBehaviour) {
        const api = await fakeApi(token, new Set(), { accessReviews });
        servers.push(api);
        return checkConnection(
            { server: api.server, bearerToken: token, caData: api.caData, insecure: false },
            expected,
            limits,
        );
    }

    it("passes when the access reviews are answered (the stand-in works)", async () => {
        assert.deepEqual(await check("answer"), { outcome: "ok" });
    });

    // Once /version answered, the server is reachable from here: a check that cannot complete proves nothing,
    // and "unreachable" would let verify: auto write the Secret with a warning.
    for (const [behaviour, how] of [
        ["reset", /the connection was reset \(ECONNRESET\)/],
        ["stall", /no answer within 0\.5 s \(TIMEOUT\)/],
        ["trickle", /no complete answer within 2 s/],
    ] as const) {
        it(`fails, naming the access review, when the server ${behaviour}s it`, async () => {
            const result = await check(behaviour);
            assert.equal(result.outcome, "failed", JSON.stringify(result));
            assert.match(
                result.outcome === "failed" ? result.reason : "",
                /^the check could not complete: GET \/version answered, then the access review "get configmaps in namespace shop" (got|did not)/,
            );
            assert.match(result.outcome === "failed" ? result.reason : "", how);
            assert.match(result.outcome === "failed" ? result.fix : "", /rerun/);
        });
    }
});
