/**
 * The main job on an embedded default: local clusters standing in for the OpenShift GitOps hub and the
 * staging and production clusters, registered by the real program, engine and providers with the
 * registrations of the real stack files.
 *
 *   npm run sandbox        builds what is missing, starts the clusters, runs `up`, prints the registrations
 *   npm run sandbox:down   destroys the stack and stops every process
 *
 * Everything lives in .sandbox/ (gitignored): the clusters' data and logs, a kubeconfig, the stack file
 * Pulumi.local.yaml and the stack's state. Running `npm run sandbox` again re-applies Pulumi.local.yaml.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR, writeProjectFile } from "../engine/engine";
import { createArgoCdSettings } from "./argocdSettings";
import { LocalControlPlane } from "./controlPlane/controlPlane";
import { sleep } from "./controlPlane/process";
import { ensureToolchain } from "./toolchain/toolchain";

const SANDBOX = path.join(PROJECT_DIR, ".sandbox");
const PROCESSES = path.join(SANDBOX, "processes.json");
const KUBECONFIG = path.join(SANDBOX, "clusters", "kubeconfig");
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

/** The registrations of the real stack files, pointed at the local clusters. */
function writeStackFile(servers: Record<string, string>): void {
    const entry = (stack: string) => {
        const file = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
            config: Record<string, any>;
        };
        const [cluster] = file.config["argocd-clusters:clusters"];
        return { ...cluster, server: servers[stack], context: stack };
    };
    const config = {
        "pulumi:disable-default-providers": ["kubernetes"],
        "argocd-clusters:argocd": { namespace: "openshift-gitops", context: "hub" },
        "argocd-clusters:clusters": [entry("staging"), entry("production")],
    };
    const header =
        "# Written by `npm run sandbox` from Pulumi.staging.yaml and Pulumi.production.yaml. Edit and rerun.\n";
    fs.writeFileSync(path.join(SANDBOX, "Pulumi.local.yaml"), header + yaml.dump({ config }));
    writeProjectFile(SANDBOX);
}

function pulumi(operation: string): boolean {
    const result = spawnSync(
        process.execPath,
        [
            path.join(__dirname, "..", "engine", "pulumi.js"),
            operation,
            "--stack",
            "local",
            "--cwd",
            SANDBOX,
            "--state",
            path.join(SANDBOX, "state"),
        ],
        {
            stdio: "inherit",
            env: { ...process.env, KUBECONFIG, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
        },
    );
    return result.status === 0;
}

async function up(): Promise<number> {
    const toolchain = await ensureToolchain((line) => say(line));
    const running = recordedPids();
    if (running.length > 0 && running.every(alive)) {
        say("clusters already running; re-applying .sandbox/Pulumi.local.yaml");
    } else {
        if (running.length > 0) await down();
        say(`starting local clusters: ${CLUSTERS.join(", ")}`);
        const plane = await LocalControlPlane.start(CLUSTERS, toolchain, {
            dir: path.join(SANDBOX, "clusters"),
            persistent: true,
        });
        fs.writeFileSync(PROCESSES, JSON.stringify({ pids: plane.pids }));
        await plane.cluster("hub").admin("POST", "/api/v1/namespaces", { metadata: { name: "openshift-gitops" } });
        // As OpenShift GitOps sets it with spec.extraConfig: production's least-privilege registration needs it.
        await createArgoCdSettings(plane.cluster("hub"), "openshift-gitops", "argocd-cm", {
            "resource.respectRBAC": "normal",
        });
        for (const ns of ["shop", "payments"])
            await plane.cluster("production").admin("POST", "/api/v1/namespaces", { metadata: { name: ns } });
        writeStackFile(Object.fromEntries(plane.clusters.map((c) => [c.name, c.server])));
    }
    if (!pulumi("up")) return 1;
    say("registered. Inspect with kubectl:");
    console.log(`  export KUBECONFIG=${KUBECONFIG}`);
    console.log(
        "  kubectl --context hub -n openshift-gitops get secrets -l argocd.argoproj.io/secret-type=cluster --show-labels",
    );
    console.log("  kubectl --context production get roles,rolebindings -A -l app.kubernetes.io/managed-by=pulumi");
    console.log("  kubectl --context staging get clusterrole argocd-manager-role -o yaml");
    console.log(
        `Change ${path.relative(process.cwd(), path.join(SANDBOX, "Pulumi.local.yaml"))} and rerun \`npm run sandbox\`; stop with \`npm run sandbox:down\`.`,
    );
    return 0;
}

async function down(): Promise<number> {
    const pids = recordedPids();
    if (pids.length > 0 && pids.every(alive) && fs.existsSync(path.join(SANDBOX, "state"))) {
        say("destroying the sandbox stack");
        if (!pulumi("destroy")) say("destroy failed; stopping the clusters anyway");
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
