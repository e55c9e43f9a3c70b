/**
 * The scheduled token renewal (issue 12) in both CI systems: it runs what deploys run (scripts/up), in the same
 * environments and under the same per-stack lock, then fails loudly when a token expires before the next run
 * could renew it. The checks every workflow gets (pins, permissions, credentials, actionlint) are in
 * pipelines.test.ts; these are the renewal's own.
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { parseDuration } from "../../../stack/duration";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
type Obj = Record<string, any>;
const load = (file: string): Obj => yaml.load(fs.readFileSync(path.join(ROOT, file), "utf8")) as Obj;
const HOUR_MS = 3_600_000;

/** The longest gap between two runs of a GitHub cron of the forms used here (daily or every N hours). */
function periodOf(cron: string): number {
    const [minute, hour, day, month, weekday] = cron.split(/\s+/);
    assert.match(minute, /^\d+$/, `${cron}: a fixed minute`);
    assert.deepEqual([day, month, weekday], ["*", "*", "*"], `${cron}: every day`);
    if (/^\d+$/.test(hour)) return 24 * HOUR_MS;
    const every = /^\*\/(\d+)$/.exec(hour);
    assert.ok(every && 24 % Number(every[1]) === 0, `${cron}: every N hours, N dividing 24`);
    return Number(every[1]) * HOUR_MS;
}

describe("GitHub: renew.yml", () => {
    const renew = load(".github/workflows/renew.yml");
    const deploy = load(".github/workflows/deploy.yml");

    it("runs on a schedule and by hand, on the default branch only (what GitHub schedules run on)", () => {
        assert.deepEqual(Object.keys(renew.on).sort(), ["schedule", "workflow_dispatch"]);
        assert.equal(renew.on.schedule.length, 1);
        assert.equal(renew.on.workflow_dispatch, null, "no inputs: a run by hand renews exactly as a scheduled one");
    });

    it("fails on a token the next run could not renew: RENEW_FAIL_WITHIN is at least one period, with slack", () => {
        const period = periodOf(renew.on.schedule[0].cron);
        const failWithin = parseDuration(renew.env.RENEW_FAIL_WITHIN);
        assert.ok(failWithin !== undefined, renew.env.RENEW_FAIL_WITHIN);
        assert.ok(failWithin >= 2 * period, "a delayed or dropped scheduled run must not be the one that fails");
    });

    it("runs each stack's job exactly as deploy.yml does, up to its health step", () => {
        assert.deepEqual(Object.keys(renew.jobs), [...Object.keys(deploy.jobs), "token-health"]);
        assert.deepEqual(renew.jobs.stacks.outputs, {
            ...deploy.jobs.stacks.outputs,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
            verify: "${{ steps.stacks.outputs.verify }}",
        });
        for (const name of ["non-production", "production"]) {
            const [r, d] = [renew.jobs[name], deploy.jobs[name]];
            // The same environment (secrets, approval), matrix and lock: a renewal never overlaps a deploy.
            for (const key of ["environment", "strategy", "concurrency", "env", "runs-on"])
                assert.deepEqual(r[key], d[key], `${name}: ${key}`);
            assert.equal(r.concurrency["cancel-in-progress"], false);
            // Queued, never cancelled: by default a job entering the group cancels the one pending there, so a
            // renewal waiting for approval would let the next one cancel a deploy queued behind it.
            assert.equal(r.concurrency.queue, "max", `${name}: every job of the group waits its turn`);
            const withoutHealth = (steps: Obj[]) => steps.filter((s) => !/scripts\/verify/.test(s.run ?? ""));
            assert.deepEqual(withoutHealth(r.steps), withoutHealth(d.steps), `${name}: the same steps as deploy`);
            const ups = r.steps.filter((s: Obj) => /scripts\/up/.test(s.run ?? ""));
            assert.deepEqual(
                ups.map((s: Obj) => s.run.trim()),
                ['scripts/up --stack "$STACK" --only-writer'],
            );
            const last = r.steps.at(-1);
            assert.equal(r.steps.indexOf(ups[0]) + 1, r.steps.length - 1, `${name}: the health step follows up`);
            assert.match(last.run, /scripts\/verify --stack "\$STACK" --fail-within "\$RENEW_FAIL_WITHIN"/);
            assert.match(String(last.if), /!cancelled\(\)/, `${name}: also after a failed up`);
            assert.equal(last.env, undefined, `${name}: the report needs the kubeconfig only`);
        }
        // A production-like stack keeps its approval: no schedule moves it past the gate.
        assert.equal(renew.jobs.production.environment, "production");
    });

    it("renews production even when a non-production stack failed (an expired token costs the cluster)", () => {
        const condition: string = renew.jobs.production.if;
        assert.doesNotMatch(condition, /needs\.non-production\.result/);
        assert.match(condition, /!cancelled\(\)/);
        assert.deepEqual(renew.jobs.production.needs, ["stacks", "non-production"]);
    });

    it("runs on main only, also by hand (workflow_dispatch may name any branch): every job says so", () => {
        for (const [name, job] of Object.entries<Obj>(renew.jobs)) {
            const condition = String(job.if ?? "").trim();
            assert.match(condition, /^github\.ref == 'refs\/heads\/main'( &&|$)/, `${name}: if: ${condition}`);
            // A top-level conjunct: no || anywhere could let another branch through.
            assert.doesNotMatch(condition, /\|\|/, name);
        }
    });

    it("checks every stack's tokens, production's too, in a job no approval or renewal holds back", () => {
        const health = renew.jobs["token-health"];
        assert.equal(health.needs, "stacks", "the stack list only: not the renewals, which may wait for a reviewer");
        assert.match(health.if, /needs\.stacks\.outputs\.verify != '\[\]'/);
        assert.equal(health.environment, "token-health", "an environment of its own, without reviewers");
        assert.notEqual(health.environment, renew.jobs.production.environment);
        assert.equal(health.concurrency, undefined, "not queued behind a renewal nobody approves");
        assert.equal(health.strategy["fail-fast"], false);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.equal(health.strategy.matrix.include, "${{ fromJSON(needs.stacks.outputs.verify) }}");
        // Its kubeconfig, and the renewals' report step as it is (it runs first, so no !cancelled() needed).
        const kubeconfig = health.steps.find((s: Obj) => s.name === "kubeconfig");
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
        assert.equal(kubeconfig.env.KUBECONFIG_CONTENT, "${{ secrets[matrix.kubeconfig-secret] }}");
        const report = renew.jobs.production.steps.at(-1);
        assert.deepEqual(health.steps.at(-1), { name: report.name, run: report.run });
        assert.equal(
            health.steps.some((s: Obj) => /scripts\/up|pulumi/.test(`${s.run ?? ""}${s.uses ?? ""}`)),
            false,
            "no renewal, no Pulumi",
        );
        // What the matrix receives: every stack file, each with its read-only KUBECONFIG_VERIFY_<STACK>.
        const run = spawnSync(path.join(ROOT, "scripts", "stacks"), ["--format", "github-output"], {
            encoding: "utf8",
        });
        const line = run.stdout.split("\n").find((l) => l.startsWith("verify="));
        assert.ok(line, run.stdout + run.stderr);
        const matrix: Obj[] = JSON.parse(line.slice("verify=".length));
        const production = run.stdout.split("\n").find((l) => l.startsWith("production="));
        assert.ok(JSON.parse(production!.slice("production=".length)).length > 0, "this repository has production");
        assert.deepEqual(
            matrix.map((m) => m.stack).sort(),
            ["production", "staging"],
            "every stack, production included",
        );
        for (const m of matrix)
            assert.equal(m["kubeconfig-secret"], `KUBECONFIG_VERIFY_${m.stack.toUpperCase().replace(/-/g, "_")}`);
    });

    /** Runs the health step's script as the runner would, with a stand-in scripts/verify exiting `code`. */
    function healthStep(code: number): { status: number | null; stdout: string; summary: string; args: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "renew-step-"));
        try {
            fs.mkdirSync(path.join(dir, "scripts"));
            fs.writeFileSync(
                path.join(dir, "scripts", "verify"),
                `#!/usr/bin/env bash\necho "$*" > "${dir}/args"\necho "REPORT TABLE"\nexit ${code}\n`,
                { mode: 0o755 },
            );
            const step = renew.jobs["non-production"].steps.at(-1);
            const summary = path.join(dir, "summary.md");
            const run = spawnSync("bash", ["-e", "-c", step.run], {
                cwd: dir,
                encoding: "utf8",
                env: {
                    PATH: process.env.PATH,
                    STACK: "staging",
                    RUNNER_TEMP: dir,
                    GITHUB_STEP_SUMMARY: summary,
                    RENEW_FAIL_WITHIN: renew.env.RENEW_FAIL_WITHIN,
                },
            });
            return {
                status: run.status,
                stdout: run.stdout,
                summary: fs.readFileSync(summary, "utf8"),
                args: fs.readFileSync(path.join(dir, "args"), "utf8").trim(),
            };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    it("the health step fails loudly: the report's exit code, an error annotation, the table in the job summary", () => {
        const failed = healthStep(1);
        assert.equal(failed.status, 1);
        assert.equal(failed.args, "--stack staging --fail-within 48h");
        assert.match(failed.stdout, /REPORT TABLE/);
        assert.match(failed.stdout, /^::error title=stack staging::.*expires within 48h/m);
        assert.match(failed.summary, /### Stack staging: registrations and tokens\n```\nREPORT TABLE\n```/);
        const unusable = healthStep(2);
        assert.equal(unusable.status, 2, "the report could not be made: a failure too");
        const passed = healthStep(0);
        assert.equal(passed.status, 0);
        assert.doesNotMatch(passed.stdout, /::error/);
        assert.match(passed.summary, /REPORT TABLE/);
    });
});

/**
 * GitLab's `rules: if:` for the expressions used here: `$A == $B`, `$A == "text"`, `$A` alone, joined by `&&`.
 * Anything else fails the test rather than being guessed.
 */
function ruleHolds(expression: string, vars: Record<string, string>): boolean {
    return expression.split("&&").every((part) => {
        const value = (term: string) => {
            const t = term.trim();
            if (/^\$\w+$/.test(t)) return vars[t.slice(1)] ?? "";
            const literal = /^"([^"]*)"$/.exec(t);
            assert.ok(literal, `an expression this test does not read: ${expression}`);
            return literal[1];
        };
        const [left, right] = part.split("==");
        return right === undefined ? value(left) !== "" : value(left) === value(right);
    });
}

/** Whether a job (or the workflow) with these rules runs: the first rule that holds decides. */
function runs(rules: Obj[] | undefined, vars: Record<string, string>): boolean {
    if (rules === undefined) return true;
    const rule = rules.find((r) => ruleHolds(r.if, vars));
    return rule !== undefined && rule.when !== "never";
}

describe("GitLab: pipeline schedules renew", () => {
    const config = load(".gitlab-ci.yml");
    const DEFAULT = { CI_DEFAULT_BRANCH: "main" };
    const PIPELINES: [string, Record<string, string>][] = [
        ["schedule", { ...DEFAULT, CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "main" }],
        ["push", { ...DEFAULT, CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "main" }],
        ["merge request", { ...DEFAULT, CI_PIPELINE_SOURCE: "merge_request_event" }],
        ["schedule on a branch", { ...DEFAULT, CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_BRANCH: "topic" }],
    ];

    it("a schedule on the default branch runs renew and not deploy; nothing else runs renew", () => {
        const ran = (vars: Record<string, string>) =>
            runs(config.workflow.rules, vars)
                ? ["preview", "deploy", "renew"].filter((job) => runs(config[job].rules, vars))
                : [];
        assert.deepEqual(Object.fromEntries(PIPELINES.map(([name, vars]) => [name, ran(vars)])), {
            schedule: ["renew"],
            push: ["deploy"],
            "merge request": ["preview"],
            "schedule on a branch": [],
        });
    });

    it("renew triggers the deploy's own child pipeline (same jobs, environments, resource groups, manual production)", () => {
        const renew = config.renew;
        assert.deepEqual(renew.trigger.include, config.deploy.trigger.include);
        assert.equal(renew.trigger.strategy, "mirror", "the child's failure fails the scheduled pipeline");
        assert.deepEqual(renew.needs, ["stacks"], "not held back by a flaky unit test");
        assert.equal(renew.stage, config.deploy.stage);
    });

    it("a renewal's child checks every stack's tokens, production's too, never by hand and needing no job", () => {
        const run = spawnSync(path.join(ROOT, "scripts", "stacks"), ["--format", "gitlab-deploy"], {
            encoding: "utf8",
        });
        assert.equal(run.status, 0, run.stderr);
        const child = yaml.load(run.stdout) as Obj;
        const template = child[".token-health"];
        assert.deepEqual(template, config[".token-health"], "the template of .gitlab-ci.yml, copied");
        const script = (template.script as string[]).join("\n");
        assert.match(script, /^scripts\/verify --stack "\$STACK" --fail-within "\$RENEW_FAIL_WITHIN"$/m);
        assert.doesNotMatch(script, /scripts\/up|pulumi/);
        assert.match(script, /scripts\/ci-kubeconfig "\$VERIFY_KUBECONFIG_VAR"/);
        assert.notEqual(template.environment.name, "production", "no protected environment's approval");
        const renewal = { ...DEFAULT, CI_PIPELINE_SOURCE: "parent_pipeline", CI_COMMIT_BRANCH: "main" };
        const stacks = Object.keys(child).filter((k) => k.startsWith("token-health:"));
        assert.deepEqual(stacks.sort(), ["token-health:production", "token-health:staging"]);
        for (const name of stacks) {
            const job = child[name];
            const stack = name.slice("token-health:".length);
            assert.deepEqual(job.needs, [], `${name}: waits for no renewal, manual or not`);
            assert.equal(job.extends, ".token-health");
            assert.ok(
                job.rules.every((r: Obj) => r.when === undefined),
                `${name}: never manual`,
            );
            assert.equal(runs(job.rules, { ...renewal, RENEW_FAIL_WITHIN: "48h" }), true, `${name} in a renewal`);
            assert.equal(runs(job.rules, renewal), false, `${name}: not in a deploy`);
            assert.equal(runs(job.rules, { ...renewal, CI_COMMIT_BRANCH: "topic", RENEW_FAIL_WITHIN: "48h" }), false);
            assert.equal(job.variables.VERIFY_KUBECONFIG_VAR, `KUBECONFIG_VERIFY_${stack.toUpperCase()}`);
            assert.ok(child.stages.includes(job.stage));
        }
        // The production renewal is still by hand: the check above is what does not wait for it.
        assert.equal(child["deploy:production"].rules[0].when, "manual");
    });

    it("the child's health report fails on a token the next run could not renew, only in a renewal", () => {
        const verify = (config[".deploy"].script as string[]).find((l) => /scripts\/verify/.test(l));
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template.
        assert.equal(verify, 'scripts/verify --stack "$STACK" --fail-within "${RENEW_FAIL_WITHIN:-0s}"');
        const failWithin = parseDuration(config.renew.variables.RENEW_FAIL_WITHIN);
        assert.ok(failWithin !== undefined && failWithin >= 48 * HOUR_MS, "twice a daily schedule's period");
        assert.equal(config.deploy.variables, undefined, "a deploy fails on an expired token only");
        // What bash makes of the line in either pipeline.
        for (const [value, expected] of [
            [undefined, "--fail-within 0s"],
            ["48h", "--fail-within 48h"],
        ] as const) {
            const run: SpawnSyncReturns<string> = spawnSync(
                "bash",
                ["-c", `set -- ${verify!.replace("scripts/verify", "")}; echo "$3 $4"`],
                {
                    encoding: "utf8",
                    env: { STACK: "s", ...(value ? { RENEW_FAIL_WITHIN: value } : {}) },
                },
            );
            assert.equal(run.stdout.trim(), expected);
        }
    });
});
