/**
 * The stack's rules: what Pulumi read from the stack file becomes one complete spec per part (settings.ts),
 * or every problem found, each naming its key path and the fix. Every default is filled here and nowhere
 * else, and each part's kubeconfig context is resolved here (through `kubeconfigs`, so tests need no files),
 * so the spec flows from here to the component unchanged. The generic pieces live apart: the problem
 * collector (problems.ts), Kubernetes' own name rules (kubernetesNames.ts), the server URL (server.ts), RBAC
 * rules (rbacRules.ts) and the table of keys (keys.ts).
 */
import { X509Certificate } from "node:crypto";
import {
    DEFAULT_ARGOCD_NAME,
    DEFAULT_ARGOCD_NAMESPACE,
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SYSTEM_NAMESPACE,
    ENVIRONMENT_LABEL,
    FULL_CLUSTER_RULES,
    FULL_NAMESPACE_RULES,
    RESERVED_ANNOTATIONS,
    RESERVED_LABELS,
} from "../argocd/names";
import { apiServerKey, argocdServerKey } from "../argocd/serverKey";
import { parseDuration } from "./duration";
import {
    ARGOCD_KEY,
    ARGOCD_KEYS,
    CLUSTER_KEYS,
    CLUSTERS_KEY,
    PROJECT_KEYS,
    TLS_KEYS,
    TOKEN_KEY,
    TOKEN_KEYS,
} from "./keys";
import { type ClusterAccess, type KubeconfigReader, kubeconfigValueProblem, looksLikeContents } from "./kubeconfig";
import {
    checkAnnotationsSize,
    DNS_SUBDOMAIN,
    namespaceName,
    objectName,
    serviceAccountName,
    validateMetadata,
    validLabelValue,
} from "./kubernetesNames";
import { describe, NULL_MESSAGE, type Obj, type Problem, Problems, suggest, visibleOnly } from "./problems";
import { validateCustomVerbs, validateRules } from "./rbacRules";
import { quoteServer, validateServer } from "./server";
import {
    type ArgoCDSpec,
    type ClusterSpec,
    type Duration,
    type StackSpec,
    type TlsSpec,
    TOKEN_KINDS,
    type TokenSpec,
    VERIFY_MODES,
    type VerifyMode,
} from "./settings";

// Imported from here by the rest of the program since before the split; kept so their import paths hold.
export { ARGOCD_KEY, CLUSTERS_KEY } from "./keys";
export { suggest } from "./problems";
export { quoteServer, withoutUserinfo } from "./server";

const ARGOCD_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const PROXY_PROTOCOLS = ["http:", "https:", "socks5:"];

/** Argo CD's name and address for the cluster it runs in (its common package: InClusterName, KubernetesInternalAPIServerAddr). */
const IN_CLUSTER_NAME = "in-cluster";
const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";
/**
 * Argo CD reads a shard with strconv.Atoi and honours it only below the application controller's replica
 * count, an int32: no larger shard can ever be used, and the bound keeps the number exact in JavaScript.
 */
const MAX_SHARD = 2 ** 31 - 1;

/** What Pulumi read for this project: the two structured keys and the names of every project key set. */
export interface RawStackConfig {
    argocd: unknown;
    clusters: unknown;
    /** `argocd-clusters:token`, every entry's default token; unset in stacks that do not set it. */
    token?: unknown;
    /** Every `argocd-clusters:*` key present in the stack, to catch misspelt top-level keys. */
    projectKeys: string[];
    /**
     * The config keys Pulumi holds as secrets (encrypted in the stack file). `pulumi config set --secret --path
     * 'argocd-clusters:clusters[0].kubeconfig'` marks the whole top-level key, `argocd-clusters:clusters`.
     */
    secretKeys: string[];
    /** The stack's name: the program labels cluster Secrets `environment: <stack>`. Unset: not checked. */
    stack?: string;
}

/** Resolves a kubeconfig context: KubeconfigReader (kubeconfig.ts), or a stand-in in tests. */
export type Kubeconfigs = Pick<KubeconfigReader, "access">;

/**
 * Where a part of the stack acts, from its own valid keys even when others are wrong: its context is
 * resolved, and compared with the other entries', in the same run, so one run reports every problem.
 */
interface Reach {
    keyPath: string;
    context: string;
    kubeconfig?: string;
    /** Set once the context resolved. */
    access?: ClusterAccess;
}

/** A cluster entry's reach, with the account it manages on its target: two entries must not share one. */
interface ClusterReach extends Reach {
    name?: string;
    server?: string;
    systemNamespace: string;
    serviceAccount: string;
}

/** A part of the stack as far as it validated. */
interface Checked<T, R extends Reach = Reach> {
    /** Every key valid, every default filled; unset when any has a problem. */
    value?: Omit<T, "access">;
    /** Set when its context and kubeconfig are valid. */
    reach?: R;
}

/**
 * Validates the whole stack and resolves every kubeconfig context; the spec is returned only when there is no
 * problem at all. Contexts are resolved even when other keys are wrong, and reported after them.
 */
export function validateStack(
    raw: RawStackConfig,
    kubeconfigs: Kubeconfigs,
    absentToken: TokenSpec = SECRET_TOKEN,
): { settings?: StackSpec; problems: Problem[] } {
    const p = new Problems();
    for (const key of raw.projectKeys) {
        if (!PROJECT_KEYS.includes(key)) {
            const close = suggest(key, PROJECT_KEYS);
            p.add(
                key,
                "is not a known key",
                close ? `did you mean "${close}"?` : `known keys: ${PROJECT_KEYS.join(", ")}`,
            );
        }
    }
    if (raw.stack !== undefined && !validLabelValue(raw.stack)) {
        p.add(
            `stack "${raw.stack}"`,
            `cannot be the ${ENVIRONMENT_LABEL} label of the cluster Secrets: it is not a valid label value`,
            "use a stack name of at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
        );
    }
    const argocd = validateArgoCD(p, raw.argocd, raw.secretKeys);
    const context: StackContext = {
        stack: raw.stack,
        argocdName: argocd.name,
        secretKeys: raw.secretKeys,
        token: validateStackToken(p, raw.token, absentToken),
    };
    const clusters = validateClusters(p, raw.clusters, context);

    for (const reach of [argocd.reach, ...(clusters ?? []).map((c) => c.reach)]) {
        if (reach) resolve(p, kubeconfigs, reach);
    }
    if (clusters)
        findSharedAccounts(
            p,
            raw.clusters as unknown[],
            clusters.map((c) => c.reach),
        );

    const problems = p.unique();
    const argocdSpec = specOf<ArgoCDSpec>(argocd);
    const clusterSpecs = (clusters ?? []).map((c) => specOf<ClusterSpec>(c));
    if (
        problems.length > 0 ||
        !argocdSpec ||
        !clusters ||
        !clusterSpecs.every((c): c is ClusterSpec => c !== undefined)
    ) {
        return { problems };
    }
    return { settings: { argocd: argocdSpec, clusters: clusterSpecs }, problems: [] };
}

function resolve(p: Problems, kubeconfigs: Kubeconfigs, reach: Reach): void {
    const access = kubeconfigs.access(reach.keyPath, reach.kubeconfig, reach.context);
    if (Array.isArray(access)) p.list.push(...access);
    else reach.access = access;
}

/** The spec of a part whose every key is valid and whose context resolved. */
function specOf<T extends { access: ClusterAccess }>(checked: Checked<T>): T | undefined {
    if (!checked.value || !checked.reach?.access) return undefined;
    return { ...checked.value, access: checked.reach.access } as T;
}

/** What a cluster entry's checks need to know about the rest of the stack. */
interface StackContext {
    /** The stack's name; unset: not checked. */
    stack?: string;
    argocdName: string;
    secretKeys: string[];
    /** `argocd-clusters:token` as far as it validated: what an entry without `token` gets. */
    token: TokenSpec;
}

/** The argocd block, with the Argo CD cluster's name as far as it is known (cluster entries size annotations with it). */
function validateArgoCD(p: Problems, raw: unknown, secretKeys: string[]): Checked<ArgoCDSpec> & { name: string } {
    if (raw === undefined || raw === null) {
        p.add(
            ARGOCD_KEY,
            "is required",
            `add ${ARGOCD_KEY} with at least a context, e.g. { namespace: argocd, context: my-argocd-cluster }`,
        );
        return { name: DEFAULT_ARGOCD_NAME };
    }
    const o = p.object(ARGOCD_KEY, raw, ARGOCD_KEYS);
    if (!o) return { name: DEFAULT_ARGOCD_NAME };
    const before = p.list.length;
    const name = argocdName(p, `${ARGOCD_KEY}.name`, o.name) ?? DEFAULT_ARGOCD_NAME;
    const namespace = namespaceName(p, `${ARGOCD_KEY}.namespace`, o.namespace) ?? DEFAULT_ARGOCD_NAMESPACE;
    const context = p.required(
        `${ARGOCD_KEY}.context`,
        o.context,
        "set it to the kubeconfig context of the cluster Argo CD runs on",
    );
    const kubeconfig = validateKubeconfig(p, ARGOCD_KEY, ARGOCD_KEY, o.kubeconfig, secretKeys);
    const reach =
        context !== undefined && usable(o.kubeconfig, kubeconfig)
            ? { keyPath: ARGOCD_KEY, context, kubeconfig }
            : undefined;
    if (p.list.length > before || context === undefined) return { reach, name };
    return { value: { name, namespace, context, kubeconfig }, reach, name };
}

/**
 * The Argo CD cluster's stable identity in the stack (its provider's clusterIdentifier `argocd:<name>`): a
 * short DNS-like name, so it reads well in the state and in the annotation that records it on every Secret.
 */
function argocdName(p: Problems, path: string, raw: unknown): string | undefined {
    const fix =
        "use at most 63 lowercase letters, digits, '-' and '.', starting and ending alphanumeric, e.g. hub-eu; " +
        "it is the Argo CD cluster's identity in this stack: keep it once set";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (value.length > 63 || !ARGOCD_NAME.test(value)) return p.add(path, `"${value}" is not a valid name`, fix);
    return value;
}

function validateClusters(
    p: Problems,
    raw: unknown,
    stack: StackContext,
): Checked<ClusterSpec, ClusterReach>[] | undefined {
    if (raw === undefined || raw === null) {
        // A missing list would otherwise read as "no clusters" and deregister every cluster of the stack.
        return p.add(
            CLUSTERS_KEY,
            "is required",
            `list the clusters to register; write ${CLUSTERS_KEY}: [] to register none`,
        );
    }
    if (!Array.isArray(raw)) {
        return p.add(
            CLUSTERS_KEY,
            `must be a list, got ${describe(raw)}`,
            "write it as a YAML list of cluster entries (- name: ...)",
        );
    }
    const clusters = raw.map((entry, i) => validateCluster(p, `${CLUSTERS_KEY}[${i}]`, entry, stack));
    findDuplicates(p, raw, "name", "each Argo CD cluster name must be unique (Applications address clusters by it)");
    findSameServers(p, raw);
    return clusters;
}

/** Checked on the raw entries, so a duplicate is reported even when its entry has other problems. */
function findDuplicates(p: Problems, entries: unknown[], key: "name", why: string): void {
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
        const value = (entry as Obj | null)?.[key];
        if (typeof value !== "string" || value === "") return;
        const first = seen.get(value);
        if (first === undefined) {
            seen.set(value, i);
        } else {
            p.add(`${CLUSTERS_KEY}[${i}].${key}`, `"${value}" is already used by ${CLUSTERS_KEY}[${first}]`, why);
        }
    });
}

/**
 * Two entries whose servers differ only in letter case or a default port are one API server registered
 * twice: one Secret fought over when the strings are equal, else two Secrets and two sets of credentials for
 * one cluster. Checked on the raw entries, as names are.
 */
function findSameServers(p: Problems, entries: unknown[]): void {
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
        const server = (entry as Obj | null)?.server;
        if (typeof server !== "string" || server === "") return;
        const key = apiServerKey(server);
        const first = seen.get(key);
        if (first === undefined) {
            seen.set(key, i);
            return;
        }
        const firstServer = (entries[first] as Obj).server as string;
        const spelling =
            firstServer === server // exact spelling, for the message
                ? `the same server ${quoteServer(server)}`
                : `the same server, spelt ${quoteServer(server)} and ${quoteServer(firstServer)}`;
        p.add(
            `${CLUSTERS_KEY}[${i}].server`,
            `${entryName(entries, i)} and ${entryLabel(entries, first)} register ${spelling}`,
            "register each API server once: remove the duplicate entry (letter case and a :443 port do not make another server)",
        );
    });
}

/** `cluster "prod"`, or the key path when the entry has no usable name. */
export function entryName(entries: unknown[], i: number): string {
    const name = (entries[i] as Obj | null)?.name;
    return typeof name === "string" && name !== "" ? `cluster "${name}"` : `${CLUSTERS_KEY}[${i}]`;
}

/** `argocd-clusters:clusters[0] (cluster "prod")`: an entry named by key path and name. */
export function entryLabel(entries: unknown[], i: number): string {
    const name = entryName(entries, i);
    return name.startsWith("cluster ") ? `${CLUSTERS_KEY}[${i}] (${name})` : name;
}

function validateCluster(
    p: Problems,
    path: string,
    raw: unknown,
    context: StackContext,
): Checked<ClusterSpec, ClusterReach> {
    const { stack } = context;
    const o = p.object(path, raw, CLUSTER_KEYS);
    if (!o) return {};
    const before = p.list.length;

    const name = p.required(`${path}.name`, o.name, "set the name Argo CD shows for this cluster, e.g. production-eu");
    if (name !== undefined && visibleOnly(p, `${path}.name`, name) && name.trim() !== name) {
        p.add(`${path}.name`, `"${name}" has leading or trailing spaces`, "remove them");
    }
    const server = validateServer(p, `${path}.server`, o.server);
    // Argo CD shows its own cluster as "in-cluster" whenever no Secret registers https://kubernetes.default.svc:
    // another server under that name would make every Application addressing "in-cluster" ambiguous.
    if (name === IN_CLUSTER_NAME && server !== undefined && argocdServerKey(server) !== IN_CLUSTER_SERVER) {
        p.add(
            `${path}.name`,
            `"${IN_CLUSTER_NAME}" is the name Argo CD gives its own cluster (${IN_CLUSTER_SERVER})`,
            "choose another name for this cluster",
        );
    }
    const kubeContext = p.required(
        `${path}.context`,
        o.context,
        "set the kubeconfig context Pulumi uses to create the RBAC on this cluster",
    );
    const kubeconfig = validateKubeconfig(p, path, CLUSTERS_KEY, o.kubeconfig, context.secretKeys);
    const systemNamespace = namespaceName(p, `${path}.systemNamespace`, o.systemNamespace) ?? DEFAULT_SYSTEM_NAMESPACE;
    const serviceAccount = serviceAccountName(p, `${path}.serviceAccount`, o.serviceAccount) ?? DEFAULT_SERVICE_ACCOUNT;

    const namespaces = validateNamespaces(p, `${path}.namespaces`, o.namespaces);
    // Mode follows the key's presence, so an invalid or null list still gets namespaced-mode checks.
    const namespaced = o.namespaces !== undefined;
    const clusterResources = p.boolean(`${path}.clusterResources`, o.clusterResources);
    if (clusterResources !== undefined && !namespaced) {
        p.add(
            `${path}.clusterResources`,
            "only applies in namespaced mode (with namespaces)",
            "remove it: without namespaces Argo CD already manages cluster-scoped resources",
        );
    }
    const customVerbs = validateCustomVerbs(p, `${path}.customVerbs`, o.customVerbs);
    const rules = validateRules(p, `${path}.rules`, o.rules, namespaced, customVerbs);
    const clusterRules = validateRules(p, `${path}.clusterRules`, o.clusterRules, false, customVerbs);
    if (clusterResources === true && o.clusterRules === undefined) {
        p.add(
            `${path}.clusterRules`,
            "is required with clusterResources: true",
            'list the cluster-scoped resources Argo CD may manage, e.g. [{apiGroups: [""], resources: [namespaces], verbs: ["*"]}]',
        );
    }
    if (o.clusterRules !== undefined && clusterResources !== true) {
        p.add(
            `${path}.clusterRules`,
            "only applies with namespaces and clusterResources: true",
            "set clusterResources: true, or remove clusterRules (without namespaces use rules)",
        );
    }
    const allowWildcardRbac = p.boolean(`${path}.allowWildcardRbac`, o.allowWildcardRbac);

    const project = objectName(p, `${path}.project`, o.project);
    const shard = validateShard(p, `${path}.shard`, o.shard);
    const labels = validateMetadata(p, `${path}.labels`, o.labels, RESERVED_LABELS, true);
    const environment = labels?.[ENVIRONMENT_LABEL];
    if (stack !== undefined && environment !== undefined && environment !== stack) {
        p.add(
            `${path}.labels.${ENVIRONMENT_LABEL}`,
            `"${environment}" is not this stack's name "${stack}"`,
            `remove it: the program labels the cluster Secret ${ENVIRONMENT_LABEL}: ${stack}, the stack's name, which ` +
                "ApplicationSet cluster generators select on and the policy pack checks",
        );
    }
    const token = validateToken(p, `${path}.token`, o.token) ?? context.token;
    const annotations = validateMetadata(p, `${path}.annotations`, o.annotations, RESERVED_ANNOTATIONS, false);
    if (annotations) {
        checkAnnotationsSize(p, `${path}.annotations`, annotations, context.stack, context.argocdName);
    }
    const tls = validateTls(p, `${path}.tls`, o.tls);
    const proxyUrl = validateProxyUrl(p, `${path}.proxyUrl`, o.proxyUrl);
    const disableCompression = p.boolean(`${path}.disableCompression`, o.disableCompression);
    const tokenRotation = validateTokenRotation(p, `${path}.tokenRotation`, o.tokenRotation);
    const verify = validateVerify(p, `${path}.verify`, o.verify);
    const adopt = p.boolean(`${path}.adopt`, o.adopt);
    const retire = p.boolean(`${path}.retire`, o.retire);
    if (adopt === true && retire === true) {
        p.add(
            `${path}.adopt`,
            "is set together with retire: true",
            "remove one: adopt takes a registration over, retire removes it",
        );
    }
    const revokeCliToken = objectName(p, `${path}.revokeCliToken`, o.revokeCliToken);
    if (o.revokeCliToken !== undefined && adopt !== true) {
        p.add(
            `${path}.revokeCliToken`,
            "only applies with adopt: true",
            "set adopt: true to take the CLI's registration over and revoke its token in the same up, or remove revokeCliToken",
        );
    }
    const nameMovedFrom =
        o.nameMovedFrom === undefined ? undefined : validateServer(p, `${path}.nameMovedFrom`, o.nameMovedFrom);
    if (nameMovedFrom !== undefined && server !== undefined && apiServerKey(nameMovedFrom) === apiServerKey(server)) {
        p.add(
            `${path}.nameMovedFrom`,
            "is this entry's own server",
            "remove it: it names the server the entry's name pointed to before it moved here",
        );
    }

    const reach =
        kubeContext !== undefined && usable(o.kubeconfig, kubeconfig)
            ? { keyPath: path, context: kubeContext, kubeconfig, name, server, systemNamespace, serviceAccount }
            : undefined;
    if (p.list.length > before || name === undefined || server === undefined || kubeContext === undefined)
        return { reach };
    // The defaults, filled here only: the spec is complete from here on.
    return {
        value: {
            name,
            server,
            context: kubeContext,
            kubeconfig,
            systemNamespace,
            serviceAccount,
            namespaces,
            clusterResources,
            rules: rules ?? (namespaced ? FULL_NAMESPACE_RULES : FULL_CLUSTER_RULES),
            clusterRules,
            customVerbs,
            allowWildcardRbac: allowWildcardRbac ?? false,
            project,
            shard,
            labels: labels ?? {},
            annotations: annotations ?? {},
            tls: tls ?? { insecure: false },
            proxyUrl,
            disableCompression,
            token,
            tokenRotation: tokenRotation ?? "",
            adopt: adopt ?? false,
            revokeCliToken,
            retire: retire ?? false,
            nameMovedFrom,
            verify: verify ?? "auto",
        },
        reach,
    };
}

/**
 * Two entries reaching one target cluster (their contexts resolve to one API server, or they name one context
 * of one kubeconfig) with one `systemNamespace/serviceAccount` would both own that ServiceAccount, its rights
 * and its token: each would take over, rotate or delete the other's. Entries with the same `server` are
 * left to findSameServers, which reports them as one server registered twice.
 */
function findSharedAccounts(p: Problems, entries: unknown[], reaches: (ClusterReach | undefined)[]): void {
    const account = (r: ClusterReach) => `${r.systemNamespace}/${r.serviceAccount}`;
    for (let j = 0; j < reaches.length; j++) {
        const second = reaches[j];
        if (!second?.access) continue;
        for (let i = 0; i < j; i++) {
            const first = reaches[i];
            if (!first?.access || account(first) !== account(second)) continue;
            if (
                first.server !== undefined &&
                second.server !== undefined &&
                apiServerKey(first.server) === apiServerKey(second.server)
            )
                continue;
            const sameContext =
                first.access.context === second.access.context && first.kubeconfig === second.kubeconfig;
            if (!sameContext && apiServerKey(first.access.server) !== apiServerKey(second.access.server)) continue;
            // A suggestion that is itself a valid name: the entry's name in DNS-label form, else its index.
            const suffix =
                (second.name ?? "")
                    .toLowerCase()
                    .replace(/[^a-z0-9]+/g, "-")
                    .replace(/^-|-$/g, "") || String(j);
            p.add(
                `${CLUSTERS_KEY}[${j}]`,
                `${entryName(entries, j)} and ${entryLabel(entries, i)} manage the same ServiceAccount ${account(second)} on one ` +
                    `cluster: contexts "${second.access.context}" and "${first.access.context}" both reach ${quoteServer(apiServerKey(second.access.server))}`,
                `give one its own serviceAccount (e.g. serviceAccount: ${second.serviceAccount}-${suffix}), or remove the ` +
                    "duplicate entry: each registration would take over, rotate or delete the other's ServiceAccount, rights and token",
            );
            break;
        }
    }
}

/**
 * A kubeconfig path, or its contents. Contents hold credentials: Pulumi must hold the top-level key they are
 * under (`topKey`) as a secret, encrypted in the stack file, or they sit there in plain text. Such contents are
 * still returned, so that the same run also resolves the context in them.
 */
function validateKubeconfig(
    p: Problems,
    entryPath: string,
    topKey: string,
    raw: unknown,
    secretKeys: string[],
): string | undefined {
    const path = `${entryPath}.kubeconfig`;
    const value = p.string(
        path,
        raw,
        "give a kubeconfig path, or its contents as a secret (pulumi config set --secret --path)",
    );
    if (value === undefined) return undefined;
    const unusable = kubeconfigValueProblem(entryPath, value);
    if (unusable) return p.add(unusable.path, unusable.message, unusable.fix);
    if (looksLikeContents(value) && !secretKeys.includes(topKey)) {
        p.add(
            path,
            `holds a kubeconfig's contents (${value.length} characters) in plain text: Pulumi does not hold ${topKey} as a secret`,
            `store it encrypted: pulumi config set --secret --path '${path}' < kubeconfig.yaml`,
        );
    }
    return value;
}

/** Whether a context can be looked up: the kubeconfig is unset (null: reported, read as unset) or a usable value. */
function usable(raw: unknown, kubeconfig: string | undefined): boolean {
    return raw === undefined || raw === null || kubeconfig !== undefined;
}

function validateNamespaces(p: Problems, path: string, raw: unknown): string[] | undefined {
    const list = p.stringList(path, raw, "list namespace names, e.g. [apps, monitoring]");
    if (list === undefined) return undefined;
    if (list.length === 0) {
        return p.add(path, "is an empty list", "list at least one namespace, or remove the key for cluster-wide mode");
    }
    const valid = list.map((ns, i) => namespaceName(p, `${path}[${i}]`, ns));
    list.forEach((ns, i) => {
        if (list.indexOf(ns) !== i) p.add(`${path}[${i}]`, `"${ns}" is listed twice`, "list each namespace once");
    });
    return valid.every((ns) => ns !== undefined) ? list : undefined;
}

function validateShard(p: Problems, path: string, raw: unknown): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    const shard = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof shard !== "number" || !Number.isInteger(shard) || shard < 0) {
        return p.add(
            path,
            `must be a non-negative integer, got ${describe(raw)}`,
            "give the application-controller shard number, e.g. 0",
        );
    }
    if (shard > MAX_SHARD) {
        return p.add(
            path,
            `is ${typeof raw === "string" ? raw : shard}, more than any application-controller can have: Argo CD honours a ` +
                `shard below the controller's replica count, at most ${MAX_SHARD}`,
            "give a shard number from 0 to the application controller's replicas minus 1",
        );
    }
    return shard;
}

function validateTls(p: Problems, path: string, raw: unknown): TlsSpec | undefined {
    if (raw === undefined || raw === null) return undefined;
    const o = p.object(path, raw, TLS_KEYS);
    if (!o) return undefined;
    const insecure = p.boolean(`${path}.insecure`, o.insecure) ?? false;
    const caData = p.string(
        `${path}.caData`,
        o.caData,
        "give the CA bundle as base64-encoded PEM (as certificate-authority-data in a kubeconfig)",
    );
    if (caData !== undefined) checkCaData(p, `${path}.caData`, caData);
    if (insecure && caData !== undefined) {
        p.add(
            `${path}.insecure`,
            "is true together with caData: the client refuses a CA with insecure",
            "remove insecure to verify TLS with caData (recommended), or remove caData",
        );
    }
    const serverName = p.string(
        `${path}.serverName`,
        o.serverName,
        "give the host name the API server's certificate was issued for",
    );
    if (serverName !== undefined && !DNS_SUBDOMAIN.test(serverName.toLowerCase())) {
        p.add(
            `${path}.serverName`,
            `"${serverName}" is not a host name`,
            "give the DNS name in the API server's certificate",
        );
    }
    return { insecure, caData, serverName };
}

const PEM_BLOCK = /-----BEGIN ([^\r\n-]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/;

/**
 * caData becomes the cluster Secret's `tlsClientConfig.caData`: Argo CD decodes it as standard base64 and
 * client-go reads CERTIFICATE blocks from it, silently skipping any it cannot parse, so a wrong bundle would
 * only show as a TLS failure later. A private key is refused loudly: it would be copied into the Secret.
 * Messages name blocks by type and position only, never their contents.
 */
function checkCaData(p: Problems, path: string, caData: string): void {
    // Go's base64 decoder skips line breaks (as `base64` without -w0 wraps its output), nothing else.
    const compact = caData.replace(/[\r\n]/g, "");
    const base64 = /^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0;
    const text = base64 ? Buffer.from(compact, "base64").toString("latin1") : caData;
    const key = PRIVATE_KEY.exec(text) ?? PRIVATE_KEY.exec(caData);
    if (key) {
        p.add(
            path,
            `CONTAINS A PRIVATE KEY ("${key[1]}" PEM block): a CA bundle holds certificates only, and this value ` +
                "would be copied into the cluster Secret",
            "remove the key and treat it as exposed (it is in the stack file and its history): replace it wherever it is used; " +
                "give only CA certificates, e.g. base64 -w0 ca.crt",
        );
        return;
    }
    const blocks = base64 ? [...text.matchAll(PEM_BLOCK)] : [];
    if (blocks.length === 0) {
        p.add(
            path,
            "is not base64-encoded PEM certificates",
            "encode the PEM file, e.g. base64 -w0 ca.crt, as certificate-authority-data in a kubeconfig",
        );
        return;
    }
    blocks.forEach(([block, type], i) => {
        const which = `PEM block ${i + 1} of ${blocks.length}`;
        if (type !== "CERTIFICATE") {
            p.add(
                path,
                `${which} is a "${type}", not a "CERTIFICATE"`,
                "give only the CA's certificates, e.g. base64 -w0 ca.crt",
            );
            return;
        }
        try {
            new X509Certificate(block);
        } catch {
            p.add(
                path,
                `${which} is not an X.509 certificate`,
                "give the CA's certificates as PEM files hold them, e.g. base64 -w0 ca.crt",
            );
        }
    });
}

function validateProxyUrl(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "give the proxy as http://host:port, https://host:port or socks5://host:port";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    try {
        if (PROXY_PROTOCOLS.includes(new URL(value).protocol)) return value;
    } catch {
        // reported below
    }
    return p.add(path, `${quoteServer(value)} is not an http, https or socks5 URL`, fix);
}

function validateVerify(p: Problems, path: string, raw: unknown): VerifyMode | undefined {
    const fix = "write auto (check, warn when unreachable from here), required (unreachable is an error) or off";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (!(VERIFY_MODES as readonly string[]).includes(value))
        return p.add(path, `is "${value}", not one of auto, required, off`, fix);
    return value as VerifyMode;
}

/** A token Secret rotated only by tokenRotation: what stacks made before token kinds existed have. */
export const SECRET_TOKEN: TokenSpec = { kind: "secret" };

/**
 * Below an hour a rotation would come at nearly every run and the token Secret would be replaced over and
 * over; an hour is far below any period worth scheduling, so it only catches a wrong unit (720m for 720h).
 */
const MIN_ROTATE_EVERY_MS = 3_600_000;
/** Ten years: a longer period means no rotation, and its dates would overflow what Date can hold. */
const MAX_DURATION_MS = 87_600 * 3_600_000;
/** The API server refuses a TokenRequest for less than 10 minutes. */
const MIN_LIFETIME_MS = 600_000;

function validateStackToken(p: Problems, raw: unknown, absent: TokenSpec): TokenSpec {
    if (raw === null) {
        p.add(
            TOKEN_KEY,
            NULL_MESSAGE,
            "write e.g. {kind: bound, lifetime: 720h, renewBefore: 168h}, or remove the key for the stack's default",
        );
        return absent;
    }
    return validateToken(p, TOKEN_KEY, raw) ?? absent;
}

/** A `token` object; undefined when unset (null is reported by the object holding it) or wrong. */
function validateToken(p: Problems, path: string, raw: unknown): TokenSpec | undefined {
    if (raw === undefined || raw === null) return undefined;
    const o = p.object(path, raw, TOKEN_KEYS);
    if (!o) return undefined;
    const before = p.list.length;
    const kindFix =
        "write kind: bound (a TokenRequest token with lifetime and renewBefore) or kind: secret (a token Secret, rotated with rotateEvery)";
    const kind = p.required(`${path}.kind`, o.kind, kindFix);
    if (kind !== undefined && !(TOKEN_KINDS as readonly string[]).includes(kind)) {
        p.add(`${path}.kind`, `is "${kind}", not one of ${TOKEN_KINDS.join(", ")}`, kindFix);
    }
    if (kind === "bound") {
        if (o.rotateEvery !== undefined)
            p.add(
                `${path}.rotateEvery`,
                "is set for a bound token, which renews before it expires instead",
                "remove rotateEvery and set lifetime and renewBefore, or write kind: secret",
            );
        const lifetime = validateDuration(p, `${path}.lifetime`, o.lifetime, LIFETIME);
        const renewBefore = validateDuration(p, `${path}.renewBefore`, o.renewBefore, RENEW_BEFORE);
        if (lifetime && lifetime.ms % 1000 !== 0)
            p.add(
                `${path}.lifetime`,
                `is ${lifetime.text}, not a whole number of seconds`,
                "give whole seconds, e.g. 720h",
            );
        if (lifetime && renewBefore && renewBefore.ms >= lifetime.ms) {
            p.add(
                `${path}.renewBefore`,
                `is ${renewBefore.text}, not shorter than lifetime ${lifetime.text}: every up would renew the token`,
                "make renewBefore a part of lifetime, e.g. lifetime: 720h with renewBefore: 168h",
            );
        }
        if (p.list.length > before || !lifetime || !renewBefore) return undefined;
        return { kind: "bound", lifetime, renewBefore };
    }
    for (const key of ["lifetime", "renewBefore"] as const) {
        if (o[key] !== undefined && kind === "secret")
            p.add(
                `${path}.${key}`,
                "is set for a secret token, which has no expiry",
                "remove it, or write kind: bound to get a time-bound token",
            );
    }
    const rotateEvery =
        o.rotateEvery === undefined
            ? undefined
            : validateDuration(p, `${path}.rotateEvery`, o.rotateEvery, ROTATE_EVERY);
    if (p.list.length > before) return undefined;
    return rotateEvery ? { kind: "secret", rotateEvery } : { kind: "secret" };
}

/** The bounds of one duration key and what to say when a value is out of them. */
interface DurationRule {
    minMs: number;
    minText: string;
    /** When the value is no duration at all. */
    fix: string;
    tooShort: string;
    tooLong: string;
}

const ROTATE_EVERY: DurationRule = {
    minMs: MIN_ROTATE_EVERY_MS,
    minText: "1h",
    fix: "give a duration in hours as Go writes it, e.g. 720h (30 days) or 168h (7 days)",
    tooShort: "rotate at most hourly, e.g. 720h (30 days); a token Secret is replaced at every due run",
    tooLong: "rotate at least every ten years, e.g. 720h (30 days); without rotateEvery a token is never rotated",
};

const LIFETIME: DurationRule = {
    minMs: MIN_LIFETIME_MS,
    minText: "10m",
    fix: "give the token's lifetime as Go writes durations, e.g. 720h (30 days)",
    tooShort: "give at least 10m, the API server's minimum for a TokenRequest; e.g. 720h (30 days)",
    tooLong: "give at most 87600h; a shorter lifetime, e.g. 720h (30 days), is what makes a stolen token expire",
};

const RENEW_BEFORE: DurationRule = {
    minMs: 1000,
    minText: "1s",
    fix: "give how long before expiry an up renews the token, as Go writes durations, e.g. 168h (7 days)",
    tooShort: "give at least the time between two scheduled runs, e.g. 168h (7 days)",
    tooLong: "give less than lifetime, e.g. 168h (7 days)",
};

/** A required Go duration within `rule`'s bounds and ten years. */
function validateDuration(p: Problems, path: string, raw: unknown, rule: DurationRule): Duration | undefined {
    if (raw === undefined) return p.add(path, "is required for kind: bound", rule.fix);
    if (typeof raw === "number") return p.add(path, `is the number ${raw}, without a unit`, rule.fix);
    const text = p.string(path, raw, rule.fix);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined) return p.add(path, `${JSON.stringify(text)} is not a duration`, rule.fix);
    if (ms < rule.minMs) return p.add(path, `is ${text}, under the minimum of ${rule.minText}`, rule.tooShort);
    if (ms > MAX_DURATION_MS) return p.add(path, `is ${text}, over the maximum of 87600h (ten years)`, rule.tooLong);
    return { text, ms };
}

function validateTokenRotation(p: Problems, path: string, raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if ((typeof raw !== "string" && typeof raw !== "number") || raw === "") {
        return p.add(
            path,
            `must be a non-empty string, got ${describe(raw)}`,
            'set any new value to rotate the token, e.g. tokenRotation: "2026-11"',
        );
    }
    // YAML turns an unquoted 2026.10 into 2026.1 (and a long integer into an approximation): the value the
    // program sees is not the one written, and changing it to another such spelling may rotate nothing.
    // Integers read back exactly as written, so they stay accepted.
    if (typeof raw === "string" && !visibleOnly(p, path, raw)) return undefined;
    if (typeof raw === "number" && !Number.isSafeInteger(raw)) {
        return p.add(
            path,
            `is the number ${raw}, not text: YAML reads an unquoted value such as 2026.10 as a number and drops digits`,
            'quote the value as you wrote it, e.g. tokenRotation: "2026.10"',
        );
    }
    return String(raw);
}
