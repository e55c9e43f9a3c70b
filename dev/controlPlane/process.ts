/**
 * One child process of a local control plane: started with its output in a log file, ready when its health
 * URL answers, stopped with SIGTERM then SIGKILL. Every started process is also killed when this Node process
 * exits, however it exits, so a failing test leaves nothing behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const running = new Set<ChildProcess>();
function killAll(): void {
    for (const child of running) child.kill("SIGKILL");
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
        killAll();
        process.kill(process.pid, signal);
    });
}

export interface ProcessSpec {
    /** Shown in errors and used as the log file's name. */
    name: string;
    binary: string;
    args: string[];
    /** Its environment; this process's own when unset. */
    env?: NodeJS.ProcessEnv;
    /** Directory for the log file. */
    logDir: string;
    /** Resolves true once the process is ready to serve. */
    ready: () => Promise<boolean>;
    /** How long to wait for readiness (START_TIMEOUT_MS when unset). */
    startTimeoutMs?: number;
    /** Keep running after this Node process exits (the sandbox); stopped later by PID. */
    persistent?: boolean;
}

/**
 * How long a process may take to become ready. Generous: `npm test` runs two e2e files at once on two cores,
 * and a kube-apiserver starting beside seven others and two engines once took over 60 s.
 */
const START_TIMEOUT_MS = 240_000;

export class ManagedProcess {
    private child?: ChildProcess;
    private exited?: Promise<void>;
    readonly logFile: string;

    constructor(readonly spec: ProcessSpec) {
        this.logFile = path.join(spec.logDir, `${spec.name}.log`);
    }

    get pid(): number | undefined {
        return this.child?.pid;
    }

    get isRunning(): boolean {
        return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
    }

    /** Starts the process and waits until it is ready; a process that exits first fails with its log's tail. */
    async start(): Promise<void> {
        if (this.isRunning) return;
        const log = fs.openSync(this.logFile, "a");
        const child = spawn(this.spec.binary, this.spec.args, {
            stdio: ["ignore", log, log],
            env: this.spec.env ?? process.env,
            detached: this.spec.persistent,
        });
        fs.closeSync(log);
        this.child = child;
        if (this.spec.persistent) child.unref();
        else running.add(child);
        this.exited = new Promise((resolve) =>
            child.once("exit", () => {
                running.delete(child);
                resolve();
            }),
        );
        const deadline = Date.now() + (this.spec.startTimeoutMs ?? START_TIMEOUT_MS);
        while (Date.now() < deadline) {
            if (!this.isRunning) throw new Error(`${this.spec.name} exited during start-up:\n${this.tail()}`);
            if (await this.spec.ready().catch(() => false)) return;
            await sleep(100);
        }
        await this.stop();
        throw new Error(
            `${this.spec.name} was not ready within ${(this.spec.startTimeoutMs ?? START_TIMEOUT_MS) / 1000}s:\n${this.tail()}`,
        );
    }

    /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
    async stop(graceMs = 10_000): Promise<void> {
        if (!this.child || !this.isRunning) return;
        const child = this.child;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await this.exited;
        clearTimeout(timer);
    }

    /** The last lines of the log, for error messages. */
    tail(lines = 20): string {
        try {
            return fs.readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
        } catch {
            return "(no log)";
        }
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
