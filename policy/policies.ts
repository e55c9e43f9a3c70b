/**
 * Every policy of the pack in one table, with its enforcement level in production and in non-production
 * stacks: policy/index.ts builds the pack from it (pulumiPolicies.ts) and the tests iterate it. "disabled"
 * means the policy does not run in that kind of stack. A policy whose level depends on the stack kind learns
 * which stacks are not production from its config (`nonProductionStacks`, policy/config.json; stacks.ts).
 * @pulumi/policy gives a policy one level, so a check that is refused in one kind and reported in the other is
 * two policies (the TLS pair).
 */
import { checkClusterSecrets } from "./checks/clusterSecretReadableByArgocd";
import { checkEnvironmentLabel } from "./checks/environmentLabel";
import { checkWildcardRbac } from "./checks/noWildcardRbac";
import { checkTlsVerified } from "./checks/tlsVerified";
import { checkTokenSecrets } from "./checks/tokenSecretOfServiceAccount";
import { checkUniqueRegistrations } from "./checks/uniqueServerAndName";
import type { Resource, Violation } from "./resource";
import type { StackKind } from "./stacks";

export const PACK_NAME = "argocd-clusters-guardrails";

export type Level = "mandatory" | "advisory" | "disabled";

interface Row {
    name: string;
    levels: Record<StackKind, Level>;
    description: string;
}

/** A row checks one resource at a time (before each step) or the whole stack (after the run). */
export type PolicyEntry = Row &
    ({ resource: (r: Resource) => string | undefined } | { stack: (resources: Resource[]) => Violation[] });

const EVERY_STACK: Record<StackKind, Level> = { production: "mandatory", nonProduction: "mandatory" };

export const POLICIES: readonly PolicyEntry[] = [
    {
        name: "cluster-secret-readable-by-argocd",
        levels: EVERY_STACK,
        stack: checkClusterSecrets,
        description:
            "Each registration's cluster Secret is labelled secret-type=cluster, lives in the Argo CD namespace " +
            "the registration was configured with, and its config is Argo CD's cluster config JSON with credentials.",
    },
    {
        name: "tls-verified-in-production",
        levels: { production: "mandatory", nonProduction: "disabled" },
        resource: checkTlsVerified,
        description:
            "A cluster Secret of a production stack does not turn off TLS verification (tlsClientConfig.insecure).",
    },
    {
        name: "tls-verified",
        levels: { production: "disabled", nonProduction: "advisory" },
        resource: checkTlsVerified,
        description: "Outside production, turning off TLS verification in a cluster Secret is reported, not refused.",
    },
    {
        name: "no-wildcard-rbac-in-production",
        levels: { production: "mandatory", nonProduction: "disabled" },
        resource: checkWildcardRbac,
        description:
            'In a production stack a registration\'s ClusterRole grants cluster-admin or a path to it ("*", every ' +
            "verb spelt out, escalate, bind, impersonate, serviceaccounts/token) only with the cluster entry's allowWildcardRbac: " +
            "true, and a Role in a system namespace (kube-*, openshift-*) never.",
    },
    {
        name: "token-secret-of-registration-service-account",
        levels: EVERY_STACK,
        stack: checkTokenSecrets,
        description:
            "Each token Secret names a ServiceAccount of its own registration, in its namespace, through the same provider.",
    },
    {
        name: "environment-label-is-stack",
        levels: EVERY_STACK,
        resource: checkEnvironmentLabel,
        description: "Each cluster Secret is labelled environment: <stack name>.",
    },
    {
        name: "unique-cluster-server-and-name",
        levels: EVERY_STACK,
        stack: checkUniqueRegistrations,
        description: "No two cluster Secrets of a stack register the same server URL or the same name.",
    },
];

/** Whether the policy runs differently in production and elsewhere, and so needs `nonProductionStacks`. */
export function dependsOnStackKind(entry: PolicyEntry): boolean {
    return entry.levels.production !== entry.levels.nonProduction;
}

/** The one level @pulumi/policy gives the policy: the level of every stack kind it runs in. */
export function enforcementLevelOf(entry: PolicyEntry): Exclude<Level, "disabled"> {
    const enabled = new Set(
        Object.values(entry.levels).filter((l): l is Exclude<Level, "disabled"> => l !== "disabled"),
    );
    if (enabled.size !== 1) {
        throw new Error(
            `policy ${entry.name} has levels ${JSON.stringify(entry.levels)}: a policy runs with one level; ` +
                "make it one policy per level",
        );
    }
    return [...enabled][0];
}
