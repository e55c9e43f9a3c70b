/**
 * The repository's own stack files on local clusters, for the sandbox and the end-to-end tests: each file is
 * copied as written, with only its target's `server` replaced by a local cluster's address (the files' host
 * names do not resolve here), and the kubeconfig gains the contexts the files name, each reusing a local
 * cluster's entry. What runs is then what ships.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../engine/engine";

export const SHIPPED_STACKS = ["staging", "production"] as const;
export type ShippedStack = (typeof SHIPPED_STACKS)[number];

/** The Argo CD namespace the shipped files register in (OpenShift GitOps's). */
export const SHIPPED_ARGOCD_NAMESPACE = "openshift-gitops";

/** The kubeconfig contexts the shipped files name: the hub's, and each stack's target. */
export const SHIPPED_CONTEXTS = {
    hub: "default/api-cluster-hub:6443/admin",
    staging: "default/api-cluster-staging:6443/admin",
    production: "default/api-cluster-production:6443/admin",
} as const;

/** The server each shipped file registers. */
export function shippedServer(stack: ShippedStack): string {
    return `https://api.cluster.${stack}:6443`;
}

/**
 * Writes `kubeconfig` again with, for each of `contexts` (shipped context name -> a context already in it), a
 * context of that name on the same cluster and user.
 */
export function addShippedContexts(kubeconfig: string, contexts: Partial<Record<string, string>>, out: string): void {
    const doc = yaml.load(fs.readFileSync(kubeconfig, "utf8")) as { contexts: { name: string; context: object }[] };
    for (const [name, existing] of Object.entries(contexts)) {
        const local = doc.contexts.find((c) => c.name === existing);
        if (!local) throw new Error(`${kubeconfig} has no context ${existing}`);
        doc.contexts = doc.contexts.filter((c) => c.name !== name);
        doc.contexts.push({ name, context: { ...local.context } });
    }
    fs.writeFileSync(out, yaml.dump(doc), { mode: 0o600 });
}

/** Copies Pulumi.<stack>.yaml into `dir` byte for byte, but for its target's `server`, which becomes `server`. */
export function copyShippedStackFile(stack: ShippedStack, dir: string, server: string): string {
    const text = fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8");
    const line = `server: ${shippedServer(stack)}`;
    if (text.split(line).length !== 2) throw new Error(`Pulumi.${stack}.yaml no longer has exactly one "${line}"`);
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, text.replace(line, `server: ${server}`));
    return file;
}
