/**
 * Kubernetes' own rules for what the stack file names: namespaces and object names (DNS labels and
 * subdomains), label and annotation keys (qualified names) and values, the annotations' total size, and the
 * verbs its authorizers check. Kept apart from the stack's rules (validate.ts) because they are the API
 * server's, restated so a stack is refused before `up` has created half a registration, and change only when
 * Kubernetes does.
 */
import {
    ARGOCD_REFRESH_ANNOTATION,
    argocdClusterIdentifier,
    CLUSTER_IDENTIFIER_ANNOTATION,
    PROJECT,
    roleBindingName,
    STACK_ANNOTATION,
    TOKEN_EXPIRES_AT_ANNOTATION,
    TOKEN_ISSUED_AT_ANNOTATION,
    TOKEN_KIND_ANNOTATION,
    TOKEN_RENEWS_AT_ANNOTATION,
    TOKEN_ROTATES_AT_ANNOTATION,
    tokenSecretName,
} from "../argocd/names";
import { describe, type Obj, type Problems } from "./problems";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Kubernetes' limit on an object name (DNS-1123 subdomain). */
export const MAX_NAME = 253;
/** Kubernetes' TotalAnnotationSizeLimitB: the sum of every annotation's key and value lengths, in bytes. */
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * The verbs Kubernetes' own authorizers check: on resources (including the special verbs of RBAC,
 * impersonation, CSR signers and PodSecurityPolicy) and, lowercased HTTP methods, on non-resource URLs. Any
 * other verb grants nothing built in, so it is more likely a typo or text made to mislead the reviewer
 * ("get<!-- -->list"); an API with verbs of its own lists them in the entry's customVerbs.
 */
export const RESOURCE_VERBS = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "attest",
    "*",
];
export const NON_RESOURCE_VERBS = ["get", "post", "put", "patch", "delete", "head", "options", "*"];
/** A verb as an API's authorizer checks it: what customVerbs may list. */
export const CUSTOM_VERB = /^[a-z][a-z0-9-]*$/;

export function validLabelValue(value: string): boolean {
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

export function namespaceName(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "use a Kubernetes namespace name: lowercase letters, digits and '-', at most 63 characters";
    const value = p.string(path, raw, fix);
    if (value === undefined) return undefined;
    if (value.length > 63 || !DNS_LABEL.test(value))
        return p.add(path, `"${value}" is not a valid namespace name`, fix);
    return value;
}

export function objectName(p: Problems, path: string, raw: unknown): string | undefined {
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
export function serviceAccountName(p: Problems, path: string, raw: unknown): string | undefined {
    const value = objectName(p, path, raw);
    if (value === undefined) return undefined;
    const longest = Math.max(tokenSecretName(value, "0".repeat(8)).length, roleBindingName(value).length);
    if (longest > MAX_NAME) {
        const room = MAX_NAME - (longest - value.length);
        return p.add(
            path,
            `is ${value.length} characters long: its token Secret <serviceAccount>-token-<8 hex digits> would have ` +
                `${longest}, over Kubernetes' ${MAX_NAME}-character limit for names`,
            `use a ServiceAccount name of at most ${room} characters`,
        );
    }
    return value;
}

/** Labels or annotations: valid keys and values, none of the keys in `reserved` (the program writes those). */
export function validateMetadata(
    p: Problems,
    path: string,
    raw: unknown,
    reserved: string[],
    isLabel: boolean,
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
            p.add(
                at,
                `"${key}" is not a valid ${kind} key`,
                "use [prefix/]name: an optional DNS prefix, then at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
            );
        } else if (reserved.includes(key)) {
            p.add(at, `"${key}" is set by this program`, `remove it; the program writes this ${kind} itself`);
        }
        if (typeof value !== "string") {
            p.add(at, `must be a string, got ${describe(value)}`, `quote the value, e.g. ${key}: "${String(value)}"`);
        } else if (isLabel && !validLabelValue(value)) {
            p.add(
                at,
                `"${value}" is not a valid label value`,
                "use at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric",
            );
        }
    }
    return p.list.length > before ? undefined : (raw as Record<string, string>);
}

/**
 * The cluster Secret's annotations as the API server counts them (TotalAnnotationSizeLimitB: every key and
 * value, in bytes), with every one the program may write (the token's kind and times, whichever kind and
 * schedule: a bound kind adds expires-at and renews-at, a schedule issued-at and rotates-at) and room for Argo
 * CD's refresh request, an RFC 3339 time. The most the program writes, so the result never depends on the
 * kind an entry without `token` gets (decided after this check, index.ts).
 */
export function checkAnnotationsSize(
    p: Problems,
    path: string,
    annotations: Record<string, string>,
    stack: string | undefined,
    argocdName: string,
): void {
    const time = "2006-01-02T15:04:05Z";
    const added: Record<string, string> = {
        [STACK_ANNOTATION]: `${PROJECT}/${stack ?? ""}`,
        [CLUSTER_IDENTIFIER_ANNOTATION]: argocdClusterIdentifier(argocdName),
        [ARGOCD_REFRESH_ANNOTATION]: "2006-01-02T15:04:05+07:00",
        [TOKEN_KIND_ANNOTATION]: "secret",
        [TOKEN_ISSUED_AT_ANNOTATION]: time,
        [TOKEN_ROTATES_AT_ANNOTATION]: time,
        [TOKEN_EXPIRES_AT_ANNOTATION]: time,
        [TOKEN_RENEWS_AT_ANNOTATION]: time,
    };
    const size = (entries: Record<string, string>) =>
        Object.entries(entries).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    const ours = size(added);
    const total = size(annotations) + ours;
    if (total > MAX_ANNOTATIONS_BYTES) {
        p.add(
            path,
            `total ${total} bytes of keys and values, with the ${ours} bytes the program and Argo CD add, over ` +
                `Kubernetes' limit of ${MAX_ANNOTATIONS_BYTES} (256 KiB)`,
            "shorten or remove annotations; bulk data belongs in a ConfigMap or in Git",
        );
    }
}
