/**
 * The product as its users run it today: the commit PREVIOUS_RELEASE of this repository, built once into the
 * user cache, so an e2e test can deploy a stack with it and then run the current build on the same stack, as an
 * upgrade in place does. Raise PREVIOUS_RELEASE when a release changes what the next one has to upgrade from.
 *
 * Built from this clone's own history (git archive), with this checkout's node_modules: a release whose
 * package.json differs would need its own install, and the build below then fails loudly.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../engine/engine";
import { cacheDir } from "../../engine/engineTools";

/** main before every object had a field manager of our naming (components/fieldManager.ts). */
export const PREVIOUS_RELEASE = "ca413d34aa8bf5bddd8d135dba5299f7d19c1831";

/** The directory of the previous release, built (its dist/ as `npm run build` makes it). */
export function previousRelease(): string {
    const dir = path.join(cacheDir(), "releases", PREVIOUS_RELEASE);
    if (fs.existsSync(path.join(dir, ".built"))) {
        // Built by another clone (CI's is new every run): it runs on this one's node_modules.
        fs.rmSync(path.join(dir, "node_modules"), { force: true });
        fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
        return dir;
    }
    const scratch = `${dir}.partial-${process.pid}`;
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(scratch, { recursive: true });
    try {
        const archive = execFileSync("git", ["-C", PROJECT_DIR, "archive", "--format=tar", PREVIOUS_RELEASE], {
            maxBuffer: 256 * 1024 * 1024,
        });
        execFileSync("tar", ["-x", "-C", scratch], { input: archive });
    } catch (err) {
        throw new Error(
            `the previous release ${PREVIOUS_RELEASE} is not in this clone's history (${String(err)}); ` +
                "the upgrade tests need a clone with history (git clone, not --depth 1)",
        );
    }
    const current = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"));
    const previous = JSON.parse(fs.readFileSync(path.join(scratch, "package.json"), "utf8"));
    if (JSON.stringify(current.dependencies) !== JSON.stringify(previous.dependencies))
        throw new Error(
            `the previous release ${PREVIOUS_RELEASE} pins other dependencies than this checkout: it cannot run on ` +
                "this node_modules (raise PREVIOUS_RELEASE, or give it an install of its own)",
        );
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(scratch, "node_modules"));
    console.log(`building the previous release ${PREVIOUS_RELEASE.slice(0, 12)} for the upgrade tests`);
    execFileSync(
        process.execPath,
        [path.join(PROJECT_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
        { cwd: scratch, stdio: "inherit" },
    );
    fs.writeFileSync(path.join(scratch, ".built"), `${new Date().toISOString()}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(scratch, dir);
    return dir;
}
