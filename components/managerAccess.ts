/**
 * The steps on the target cluster, one object kind each, as `argocd cluster add` performs them
 * (util/clusterauth): the argocd-manager ServiceAccount, its rights, and a long-lived token for it.
 * Every step receives the target provider explicitly: these objects must never land on another cluster.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    ALLOW_WILDCARD_RBAC_ANNOTATION,
    type PolicyRule,
    roleBindingName,
    roleName,
    SERVICE_ACCOUNT_NAME_ANNOTATION,
    SERVICE_ACCOUNT_TOKEN_TYPE,
    tokenSecretName,
} from "../argocd/names";
import { childName, roleBindingChildName, roleChildName } from "./childNames";
import type { ChildObject } from "./fieldManager";
import type { ObjectRef } from "./ownership";

/** Where and how each step creates its object. */
export interface StepContext {
    /** Component name; children are named from it (childNames.ts). */
    name: string;
    parent: pulumi.Resource;
    provider: k8s.Provider;
    /** Labels and annotations marking the object as ours. */
    labels: Record<string, string>;
    annotations: Record<string, pulumi.Input<string>>;
    /**
     * Run by the engine right before it creates the object of `kind` (in `namespace`) that a step writes
     * (targetObjects.ts refuseForeignOnCreate): create, never take over. Unset with adopt, whose objects
     * adoption.ts proves.
     */
    beforeCreate?: (kind: ObjectRef["kind"], namespace?: string) => () => Promise<void>;
    /** The annotation naming the field manager of the child named `child`, an object of `kind` (fieldManager.ts). */
    fieldManager: (child: string, kind: ObjectRef["kind"]) => Record<string, pulumi.Input<string>>;
}

/** The annotations of `child`: the step's marks, its field manager and `extra`. */
export function annotationsOf(step: StepContext, child: ChildObject, extra: Record<string, pulumi.Input<string>> = {}) {
    return { ...step.annotations, ...step.fieldManager(child.name, child.kind), ...extra };
}

function metadata(step: StepContext, child: ChildObject, name: pulumi.Input<string>, namespace?: pulumi.Input<string>) {
    return { name, namespace, labels: step.labels, annotations: annotationsOf(step, child) };
}

function options(step: StepContext, dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent: step.parent, provider: step.provider, dependsOn };
}

/** `options`, plus the check before the step's object of `kind` (in `namespace`) is created. */
function guarded(step: StepContext, kind: ObjectRef["kind"], namespace?: string): pulumi.CustomResourceOptions {
    const hook = step.beforeCreate?.(kind, namespace);
    return { ...options(step), ...(hook ? { hooks: { beforeCreate: [hook] } } : {}) };
}

export function createServiceAccount(
    step: StepContext,
    namespace: string,
    serviceAccount: string,
): k8s.core.v1.ServiceAccount {
    const child: ChildObject = { name: childName(step.name, "serviceAccount"), kind: "ServiceAccount" };
    return new k8s.core.v1.ServiceAccount(
        child.name,
        {
            metadata: metadata(step, child, serviceAccount, namespace),
        },
        guarded(step, "ServiceAccount", namespace),
    );
}

/** The subject every binding grants to: the ServiceAccount, by its created name and namespace. */
function subjectOf(account: k8s.core.v1.ServiceAccount) {
    return [{ kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace }];
}

/**
 * ClusterRole `<serviceAccount>-role` and its ClusterRoleBinding, granting `rules` cluster-wide. With
 * `allowWildcardRbac` the role carries the stack's opt-in, which the policy pack requires in production for
 * `*` rules.
 */
export function createClusterRoleAndBinding(
    step: StepContext,
    account: k8s.core.v1.ServiceAccount,
    rules: pulumi.Input<PolicyRule[]>,
    allowWildcardRbac: boolean,
): pulumi.Resource[] {
    const optIn: Record<string, string> = allowWildcardRbac ? { [ALLOW_WILDCARD_RBAC_ANNOTATION]: "true" } : {};
    const roleChild: ChildObject = { name: childName(step.name, "clusterRole"), kind: "ClusterRole" };
    const role = new k8s.rbac.v1.ClusterRole(
        roleChild.name,
        {
            metadata: {
                ...metadata(step, roleChild, account.metadata.name.apply(roleName)),
                annotations: annotationsOf(step, roleChild, optIn),
            },
            rules,
        },
        guarded(step, "ClusterRole"),
    );
    const bindingChild: ChildObject = { name: childName(step.name, "clusterRoleBinding"), kind: "ClusterRoleBinding" };
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
        bindingChild.name,
        {
            metadata: metadata(step, bindingChild, account.metadata.name.apply(roleBindingName)),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
            subjects: subjectOf(account),
        },
        guarded(step, "ClusterRoleBinding"),
    );
    return [role, binding];
}

/** A Role `<serviceAccount>-role` and RoleBinding in each namespace: the CLI's `--namespace` mode. */
export function createRolesAndBindings(
    step: StepContext,
    account: k8s.core.v1.ServiceAccount,
    namespaces: string[],
    rules: pulumi.Input<PolicyRule[]>,
): pulumi.Resource[] {
    return namespaces.flatMap((namespace) => {
        const roleChild: ChildObject = { name: roleChildName(step.name, namespace), kind: "Role" };
        const role = new k8s.rbac.v1.Role(
            roleChild.name,
            {
                metadata: metadata(step, roleChild, account.metadata.name.apply(roleName), namespace),
                rules,
            },
            guarded(step, "Role", namespace),
        );
        const bindingChild: ChildObject = { name: roleBindingChildName(step.name, namespace), kind: "RoleBinding" };
        const binding = new k8s.rbac.v1.RoleBinding(
            bindingChild.name,
            {
                metadata: metadata(step, bindingChild, account.metadata.name.apply(roleBindingName), namespace),
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: subjectOf(account),
            },
            guarded(step, "RoleBinding", namespace),
        );
        return [role, binding];
    });
}

/**
 * A service-account-token Secret (Kubernetes >= 1.24 creates none by itself). Its name carries a random
 * suffix keyed on `tokenRotation`, and with rotateEvery on the issue time: a new value makes a new Secret,
 * hence a new token, which the cluster Secret switches to before the old token Secret, and with it the old
 * token, is deleted (by tokenCleanup.ts, not the engine). The provider waits until the token controller has filled `data`.
 */
export function createTokenSecret(
    step: StepContext,
    account: k8s.core.v1.ServiceAccount,
    tokenRotation: pulumi.Input<string>,
    issuedAt?: string,
): k8s.core.v1.Secret {
    const suffix = new random.RandomId(
        childName(step.name, "tokenSuffix"),
        {
            byteLength: 4,
            // With rotateEvery, the issue time too (tokenSchedule.ts): a new one when the period has passed.
            // Without it the keepers stay exactly what they always were, so existing stacks see no change.
            keepers: issuedAt === undefined ? { tokenRotation } : { tokenRotation, issuedAt },
        },
        { parent: step.parent },
    );
    const name = pulumi.all([account.metadata.name, suffix.hex]).apply(([sa, hex]) => tokenSecretName(sa, hex));
    const child: ChildObject = { name: childName(step.name, "token"), kind: "Secret" };
    return new k8s.core.v1.Secret(
        child.name,
        {
            metadata: {
                ...metadata(step, child, name, account.metadata.namespace),
                // Taken from the created ServiceAccount, so the Secret is only created once the account exists:
                // the token controller ignores a Secret whose account is missing and the wait would time out.
                annotations: annotationsOf(step, child, { [SERVICE_ACCOUNT_NAME_ANNOTATION]: account.metadata.name }),
            },
            type: SERVICE_ACCOUNT_TOKEN_TYPE,
        },
        // Forgotten, never deleted, by the engine: it would delete a replaced token Secret even when the cluster
        // Secret was not switched to the new token (a pending delete, --continue-on-error), revoking the token
        // Argo CD holds. tokenCleanup.ts deletes superseded ones once the switch is done; removing the
        // registration deletes the ServiceAccount, whose token Secrets the token controller then deletes.
        { ...options(step, [account]), retainOnDelete: true },
    );
}
