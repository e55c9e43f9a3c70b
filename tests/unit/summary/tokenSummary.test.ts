/**
 * The registration summary's token lines (summary/tokenLines.ts) from fixture previews carrying the token kinds'
 * annotations (issue 12): which tokens this run renews or rotates, when the new and the old one expire or the
 * next rotation comes, a kind that makes the token long-lived, and nothing for a token left alone.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parsePreview, summarizePreview } from "../../../summary/summary";
import { tokenLines } from "../../../summary/tokenLines";

const SUMMARY = path.resolve(__dirname, "..", "..", "..", "..", "tests", "fixtures", "summary");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
type Obj = Record<string, any>;

const fixture = (name: string): Obj => JSON.parse(fs.readFileSync(path.join(SUMMARY, name), "utf8"));
const summarize = (digest: Obj) => summarizePreview(parsePreview(JSON.stringify(digest)), {});
/** The cluster Secret's step of a fixture. */
const secretStep = (digest: Obj): Obj => digest.steps.find((s: Obj) => s.urn.endsWith("-cluster-secret"));

describe("the registration summary's token lines", () => {
    it("a bound token renewed by this run: the new one's expiry comes with up, the old one's is shown", () => {
        const out = summarize(fixture("renew-bound-token.json"));
        assert.equal(
            out,
            [
                "**staging**: 1 cluster changed",
                "",
                "Changed:",
                "- `staging` (`https://api.cluster.staging:6443`)",
                "  - token renewed (bound): the new token expires one lifetime after `up` issues it; " +
                    "the old one is revoked once Argo CD holds the new one (its bound object is deleted), and expires at `2026-12-08T03:17:00Z` at the latest",
                "",
            ].join("\n"),
        );
        assert.doesNotMatch(out, /🛑|cluster Secret changes/, "the renewal explains the Secret's change");
        // The bound parts' replacements are the renewal itself: no secret-kind rotation, no unexplained objects.
        assert.doesNotMatch(out, /rotated|rotateEvery|bound-token|BoundToken/);
    });

    it("bound parts replaced without a renewal on the cluster Secret still show, as unexplained changes", () => {
        const digest = fixture("renew-bound-token.json");
        const annotations = secretStep(digest).newState.inputs.metadata.annotations;
        Object.assign(annotations, secretStep(digest).oldState.inputs.metadata.annotations);
        const out = summarize(digest);
        assert.doesNotMatch(out, /token renewed|rotated/);
        assert.match(out, /^ {2}- Secret `cluster-api\.cluster\.staging-2867269650-bound-token-object`: replace/m);
        assert.match(out, /^ {2}- BoundToken `cluster-api\.cluster\.staging-2867269650-bound-token`: replace/m);
    });

    it("a new expiry already known (a readable preview) is shown with its renewal time", () => {
        const digest = fixture("renew-bound-token.json");
        Object.assign(secretStep(digest).newState.inputs.metadata.annotations, {
            "argocd-clusters/token-expires-at": "2027-01-07T03:17:00Z",
            "argocd-clusters/token-renews-at": "2026-12-31T03:17:00Z",
        });
        assert.match(
            summarize(digest),
            /^ {2}- token renewed \(bound\): the new token expires `2027-01-07T03:17:00Z`, renewed from `2026-12-31T03:17:00Z`; the old one .* `2026-12-08T03:17:00Z` at the latest$/m,
        );
    });

    it("other annotation changes still show next to a renewal", () => {
        const digest = fixture("renew-bound-token.json");
        secretStep(digest).detailedDiff['metadata.annotations["team"]'] = { inputDiff: true, kind: "add" };
        assert.match(summarize(digest), /cluster Secret changes: annotations/);
    });

    it("the field manager's annotation an upgrade adds is said once, next to a renewal, and is no unexplained change", () => {
        const digest = fixture("renew-bound-token.json");
        secretStep(digest).detailedDiff['metadata.annotations["pulumi.com/patchFieldManager"]'] = {
            inputDiff: true,
            kind: "add",
        };
        const out = summarize(digest);
        assert.match(out, /^ {2}- names the field manager it is applied under \(`pulumi\.com\/patchFieldManager`\)$/m);
        assert.doesNotMatch(out, /cluster Secret changes/);
    });

    it("bound → secret: the kind change is listed and warned about, as the token becomes long-lived", () => {
        const digest = fixture("renew-bound-token.json");
        Object.assign(secretStep(digest).newState.inputs.metadata.annotations, {
            "argocd-clusters/token-kind": "secret",
            "argocd-clusters/token-rotates-at": "2027-01-07T03:17:00Z",
        });
        for (const key of ["argocd-clusters/token-expires-at", "argocd-clusters/token-renews-at"])
            delete secretStep(digest).newState.inputs.metadata.annotations[key];
        const out = summarize(digest);
        assert.match(out, /^ {2}- token kind: `bound` → `secret`$/m);
        assert.match(
            out,
            /^- ⚠️ `staging`'s token becomes long-lived \(kind bound → secret\): a stolen token then works until it is rotated or its ServiceAccount deleted$/m,
        );
    });

    it("a scheduled secret-kind rotation says when the next one comes", () => {
        const digest = fixture("rotate-token.json");
        secretStep(digest).newState.inputs.metadata.annotations["argocd-clusters/token-rotates-at"] =
            "2027-01-01T00:00:00Z";
        assert.match(
            summarize(digest),
            /^ {2}- token rotated \(tokenRotation `2026-11` → `2026-12`\)\n {2}- next token rotation from `2027-01-01T00:00:00Z`$/m,
        );
    });

    it("rotateEvery newly set: the first up rotates, and the summary says why", () => {
        const digest = fixture("rotate-token.json");
        const suffix = digest.steps.find((s: Obj) => s.urn.endsWith("-token-suffix"));
        suffix.oldState.inputs.keepers = { tokenRotation: "2026-12" };
        suffix.oldState.outputs.keepers = { tokenRotation: "2026-12" };
        suffix.newState.inputs.keepers = { tokenRotation: "2026-12", issuedAt: "2026-12-01T09:00:00Z" };
        suffix.detailedDiff = { "keepers.issuedAt": { inputDiff: false, kind: "add-replace" } };
        secretStep(digest).newState.inputs.metadata.annotations["argocd-clusters/token-rotates-at"] =
            "2026-12-31T09:00:00Z";
        assert.match(
            summarize(digest),
            /^ {2}- token rotated \(rotateEvery newly set: the current token's age is unknown, so the schedule starts with a new one\)\n {2}- next token rotation from `2026-12-31T09:00:00Z`$/m,
        );
    });

    it("rotateEvery removed: the rotation says so", () => {
        const digest = fixture("rotate-token.json");
        const suffix = digest.steps.find((s: Obj) => s.urn.endsWith("-token-suffix"));
        suffix.oldState.inputs.keepers = { tokenRotation: "2026-12", issuedAt: "2026-11-01T09:00:00Z" };
        suffix.newState.inputs.keepers = { tokenRotation: "2026-12" };
        assert.match(
            summarize(digest),
            /^ {2}- token rotated \(rotateEvery removed: the token issued `2026-11-01T09:00:00Z` is replaced by one without a schedule\)$/m,
        );
    });

    it("an added cluster with a bound token", () => {
        const digest = fixture("add-cluster.json");
        secretStep(digest).newState.inputs.metadata.annotations = {
            "argocd-clusters/stack": "argocd-clusters/staging",
            "argocd-clusters/token-kind": "bound",
            "argocd-clusters/token-expires-at": UNKNOWN,
            "argocd-clusters/token-renews-at": UNKNOWN,
        };
        assert.match(
            summarize(digest),
            /: rights: cluster-wide full; token: bound, expires one lifetime after `up` issues it; TLS/,
        );
    });
});

describe("tokenLines on single steps", () => {
    const step = (oldAnnotations: Obj | undefined, newAnnotations: Obj) =>
        ({
            change: "update",
            urn: "u",
            type: "kubernetes:core/v1:Secret",
            name: "n",
            old: oldAnnotations && { inputs: { metadata: { annotations: oldAnnotations } } },
            new: { inputs: { metadata: { annotations: newAnnotations } } },
            keys: [],
        }) as any;
    const bound = {
        "argocd-clusters/token-kind": "bound",
        "argocd-clusters/token-expires-at": "2026-12-08T03:17:00Z",
        "argocd-clusters/token-renews-at": "2026-12-01T03:17:00Z",
    };

    it("a bound token outside its window (same expiry) is not renewed and adds no line", () => {
        const lines = tokenLines("changed", step(bound, { ...bound }), "`a`");
        assert.deepEqual(lines, { details: [], warnings: [], renewed: false });
    });

    it("a removed registration, or one from before token kinds, adds nothing", () => {
        assert.deepEqual(tokenLines("removed", step(bound, {}), "`a`").details, []);
        assert.deepEqual(tokenLines("changed", step({}, {}), "`a`"), { details: [], warnings: [], renewed: false });
    });

    it("secret → bound is listed as a renewal without a warning (the token becomes short-lived)", () => {
        const lines = tokenLines("changed", step({ "argocd-clusters/token-kind": "secret" }, bound), "`a`");
        assert.deepEqual(lines.warnings, []);
        assert.equal(lines.renewed, true);
        assert.deepEqual(lines.details, [
            "token kind: `secret` → `bound`",
            "token renewed (bound): the new token expires `2026-12-08T03:17:00Z`, renewed from `2026-12-01T03:17:00Z`",
        ]);
    });
});
