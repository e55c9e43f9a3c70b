/**
 * The stacks the pipelines run, from the stack files: run through scripts/stacks (which compiles the policy pack
 * first), never by hand. Which stacks are not production is policy/stacks.ts's definition, read from
 * policy/config.json exactly as the policy pack reads it: a stack deploys without approval only if every policy
 * whose level depends on the stack kind lists it in `nonProductionStacks`; every other stack, a new stack file
 * included, is production-like (the protected, approved deploy). Stacks sharing one Argo CD that register the
 * same server or Argo CD name fail the listing (ci/claims.ts). docs/pipelines.md.
 *
 *   node dist/ci/stacks.js [--root DIR] [--format names|json|github-output|gitlab-preview|gitlab-deploy]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { dependsOnStackKind, POLICIES } from "../policy/policies";
import { isProductionStack } from "../policy/stacks";
import { claimClashes, type StackConfig } from "./claims";

/** `Pulumi.<stack>.yaml`; the project file Pulumi.yaml and anything else are not stack files. */
const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;
/** What a stack name may be here: it becomes part of secret, variable, job and environment names. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** The developer's own stack of the sandbox and the benchmark, ignored by git (.gitignore): no pipeline's. */
const LOCAL_STACKS = new Set(["local"]);

/** The name of a stack's secret or variable: PREFIX_<STACK in capitals, - as _>. */
const secretName = (prefix: string, stack: string) => `${prefix}_${stack.toUpperCase().replace(/-/g, "_")}`;

interface PipelineStack {
    stack: string;
    production: boolean;
    previewSecret: string;
    deploySecret: string;
    /** The token health check's kubeconfig: may only read the cluster Secrets of the stack's Argo CD. */
    verifySecret: string;
    environment: string;
}

/** The stacks of the stack files in `root`, sorted, each with its kind and the names derived from it. */
function stacksOf(root: string): PipelineStack[] {
    const config = JSON.parse(fs.readFileSync(path.join(root, "policy", "config.json"), "utf8"));
    const kindPolicies = POLICIES.filter(dependsOnStackKind);
    const names = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isFile() || entry.isSymbolicLink())
        .map((entry) => STACK_FILE.exec(entry.name)?.[1])
        .filter((stack): stack is string => stack !== undefined && !LOCAL_STACKS.has(stack))
        .sort();
    const problems = names
        .filter((stack) => !STACK_NAME.test(stack))
        .map((stack) => `Pulumi.${stack}.yaml: a stack name of letters, digits, - and _ only`);
    const seen = new Map<string, string>();
    for (const stack of names) {
        const secret = secretName("KUBECONFIG_PREVIEW", stack);
        if (seen.has(secret)) problems.push(`stacks ${seen.get(secret)} and ${stack} would share ${secret}`);
        seen.set(secret, stack);
    }
    if (names.length === 0) problems.push(`no Pulumi.<stack>.yaml in ${root}`);
    // Stacks sharing one Argo CD may not claim the same server or Argo CD name: fail before any preview runs.
    problems.push(...claimClashes(names.map((stack) => ({ stack, config: stackConfig(root, stack) }))));
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return names.map((stack) => {
        // Fail closed: production unless every production-dependent policy relaxes it, and production when no
        // policy depends on the stack kind at all (nothing then says any stack may skip the approval).
        const production =
            kindPolicies.length === 0 || kindPolicies.some((p) => isProductionStack(config[p.name] ?? {})(stack));
        return {
            stack,
            production,
            previewSecret: secretName("KUBECONFIG_PREVIEW", stack),
            deploySecret: secretName("KUBECONFIG_DEPLOY", stack),
            verifySecret: secretName("KUBECONFIG_VERIFY", stack),
            environment: production ? "production" : stack,
        };
    });
}

/** The `config:` block of Pulumi.<stack>.yaml; a file that is not YAML fails the listing, naming it. */
function stackConfig(root: string, stack: string): StackConfig {
    const file = `Pulumi.${stack}.yaml`;
    let doc: unknown;
    try {
        doc = yaml.load(fs.readFileSync(path.join(root, file), "utf8"));
    } catch (error) {
        throw new Error(`${file} is not valid YAML: ${error instanceof Error ? error.message.split("\n")[0] : error}`);
    }
    const config = (doc as { config?: unknown } | null)?.config;
    return config !== null && typeof config === "object" ? (config as StackConfig) : {};
}

/** GitHub: step outputs for $GITHUB_OUTPUT, each a JSON array of matrix entries. */
function githubOutput(stacks: PipelineStack[]): string {
    const entries = (list: PipelineStack[], secret: "previewSecret" | "deploySecret" | "verifySecret") =>
        JSON.stringify(list.map((s) => ({ stack: s.stack, "kubeconfig-secret": s[secret] })));
    return [
        `preview=${entries(stacks, "previewSecret")}`,
        `non-production=${entries(
            stacks.filter((s) => !s.production),
            "deploySecret",
        )}`,
        `production=${entries(
            stacks.filter((s) => s.production),
            "deploySecret",
        )}`,
        // Every stack, production included: renew.yml's token health check, which waits for no approval.
        `verify=${entries(stacks, "verifySecret")}`,
    ].join("\n");
}

/**
 * GitLab: a child pipeline, one job per stack extending the hidden template of `.gitlab-ci.yml` (`.preview` or
 * `.deploy`), with that file's `default` (the image pinned by digest) and `.pulumi` copied in unchanged.
 */
function gitlabChild(root: string, stacks: PipelineStack[], kind: "preview" | "deploy"): string {
    const parent = yaml.load(fs.readFileSync(path.join(root, ".gitlab-ci.yml"), "utf8")) as Record<string, unknown>;
    const child: Record<string, unknown> = { default: parent.default };
    for (const template of [".pulumi", `.${kind}`, ...(kind === "deploy" ? [".token-health"] : [])]) {
        if (!parent[template]) throw new Error(`.gitlab-ci.yml has no ${template} template`);
        child[template] = parent[template];
    }
    if (kind === "preview") {
        child.stages = ["preview"];
        for (const s of stacks) {
            child[`preview:${s.stack}`] = {
                extends: ".preview",
                variables: { STACK: s.stack, PREVIEW_KUBECONFIG_VAR: s.previewSecret },
            };
        }
    } else {
        child.stages = ["deploy", "deploy-production"];
        const first = stacks.filter((s) => !s.production).map((s) => `deploy:${s.stack}`);
        for (const s of stacks) {
            const branch = { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" };
            child[`deploy:${s.stack}`] = {
                extends: ".deploy",
                stage: s.production ? "deploy-production" : "deploy",
                // Production-like stacks after the others, started by hand in the protected environment.
                ...(s.production ? { needs: first } : {}),
                rules: [s.production ? { ...branch, when: "manual" } : branch],
                environment: { name: s.environment },
                // One up per stack at a time.
                resource_group: `stack-${s.stack}`,
                variables: { STACK: s.stack, DEPLOY_KUBECONFIG_VAR: s.deploySecret },
            };
            // In a scheduled renewal only (the renew trigger passes RENEW_FAIL_WITHIN), every stack's token health
            // check, production's too: never manual and needing no job, so a production renewal nobody starts
            // cannot keep it from running (a bound token would otherwise expire with nothing red).
            child[`token-health:${s.stack}`] = {
                extends: ".token-health",
                stage: "deploy",
                needs: [],
                rules: [{ if: "$RENEW_FAIL_WITHIN && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" }],
                variables: { STACK: s.stack, VERIFY_KUBECONFIG_VAR: s.verifySecret },
            };
        }
    }
    const header =
        "# Generated by scripts/stacks from the stack files and the templates of .gitlab-ci.yml: edit those.\n";
    return header + yaml.dump(child, { lineWidth: 120, noRefs: true });
}

function main(argv: string[]): string {
    // Compiled to dist/ci/.
    let root = path.resolve(__dirname, "..", "..");
    let format = "names";
    for (let i = 0; i < argv.length; i += 2) {
        if (argv[i] === "--root" && argv[i + 1]) root = path.resolve(argv[i + 1]);
        else if (argv[i] === "--format" && argv[i + 1]) format = argv[i + 1];
        else throw new Error(`usage: scripts/stacks [--root DIR] [--format FORMAT]; not understood: ${argv[i]}`);
    }
    const stacks = stacksOf(root);
    switch (format) {
        case "names":
            return stacks.map((s) => s.stack).join("\n");
        case "json":
            return JSON.stringify(stacks.map((s) => s.stack));
        case "github-output":
            return githubOutput(stacks);
        case "gitlab-preview":
            return gitlabChild(root, stacks, "preview");
        case "gitlab-deploy":
            return gitlabChild(root, stacks, "deploy");
        default:
            throw new Error(`unknown format ${format}: names, json, github-output, gitlab-preview, gitlab-deploy`);
    }
}

try {
    process.stdout.write(`${main(process.argv.slice(2)).replace(/\n$/, "")}\n`);
} catch (error) {
    process.stderr.write(`scripts/stacks: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
}
