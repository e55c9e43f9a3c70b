// argocd-clusters: registers Kubernetes clusters with Argo CD. Wiring only:
// stack file -> spec (validated, complete, contexts resolved) -> removal guard -> providers -> one ClusterRegistration
// per entry, given its spec as it is -> outputs.
import * as pulumi from "@pulumi/pulumi";
import { clusterSecretName } from "./argocd/clusterSecret";
import {
    ARGOCD_PROVIDER_NAME,
    argocdClusterIdentifier,
    DEFAULT_ARGOCD_NAME,
    LEGACY_ARGOCD_PROVIDER_NAME,
    targetClusterIdentifier,
} from "./argocd/names";
import { argocdServerKey } from "./argocd/serverKey";
import { type Adoption, finishAdoption, foreignObjects } from "./components/adoption";
import { childName } from "./components/childNames";
import { claimConflicts } from "./components/claims";
import { ClusterRegistration } from "./components/clusterRegistration";
import { inheritedFieldManagers } from "./components/fieldManager";
import { deploymentIdentity } from "./components/identity";
import { type Unlisted, unlistedOnTarget } from "./components/listedKinds";
import { clusterProvider } from "./components/providers";
import { lastUp, refuseRemovalsInUse } from "./components/removalGuard";
import { narrowedKey, readRespectRbac, respectRbacProblems } from "./components/respectRbac";
import { foreignTargetObjects } from "./components/targetObjects";
import {
    absentToken,
    absentTokenKind,
    boundTokenSchedule,
    clockBehindState,
    tokenSchedule,
} from "./components/tokenSchedule";
import { loadStack, readRawConfig, stackFileName } from "./stack/config";
import { runTime } from "./stack/now";
import { type ClusterSpec, ConfigurationError } from "./stack/settings";

async function main() {
    // All throw before any registration is made: anything wrong in the stack file, a removal that would break
    // Applications still deploying to the cluster, an adoption of another stack's objects, a server or Argo CD name
    // that another stack (or argocd cluster add) registered in the same Argo CD, an object on a target that an
    // entry would write over and that is not ours.
    const stackFile = stackFileName();
    const now = runTime();
    const raw = readRawConfig();
    // Checked before the state is read, so a bad stack file registers nothing; the default token for entries
    // without one is valid whichever it is, so only the last up's choice below can change the result.
    let { settings } = loadStack(raw, stackFile, process.env, absentToken("bound"));
    const last = await lastUp();
    // What entries without `token` get, decided once per stack and recorded (tokenDefault): never a silent change.
    const tokenDefault = absentTokenKind(last);
    if (tokenDefault !== "bound") ({ settings } = loadStack(raw, stackFile, process.env, absentToken(tokenDefault)));
    const { argocd, clusters } = settings;
    // The one resource registered before the checks: they prove ownership by it (components/identity.ts). It is
    // made once; a run that a check stops only leaves the identity in the state.
    const identity = await deploymentIdentity(last.registrations);
    // Who we are on the objects we write: ownership.ts proves an object ours before it is changed or deleted.
    const owner = identity.owner;
    await refuseRemovalsInUse(last.registrations, clusters, argocd.access, argocd.namespace, stackFile, owner);
    // A new argocd.name or namespace replaces every cluster Secret, delete first (clusterRegistration.ts).
    const hubMove =
        last.registrations.length > 0 &&
        ((last.argocdName ?? DEFAULT_ARGOCD_NAME) !== argocd.name ||
            (last.argocdNamespace ?? argocd.namespace) !== argocd.namespace);
    const adoptions = new Map<ClusterSpec, Adoption>();
    clusters.forEach((cluster, i) => {
        if (!cluster.adopt || cluster.retire) return;
        adoptions.set(cluster, {
            clusterName: cluster.name,
            keyPath: `argocd-clusters:clusters[${i}]`,
            target: cluster.access,
            argocd: argocd.access,
            systemNamespace: cluster.systemNamespace,
            serviceAccount: cluster.serviceAccount,
            argocdNamespace: argocd.namespace,
            secretName: clusterSecretName(cluster.server),
            owner,
            server: cluster.server,
            revokeCliToken: cluster.revokeCliToken,
        });
    });
    const foreign = await foreignObjects([...adoptions.values()]);
    // Another stack's, or the CLI's, cluster Secret for the same server or name (stacks sharing one Argo CD).
    const claims = clusters.map((c) => ({ ...c, secretName: clusterSecretName(c.server) }));
    const claimed = await claimConflicts(claims, argocd, owner);
    // Objects on the targets with the names an entry writes that are not ours: created, never taken over.
    const taken = await foreignTargetObjects(clusters, owner);
    // A clock behind the recorded issue times would keep them and renew late (stack/now.ts).
    // The last up's record of an entry: by server, as the resources are keyed (a renamed cluster keeps its token).
    const recordedFor = (c: ClusterSpec) =>
        last.registrations.find((r) => argocdServerKey(r.server) === argocdServerKey(c.server));
    const behind = clockBehindState(clusters, recordedFor, now);
    const problems = [...foreign, ...claimed, ...taken, ...behind];
    if (problems.length > 0) throw new ConfigurationError(stackFile, problems);
    if (clusters.some((c) => narrowedKey(c) !== undefined && !c.retire)) {
        const namespace = argocd.namespace;
        const reading = await readRespectRbac(argocd.access, namespace);
        // Under Argo CD's default, what its controller would list on each narrowed target, which the rules must cover.
        const unlisted = new Map<string, Unlisted>();
        if (
            reading.kind === "setting" &&
            reading.setting === "none" &&
            reading.filter &&
            !("error" in reading.filter)
        ) {
            const filter = reading.filter;
            const narrowed = clusters.filter((c) => narrowedKey(c) !== undefined && !c.retire);
            for (const [i, listed] of (await Promise.all(narrowed.map((c) => unlistedOnTarget(c, filter)))).entries())
                unlisted.set(narrowed[i].name, listed);
        }
        const { problems, unchecked } = respectRbacProblems(
            clusters,
            reading,
            namespace,
            pulumi.runtime.isDryRun(),
            unlisted,
        );
        if (problems.length > 0) throw new ConfigurationError(stackFile, problems);
        if (unchecked.length > 0) {
            pulumi.log.warn(
                `cannot read ${namespace}/argocd-cm here, so it is not checked that Argo CD can sync ${unchecked.join(", ")}: ` +
                    "with rights narrower than the CLI's it needs resource.respectRBAC: normal or strict there (rbac/previewer.yaml grants the read)",
            );
        }
        const covered = [...unlisted].filter(([, u]) => u.kind === "known" && u.missing.length === 0).map(([n]) => n);
        if (covered.length > 0) {
            pulumi.log.warn(
                `Argo CD leaves resource.respectRBAC unset, and the rules of ${covered.join(", ")} cover every kind its ` +
                    "controller lists there today; a kind served later (a new CRD) that they do not cover fails the whole " +
                    `cluster in Argo CD: resource.respectRBAC: normal in ${namespace}/argocd-cm avoids that`,
            );
        }
    }

    // Lever (a) of bench/results.md: no stack trace captured for each promise and resource the SDK makes while they
    // are registered (debuggablePromise, a pre-allocated Error per resource); restored right after, so errors of the
    // program's own code keep theirs. ARGOCD_CLUSTERS_KEEP_STACK_TRACES=1 keeps them (debugging, the bench's A/B).
    const stackTraceLimit = Error.stackTraceLimit;
    if (process.env.ARGOCD_CLUSTERS_KEEP_STACK_TRACES !== "1") Error.stackTraceLimit = 0;
    const argocdProvider = clusterProvider(ARGOCD_PROVIDER_NAME, argocd.access, argocdClusterIdentifier(argocd.name), {
        // Stacks made before argocd.name identified this provider by its API URL, under the name "argocd". The
        // engine does not replace resources whose provider is an alias of their old one, so moving to the new
        // identity updates each cluster Secret in place; without the alias it would replace them all (delete
        // first, clusterRegistration.ts), and Argo CD would lack every cluster for a moment.
        aliases: [{ name: LEGACY_ARGOCD_PROVIDER_NAME }],
    });

    // A retired entry stays in the stack file only to say "remove it anyway"; nothing is registered for it.
    const registered = clusters.filter((cluster) => !cluster.retire);
    // The field managers objects of an earlier release keep (components/fieldManager.ts): read on the first run
    // after upgrading, from the record after that.
    const inherited = await Promise.all(
        registered.map((c) =>
            inheritedFieldManagers(c, recordedFor(c), argocd, !hubMove, owner, clusterSecretName(c.server)),
        ),
    );
    const registrations = registered.map((cluster, i) => {
        // Resources are named after the cluster Secret, i.e. the server URL: a new display name is an update.
        const name = clusterSecretName(cluster.server);
        const fieldManagers = inherited[i];
        // Recorded only once every object could be read: the next run then reads none again.
        const recordedManagers = fieldManagers.unread.length === 0 ? { fieldManagers: fieldManagers.names } : {};
        const adoption = adoptions.get(cluster);
        const recorded = recordedFor(cluster);
        const schedule = tokenSchedule(cluster.token, cluster.tokenRotation, recorded, now);
        const bound =
            cluster.token.kind === "bound"
                ? boundTokenSchedule(cluster.token, cluster.tokenRotation, recorded, now)
                : undefined;
        const registration = new ClusterRegistration(name, {
            cluster,
            argocd,
            identity,
            fieldManagers,
            hubMove,
            tokenSchedule: schedule,
            boundTokenSchedule: bound,
            targetProvider: clusterProvider(
                childName(name, "provider"),
                cluster.access,
                targetClusterIdentifier(cluster.server),
            ),
            argocdProvider,
        });
        // What each registration is, keyed by its Argo CD name. No credentials. The next run reads it back
        // (removalGuard.ts) to know what it removes.
        return [
            cluster.name,
            {
                server: registration.server,
                secretName: registration.secretName,
                serviceAccount: registration.serviceAccount,
                tokenSecretName: registration.tokenSecretName,
                mode: registration.mode,
                namespaces: cluster.namespaces ?? [],
                tokenKind: registration.tokenKind,
                // Read back by the next run, so it never reads the objects for them again (fieldManager.ts).
                ...recordedManagers,
                // With rotateEvery: read back by the next run to know when to rotate (tokenSchedule.ts).
                ...(schedule
                    ? {
                          tokenIssuedAt: schedule.issuedAt,
                          tokenRotatesAt: schedule.rotatesAt,
                          tokenRotation: cluster.tokenRotation,
                      }
                    : {}),
                // Bound kind: read back by the next run to know when to renew (boundTokenSchedule).
                ...(bound && cluster.token.lifetime
                    ? {
                          tokenIssuedAt: bound.issuedAt,
                          tokenExpiresAt: registration.tokenExpiresAt,
                          tokenRenewsAt: registration.tokenRenewsAt,
                          tokenLifetime: cluster.token.lifetime.text,
                          tokenRotation: cluster.tokenRotation,
                      }
                    : {}),
                // Resolves once the CLI's leftovers are gone; a failure there fails the up.
                ...(adoption ? { adopted: finishAdoption(adoption, registration.secretName).apply(() => true) } : {}),
            },
        ] as const;
    });
    Error.stackTraceLimit = stackTraceLimit;

    return {
        registrations: Object.fromEntries(registrations),
        argocdNamespace: argocd.namespace,
        argocdName: argocd.name,
        tokenDefault,
        // Who this deployment is (docs/ownership.md): its identity, as on every object it writes, and what it is.
        owner: {
            id: identity.id,
            organization: pulumi.getOrganization(),
            project: pulumi.getProject(),
            stack: pulumi.getStack(),
            argocdName: argocd.name,
        },
    };
}

// `export =`, not `export default`: the Node.js language host (@pulumi/pulumi/cmd/run) calls the module's export
// when it is a function and never looks at a CommonJS `exports.default`, so with `export default` a stock
// `pulumi up` would run no registration at all and delete every one the stack holds.
export = main;
