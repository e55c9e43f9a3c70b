/**
 * A live Argo CD 3.6 (dev/controlPlane/argocd.ts) for an end-to-end suite: one per suite, started on its World's
 * Argo CD cluster the first time a step needs it, with one ConfigMap committed to deploy, and stopped after the
 * suite's last step. A step proves a registration the way a user's Argo CD would: an Application deploys through
 * it and reaches Synced and Healthy.
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import { type ApplicationStatus, type Destination, LiveArgocd } from "../../dev/controlPlane/argocd";
import type { LocalCluster } from "../../dev/controlPlane/controlPlane";
import { ensureToolchain } from "../../dev/toolchain/toolchain";
import { ARGOCD_NS, type World } from "./world";

/** The repository directory holding the ConfigMap every Application deploys. */
export const CONFIGMAP_PATH = "configmap";

/** The manifest every Application deploys: one ConfigMap whose data says which commit it came from. */
export function configMap(revision: string): string {
    return [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: live-argocd",
        "data:",
        `  revision: "${revision}"`,
        "",
    ].join("\n");
}

/** The ConfigMap's `revision` on `cluster`, undefined when Argo CD did not deploy it. */
export async function deployedRevision(cluster: LocalCluster, namespace: string): Promise<string | undefined> {
    const res = await cluster.admin("GET", `/api/v1/namespaces/${namespace}/configmaps/live-argocd`);
    return res.status === 200 ? res.body.data.revision : undefined;
}

/** Every message Argo CD reported for an Application: its conditions and its last sync operation's. */
export function messages(status: ApplicationStatus): string {
    return [...status.conditions.map((c) => `${c.type}: ${c.message}`), status.operation?.message ?? ""].join("\n");
}

export interface LiveArgocdSuite {
    /** The suite's live Argo CD: started (with revision "1" of the ConfigMap committed) at the first call. */
    start(): Promise<LiveArgocd>;
    /**
     * Creates an Application that deploys the ConfigMap to `destination` and waits until Argo CD reports it
     * Synced and Healthy without a condition, and the ConfigMap is on `cluster`; returns its status.
     */
    deploy(
        name: string,
        destination: Destination,
        cluster: LocalCluster,
        options?: { project?: string },
    ): Promise<ApplicationStatus>;
    /**
     * Commits revision `label` of the ConfigMap, has Argo CD look at the repository at once, and waits until
     * Application `name` reports that commit Synced and Healthy; returns its status.
     */
    syncNewCommit(name: string, label: string): Promise<ApplicationStatus>;
}

/**
 * A live Argo CD for the enclosing describe, on `world()`'s Argo CD cluster. Call it before worldPerSuite (or
 * before the suite's own `after` that disposes the world): hooks run in the order they are declared, so Argo CD
 * stops before the clusters it watches do.
 */
export function liveArgocdPerSuite(world: () => World, options: { projects?: string[] } = {}): LiveArgocdSuite {
    let starting: Promise<LiveArgocd> | undefined;
    const suiteStarted = Date.now();
    after(async () => {
        const argocd = await starting?.catch(() => undefined);
        if (!argocd) return;
        console.log(`[live-argocd] memory (MiB): ${JSON.stringify(argocd.memory())}`);
        console.log(`[live-argocd] suite took ${seconds(suiteStarted)}s`);
        await argocd.stop();
    });

    const start = (): Promise<LiveArgocd> => {
        starting ??= (async () => {
            const asked = Date.now();
            const argocd = await LiveArgocd.start(world().argocd, await ensureToolchain(), {
                namespace: ARGOCD_NS,
                projects: options.projects,
                log: (line) => console.log(`[live-argocd] ${line}`),
            });
            await argocd.repo.commit({ [`${CONFIGMAP_PATH}/configmap.yaml`]: configMap("1") }, "a ConfigMap to deploy");
            console.log(`[live-argocd] started in ${seconds(asked)}s`);
            return argocd;
        })();
        return starting;
    };

    return {
        start,
        async deploy(name, destination, cluster, deployOptions = {}) {
            const argocd = await start();
            const asked = Date.now();
            await argocd.createApplication({ name, destination, path: CONFIGMAP_PATH, project: deployOptions.project });
            const status = await argocd.waitForApplication(name);
            assert.deepEqual(status.conditions, [], `${name}: ${messages(status)}`);
            assert.ok(
                (await deployedRevision(cluster, destination.namespace)) !== undefined,
                `${name}: Argo CD reports it Synced, but the ConfigMap is not on ${cluster.name}`,
            );
            console.log(`[live-argocd] Application ${name} Synced and Healthy after ${seconds(asked)}s`);
            return status;
        },
        async syncNewCommit(name, label) {
            const argocd = await start();
            const asked = Date.now();
            const revision = await argocd.repo.commit(
                { [`${CONFIGMAP_PATH}/configmap.yaml`]: configMap(label) },
                `revision ${label}`,
            );
            await argocd.refresh(name);
            const status = await argocd.waitForApplication(
                name,
                (s) => s.revision === revision && s.sync === "Synced" && s.health === "Healthy",
            );
            console.log(`[live-argocd] Application ${name} synced revision ${label} after ${seconds(asked)}s`);
            return status;
        },
    };
}

/** Whole seconds since `since` (a Date.now()). */
function seconds(since: number): number {
    return Math.round((Date.now() - since) / 1000);
}
