/** Shared fixtures: providers and registrations built as index.ts builds them, under mocks. */
import * as k8s from "@pulumi/kubernetes";
import { ClusterRegistration, ClusterRegistrationArgs } from "../../components/clusterRegistration";
import { valueOf } from "./mocks";

export const PRODUCTION = "https://api.cluster.production:6443";
/** FNV-1a 32 of PRODUCTION, computed independently (Python, the published FNV-1a algorithm). */
export const PRODUCTION_SECRET = "cluster-api.cluster.production-2635694092";

let providers: { argocd: k8s.Provider; target: k8s.Provider } | undefined;

export function testProviders() {
    providers ??= {
        argocd: new k8s.Provider("argocd", { kubeconfig: "argocd-kubeconfig", clusterIdentifier: "argocd" }),
        target: new k8s.Provider("target-k8s", { kubeconfig: "target-kubeconfig", clusterIdentifier: "target" }),
    };
    return providers;
}

type Options = Omit<ClusterRegistrationArgs, "targetProvider" | "argocdProvider" | "clusterName" | "server"> &
    Partial<Pick<ClusterRegistrationArgs, "clusterName" | "server">>;

/** Registers one cluster and waits until every child is registered with the mocks. */
export async function register(name: string, options: Options = {}): Promise<ClusterRegistration> {
    const { argocd, target } = testProviders();
    const registration = new ClusterRegistration(name, {
        clusterName: "production",
        server: PRODUCTION,
        argocdNamespace: "argocd",
        // Unit tests reach no network: the check before writing, which connects to server, is proven end to
        // end (tests/e2e/verify.e2e.test.ts).
        verify: "off",
        ...options,
        targetProvider: target,
        argocdProvider: argocd,
    });
    await Promise.all([
        valueOf(registration.secretName),
        valueOf(registration.tokenSecretName),
        valueOf(registration.serviceAccount),
    ]);
    return registration;
}
