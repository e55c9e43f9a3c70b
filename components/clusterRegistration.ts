/**
 * ClusterRegistration: one cluster registered with one Argo CD, the declarative `argocd cluster add`.
 * On the target it creates the argocd-manager ServiceAccount, its rights and a token; on the Argo CD cluster
 * the cluster Secret carrying that token. Two providers, both explicit.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { clusterConfigJson, clusterSecretData, clusterSecretName, decodeToken } from "../argocd/clusterSecret";
import {
    ARGOCD_KUBERNETES_VERSION_LABEL,
    ARGOCD_REFRESH_ANNOTATION,
    argocdClusterIdentifier,
    BOUND_TOKEN_OBJECT_TYPE,
    BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION,
    boundTokenObjectName,
    CLUSTER_IDENTIFIER_ANNOTATION,
    CLUSTER_REGISTRATION_TYPE,
    ENVIRONMENT_LABEL,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    OWNER_ANNOTATION,
    PART_OF_LABEL,
    PATCH_FORCE_ANNOTATION,
    PROJECT,
    SECRET_TYPE_CLUSTER,
    SECRET_TYPE_LABEL,
    STACK_ANNOTATION,
    stackAnnotationValue,
    TOKEN_EXPIRES_AT_ANNOTATION,
    TOKEN_ISSUED_AT_ANNOTATION,
    TOKEN_KIND_ANNOTATION,
    TOKEN_RENEWS_AT_ANNOTATION,
    TOKEN_ROTATES_AT_ANNOTATION,
    targetClusterIdentifier,
} from "../argocd/names";
import { apiServerKey } from "../argocd/serverKey";
import { createdButNeverPatched } from "../stack/rbacRules";
import type { ArgoCDSpec, ClusterSpec, VerifyMode } from "../stack/settings";
import { BoundToken, type TargetConnection, targetConnection } from "./boundToken";
import { childName } from "./childNames";
import { type AccessCheck, type ArgoConnection, checkConnection, expectedAccess } from "./connectionCheck";
import { type ChildObject, fieldManagerAnnotation, type Inherited } from "./fieldManager";
import type { DeploymentIdentity } from "./identity";
import {
    annotationsOf,
    createClusterRoleAndBinding,
    createRolesAndBindings,
    createServiceAccount,
    createTokenSecret,
    type StepContext,
} from "./managerAccess";
import { refuseForeignOnCreate, targetObject } from "./targetObjects";
import { revokeSupersededTokens } from "./tokenCleanup";
import { type BoundTokenSchedule, renewsAt, type TokenSchedule } from "./tokenSchedule";

export { CLUSTER_REGISTRATION_TYPE };

export type RegistrationMode = "cluster-wide" | "namespaced";

export interface ClusterRegistrationArgs {
    /**
     * The stack file's entry as validation made it (stack/settings.ts): complete, every default filled, with the
     * access its kubeconfig context resolved to. Taken as it is: the component fills no default of its own.
     */
    cluster: ClusterSpec;
    /**
     * The Argo CD cluster: the cluster Secret goes to its namespace, and records its name; through its access the
     * cluster Secret is read back before superseded tokens are revoked (tokenCleanup.ts).
     */
    argocd: Pick<ArgoCDSpec, "name" | "namespace" | "access">;
    /**
     * Provider for the target cluster; the ServiceAccount, rights and token are created through it. Must be
     * identified by `targetClusterIdentifier(cluster.server)`, which is recorded on every target object.
     */
    targetProvider: k8s.Provider;
    /** The deployment identity (identity.ts): written on every object as OWNER_ANNOTATION, and what proves
     * superseded tokens ours before they are revoked. */
    identity: DeploymentIdentity;
    /**
     * The field managers children keep from an earlier release (fieldManager.ts inheritedFieldManagers); every
     * other child gets a name derived for it.
     */
    fieldManagers: Inherited;
    /** Provider for the Argo CD cluster, identified by `argocdClusterIdentifier(argocd.name)`; writes the cluster Secret. */
    argocdProvider: k8s.Provider;
    /**
     * This run moves the registrations to another Argo CD cluster or namespace: the cluster Secret is deleted
     * before it is written again, so a failed check can no longer keep the old one and only warns.
     */
    hubMove: boolean;
    /**
     * With `token.rotateEvery`: when the token this run leaves Argo CD holding was issued and is replaced
     * (tokenSchedule.ts). Unset: only a new tokenRotation replaces the token.
     */
    tokenSchedule?: TokenSchedule;
    /** With `token.kind: bound` (required then): whether this run renews the token (boundTokenSchedule). */
    boundTokenSchedule?: BoundTokenSchedule;
}

/** The token the cluster Secret carries, whichever kind issued it. */
interface IssuedToken {
    resource: pulumi.Resource;
    /** The token Secret (secret kind) or the bound object (bound kind) on the target. */
    secretName: pulumi.Output<string>;
    /** The token and the target's own CA (base64 PEM) as its issuer gave them. Secret. */
    credential: pulumi.Output<{ bearerToken: string; ca?: string }>;
    expiresAt?: pulumi.Output<string>;
    renewsAt?: pulumi.Output<string>;
}

function secretToken(token: k8s.core.v1.Secret, cluster: ClusterSpec): IssuedToken {
    return {
        resource: token,
        secretName: token.metadata.name,
        credential: pulumi.all([token.metadata.name, token.data]).apply(([tokenSecret, data]) => ({
            bearerToken: decodeToken(data, cluster.name, tokenSecret),
            ca: data["ca.crt"],
        })),
    };
}

function boundSchedule(args: ClusterRegistrationArgs): BoundTokenSchedule {
    if (!args.boundTokenSchedule)
        throw new pulumi.RunError(`cluster "${args.cluster.name}": a bound token needs its schedule (index.ts)`);
    return args.boundTokenSchedule;
}

/**
 * Bound kind: the bound object (an empty Secret whose suffix changes with every renewal) and the TokenRequest
 * token bound to it. A new issue time (boundTokenSchedule) means a new object and so a new token, created before
 * the old one is dropped. The object is kept on delete, like token Secrets: tokenCleanup.ts deletes superseded
 * ones, which revokes their tokens, once Argo CD holds the new one; its owner, the ServiceAccount, takes it
 * along when the registration is removed.
 */
function createBoundToken(
    step: StepContext,
    parent: pulumi.Resource,
    cluster: ClusterSpec,
    account: k8s.core.v1.ServiceAccount,
    schedule: BoundTokenSchedule,
): IssuedToken {
    const lifetime = cluster.token.lifetime!;
    const renewBefore = cluster.token.renewBefore!;
    const suffix = new random.RandomId(
        childName(step.name, "boundTokenSuffix"),
        {
            byteLength: 4,
            keepers: {
                tokenRotation: cluster.tokenRotation,
                issuedAt: schedule.issuedAt,
                lifetime: String(lifetime.ms / 1000),
            },
        },
        { parent },
    );
    const objectChild: ChildObject = { name: childName(step.name, "boundTokenObject"), kind: "Secret" };
    const boundObject = new k8s.core.v1.Secret(
        objectChild.name,
        {
            metadata: {
                name: pulumi
                    .all([account.metadata.name, suffix.hex])
                    .apply(([sa, hex]) => boundTokenObjectName(sa, hex)),
                namespace: account.metadata.namespace,
                labels: step.labels,
                annotations: annotationsOf(step, objectChild, {
                    [BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION]: account.metadata.name,
                }),
                ownerReferences: [
                    {
                        apiVersion: "v1",
                        kind: "ServiceAccount",
                        name: account.metadata.name,
                        uid: account.metadata.uid,
                    },
                ],
            },
            type: BOUND_TOKEN_OBJECT_TYPE,
        },
        { parent, provider: step.provider, dependsOn: [account], retainOnDelete: true },
    );
    let connection: Promise<TargetConnection> | undefined;
    const token = new BoundToken(
        childName(step.name, "boundToken"),
        {
            // Resolved only when the engine needs it, once per run.
            connection: boundObject.metadata.uid.apply(() => (connection ??= targetConnection(cluster.access))),
            namespace: account.metadata.namespace,
            serviceAccount: account.metadata.name,
            boundObjectName: boundObject.metadata.name,
            boundObjectUid: boundObject.metadata.uid,
            lifetimeSeconds: lifetime.ms / 1000,
            // The API server may issue less than asked (--service-account-max-token-expiration): the provider
            // refuses a token that lives no longer than renewBefore (boundToken.ts issuedLifetimeProblem).
            renewBeforeSeconds: renewBefore.ms / 1000,
            clusterName: cluster.name,
        },
        { parent, dependsOn: [account, boundObject] },
    );
    const renews = token.expiresAt.apply((expiresAt) => renewsAt(expiresAt, renewBefore.ms));
    return {
        resource: token,
        secretName: boundObject.metadata.name,
        credential: pulumi
            .all([token.token, token.caData])
            .apply(([bearerToken, ca]) => ({ bearerToken, ca: ca === "" ? undefined : ca })),
        expiresAt: token.expiresAt,
        renewsAt: renews,
    };
}

export class ClusterRegistration extends pulumi.ComponentResource {
    /** Name of the cluster Secret in the Argo CD namespace, as Argo CD itself would name it. */
    readonly secretName: pulumi.Output<string>;
    readonly server: pulumi.Output<string>;
    /** `<namespace>/<name>` of the ServiceAccount Argo CD acts as. */
    readonly serviceAccount: pulumi.Output<string>;
    /** Name of the Secret holding the current token, on the target. */
    readonly tokenSecretName: pulumi.Output<string>;
    readonly mode: pulumi.Output<RegistrationMode>;
    /**
     * The namespace this registration was told Argo CD runs in. Recorded as an output because the policy pack
     * cannot read stack config: it checks the cluster Secret really landed there.
     */
    readonly argocdNamespace: pulumi.Output<string>;
    /** `secret` or `bound`. */
    readonly tokenKind: pulumi.Output<string>;
    /** Bound kind: the token's expiry (its `exp`) and from when an `up` renews it, RFC 3339 UTC. */
    readonly tokenExpiresAt?: pulumi.Output<string>;
    readonly tokenRenewsAt?: pulumi.Output<string>;

    constructor(name: string, args: ClusterRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CLUSTER_REGISTRATION_TYPE, name, {}, opts);
        const { cluster, argocd } = args;
        const step: StepContext = {
            name,
            parent: this,
            provider: args.targetProvider,
            labels: ownershipLabels(),
            annotations: {
                ...ownershipAnnotations(args.identity.id),
                ...adoptAnnotations(cluster.adopt),
                [CLUSTER_IDENTIFIER_ANNOTATION]: targetClusterIdentifier(cluster.server),
            },
            beforeCreate: cluster.adopt
                ? undefined
                : (kind, namespace) =>
                      refuseForeignOnCreate(cluster, args.identity.owner, targetObject(cluster, kind, namespace)),
            fieldManager: (child, kind) =>
                fieldManagerAnnotation(
                    args.identity.id,
                    name,
                    { name: child, kind },
                    targetClusterIdentifier(cluster.server),
                    args.fieldManagers,
                ),
        };

        const neverPatched = createdButNeverPatched([...cluster.rules, ...(cluster.clusterRules ?? [])]);
        if (neverPatched.length > 0)
            void pulumi.log.warn(
                `cluster "${cluster.name}": its rules let Argo CD create ${neverPatched.join(", ")} but not patch them: ` +
                    'the first sync of such an object works, and every later change of it fails with "cannot patch ' +
                    'resource" (Argo CD applies changes as patches). Add patch to those verbs unless the objects are only ' +
                    "ever created",
                this,
            );
        const account = createServiceAccount(step, cluster.systemNamespace, cluster.serviceAccount);
        const rights = isNamespaced(cluster)
            ? [
                  ...createRolesAndBindings(step, account, cluster.namespaces, cluster.rules),
                  ...(cluster.clusterResources && cluster.clusterRules
                      ? createClusterRoleAndBinding(step, account, cluster.clusterRules, cluster.allowWildcardRbac)
                      : []),
              ]
            : createClusterRoleAndBinding(step, account, cluster.rules, cluster.allowWildcardRbac);
        const token =
            cluster.token.kind === "bound"
                ? createBoundToken(step, this, cluster, account, boundSchedule(args))
                : secretToken(
                      createTokenSecret(step, account, cluster.tokenRotation, args.tokenSchedule?.issuedAt),
                      cluster,
                  );
        const secret = createClusterSecret(name, this, args, token, [...rights, token.resource]);

        this.secretName = secret.metadata.name;
        this.server = pulumi.output(cluster.server);
        this.serviceAccount = pulumi.interpolate`${account.metadata.namespace}/${account.metadata.name}`;
        this.tokenSecretName = token.secretName;
        this.tokenKind = pulumi.output(cluster.token.kind);
        this.tokenExpiresAt = token.expiresAt;
        this.tokenRenewsAt = token.renewsAt;
        this.mode = pulumi.output<RegistrationMode>(isNamespaced(cluster) ? "namespaced" : "cluster-wide");
        this.argocdNamespace = pulumi.output(argocd.namespace);
        // Resolves after the cluster Secret's step, once superseded tokens are revoked, or kept with a warning when
        // the cluster Secret, read back, does not hold the current token. A component output, so the run waits for
        // it (registerOutputs) without it changing any stack output.
        const supersededTokensRevoked = revokeSupersededTokens(
            {
                clusterName: cluster.name,
                target: cluster.access,
                systemNamespace: cluster.systemNamespace,
                serviceAccount: cluster.serviceAccount,
                owner: args.identity.owner,
                server: cluster.server,
                clusterIdentifier: targetClusterIdentifier(cluster.server),
            },
            { access: argocd.access, namespace: secret.metadata.namespace, name: secret.metadata.name },
            {
                bearerToken: token.credential.apply((c) => c.bearerToken),
                ...(cluster.token.kind === "bound"
                    ? { boundObject: token.secretName }
                    : { tokenSecret: token.secretName }),
            },
            this,
        );
        this.registerOutputs({
            secretName: this.secretName,
            server: this.server,
            serviceAccount: this.serviceAccount,
            tokenSecretName: this.tokenSecretName,
            mode: this.mode,
            argocdNamespace: this.argocdNamespace,
            supersededTokensRevoked,
        });
    }
}

/** Namespaced mode (a Role per listed namespace), as `argocd cluster add --namespace`; else cluster-wide. */
function isNamespaced(cluster: ClusterSpec): cluster is ClusterSpec & { namespaces: string[] } {
    return cluster.namespaces !== undefined && cluster.namespaces.length > 0;
}

/**
 * The CA Argo CD gets, most specific first: the entry's tls.caData; else the kubeconfig's CA when Pulumi reaches
 * the target at `server` itself (on OpenShift and managed clusters the external endpoint often has a
 * certificate from another CA than the cluster's own: a named certificate, a public CA, a load balancer);
 * else the target's own CA from the token Secret's ca.crt. The check before saving proves the choice.
 */
function caFor(cluster: ClusterSpec, tokenSecretCa: string | undefined): string | undefined {
    const { access } = cluster;
    const kubeconfigCa = apiServerKey(access.server) === apiServerKey(cluster.server) ? access.caData : undefined;
    return cluster.tls.caData ?? kubeconfigCa ?? tokenSecretCa;
}

/** What the entry grants, as access review questions: the same rules the roles carry, in the same scopes. */
function grantedAccess(cluster: ClusterSpec): AccessCheck[] {
    if (!isNamespaced(cluster)) return expectedAccess(cluster.rules, [undefined]);
    return [
        ...expectedAccess(cluster.rules, cluster.namespaces),
        ...(cluster.clusterResources && cluster.clusterRules ? expectedAccess(cluster.clusterRules, [undefined]) : []),
    ];
}

/** Throws when the registration is broken (or unreachable under `required`); warns when it cannot be reached. */
async function verifyRegistration(
    parent: pulumi.Resource,
    clusterName: string,
    conn: ArgoConnection,
    expected: AccessCheck[],
    mode: VerifyMode,
    hubMove: boolean,
): Promise<void> {
    if (mode === "off") return;
    const result = await checkConnection(conn, expected);
    const label = `cluster "${clusterName}" (${conn.server})`;
    if (result.outcome === "ok") return;
    if (result.outcome === "unreachable" && mode === "auto") {
        await pulumi.log.warn(
            `${label} was not verified: ${result.reason} from where Pulumi runs. Argo CD may reach it ` +
                "over another network; set verify: required to make this an error, or verify: off to skip the check",
            parent,
        );
        return;
    }
    const fix =
        result.outcome === "failed" ? result.fix : "reach the server from where Pulumi runs, or set verify: auto";
    if (hubMove) {
        // The old Secret is already deleted (delete-before-replace): writing the new one anyway keeps Argo CD's
        // Applications pointing at a cluster it knows, and the warning says what to fix.
        await pulumi.log.error(
            `${label} is moved to the new Argo CD cluster or namespace although it is not usable as Argo CD ` +
                `would use it: ${result.reason}. The old cluster Secret was already deleted, so it is written anyway.\n  fix: ${fix}`,
            parent,
        );
        return;
    }
    throw new pulumi.RunError(
        `${label} is not usable as Argo CD would use it: ${result.reason}. Its cluster Secret ` +
            `was not written; Argo CD keeps its current registration.\n  fix: ${fix}`,
    );
}

function ownershipLabels(): Record<string, string> {
    return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PART_OF_LABEL]: PROJECT };
}

/** With `adopt`, fields that `argocd cluster add` wrote are taken over instead of refused as a conflict. */
function adoptAnnotations(adopt: boolean): Record<string, string> {
    return adopt ? { [PATCH_FORCE_ANNOTATION]: "true" } : {};
}

/**
 * Our marks: which stack manages an object, for whoever finds it with kubectl, and the deployment identity that
 * proves it to the program (ownership.ts).
 */
function ownershipAnnotations(ownerId: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return {
        [STACK_ANNOTATION]: stackAnnotationValue(pulumi.getProject(), pulumi.getStack()),
        [OWNER_ANNOTATION]: ownerId,
    };
}

/**
 * The cluster Secret on the Argo CD cluster. It waits for the rights as well as the token, so Argo CD never
 * sees a registration whose token is not yet allowed to do anything, and on removal it goes first.
 */
function createClusterSecret(
    name: string,
    parent: pulumi.Resource,
    args: ClusterRegistrationArgs,
    token: IssuedToken,
    dependsOn: pulumi.Resource[],
): k8s.core.v1.Secret {
    const { cluster, argocd } = args;
    // What Argo CD will connect with, kept for the check that runs right before the Secret is written.
    let pending: { conn: ArgoConnection; expected: AccessCheck[] } | undefined;
    const connection = token.credential.apply((credential): ArgoConnection => {
        const conn: ArgoConnection = {
            server: cluster.server,
            bearerToken: credential.bearerToken,
            insecure: cluster.tls.insecure,
            // TLS is verified unless told otherwise, with the CA chosen by caFor. client-go refuses a CA
            // together with insecure, so an insecure registration carries none.
            caData: cluster.tls.insecure ? undefined : caFor(cluster, credential.ca),
            serverName: cluster.tls.serverName,
            proxyUrl: cluster.proxyUrl,
        };
        pending = { conn, expected: grantedAccess(cluster) };
        return conn;
    });
    // A hook the engine runs before it creates or updates the Secret (during up only): when it throws, the
    // Secret is not written, or switched to a new token, and Argo CD keeps its current registration.
    const check = async () => {
        // The Secret's inputs wait on `connection`, so it is always known by the time the engine writes.
        if (!pending)
            throw new pulumi.RunError(
                `${name}: the cluster Secret is about to be written before its connection is known`,
            );
        await verifyRegistration(parent, cluster.name, pending.conn, pending.expected, cluster.verify, args.hubMove);
    };
    const stringData = connection.apply((conn) =>
        clusterSecretData({
            name: cluster.name,
            server: cluster.server,
            config: clusterConfigJson({ ...conn, disableCompression: cluster.disableCompression }),
            namespaces: cluster.namespaces,
            clusterResources: cluster.clusterResources,
            project: cluster.project,
            shard: cluster.shard,
        }),
    );
    const labels = {
        ...cluster.labels,
        // After the user's labels: the stack decides the environment (validation rejects a different value).
        [ENVIRONMENT_LABEL]: pulumi.getStack(),
        ...ownershipLabels(),
        [SECRET_TYPE_LABEL]: SECRET_TYPE_CLUSTER,
    };
    const child = childName(name, "clusterSecret");
    const annotations = {
        ...cluster.annotations,
        ...ownershipAnnotations(args.identity.id),
        ...adoptAnnotations(cluster.adopt),
        [CLUSTER_IDENTIFIER_ANNOTATION]: argocdClusterIdentifier(argocd.name),
        ...fieldManagerAnnotation(
            args.identity.id,
            name,
            { name: child, kind: "Secret" },
            argocdClusterIdentifier(argocd.name),
            args.fieldManagers,
        ),
        [TOKEN_KIND_ANNOTATION]: cluster.token.kind,
        ...(token.expiresAt && token.renewsAt && args.boundTokenSchedule
            ? {
                  [TOKEN_ISSUED_AT_ANNOTATION]: args.boundTokenSchedule.issuedAt,
                  [TOKEN_EXPIRES_AT_ANNOTATION]: token.expiresAt,
                  [TOKEN_RENEWS_AT_ANNOTATION]: token.renewsAt,
              }
            : {}),
        ...(args.tokenSchedule
            ? {
                  [TOKEN_ISSUED_AT_ANNOTATION]: args.tokenSchedule.issuedAt,
                  [TOKEN_ROTATES_AT_ANNOTATION]: args.tokenSchedule.rotatesAt,
              }
            : {}),
    };
    return new k8s.core.v1.Secret(
        child,
        {
            metadata: {
                name: clusterSecretName(cluster.server),
                namespace: argocd.namespace,
                labels,
                annotations,
            },
            type: "Opaque",
            stringData,
        },
        {
            parent,
            provider: args.argocdProvider,
            dependsOn,
            // A replacement (a new argocd.name or argocd.namespace) must never end with the Secret deleted. The
            // default, create then delete, would on the same cluster adopt the existing object (server-side apply)
            // and then delete it: Argo CD loses the cluster while `up` succeeds. Deleted first, it is written again
            // at once; the registration summary announces the replacement.
            deleteBeforeReplace: true,
            hooks: cluster.verify === "off" ? undefined : { beforeCreate: [check], beforeUpdate: [check] },
            // Argo CD writes these itself (hard refresh requests, auto-labelled cluster info): never drift.
            ignoreChanges: [
                `metadata.annotations["${ARGOCD_REFRESH_ANNOTATION}"]`,
                `metadata.labels["${ARGOCD_KUBERNETES_VERSION_LABEL}"]`,
            ],
        },
    );
}
