/**
 * Stopping a run at an exact write, as pipelines get stopped: a runner that dies (SIGKILL to everything the run
 * started) or a cancelled job (GitHub Actions sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after
 * that). The write tap (dev/controlPlane/writeTap.ts) shows each write to the test before its API server acts on
 * it, so "the k-th write" is the same point in every run of the same operation.
 */
import { kubeRequest } from "../../dev/controlPlane/kubeApi";
import type { Write, WriteTap } from "../../dev/controlPlane/writeTap";
import { ARGOCD_NS, credentialsFrom, decodeClusterSecret, type PulumiRun, type World } from "./world";

export type Stop = "SIGKILL" | "SIGINT";

export interface Interrupted {
    run: PulumiRun;
    /** The write the run was stopped at; undefined when the run made fewer than k writes and ended by itself. */
    at?: Write;
    /** Every write the run made, in order. */
    writes: Write[];
}

/**
 * Runs `operation` (a run of `world`) and stops it as `stop` says when a write reaches a server: its `at`-th
 * write, or the first for which `at` holds.
 */
export async function interruptAt(
    world: World,
    tap: WriteTap,
    at: number | ((write: Write) => boolean),
    stop: Stop,
    operation: () => Promise<PulumiRun>,
): Promise<Interrupted> {
    let group: number | undefined;
    let stoppedAt: Write | undefined;
    const writes: Write[] = [];
    const timers: NodeJS.Timeout[] = [];
    world.onRunStart = (pg) => {
        group = pg;
    };
    tap.listen((write) => {
        writes.push(write);
        const reached = typeof at === "number" ? writes.length === at : at(write);
        if (!reached || stoppedAt || group === undefined) return;
        stoppedAt = write;
        if (stop === "SIGKILL") signal(group, "SIGKILL");
        else {
            const pg = group;
            signal(pg, "SIGINT");
            timers.push(setTimeout(() => signal(pg, "SIGTERM"), 7_500));
            timers.push(setTimeout(() => signal(pg, "SIGKILL"), 10_000));
        }
    });
    try {
        const run = await operation();
        return { run, at: stoppedAt, writes };
    } finally {
        tap.listen(undefined);
        world.onRunStart = undefined;
        for (const t of timers) clearTimeout(t);
        // A job's end takes every process it left with it.
        if (group !== undefined) signal(group, "SIGKILL");
    }
}

/** Signals every process of a group; one that is gone already is fine. */
function signal(group: number, name: NodeJS.Signals): void {
    try {
        process.kill(-group, name);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
}

/** A watcher of registrations as Argo CD finds them: started before a run, stopped after the next one. */
export interface RegistrationWatch {
    /** Stops watching; what it found wrong, once per registration and kind of fault, with how often. */
    stop(): Promise<string[]>;
    /** How many times it read the cluster Secrets. */
    reads(): number;
}

/**
 * Every 50 ms, reads the cluster Secrets as Argo CD does (by label, in its namespace) and, for each of `names`,
 * checks that one is there and that its cluster accepts its token. A registration that is missing, or whose
 * token gets 401, is a window in which Argo CD cannot deploy.
 */
export function watchRegistrations(world: World, names: string[]): RegistrationWatch {
    const faults = new Map<string, number>();
    const fault = (what: string) => faults.set(what, (faults.get(what) ?? 0) + 1);
    let reads = 0;
    let watching = names.length > 0;
    const selector = encodeURIComponent("argocd.argoproj.io/secret-type=cluster");
    const loop = (async () => {
        while (watching) {
            const started = Date.now();
            const list = await world.argocd.admin(
                "GET",
                `/api/v1/namespaces/${ARGOCD_NS}/secrets?labelSelector=${selector}`,
            );
            reads++;
            for (const name of names) {
                const secrets = (list.body?.items ?? []).filter(
                    (s: any) => Buffer.from(s.data?.name ?? "", "base64").toString() === name,
                );
                if (secrets.length === 0) {
                    fault(`${name}: no cluster Secret`);
                    continue;
                }
                const statuses = await Promise.all(
                    secrets.map(
                        async (s: any) =>
                            (await kubeRequest(credentialsFrom(decodeClusterSecret(s)), "GET", "/api")).status,
                    ),
                );
                if (!statuses.includes(200)) fault(`${name}: its cluster answered ${statuses.join(", ")}`);
            }
            await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - started))));
        }
    })();
    return {
        async stop() {
            watching = false;
            await loop;
            return [...faults].map(([what, times]) => `${what} (${times} reads)`);
        },
        reads: () => reads,
    };
}
