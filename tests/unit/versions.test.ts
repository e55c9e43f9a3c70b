/**
 * Every pinned tool version has one source of truth, and every place that has to repeat it agrees with it.
 * Pure file reading: nothing is run or fetched.
 *
 * | what | source of truth | derived from it (nothing to check) | repeated, so checked here |
 * | --- | --- | --- | --- |
 * | Node.js | `.nvmrc` | `dev/node.sh` (reads it), actions/setup-node (`node-version-file`) | `engines.node`, `@types/node`'s major, dev/node.sh's integrity pins, the GitLab image tag, README, docs/pipelines.md; the locked packages' `engines.node` must accept it |
 * | Pulumi CLI | `dev/toolchain/pulumi/build.sh` `VERSION=` | | `ci/pulumi-cli.sha256`, `pulumi-version:` of pulumi/actions, docs/toolchain.md, docs/pipelines.md |
 * | kubernetes and random providers | `dev/toolchain/pulumi-resource-{kubernetes,random}/build.sh` `VERSION=` | | `@pulumi/kubernetes`, `@pulumi/random` in package.json, docs/toolchain.md |
 * | npm dependencies | package.json (exact versions) | | package-lock.json |
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");
type Obj = Record<string, any>;

const EXACT = /^\d+\.\d+\.\d+$/;
const pkg: Obj = JSON.parse(read("package.json"));
const lock: Obj = JSON.parse(read("package-lock.json"));

/** `VERSION=...` of a dev/toolchain/<tool>/build.sh, without a leading v. */
function buildVersion(tool: string): string {
    const match = /^VERSION=v?(\d+\.\d+\.\d+)$/m.exec(read(`dev/toolchain/${tool}/build.sh`));
    assert.ok(match, `dev/toolchain/${tool}/build.sh has no VERSION= line`);
    return match[1];
}

/** The `version` cell of a tool's row in docs/toolchain.md's Versions table, without a leading v. */
function documentedVersion(tool: string): string {
    const row = read("docs/toolchain.md")
        .split("\n")
        .find((line) => line.startsWith(`| \`${tool}\` |`));
    assert.ok(row, `docs/toolchain.md has no row for ${tool}`);
    const match = /^v?(\d+\.\d+\.\d+)\b/.exec(row.split("|")[2].trim());
    assert.ok(match, `docs/toolchain.md: no version in ${row}`);
    return match[1];
}

/** Every step of the GitHub workflows, with where it is. */
function workflowSteps(): { where: string; step: Obj }[] {
    const dir = path.join(ROOT, ".github", "workflows");
    return fs
        .readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .flatMap((file) => {
            const workflow = yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as Obj;
            return Object.entries<Obj>(workflow.jobs).flatMap(([job, { steps }]) =>
                (steps as Obj[]).map((step, i) => ({ where: `${file} job ${job} step ${i + 1}`, step })),
            );
        });
}

type Version = [number, number, number];
const parse = (v: string): Version => v.split(".").map(Number) as Version;
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether `version` satisfies an npm `engines` range. Just the semver range forms the lockfile's packages use
 * (comparators, partial and x versions, ^, ~, ||); anything else throws, so that a new form is noticed.
 */
function satisfies(version: string, range: string): boolean {
    const v = parse(version);
    const alternatives = range.split("||").map((a) =>
        a
            .trim()
            .replace(/([<>=^~]+)\s+/g, "$1")
            .split(/\s+/)
            .filter(Boolean)
            .map((comparator) => {
                const match = /^(>=|<=|>|<|=|\^|~)?v?(\d+)(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/.exec(comparator);
                if (!match) throw new Error(`unsupported engines range: ${range}`);
                const [, op = "", major, minor, patch] = match;
                const parts = [major, minor, patch].filter((p) => p !== undefined && !/^[x*]$/.test(p)).map(Number);
                const low: Version = [parts[0], parts[1] ?? 0, parts[2] ?? 0];
                // The first version above a partial one: 20 -> 21.0.0, 20.6 -> 20.7.0; a full one has no such bound.
                const next = (n: number): Version => (n === 1 ? [low[0] + 1, 0, 0] : [low[0], low[1] + 1, 0]);
                switch (op) {
                    case ">=":
                        return compare(v, low) >= 0;
                    case ">":
                        return parts.length === 3 ? compare(v, low) > 0 : compare(v, next(parts.length)) >= 0;
                    case "<":
                        return compare(v, low) < 0;
                    case "<=":
                        return parts.length === 3 ? compare(v, low) <= 0 : compare(v, next(parts.length)) < 0;
                    case "^":
                        return compare(v, low) >= 0 && compare(v, low[0] > 0 ? [low[0] + 1, 0, 0] : next(2)) < 0;
                    case "~":
                        return compare(v, low) >= 0 && compare(v, parts.length === 1 ? next(1) : next(2)) < 0;
                    default:
                        return parts.length === 3
                            ? compare(v, low) === 0
                            : compare(v, low) >= 0 && compare(v, next(parts.length)) < 0;
                }
            }),
    );
    return alternatives.some((comparators) => comparators.every(Boolean));
}

describe("Node.js: .nvmrc is the one source of truth", () => {
    const nvmrc = read(".nvmrc");
    const version = nvmrc.trim();
    const major = version.split(".")[0];

    it(".nvmrc holds one exact version", () => {
        assert.match(
            nvmrc,
            /^\d+\.\d+\.\d+\n$/,
            "one line, major.minor.patch, as dev/node.sh and actions/setup-node read it",
        );
    });

    it("dev/node.sh reads .nvmrc, and pins the tarball integrity of that version for every architecture", () => {
        const script = read("dev/node.sh");
        assert.match(script, /< "\$root\/\.nvmrc"/, "dev/node.sh reads its version from .nvmrc");
        const pins = [...script.matchAll(/^\s*(node-linux-(x64|arm64))@(\S+)\) echo (\S+) ;;$/gm)];
        assert.deepEqual(pins.map((p) => p[2]).sort(), ["arm64", "x64"], "one integrity pin per architecture");
        for (const [, name, , pinned, integrity] of pins) {
            assert.equal(
                pinned,
                version,
                `dev/node.sh pins the integrity of ${name}@${pinned}, .nvmrc says ${version}: \`npm view ${name}@${version} dist.integrity\``,
            );
            assert.match(integrity, /^sha512-[A-Za-z0-9+/]{86}==$/, `${name}: a sha512 integrity`);
        }
        // No other version written into it: a second copy would drift.
        for (const [literal] of script.matchAll(/\b\d+\.\d+\.\d+\b/g))
            assert.equal(literal, version, `dev/node.sh names ${literal}`);
    });

    it("package.json requires that major, and types its APIs", () => {
        assert.equal(pkg.engines.node, `>=${major}`);
        assert.equal(lock.packages[""].engines?.node, pkg.engines.node, "package-lock.json records the same engines");
        assert.equal(
            pkg.devDependencies["@types/node"].split(".")[0],
            major,
            "@types/node of the Node.js major that runs the code",
        );
    });

    it("every locked package accepts it (engines.node)", () => {
        const refused = Object.entries<Obj>(lock.packages)
            .filter(
                ([name, entry]) =>
                    name !== "" && typeof entry.engines?.node === "string" && !satisfies(version, entry.engines.node),
            )
            .map(([name, entry]) => `${name} (${entry.engines.node})`);
        assert.deepEqual(refused, [], `packages whose engines.node refuse Node.js ${version}`);
    });

    it("the GitHub workflows take it from .nvmrc", () => {
        const setups = workflowSteps().filter(({ step }) => String(step.uses).startsWith("actions/setup-node@"));
        assert.ok(setups.length > 0);
        for (const { where, step } of setups) {
            assert.equal(step.with?.["node-version-file"], ".nvmrc", where);
            assert.equal(step.with?.["node-version"], undefined, `${where}: a literal node-version beside .nvmrc`);
        }
    });

    it("the GitLab image runs it, and the docs name that image", () => {
        const image = (yaml.load(read(".gitlab-ci.yml")) as Obj).default.image;
        const match = /^node:(\d+(?:\.\d+){0,2})-[\w.-]+@sha256:[0-9a-f]{64}$/.exec(image);
        assert.ok(match, `default.image: ${image}`);
        const tag = match[1].split(".");
        assert.deepEqual(
            tag,
            version.split(".").slice(0, tag.length),
            `the image ${image} runs another Node.js than .nvmrc's ${version}`,
        );
        const tagged = image.split("@")[0];
        assert.ok(read("docs/pipelines.md").includes(`\`${tagged}\``), `docs/pipelines.md names ${tagged}`);
    });

    it("the README states that major", () => {
        const stated = [...read("README.md").matchAll(/Node\.js (\d+)\+/g)].map((m) => m[1]);
        assert.ok(stated.length > 0, "README.md states the Node.js it needs");
        for (const m of stated) assert.equal(m, major, "README.md");
    });
});

describe("Pulumi CLI: dev/toolchain/pulumi/build.sh is the one source of truth", () => {
    const version = buildVersion("pulumi");

    it("ci/pulumi-cli.sha256 pins the release of that version", () => {
        const match = /^\S+ {2}pulumi-v(\d+\.\d+\.\d+)-linux-x64\.tar\.gz$/m.exec(read("ci/pulumi-cli.sha256"));
        assert.ok(match, "ci/pulumi-cli.sha256 names a release tarball");
        assert.equal(match[1], version, "ci/pulumi-cli.sha256 against dev/toolchain/pulumi/build.sh");
    });

    it("pulumi/actions installs that version", () => {
        const actions = workflowSteps().filter(({ step }) => String(step.uses).startsWith("pulumi/actions@"));
        assert.ok(actions.length > 0);
        for (const { where, step } of actions) assert.equal(String(step.with?.["pulumi-version"]), version, where);
    });

    it("docs/toolchain.md and docs/pipelines.md state that version", () => {
        assert.equal(documentedVersion("pulumi"), version, "docs/toolchain.md pulumi");
        const named = [
            ...read("docs/pipelines.md").matchAll(/pulumi-v?(\d+\.\d+\.\d+)|download\/v(\d+\.\d+\.\d+)/g),
        ].map((m) => m[1] ?? m[2]);
        assert.ok(named.length > 0, "docs/pipelines.md shows how to fill in the pin");
        for (const v of named) assert.equal(v, version, "docs/pipelines.md");
    });
});

describe("Providers: the SDK packages are the plugins the toolchain builds", () => {
    for (const [tool, sdk] of [
        ["pulumi-resource-kubernetes", "@pulumi/kubernetes"],
        ["pulumi-resource-random", "@pulumi/random"],
    ]) {
        it(`${sdk} is ${tool}'s version`, () => {
            const version = buildVersion(tool);
            assert.equal(pkg.dependencies[sdk], version, `package.json ${sdk} against dev/toolchain/${tool}/build.sh`);
            assert.equal(documentedVersion(tool), version, `docs/toolchain.md ${tool}`);
        });
    }
});

describe("npm dependencies: package.json pins, package-lock.json agrees", () => {
    const pinned = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;

    it("pins every dependency to an exact version", () => {
        for (const [name, version] of Object.entries(pinned)) assert.match(version, EXACT, name);
    });

    it("package-lock.json has the same pins, and installs those versions", () => {
        const root = lock.packages[""];
        assert.deepEqual(root.dependencies, pkg.dependencies, "run npm install");
        assert.deepEqual(root.devDependencies, pkg.devDependencies, "run npm install");
        for (const [name, version] of Object.entries(pinned)) {
            assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `package-lock.json installs ${name}`);
        }
    });
});

describe("the engines check above", () => {
    it("reads the range forms of the lockfile as npm does", () => {
        const cases: [string, string, boolean][] = [
            ["24.21.0", ">=22", true],
            ["20.20.2", ">=22", false],
            ["24.21.0", ">= 20.16.0", true],
            ["24.21.0", "^18.19.0 || >=20.6.0", true],
            ["19.0.0", "^18.19.0 || >=20.6.0", false],
            ["18.20.0", "^18.19.0 || >=20.6.0", true],
            ["24.21.0", "6.* || 8.* || >= 10.*", true],
            ["7.1.0", "6.* || 8.* || >= 10.*", false],
            ["14.17.0", ">=16 || 14 >=14.17", true],
            ["14.16.0", ">=16 || 14 >=14.17", false],
            ["15.0.0", ">=16 || 14 >=14.17", false],
            ["8.11.0", ">=9.3.0 || >=8.10.0 <9.0.0", true],
            ["9.1.0", ">=9.3.0 || >=8.10.0 <9.0.0", false],
            ["24.1.0", "~24.0.0", false],
            ["24.0.9", "~24.0.0", true],
            ["24.21.0", "24", true],
            ["25.0.0", "<=24", false],
            ["24.9.0", "<=24", true],
        ];
        for (const [version, range, expected] of cases)
            assert.equal(satisfies(version, range), expected, `${version} in ${range}`);
        assert.throws(() => satisfies("24.21.0", "24.0.0 - 25.0.0"), /unsupported/);
    });
});
