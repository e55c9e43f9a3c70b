/**
 * Removing a registration that Argo CD Applications still deploy to breaks them: Argo CD can no longer reach
 * their destination, and an ApplicationSet whose generator loses the cluster deletes the Applications it made.
 * Giving a name another server moves them: Applications whose `destination.name` is that name deploy to the
 * other cluster from the next sync on. So before any resource is registered, the program compares what each
 * name and server pointed to at the last `up` (this stack's own `registrations` output, and its cluster Secrets)
 * with what they point to in the stack file, lists the Applications on the Argo CD cluster, and refuses, while
 * one of them still deploys to the old target: a removal (the name or the server is gone), and a name that now
 * points to another server (a swap of two names, a name given to a new server). An entry kept with
 * `retire: true` is removed anyway, and an entry with `nameMovedFrom: <old server>` takes its name from there
 * anyway, each with a warning naming the Applications.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL } from "../argocd/names";
import { argocdServerKey } from "../argocd/serverKey";
import type { ClusterAccess } from "../stack/kubeconfig";
import { type ClusterSettings, ConfigurationError, type Problem } from "../stack/settings";
import { CLUSTERS_KEY } from "../stack/validate";
import { clientNode, describeFailure, kubeConfigOf, statusOf, withDeadline } from "./kubeClient";
import { isOurs, type Owner } from "./ownership";
import type { RecordedToken } from "./tokenSchedule";

/** A registration as an `up` recorded it: the stack output `registrations` is keyed by name. */
export interface RecordedRegistration extends RecordedToken {
    name: string;
    server: string;
    /** The cluster Secret's name, the ServiceAccount (`<namespace>/<name>`) and the current token's Secret or
     * bound object; unset in outputs written before they were recorded. They prove objects from before deployment
     * identities ours (identity.ts). */
    secretName?: string;
    serviceAccount?: string;
    tokenSecretName?: string;
    /**
     * The field managers its children kept from an earlier release (components/fieldManager.ts), by child key;
     * unset in outputs written before field managers were named, or by a run that could not read them all.
     */
    fieldManagers?: Record<string, string>;
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
                      secretName: textOrUndefined(r?.secretName),
                      serviceAccount: textOrUndefined(r?.serviceAccount),
                      tokenSecretName: textOrUndefined(r?.tokenSecretName),
                      // When its token was issued, and under which tokenRotation (tokenSchedule.ts).
                      tokenIssuedAt: textOrUndefined(r?.tokenIssuedAt),
                      tokenRotation: textOrUndefined(r?.tokenRotation),
                      tokenKind: textOrUndefined(r?.tokenKind),
                      tokenExpiresAt: textOrUndefined(r?.tokenExpiresAt),
                      tokenLifetime: textOrUndefined(r?.tokenLifetime),
                      fieldManagers: namesOrUndefined(r?.fieldManagers),
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

/** A record of field manager names (components/fieldManager.ts); anything else counts as not recorded. */
function namesOrUndefined(value: unknown): Record<string, string> | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    return entries.every(([, v]) => typeof v === "string") ? Object.fromEntries(entries) : undefined;
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
 * The registrations this stack's cluster Secrets on the Argo CD cluster hold (ownership.ts says which are
 * ours). Empty where Secrets may not be listed: the read-only previewer relies on the recorded outputs.
 */
export async function liveRegistrations(
    access: ClusterAccess,
    argocdNamespace: string,
    owner: Owner,
): Promise<RecordedRegistration[]> {
    const k8s = await clientNode();
    const core = (await kubeConfigOf(access)).makeApiClient(k8s.CoreV1Api);
    let items: { metadata?: { name?: string; annotations?: Record<string, string> }; data?: Record<string, string> }[];
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
        .filter((secret) =>
            isOurs(secret.metadata, owner, {
                kind: "Secret",
                namespace: argocdNamespace,
                name: secret.metadata?.name ?? "",
                server: text(secret.data?.server),
            }),
        )
        .map((secret) => ({ name: text(secret.data?.name), server: text(secret.data?.server) }))
        .filter((r) => r.name !== "" && r.server !== "");
}

/** Whether Argo CD takes both for one cluster, as it matches an Application's destination.server. */
function sameServer(a: string, b: string): boolean {
    return argocdServerKey(a) === argocdServerKey(b);
}

/**
 * The recorded registrations that this run changes: no current entry has both their name and their server. What
 * an Application of theirs loses is then decided per destination form (applicationsInUse).
 */
export function removedRegistrations(
    recorded: RecordedRegistration[],
    current: ClusterSettings[],
): RecordedRegistration[] {
    return recorded.filter((r) => !current.some((c) => sameServer(c.server, r.server) && c.name === r.name));
}

/**
 * The Applications that deployed to `removed` and no longer do after this run. By server: those whose server no
 * entry keeps. By name: every one that uses its name, since no entry keeps that name on that server (it is gone,
 * or points to another server now: a swap, a move). Either way they lose the cluster they deployed to.
 */
export function applicationsInUse(
    removed: RecordedRegistration,
    applications: ApplicationRef[],
    current: ClusterSettings[],
): { byServer: ApplicationRef[]; byName: ApplicationRef[] } {
    const serverGone = !current.some((c) => sameServer(c.server, removed.server));
    return {
        byServer: applications.filter(
            (app) =>
                serverGone &&
                app.destination.server !== undefined &&
                sameServer(app.destination.server, removed.server),
        ),
        byName: applications.filter((app) => app.destination.name === removed.name),
    };
}

/** The entry that holds `removed`'s name now, on another server, if one does. */
export function nameSuccessor(removed: RecordedRegistration, current: ClusterSettings[]): ClusterSettings | undefined {
    return current.find((c) => c.name === removed.name);
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
 * Throws a ConfigurationError naming every registration this run would remove, and every name it would point to
 * another server, while Applications deploy to it; warns for the ones kept with `retire: true` or moved with
 * `nameMovedFrom`. Lists Applications only when something is removed or moved.
 */
export async function refuseRemovalsInUse(
    recorded: RecordedRegistration[],
    clusters: ClusterSettings[],
    argocdAccess: ClusterAccess,
    argocdNamespace: string,
    stackFile: string,
    owner: Owner,
): Promise<void> {
    const current = clusters.filter((c) => !c.retire);
    // The outputs lag behind a run that failed part-way (a registration it added is on the hub but not in
    // them): the stack's cluster Secrets themselves count too, where this identity may read them.
    const before = mergeRegistrations(recorded, await liveRegistrations(argocdAccess, argocdNamespace, owner));
    warnStaleNameMoves(before, current);
    const removed = removedRegistrations(before, current);
    if (removed.length === 0) return;
    const applications = await listApplications(argocdAccess, argocdNamespace);
    if (!Array.isArray(applications)) throw new ConfigurationError(stackFile, [applications]);
    const problems: Problem[] = [];
    for (const registration of removed) {
        const { byServer, byName } = applicationsInUse(registration, applications, current);
        const label = `"${registration.name}" (${registration.server})`;
        const successor = nameSuccessor(registration, current);
        // Without a successor, the name is gone with the registration: its Applications are lost with it.
        const lost = successor ? byServer : [...new Set([...byServer, ...byName])];
        if (lost.length > 0) {
            if (clusters.some((c) => c.retire && c.name === registration.name)) {
                pulumi.log.warn(
                    `retiring ${label} although ${lost.length} Application(s) still deploy to it: ${describeApps(lost)}`,
                );
            } else {
                problems.push({
                    path: CLUSTERS_KEY,
                    message: `removing ${label} would break ${lost.length} Application(s) that still deploy to it: ${describeApps(lost)}`,
                    fix: `move or delete those Applications first, or keep the entry with retire: true to remove the registration anyway`,
                });
            }
        }
        if (successor && byName.length > 0) {
            const move = `${label} to ${successor.server}`;
            if (successor.nameMovedFrom !== undefined && sameServer(successor.nameMovedFrom, registration.server)) {
                pulumi.log.warn(
                    `moving ${move} (nameMovedFrom): ${byName.length} Application(s) that deploy to it by name now deploy there: ${describeApps(byName)}`,
                );
            } else {
                problems.push({
                    path: `${CLUSTERS_KEY}[${clusters.indexOf(successor)}].name`,
                    message: `moving ${move} would send ${byName.length} Application(s) that deploy to it by name to the other cluster: ${describeApps(byName)}`,
                    fix:
                        "give those Applications destination.server, or move or delete them first, or set " +
                        `nameMovedFrom: ${registration.server} on this entry to move them with the name`,
                });
            }
        }
    }
    if (problems.length > 0) throw new ConfigurationError(stackFile, problems);
}

/** `nameMovedFrom` acknowledges one move: once the name no longer pointed to that server before this run, it is a leftover. */
function warnStaleNameMoves(before: RecordedRegistration[], current: ClusterSettings[]): void {
    for (const c of current) {
        if (c.nameMovedFrom === undefined) continue;
        if (before.some((r) => r.name === c.name && sameServer(r.server, c.nameMovedFrom!))) continue;
        pulumi.log.warn(
            `nameMovedFrom of "${c.name}": the last up did not register "${c.name}" at ${c.nameMovedFrom}, so nothing moves ` +
                "(once a move is done, the key is a leftover): remove it",
        );
    }
}
