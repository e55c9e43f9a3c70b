/**
 * The bound token's TokenRequest (components/boundToken.ts) against a loopback API server that issues what a
 * real one does, including less than asked: kube-apiserver caps expirationSeconds at its
 * --service-account-max-token-expiration.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { issue, issuedLifetimeProblem, type TokenInputs } from "../../../components/boundToken";
import { type FakeApi, fakeApi } from "../../support/fakeApi";

const HOUR = 3_600;
const TOKEN_PATH = "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager/token";

/** An unsigned JWT with `claims`: the program reads claims, the API server checks signatures. */
function jwt(claims: Record<string, unknown>): string {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${part({ alg: "RS256" })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** A target whose API server issues tokens for at most `maxSeconds` (0: as asked). */
async function target(maxSeconds: number): Promise<FakeApi> {
    return fakeApi("the-admin-token-0123456789", new Set(), {
        routes: {
            [`POST ${TOKEN_PATH}`]: (body) => {
                const asked = JSON.parse(body).spec.expirationSeconds as number;
                const seconds = maxSeconds > 0 ? Math.min(asked, maxSeconds) : asked;
                const iat = Math.floor(Date.now() / 1000);
                const exp = iat + seconds;
                return {
                    status: 201,
                    body: {
                        kind: "TokenRequest",
                        spec: { expirationSeconds: seconds },
                        status: {
                            token: jwt({ iat, exp, sub: "system:serviceaccount:kube-system:argocd-manager" }),
                            expirationTimestamp: new Date(exp * 1000).toISOString().replace(".000Z", "Z"),
                        },
                    },
                };
            },
        },
    });
}

describe("a bound token's lifetime as the target issues it", () => {
    const servers: FakeApi[] = [];
    after(async () => {
        for (const s of servers) await s.close();
    });

    async function request(maxSeconds: number, lifetimeHours: number, renewBeforeHours: number) {
        const api = await target(maxSeconds);
        servers.push(api);
        const inputs: TokenInputs = {
            connection: {
                server: api.server,
                ca: Buffer.from(api.caData, "base64").toString("utf8"),
                authorization: `Bearer ${api.token}`,
                insecure: false,
            },
            namespace: "kube-system",
            serviceAccount: "argocd-manager",
            boundObjectName: "argocd-manager-bound-0a1b2c3d",
            boundObjectUid: "6f0c2a3e-0000-4000-8000-000000000001",
            lifetimeSeconds: lifetimeHours * HOUR,
            renewBeforeSeconds: renewBeforeHours * HOUR,
            clusterName: "gamma",
        };
        return issue(inputs);
    }

    it("as asked: the token and its expiry, lifetime from now", async () => {
        const before = Date.now();
        const outs = await request(0, 720, 168);
        const expires = Date.parse(outs.expiresAt);
        assert.ok(Math.abs(expires - before - 720 * HOUR * 1000) < 5_000, outs.expiresAt);
    });

    it("capped above renewBefore: accepted, renewed from expiry minus renewBefore", async () => {
        const outs = await request(48 * HOUR, 720, 24);
        assert.ok(Math.abs(Date.parse(outs.expiresAt) - Date.now() - 48 * HOUR * 1000) < 5_000, outs.expiresAt);
    });

    it("capped at or below renewBefore: refused, so no renewal time already past is recorded", async () => {
        for (const [max, renewBefore] of [
            [24 * HOUR, 168],
            [24 * HOUR, 24],
        ]) {
            await assert.rejects(
                () => request(max, 720, renewBefore),
                (err: Error) => {
                    assert.match(
                        err.message,
                        new RegExp(
                            `^cluster "gamma": the target issued the bound token of kube-system/argocd-manager for 24h, ` +
                                `not the 720h asked \\(its --service-account-max-token-expiration\\), and that is not ` +
                                `more than renewBefore ${renewBefore}h`,
                        ),
                    );
                    assert.match(err.message, /Argo CD's cluster Secret was not written/);
                    assert.match(
                        err.message,
                        /fix: set token\.lifetime to at most 24h and token\.renewBefore well below it .*or raise the target's --service-account-max-token-expiration/,
                    );
                    assert.doesNotMatch(err.message, /eyJ/, "no token in the message");
                    return true;
                },
            );
        }
    });
});

describe("the decision on an issued lifetime", () => {
    const base = {
        clusterName: "gamma",
        namespace: "kube-system",
        serviceAccount: "argocd-manager",
        lifetimeSeconds: 720 * HOUR,
        renewBeforeSeconds: 168 * HOUR,
        issuedAt: 1_800_000_000,
    };

    it("refuses a token that lives renewBefore or less, and takes one that lives a second longer", () => {
        assert.match(
            issuedLifetimeProblem({ ...base, expiresAt: base.issuedAt + 168 * HOUR }) ?? "",
            /for 168h, not the 720h asked .*not more than renewBefore 168h/,
        );
        assert.match(
            issuedLifetimeProblem({ ...base, expiresAt: base.issuedAt + HOUR + 30 * 60 + 5 }) ?? "",
            /for 1h30m5s, not the 720h asked/,
        );
        assert.equal(issuedLifetimeProblem({ ...base, expiresAt: base.issuedAt + 168 * HOUR + 1 }), undefined);
        assert.equal(issuedLifetimeProblem({ ...base, expiresAt: base.issuedAt + 720 * HOUR }), undefined);
    });
});
