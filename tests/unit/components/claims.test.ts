import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterSecretName } from "../../../argocd/clusterSecret";
import { type Claim, claimProblems, type LiveClusterSecret } from "../../../components/claims";
import { recordedBy } from "../../../components/identity";
import type { Owner } from "../../../components/ownership";

const EU = "argocd-clusters/production-eu";
const US = "argocd-clusters/production-us";
const A = "https://api.a.example:6443";
const B = "https://api.b.example:6443";
/** This deployment's identity, and another deployment's. */
const OURS = "11111111111111111111111111111111";
const THEIRS = "22222222222222222222222222222222";

/** Stack production-us with identity OURS; `recorded`: servers whose registrations its last up recorded. */
function us(recorded: string[] = []): Owner {
    return { stack: US, id: OURS, recorded: recordedBy(recorded.map((server) => ({ name: "x", server }))) };
}

function claim(name: string, server: string, more: Partial<Claim> = {}): Claim {
    return { name, server, adopt: false, retire: false, secretName: clusterSecretName(server), ...more };
}

/**
 * A cluster Secret as a deployment wrote it for `server`: of `stack` (undefined: no stack made it) with the
 * identity `ownerId` (null: written before identities; by default ours for US, another's for other stacks).
 */
function secret(
    name: string,
    server: string,
    stack: string | undefined,
    secretName = clusterSecretName(server),
    ownerId: string | null = stack === US ? OURS : stack === undefined ? null : THEIRS,
) {
    return { secretName, stack, ownerId: ownerId ?? undefined, server, name } satisfies LiveClusterSecret;
}

describe("a deployment's own cluster Secrets are proven by its identity, never by its stack name", () => {
    it("refuses the Secret another deployment wrote under the same stack name (another backend or organisation)", () => {
        const live = [secret("alpha", A, US, clusterSecretName(A), THEIRS)];
        const [problem, ...rest] = claimProblems([claim("alpha", A)], live, us(), "argocd");
        assert.deepEqual(rest, []);
        assert.equal(problem.path, "argocd-clusters:clusters[0].server");
        assert.match(
            problem.message,
            new RegExp(`another deployment \\(argocd-clusters/owner: ${THEIRS}, stack ${US}\\)`),
        );
    });

    it("a Secret from before identities is ours only when our last up recorded it, and never one no stack made", () => {
        const legacy = secret("alpha", A, US, clusterSecretName(A), null);
        assert.equal(claimProblems([claim("alpha", A)], [legacy], us(), "argocd").length, 1, "unrecorded: refused");
        assert.deepEqual(claimProblems([claim("alpha", A)], [legacy], us([A]), "argocd"), []);
        const cli = secret("alpha", A, undefined, clusterSecretName(A), null);
        assert.equal(claimProblems([claim("alpha", A)], [cli], us([A]), "argocd").length, 1, "the CLI's");
    });
});

describe("stacks sharing one Argo CD claim each cluster once", () => {
    it("a stack's own Secrets, and other stacks' other clusters, are no claim", () => {
        const live = [secret("alpha", A, US), secret("beta", B, EU)];
        assert.deepEqual(claimProblems([claim("alpha", A)], live, us(), "argocd"), []);
    });

    it("refuses the server another stack registers, naming that stack, the entry and the fix", () => {
        const [problem, ...rest] = claimProblems(
            [claim("beta", B), claim("alpha-us", A)],
            [secret("alpha", A, EU)],
            us(),
            "argocd",
        );
        assert.deepEqual(rest, []);
        assert.equal(problem.path, "argocd-clusters:clusters[1].server");
        assert.match(
            problem.message,
            new RegExp(
                `cluster Secret argocd/${clusterSecretName(A)}, which belongs to another deployment \\(argocd-clusters/owner: ${THEIRS}, stack ${EU}\\)`,
            ),
        );
        assert.match(problem.fix, /remove it from stack argocd-clusters\/production-eu/);
    });

    it("a renamed stack's Secrets, still marked with its old name, are its own by identity, or recorded by its last up", () => {
        const before = secret("alpha", A, "argocd-clusters/production-old", clusterSecretName(A), null);
        assert.equal(claimProblems([claim("alpha", A)], [before], us(), "argocd").length, 1, "unrecorded: refused");
        assert.deepEqual(claimProblems([claim("alpha", A)], [before], us([A]), "argocd"), []);
        const since = secret("alpha", A, "argocd-clusters/production-old", clusterSecretName(A), OURS);
        assert.deepEqual(claimProblems([claim("alpha", A)], [since], us(), "argocd"), []);
    });

    it("refuses another stack's API server in another spelling (letter case, :443, a trailing slash), as validation does within one stack", () => {
        const first = "https://api.example";
        const live = [secret("alpha", first, EU)];
        for (const server of ["https://API.example:443/", "https://api.example:443", "https://Api.Example/"]) {
            const [problem, ...rest] = claimProblems([claim("alpha-us", server)], live, us(), "argocd");
            assert.deepEqual(rest, [], server);
            assert.equal(problem?.path, "argocd-clusters:clusters[0].server", server);
            assert.match(problem.message, /Argo CD would hold two Secrets for one API server/, server);
        }
        assert.deepEqual(claimProblems([claim("other", "https://api.example:6443")], live, us(), "argocd"), []);
        // The CLI's registration in another spelling: adopt covers it once the entry spells the server as it does.
        const [cli] = claimProblems(
            [claim("alpha", "https://API.example")],
            [secret("x", first, undefined)],
            us(),
            "argocd",
        );
        assert.match(
            cli.fix,
            /write this entry's server as that Secret does \(https:\/\/api\.example\) and set adopt: true/,
        );
    });

    it("refuses a Secret no stack made (argocd cluster add) unless the entry adopts it", () => {
        const live = [secret("alpha", A, undefined)];
        const [problem] = claimProblems([claim("alpha", A)], live, us(), "argocd");
        assert.equal(problem.path, "argocd-clusters:clusters[0]");
        assert.match(problem.message, /not made by a stack \(argocd cluster add\?\)/);
        assert.match(problem.fix, /adopt: true/);
        assert.deepEqual(claimProblems([claim("alpha", A, { adopt: true })], live, us(), "argocd"), []);
    });

    it("leaves adopting another stack's Secret to the adoption check, which reports it at the adopt key", () => {
        assert.deepEqual(
            claimProblems([claim("alpha", A, { adopt: true })], [secret("alpha", A, EU)], us(), "argocd"),
            [],
        );
    });

    it("refuses a server that another Secret name holds, trailing slash or not, even with adopt", () => {
        for (const [server, stack] of [
            [`${A}/`, undefined],
            [A, EU],
        ] as const) {
            const live = [secret("by-hand", server, stack, "by-hand")];
            const problems = claimProblems([claim("alpha", A, { adopt: true })], live, us(), "argocd");
            assert.equal(problems.length, 1, JSON.stringify(problems));
            assert.equal(problems[0].path, "argocd-clusters:clusters[0].server");
            assert.match(
                problems[0].message,
                /cluster Secret argocd\/by-hand .*two Secrets for one API server and use either$/,
            );
        }
    });

    it("refuses an Argo CD name that another stack's or the CLI's Secret holds for another server", () => {
        for (const stack of [EU, undefined]) {
            const [problem, ...rest] = claimProblems([claim("alpha", B)], [secret("alpha", A, stack)], us(), "argocd");
            assert.deepEqual(rest, []);
            assert.equal(problem.path, "argocd-clusters:clusters[0].name");
            assert.match(problem.message, /Argo CD name "alpha" is already the cluster Secret .* for https:\/\/api\.a/);
            assert.match(problem.message, /two clusters with the same name/);
        }
    });

    it("lists every problem at once, and none for a retired entry", () => {
        const live = [secret("alpha", A, EU), secret("beta", B, undefined)];
        const problems = claimProblems(
            [claim("alpha", A), claim("beta", B), claim("gone", A, { retire: true })],
            live,
            us(),
            "argocd",
        );
        assert.deepEqual(
            problems.map((p) => p.path),
            ["argocd-clusters:clusters[0].server", "argocd-clusters:clusters[1]"],
        );
    });
});
