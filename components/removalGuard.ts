/**
 * Removing a registration that Argo CD Applications still deploy to breaks them: Argo CD can no longer reach
 * their destination, and an ApplicationSet whose generator loses the cluster deletes the Applications it made.
 * So before any resource is registered, the program compares what the last `up` registered (this stack's own
 * `registrations` output) with the stack file, lists the Applications on the Argo CD cluster, and refuses a
 * removal while one of them still deploys to that cluster. An entry kept with `retire: true` is removed anyway,
 * with a warning naming the Applications.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL, STACK_ANNOTATION } from "../argocd/names";
import { argocdServerKey } from "../argocd/serverKey";
import type { ClusterAccess } from "../stack/kubeconfig";
import { type ClusterSettings, ConfigurationError, type Problem } from "../stack/settings";
import { CLUSTERS_KEY } from "../stack/validate";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import type { RecordedToken } from "./tokenSchedule";

/** A registration as an `up` recorded it: the stack output `registrations` is keyed by name. */
export interface RecordedRegistration extends RecordedToken {
    name: string;
    server: string;
}

/** An Argo CD Application and how it names its destination cluster. */
export interface ApplicationRef {
    namespace: string;
    name: string;
    destination: { server?: string; name?: string };
}

/** What the last successful `up` of this very stack recorded in its outputs. */
export interface LastUp {
    registrations: RecordedRegistration[];
    /** The Argo CD cluster's `argocd.name` and namespace then; unset for stacks made before they were recorded. */
    argocdName?: string;
    argocdNamespace?: string;
    /** The kind entries without a `token` got (tokenSchedule.ts absentTokenKind); unset before it was recorded. */
    tokenDefault?: string;
}

/** Reads this very stack's outputs (a StackReference to itself): a new stack has none. */
export async function lastUp(): Promise<LastUp> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const [registrations, argocdName, argocdNamespace, tokenDefault] = await Promise.all(
        ["registrations", "argocdName", "argocdNamespace", "tokenDefault"].map(
            async (key) => (await self.getOutputDetails(key)).value,
        ),
    );
    const recorded =
        registrations !== null && typeof registrations === "object"
            ? Object.entries(registrations as Record<string, Record<string, unknown> | null>)
                  .filter(([, r]) => typeof r?.server === "string")
                  .map(([name, r]) => ({
                      name,
                      server: r?.server as string,
                      // When its token was issued, and under which tokenRotation (tokenSchedule.ts).
                      tokenIssuedAt: textOrUndefined(r?.tokenIssuedAt),
                      tokenRotation: textOrUndefined(r?.tokenRotation),
                      tokenKind: textOrUndefined(r?.tokenKind),
                      tokenExpiresAt: textOrUndefined(r?.tokenExpiresAt),
                      tokenLifetime: textOrUndefined(r?.tokenLifetime),
                  }))
            : [];
    return {
        registrations: recorded,
        argocdName: textOrUndefined(argocdName),
        argocdNamespace: textOrUndefined(argocdNamespace),
        tokenDefault: textOrUndefined(tokenDefault),
    };
}

function textOrUndefined(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** Both lists, each registration once (by name and server). */
export function mergeRegistrations(a: RecordedRegistration[], b: RecordedRegistration[]): RecordedRegistration[] {
    const seen = new Set<string>();
    return [...a, ...b].filter((r) => {
        const key = `${r.name}\n${argocdServerKey(r.server)}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/**
 * The registrations this stack's cluster Secrets on the Argo CD cluster hold (`argocd-clusters/stack` is this
 * stack). Empty where Secrets may not be listed: the read-only previewer relies on the recorded outputs.
 */
export async function liveRegistrations(
    access: ClusterAccess,
    argocdNamespace: string,
    stack: string,
): Promise<RecordedRegistration[]> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    let items: { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> }[];
    try {
        items = (
            await withDeadline(
                core.listNamespacedSecret({
                    namespace: argocdNamespace,
                    labelSelector: `${SECRET_TYPE_LABEL}=${SECRET_TYPE_CLUSTER}`,
                }),
            )
        ).items;
    } catch {
        return [];
    }
    const text = (value: string | undefined) => (value ? Buffer.from(value, "base64").toString("utf8") : "");
    return items
        .filter((secret) => secret.metadata?.annotations?.[STACK_ANNOTATION] === stack)
        .map((secret) => ({ name: text(secret.data?.name), server: text(secret.data?.server) }))
        .filter((r) => r.name !== "" && r.server !== "");
}

/** Whether Argo CD takes both for one cluster, as it matches an Application's destination.server. */
function sameServer(a: string, b: string): boolean {
    return argocdServerKey(a) === argocdServerKey(b);
}

/**
 * The recorded registrations that this run removes: no current entry has both their name and their server.
 * What an Application loses is then decided per destination form (applicationsInUse): a registration that moves
 * to a new server under the same name keeps Applications that use the name working, and the other way round.
 */
export function removedRegistrations(
    recorded: RecordedRegistration[],
    current: ClusterSettings[],
): RecordedRegistration[] {
    return recorded.filter((r) => !current.some((c) => sameServer(c.server, r.server) && c.name === r.name));
}

/** The Applications that still deploy to `removed`, with the registration each one uses. */
export function applicationsInUse(
    removed: RecordedRegistration,
    applications: ApplicationRef[],
    current: ClusterSettings[],
): ApplicationRef[] {
    const serverGone = !current.some((c) => sameServer(c.server, removed.server));
    const nameGone = !current.some((c) => c.name === removed.name);
    return applications.filter((app) => {
        const { server, name } = app.destination;
        return (
            (serverGone && server !== undefined && sameServer(server, removed.server)) ||
            (nameGone && name === removed.name)
        );
    });
}

const APPLICATIONS = { group: "argoproj.io", version: "v1alpha1", plural: "applications" };

/**
 * Every Application on the Argo CD cluster: across all namespaces (Applications in any namespace), else in
 * Argo CD's own namespace when only that may be listed. Without the Application CRD there are none.
 */
export async function listApplications(
    access: ClusterAccess,
    argocdNamespace: string,
): Promise<ApplicationRef[] | Problem> {
    const k8s = await clientNode();
    const api = (await kubeConfigOf(access)).makeApiClient(k8s.CustomObjectsApi);
    let list: {
        items?: {
            metadata?: { namespace?: unknown; name?: unknown };
            spec?: { destination?: { server?: unknown; name?: unknown } };
        }[];
    };
    try {
        list = await withDeadline(api.listClusterCustomObject(APPLICATIONS));
    } catch (err) {
        if (statusOf(err) === 404) return [];
        if (statusOf(err) !== 403) return cannotList(describeFailure(err));
        try {
            list = await withDeadline(api.listNamespacedCustomObject({ ...APPLICATIONS, namespace: argocdNamespace }));
            // Applications in other namespaces (Argo CD's "apps in any namespace") stay unseen: say so.
            await pulumi.log.warn(
                `may not list Applications in every namespace of the Argo CD cluster; only ${argocdNamespace} ` +
                    "was checked for Applications deploying to a removed registration",
            );
        } catch (inner) {
            if (statusOf(inner) === 404) return [];
            return cannotList(statusOf(inner) === 403 ? "listing Applications is forbidden" : describeFailure(inner));
        }
    }
    return (list.items ?? []).map((item) => ({
        namespace: String(item?.metadata?.namespace ?? ""),
        name: String(item?.metadata?.name ?? ""),
        destination: {
            server: typeof item?.spec?.destination?.server === "string" ? item.spec.destination.server : undefined,
            name: typeof item?.spec?.destination?.name === "string" ? item.spec.destination.name : undefined,
        },
    }));
}

function cannotList(why: string): Problem {
    return {
        path: "argocd-clusters:argocd.context",
        message: `cannot list Argo CD Applications on the Argo CD cluster (${why}), so removing a registration cannot be checked`,
        fix: "grant get and list on applications.argoproj.io to this identity (rbac/previewer.yaml does for previews)",
    };
}

function describeApps(apps: ApplicationRef[]): string {
    return apps
        .map((a) => `${a.namespace}/${a.name}`)
        .sort()
        .join(", ");
}

/**
 * Throws a ConfigurationError naming every registration this run would remove while Applications deploy to it;
 * warns for the ones kept with `retire: true`. Lists Applications only when something is removed.
 */
export async function refuseRemovalsInUse(
    recorded: RecordedRegistration[],
    clusters: ClusterSettings[],
    argocdAccess: ClusterAccess,
    argocdNamespace: string,
    stackFile: string,
    stack: string,
): Promise<void> {
    const current = clusters.filter((c) => !c.retire);
    // The outputs lag behind a run that failed part-way (a registration it added is on the hub but not in
    // them): the stack's cluster Secrets themselves count too, where this identity may read them.
    const live = await liveRegistrations(argocdAccess, argocdNamespace, stack);
    const removed = removedRegistrations(mergeRegistrations(recorded, live), current);
    if (removed.length === 0) return;
    const applications = await listApplications(argocdAccess, argocdNamespace);
    if (!Array.isArray(applications)) throw new ConfigurationError(stackFile, [applications]);
    const problems: Problem[] = [];
    for (const registration of removed) {
        const inUse = applicationsInUse(registration, applications, current);
        if (inUse.length === 0) continue;
        const label = `"${registration.name}" (${registration.server})`;
        const retired = clusters.findIndex((c) => c.retire && c.name === registration.name);
        if (retired >= 0) {
            pulumi.log.warn(
                `retiring ${label} although ${inUse.length} Application(s) still deploy to it: ${describeApps(inUse)}`,
            );
            continue;
        }
        problems.push({
            path: CLUSTERS_KEY,
            message: `removing ${label} would break ${inUse.length} Application(s) that still deploy to it: ${describeApps(inUse)}`,
            fix: `move or delete those Applications first, or keep the entry with retire: true to remove the registration anyway`,
        });
    }
    if (problems.length > 0) throw new ConfigurationError(stackFile, problems);
}
