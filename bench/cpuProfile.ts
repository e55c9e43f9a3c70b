/**
 * Lever (d) of issue 13, "what a profile shows": reads the V8 CPU profiles a run wrote (NODE_OPTIONS=--cpu-prof)
 * and says where the program's own Node process spent its time: self time by package (the SDK, gRPC,
 * ts-node, the kubernetes client, the program's own files, Node's internals, garbage collection) and the
 * functions with the most self time. The providers are Go processes and are not in it: their share is the
 * by-program breakdown of the process tree (procTree.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
}

export interface ProfileSummary {
    file: string;
    totalMs: number;
    byPackage: { name: string; ms: number }[];
    topFunctions: { name: string; ms: number }[];
}

/** Which part of the process a frame belongs to: a package under node_modules, the program, Node, V8. */
export function frameOwner(url: string, functionName: string): string {
    if (functionName === "(garbage collector)") return "(garbage collector)";
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
    if (url === "") return "(native)";
    if (url.startsWith("node:")) return "node internals";
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (m) return m[1];
    return "the program (its own files)";
}

export function summarize(file: string, top = 12): ProfileSummary {
    const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    const pkg = new Map<string, number>();
    const fn = new Map<string, number>();
    let total = 0;
    for (const [id, us] of self) {
        const node = byId.get(id);
        if (!node) continue;
        const { functionName, url, lineNumber } = node.callFrame;
        const owner = frameOwner(url, functionName);
        if (owner === "(idle)") continue;
        total += us;
        pkg.set(owner, (pkg.get(owner) ?? 0) + us);
        const where = url ? ` ${path.basename(url)}:${lineNumber + 1}` : "";
        const name = `${functionName || "(anonymous)"}${where} [${owner}]`;
        fn.set(name, (fn.get(name) ?? 0) + us);
    }
    const sorted = (m: Map<string, number>) =>
        [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000 }));
    return {
        file: path.basename(file),
        totalMs: total / 1000,
        byPackage: sorted(pkg),
        topFunctions: sorted(fn).slice(0, top),
    };
}

/**
 * The program's profile among those in `dir`: the one whose frames include the ClusterRegistration component
 * (the wrapper's own process, which writes one too, never loads it).
 */
export function programProfile(dir: string): ProfileSummary | undefined {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
    const file = files
        .map((f) => path.join(dir, f))
        .find((f) => fs.readFileSync(f, "utf8").includes("clusterRegistration"));
    return file ? summarize(file) : undefined;
}
