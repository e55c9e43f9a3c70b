/**
 * Baseline (b), the physical limit: the API calls one cluster-wide registration needs, made directly with
 * @kubernetes/client-node, every target in parallel, no engine, no state. Per target: ServiceAccount, then
 * ClusterRole, ClusterRoleBinding and the token Secret together, wait (polling every 50 ms) until the token
 * controller has filled the token, then the cluster Secret on the Argo CD cluster, with the same contents the
 * program writes. `delete` removes them again, cluster Secret first, as the program does.
 *
 *   node dist/bench/directCalls.js <create|delete> --kubeconfig FILE --argocd CONTEXT --namespace NS
 *        --targets CTX1,CTX2,... [--service-accounts SA1,SA2,...] [--result FILE]
 *
 * --service-accounts gives each target its own ServiceAccount (default argocd-manager), for targets that share
 * one API server under distinct URLs.
 *
 * --result receives {"callsSeconds": ...}: the time of the calls alone (kubeconfig parsing included), without
 * Node's start-up and module loading (the benchmark also times the whole process).
 */

import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type * as K8s from "@kubernetes/client-node";
import { clusterConfigJson, clusterSecretData, clusterSecretName } from "../argocd/clusterSecret";
import {
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SYSTEM_NAMESPACE,
    FULL_CLUSTER_RULES,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PART_OF_LABEL,
    PROJECT,
    roleBindingName,
    roleName,
    SECRET_TYPE_CLUSTER,
    SECRET_TYPE_LABEL,
    SERVICE_ACCOUNT_NAME_ANNOTATION,
    SERVICE_ACCOUNT_TOKEN_TYPE,
    tokenSecretName,
} from "../argocd/names";

/**
 * @kubernetes/client-node 1.x is an ES module only and this file is CommonJS: loaded with a real import(), as
 * components/kubeClient.ts does (TypeScript would turn import() into require() here).
 */
const importModule = new Function("url", "return import(url)") as (url: string) => Promise<typeof K8s>;
let k8s: typeof K8s;

const NS = DEFAULT_SYSTEM_NAMESPACE;
const LABELS = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PART_OF_LABEL]: PROJECT };

interface Client {
    context: string;
    server: string;
    core: K8s.CoreV1Api;
    rbac: K8s.RbacAuthorizationV1Api;
    /** Its own when targets share an API server (bench/bench.ts), as the program's registrations then have. */
    serviceAccount: string;
}

/** One client per context, from one parse of the kubeconfig. */
function clients(file: string, contexts: string[], serviceAccounts: string[] = []): Client[] {
    const all = new k8s.KubeConfig();
    all.loadFromFile(file);
    return contexts.map((context, i) => {
        const kc = new k8s.KubeConfig();
        kc.loadFromOptions({
            clusters: all.clusters,
            users: all.users,
            contexts: all.contexts,
            currentContext: context,
        });
        const server = kc.getCurrentCluster()?.server;
        if (!server) throw new Error(`context ${context} has no cluster in ${file}`);
        return {
            context,
            server,
            core: kc.makeApiClient(k8s.CoreV1Api),
            rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
            serviceAccount: serviceAccounts[i] ?? DEFAULT_SERVICE_ACCOUNT,
        };
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function register(target: Client, argocd: Client, argocdNamespace: string): Promise<void> {
    const SA = target.serviceAccount;
    const TOKEN_SECRET = tokenSecretName(SA, "direct00");
    await target.core.createNamespacedServiceAccount({
        namespace: NS,
        body: { metadata: { name: SA, namespace: NS, labels: LABELS } },
    });
    await Promise.all([
        target.rbac.createClusterRole({
            body: { metadata: { name: roleName(SA), labels: LABELS }, rules: FULL_CLUSTER_RULES },
        }),
        target.rbac.createClusterRoleBinding({
            body: {
                metadata: { name: roleBindingName(SA), labels: LABELS },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName(SA) },
                subjects: [{ kind: "ServiceAccount", name: SA, namespace: NS }],
            },
        }),
        target.core.createNamespacedSecret({
            namespace: NS,
            body: {
                metadata: {
                    name: TOKEN_SECRET,
                    namespace: NS,
                    labels: LABELS,
                    annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: SA },
                },
                type: SERVICE_ACCOUNT_TOKEN_TYPE,
            },
        }),
    ]);
    let data: Record<string, string> | undefined;
    const deadline = Date.now() + 60_000;
    while (!data?.token) {
        if (Date.now() > deadline) throw new Error(`${target.context}: the token Secret was not filled within 60s`);
        data = (await target.core.readNamespacedSecret({ name: TOKEN_SECRET, namespace: NS })).data;
        if (!data?.token) await sleep(50);
    }
    const config = clusterConfigJson({
        bearerToken: Buffer.from(data.token, "base64").toString("utf8"),
        insecure: false,
        caData: data["ca.crt"],
    });
    await argocd.core.createNamespacedSecret({
        namespace: argocdNamespace,
        body: {
            metadata: {
                name: clusterSecretName(target.server),
                namespace: argocdNamespace,
                labels: { ...LABELS, [SECRET_TYPE_LABEL]: SECRET_TYPE_CLUSTER },
            },
            type: "Opaque",
            stringData: clusterSecretData({ name: target.context, server: target.server, config }),
        },
    });
}

async function unregister(target: Client, argocd: Client, argocdNamespace: string): Promise<void> {
    const SA = target.serviceAccount;
    const TOKEN_SECRET = tokenSecretName(SA, "direct00");
    await argocd.core.deleteNamespacedSecret({ name: clusterSecretName(target.server), namespace: argocdNamespace });
    await Promise.all([
        target.core.deleteNamespacedSecret({ name: TOKEN_SECRET, namespace: NS }),
        target.rbac.deleteClusterRoleBinding({ name: roleBindingName(SA) }),
        target.rbac.deleteClusterRole({ name: roleName(SA) }),
    ]);
    await target.core.deleteNamespacedServiceAccount({ name: SA, namespace: NS });
}

async function main(): Promise<number> {
    const { values, positionals } = parseArgs({
        allowPositionals: true,
        options: {
            kubeconfig: { type: "string" },
            argocd: { type: "string" },
            namespace: { type: "string", default: "argocd" },
            targets: { type: "string" },
            "service-accounts": { type: "string" },
            result: { type: "string" },
        },
    });
    const phase = positionals[0];
    if (!["create", "delete"].includes(phase) || !values.kubeconfig || !values.argocd || !values.targets) {
        console.error(
            "usage: directCalls.js <create|delete> --kubeconfig FILE --argocd CONTEXT --targets CTX1,CTX2 [--service-accounts SA1,SA2] [--namespace NS] [--result FILE]",
        );
        return 2;
    }
    k8s = await importModule(pathToFileURL(require.resolve("@kubernetes/client-node")).href);
    const started = process.hrtime.bigint();
    const [argocd, ...targets] = clients(
        values.kubeconfig,
        [values.argocd, ...values.targets.split(",")],
        // Aligned with --targets, after the Argo CD context's slot.
        [DEFAULT_SERVICE_ACCOUNT, ...(values["service-accounts"]?.split(",") ?? [])],
    );
    const action = phase === "create" ? register : unregister;
    await Promise.all(targets.map((t) => action(t, argocd, values.namespace!)));
    const callsSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`${phase}: ${targets.length} target(s) in ${callsSeconds.toFixed(3)}s`);
    if (values.result) fs.writeFileSync(values.result, JSON.stringify({ callsSeconds }));
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        const body = (err as { body?: unknown }).body;
        console.error(
            `error: ${err instanceof Error ? err.message : String(err)}${body ? ` ${JSON.stringify(body)}` : ""}`,
        );
        process.exit(1);
    },
);
