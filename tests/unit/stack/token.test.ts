/** `token` and `argocd-clusters:token`: every problem with its exact message, and what an entry ends up with. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NEW_STACK_TOKEN } from "../../../components/tokenSchedule";
import { validateStack } from "../../../stack/validate";
import { SEPARATE_CLUSTERS } from "../../support/fixtures";

const entry = (extra: Record<string, unknown> = {}) => ({
    name: "prod",
    server: "https://api.prod:6443",
    context: "prod",
    ...extra,
});

function validate(clusters: unknown[], token?: unknown) {
    return validateStack(
        {
            argocd: { context: "hub" },
            clusters,
            token,
            projectKeys: [
                "argocd-clusters:argocd",
                "argocd-clusters:clusters",
                ...(token !== undefined ? ["argocd-clusters:token"] : []),
            ],
            secretKeys: [],
        },
        SEPARATE_CLUSTERS,
    );
}

const problems = (clusters: unknown[], token?: unknown) =>
    validate(clusters, token).problems.map((p) => [p.path, p.message, p.fix]);

const KIND_FIX =
    "write kind: bound (a TokenRequest token with lifetime and renewBefore) or kind: secret (a token Secret, rotated with rotateEvery)";
const HOURS_FIX = "give a duration in hours as Go writes it, e.g. 720h (30 days) or 168h (7 days)";

describe("token: accepted", () => {
    it("no token anywhere is today's behaviour: a secret token without automatic rotation", () => {
        assert.deepEqual(validate([entry()]).settings?.clusters[0].token, { kind: "secret" });
    });

    it("no token anywhere gets the default the program passes (bound for new stacks, tokenSchedule.ts)", () => {
        const raw = { argocd: { context: "hub" }, clusters: [entry()], projectKeys: [], secretKeys: [] };
        assert.deepEqual(validateStack(raw, SEPARATE_CLUSTERS, NEW_STACK_TOKEN).settings?.clusters[0].token, {
            kind: "bound",
            lifetime: { text: "720h", ms: 720 * 3_600_000 },
            renewBefore: { text: "168h", ms: 168 * 3_600_000 },
        });
    });

    it("kind: bound with lifetime and renewBefore, stack-wide or per entry", () => {
        const { settings, problems } = validate(
            [
                entry(),
                entry({
                    name: "dev",
                    server: "https://api.dev:6443",
                    context: "dev",
                    token: { kind: "bound", lifetime: "10m", renewBefore: "5m" },
                }),
            ],
            { kind: "bound", lifetime: "720h", renewBefore: "168h" },
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(
            settings?.clusters.map((c) => c.token),
            [
                {
                    kind: "bound",
                    lifetime: { text: "720h", ms: 720 * 3_600_000 },
                    renewBefore: { text: "168h", ms: 168 * 3_600_000 },
                },
                { kind: "bound", lifetime: { text: "10m", ms: 600_000 }, renewBefore: { text: "5m", ms: 300_000 } },
            ],
        );
    });

    it("the stack-wide default applies to every entry; an entry's own token replaces it whole", () => {
        const { settings, problems } = validate(
            [
                entry(),
                entry({
                    name: "dev",
                    server: "https://api.dev:6443",
                    context: "dev",
                    token: { kind: "secret" },
                }),
                entry({
                    name: "edge",
                    server: "https://api.edge:6443",
                    context: "edge",
                    token: { kind: "secret", rotateEvery: "168h" },
                }),
            ],
            { kind: "secret", rotateEvery: "720h" },
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(
            settings?.clusters.map((c) => c.token),
            [
                { kind: "secret", rotateEvery: { text: "720h", ms: 720 * 3_600_000 } },
                { kind: "secret" },
                { kind: "secret", rotateEvery: { text: "168h", ms: 168 * 3_600_000 } },
            ],
        );
    });
});

describe("token: refused, every problem at once", () => {
    it("bound: lifetime under 10m, renewBefore not under lifetime, keys of the other kind, all at once", () => {
        assert.deepEqual(
            problems(
                [
                    entry({ token: { kind: "bound", lifetime: "5m", renewBefore: "1h", rotateEvery: "720h" } }),
                    entry({
                        name: "dev",
                        server: "https://api.dev:6443",
                        context: "dev",
                        token: { kind: "bound", lifetime: "720h", renewBefore: "720h" },
                    }),
                    entry({
                        name: "edge",
                        server: "https://api.edge:6443",
                        context: "edge",
                        token: { kind: "secret", lifetime: "720h" },
                    }),
                ],
                { kind: "bound" },
            ),
            [
                [
                    "argocd-clusters:token.lifetime",
                    "is required for kind: bound",
                    "give the token's lifetime as Go writes durations, e.g. 720h (30 days)",
                ],
                [
                    "argocd-clusters:token.renewBefore",
                    "is required for kind: bound",
                    "give how long before expiry an up renews the token, as Go writes durations, e.g. 168h (7 days)",
                ],
                [
                    "argocd-clusters:clusters[0].token.rotateEvery",
                    "is set for a bound token, which renews before it expires instead",
                    "remove rotateEvery and set lifetime and renewBefore, or write kind: secret",
                ],
                [
                    "argocd-clusters:clusters[0].token.lifetime",
                    "is 5m, under the minimum of 10m",
                    "give at least 10m, the API server's minimum for a TokenRequest; e.g. 720h (30 days)",
                ],
                [
                    "argocd-clusters:clusters[1].token.renewBefore",
                    "is 720h, not shorter than lifetime 720h: every up would renew the token",
                    "make renewBefore a part of lifetime, e.g. lifetime: 720h with renewBefore: 168h",
                ],
                [
                    "argocd-clusters:clusters[2].token.lifetime",
                    "is set for a secret token, which has no expiry",
                    "remove it, or write kind: bound to get a time-bound token",
                ],
            ],
        );
    });

    it("bound: renewBefore longer than lifetime, and a lifetime of no whole seconds", () => {
        assert.deepEqual(problems([entry({ token: { kind: "bound", lifetime: "10m0.5s", renewBefore: "1h" } })]), [
            [
                "argocd-clusters:clusters[0].token.lifetime",
                "is 10m0.5s, not a whole number of seconds",
                "give whole seconds, e.g. 720h",
            ],
            [
                "argocd-clusters:clusters[0].token.renewBefore",
                "is 1h, not shorter than lifetime 10m0.5s: every up would renew the token",
                "make renewBefore a part of lifetime, e.g. lifetime: 720h with renewBefore: 168h",
            ],
        ]);
    });

    it("a rotateEvery longer than ten years is refused, not left to overflow the schedule's dates", () => {
        assert.deepEqual(problems([entry({ token: { kind: "secret", rotateEvery: "3000000000h" } })]), [
            [
                "argocd-clusters:clusters[0].token.rotateEvery",
                "is 3000000000h, over the maximum of 87600h (ten years)",
                "rotate at least every ten years, e.g. 720h (30 days); without rotateEvery a token is never rotated",
            ],
        ]);
    });

    it("a missing or unknown kind, and rotateEvery that is no duration, too short or without unit", () => {
        assert.deepEqual(
            problems(
                [
                    entry({ token: { rotateEvery: "30d" } }),
                    entry({
                        name: "dev",
                        server: "https://api.dev:6443",
                        context: "dev",
                        token: { kind: "jwt", rotateEvery: "30m" },
                    }),
                ],
                { kind: "secret", rotateEvery: 720 },
            ),
            [
                ["argocd-clusters:token.rotateEvery", "is the number 720, without a unit", HOURS_FIX],
                ["argocd-clusters:clusters[0].token.kind", "is required", KIND_FIX],
                ["argocd-clusters:clusters[0].token.rotateEvery", '"30d" is not a duration', HOURS_FIX],
                ["argocd-clusters:clusters[1].token.kind", 'is "jwt", not one of secret, bound', KIND_FIX],
                [
                    "argocd-clusters:clusters[1].token.rotateEvery",
                    "is 30m, under the minimum of 1h",
                    "rotate at most hourly, e.g. 720h (30 days); a token Secret is replaced at every due run",
                ],
            ],
        );
    });

    it("a key present without a value, at either level", () => {
        const NULL = "is empty (null): the key is present without a value, e.g. with every item commented out";
        assert.deepEqual(problems([entry({ token: null })], null), [
            [
                "argocd-clusters:token",
                NULL,
                "write e.g. {kind: bound, lifetime: 720h, renewBefore: 168h}, or remove the key for the stack's default",
            ],
            [
                "argocd-clusters:clusters[0].token",
                NULL,
                "write e.g. {kind: bound, lifetime: 720h, renewBefore: 168h}, or remove the key for argocd-clusters:token's default",
            ],
        ]);
        assert.deepEqual(problems([entry({ token: { kind: "secret", rotateEvery: null } })]), [
            [
                "argocd-clusters:clusters[0].token.rotateEvery",
                NULL,
                "give a duration, e.g. 720h, or remove the key for no automatic rotation",
            ],
        ]);
    });

    it("token as something other than an object", () => {
        assert.deepEqual(problems([entry({ token: "secret" })]), [
            [
                "argocd-clusters:clusters[0].token",
                'must be an object, got string "secret"',
                "write argocd-clusters:clusters[0].token as a YAML mapping",
            ],
        ]);
    });
});
