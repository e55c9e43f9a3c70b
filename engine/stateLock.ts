/**
 * The lock a stopped run leaves on its stack. A DIY backend (file://, s3://, ...) takes a lock for every update
 * and removes it at the end; a run that is killed (a runner that dies, a cancelled pipeline whose grace period
 * ran out) never removes it, and every later run of the stack then fails with "the stack is currently locked",
 * scheduled token renewals included, until a person runs `pulumi cancel`.
 *
 * A lock is removed here only when the run that took it is provably over:
 *   - it was taken on this machine by a process that no longer exists; or
 *   - the caller says it is the stack's only writer (`--only-writer`): the shipped pipelines pass it, because
 *     every job that writes a stack runs in that stack's concurrency group (GitHub `deploy-<stack>`, GitLab
 *     resource group `stack-<stack>`), which starts a job only after the previous one has ended.
 * Anything else is refused with who holds the lock, since when, and the fix. What the stopped run left undone
 * is then completed by the next up itself (docs/operations.md, "After an interrupted run").
 */
import * as os from "node:os";

/** One lock, as the CLI reports it when it refuses to run. */
export interface StackLock {
    /** The lock's file in the backend. */
    file: string;
    /** `user@host`, as the CLI prints it. */
    holder: string;
    host: string;
    pid: number;
    takenAt: string;
}

const LOCKED = "the stack is currently locked by";

/** The locks a CLI run's output reports, none when it was not refused for a lock. */
export function reportedLocks(output: string): StackLock[] {
    if (!output.includes(LOCKED)) return [];
    const locks: StackLock[] = [];
    for (const m of output.matchAll(/^\s*(\S+): created by (\S+)@(\S+) \(pid (\d+)\) at (\S+)\s*$/gm))
        locks.push({ file: m[1], holder: `${m[2]}@${m[3]}`, host: m[3], pid: Number(m[4]), takenAt: m[5] });
    return locks;
}

export interface LockContext {
    /** The caller is the stack's only writer (its pipeline's concurrency group holds every other). */
    onlyWriter: boolean;
    hostname?: string;
    alive?: (pid: number) => boolean;
    now?: Date;
}

/** Why `lock` is left behind by a run that is over, or undefined when that cannot be proven. */
export function abandonedBecause(lock: StackLock, context: LockContext): string | undefined {
    const hostname = context.hostname ?? os.hostname();
    const alive = context.alive ?? processExists;
    if (lock.host === hostname && !alive(lock.pid))
        return `its process ${lock.pid} on this machine (${hostname}) no longer exists`;
    if (context.onlyWriter)
        return "this job is the stack's only writer (--only-writer: its pipeline's concurrency group starts a job only after the previous one ended)";
    return undefined;
}

/** How long ago `takenAt` was, in words. */
export function age(takenAt: string, now = new Date()): string {
    const minutes = Math.round((now.getTime() - Date.parse(takenAt)) / 60_000);
    return minutes < 120 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}

/** What to say when a lock cannot be proven abandoned: who, since when, and the fix. */
export function lockRefusal(stack: string, locks: StackLock[], now = new Date()): string {
    const held = locks.map((l) => `  ${l.holder} (pid ${l.pid}) since ${l.takenAt} (${age(l.takenAt, now)})`);
    return [
        `error: stack ${stack} is locked by a run that may still be going on:`,
        ...held,
        "  fix: if that run is over (a cancelled pipeline, a runner that died, a machine that was switched off), remove",
        `       its lock with \`npm run pulumi -- cancel --yes --stack ${stack}\` and run up again: up completes what it`,
        "       left undone (docs/operations.md, After an interrupted run). A pipeline whose jobs for this stack all",
        "       run in one concurrency group passes --only-writer, and this happens by itself.",
    ].join("\n");
}

function processExists(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}
