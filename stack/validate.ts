/**
 * Validation of a stack's configuration, before any resource is registered. Pure: it sees the raw values
 * Pulumi read from the stack file and returns settings or every problem found, each naming its key path and
 * the fix. Kubeconfig checks need the file system and live in kubeconfig.ts.
 */
import { X509Certificate } from "crypto";
import { clusterSecretName, formatIpAddr, parseIpAddr, parseRequestUri } from "../components/clusterSecret";
import { kubeconfigValueProblem, looksLikeContents } from "./kubeconfig";
import {
    ARGOCD_REFRESH_ANNOTATION,
    argocdClusterIdentifier,
    CLUSTER_IDENTIFIER_ANNOTATION,
    DEFAULT_ARGOCD_NAME,
    DEFAULT_ARGOCD_NAMESPACE,
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SYSTEM_NAMESPACE,
    ENVIRONMENT_LABEL,
    PolicyRule,
    PROJECT,
    RESERVED_ANNOTATIONS,
    RESERVED_LABELS,
    roleBindingName,
    STACK_ANNOTATION,
    tokenSecretName,
} from "../components/names";
import { ArgoCDSettings, ClusterSettings, Problem, StackSettings, TlsSettings } from "./settings";

export const ARGOCD_KEY = `${PROJECT}:argocd`;
export const CLUSTERS_KEY = `${PROJECT}:clusters`;
const PROJECT_KEYS = [ARGOCD_KEY, CLUSTERS_KEY];
const ARGOCD_KEYS = ["name", "namespace", "context", "kubeconfig"];
const CLUSTER_KEYS = [
    "name", "server", "context", "kubeconfig", "systemNamespace", "serviceAccount", "namespaces",
    "clusterResources", "rules", "clusterRules", "allowWildcardRbac", "project", "shard", "labels", "annotations", "tls",
    "proxyUrl", "disableCompression", "tokenRotation", "adopt", "retire", "customVerbs", "verify",
];
const TLS_KEYS = ["insecure", "caData", "serverName"];
const RULE_KEYS = ["apiGroups", "resources", "resourceNames", "nonResourceURLs", "verbs"];

/**
 * YAML reads a key whose every item is commented out as null. Read as "unset", `namespaces:`, `rules:` or
 * `clusterRules:` would silently grant the CLI's full rights cluster-wide, and any other optional key would
 * silently take its default; so a present null is an error for every optional key. The fix per key says what
 * removing it means. Required keys are not listed: "is required" says it already.
 */
const VALUE_OR_DEFAULT = "give a value, or remove the key for the default";
const BOOLEAN_OR_DEFAULT = "write true or false, or remove the key for the default (false)";
const KUBECONFIG_OR_DEFAULT = "give a kubeconfig path or its contents, or remove the key to use $KUBECONFIG, then ~/.kube/config";
const ARGOCD_NULL_FIXES: Record<string, string> = {
    name: `give a name, or remove the key for the default ${DEFAULT_ARGOCD_NAME}`,
    namespace: `give Argo CD's namespace, or remove the key for the default ${DEFAULT_ARGOCD_NAMESPACE}`,
    kubeconfig: KUBECONFIG_OR_DEFAULT,
};
const CLUSTER_NULL_FIXES: Record<string, string> = {
    kubeconfig: KUBECONFIG_OR_DEFAULT,
    systemNamespace: `give a namespace, or remove the key for the default ${DEFAULT_SYSTEM_NAMESPACE}`,
    serviceAccount: `give a name, or remove the key for the default ${DEFAULT_SERVICE_ACCOUNT}`,
    namespaces: "list at least one namespace, or remove the key for cluster-wide mode",
    clusterResources: BOOLEAN_OR_DEFAULT,
    rules: "list at least one rule, or remove the key for the default rights (the CLI's full rights)",
    clusterRules: "list at least one cluster-wide rule, or remove clusterRules and clusterResources",
    allowWildcardRbac: BOOLEAN_OR_DEFAULT,
    project: "give an AppProject name, or remove the key",
    shard: "give the application-controller shard number, or remove the key",
    labels: "write at least one key: value, or remove the key",
    annotations: "write at least one key: value, or remove the key",
    tls: "set insecure, caData or serverName, or remove tls to verify TLS with the target's own CA",
    proxyUrl: "give the proxy URL, or remove the key for a direct connection",
    disableCompression: BOOLEAN_OR_DEFAULT,
    tokenRotation: 'give a value, e.g. tokenRotation: "2026-11", or remove the key',
    adopt: BOOLEAN_OR_DEFAULT,
    retire: BOOLEAN_OR_DEFAULT,
    verify: "write auto, required or off, or remove the key for auto",
    customVerbs: "list the verbs of your aggregated APIs or webhooks that rules may use, or remove the key",
};
const TLS_NULL_FIXES: Record<string, string> = {
    insecure: BOOLEAN_OR_DEFAULT, caData: VALUE_OR_DEFAULT, serverName: VALUE_OR_DEFAULT,
};
/** apiGroups and verbs are left out: their absence is reported as required where it matters. */
const RULE_NULL_FIXES: Record<string, string> = {
    resources: "list at least one resource, or remove the key",
    resourceNames: "list at least one name, or remove the key to grant every name",
    nonResourceURLs: "list at least one URL, or remove the key",
};
const NULL_MESSAGE = "is empty (null): the key is present without a value, e.g. with every item commented out";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ARGOCD_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PROXY_PROTOCOLS = ["http:", "https:", "socks5:"];

/**
 * The verbs Kubernetes' own authorizers check: on resources (including the special verbs of RBAC,
 * impersonation, CSR signers and PodSecurityPolicy) and, lowercased HTTP methods, on non-resource URLs. Any
 * other verb grants nothing built in, so it is more likely a typo or text made to mislead the reviewer
 * ("get<!-- -->list"); an API with verbs of its own lists them in the entry's customVerbs.
 */
const RESOURCE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use", "bind",
    "escalate", "impersonate", "approve", "sign", "attest", "*"];
const NON_RESOURCE_VERBS = ["get", "post", "put", "patch", "delete", "head", "options", "*"];
const CUSTOM_VERB = /^[a-z][a-z0-9-]*$/;

/** Control, format (bidi overrides, zero-width) and line-separator characters: text that hides or reorders text. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Quoted with every invisible character written as \u{...}, so the message shows what is there. */
function quoteVisibly(text: string): string {
    return `"${text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"\\]/gu, (c) => (c === '"' || c === "\\" ? `\\${c}` : `\\u{${c.codePointAt(0)!.toString(16)}}`))}"`;
}

/** Reports a value with an invisible character; true when it has none. */
function visibleOnly(p: Problems, path: string, value: string): boolean {
    if (!INVISIBLE.test(value)) return true;
    p.add(path, `${quoteVisibly(value)} has a control or invisible character`,
        "remove it: names and rules are shown to reviewers, where such characters hide or reorder text");
    return false;
}

/** Kubernetes' limit on an object name (DNS-1123 subdomain). */
const MAX_NAME = 253;
/** Kubernetes' TotalAnnotationSizeLimitB: the sum of every annotation's key and value lengths, in bytes. */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/**
 * Argo CD reads a shard with strconv.Atoi and honours it only below the application controller's replica
 * count, an int32: no larger shard can ever be used, and the bound keeps the number exact in JavaScript.
 */
const MAX_SHARD = 2 ** 31 - 1;

/** What Pulumi read for this project: the two structured keys and the names of every project key set. */
export interface RawStackConfig {
    argocd: unknown;
    clusters: unknown;
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

type Obj = Record<string, unknown>;

/** Collects problems; each check adds to it and returns the value it could read, or undefined. */
class Problems {
    readonly list: Problem[] = [];

    add(path: string, message: string, fix: string): undefined {
        this.list.push({ path, message, fix });
        return undefined;
    }

    /**
     * Checks an object's keys: unknown ones, and optional ones present with null (`nullFixes`, key to fix).
     * Null values stay in the result; every reader below treats them as absent, so each is reported once.
     */
    object(path: string, value: unknown, allowed: string[], nullFixes: Record<string, string> = {}): Obj | undefined {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            return this.add(path, `must be an object, got ${describe(value)}`, `write ${path} as a YAML mapping`);
        }
        for (const [key, item] of Object.entries(value)) {
            if (item === null && key in nullFixes) this.add(`${path}.${key}`, NULL_MESSAGE, nullFixes[key]);
            if (!allowed.includes(key)) {
                const close = suggest(key, allowed);
                this.add(
                    `${path}.${key}`,
                    "is not a known key",
                    close ? `did you mean "${close}"?` : `remove it; known keys: ${allowed.join(", ")}`,
                );
            }
        }
        return value as Obj;
    }

    string(path: string, value: unknown, fix: string): string | undefined {
        if (value === undefined || value === null) return undefined;
        if (typeof value !== "string") return this.add(path, `must be a string, got ${describe(value)}`, fix);
        return value;
    }

    required(path: string, value: unknown, fix: string): string | undefined {
        if (value === undefined || value === null || value === "") return this.add(path, "is required", fix);
        return this.string(path, value, fix);
    }

    boolean(path: string, value: unknown): boolean | undefined {
        if (value === undefined || value === null) return undefined;
        if (typeof value !== "boolean") {
            return this.add(path, `must be true or false, got ${describe(value)}`, "write true or false, unquoted");
        }
        return value;
    }

    stringList(path: string, value: unknown, fix: string): string[] | undefined {
        if (value === undefined || value === null) return undefined;
        if (!Array.isArray(value)) return this.add(path, `must be a list, got ${describe(value)}`, fix);
        let ok = true;
        value.forEach((item, i) => {
            if (typeof item !== "string" || item === "") {
                ok = false;
                this.add(`${path}[${i}]`, `must be a non-empty string, got ${describe(item)}`, fix);
            }
        });
        return ok ? (value as string[]) : undefined;
    }
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (Array.isArray(value)) return "a list";
    if (value === null) return "null";
    if (typeof value === "object") return "an object";
    return `${typeof value} ${JSON.stringify(value)}`;
}

/** The allowed word closest to a misspelt key, if it is close enough to be a typo. */
export function suggest(word: string, allowed: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of allowed) {
        const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) [best, bestDistance] = [candidate, d];
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
            current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
        }
        previous = current;
    }
    return previous[b.length];
}

/** Validates the whole stack; settings are returned only when there is no problem at all. */
export function validateStack(raw: RawStackConfig): { settings?: StackSettings; problems: Problem[] } {
    const p = new Problems();
    for (const key of raw.projectKeys) {
        if (!PROJECT_KEYS.includes(key)) {
            const close = suggest(key, PROJECT_KEYS);
            p.add(key, "is not a known key", close ? `did you mean "${close}"?` : `known keys: ${PROJECT_KEYS.join(", ")}`);
        }
    }
    if (raw.stack !== undefined && !validLabelValue(raw.stack)) {
        p.add(`stack "${raw.stack}"`, `cannot be the ${ENVIRONMENT_LABEL} label of the cluster Secrets: it is not a valid label value`,
            "use a stack name of at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric");
    }
    const argocd = validateArgoCD(p, raw.argocd, raw.secretKeys);
    const context: StackContext = { stack: raw.stack, argocdName: argocd?.name ?? DEFAULT_ARGOCD_NAME, secretKeys: raw.secretKeys };
    const clusters = validateClusters(p, raw.clusters, context);
    if (p.list.length > 0 || !argocd || !clusters) return { problems: p.list };
    return { settings: { argocd, clusters }, problems: [] };
}

/** What a cluster entry's checks need to know about the rest of the stack. */
interface StackContext {
    /** The stack's name; unset: not checked. */
    stack?: string;
    argocdName: string;
    secretKeys: string[];
}

function validateArgoCD(p: Problems, raw: unknown, secretKeys: string[]): ArgoCDSettings | undefined {
    if (raw === undefined || raw === null) {
        return p.add(ARGOCD_KEY, "is required", `add ${ARGOCD_KEY} with at least a context, e.g. { namespace: argocd, context: my-argocd-cluster }`);
    }
    const o = p.object(ARGOCD_KEY, raw, ARGOCD_KEYS, ARGOCD_NULL_FIXES);
    if (!o) return undefined;
    const name = argocdName(p, `${ARGOCD_KEY}.name`, o.name) ?? DEFAULT_ARGOCD_NAME;
    const namespace = namespaceName(p, `${ARGOCD_KEY}.namespace`, o.namespace) ?? DEFAULT_ARGOCD_NAMESPACE;
    const context = p.required(`${ARGOCD_KEY}.context`, o.context, "set it to the kubeconfig context of the cluster Argo CD runs on");
    const kubeconfig = validateKubeconfig(p, ARGOCD_KEY, ARGOCD_KEY, o.kubeconfig, secretKeys);
    if (context === undefined) return undefined;
    return { name, namespace, context, kubeconfig };
}

/**
 * The Argo CD cluster's stable identity in the stack (its provider's clusterIdentifier `argocd:<name>`): a
 * short DNS-like name, so it reads well in the state and in the annotation that records it on every Secret.
 */
function argocdName(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "use at most 63 lowercase letters, digits, '-' and '.', starting and ending alphanumeric, e.g. hub-eu; " +
        "it is the Argo CD cluster's identity in this stack: keep it once set";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (value.length > 63 || !ARGOCD_NAME.test(value)) return p.add(path, `"${value}" is not a valid name`, fix);
    return value;
}

function validateClusters(p: Problems, raw: unknown, stack: StackContext): ClusterSettings[] | undefined {
    if (raw === undefined || raw === null) {
        // A missing list would otherwise read as "no clusters" and deregister every cluster of the stack.
        return p.add(CLUSTERS_KEY, "is required", `list the clusters to register; write ${CLUSTERS_KEY}: [] to register none`);
    }
    if (!Array.isArray(raw)) {
        return p.add(CLUSTERS_KEY, `must be a list, got ${describe(raw)}`, "write it as a YAML list of cluster entries (- name: ...)");
    }
    const clusters = raw.map((entry, i) => validateCluster(p, `${CLUSTERS_KEY}[${i}]`, entry, stack));
    findDuplicates(p, raw, "name", "each Argo CD cluster name must be unique (Applications address clusters by it)");
    findSameServers(p, raw);
    return clusters.every((c): c is ClusterSettings => c !== undefined) ? clusters : undefined;
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
        const key = normalizeServer(server);
        const first = seen.get(key);
        if (first === undefined) {
            seen.set(key, i);
            return;
        }
        const firstServer = (entries[first] as Obj).server as string;
        const spelling = firstServer === server
            ? `the same server ${quoteServer(server)}`
            : `the same server, spelt ${quoteServer(server)} and ${quoteServer(firstServer)}`;
        p.add(`${CLUSTERS_KEY}[${i}].server`, `${entryName(entries, i)} and ${entryLabel(entries, first)} register ${spelling}`,
            "register each API server once: remove the duplicate entry (letter case and a :443 port do not make another server)");
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

/**
 * One spelling per API server: scheme and host lowercased, an IPv6 address in Go's form, the scheme's
 * default port dropped, no userinfo; path and query as written. A URL Go cannot parse is its own spelling.
 */
export function normalizeServer(server: string): string {
    const uri = parseRequestUri(server);
    if ("error" in uri || uri.opaque !== undefined) return server;
    let [host, port] = [uri.host, ""];
    const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.includes(":") ? host.indexOf(":") : host.length;
    [host, port] = [host.slice(0, end), host.slice(end)];
    const addr = host.startsWith("[") ? parseIpAddr(host.slice(1, -1)) : undefined;
    if (addr && !("error" in addr)) host = `[${formatIpAddr(addr)}]`;
    const defaultPort = { https: ":443", http: ":80" }[uri.scheme];
    if (port === defaultPort || port === ":") port = "";
    const query = uri.query !== undefined ? `?${uri.query}` : "";
    return `${uri.scheme}://${host.toLowerCase()}${port}${uri.path}${query}`;
}

function validateCluster(p: Problems, path: string, raw: unknown, context: StackContext): ClusterSettings | undefined {
    const { stack } = context;
    const o = p.object(path, raw, CLUSTER_KEYS, CLUSTER_NULL_FIXES);
    if (!o) return undefined;
    const before = p.list.length;

    const name = p.required(`${path}.name`, o.name, "set the name Argo CD shows for this cluster, e.g. production-eu");
    if (name !== undefined && visibleOnly(p, `${path}.name`, name) && name.trim() !== name) {
        p.add(`${path}.name`, `"${name}" has leading or trailing spaces`, "remove them");
    }
    const server = validateServer(p, `${path}.server`, o.server);
    const kubeContext = p.required(`${path}.context`, o.context, "set the kubeconfig context Pulumi uses to create the RBAC on this cluster");
    const kubeconfig = validateKubeconfig(p, path, CLUSTERS_KEY, o.kubeconfig, context.secretKeys);
    const systemNamespace = namespaceName(p, `${path}.systemNamespace`, o.systemNamespace) ?? DEFAULT_SYSTEM_NAMESPACE;
    const serviceAccount = serviceAccountName(p, `${path}.serviceAccount`, o.serviceAccount) ?? DEFAULT_SERVICE_ACCOUNT;

    const namespaces = validateNamespaces(p, `${path}.namespaces`, o.namespaces);
    // Mode follows the key's presence, so an invalid or null list still gets namespaced-mode checks.
    const namespaced = o.namespaces !== undefined;
    const clusterResources = p.boolean(`${path}.clusterResources`, o.clusterResources);
    if (clusterResources !== undefined && !namespaced) {
        p.add(`${path}.clusterResources`, "only applies in namespaced mode (with namespaces)",
            "remove it: without namespaces Argo CD already manages cluster-scoped resources");
    }
    const customVerbs = validateCustomVerbs(p, `${path}.customVerbs`, o.customVerbs);
    const rules = validateRules(p, `${path}.rules`, o.rules, namespaced, customVerbs);
    const clusterRules = validateRules(p, `${path}.clusterRules`, o.clusterRules, false, customVerbs);
    if (clusterResources === true && o.clusterRules === undefined) {
        p.add(`${path}.clusterRules`, "is required with clusterResources: true",
            "list the cluster-scoped resources Argo CD may manage, e.g. [{apiGroups: [\"\"], resources: [namespaces], verbs: [\"*\"]}]");
    }
    if (o.clusterRules !== undefined && clusterResources !== true) {
        p.add(`${path}.clusterRules`, "only applies with namespaces and clusterResources: true",
            "set clusterResources: true, or remove clusterRules (without namespaces use rules)");
    }
    const allowWildcardRbac = p.boolean(`${path}.allowWildcardRbac`, o.allowWildcardRbac);

    const project = objectName(p, `${path}.project`, o.project);
    const shard = validateShard(p, `${path}.shard`, o.shard);
    const labels = validateMetadata(p, `${path}.labels`, o.labels, RESERVED_LABELS, true);
    const environment = labels?.[ENVIRONMENT_LABEL];
    if (stack !== undefined && environment !== undefined && environment !== stack) {
        p.add(`${path}.labels.${ENVIRONMENT_LABEL}`, `"${environment}" is not this stack's name "${stack}"`,
            `remove it: the program labels the cluster Secret ${ENVIRONMENT_LABEL}: ${stack}, the stack's name, which ` +
                "ApplicationSet cluster generators select on and the policy pack checks");
    }
    const annotations = validateMetadata(p, `${path}.annotations`, o.annotations, RESERVED_ANNOTATIONS, false);
    if (annotations) checkAnnotationsSize(p, `${path}.annotations`, annotations, context);
    const tls = validateTls(p, `${path}.tls`, o.tls);
    const proxyUrl = validateProxyUrl(p, `${path}.proxyUrl`, o.proxyUrl);
    const disableCompression = p.boolean(`${path}.disableCompression`, o.disableCompression);
    const tokenRotation = validateTokenRotation(p, `${path}.tokenRotation`, o.tokenRotation);
    const verify = validateVerify(p, `${path}.verify`, o.verify);
    const adopt = p.boolean(`${path}.adopt`, o.adopt);
    const retire = p.boolean(`${path}.retire`, o.retire);
    if (adopt === true && retire === true) {
        p.add(`${path}.adopt`, "is set together with retire: true", "remove one: adopt takes a registration over, retire removes it");
    }

    if (p.list.length > before || name === undefined || server === undefined || kubeContext === undefined) return undefined;
    return {
        name, server, context: kubeContext, kubeconfig, systemNamespace, serviceAccount, namespaces, clusterResources, rules,
        clusterRules, allowWildcardRbac, project, shard, labels: labels ?? {}, annotations: annotations ?? {},
        tls: tls ?? { insecure: false }, proxyUrl, disableCompression, tokenRotation: tokenRotation ?? "", adopt, retire, verify,
    };
}

/**
 * `server` is the registration's key: Argo CD parses it with Go's url.ParseRequestURI to name the cluster
 * Secret, matches Applications to it as an exact string, and client-go connects to it. It is accepted only in
 * the one shape all three read alike: https, a DNS name or IP address, an optional port, an optional path.
 * Each refusal says what is wrong in words; a server is quoted without its userinfo, never with a password.
 */
function validateServer(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "write the API URL Argo CD reaches the cluster at, e.g. https://api.cluster.example:6443";
    const server = p.required(path, raw, fix);
    if (server === undefined) return undefined;
    const shown = quoteServer(server);
    const fail = (message: string, why = fix) => p.add(path, `${shown} ${message}`, why);

    if (server !== server.trim()) {
        return fail("has leading or trailing whitespace", `write ${quoteServer(server.trim())}: Argo CD and client-go take the string as written`);
    }
    if (/[\s\x00-\x1f\x7f-\x9f\u200b\ufeff]/.test(server)) {
        return fail("contains whitespace or a control character", "remove it; in a path, write a space as %20");
    }
    if (server.includes("\\")) {
        return fail("contains a backslash", "use forward slashes: Go's net/url does not read a backslash as a slash, as browsers do");
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(server);
    if (!scheme || scheme[1].toLowerCase() !== "https") return fail("must use https");
    const afterScheme = server.slice(scheme[0].length);
    if (!afterScheme.startsWith("//")) {
        return fail(`has no "//" after "${scheme[0]}": Go's net/url reads it as a URL without a host`,
            `write ${quoteServer(`${scheme[0]}//${afterScheme.replace(/^\/+/, "")}`)}`);
    }
    // Credentials first: a password may hold '/', '?' or '#', which would otherwise read as path, query or fragment.
    if (server.includes("@")) {
        return fail('carries credentials before "@" (not shown)',
            "remove them: Argo CD authenticates with the ServiceAccount token, and the server URL is stored in the clear " +
                "in the cluster Secret and in every Application");
    }
    for (const [mark, part] of [["?", "query"], ["#", "fragment"]]) {
        // Quoted up to the mark only: a query may carry a token.
        if (server.includes(mark)) {
            const length = server.length - server.indexOf(mark);
            return p.add(path, `${quoteServer(server.slice(0, server.indexOf(mark)))} is followed by a ${part} of ${length} characters`,
                "remove it: use scheme, host, port and path only");
        }
    }
    const authority = afterScheme.slice(2).split("/", 1)[0];
    if (authority.includes("@")) {
        return fail('carries credentials before "@" (not shown)',
            "remove them: Argo CD authenticates with the ServiceAccount token, and the server URL is stored in the clear " +
                "in the cluster Secret and in every Application");
    }
    const serverPath = afterScheme.slice(2 + authority.length);
    const hostProblem = checkAuthority(authority);
    if (hostProblem) return fail(...hostProblem);
    if (serverPath.endsWith("/")) {
        return fail("ends with a slash",
            `write ${quoteServer(server.replace(/\/+$/, ""))}: Argo CD matches clusters by the exact string and strips the slash`);
    }
    const badInPath = /[^-A-Za-z0-9._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})/.exec(serverPath);
    if (badInPath) {
        const c = badInPath[0];
        const encoded = [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
        return fail(`has "${c}" in its path`, `percent-encode it: ${encoded}`);
    }
    // Backstop: whatever passed the checks above must also parse as Go parses it.
    const parsed = parseRequestUri(server);
    if ("error" in parsed) return fail(`is not a URL Go's net/url accepts (${parsed.error}), so Argo CD cannot use it`);
    const secretName = clusterSecretName(server);
    if (secretName.length > MAX_NAME || !DNS_SUBDOMAIN.test(secretName)) {
        return fail(`gives the Secret name "${secretName}", which Kubernetes rejects`, "use a DNS host name or IP address of at most 230 characters");
    }
    return server;
}

/** A server's host and port, as [message, fix] when Go, client-go or the Secret name cannot use them. */
function checkAuthority(authority: string): [string, string] | undefined {
    const ipv6 = /^\[([^\]]*)\](.*)$/.exec(authority);
    const [host, port] = ipv6 ? [`[${ipv6[1]}]`, ipv6[2]] : [authority.split(":", 1)[0], authority.slice(authority.split(":", 1)[0].length)];
    if (host === "" || host === "[]") {
        return ["has an empty host", "write the API URL Argo CD reaches the cluster at, e.g. https://api.cluster.example:6443"];
    }
    if (ipv6) {
        if (ipv6[1].includes("%")) {
            const zone = ipv6[1].slice(ipv6[1].indexOf("%"));
            return [`has an IPv6 zone ("${zone}"): the cluster Secret's name would contain "%", which Kubernetes refuses`,
                "use an address without a zone"];
        }
        const addr = parseIpAddr(ipv6[1]);
        if ("error" in addr || addr.bytes.length === 4) {
            return [`has "${host}" as its host, which is not an IPv6 address`,
                "write an IPv6 address in brackets, e.g. https://[2001:db8::1]:6443, an IPv4 address without them"];
        }
    } else if (!validDnsHost(host)) {
        return [`has the host "${host}", which is not a DNS name or IPv4 address`,
            "use a host of letters, digits, '-' and '.' (each label at most 63 characters), an IPv4 address, or an IPv6 address in brackets"];
    }
    // Go accepts an empty, zero-padded or out-of-range port and the dial fails later; one spelling per port
    // also keeps two spellings of one server from being two registrations.
    if (port !== "" && !(/^:[1-9][0-9]{0,4}$/.test(port) && Number(port.slice(1)) <= 65535)) {
        return [`has the port "${port.slice(1)}"; a port is a number from 1 to 65535`,
            "write the port in decimal without leading zeros, or leave it out for 443"];
    }
    return undefined;
}

/** A DNS name (any letter case, as Go and DNS accept) or a dotted IPv4 address. */
function validDnsHost(host: string): boolean {
    const lower = host.toLowerCase();
    if (lower.length > MAX_NAME || !DNS_SUBDOMAIN.test(lower) || lower.split(".").some((label) => label.length > 63)) return false;
    // All-numeric labels are an IPv4 address, or a typo of one that DNS would be asked for.
    return !/^[0-9.]+$/.test(lower) || !("error" in parseIpAddr(lower));
}

/** A server URL quoted for a message: JSON-escaped so whitespace shows, with any userinfo (a password) removed. */
export function quoteServer(server: string): string {
    return JSON.stringify(withoutUserinfo(server));
}

/**
 * A URL without anything that may be a password: everything from the scheme's "//" (or the start) to the last
 * "@". A password may hold '/', '?' or '#', which a URL parser reads as the end of the authority, so the
 * authority is not parsed: anything before the last "@" may be part of the credentials.
 */
export function withoutUserinfo(url: string): string {
    const at = url.lastIndexOf("@");
    if (at < 0) return url;
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0] ?? "";
    return scheme + url.slice(at + 1);
}

/**
 * A kubeconfig path, or its contents. Contents hold credentials: Pulumi must hold the top-level key they are
 * under (`topKey`) as a secret, encrypted in the stack file, or they sit there in plain text.
 */
function validateKubeconfig(p: Problems, entryPath: string, topKey: string, raw: unknown, secretKeys: string[]): string | undefined {
    const path = `${entryPath}.kubeconfig`;
    const value = p.string(path, raw, "give a kubeconfig path, or its contents as a secret (pulumi config set --secret --path)");
    if (value === undefined) return undefined;
    const unusable = kubeconfigValueProblem(entryPath, value);
    if (unusable) return p.add(unusable.path, unusable.message, unusable.fix);
    if (looksLikeContents(value) && !secretKeys.includes(topKey)) {
        return p.add(path, `holds a kubeconfig's contents (${value.length} characters) in plain text: Pulumi does not hold ${topKey} as a secret`,
            `store it encrypted: pulumi config set --secret --path '${path}' < kubeconfig.yaml`);
    }
    return value;
}

function namespaceName(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "use a Kubernetes namespace name: lowercase letters, digits and '-', at most 63 characters";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (value.length > 63 || !DNS_LABEL.test(value)) return p.add(path, `"${value}" is not a valid namespace name`, fix);
    return value;
}

function objectName(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "use a Kubernetes object name: lowercase letters, digits, '-' and '.', at most 253 characters";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) return p.add(path, `"${value}" is not a valid name`, fix);
    return value;
}

/**
 * The ServiceAccount's name is the stem of the names the program derives from it; the longest is the token
 * Secret's, `<serviceAccount>-token-<8 hex digits>`. Refused here rather than by the API server after the
 * ServiceAccount and its rights already exist.
 */
function serviceAccountName(p: Problems, path: string, raw: unknown): string | undefined {
    const value = objectName(p, path, raw);
    if (value === undefined) return undefined;
    const longest = Math.max(tokenSecretName(value, "0".repeat(8)).length, roleBindingName(value).length);
    if (longest > MAX_NAME) {
        const room = MAX_NAME - (longest - value.length);
        return p.add(path, `is ${value.length} characters long: its token Secret <serviceAccount>-token-<8 hex digits> would have ` +
            `${longest}, over Kubernetes' ${MAX_NAME}-character limit for names`,
        `use a ServiceAccount name of at most ${room} characters`);
    }
    return value;
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

/** `customVerbs`: verbs of the cluster's own APIs that this entry's rules may use. */
function validateCustomVerbs(p: Problems, path: string, raw: unknown): string[] {
    const list = p.stringList(path, raw, "list verbs, e.g. [frobnicate]") ?? [];
    list.forEach((verb, i) => {
        if (!CUSTOM_VERB.test(verb)) {
            p.add(`${path}[${i}]`, `${quoteVisibly(verb)} is not a verb`, "write a verb in lowercase letters, digits and '-', as the API's authorizer checks it");
        }
    });
    return list;
}

/** Each string of a rule's lists: no invisible characters; verbs known to Kubernetes or listed in customVerbs. */
function checkRuleStrings(p: Problems, at: string, o: Obj, isUrlRule: boolean, customVerbs: string[]): void {
    for (const key of RULE_KEYS) {
        const list = o[key];
        if (!Array.isArray(list)) continue;
        list.forEach((item, i) => {
            if (typeof item !== "string" || !visibleOnly(p, `${at}.${key}[${i}]`, item) || key !== "verbs") return;
            const known = isUrlRule ? NON_RESOURCE_VERBS : RESOURCE_VERBS;
            if (item !== "" && !known.includes(item) && !customVerbs.includes(item)) {
                p.add(`${at}.${key}[${i}]`, `${quoteVisibly(item)} is not a verb Kubernetes knows`,
                    `use ${known.filter((v) => v !== "*").join(", ")} or "*"; for a verb of your own API, list it in customVerbs of this entry`);
            }
        });
    }
}

function validateRules(p: Problems, path: string, raw: unknown, namespaced: boolean, customVerbs: string[]): PolicyRule[] | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw) || raw.length === 0) {
        return p.add(path, "must be a non-empty list of RBAC PolicyRules",
            "write rules as in a Role, e.g. [{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}]");
    }
    const before = p.list.length;
    const rules = raw.map((entry, i): PolicyRule | undefined => {
        const at = `${path}[${i}]`;
        const o = p.object(at, entry, RULE_KEYS, RULE_NULL_FIXES);
        if (!o) return undefined;
        const listFix = "write a list of strings";
        const apiGroups = stringListAllowingEmpty(p, `${at}.apiGroups`, o.apiGroups);
        const resources = p.stringList(`${at}.resources`, o.resources, listFix);
        const resourceNames = p.stringList(`${at}.resourceNames`, o.resourceNames, listFix);
        if (resourceNames?.length === 0) {
            // An empty resourceNames does not narrow a rule: RBAC grants every name.
            p.add(`${at}.resourceNames`, "is an empty list, which RBAC reads as every name", RULE_NULL_FIXES.resourceNames);
        }
        const nonResourceURLs = p.stringList(`${at}.nonResourceURLs`, o.nonResourceURLs, listFix);
        const verbs = p.stringList(`${at}.verbs`, o.verbs, "list verbs such as get, list, watch, create, update, patch, delete");
        if (!verbs || verbs.length === 0) {
            if (o.verbs === undefined) p.add(`${at}.verbs`, "is required", "list verbs such as get, list, watch");
            else if (verbs) p.add(`${at}.verbs`, "is an empty list", "list at least one verb");
        }
        const hasResources = (resources?.length ?? 0) > 0;
        const hasUrls = (nonResourceURLs?.length ?? 0) > 0;
        checkRuleStrings(p, at, o, hasUrls && !hasResources, customVerbs);
        if (hasResources && verbs?.includes("list") && !verbs.includes("watch") && !verbs.includes("*")) {
            // Argo CD's controller lists, then watches, every kind it may list; a refused watch is retried forever
            // and its cache never sees a change (observed with Argo CD's own code, tests/e2e/argocd.e2e.test.ts).
            p.add(`${at}.verbs`, "grants list without watch: Argo CD watches what it lists, so it would never see these resources change",
                "add watch to the verbs");
        }
        if (hasResources && hasUrls) {
            p.add(at, "mixes resources and nonResourceURLs", "split it into one rule for resources and one for nonResourceURLs");
        } else if (!hasResources && !hasUrls) {
            p.add(at, "grants nothing: it has neither resources nor nonResourceURLs", "add resources (with apiGroups) or nonResourceURLs");
        } else if (hasResources && apiGroups === undefined) {
            p.add(`${at}.apiGroups`, "is required with resources", 'list API groups, "" for the core group, e.g. ["", apps]');
        } else if (hasResources && apiGroups?.length === 0) {
            // The API server refuses it ("resource rules must supply at least one api group").
            p.add(`${at}.apiGroups`, "is an empty list: a rule with resources must name at least one API group",
                'list API groups, "" for the core group, e.g. ["", apps]');
        } else if (hasUrls && (apiGroups || resourceNames)) {
            p.add(at, "has apiGroups or resourceNames beside nonResourceURLs", "remove them: non-resource URLs have no API group or name");
        }
        if (hasUrls && namespaced) {
            p.add(`${at}.nonResourceURLs`, "cannot be granted in namespaced mode: a Role holds only namespaced resources",
                "remove it, or grant it cluster-wide through clusterRules with clusterResources: true");
        }
        const rule: PolicyRule = { verbs: verbs ?? [] };
        if (apiGroups) rule.apiGroups = apiGroups;
        if (resources) rule.resources = resources;
        if (resourceNames) rule.resourceNames = resourceNames;
        if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
        return rule;
    });
    return p.list.length > before ? undefined : (rules as PolicyRule[]);
}

/** apiGroups is the one list where "" is meaningful (the core group). */
function stringListAllowingEmpty(p: Problems, path: string, raw: unknown): string[] | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw) || raw.some((g) => typeof g !== "string")) {
        return p.add(path, "must be a list of strings", 'list API groups, "" for the core group, e.g. ["", apps]');
    }
    return raw as string[];
}

function validateShard(p: Problems, path: string, raw: unknown): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    const shard = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof shard !== "number" || !Number.isInteger(shard) || shard < 0) {
        return p.add(path, `must be a non-negative integer, got ${describe(raw)}`, "give the application-controller shard number, e.g. 0");
    }
    if (shard > MAX_SHARD) {
        return p.add(path, `is ${typeof raw === "string" ? raw : shard}, more than any application-controller can have: Argo CD honours a ` +
            `shard below the controller's replica count, at most ${MAX_SHARD}`,
        "give a shard number from 0 to the application controller's replicas minus 1");
    }
    return shard;
}

function validateMetadata(
    p: Problems, path: string, raw: unknown, reserved: string[], isLabel: boolean,
): Record<string, string> | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "object" || Array.isArray(raw)) {
        return p.add(path, `must be a mapping of key to value, got ${describe(raw)}`, "write key: value pairs");
    }
    const kind = isLabel ? "label" : "annotation";
    const before = p.list.length;
    for (const [key, value] of Object.entries(raw as Obj)) {
        const at = `${path}.${key}`;
        if (!validQualifiedKey(key)) {
            p.add(at, `"${key}" is not a valid ${kind} key`,
                "use [prefix/]name: an optional DNS prefix, then at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric");
        } else if (reserved.includes(key)) {
            p.add(at, `"${key}" is set by this program`, `remove it; the program writes this ${kind} itself`);
        }
        if (typeof value !== "string") {
            p.add(at, `must be a string, got ${describe(value)}`, `quote the value, e.g. ${key}: "${String(value)}"`);
        } else if (isLabel && !validLabelValue(value)) {
            p.add(at, `"${value}" is not a valid label value`,
                "use at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric");
        }
    }
    return p.list.length > before ? undefined : (raw as Record<string, string>);
}

/**
 * The cluster Secret's annotations as the API server counts them (TotalAnnotationSizeLimitB: every key and
 * value, in bytes), with the ones the program writes and room for Argo CD's refresh request, an RFC 3339 time.
 */
function checkAnnotationsSize(p: Problems, path: string, annotations: Record<string, string>, context: StackContext): void {
    const added: Record<string, string> = {
        [STACK_ANNOTATION]: `${PROJECT}/${context.stack ?? ""}`,
        [CLUSTER_IDENTIFIER_ANNOTATION]: argocdClusterIdentifier(context.argocdName),
        [ARGOCD_REFRESH_ANNOTATION]: "2006-01-02T15:04:05+07:00",
    };
    const size = (entries: Record<string, string>) =>
        Object.entries(entries).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    const ours = size(added);
    const total = size(annotations) + ours;
    if (total > MAX_ANNOTATIONS_BYTES) {
        p.add(path, `total ${total} bytes of keys and values, with the ${ours} bytes the program and Argo CD add, over ` +
            `Kubernetes' limit of ${MAX_ANNOTATIONS_BYTES} (256 KiB)`,
        "shorten or remove annotations; bulk data belongs in a ConfigMap or in Git");
    }
}

function validLabelValue(value: string): boolean {
    return value.length <= 63 && (value === "" || QUALIFIED_NAME.test(value));
}

function validQualifiedKey(key: string): boolean {
    const parts = key.split("/");
    if (parts.length > 2) return false;
    const name = parts[parts.length - 1];
    const prefix = parts.length === 2 ? parts[0] : undefined;
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
    return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function validateTls(p: Problems, path: string, raw: unknown): TlsSettings | undefined {
    if (raw === undefined || raw === null) return undefined;
    const o = p.object(path, raw, TLS_KEYS, TLS_NULL_FIXES);
    if (!o) return undefined;
    const insecure = p.boolean(`${path}.insecure`, o.insecure) ?? false;
    const caData = p.string(`${path}.caData`, o.caData, "give the CA bundle as base64-encoded PEM (as certificate-authority-data in a kubeconfig)");
    if (caData !== undefined) checkCaData(p, `${path}.caData`, caData);
    if (insecure && caData !== undefined) {
        p.add(`${path}.insecure`, "is true together with caData: the client refuses a CA with insecure",
            "remove insecure to verify TLS with caData (recommended), or remove caData");
    }
    const serverName = p.string(`${path}.serverName`, o.serverName, "give the host name the API server's certificate was issued for");
    if (serverName !== undefined && !DNS_SUBDOMAIN.test(serverName.toLowerCase())) {
        p.add(`${path}.serverName`, `"${serverName}" is not a host name`, "give the DNS name in the API server's certificate");
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
        p.add(path, `CONTAINS A PRIVATE KEY ("${key[1]}" PEM block): a CA bundle holds certificates only, and this value ` +
            "would be copied into the cluster Secret",
        "remove the key and treat it as exposed (it is in the stack file and its history): replace it wherever it is used; " +
            "give only CA certificates, e.g. base64 -w0 ca.crt");
        return;
    }
    const blocks = base64 ? [...text.matchAll(PEM_BLOCK)] : [];
    if (blocks.length === 0) {
        p.add(path, "is not base64-encoded PEM certificates",
            "encode the PEM file, e.g. base64 -w0 ca.crt, as certificate-authority-data in a kubeconfig");
        return;
    }
    blocks.forEach(([block, type], i) => {
        const which = `PEM block ${i + 1} of ${blocks.length}`;
        if (type !== "CERTIFICATE") {
            p.add(path, `${which} is a "${type}", not a "CERTIFICATE"`, "give only the CA's certificates, e.g. base64 -w0 ca.crt");
            return;
        }
        try {
            new X509Certificate(block);
        } catch {
            p.add(path, `${which} is not an X.509 certificate`, "give the CA's certificates as PEM files hold them, e.g. base64 -w0 ca.crt");
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

const VERIFY_MODES = ["auto", "required", "off"] as const;

function validateVerify(p: Problems, path: string, raw: unknown): (typeof VERIFY_MODES)[number] | undefined {
    const fix = "write auto (check, warn when unreachable from here), required (unreachable is an error) or off";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (!(VERIFY_MODES as readonly string[]).includes(value)) return p.add(path, `is "${value}", not one of auto, required, off`, fix);
    return value as (typeof VERIFY_MODES)[number];
}

function validateTokenRotation(p: Problems, path: string, raw: unknown): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if ((typeof raw !== "string" && typeof raw !== "number") || raw === "") {
        return p.add(path, `must be a non-empty string, got ${describe(raw)}`,
            'set any new value to rotate the token, e.g. tokenRotation: "2026-11"');
    }
    // YAML turns an unquoted 2026.10 into 2026.1 (and a long integer into an approximation): the value the
    // program sees is not the one written, and changing it to another such spelling may rotate nothing.
    // Integers read back exactly as written, so they stay accepted.
    if (typeof raw === "string" && !visibleOnly(p, path, raw)) return undefined;
    if (typeof raw === "number" && !Number.isSafeInteger(raw)) {
        return p.add(path, `is the number ${raw}, not text: YAML reads an unquoted value such as 2026.10 as a number and drops digits`,
            'quote the value as you wrote it, e.g. tokenRotation: "2026.10"');
    }
    return String(raw);
}
