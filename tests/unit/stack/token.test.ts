/** `token` and `argocd-clusters:token`: every problem with its exact message, and what an entry ends up with. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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

const HOURS_FIX = "give a duration in hours as Go writes it, e.g. 720h (30 days) or 168h (7 days)";

describe("token: accepted", () => {
    it("no token anywhere is today's behaviour: a secret token without automatic rotation", () => {
        assert.deepEqual(validate([entry()]).settings?.clusters[0].token, { kind: "secret" });
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
    it("kind: bound is not built yet", () => {
        assert.deepEqual(problems([entry({ token: { kind: "bound", lifetime: "720h" } })]), [
            [
                "argocd-clusters:clusters[0].token.lifetime",
                "is not a known key",
                "remove it; known keys: kind, rotateEvery",
            ],
            [
                "argocd-clusters:clusters[0].token.kind",
                "is bound: time-bound tokens from the TokenRequest API are not supported yet",
                "use kind: secret with rotateEvery (e.g. 720h) for now",
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
                [
                    "argocd-clusters:clusters[0].token.kind",
                    "is required",
                    "write kind: secret (a token Secret, rotated with rotateEvery)",
                ],
                ["argocd-clusters:clusters[0].token.rotateEvery", '"30d" is not a duration', HOURS_FIX],
                [
                    "argocd-clusters:clusters[1].token.kind",
                    'is "jwt", not one of secret, bound',
                    "write kind: secret (a token Secret, rotated with rotateEvery)",
                ],
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
                "write e.g. {kind: secret, rotateEvery: 720h}, or remove the key for no automatic rotation",
            ],
            [
                "argocd-clusters:clusters[0].token",
                NULL,
                "write e.g. {kind: secret, rotateEvery: 720h}, or remove the key for argocd-clusters:token's default",
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
