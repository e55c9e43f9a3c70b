/**
 * ClusterRegistration: one cluster registered with one Argo CD, the declarative `argocd cluster add`.
 * On the target it creates the argocd-manager ServiceAccount, its rights and a token; on the Argo CD cluster
 * the cluster Secret carrying that token. Two providers, both explicit.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./childNames";
import { clusterConfigJson, clusterSecretData, clusterSecretName, decodeToken } from "./clusterSecret";
import { AccessCheck, ArgoConnection, checkConnection, expectedAccess } from "./connectionCheck";
import {
    createClusterRoleAndBinding,
    createRolesAndBindings,
    createServiceAccount,
    createTokenSecret,
    StepContext,
} from "./managerAccess";
import {
    ARGOCD_KUBERNETES_VERSION_LABEL,
    ARGOCD_REFRESH_ANNOTATION,
    argocdClusterIdentifier,
    CLUSTER_IDENTIFIER_ANNOTATION,
    DEFAULT_ARGOCD_NAME,
    DEFAULT_ARGOCD_NAMESPACE,
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SYSTEM_NAMESPACE,
    ENVIRONMENT_LABEL,
    FULL_CLUSTER_RULES,
    FULL_NAMESPACE_RULES,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PART_OF_LABEL,
    PATCH_FORCE_ANNOTATION,
    CLUSTER_REGISTRATION_TYPE,
    PolicyRule,
    PROJECT,
    SECRET_TYPE_CLUSTER,
    SECRET_TYPE_LABEL,
    STACK_ANNOTATION,
    stackAnnotationValue,
    targetClusterIdentifier,
} from "./names";

export { CLUSTER_REGISTRATION_TYPE };

export type RegistrationMode = "cluster-wide" | "namespaced";

export interface TlsArgs {
    /** Skip TLS verification. Default false; exclusive with caData. */
    insecure?: pulumi.Input<boolean>;
    /** base64 PEM CA bundle. Default: see caFor (the kubeconfig's CA at `server`, else the token Secret's ca.crt). */
    caData?: pulumi.Input<string>;
    /** Host name to verify the server certificate against, when it differs from the URL's. */
    serverName?: pulumi.Input<string>;
}

export interface ClusterRegistrationArgs {
    /** Argo CD display name (`data.name`), as Applications' `destination.name` refers to it. Required. */
    clusterName: pulumi.Input<string>;
    /** API URL as Argo CD reaches it: https, no trailing slash. Required; names the cluster Secret. */
    server: pulumi.Input<string>;
    /**
     * Provider for the target cluster; the ServiceAccount, rights and token are created through it. Required;
     * must be identified by `targetClusterIdentifier(server)`, which is recorded on every target object.
     */
    targetProvider: k8s.Provider;
    /** Provider for the Argo CD cluster; the cluster Secret is written through it. Required. */
    argocdProvider: k8s.Provider;
    /** Namespace Argo CD runs in. Default `argocd`. */
    argocdNamespace?: pulumi.Input<string>;
    /**
     * Stable name of the Argo CD cluster (`argocd.name`); `argocdProvider` must be identified by
     * `argocdClusterIdentifier` of it. Recorded on the cluster Secret (CLUSTER_IDENTIFIER_ANNOTATION). Default `argocd`.
     */
    argocdName?: string;
    /** Namespace of the ServiceAccount and token on the target. Default `kube-system`. */
    systemNamespace?: pulumi.Input<string>;
    /** ServiceAccount name; roles are named after it. Default `argocd-manager`. */
    serviceAccount?: pulumi.Input<string>;
    /** Namespaced mode: a Role and RoleBinding in each. Unset: cluster-wide. Plain, since it shapes the graph. */
    namespaces?: string[];
    /** Namespaced mode only: let Argo CD manage cluster-scoped resources, granted by `clusterRules`. */
    clusterResources?: boolean;
    /** Rules replacing the CLI's full rights, in the ClusterRole or in each namespace's Role. */
    rules?: pulumi.Input<PolicyRule[]>;
    /** Cluster-wide rules granted with `clusterResources` in namespaced mode. */
    clusterRules?: pulumi.Input<PolicyRule[]>;
    /** The stack's explicit consent to `*` rules in the ClusterRole, recorded on it for the policy pack. */
    allowWildcardRbac?: boolean;
    /** AppProject the cluster is scoped to. */
    project?: pulumi.Input<string>;
    /** Application-controller shard that handles this cluster. */
    shard?: pulumi.Input<number>;
    /** Extra labels on the cluster Secret; ApplicationSet cluster generators select on them. `environment` is the stack's name. */
    labels?: pulumi.Input<Record<string, string>>;
    /** Extra annotations on the cluster Secret. */
    annotations?: pulumi.Input<Record<string, string>>;
    tls?: TlsArgs;
    /**
     * The CA of the kubeconfig Pulumi reaches the target with, given only when that kubeconfig reaches it at
     * `server` itself: it signs the very endpoint Argo CD will use. Used when `tls.caData` is unset.
     */
    kubeconfigCaData?: pulumi.Input<string>;
    /** Proxy Argo CD uses to reach the API server. */
    proxyUrl?: pulumi.Input<string>;
    /** Disable response compression, for large clusters on fast networks. */
    disableCompression?: pulumi.Input<boolean>;
    /** Any new value issues a new token and retires the old one. */
    tokenRotation?: pulumi.Input<string>;
    /**
     * Take over what `argocd cluster add` left for this cluster: every object is applied with force, so the
     * CLI's cluster Secret switches to our token in place. The CLI's token is revoked by adoption.ts.
     */
    adopt?: boolean;
    /**
     * This run moves the registrations to another Argo CD cluster or namespace: the cluster Secret is deleted
     * before it is written again, so a failed check can no longer keep the old one and only warns.
     */
    hubMove?: boolean;
    /**
     * The check before the cluster Secret is written (connectionCheck.ts): `auto` (default) fails on a broken
     * registration and warns when the server cannot be reached from here; `required` fails then too; `off`.
     */
    verify?: VerifyMode;
}

export type VerifyMode = "auto" | "required" | "off";

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

    constructor(name: string, args: ClusterRegistrationArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CLUSTER_REGISTRATION_TYPE, name, {}, opts);
        const step: StepContext = {
            name,
            parent: this,
            provider: args.targetProvider,
            labels: ownershipLabels(),
            annotations: {
                ...ownershipAnnotations(),
                ...adoptAnnotations(args.adopt),
                [CLUSTER_IDENTIFIER_ANNOTATION]: pulumi.output(args.server).apply(targetClusterIdentifier),
            },
        };
        const namespaced = isNamespaced(args);

        const account = createServiceAccount(step, args.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE, args.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT);
        const rights = namespaced
            ? [
                ...createRolesAndBindings(step, account, args.namespaces!, args.rules ?? FULL_NAMESPACE_RULES),
                ...(args.clusterResources && args.clusterRules
                    ? createClusterRoleAndBinding(step, account, args.clusterRules, args.allowWildcardRbac)
                    : []),
            ]
            : createClusterRoleAndBinding(step, account, args.rules ?? FULL_CLUSTER_RULES, args.allowWildcardRbac);
        const token = createTokenSecret(step, account, args.tokenRotation ?? "");
        const secret = createClusterSecret(name, this, args, token, [...rights, token]);

        this.secretName = secret.metadata.name;
        this.server = pulumi.output(args.server);
        this.serviceAccount = pulumi.interpolate`${account.metadata.namespace}/${account.metadata.name}`;
        this.tokenSecretName = token.metadata.name;
        this.mode = pulumi.output<RegistrationMode>(namespaced ? "namespaced" : "cluster-wide");
        this.argocdNamespace = pulumi.output(args.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE);
        this.registerOutputs({
            secretName: this.secretName,
            server: this.server,
            serviceAccount: this.serviceAccount,
            tokenSecretName: this.tokenSecretName,
            mode: this.mode,
            argocdNamespace: this.argocdNamespace,
        });
    }
}

/** Namespaced mode (a Role per listed namespace), as `argocd cluster add --namespace`; else cluster-wide. */
function isNamespaced(args: ClusterRegistrationArgs): boolean {
    return args.namespaces !== undefined && args.namespaces.length > 0;
}

/**
 * The CA Argo CD gets, most specific first: the entry's tls.caData; else the kubeconfig's CA when Pulumi reaches
 * the target at `server` itself (on OpenShift and managed clusters the external endpoint often has a
 * certificate from another CA than the cluster's own: a named certificate, a public CA, a load balancer);
 * else the target's own CA from the token Secret's ca.crt. The check before saving proves the choice.
 */
function caFor(explicit: string | undefined, kubeconfig: string | undefined, tokenSecretCa: string | undefined): string | undefined {
    return explicit ?? kubeconfig ?? tokenSecretCa;
}

/** What the entry grants, as access review questions: the same rules the roles carry, in the same scopes. */
function grantedAccess(args: ClusterRegistrationArgs, rules: PolicyRule[] | undefined, clusterRules: PolicyRule[] | undefined) {
    if (!isNamespaced(args)) return expectedAccess(rules ?? FULL_CLUSTER_RULES, [undefined]);
    return [
        ...expectedAccess(rules ?? FULL_NAMESPACE_RULES, args.namespaces!),
        ...(args.clusterResources && clusterRules ? expectedAccess(clusterRules, [undefined]) : []),
    ];
}

/** Throws when the registration is broken (or unreachable under `required`); warns when it cannot be reached. */
async function verifyRegistration(
    parent: pulumi.Resource, clusterName: string, conn: ArgoConnection, expected: AccessCheck[], mode: VerifyMode, hubMove: boolean,
): Promise<void> {
    if (mode === "off") return;
    const result = await checkConnection(conn, expected);
    const label = `cluster "${clusterName}" (${conn.server})`;
    if (result.outcome === "ok") return;
    if (result.outcome === "unreachable" && mode === "auto") {
        await pulumi.log.warn(`${label} was not verified: ${result.reason} from where Pulumi runs. Argo CD may reach it ` +
            "over another network; set verify: required to make this an error, or verify: off to skip the check", parent);
        return;
    }
    const fix = result.outcome === "failed" ? result.fix : "reach the server from where Pulumi runs, or set verify: auto";
    if (hubMove) {
        // The old Secret is already deleted (delete-before-replace): writing the new one anyway keeps Argo CD's
        // Applications pointing at a cluster it knows, and the warning says what to fix.
        await pulumi.log.error(`${label} is moved to the new Argo CD cluster or namespace although it is not usable as Argo CD ` +
            `would use it: ${result.reason}. The old cluster Secret was already deleted, so it is written anyway.\n  fix: ${fix}`, parent);
        return;
    }
    throw new pulumi.RunError(`${label} is not usable as Argo CD would use it: ${result.reason}. Its cluster Secret ` +
        `was not written; Argo CD keeps its current registration.\n  fix: ${fix}`);
}

function ownershipLabels(): Record<string, string> {
    return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PART_OF_LABEL]: PROJECT };
}

/** With `adopt`, fields that `argocd cluster add` wrote are taken over instead of refused as a conflict. */
function adoptAnnotations(adopt: boolean | undefined): Record<string, string> {
    return adopt ? { [PATCH_FORCE_ANNOTATION]: "true" } : {};
}

/** Says which stack manages an object, for whoever finds it with kubectl. */
function ownershipAnnotations(): Record<string, string> {
    return { [STACK_ANNOTATION]: stackAnnotationValue(pulumi.getProject(), pulumi.getStack()) };
}

/**
 * The cluster Secret on the Argo CD cluster. It waits for the rights as well as the token, so Argo CD never
 * sees a registration whose token is not yet allowed to do anything, and on removal it goes first.
 */
function createClusterSecret(
    name: string, parent: pulumi.Resource, args: ClusterRegistrationArgs, token: k8s.core.v1.Secret,
    dependsOn: pulumi.Resource[],
): k8s.core.v1.Secret {
    const tls = args.tls ?? {};
    // What Argo CD will connect with, kept for the check that runs right before the Secret is written.
    let pending: { clusterName: string; conn: ArgoConnection; expected: AccessCheck[] } | undefined;
    const connection = pulumi
        .all([args.clusterName, args.server, token.metadata.name, token.data, tls.insecure, tls.caData, tls.serverName, pulumi.all([args.proxyUrl, args.rules, args.clusterRules, args.kubeconfigCaData])])
        .apply(([clusterName, server, tokenSecret, data, insecure, caData, serverName, [proxyUrl, rules, clusterRules, kubeconfigCaData]]) => {
            const conn: ArgoConnection = {
                server,
                bearerToken: decodeToken(data, clusterName, tokenSecret),
                insecure: insecure ?? false,
                // TLS is verified unless told otherwise, with the CA chosen by caFor. client-go refuses a CA
                // together with insecure, so an insecure registration carries none.
                caData: insecure ? undefined : caFor(caData, kubeconfigCaData, data["ca.crt"]),
                serverName,
                proxyUrl,
            };
            pending = { clusterName, conn, expected: grantedAccess(args, rules, clusterRules) };
            return conn;
        });
    // A hook the engine runs before it creates or updates the Secret (during up only): when it throws, the
    // Secret is not written, or switched to a new token, and Argo CD keeps its current registration.
    const mode = args.verify ?? "auto";
    const check = async () => {
        // The Secret's inputs wait on `connection`, so it is always known by the time the engine writes.
        if (!pending) throw new pulumi.RunError(`${name}: the cluster Secret is about to be written before its connection is known`);
        await verifyRegistration(parent, pending.clusterName, pending.conn, pending.expected, mode, args.hubMove === true);
    };
    const config = pulumi.all([connection, args.disableCompression]).apply(([conn, disableCompression]) =>
        clusterConfigJson({ ...conn, disableCompression }));
    const stringData = pulumi
        .all([args.clusterName, args.server, config, args.project, args.shard])
        .apply(([clusterName, server, configJson, project, shard]) =>
            clusterSecretData({
                name: clusterName,
                server,
                config: configJson,
                namespaces: args.namespaces,
                clusterResources: args.clusterResources,
                project,
                shard,
            }));
    const labels = pulumi.output(args.labels ?? {}).apply((extra) => ({
        ...extra,
        // After the user's labels: the stack decides the environment (validation rejects a different value).
        [ENVIRONMENT_LABEL]: pulumi.getStack(),
        ...ownershipLabels(),
        [SECRET_TYPE_LABEL]: SECRET_TYPE_CLUSTER,
    }));
    const annotations = pulumi.output(args.annotations ?? {}).apply((extra) => ({
        ...extra,
        ...ownershipAnnotations(),
        ...adoptAnnotations(args.adopt),
        [CLUSTER_IDENTIFIER_ANNOTATION]: argocdClusterIdentifier(args.argocdName ?? DEFAULT_ARGOCD_NAME),
    }));
    return new k8s.core.v1.Secret(childName(name, "clusterSecret"), {
        metadata: {
            name: pulumi.output(args.server).apply(clusterSecretName),
            namespace: args.argocdNamespace ?? DEFAULT_ARGOCD_NAMESPACE,
            labels,
            annotations,
        },
        type: "Opaque",
        stringData,
    }, {
        parent,
        provider: args.argocdProvider,
        dependsOn,
        // A replacement (a new argocd.name or argocd.namespace) must never end with the Secret deleted. The
        // default, create then delete, would on the same cluster adopt the existing object (server-side apply)
        // and then delete it: Argo CD loses the cluster while `up` succeeds. Deleted first, it is written again
        // at once; the registration summary announces the replacement.
        deleteBeforeReplace: true,
        hooks: mode === "off" ? undefined : { beforeCreate: [check], beforeUpdate: [check] },
        // Argo CD writes these itself (hard refresh requests, auto-labelled cluster info): never drift.
        ignoreChanges: [
            `metadata.annotations["${ARGOCD_REFRESH_ANNOTATION}"]`,
            `metadata.labels["${ARGOCD_KUBERNETES_VERSION_LABEL}"]`,
        ],
    });
}
