/**
 * A local git repository for a live Argo CD to deploy from (a `file://` URL its repo-server clones), made and
 * changed with the git command, as a person would push to a real one.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Git with no system or user configuration, so a developer's settings (signing, hooks) cannot interfere. */
const GIT_ENV = {
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "argocd-clusters",
    GIT_AUTHOR_EMAIL: "argocd-clusters@localhost",
    GIT_COMMITTER_NAME: "argocd-clusters",
    GIT_COMMITTER_EMAIL: "argocd-clusters@localhost",
};

export class GitRepository {
    private constructor(readonly dir: string) {}

    /** What an Application's `spec.source.repoURL` names. */
    get url(): string {
        return `file://${this.dir}`;
    }

    /** An empty repository on branch main in `dir`. */
    static async init(dir: string): Promise<GitRepository> {
        fs.mkdirSync(dir, { recursive: true });
        const repo = new GitRepository(dir);
        await repo.git("init", "--quiet", "--initial-branch=main");
        return repo;
    }

    /** Writes `files` (paths relative to the repository) and commits them; returns the commit's SHA. */
    async commit(files: Record<string, string>, message: string): Promise<string> {
        for (const [file, content] of Object.entries(files)) {
            const full = path.join(this.dir, file);
            fs.mkdirSync(path.dirname(full), { recursive: true });
            fs.writeFileSync(full, content);
        }
        await this.git("add", "--all");
        await this.git("commit", "--quiet", "--message", message);
        return (await this.git("rev-parse", "HEAD")).trim();
    }

    private git(...args: string[]): Promise<string> {
        return new Promise((resolve, reject) => {
            execFile("git", args, { cwd: this.dir, env: { ...process.env, ...GIT_ENV } }, (err, stdout, stderr) => {
                if (err) reject(new Error(`git ${args.join(" ")} in ${this.dir} failed: ${stderr || err.message}`));
                else resolve(stdout);
            });
        });
    }
}
