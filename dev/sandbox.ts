/**
 * The main job on an embedded default: local clusters standing in for the OpenShift GitOps hub and the
 * staging and production clusters, registered by the real program, engine and providers from the
 * repository's own stack files, through the pipelines' own scripts (a preview with the policy pack and the
 * registration summary, then `scripts/up`, which enforces the pack too).
 *
 *   npm run sandbox        builds what is missing, starts the clusters, previews and applies both stacks, then
 *                          starts a live Argo CD 3.6 on the hub and waits until it has deployed, through each
 *                          registration, an Application per registered cluster (Synced and Healthy)
 *   npm run sandbox:down   destroys both stacks and stops every process
 *
 * Everything lives in .sandbox/ (gitignored): the clusters' data and logs, a kubeconfig, the stack files
 * Pulumi.staging.yaml and Pulumi.production.yaml (the shipped ones, with only `server` pointed at a local
 * cluster), the stacks' state, and Argo CD's logs and git repository (.sandbox/argocd). Running `npm run sandbox`
 * again re-applies both files and waits for the Applications again.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR, writeProjectFile } from "../engine/engine";
import { installArgoCdSettings } from "./argocdSettings";
import { LiveArgocd } from "./controlPlane/argocd";
import { LocalControlPlane } from "./controlPlane/controlPlane";
import { type ApiResponse, kubeRequest } from "./controlPlane/kubeApi";
import { sleep } from "./controlPlane/process";
import {
    addShippedContexts,
    copyShippedStackFile,
    SHIPPED_ARGOCD_NAMESPACE,
    SHIPPED_CONTEXTS,
    SHIPPED_STACKS,
} from "./shippedStacks";
import { ensureToolchain } from "./toolchain/toolchain";

const SANDBOX = path.join(PROJECT_DIR, ".sandbox");
const PROCESSES = path.join(SANDBOX, "processes.json");
/** The clusters' own kubeconfig (contexts hub, staging, production) plus the stack files' contexts. */
const KUBECONFIG = path.join(SANDBOX, "kubeconfig");
const PASSPHRASE = "sandbox";
const CLUSTERS = ["hub", "staging", "production"];

function say(line: string): void {
    console.log(`[sandbox] ${line}`);
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** What a run leaves for the next one: every process to stop, and where the live Argo CD's Redis listens. */
interface Recorded {
    pids: number[];
    /** Set once Argo CD has started; a sandbox without it is started afresh. */
    argocd?: { redis: string };
}

function recorded(): Recorded {
    return fs.existsSync(PROCESSES) ? (JSON.parse(fs.readFileSync(PROCESSES, "utf8")) as Recorded) : { pids: [] };
}

function recordedPids(): number[] {
    return recorded().pids;
}

/** The manifest every sandbox Application deploys: one ConfigMap. */
const MANIFEST = [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: hello-from-argocd",
    "data:",
    '  deployedBy: "Argo CD, through the registration argocd-clusters wrote"',
    "",
].join("\n");

/** A cluster as a sandbox stack file registers it: what its Application needs. */
interface Registered {
    stack: string;
    name: string;
    project?: string;
    namespaces?: string[];
}

/** Every registration of the sandbox's stack files (`argocd-clusters:clusters`), in file order. */
function registeredClusters(): Registered[] {
    return SHIPPED_STACKS.flatMap((stack) => {
        const file = yaml.load(fs.readFileSync(path.join(SANDBOX, `Pulumi.${stack}.yaml`), "utf8")) as any;
        const entries: any[] = file?.config?.["argocd-clusters:clusters"] ?? [];
        return entries
            .filter((e) => !e.retire)
            .map((e) => ({ stack, name: e.name, project: e.project, namespaces: e.namespaces }));
    });
}

/** The hub's admin requests, through the sandbox kubeconfig's `hub` context (a run that finds everything up). */
function hubAdminFromKubeconfig(): (method: string, urlPath: string) => Promise<ApiResponse> {
    const doc = yaml.load(fs.readFileSync(KUBECONFIG, "utf8")) as any;
    const cluster = doc.clusters.find((c: any) => c.name === "hub").cluster;
    const user = doc.users.find((u: any) => u.name === "hub-admin").user;
    const creds = {
        server: cluster.server,
        bearerToken: user.token,
        ca: Buffer.from(cluster["certificate-authority-data"], "base64"),
    };
    return (method, urlPath) => kubeRequest(creds, method, urlPath);
}

/**
 * Polls every cluster's Application until all are Synced and Healthy, printing their states whenever one
 * changes; fails after `timeoutMs` with the last states and where Argo CD's logs are.
 */
async function awaitApplications(
    admin: (method: string, urlPath: string) => Promise<ApiResponse>,
    names: string[],
    timeoutMs = 240_000,
): Promise<void> {
    const started = Date.now();
    let last = "";
    for (;;) {
        const states = await Promise.all(
            names.map(async (name) => {
                const res = await admin(
                    "GET",
                    `/apis/argoproj.io/v1alpha1/namespaces/${SHIPPED_ARGOCD_NAMESPACE}/applications/${name}`,
                );
                const status = res.status === 200 ? (res.body.status ?? {}) : {};
                const problem = (status.conditions ?? []).map((c: any) => `${c.type}: ${c.message}`).join("; ");
                return {
                    name,
                    done: status.sync?.status === "Synced" && status.health?.status === "Healthy",
                    text: `${name} ${status.sync?.status ?? "-"}/${status.health?.status ?? "-"}${problem ? ` (${problem})` : ""}`,
                };
            }),
        );
        const line = states.map((s) => s.text).join(", ");
        const seconds = Math.round((Date.now() - started) / 1000);
        if (line !== last) say(`Argo CD after ${seconds}s: ${line}`);
        last = line;
        if (states.every((s) => s.done)) return;
        if (Date.now() - started > timeoutMs)
            throw new Error(
                `Argo CD's Applications were not all Synced and Healthy after ${seconds}s: ${line}; ` +
                    `its logs: ${path.relative(process.cwd(), path.join(SANDBOX, "argocd"))}/*.log`,
            );
        await sleep(1000);
    }
}

/** The shipped stack files, pointed at the local clusters, and a kubeconfig with the contexts they name. */
function writeStackFiles(plane: LocalControlPlane): void {
    addShippedContexts(
        plane.kubeconfig,
        {
            [SHIPPED_CONTEXTS.hub]: "hub",
            [SHIPPED_CONTEXTS.staging]: "staging",
            [SHIPPED_CONTEXTS.production]: "production",
        },
        KUBECONFIG,
    );
    for (const stack of SHIPPED_STACKS) copyShippedStackFile(stack, SANDBOX, plane.cluster(stack).server);
    writeProjectFile(SANDBOX);
}

/** Runs scripts/<script> on a sandbox stack, with the engine pointed at the sandbox's files and state. */
function script(name: "preview" | "up", stack: string, ...engineFlags: string[]): boolean {
    const result = spawnSync(
        path.join(PROJECT_DIR, "scripts", name),
        ["--stack", stack, "--", "--cwd", SANDBOX, "--state", path.join(SANDBOX, "state"), ...engineFlags],
        { stdio: "inherit", env: { ...process.env, KUBECONFIG, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } },
    );
    return result.status === 0;
}

function destroy(stack: string): boolean {
    const result = spawnSync(
        process.execPath,
        [
            path.join(__dirname, "..", "engine", "pulumi.js"),
            "destroy",
            // `down` is the confirmation: the wrapper never answers yes for a destroy itself.
            "--yes",
            "--stack",
            stack,
            "--cwd",
            SANDBOX,
            "--state",
            path.join(SANDBOX, "state"),
        ],
        { stdio: "inherit", env: { ...process.env, KUBECONFIG, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } },
    );
    return result.status === 0;
}

async function up(): Promise<number> {
    const toolchain = await ensureToolchain((line) => say(line));
    const before = recorded();
    const running = before.pids;
    let plane: LocalControlPlane | undefined;
    if (running.length > 0 && running.every(alive) && before.argocd) {
        say(
            "clusters and Argo CD already running; re-applying .sandbox/Pulumi.staging.yaml and .sandbox/Pulumi.production.yaml",
        );
    } else {
        if (running.length > 0) await down();
        say(`starting local clusters: ${CLUSTERS.join(", ")}`);
        plane = await LocalControlPlane.start(CLUSTERS, toolchain, {
            dir: path.join(SANDBOX, "clusters"),
            persistent: true,
        });
        fs.writeFileSync(PROCESSES, JSON.stringify({ pids: plane.pids } satisfies Recorded));
        // As OpenShift GitOps writes them; argocd-cm with resource.respectRBAC: normal (spec.extraConfig there),
        // which production's least-privilege registration needs.
        await installArgoCdSettings(plane.cluster("hub"), SHIPPED_ARGOCD_NAMESPACE);
        for (const ns of ["shop", "payments"])
            await plane.cluster("production").admin("POST", "/api/v1/namespaces", { metadata: { name: ns } });
        writeStackFiles(plane);
    }
    // As the pipelines run each stack: the preview with the pack and its summary, then up (the pack again).
    for (const stack of SHIPPED_STACKS) {
        say(`previewing ${stack} with the policy pack`);
        if (!script("preview", stack)) return 1;
        say(`applying ${stack} (scripts/up)`);
        if (!script("up", stack)) return 1;
    }

    // Argo CD itself, deploying through what the program registered: an Application per registered cluster.
    const clusters = registeredClusters();
    let names = clusters.map((c) => c.name);
    let redis = before.argocd?.redis;
    if (plane) {
        say(`starting a live Argo CD 3.6 on the hub (namespace ${SHIPPED_ARGOCD_NAMESPACE})`);
        const hub = plane.cluster("hub");
        const argocd = await LiveArgocd.start(hub, toolchain, {
            namespace: SHIPPED_ARGOCD_NAMESPACE,
            dir: path.join(SANDBOX, "argocd"),
            projects: [...new Set(clusters.flatMap((c) => (c.project ? [c.project] : [])))],
            persistent: true,
            log: say,
        });
        redis = argocd.redisAddress;
        fs.writeFileSync(
            PROCESSES,
            JSON.stringify({ pids: [...argocd.pids, ...plane.pids], argocd: { redis } } satisfies Recorded),
        );
        await argocd.repo.commit({ "hello/configmap.yaml": MANIFEST }, "a ConfigMap for every registered cluster");
        for (const c of clusters) {
            // By the registration's name, into its first namespace (a namespaced one manages only those).
            const namespace = c.namespaces?.[0] ?? "default";
            await argocd.createApplication({
                name: c.name,
                project: c.project,
                destination: { name: c.name, namespace },
                path: "hello",
            });
            say(
                `Application ${c.name} (project ${c.project ?? "default"}) deploys to cluster ${c.name}, namespace ${namespace}`,
            );
        }
    }
    const admin = plane ? plane.cluster("hub").admin.bind(plane.cluster("hub")) : hubAdminFromKubeconfig();
    if (!plane) {
        // Argo CD started with the clusters the files registered then; a cluster added since has no Application.
        const apps = `/apis/argoproj.io/v1alpha1/namespaces/${SHIPPED_ARGOCD_NAMESPACE}/applications`;
        const have = new Set(((await admin("GET", apps)).body?.items ?? []).map((a: any) => a.metadata.name));
        for (const name of names.filter((n) => !have.has(n)))
            say(`cluster ${name} has no Application (registered after Argo CD started; sandbox:down, then sandbox)`);
        names = names.filter((n) => have.has(n));
    }
    await awaitApplications(admin, names);

    say("registered, and Argo CD deployed through every registration. Inspect with kubectl:");
    console.log(
        `  kubectl --kubeconfig ${path.relative(process.cwd(), KUBECONFIG)} get applications -n ${SHIPPED_ARGOCD_NAMESPACE}`,
    );
    console.log(`  export KUBECONFIG=${KUBECONFIG}`);
    console.log(
        "  kubectl --context hub -n openshift-gitops get secrets -l argocd.argoproj.io/secret-type=cluster --show-labels",
    );
    console.log("  kubectl --context production get roles,rolebindings -A -l app.kubernetes.io/managed-by=pulumi");
    console.log("  kubectl --context staging get clusterrole argocd-manager-role -o yaml");
    console.log("The health report, with what Argo CD itself reported (its application-controller's cache in Redis):");
    console.log(
        `  KUBECONFIG=${KUBECONFIG} scripts/verify --stack production --argocd-redis ${redis} -- --cwd ${path.relative(process.cwd(), SANDBOX)}`,
    );
    console.log(
        `Change ${path.relative(process.cwd(), SANDBOX)}/Pulumi.staging.yaml or Pulumi.production.yaml and rerun \`npm run sandbox\`; stop with \`npm run sandbox:down\`.`,
    );
    return 0;
}

async function down(): Promise<number> {
    const pids = recordedPids();
    if (pids.length > 0 && pids.every(alive) && fs.existsSync(path.join(SANDBOX, "state"))) {
        for (const stack of SHIPPED_STACKS) {
            say(`destroying the sandbox stack ${stack}`);
            if (!destroy(stack)) say(`destroy of ${stack} failed; stopping the clusters anyway`);
        }
    }
    for (const pid of pids.filter(alive)) process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(200);
    for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
    fs.rmSync(SANDBOX, { recursive: true, force: true });
    say(pids.length > 0 ? `stopped ${pids.length} processes and removed .sandbox/` : "nothing was running");
    return 0;
}

const command = process.argv[2] ?? "up";
(command === "down" ? down() : up()).then(
    (code) => process.exit(code),
    (err) => {
        console.error(`[sandbox] ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
    },
);
