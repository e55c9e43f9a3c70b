/**
 * Runs one command as its own process and measures it: wall-clock time, peak resident memory of the whole
 * process tree rooted at it (sampled from /proc every 100 ms: every process whose ppid chain leads to the root,
 * VmRSS summed, the maximum kept), CPU time of the tree, and a per-program breakdown (peak RSS and approximate
 * CPU by command name: node, pulumi, pulumi-resource-kubernetes, ...). Linux only.
 *
 * The command runs in its own process group, so whatever is left of it (an engine whose parent died, a plugin)
 * is killed by that group's id when this process exits, however it exits.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const CLK_TCK = 100; // USER_HZ: clock ticks per second in /proc/*/stat; 100 on every Linux we run on.

export interface ProgramUsage {
    /** Peak of the summed VmRSS of this program's processes, MiB. */
    peakRssMiB: number;
    /** Peak of the summed RssAnon (VmRSS without file-backed pages such as the executable's), MiB. */
    peakAnonMiB: number;
    /** CPU seconds (user + system), approximate: the last sample of each process. */
    cpuSeconds: number;
    /** Most processes of this program alive at once. */
    processes: number;
}

/** One process of the tree as the samples saw it: when it was first and last seen, seconds after spawn. */
export interface ProcessSpan {
    name: string;
    /** Its arguments, shortened: for pulumi the subcommand, which tells the Automation API's calls apart. */
    args: string;
    firstSeen: number;
    lastSeen: number;
}

export interface Measurement {
    /** Wall-clock seconds from spawn to exit. */
    seconds: number;
    /** Peak of the tree's summed VmRSS, MiB. */
    peakRssMiB: number;
    /**
     * Peak of the tree's summed RssAnon, MiB. VmRSS also counts file-backed pages, above all the executable's
     * text: N processes of one big binary count its pages N times although the page cache holds them once.
     */
    peakAnonMiB: number;
    /**
     * User + system CPU seconds of the whole tree, exact: what this process's "children" CPU counters gained
     * while the command ran (each process's time reaches them once its parent has reaped it).
     */
    cpuSeconds: number;
    /** Most processes in the tree at once. */
    peakProcesses: number;
    byProgram: Record<string, ProgramUsage>;
    /** Every process seen, in order of appearance (one missed if it lived less than a sampling period). */
    timeline: ProcessSpan[];
    code: number;
    /** Combined stdout and stderr, each chunk prefixed with the seconds since spawn. */
    log: string;
}

interface ProcInfo {
    ppid: number;
    comm: string;
    cpuTicks: number;
}

function readStat(pid: string): ProcInfo | undefined {
    try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // "pid (comm) state ppid ..." where comm may itself contain spaces and parentheses.
        const open = text.indexOf("(");
        const close = text.lastIndexOf(")");
        const fields = text.slice(close + 2).split(" ");
        // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15.
        return {
            ppid: Number(fields[1]),
            comm: text.slice(open + 1, close),
            cpuTicks: Number(fields[11]) + Number(fields[12]),
        };
    } catch {
        return undefined; // exited between readdir and read
    }
}

/**
 * What a process runs, as the breakdown names it: the executable's file name (comm is cut at 15 characters, so
 * both plugins would be "pulumi-resource"), and for node the script, as "node pulumi.js".
 */
const nameCache = new Map<number, { name: string; args: string }>();
function programName(pid: number, comm: string): { name: string; args: string } {
    let found = nameCache.get(pid);
    if (found) return found;
    let name = comm;
    let args = "";
    try {
        const argv = fs
            .readFileSync(`/proc/${pid}/cmdline`, "utf8")
            .split("\0")
            .filter((a) => a !== "");
        name = path.basename(argv[0] ?? comm);
        if (name === "node") {
            const script = argv.slice(1).find((a) => !a.startsWith("-"));
            if (script) name = `node ${path.basename(script)}`;
        }
        args = argv
            .slice(1)
            .filter((a) => !a.startsWith("/"))
            .slice(0, 4)
            .join(" ")
            .slice(0, 80);
    } catch {
        // gone already
    }
    found = { name, args };
    nameCache.set(pid, found);
    return found;
}

/** VmRSS and its anonymous part (RssAnon), KiB. */
function rssKiB(pid: number): { rss: number; anon: number } {
    try {
        const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
        const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? 0);
        return { rss: field("VmRSS"), anon: field("RssAnon") };
    } catch {
        return { rss: 0, anon: 0 };
    }
}

/** The tree rooted at `root`: pid -> stat, walking ppid links over every process in /proc. */
export function processTree(root: number): Map<number, ProcInfo> {
    const all = new Map<number, ProcInfo>();
    for (const entry of fs.readdirSync("/proc")) {
        if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
        const info = readStat(entry);
        if (info) all.set(Number(entry), info);
    }
    const children = new Map<number, number[]>();
    for (const [pid, info] of all) {
        const list = children.get(info.ppid);
        if (list) list.push(pid);
        else children.set(info.ppid, [pid]);
    }
    const tree = new Map<number, ProcInfo>();
    const stack = all.has(root) ? [root] : [];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        tree.set(pid, all.get(pid)!);
        stack.push(...(children.get(pid) ?? []));
    }
    return tree;
}

/** user + system CPU seconds of this process's reaped children (cutime + cstime of /proc/self/stat). */
function childrenCpuSeconds(): number {
    const text = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

/** Process groups of commands still running, killed when this process exits. */
const groups = new Set<number>();
function killGroups(): void {
    for (const pgid of groups) {
        try {
            process.kill(-pgid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    groups.clear();
}
process.on("exit", killGroups);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
        killGroups();
        // Die of the signal as usual, unless another handler (the control plane's) does it after us.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
}

export interface RunOptions {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Called every `tickMs` with the seconds elapsed, for progress lines. */
    onTick?: (seconds: number) => void;
    tickMs?: number;
    /** Killed (the whole group) after this long. */
    timeoutMs?: number;
}

export async function measure(command: string, args: string[], options: RunOptions = {}): Promise<Measurement> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    const cpuBefore = childrenCpuSeconds();
    const child = spawn(command, args, {
        env: options.env,
        cwd: options.cwd,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
    });
    const root = child.pid!;
    groups.add(root);
    const chunks: string[] = [];
    const record = (data: Buffer) => chunks.push(`[${elapsed().toFixed(2)}s] ${data.toString("utf8")}`);
    child.stdout!.on("data", record);
    child.stderr!.on("data", record);

    let peakRssKiB = 0;
    let peakAnonKiB = 0;
    let peakProcesses = 0;
    const peakByProgram = new Map<string, { rssKiB: number; anonKiB: number; processes: number }>();
    const lastCpu = new Map<number, { comm: string; ticks: number }>();
    const spans = new Map<number, ProcessSpan>();
    const sample = () => {
        const at = Number(elapsed().toFixed(2));
        const tree = processTree(root);
        let total = 0;
        let totalAnon = 0;
        const now = new Map<string, { rssKiB: number; anonKiB: number; processes: number }>();
        let counted = 0;
        for (const [pid, info] of tree) {
            const { name, args } = programName(pid, info.comm);
            const parent = pid === root ? undefined : programName(info.ppid, tree.get(info.ppid)?.comm ?? "");
            // A child between fork and exec is still a copy of its parent (same command line, the parent's pages
            // counted again in its VmRSS): not a process of its own yet.
            if (parent && parent.name === name && parent.args === args) {
                nameCache.delete(pid); // read it again next time: by then it has exec'd
                continue;
            }
            counted += 1;
            const { rss, anon } = rssKiB(pid);
            total += rss;
            totalAnon += anon;
            const span = spans.get(pid);
            if (span) span.lastSeen = at;
            else spans.set(pid, { name, args, firstSeen: at, lastSeen: at });
            const entry = now.get(name) ?? { rssKiB: 0, anonKiB: 0, processes: 0 };
            entry.rssKiB += rss;
            entry.anonKiB += anon;
            entry.processes += 1;
            now.set(name, entry);
            lastCpu.set(pid, { comm: name, ticks: info.cpuTicks });
        }
        peakRssKiB = Math.max(peakRssKiB, total);
        peakAnonKiB = Math.max(peakAnonKiB, totalAnon);
        peakProcesses = Math.max(peakProcesses, counted);
        for (const [comm, entry] of now) {
            const peak = peakByProgram.get(comm) ?? { rssKiB: 0, anonKiB: 0, processes: 0 };
            peakByProgram.set(comm, {
                rssKiB: Math.max(peak.rssKiB, entry.rssKiB),
                anonKiB: Math.max(peak.anonKiB, entry.anonKiB),
                processes: Math.max(peak.processes, entry.processes),
            });
        }
    };
    sample();
    const sampler = setInterval(sample, 100);
    const ticker = options.onTick ? setInterval(() => options.onTick!(elapsed()), options.tickMs ?? 15_000) : undefined;
    const timer = options.timeoutMs ? setTimeout(() => process.kill(-root, "SIGKILL"), options.timeoutMs) : undefined;
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const code = await new Promise<number>((resolve) =>
        child.once("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1))),
    );
    const seconds = elapsed();
    clearInterval(sampler);
    if (ticker) clearInterval(ticker);
    if (timer) clearTimeout(timer);
    // Anything the command left behind in its group goes now.
    try {
        process.kill(-root, "SIGKILL");
    } catch {
        // nothing left
    }
    groups.delete(root);
    nameCache.clear();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);

    const cpuByProgram = new Map<string, number>();
    for (const { comm, ticks } of lastCpu.values())
        cpuByProgram.set(comm, (cpuByProgram.get(comm) ?? 0) + ticks / CLK_TCK);
    const byProgram: Record<string, ProgramUsage> = {};
    for (const [comm, peak] of peakByProgram) {
        byProgram[comm] = {
            peakRssMiB: peak.rssKiB / 1024,
            peakAnonMiB: peak.anonKiB / 1024,
            cpuSeconds: cpuByProgram.get(comm) ?? 0,
            processes: peak.processes,
        };
    }
    return {
        seconds,
        peakRssMiB: peakRssKiB / 1024,
        peakAnonMiB: peakAnonKiB / 1024,
        cpuSeconds: childrenCpuSeconds() - cpuBefore,
        peakProcesses,
        byProgram,
        timeline: [...spans.values()],
        code,
        log: chunks.join(""),
    };
}
