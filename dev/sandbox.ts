/**
 * The main job on an embedded default: local clusters standing in for the OpenShift GitOps hub and the
 * staging and production clusters, registered by the real program, engine and providers from the
 * repository's own stack files, through the pipelines' own scripts (a preview with the policy pack and the
 * registration summary, then `scripts/up`, which enforces the pack too).
 *
 *   npm run sandbox        builds what is missing, starts the clusters, previews and applies both stacks
 *   npm run sandbox:down   destroys both stacks and stops every process
 *
 * Everything lives in .sandbox/ (gitignored): the clusters' data and logs, a kubeconfig, the stack files
 * Pulumi.staging.yaml and Pulumi.production.yaml (the shipped ones, with only `server` pointed at a local
 * cluster) and the stacks' state. Running `npm run sandbox` again re-applies both files.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR, writeProjectFile } from "../engine/engine";
import { createArgoCdSettings } from "./argocdSettings";
import { LocalControlPlane } from "./controlPlane/controlPlane";
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

function recordedPids(): number[] {
    return fs.existsSync(PROCESSES) ? (JSON.parse(fs.readFileSync(PROCESSES, "utf8")) as { pids: number[] }).pids : [];
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
    const running = recordedPids();
    if (running.length > 0 && running.every(alive)) {
        say("clusters already running; re-applying .sandbox/Pulumi.staging.yaml and .sandbox/Pulumi.production.yaml");
    } else {
        if (running.length > 0) await down();
        say(`starting local clusters: ${CLUSTERS.join(", ")}`);
        const plane = await LocalControlPlane.start(CLUSTERS, toolchain, {
            dir: path.join(SANDBOX, "clusters"),
            persistent: true,
        });
        fs.writeFileSync(PROCESSES, JSON.stringify({ pids: plane.pids }));
        const hub = plane.cluster("hub");
        await hub.admin("POST", "/api/v1/namespaces", { metadata: { name: SHIPPED_ARGOCD_NAMESPACE } });
        // As OpenShift GitOps sets it with spec.extraConfig: production's least-privilege registration needs it.
        await createArgoCdSettings(hub, SHIPPED_ARGOCD_NAMESPACE, "argocd-cm", {
            "resource.respectRBAC": "normal",
        });
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
    say("registered. Inspect with kubectl:");
    console.log(`  export KUBECONFIG=${KUBECONFIG}`);
    console.log(
        "  kubectl --context hub -n openshift-gitops get secrets -l argocd.argoproj.io/secret-type=cluster --show-labels",
    );
    console.log("  kubectl --context production get roles,rolebindings -A -l app.kubernetes.io/managed-by=pulumi");
    console.log("  kubectl --context staging get clusterrole argocd-manager-role -o yaml");
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
