/**
 * The CI pipelines: GitHub workflows through actionlint, plus the properties neither actionlint nor GitLab
 * check for us in both systems: every stack file is previewed, deploys go through scripts/up in their own
 * environment, production waits for a person, and no step prints a credential.
 */

import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it, type TestContext } from "node:test";
import * as yaml from "js-yaml";
import { findTool } from "../../../dev/toolchain/toolchain";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

type Obj = Record<string, any>;
const load = (file: string): Obj => yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as Obj;

/** The stacks this repository defines: a pipeline that misses one would let its changes through unreviewed. */
const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && s !== "local")
    .sort();

/**
 * The stacks that deploy without approval: those every policy of policy/config.json lists in
 * `nonProductionStacks` (the policy pack relaxes a stack only where its policy's config says so).
 */
function nonProductionOf(root: string): string[] {
    const config: Obj = JSON.parse(fs.readFileSync(path.join(root, "policy", "config.json"), "utf8"));
    const lists = Object.values<Obj>(config).map((c) => (c.nonProductionStacks ?? []) as string[]);
    return lists.length === 0 ? [] : lists[0].filter((s) => lists.every((l) => l.includes(s)));
}
const NON_PRODUCTION = nonProductionOf(ROOT);

/** The name of a stack's secret or variable: `KUBECONFIG_PREVIEW_PRODUCTION_EU` for production-eu. */
const secretName = (prefix: string, stack: string) => `${prefix}_${stack.toUpperCase().replaceAll("-", "_")}`;

/** scripts/stacks, on this repository or on another root; fails the test unless it succeeds. */
function stacksScript(args: string[], root?: string): string {
    const run = spawnSync(path.join(ROOT, "scripts", "stacks"), [...(root ? ["--root", root] : []), ...args], {
        encoding: "utf8",
    });
    assert.equal(run.status, 0, `scripts/stacks ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
}

type MatrixEntry = { stack: string; "kubeconfig-secret": string };

/** The matrices cover `stacks`, split as `relaxed` says, each with its kubeconfig secret named after it. */
function assertMatrices(out: Record<string, MatrixEntry[]>, stacks: string[], relaxed: string[]): void {
    const names = (list: MatrixEntry[]) => list.map((m) => m.stack);
    assert.deepEqual(names(out.preview), stacks);
    assert.deepEqual(
        names(out["non-production"]),
        stacks.filter((s) => relaxed.includes(s)),
    );
    assert.deepEqual(
        names(out.production),
        stacks.filter((s) => !relaxed.includes(s)),
    );
    for (const m of out.preview) assert.equal(m["kubeconfig-secret"], secretName("KUBECONFIG_PREVIEW", m.stack));
    for (const m of [...out["non-production"], ...out.production])
        assert.equal(m["kubeconfig-secret"], secretName("KUBECONFIG_DEPLOY", m.stack));
}
/** The outputs the GitHub `stacks` jobs give the matrices. */
function githubOutput(root?: string): Record<"preview" | "non-production" | "production", MatrixEntry[]> {
    const lines = stacksScript(["--format", "github-output"], root).trim().split("\n");
    const out = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf("=")), JSON.parse(l.slice(l.indexOf("=") + 1))]),
    );
    assert.deepEqual(Object.keys(out).sort(), ["non-production", "preview", "production", "verify"]);
    return out as Record<"preview" | "non-production" | "production", MatrixEntry[]>;
}

/** The GitLab child pipeline scripts/stacks generates. */
const gitlabChild = (kind: "preview" | "deploy", root?: string): Obj =>
    yaml.load(stacksScript(["--format", `gitlab-${kind}`], root)) as Obj;

/** Names whose values are credentials, in either CI system. */
const SECRET_NAMES =
    /\$\{?(PULUMI_CONFIG_PASSPHRASE|PULUMI_ACCESS_TOKEN|GITLAB_API_TOKEN|GH_TOKEN|GITHUB_TOKEN|KUBECONFIG\w*)\b/;

/** Why a shell script may print a credential, or undefined. */
function printsSecret(script: string): string | undefined {
    for (const line of script
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => !l.startsWith("#"))) {
        if (/\bset\s+(-[a-z]*x|-o\s+xtrace)|\bbash\s+-[a-z]*x/.test(line)) return `traces commands: ${line}`;
        if (/(^|[;&|]\s*)(env|printenv|export\s+-p|declare\s+-p)\s*($|[|>;])/.test(line))
            return `prints the environment: ${line}`;
        const printed = /\b(echo|printf|cat|tee)\b([^>]*)(>>?\s*(\S+))?/.exec(line);
        // Into a file of its own (a mode-600 kubeconfig, a header file) is not printing; into the log or the
        // run's public summary is.
        const intoLog =
            printed && (printed[4] === undefined || /STEP_SUMMARY|\/dev\/std(out|err)|&[12]/.test(printed[4]));
        if (printed && intoLog && SECRET_NAMES.test(printed[2])) return `prints a credential: ${line}`;
    }
    return undefined;
}

/** What a pipeline runs is what a person runs locally: the engine only through scripts/preview and scripts/up. */
function callsEngineDirectly(script: string): boolean {
    return (
        /(^|[\s;&|])pulumi\s+(preview|up|update|destroy|refresh)\b/m.test(script) ||
        /dist\/tools\/pulumi\.js/.test(script)
    );
}

describe("GitHub workflows", () => {
    const files = fs.existsSync(WORKFLOWS)
        ? fs
              .readdirSync(WORKFLOWS)
              .filter((f) => /\.ya?ml$/.test(f))
              .sort()
        : [];

    it("pass actionlint", (t) => {
        assert.ok(files.includes("preview.yml") && files.includes("deploy.yml"), `workflows: ${files.join(", ")}`);
        const actionlint = findTool("actionlint");
        if (!actionlint) {
            // npm test builds the toolchain before the tests, so there a missing actionlint is a failure;
            // `npm run test:unit` alone does not build it.
            const message = "actionlint is not built: run `npm run toolchain`";
            if (process.env.npm_lifecycle_event === "test") assert.fail(message);
            t.skip(message);
            return;
        }
        // shellcheck is not part of the toolchain: leaving it out keeps the result the same on every machine.
        const run = spawnSync(
            actionlint,
            [
                "-no-color",
                "-shellcheck=",
                "-pyflakes=",
                "-config-file",
                path.join(".github", "actionlint.yaml"),
                ...files.map((f) => path.join(".github", "workflows", f)),
            ],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );
        assert.equal(run.error, undefined);
        assert.equal(run.status, 0, `actionlint found problems:\n${run.stdout}${run.stderr}`);
    });

    /** Runs `check` with a function that lints a workflow's text in a temporary directory; skips without actionlint. */
    function withActionlint(
        t: TestContext,
        check: (lint: (name: string, text: string) => SpawnSyncReturns<string>) => void,
    ) {
        const actionlint = findTool("actionlint");
        if (!actionlint) {
            t.skip("actionlint is not built");
            return;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
        try {
            check((name, text) => {
                fs.writeFileSync(path.join(dir, name), text);
                return spawnSync(actionlint, ["-no-color", "-shellcheck=", "-pyflakes=", path.join(dir, name)], {
                    cwd: dir,
                    encoding: "utf8",
                });
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("actionlint does fail a broken workflow (the check above is not vacuous)", (t) => {
        withActionlint(t, (lint) => {
            const run = lint(
                "broken.yml",
                // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
                "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
            );
            assert.equal(run.status, 1, run.stdout + run.stderr);
            assert.match(run.stdout, /matrix/);
        });
    });

    it("actionlint checks the matrices' wiring: a matrix over an output the stacks job does not give fails", (t) => {
        withActionlint(t, (lint) => {
            for (const [file, output] of [
                ["preview.yml", "preview"],
                ["deploy.yml", "production"],
                ["renew.yml", "production"],
                ["renew.yml", "non-production"],
            ]) {
                const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
                const broken = text.replace(`needs.stacks.outputs.${output})`, `needs.stacks.outputs.${output}s)`);
                assert.notEqual(broken, text, `${file} runs a matrix over needs.stacks.outputs.${output}`);
                const run = lint(file, broken);
                assert.equal(run.status, 1, run.stdout + run.stderr);
                assert.match(run.stdout, new RegExp(`"${output}s" is not defined`));
            }
        });
    });

    it("actionlint checks renew.yml's schedule and its health step: a bad cron, an undefined output both fail", (t) => {
        withActionlint(t, (lint) => {
            const text = fs.readFileSync(path.join(WORKFLOWS, "renew.yml"), "utf8");
            for (const [from, to, expected] of [
                // A sixth field (seconds) is no GitHub cron: the schedule would never run.
                ['- cron: "17 3 * * *"', '- cron: "0 17 3 * * *"', /invalid CRON format/],
                [
                    "needs.stacks.outputs.production != '[]'",
                    "needs.stacks.outputs.productions != '[]'",
                    /"productions" is not defined/,
                ],
            ] as const) {
                const broken = text.replace(from, to);
                assert.notEqual(broken, text, `renew.yml has ${from}`);
                const run = lint("renew.yml", broken);
                assert.equal(run.status, 1, run.stdout + run.stderr);
                assert.match(run.stdout, expected);
            }
        });
    });

    it("actionlint's config ignores only its stale message on concurrency.queue, no other unknown key", (t) => {
        const actionlint = findTool("actionlint");
        if (!actionlint) {
            t.skip("actionlint is not built");
            return;
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-config-"));
        try {
            fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
            const job = (extra: string) =>
                "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    concurrency:\n      group: g\n" +
                `      cancel-in-progress: false\n      ${extra}\n    steps:\n      - run: echo hi\n`;
            const lint = (text: string) => {
                fs.writeFileSync(path.join(dir, ".github", "workflows", "w.yml"), text);
                return spawnSync(
                    actionlint,
                    [
                        "-no-color",
                        "-shellcheck=",
                        "-pyflakes=",
                        "-config-file",
                        path.join(ROOT, ".github", "actionlint.yaml"),
                        path.join(".github", "workflows", "w.yml"),
                    ],
                    { cwd: dir, encoding: "utf8" },
                );
            };
            const queued = lint(job("queue: max"));
            assert.equal(queued.status, 0, queued.stdout + queued.stderr);
            const bogus = lint(job("queues: max"));
            assert.equal(bogus.status, 1, bogus.stdout);
            assert.match(bogus.stdout, /unexpected key "queues" for "concurrency" section/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("pin every action to a full commit SHA, with its release in a comment", () => {
        for (const file of files) {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            for (const line of text.split("\n").filter((l) => /^\s*(-\s+)?uses:/.test(l))) {
                assert.match(
                    line,
                    /uses:\s+[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/,
                    `${file}: ${line.trim()}`,
                );
            }
        }
    });

    it("read the repository only, and write pull request comments only in the job that comments", () => {
        for (const file of files) {
            const workflow = load(`.github/workflows/${file}`);
            assert.deepEqual(workflow.permissions, { contents: "read" }, file);
            for (const [name, job] of Object.entries<Obj>(workflow.jobs)) {
                const comments = JSON.stringify(job.steps).match(/comment-on-pr|post-summary/) !== null;
                const expected = comments ? { contents: "read", "pull-requests": "write" } : undefined;
                assert.deepEqual(job.permissions, expected, `${file} job ${name}`);
            }
        }
    });

    it("compute the stacks with scripts/stacks in a first job, whose outputs the matrices run over", () => {
        for (const [file, outputs] of [
            ["preview.yml", ["preview"]],
            ["deploy.yml", ["non-production", "production"]],
            ["renew.yml", ["non-production", "production", "verify"]],
        ] as const) {
            const stacks = load(`.github/workflows/${file}`).jobs.stacks;
            const step = stacks.steps.find((s: Obj) => s.id === "stacks");
            assert.equal(step.run, 'scripts/stacks --format github-output >> "$GITHUB_OUTPUT"', file);
            assert.deepEqual(
                stacks.outputs,
                Object.fromEntries(outputs.map((o) => [o, `\${{ steps.stacks.outputs.${o} }}`])),
                file,
            );
        }
        // What the matrices receive for this repository: every stack file, split as policy/config.json says.
        assertMatrices(githubOutput(), STACKS, NON_PRODUCTION);
    });

    it("preview every stack on pull requests, with the policy pack and the read-only kubeconfig", () => {
        const workflow = load(".github/workflows/preview.yml");
        assert.deepEqual(Object.keys(workflow.on), ["pull_request"]);
        const preview = workflow.jobs.preview;
        assert.deepEqual(preview.needs, ["unit", "stacks"]);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.deepEqual(preview.strategy.matrix, { include: "${{ fromJSON(needs.stacks.outputs.preview) }}" });
        assert.equal(preview.strategy["fail-fast"], false);
        const kubeconfig = preview.steps.find((s: Obj) => s.name === "kubeconfig");
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.equal(kubeconfig.env.KUBECONFIG_CONTENT, "${{ secrets[matrix.kubeconfig-secret] }}");
        assert.match(preview.concurrency.group, /matrix\.stack.*pull_request\.number/);
        assert.equal(preview.concurrency["cancel-in-progress"], true);

        const action = preview.steps.find((s: Obj) => String(s.uses).startsWith("pulumi/actions@"));
        assert.equal(action.with.command, "preview");
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.equal(action.with["stack-name"], "${{ matrix.stack }}");
        assert.equal(action.with.policyPacks, "policy/analyzer");
        assert.equal(action.with["comment-on-pr"], true);
        const summary = preview.steps.find((s: Obj) => /scripts\/preview --stack/.test(s.run ?? ""));
        assert.match(summary.run, /GITHUB_STEP_SUMMARY/);
        assert.match(summary.if, /!cancelled\(\)/, "the summary is written also when the preview failed");
        assert.doesNotMatch(JSON.stringify(workflow), /KUBECONFIG_DEPLOY/, "previews never get the writer kubeconfig");
    });

    it("deploy main through scripts/up, non-production stacks first, production-like ones in `production`", () => {
        const workflow = load(".github/workflows/deploy.yml");
        assert.deepEqual(workflow.on, { push: { branches: ["main"] } });
        assert.deepEqual(Object.keys(workflow.jobs).sort(), ["non-production", "production", "stacks"]);
        const { "non-production": first, production } = workflow.jobs;
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.equal(first.environment, "${{ matrix.stack }}");
        // A literal: no output of a job can move a production-like stack out of the protected environment.
        assert.equal(production.environment, "production");
        assert.deepEqual(production.needs, ["stacks", "non-production"]);
        assert.match(production.if, /needs\.non-production\.result == 'success'/);
        assert.doesNotMatch(production.if, /always\(\)|failure\(\)/, "never after a failed non-production up");
        for (const [name, job] of [
            ["non-production", first],
            ["production", production],
        ] as const) {
            assert.deepEqual(
                job.strategy,
                { "fail-fast": false, matrix: { include: `\${{ fromJSON(needs.stacks.outputs.${name}) }}` } },
                `${name}: one job per stack, none cancelled because another failed`,
            );
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
            assert.equal(job.env.STACK, "${{ matrix.stack }}", name);
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
            assert.equal(job.concurrency.group, "deploy-${{ matrix.stack }}", `${name}: one up per stack at a time`);
            assert.equal(job.concurrency["cancel-in-progress"], false, "an up is never cancelled halfway");
            const ups = job.steps.filter((s: Obj) => /scripts\/up/.test(s.run ?? ""));
            assert.deepEqual(
                ups.map((s: Obj) => s.run.trim()),
                ['scripts/up --stack "$STACK" --only-writer'],
            );
            const kubeconfig = job.steps.find((s: Obj) => s.name === "kubeconfig");
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
            assert.equal(kubeconfig.env.KUBECONFIG_CONTENT, "${{ secrets[matrix.kubeconfig-secret] }}", name);
        }
    });

    it("report every registration's health with scripts/verify right after scripts/up, with no stack secret", () => {
        for (const name of ["non-production", "production"]) {
            const job = load(".github/workflows/deploy.yml").jobs[name];
            const runs: string[] = job.steps.map((s: Obj) => String(s.run ?? "").trim());
            const up = runs.indexOf('scripts/up --stack "$STACK" --only-writer');
            const verify = runs.indexOf('scripts/verify --stack "$STACK"');
            assert.ok(up >= 0 && verify === up + 1, `${name}: scripts/verify is the step after scripts/up`);
            const step = job.steps[verify];
            assert.equal(step.env, undefined, `${name}: the report needs the kubeconfig only`);
            assert.match(String(step.if), /!cancelled\(\)/, `${name}: the report also follows a failed up`);
        }
    });

    it("never print a credential, nor put one in a script", () => {
        for (const file of files) {
            for (const [name, job] of Object.entries<Obj>(load(`.github/workflows/${file}`).jobs)) {
                for (const step of job.steps.filter((s: Obj) => s.run !== undefined)) {
                    const where = `${file} job ${name} step ${step.name ?? step.run.split("\n")[0]}`;
                    assert.equal(printsSecret(step.run), undefined, where);
                    // In the script text a secret could end up in a log or be injected into the shell; env only.
                    assert.doesNotMatch(step.run, /\$\{\{\s*secrets/, where);
                    assert.equal(callsEngineDirectly(step.run), false, where);
                }
            }
        }
    });
});

describe("GitHub workflows hold credentials only where they are needed (issue 11)", () => {
    const files = fs
        .readdirSync(WORKFLOWS)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    const jobs = files.flatMap((file) =>
        Object.entries<Obj>(load(`.github/workflows/${file}`).jobs).map(
            ([name, job]) => [`${file} ${name}`, job] as const,
        ),
    );

    it("check out without persisting the job's token in .git/config", () => {
        for (const [where, job] of jobs) {
            for (const step of job.steps.filter((s: Obj) => String(s.uses).startsWith("actions/checkout@"))) {
                assert.equal(step.with?.["persist-credentials"], false, where);
            }
        }
    });

    it("install dependencies without their lifecycle scripts", () => {
        for (const [where, job] of jobs) {
            for (const step of job.steps.filter((s: Obj) => /\bnpm (ci|install)\b/.test(s.run ?? ""))) {
                assert.match(step.run, /npm ci --ignore-scripts\b/, where);
            }
        }
    });

    it("give secrets to steps, never to a whole job, and never to npm ci or the build", () => {
        for (const [where, job] of jobs) {
            assert.doesNotMatch(JSON.stringify(job.env ?? {}), /secrets\.|github\.token/, `${where}: job-level env`);
            for (const step of job.steps) {
                if (/\bnpm (ci|run build)\b/.test(step.run ?? ""))
                    assert.equal(step.env, undefined, `${where}: ${step.run}`);
            }
        }
    });

    it("give the comment token only to the step that posts, which holds no stack secret", () => {
        const preview = load(".github/workflows/preview.yml").jobs.preview;
        for (const step of preview.steps) {
            const env = JSON.stringify(step.env ?? {});
            const posts = /scripts\/post-summary/.test(step.run ?? "");
            assert.equal(
                /github\.token/.test(env),
                posts,
                `${step.name ?? step.run}: GH_TOKEN only where the summary is posted`,
            );
            if (posts) {
                assert.doesNotMatch(env, /secrets\./, "the posting step holds no stack secret");
                assert.doesNotMatch(step.run, /scripts\/preview/, "the posting step runs no preview");
            }
        }
    });

    it("pass the policy config that says which stacks are not production", () => {
        const action = load(".github/workflows/preview.yml").jobs.preview.steps.find((s: Obj) =>
            String(s.uses).startsWith("pulumi/actions@"),
        );
        assert.equal(action.with.policyPackConfigs, "policy/config.json");
        for (const script of ["preview", "up"]) {
            assert.match(
                fs.readFileSync(path.join(ROOT, "scripts", script), "utf8"),
                /--policy-pack "\$POLICY_PACK" --policy-pack-config "\$POLICY_PACK_CONFIG"/,
                script,
            );
        }
        assert.match(
            fs.readFileSync(path.join(ROOT, "scripts", "lib.sh"), "utf8"),
            /^POLICY_PACK_CONFIG="\$PWD\/policy\/config\.json"$/m,
        );
    });
});

describe(".gitlab-ci.yml installs what it runs from pinned, verified sources (issue 11)", () => {
    const config = load(".gitlab-ci.yml");
    const text = fs.readFileSync(path.join(ROOT, ".gitlab-ci.yml"), "utf8");

    it("pipes nothing from the network into a shell", () => {
        assert.doesNotMatch(text, /(curl|wget)[^\n|]*\|\s*(ba|z)?sh\b/);
    });

    it("pins every image by digest", () => {
        const images = [config.default?.image, ...Object.values<Obj>(config).map((job) => job?.image)].filter(
            (i) => i !== undefined,
        );
        assert.ok(images.length > 0);
        for (const image of images)
            assert.match(typeof image === "string" ? image : image.name, /^[\w./:-]+@sha256:[0-9a-f]{64}$/);
    });

    it("installs the Pulumi CLI through scripts/install-pulumi, and npm packages without their scripts", () => {
        const setup: string[] = config[".pulumi"].before_script;
        assert.ok(
            setup.some((line) => /^scripts\/install-pulumi\b/.test(line)),
            setup.join("\n"),
        );
        for (const line of text.split("\n").filter((l) => /\bnpm ci\b/.test(l)))
            assert.match(line, /npm ci --ignore-scripts\b/);
        const pin = fs.readFileSync(path.join(ROOT, "ci", "pulumi-cli.sha256"), "utf8");
        assert.match(pin, /^\S+ {2}pulumi-v\d+\.\d+\.\d+-linux-x64\.tar\.gz\n$/, "one sha256sum line");
    });
});

describe("scripts/install-pulumi", () => {
    /** A release tarball as get.pulumi.com lays it out (pulumi/pulumi, ...), served from a file:// directory. */
    function release(dir: string, content: string): string {
        fs.mkdirSync(path.join(dir, "src", "pulumi"), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", "pulumi", "pulumi"), content, { mode: 0o755 });
        fs.mkdirSync(path.join(dir, "releases"), { recursive: true });
        const tarball = "pulumi-v3.274.1-linux-x64.tar.gz";
        const run = spawnSync("tar", [
            "-czf",
            path.join(dir, "releases", tarball),
            "-C",
            path.join(dir, "src"),
            "pulumi",
        ]);
        assert.equal(run.status, 0);
        return tarball;
    }
    const install = (dir: string, pin: string) =>
        spawnSync(path.join(ROOT, "scripts", "install-pulumi"), [path.join(dir, "home")], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_CLI_PIN: pin, PULUMI_RELEASES_URL: `file://${path.join(dir, "releases")}` },
        });

    it("installs a release whose SHA-256 matches the pin, refuses one that does not, and an unfilled pin", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "install-pulumi-"));
        try {
            const tarball = release(dir, "#!/bin/sh\necho pulumi\n");
            const sha = spawnSync("sha256sum", [path.join(dir, "releases", tarball)], {
                encoding: "utf8",
            }).stdout.split(" ")[0];
            const pin = path.join(dir, "pin");
            fs.writeFileSync(pin, `${sha}  ${tarball}\n`);
            const ok = install(dir, pin);
            assert.equal(ok.status, 0, ok.stderr);
            assert.ok(fs.existsSync(path.join(dir, "home", "bin", "pulumi")));

            fs.rmSync(path.join(dir, "home"), { recursive: true });
            release(dir, "#!/bin/sh\necho tampered\n");
            const tampered = install(dir, pin);
            assert.equal(tampered.status, 1);
            assert.match(tampered.stderr, /does not match the SHA-256 pinned/);
            assert.ok(!fs.existsSync(path.join(dir, "home", "bin")), "nothing of a tampered release is installed");

            fs.writeFileSync(pin, fs.readFileSync(path.join(ROOT, "ci", "pulumi-cli.sha256")));
            const committed = install(dir, pin);
            if (!/^[0-9a-f]{64} /.test(fs.readFileSync(pin, "utf8"))) {
                assert.equal(committed.status, 1);
                assert.match(committed.stderr, /does not pin a Pulumi CLI release/);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe(".gitlab-ci.yml and the child pipelines scripts/stacks generates from it", () => {
    const config = load(".gitlab-ci.yml");
    const KEYWORDS = new Set([
        "workflow",
        "stages",
        "default",
        "variables",
        "include",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    ]);
    const jobsOf = (pipeline: Obj): Obj =>
        Object.fromEntries(Object.entries<Obj>(pipeline).filter(([k]) => !KEYWORDS.has(k) && !k.startsWith(".")));
    const jobs = jobsOf(config);
    /** A job with its `extends` templates merged in, as GitLab does (deep for hashes, replacing for the rest). */
    const resolve = (job: Obj, pipeline: Obj = config): Obj => {
        const bases = ([] as string[]).concat(job.extends ?? []).map((b) => resolve(pipeline[b], pipeline));
        const merged: Obj = {};
        for (const part of [...bases, job]) {
            for (const [k, v] of Object.entries(part)) {
                merged[k] = v && typeof v === "object" && !Array.isArray(v) && merged[k] ? { ...merged[k], ...v } : v;
            }
        }
        return merged;
    };
    const scriptOf = (job: Obj) => [job.before_script, job.script, job.after_script].flat().filter(Boolean).join("\n");
    const preview = gitlabChild("preview");
    const deploy = gitlabChild("deploy");
    /** Every job that runs, resolved: the parent's and the children's. */
    const allJobs: [string, Obj][] = [
        ...Object.entries<Obj>(jobs).map(([n, j]) => [n, resolve(j)] as [string, Obj]),
        ...[preview, deploy].flatMap((child) =>
            Object.entries<Obj>(jobsOf(child)).map(([n, j]) => [`child ${n}`, resolve(j, child)] as [string, Obj]),
        ),
    ];

    it("runs merge request pipelines or default branch pipelines, never both for one push", () => {
        const rules: Obj[] = config.workflow.rules;
        assert.ok(rules.some((r) => r.if === '$CI_PIPELINE_SOURCE == "merge_request_event"'));
        assert.ok(rules.some((r) => /\$CI_OPEN_MERGE_REQUESTS/.test(r.if) && r.when === "never"));
        assert.ok(rules.some((r) => r.if === "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"));
    });

    it("puts every job in a declared stage, needing jobs that exist, in the parent and the children", () => {
        for (const pipeline of [config, preview, deploy]) {
            const own = jobsOf(pipeline);
            for (const [name, job] of Object.entries<Obj>(own)) {
                const stage = resolve(job, pipeline).stage;
                assert.ok(pipeline.stages.includes(stage), `${name}: stage ${stage} is not in stages`);
                for (const need of job.needs ?? []) assert.ok(need in own, `${name} needs ${need}, which is not a job`);
                assert.ok(Array.isArray(resolve(job, pipeline).script) || job.trigger, `${name} has no script`);
            }
        }
    });

    it("generates the child pipelines in a job, and triggers them: previews on merge requests, deploys on the default branch", () => {
        assert.deepEqual(
            (jobs.stacks.script as string[]).filter((l) => /scripts\/stacks/.test(l)),
            [
                "scripts/stacks --format gitlab-preview > stacks/preview.yml",
                "scripts/stacks --format gitlab-deploy > stacks/deploy.yml",
            ],
        );
        assert.deepEqual(jobs.stacks.artifacts.paths, ["stacks/"]);
        for (const [name, file, rule] of [
            ["preview", "stacks/preview.yml", '$CI_PIPELINE_SOURCE == "merge_request_event"'],
            ["deploy", "stacks/deploy.yml", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"],
        ]) {
            const job = jobs[name];
            // A scheduled pipeline renews instead of deploying (tests/unit/pipelines/renew.test.ts).
            const rules = name === "deploy" ? job.rules.filter((r: Obj) => !/schedule/.test(r.if)) : job.rules;
            assert.deepEqual(rules, [{ if: rule }], name);
            assert.deepEqual(job.trigger.include, [{ artifact: file, job: "stacks" }], name);
            assert.ok(job.needs.includes("stacks") && job.needs.includes("unit"), name);
            assert.ok(
                ["depend", "mirror"].includes(job.trigger.strategy),
                `${name}: the child's failure fails the pipeline`,
            );
        }
    });

    it("has every job run the unit tests, scripts/stacks, scripts/preview, scripts/up or (token health) scripts/verify, and the engine only through those", () => {
        for (const [name, job] of allJobs) {
            if (job.trigger) continue;
            const script = scriptOf(job);
            assert.match(
                script,
                /npm run test:unit|scripts\/stacks --format|scripts\/preview --stack|scripts\/up --stack|scripts\/verify --stack/,
                name,
            );
            assert.equal(callsEngineDirectly(script), false, name);
        }
    });

    it("pins the children's image by digest and installs Pulumi there through scripts/install-pulumi: the parent's own", () => {
        for (const child of [preview, deploy]) {
            assert.deepEqual(child.default, config.default);
            assert.deepEqual(child[".pulumi"], config[".pulumi"]);
        }
    });

    it("previews every stack on merge requests with its read-only kubeconfig and posts the summary", () => {
        const previews = Object.entries<Obj>(jobsOf(preview)).map(
            ([name, job]) => [name, resolve(job, preview)] as const,
        );
        assert.deepEqual(previews.map(([, job]) => job.variables.STACK).sort(), STACKS);
        for (const [name, job] of previews) {
            const stack = job.variables.STACK;
            assert.equal(name, `preview:${stack}`);
            // A child of a merge request pipeline has the source parent_pipeline; CI_MERGE_REQUEST_ID is set.
            assert.deepEqual(job.rules, [{ if: "$CI_MERGE_REQUEST_ID" }], name);
            assert.equal(job.variables.PREVIEW_KUBECONFIG_VAR, secretName("KUBECONFIG_PREVIEW", stack), name);
            assert.equal(job.interruptible, true, name);
            const script = scriptOf(job);
            assert.match(script, /scripts\/ci-kubeconfig "\$PREVIEW_KUBECONFIG_VAR"/);
            assert.match(script, /scripts\/preview --stack "\$STACK"/);
            assert.doesNotMatch(script, /KUBECONFIG_DEPLOY/);
            assert.match(script, /scripts\/post-summary --stack "\$STACK"/);
        }
    });

    it("deploys the default branch through scripts/up, non-production first, production-like by hand in `production`", () => {
        // The renewal's token-health:<stack> jobs are renew.test.ts's.
        const deploys = Object.entries<Obj>(jobsOf(deploy))
            .filter(([name]) => name.startsWith("deploy:"))
            .map(([name, job]) => [name, resolve(job, deploy)] as const);
        assert.deepEqual(deploys.map(([, job]) => job.variables.STACK).sort(), STACKS);
        const first = deploys.filter(([, job]) => NON_PRODUCTION.includes(job.variables.STACK)).map(([name]) => name);
        for (const [name, job] of deploys) {
            const stack = job.variables.STACK;
            const production = !NON_PRODUCTION.includes(stack);
            assert.equal(name, `deploy:${stack}`);
            assert.equal(job.environment.name, production ? "production" : stack, name);
            assert.equal(job.variables.DEPLOY_KUBECONFIG_VAR, secretName("KUBECONFIG_DEPLOY", stack), name);
            assert.match(scriptOf(job), /^scripts\/up --stack "\$STACK" --only-writer$/m, name);
            assert.equal(job.resource_group, `stack-${stack}`, `${name}: one up per stack at a time`);
            assert.deepEqual(
                job.rules,
                [{ if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", ...(production ? { when: "manual" } : {}) }],
                `${name} runs on the default branch only, by hand if production-like`,
            );
            assert.equal(job.stage, production ? "deploy-production" : "deploy", name);
            if (production) assert.deepEqual(job.needs, first, `${name} after every non-production stack`);
            assert.equal(job.interruptible, undefined, `${name}: an up is never interrupted`);
        }
        assert.deepEqual(deploy.stages, ["deploy", "deploy-production"]);
    });

    it("reports every registration's health with scripts/verify right after scripts/up", () => {
        const lines = (resolve(deploy[`deploy:${STACKS[0]}`], deploy).script as string[]).map((l) => l.trim());
        const up = lines.indexOf('scripts/up --stack "$STACK" --only-writer');
        // A deploy fails on an expired token only; a scheduled renewal passes RENEW_FAIL_WITHIN (renew.test.ts).
        assert.ok(
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template.
            up >= 0 && lines[up + 1] === 'scripts/verify --stack "$STACK" --fail-within "${RENEW_FAIL_WITHIN:-0s}"',
            lines.join("; "),
        );
    });

    it("never prints a credential", () => {
        assert.equal(JSON.stringify(config).includes("CI_DEBUG_TRACE"), false, "CI_DEBUG_TRACE prints every variable");
        for (const [name, job] of allJobs) assert.equal(printsSecret(scriptOf(job)), undefined, name);
    });
});

describe("scripts/stacks: a new stack file joins the pipelines without editing them", () => {
    /** A copy of the repository's layout as scripts/stacks reads it: stack files, policy/config.json, .gitlab-ci.yml. */
    function layout(extraStacks: string[], nonProduction: string[]): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
        fs.mkdirSync(path.join(dir, "policy"));
        for (const file of ["Pulumi.yaml", ".gitlab-ci.yml", ...STACKS.map((s) => `Pulumi.${s}.yaml`)])
            fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
        for (const stack of extraStacks) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "config: {}\n");
        const config: Obj = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config.json"), "utf8"));
        for (const entry of Object.values<Obj>(config)) entry.nonProductionStacks.push(...nonProduction);
        fs.writeFileSync(path.join(dir, "policy", "config.json"), JSON.stringify(config));
        return dir;
    }

    it("previews a new stack file, and deploys it in the protected production environment unless config.json relaxes it", () => {
        const dir = layout(["production-eu", "dev"], ["dev"]);
        try {
            // Not stack files: the developer's sandbox stack (gitignored), a backup, a directory, other files.
            fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), "config: {}\n");
            fs.writeFileSync(path.join(dir, "Pulumi.production.yaml.orig"), "config: {}\n");
            fs.writeFileSync(path.join(dir, "README.md"), "");
            fs.mkdirSync(path.join(dir, "Pulumi.folder.yaml"));
            const all = [...STACKS, "production-eu", "dev"].sort();
            assert.deepEqual(stacksScript([], dir).trim().split("\n"), all);
            assert.deepEqual(JSON.parse(stacksScript(["--format", "json"], dir)), all);

            const out = githubOutput(dir);
            assert.deepEqual(
                out.preview.find((m) => m.stack === "production-eu"),
                { stack: "production-eu", "kubeconfig-secret": "KUBECONFIG_PREVIEW_PRODUCTION_EU" },
            );
            const relaxed = [...NON_PRODUCTION, "dev"];
            assertMatrices(out, all, relaxed);
            assert.ok(
                out.production.some((m) => m.stack === "production-eu"),
                "fail closed: a new stack is production",
            );
            assert.deepEqual(
                out.production.find((m) => m.stack === "production-eu")?.["kubeconfig-secret"],
                "KUBECONFIG_DEPLOY_PRODUCTION_EU",
            );

            assert.deepEqual(gitlabChild("preview", dir)["preview:production-eu"].variables, {
                STACK: "production-eu",
                PREVIEW_KUBECONFIG_VAR: "KUBECONFIG_PREVIEW_PRODUCTION_EU",
            });
            const deploy = gitlabChild("deploy", dir);
            const eu = deploy["deploy:production-eu"];
            assert.deepEqual(eu.environment, { name: "production" });
            assert.equal(eu.rules[0].when, "manual");
            assert.deepEqual(
                eu.needs,
                relaxed
                    .filter((s) => all.includes(s))
                    .sort()
                    .map((s) => `deploy:${s}`),
            );
            assert.deepEqual(deploy["deploy:dev"].environment, { name: "dev" });
            assert.equal(deploy["deploy:dev"].rules[0].when, undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("treats a stack as production unless every production-dependent policy relaxes it", () => {
        const dir = layout(["qa"], []);
        try {
            const configFile = path.join(dir, "policy", "config.json");
            const config: Obj = JSON.parse(fs.readFileSync(configFile, "utf8"));
            const [first] = Object.keys(config);
            config[first].nonProductionStacks.push("qa");
            fs.writeFileSync(configFile, JSON.stringify(config));
            assert.ok(
                githubOutput(dir).production.some((m) => m.stack === "qa"),
                "one policy's list is not enough",
            );
            delete config[first];
            fs.writeFileSync(configFile, JSON.stringify(config));
            assert.ok(
                githubOutput(dir).production.some((m) => m.stack === NON_PRODUCTION[0]),
                "a policy without config treats every stack as production",
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses, loudly, what it cannot name: no stack file, a name that is no secret name, two stacks sharing a secret", () => {
        for (const [files, message] of [
            [["Pulumi.a.b.yaml"], /Pulumi\.a\.b\.yaml: a stack name of letters, digits/],
            [["Pulumi.eu-1.yaml", "Pulumi.eu_1.yaml"], /stacks eu-1 and eu_1 would share KUBECONFIG_PREVIEW_EU_1/],
            [[], /no Pulumi\.<stack>\.yaml/],
        ] as const) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
            try {
                fs.mkdirSync(path.join(dir, "policy"));
                fs.copyFileSync(path.join(ROOT, "policy", "config.json"), path.join(dir, "policy", "config.json"));
                for (const file of files) fs.writeFileSync(path.join(dir, file), "config: {}\n");
                const run = spawnSync(path.join(ROOT, "scripts", "stacks"), ["--root", dir], { encoding: "utf8" });
                assert.equal(run.status, 1, files.join(" "));
                assert.match(run.stderr, message);
                assert.equal(run.stdout, "");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
    });
});

describe("scripts/", () => {
    it("never trace their commands (their environment holds credentials)", () => {
        for (const file of fs.readdirSync(path.join(ROOT, "scripts"))) {
            const text = fs.readFileSync(path.join(ROOT, "scripts", file), "utf8");
            assert.equal(printsSecret(text), undefined, `scripts/${file}`);
        }
    });

    it("are executable and parse", () => {
        for (const file of fs.readdirSync(path.join(ROOT, "scripts")).filter((f) => f !== "lib.sh")) {
            const full = path.join(ROOT, "scripts", file);
            assert.ok(fs.statSync(full).mode & 0o100, `scripts/${file} is not executable`);
            const run = spawnSync("bash", ["-n", full], { encoding: "utf8" });
            assert.equal(run.status, 0, `scripts/${file}: ${run.stderr}`);
        }
    });
});
