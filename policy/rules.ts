/**
 * The guardrails of argocd-clusters, enforced on every preview and up by the policy pack (policy/index.ts).
 * Each check is a plain function over resources as plain data, so the tests run them without an engine;
 * `policies` at the end hands them to @pulumi/policy.
 *
 * What a policy cannot see, and how it learns it instead:
 * - the stack's name: not passed to policies (ConfigureStack keeps only tags), but every URN starts with it;
 * - stack config: the program records what the checks need on the resources themselves: the Argo CD
 *   namespace as an output of each ClusterRegistration, the wildcard opt-in as an annotation on the ClusterRole.
 */
import * as policy from "@pulumi/policy";
import {
    ALLOW_WILDCARD_RBAC_ANNOTATION,
    CLUSTER_REGISTRATION_TYPE,
    ENVIRONMENT_LABEL,
    PolicyRule,
    PROJECT,
    SECRET_TYPE_CLUSTER,
    SECRET_TYPE_LABEL,
    SERVICE_ACCOUNT_NAME_ANNOTATION,
    SERVICE_ACCOUNT_TOKEN_TYPE,
} from "../components/names";
import { ClusterConfig, parseClusterConfig } from "./argocdConfig";
import { dangerousRights, isSystemNamespace } from "./rbacGrants";

export const PACK_NAME = "argocd-clusters-guardrails";
export const REGISTRATION_TYPE = CLUSTER_REGISTRATION_TYPE;
export const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount";
export const CLUSTER_ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
export const ROLE_TYPE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const ARGOCD_KEY = `${PROJECT}:argocd`;
const CLUSTERS_KEY = `${PROJECT}:clusters`;

/**
 * Every stack is production, where insecure TLS and unconsented wildcard RBAC are refused, unless the policy
 * config names it in `nonProductionStacks` (policy/config.json, which the scripts and pipelines pass). Failing
 * closed: a new stack file, or `prod` or `production-eu`, gets the mandatory checks without anyone listing it.
 */
export const DEFAULT_NON_PRODUCTION_STACKS: string[] = [];

/** A value the engine does not know yet (during preview). Checks skip it rather than guess. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** A resource as the checks see it. */
export interface Resource {
    urn: string;
    /** e.g. kubernetes:core/v1:Secret */
    type: string;
    /** Plain data; values unknown during preview are UNKNOWN. */
    props: Record<string, unknown>;
    /** URN of the parent resource. */
    parent?: string;
    /** URN of the provider the resource is managed through. */
    provider?: string;
}

export interface Violation {
    urn: string;
    message: string;
}

// --- reading resources -------------------------------------------------------------------------------------

/** `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` */
export function stackOf(urn: string): string {
    return urn.split("::", 1)[0].replace(/^urn:pulumi:/, "");
}

function nameOf(urn: string): string {
    return urn.split("::").slice(3).join("::");
}

export function stackFile(urn: string): string {
    return `Pulumi.${stackOf(urn)}.yaml`;
}

/** Direct children of a ClusterRegistration; its type is next to last in the URN's type chain. */
function inRegistration(r: Resource): boolean {
    const types = (r.urn.split("::")[2] ?? "").split("$");
    return types[types.length - 2] === REGISTRATION_TYPE;
}

/** The registration's name, which is the cluster Secret's name: `cluster-<host>-<fnv32a(server)>`. */
function registrationOf(r: Resource): string {
    return r.parent ? nameOf(r.parent) : "(unknown registration)";
}

/** The value at `path`, UNKNOWN as soon as a step is unknown, undefined when absent. */
export function get(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        if (current === UNKNOWN) return UNKNOWN;
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<string, unknown>)[key];
    }
    return current;
}

/**
 * Policies receive props wrapped in a proxy that throws @pulumi/policy's UnknownValueError when a value unknown
 * during preview is read; uncaught, the pack reports "can't run policy during preview" for every new
 * registration. This copies them into plain data with UNKNOWN in their place.
 */
export function plain(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    const read = (key: string | number): unknown => {
        try {
            return plain((value as Record<string | number, unknown>)[key]);
        } catch (error) {
            if (isUnknownValueError(error)) return UNKNOWN;
            throw error;
        }
    };
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(i));
    return Object.fromEntries(Object.keys(value).map((key) => [key, read(key)]));
}

/** The class is exported at run time but missing from 1.21.0's type declarations. */
function isUnknownValueError(error: unknown): boolean {
    const UnknownValueError = (policy as unknown as { UnknownValueError?: new () => Error }).UnknownValueError;
    return UnknownValueError !== undefined && error instanceof UnknownValueError;
}

function isClusterSecret(r: Resource): boolean {
    return r.type === SECRET_TYPE && inRegistration(r) && get(r.props, "type") !== SERVICE_ACCOUNT_TOKEN_TYPE;
}

function isTokenSecret(r: Resource): boolean {
    return r.type === SECRET_TYPE && inRegistration(r) && get(r.props, "type") === SERVICE_ACCOUNT_TOKEN_TYPE;
}

/**
 * A key of a Secret: from stringData (the program's inputs) or from data, base64 (inputs the provider
 * normalised, or the live object a stack policy sees after up).
 */
export function secretField(props: Record<string, unknown>, key: string): string | undefined | typeof UNKNOWN {
    const text = get(props, "stringData", key);
    if (typeof text === "string") return text;
    const encoded = get(props, "data", key);
    if (typeof encoded === "string") return Buffer.from(encoded, "base64").toString("utf8");
    return text === UNKNOWN || encoded === UNKNOWN ? UNKNOWN : undefined;
}

/** `kind namespace/name` as kubectl would show it, falling back to the Pulumi name while unknown. */
function objectName(kind: string, r: Resource): string {
    const name = get(r.props, "metadata", "name");
    const namespace = get(r.props, "metadata", "namespace");
    const shown = typeof name === "string" ? name : nameOf(r.urn);
    return typeof namespace === "string" ? `${kind} ${namespace}/${shown}` : `${kind} ${shown}`;
}

/** Where the operator finds the registration in the stack file: its entry's name and server when known. */
function entryOf(r: Resource): string {
    const name = isClusterSecret(r) ? secretField(r.props, "name") : undefined;
    const server = isClusterSecret(r) ? secretField(r.props, "server") : undefined;
    if (typeof name === "string" && typeof server === "string") return `the ${CLUSTERS_KEY} entry "${name}" (server ${server})`;
    const host = /^cluster-(.+)-\d+$/.exec(registrationOf(r))?.[1];
    return host ? `the ${CLUSTERS_KEY} entry whose server is on ${host}` : `the ${CLUSTERS_KEY} entry of ${registrationOf(r)}`;
}

/** What is wrong with a config Argo CD decoded, measured against what it needs to connect; empty when nothing. */
function configProblems(config: ClusterConfig): string[] {
    const problems: string[] = [];
    const nonEmpty = (v: string | undefined) => v !== undefined && v !== "";
    const tls = config.tlsClientConfig;
    const authenticated = nonEmpty(config.bearerToken) ||
        (nonEmpty(config.username) && nonEmpty(config.password)) ||
        (nonEmpty(tls?.certData) && nonEmpty(tls?.keyData)) ||
        config.awsAuthConfig === true || config.execProviderConfig === true;
    if (!authenticated) {
        problems.push("has no credentials (bearerToken, username and password, tlsClientConfig certData and keyData, " +
            "awsAuthConfig or execProviderConfig): Argo CD would connect anonymously");
    }
    if (!tls) problems.push("has no tlsClientConfig object");
    return problems;
}

// --- the checks ----------------------------------------------------------------------------------------------

/**
 * Rule 1 (stack): every registration's cluster Secret is where and what Argo CD reads: labelled
 * secret-type=cluster, in the namespace its registration records as Argo CD's, with a config of Argo CD's shape.
 * The namespace compared against is the one the program passed to the registration from `argocd-clusters:argocd`
 * (the pack cannot read config): this catches a Secret written elsewhere, not a wrong value in the stack file.
 */
export function checkClusterSecrets(resources: Resource[]): Violation[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: Violation[] = [];
    for (const secret of resources.filter(isClusterSecret)) {
        const what = `${objectName("cluster Secret", secret)} of registration ${registrationOf(secret)}`;
        const programFix = "this is written by the ClusterRegistration component, not by stack config: fix the program " +
            "(or the transformation that changed the Secret)";
        const add = (problem: string, fix: string) => violations.push({ urn: secret.urn, message: `${what} ${problem}. Fix: ${fix}.` });

        const label = get(secret.props, "metadata", "labels", SECRET_TYPE_LABEL);
        if (label !== UNKNOWN && label !== SECRET_TYPE_CLUSTER) {
            const found = label === undefined ? "lacks the label" : `has label ${SECRET_TYPE_LABEL}: ${JSON.stringify(label)}, not`;
            add(`${found} ${SECRET_TYPE_LABEL}: ${SECRET_TYPE_CLUSTER}, so Argo CD ignores it`, programFix);
        }

        const namespace = get(secret.props, "metadata", "namespace");
        const argocdNamespace = get(byUrn.get(secret.parent ?? "")?.props, "argocdNamespace");
        if (typeof namespace === "string" && typeof argocdNamespace === "string" && namespace !== argocdNamespace) {
            add(`is in namespace "${namespace}", but its registration was configured with Argo CD in "${argocdNamespace}" ` +
                `(${ARGOCD_KEY}.namespace); Argo CD reads cluster Secrets only from its own namespace`,
            `write the Secret to "${argocdNamespace}" (${programFix}); if Argo CD runs elsewhere, set ${ARGOCD_KEY}.namespace ` +
                `in ${stackFile(secret.urn)} to that namespace`);
        }

        const config = secretField(secret.props, "config");
        if (config === UNKNOWN) continue; // holds the token: unknown in a preview until the token exists
        const parsed = config === undefined ? "is missing" : parseClusterConfig(config);
        const problems = typeof parsed === "string" ? [parsed] : configProblems(parsed);
        for (const problem of problems) add(`has a config key that ${problem}`, programFix);
    }
    return violations;
}

/**
 * Rule 2 (resource): the cluster Secret's config turns TLS verification off. Returns the message, or undefined
 * when TLS is verified or the config is unknown (in a preview of a new registration; `up` checks it before the
 * Secret is written).
 */
export function checkTlsVerified(r: Resource): string | undefined {
    if (!isClusterSecret(r)) return undefined;
    const config = secretField(r.props, "config");
    if (typeof config !== "string") return undefined;
    // Read as Argo CD reads it: {"tlsClientConfig":{"Insecure":true}} is insecure too.
    const parsed = parseClusterConfig(config);
    if (typeof parsed === "string" || parsed.tlsClientConfig?.insecure !== true) return undefined;
    return `${objectName("cluster Secret", r)} in stack "${stackOf(r.urn)}" turns TLS verification off ` +
        "(config tlsClientConfig.insecure: true): Argo CD would hand its token to anyone between it and the API server. " +
        `Fix: in ${stackFile(r.urn)}, remove tls.insecure from ${entryOf(r)}; TLS is then verified against the ` +
        "target's own CA, or against tls.caData if the API server's certificate is issued by another CA.";
}

/**
 * Rule 3 (resource): what a registration's ClusterRole, or its Role in a system namespace, grants that is
 * cluster-admin or a path to it (policy/rbacGrants.ts, shared with the summary); empty when nothing.
 */
export function wildcardRules(r: Resource): string[] {
    const rules = get(r.props, "rules");
    if (!Array.isArray(rules)) return [];
    const asRule = (rule: unknown): PolicyRule => {
        const list = (key: string) => {
            const v = get(rule, key);
            return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
        };
        return { verbs: list("verbs") ?? [], apiGroups: list("apiGroups"), resources: list("resources"),
            resourceNames: list("resourceNames"), nonResourceURLs: list("nonResourceURLs") };
    };
    return dangerousRights(rules.map(asRule)).map((d) => d.detail);
}

/**
 * Rule 3 (resource): in a production stack, a registration's ClusterRole grants cluster-admin or a path to it
 * only with the stack entry's `allowWildcardRbac: true`, which the program records as an annotation on the
 * role. A Role counts as cluster-wide in a system namespace (kube-*, openshift-*): full rights there mint
 * tokens of the cluster's own controllers. Such a Role has no opt-in; other Roles are bounded by their
 * namespace, which is what namespaced mode is for.
 */
export function checkWildcardRbac(r: Resource, productionStacks: (stack: string) => boolean): string | undefined {
    if (!inRegistration(r) || !productionStacks(stackOf(r.urn))) return undefined;
    if (r.type === ROLE_TYPE) return checkSystemNamespaceRole(r);
    if (r.type !== CLUSTER_ROLE_TYPE) return undefined;
    const optIn = get(r.props, "metadata", "annotations", ALLOW_WILDCARD_RBAC_ANNOTATION);
    const wildcards = wildcardRules(r);
    if (optIn === "true" || optIn === UNKNOWN || wildcards.length === 0) return undefined;
    return `${objectName("ClusterRole", r)} of registration ${registrationOf(r)} grants everything cluster-wide ` +
        `(${wildcards.join("; ")}) in production stack "${stackOf(r.urn)}" without an explicit opt-in. ` +
        `Fix: in ${stackFile(r.urn)}, on ${entryOf(r)}, grant only what Argo CD needs (rules, or namespaces with ` +
        "clusterResources and clusterRules), or opt in with allowWildcardRbac: true.";
}

function checkSystemNamespaceRole(r: Resource): string | undefined {
    const namespace = get(r.props, "metadata", "namespace");
    if (typeof namespace !== "string" || !isSystemNamespace(namespace)) return undefined;
    const wildcards = wildcardRules(r);
    if (wildcards.length === 0) return undefined;
    return `${objectName("Role", r)} of registration ${registrationOf(r)} grants (${wildcards.join("; ")}) in system ` +
        `namespace "${namespace}" in production stack "${stackOf(r.urn)}": the ServiceAccounts of the cluster's own ` +
        "controllers live there, so these rights lead to cluster-admin, and allowWildcardRbac does not cover them. " +
        `Fix: in ${stackFile(r.urn)}, on ${entryOf(r)}, remove "${namespace}" from namespaces, or give rules that grant ` +
        "only what Argo CD deploys there.";
}

/**
 * Rule 4 (stack): each token Secret names, in kubernetes.io/service-account.name, a ServiceAccount of the same
 * registration in its own namespace through the same provider. Otherwise the token controller never fills it
 * (up waits, then fails) or it mints a token for an account the registration did not grant anything.
 */
export function checkTokenSecrets(resources: Resource[]): Violation[] {
    const accounts = resources.filter((r) => r.type === SERVICE_ACCOUNT_TYPE);
    const violations: Violation[] = [];
    for (const token of resources.filter(isTokenSecret)) {
        const account = get(token.props, "metadata", "annotations", SERVICE_ACCOUNT_NAME_ANNOTATION);
        const namespace = get(token.props, "metadata", "namespace");
        if (account === UNKNOWN || namespace === UNKNOWN) continue;
        const candidates = accounts.filter((a) => a.parent === token.parent && a.provider === token.provider);
        const matches = (a: Resource) => {
            const name = get(a.props, "metadata", "name");
            const ns = get(a.props, "metadata", "namespace");
            return name === UNKNOWN || ns === UNKNOWN || (name === account && ns === namespace);
        };
        if (typeof account === "string" && candidates.some(matches)) continue;
        const named = typeof account === "string"
            ? `names ServiceAccount "${account}" (annotation ${SERVICE_ACCOUNT_NAME_ANNOTATION}), which registration ` +
                `${registrationOf(token)} does not create in namespace "${String(namespace)}" through the same provider`
            : `has no annotation ${SERVICE_ACCOUNT_NAME_ANNOTATION}`;
        violations.push({
            urn: token.urn,
            message: `token ${objectName("Secret", token)} ${named}: the token controller would never fill it, or would ` +
                "issue a token for an account Argo CD was not granted. Fix: the token Secret must take its account's name " +
                "and namespace from the registration's ServiceAccount (createTokenSecret in components/managerAccess.ts); " +
                "no stack config changes this.",
        });
    }
    return violations;
}

/** Rule 5 (resource): the cluster Secret's `environment` label is its stack's name (from the URN). */
export function checkEnvironmentLabel(r: Resource): string | undefined {
    if (!isClusterSecret(r)) return undefined;
    const stack = stackOf(r.urn);
    const label = get(r.props, "metadata", "labels", ENVIRONMENT_LABEL);
    if (label === UNKNOWN || label === stack) return undefined;
    const found = label === undefined ? "has no label environment" : `has label environment: ${JSON.stringify(label)}`;
    return `${objectName("cluster Secret", r)} ${found}, but belongs to stack "${stack}": ApplicationSet cluster ` +
        `generators selecting environment: ${stack} would miss it. Fix: remove labels.environment from ${entryOf(r)} ` +
        `in ${stackFile(r.urn)} if it is set there; the program (since this pack, npm run build) sets it to the stack's name.`;
}

/** Rule 6 (stack): no two cluster Secrets of the stack register the same server URL or the same name. */
export function checkUniqueRegistrations(resources: Resource[]): Violation[] {
    const why: Record<string, string> = {
        server: "Argo CD looks clusters up by server URL and would use either one",
        name: "Applications address clusters by name (destination.name) and would reach either one",
    };
    const violations: Violation[] = [];
    for (const key of ["server", "name"]) {
        const first = new Map<string, Resource>();
        for (const secret of resources.filter(isClusterSecret)) {
            const value = secretField(secret.props, key);
            if (typeof value !== "string") continue;
            const earlier = first.get(value);
            if (!earlier) {
                first.set(value, secret);
                continue;
            }
            violations.push({
                urn: secret.urn,
                message: `${objectName("cluster Secret", secret)} and ${objectName("cluster Secret", earlier)} both ` +
                    `register ${key} ${JSON.stringify(value)}: ${why[key]}. Fix: keep one entry per ${key} in ` +
                    `${CLUSTERS_KEY} of ${stackFile(secret.urn)}.`,
            });
        }
    }
    return violations;
}

// --- wiring into @pulumi/policy ------------------------------------------------------------------------------

/** Policy config of the production-dependent policies. */
export interface ProductionConfig {
    nonProductionStacks?: string[];
}

const productionConfigSchema: policy.PolicyConfigSchema = {
    properties: {
        nonProductionStacks: {
            type: "array",
            items: { type: "string" },
            default: DEFAULT_NON_PRODUCTION_STACKS,
            description: "Stack names that are not production; every other stack is.",
        },
    },
};

/** Whether a stack gets the production rules: yes unless the config names it as not production. */
export function isProductionStack(config: ProductionConfig): (stack: string) => boolean {
    const relaxed = Array.isArray(config.nonProductionStacks) ? config.nonProductionStacks : DEFAULT_NON_PRODUCTION_STACKS;
    return (stack) => !relaxed.includes(stack);
}

export function resourceOf(args: policy.ResourceValidationArgs): Resource {
    return {
        urn: args.urn,
        type: args.type,
        props: plain(args.props) as Record<string, unknown>,
        parent: args.opts.parent || undefined,
        provider: args.provider?.urn,
    };
}

export function stackResourcesOf(args: policy.StackValidationArgs): Resource[] {
    return args.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        props: plain(r.props) as Record<string, unknown>,
        parent: r.parent?.urn ?? (r.opts.parent || undefined),
        provider: r.provider?.urn,
    }));
}

/** A resource policy from a check returning at most one message. */
function perResource(check: (r: Resource, args: policy.ResourceValidationArgs) => string | undefined): policy.ResourceValidation {
    return (args, reportViolation) => {
        const message = check(resourceOf(args), args);
        if (message) reportViolation(message);
    };
}

function perStack(check: (resources: Resource[]) => Violation[]): policy.StackValidation {
    return (args, reportViolation) => {
        for (const v of check(stackResourcesOf(args))) reportViolation(v.message, v.urn);
    };
}

export const policies: policy.Policies = [
    {
        name: "cluster-secret-readable-by-argocd",
        description: "Each registration's cluster Secret is labelled secret-type=cluster, lives in the Argo CD namespace " +
            "the registration was configured with, and its config is Argo CD's cluster config JSON with credentials.",
        enforcementLevel: "mandatory",
        validateStack: perStack(checkClusterSecrets),
    },
    {
        name: "tls-verified-in-production",
        description: "A cluster Secret of a production stack does not turn off TLS verification (tlsClientConfig.insecure).",
        enforcementLevel: "mandatory",
        configSchema: productionConfigSchema,
        validateResource: perResource((r, args) =>
            isProductionStack(args.getConfig<ProductionConfig>())(stackOf(r.urn)) ? checkTlsVerified(r) : undefined),
    },
    {
        name: "tls-verified",
        description: "Outside production, turning off TLS verification in a cluster Secret is reported, not refused.",
        enforcementLevel: "advisory",
        configSchema: productionConfigSchema,
        validateResource: perResource((r, args) =>
            isProductionStack(args.getConfig<ProductionConfig>())(stackOf(r.urn)) ? undefined : checkTlsVerified(r)),
    },
    {
        name: "no-wildcard-rbac-in-production",
        description: "In a production stack a registration's ClusterRole grants cluster-admin or a path to it (\"*\", every " +
            "verb spelt out, escalate, bind, impersonate, serviceaccounts/token) only with the cluster entry's allowWildcardRbac: " +
            "true, and a Role in a system namespace (kube-*, openshift-*) never.",
        enforcementLevel: "mandatory",
        configSchema: productionConfigSchema,
        validateResource: perResource((r, args) => checkWildcardRbac(r, isProductionStack(args.getConfig<ProductionConfig>()))),
    },
    {
        name: "token-secret-of-registration-service-account",
        description: "Each token Secret names a ServiceAccount of its own registration, in its namespace, through the same provider.",
        enforcementLevel: "mandatory",
        validateStack: perStack(checkTokenSecrets),
    },
    {
        name: "environment-label-is-stack",
        description: "Each cluster Secret is labelled environment: <stack name>.",
        enforcementLevel: "mandatory",
        validateResource: perResource(checkEnvironmentLabel),
    },
    {
        name: "unique-cluster-server-and-name",
        description: "No two cluster Secrets of a stack register the same server URL or the same name.",
        enforcementLevel: "mandatory",
        validateStack: perStack(checkUniqueRegistrations),
    },
];
