/** Shared fixtures: specs, providers and registrations built as index.ts builds them, under mocks. */

import assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterRegistration } from "../../components/clusterRegistration";
import { NOTHING_INHERITED } from "../../components/fieldManager";
import type { DeploymentIdentity } from "../../components/identity";
import type { BoundTokenSchedule, TokenSchedule } from "../../components/tokenSchedule";
import type { ClusterSpec, TlsSpec } from "../../stack/settings";
import { type Kubeconfigs, validateStack } from "../../stack/validate";
import { resolvedValue } from "./mocks";

export const PRODUCTION = "https://api.cluster.production:6443";
/** FNV-1a 32 of PRODUCTION, computed independently (Python, the published FNV-1a algorithm). */
export const PRODUCTION_SECRET = "cluster-api.cluster.production-2635694092";

/**
 * Stands in for kubeconfig files: every part of the stack reaches a cluster of its own (one per key path), so
 * validation sees no two entries on one cluster. tests/unit/stack/config.test.ts resolves real kubeconfigs.
 */
export const SEPARATE_CLUSTERS: Kubeconfigs = {
    access: (keyPath, _kubeconfig, context) => ({
        context: `${context} (${keyPath})`,
        kubeconfig: "",
        server: `https://${keyPath}`,
    }),
};

/** A deployment identity as identity.ts makes one (16 random bytes, hex). */
export const TEST_OWNER_ID = "0123456789abcdef0123456789abcdef";

/** The identity registrations of unit tests carry: a known id, stack `argocd-clusters/<stack>`. */
export function testIdentity(stack = "test"): DeploymentIdentity {
    return { id: pulumi.output(TEST_OWNER_ID), owner: { stack: `argocd-clusters/${stack}`, id: TEST_OWNER_ID } };
}

/** The Argo CD cluster's access in unit tests: nothing it reaches (unit tests reach no network). */
export const ARGOCD_ACCESS = { context: "argocd", kubeconfig: "", server: "https://argocd.example:6443" };

let providers: { argocd: k8s.Provider; target: k8s.Provider } | undefined;

export function testProviders() {
    providers ??= {
        argocd: new k8s.Provider("argocd", { kubeconfig: "argocd-kubeconfig", clusterIdentifier: "argocd" }),
        target: new k8s.Provider("target-k8s", { kubeconfig: "target-kubeconfig", clusterIdentifier: "target" }),
    };
    return providers;
}

/** Keys of a cluster entry to set over the validated defaults; `tls` merges key by key. */
export type SpecOptions = Omit<Partial<ClusterSpec>, "tls"> & { tls?: Partial<TlsSpec> };

/**
 * The spec validation makes of a minimal entry ("production" at PRODUCTION, every default filled; the
 * namespaces given, as they decide the default rules), with `options` set over it as given, unvalidated.
 */
export function clusterSpec(options: SpecOptions = {}): ClusterSpec {
    const { namespaces } = options;
    const entry = {
        name: "production",
        server: PRODUCTION,
        context: "production",
        ...(namespaces ? { namespaces } : {}),
    };
    const { settings, problems } = validateStack(
        { argocd: { context: "argocd" }, clusters: [entry], projectKeys: [], secretKeys: [] },
        SEPARATE_CLUSTERS,
    );
    assert.ok(settings, JSON.stringify(problems));
    const [validated] = settings.clusters;
    return { ...validated, ...options, tls: { ...validated.tls, ...options.tls } };
}

/** Registers one cluster and waits until every child is registered with the mocks. */
export async function register(
    name: string,
    options: SpecOptions = {},
    tokenSchedule?: TokenSchedule,
    boundTokenSchedule?: BoundTokenSchedule,
): Promise<ClusterRegistration> {
    const { argocd, target } = testProviders();
    const registration = new ClusterRegistration(name, {
        // Unit tests reach no network: the check before writing, which connects to server, is proven end to
        // end (tests/e2e/verify.e2e.test.ts).
        cluster: clusterSpec({ verify: "off", ...options }),
        argocd: { name: "argocd", namespace: "argocd", access: ARGOCD_ACCESS },
        identity: testIdentity(),
        fieldManagers: NOTHING_INHERITED,
        hubMove: false,
        tokenSchedule,
        boundTokenSchedule,
        targetProvider: target,
        argocdProvider: argocd,
    });
    await Promise.all([
        resolvedValue(registration.secretName),
        resolvedValue(registration.tokenSecretName),
        resolvedValue(registration.serviceAccount),
    ]);
    return registration;
}
