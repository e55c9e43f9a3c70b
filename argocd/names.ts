/**
 * Names and well-known keys shared by the program. Everything Argo CD or Kubernetes reads by name lives here,
 * so a reader can check our choices against `argocd cluster add` in one place.
 */

/** Pulumi project name; also the prefix of every config key (`argocd-clusters:clusters`). */
export const PROJECT = "argocd-clusters";

/** Defaults identical to `argocd cluster add`. */
export const DEFAULT_ARGOCD_NAMESPACE = "argocd";
export const DEFAULT_SYSTEM_NAMESPACE = "kube-system";
export const DEFAULT_SERVICE_ACCOUNT = "argocd-manager";

/** The label that makes a Secret an Argo CD cluster. */
export const SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";
export const SECRET_TYPE_CLUSTER = "cluster";

/** Written by Argo CD itself onto cluster Secrets; we never fight over them. */
export const ARGOCD_REFRESH_ANNOTATION = "argocd.argoproj.io/refresh";
export const ARGOCD_KUBERNETES_VERSION_LABEL = "argocd.argoproj.io/kubernetes-version";
/** The CLI's ownership mark: `argocd cluster rm` deletes Secrets carrying it. We must not claim it. */
export const ARGOCD_MANAGED_BY_ANNOTATION = "managed-by";

/**
 * Argo CD's settings ConfigMap, and the key the respectRBAC check reads there. Argo CD reads its settings
 * ConfigMaps (argocd-cm, argocd-rbac-cm, ...) through an informer on its namespace filtered by the label
 * `app.kubernetes.io/part-of: argocd` (util/settings/settings.go, partOfArgoCDSelector): one without that
 * label does not exist for Argo CD. Its own install and OpenShift GitOps label theirs so.
 */
export const ARGOCD_CM = "argocd-cm";
export const ARGOCD_SETTINGS_PART_OF = "argocd";
export const RESPECT_RBAC_KEY = "resource.respectRBAC";

/** Our ownership marks, on every object we create on either cluster. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "pulumi";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const STACK_ANNOTATION = "argocd-clusters/stack";
/**
 * The deployment's identity (components/ownership.ts): random, generated once per stack and kept in its state,
 * so two stacks, backends or organisations never share it, even under one stack name, and a renamed stack keeps
 * it. STACK_ANNOTATION says who we are to people; this proves it to the program.
 */
export const OWNER_ANNOTATION = "argocd-clusters/owner";

/** STACK_ANNOTATION's value: `<project>/<stack>`. */
export function stackAnnotationValue(project: string, stack: string): string {
    return `${project}/${stack}`;
}

/** Type token of the ClusterRegistration component; the policy pack and the summary recognise registrations by it. */
export const CLUSTER_REGISTRATION_TYPE = `${PROJECT}:index:ClusterRegistration`;

/**
 * The stack's name, on every cluster Secret: Argo CD passes cluster Secret labels to ApplicationSet cluster
 * generators, so `environment: production` selects the production stack's clusters. The policy pack checks it.
 */
export const ENVIRONMENT_LABEL = "environment";

/**
 * On a registration's ClusterRole when its stack entry sets `allowWildcardRbac: true`: the policy pack cannot
 * read stack config, so the opt-in travels with the object it excuses (and kubectl shows it too).
 */
export const ALLOW_WILDCARD_RBAC_ANNOTATION = "argocd-clusters/allow-wildcard-rbac";

/**
 * On every object we write: the `clusterIdentifier` of the provider that wrote it. Server-side apply creates
 * by upserting, so a new registration whose objects have the names of existing ones (a new `server` with the
 * same ServiceAccount: a new registration on the same cluster) would adopt them silently, and the removal of
 * the old registration that follows would delete them under the new one. With this annotation the create
 * sets a value that another field manager owns: the API server answers with a conflict and `up` stops before
 * anything is deleted. The cluster Secret, replaced when the Argo CD cluster's identity changes, is protected
 * differently (delete-before-replace, clusterRegistration.ts): a refused replacement could otherwise be
 * reverted into an adoption whose value matches.
 */
export const CLUSTER_IDENTIFIER_ANNOTATION = "argocd-clusters/cluster-identifier";

/**
 * pulumi-kubernetes applies an object carrying this annotation with `force`: it takes over fields another
 * field manager owns. Set only on the objects of an entry with `adopt: true` (adoption.ts).
 */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/**
 * pulumi-kubernetes applies an object carrying this annotation under the field manager it names, instead of one
 * it makes up when it creates the object. Set on every object we write (components/fieldManager.ts).
 */
export const PATCH_FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager";

/**
 * On the cluster Secret of a registration with `token.rotateEvery`, for whoever reads it with kubectl: when
 * the token it holds was issued, and from when the next `up` replaces it (RFC 3339, UTC).
 */
export const TOKEN_ISSUED_AT_ANNOTATION = "argocd-clusters/token-issued-at";
export const TOKEN_ROTATES_AT_ANNOTATION = "argocd-clusters/token-rotates-at";
/** On every cluster Secret: the kind of token it holds, `secret` or `bound`. */
export const TOKEN_KIND_ANNOTATION = "argocd-clusters/token-kind";
/**
 * On the cluster Secret of a bound token (RFC 3339, UTC): its expiry (the `exp` claim), and from when the next
 * `up` renews it (expiry minus renewBefore).
 */
export const TOKEN_EXPIRES_AT_ANNOTATION = "argocd-clusters/token-expires-at";
export const TOKEN_RENEWS_AT_ANNOTATION = "argocd-clusters/token-renews-at";

/**
 * A bound token's bound object on the target: a Secret of this type, holding nothing. Deleting it revokes the
 * token at once; it names its ServiceAccount in BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION.
 */
export const BOUND_TOKEN_OBJECT_TYPE = "argocd-clusters/bound-token";
export const BOUND_TOKEN_SERVICE_ACCOUNT_ANNOTATION = "argocd-clusters/service-account";

/** Keys owned by this program: users may not set them through `labels` / `annotations`. */
export const RESERVED_LABELS = [SECRET_TYPE_LABEL, MANAGED_BY_LABEL, PART_OF_LABEL];
export const RESERVED_ANNOTATIONS = [
    STACK_ANNOTATION,
    OWNER_ANNOTATION,
    ARGOCD_MANAGED_BY_ANNOTATION,
    ALLOW_WILDCARD_RBAC_ANNOTATION,
    CLUSTER_IDENTIFIER_ANNOTATION,
    PATCH_FORCE_ANNOTATION,
    PATCH_FIELD_MANAGER_ANNOTATION,
    TOKEN_ISSUED_AT_ANNOTATION,
    TOKEN_ROTATES_AT_ANNOTATION,
    TOKEN_KIND_ANNOTATION,
    TOKEN_EXPIRES_AT_ANNOTATION,
    TOKEN_RENEWS_AT_ANNOTATION,
];

/** `argocd-clusters:argocd.name` unless set. */
export const DEFAULT_ARGOCD_NAME = "argocd";

/**
 * Logical name of the Argo CD cluster's provider. Stacks made before `argocd.name` existed called it
 * `argocd` and identified it by its API URL (LEGACY_ARGOCD_PROVIDER_NAME, see index.ts).
 */
export const ARGOCD_PROVIDER_NAME = "argocd-cluster";

/** Logical name of the stack's deployment identity, a RandomId (components/identity.ts); the summary finds it by it. */
export const IDENTITY_RESOURCE_NAME = "deployment-identity";
export const LEGACY_ARGOCD_PROVIDER_NAME = "argocd";

/**
 * Provider identities (pulumi-kubernetes `clusterIdentifier`): a change replaces every resource under the
 * provider, so they come from the stack file's own keys, never from how a kubeconfig spells a URL. The
 * Argo CD cluster is `argocd:<argocd.name>`; a target is the registration's `server`, which is also what
 * names its registration (a new server is a new registration, see docs/operations.md).
 */
export function argocdClusterIdentifier(name: string): string {
    return `argocd:${name}`;
}

export function targetClusterIdentifier(server: string): string {
    return server;
}

/** The token controller fills Secrets of this type that carry the ServiceAccount's name. */
export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

/**
 * Role and binding names derive from the ServiceAccount, so the defaults are exactly the CLI's
 * (`argocd-manager-role`, `argocd-manager-role-binding`) and a second ServiceAccount on the same cluster
 * (another Argo CD) gets its own.
 */
export function roleName(serviceAccount: string): string {
    return `${serviceAccount}-role`;
}

export function roleBindingName(serviceAccount: string): string {
    return `${serviceAccount}-role-binding`;
}

/** A bound token's bound object, with a suffix that changes with every renewal, as token Secrets have. */
export function boundTokenObjectName(serviceAccount: string, suffix: string): string {
    return `${serviceAccount}-bound-${suffix}`;
}

/** Token Secrets carry a random suffix that changes with `tokenRotation`, so a rotation is a new Secret. */
export function tokenSecretName(serviceAccount: string, suffix: string): string {
    return `${serviceAccount}-token-${suffix}`;
}

export interface PolicyRule {
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
    verbs: string[];
}

/** The CLI's cluster-wide rules: everything, including non-resource URLs such as /version. */
export const FULL_CLUSTER_RULES: PolicyRule[] = [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
];

/** The CLI's namespaced rules: a Role cannot grant non-resource URLs. */
export const FULL_NAMESPACE_RULES: PolicyRule[] = [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }];
