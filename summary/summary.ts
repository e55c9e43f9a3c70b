/**
 * Registration summary: `pulumi preview --json` turned into the few Markdown lines a reviewer needs. Which
 * clusters Argo CD gains, loses or sees changed, what rights each gains or loses, token rotations, TLS and
 * label changes, and warnings. It never prints a credential.
 *
 * Input: the PreviewDigest the CLI prints for `preview --json` (pkg/display/json.go: config, steps[] with
 * op/urn/oldState/newState/diffReasons/replaceReasons/detailedDiff, diagnostics, changeSummary), or the engine
 * event stream it prints instead when PULUMI_ENABLE_STREAMING_JSON_PREVIEW is set (one EngineEvent a line).
 *
 * What the engine hides: every secret is "[secret]" in a digest (even with --show-secrets) and unknown values
 * are a placeholder. The cluster Secret's whole `stringData` is secret, so a real preview shows neither the
 * cluster's name nor its TLS settings there. They are taken from what is plain instead: the stack's config
 * (the desired clusters), the last `up`'s stack outputs (`registrations`), each target provider's
 * `clusterIdentifier`, the RBAC objects' rules and the cluster Secret's labels. When `stringData` is readable
 * (hand-built input, another tool) it is used first.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { goFoldKey } from "../policy/goJson";
import {
    ARGOCD_KUBERNETES_VERSION_LABEL,
    ARGOCD_PROVIDER_NAME,
    LEGACY_ARGOCD_PROVIDER_NAME,
    MANAGED_BY_LABEL,
    PART_OF_LABEL,
    PROJECT,
    SECRET_TYPE_LABEL,
} from "../components/names";
import { at, hidden, isObject, plainString } from "./engineValues";
import { NotAPreviewError, parsePreview, PreviewDigest, PreviewStep, ResourceState } from "./previewDigest";
import { Kind, KUBERNETES_PROVIDER_TYPE, Part, partOf, RBAC_PARTS, registrationOf } from "./registrationParts";
import { collectSteps, parseUrn, Step } from "./resourceSteps";
import { secretView } from "./clusterSecretView";
import { DesiredCluster, desiredClusters, registeredClusters, Sources } from "./stackClusters";
import { keyText, md } from "./markdown";
import { rightsLines } from "./rightsLines";

export { NotAPreviewError, parsePreview, PreviewDigest, PreviewStep, ResourceState };

const ARGOCD_PROVIDER_NAMES = [ARGOCD_PROVIDER_NAME, LEGACY_ARGOCD_PROVIDER_NAME];

/** Labels this program writes itself; the summary reports only the user's. */
const OWN_LABELS = [SECRET_TYPE_LABEL, MANAGED_BY_LABEL, PART_OF_LABEL, ARGOCD_KUBERNETES_VERSION_LABEL];

// ---------------------------------------------------------------------------------------------------------
// One cluster

interface ClusterSummary {
    kind: Kind;
    title: string;
    /** Set when this plan deletes or replaces the cluster Secret: the one change a reviewer must never miss. */
    secretLoss?: "deleted" | "replaced";
    details: string[];
    warnings: string[];
}

function summarizeCluster(key: string, steps: Step[], sources: Sources): ClusterSummary {
    const find = (part: Part) => steps.find((s) => partOf(s) === part);
    const secret = find("clusterSecret");
    const component = find("component");
    const provider = find("provider");
    // Argo CD knows a cluster by its Secret: created is added, deleted is removed, anything else a change.
    const anchor = secret ?? component;
    const kind: Kind = anchor?.change === "create" ? "added" : anchor?.change === "delete" ? "removed" : "changed";

    const before = kind === "added" ? {} : secretView(secret?.old);
    const after = kind === "removed" ? {} : secretView(secret?.new);
    const desired = kind === "removed" ? undefined : sources.desired.get(key);
    const registered = kind === "added" ? undefined : sources.registered.get(key);

    const oldName = before.name ?? registered?.name;
    const newName = after.name ?? desired?.name;
    const name = kind === "removed" ? oldName : newName ?? oldName;
    const server = after.server ?? before.server ?? desired?.server ?? registered?.server
        ?? plainString(at(component?.old, "outputs", "server"))
        ?? plainString(at(provider?.new ?? provider?.old, "inputs", "clusterIdentifier"));
    const title = name && server ? `${md(name)} (${md(server)})` : md(name ?? server ?? key);
    const label = md(name ?? server ?? key);

    const details: string[] = [];
    const warnings: string[] = [];
    const explained = new Set<string>();

    // Rights
    const rights = rightsLines(kind, steps, label);
    details.push(...rights.details);
    warnings.push(...rights.warnings);
    // The Secret's namespaces and clusterResources follow the roles; the rights lines say what they mean.
    if (rights.touched) explained.add("namespaces").add("clusterResources");

    // Argo CD's own scoping, when the Secret is readable.
    if (kind === "changed" && before.namespaces !== undefined && after.namespaces !== undefined
        && before.namespaces.join(",") !== after.namespaces.join(",")) {
        details.push(`Argo CD namespaces: [${before.namespaces.map(md).join(", ")}] → [${after.namespaces.map(md).join(", ")}]`);
    }
    if (kind === "changed" && before.clusterResources !== undefined && after.clusterResources !== undefined
        && before.clusterResources !== after.clusterResources) {
        details.push(`Argo CD clusterResources: ${before.clusterResources} → ${after.clusterResources}`);
    }

    // Token
    const suffix = find("tokenSuffix");
    const rotated = kind === "changed" && (suffix?.change === "replace" || find("token")?.change === "replace");
    if (rotated) {
        const from = plainString(at(suffix?.old, "inputs", "keepers", "tokenRotation"));
        const to = plainString(at(suffix?.new, "inputs", "keepers", "tokenRotation"));
        details.push(`token rotated${from !== undefined && to !== undefined && from !== to ? ` (tokenRotation ${md(from)} → ${md(to)})` : ""}`);
        // The new token is in the config, and the whole stringData when the token is not known yet.
        explained.add("config").add("contents");
    }

    // Rename
    if (kind === "changed" && oldName && newName && oldName !== newName) {
        details.push(`renamed: ${md(oldName)} → ${md(newName)}`);
        explained.add("name");
    }

    // TLS: compared when the Secret is readable; otherwise what the config now asks for.
    const tlsBefore = before.tls;
    const tlsAfter = after.tls;
    let insecureNow: boolean | undefined = tlsAfter?.insecure ?? desired?.insecure;
    if (kind === "changed" && tlsBefore && tlsAfter) {
        const changes: string[] = [];
        if (tlsBefore.insecure !== tlsAfter.insecure) changes.push(`insecure ${tlsBefore.insecure} → ${tlsAfter.insecure}`);
        if (tlsBefore.serverName !== tlsAfter.serverName) {
            const show = (v: string | undefined) => (v === undefined ? "unset" : md(v));
            changes.push(`serverName ${show(tlsBefore.serverName)} → ${show(tlsAfter.serverName)}`);
        }
        if (tlsBefore.caData !== tlsAfter.caData) {
            changes.push(tlsBefore.caData === undefined ? "CA added" : tlsAfter.caData === undefined ? "CA removed" : "CA changed");
        }
        if (changes.length) {
            details.push(`TLS: ${changes.join(", ")}`);
            explained.add("config");
        }
    } else if (kind === "added") {
        const tls = tlsAfter ?? (desired ? { insecure: desired.insecure, serverName: desired.serverName } : undefined);
        const notes = [
            tls?.insecure ? "insecure (not verified)" : undefined,
            tls?.serverName ? `serverName ${md(tls.serverName)}` : undefined,
            !tlsAfter && desired?.ownCa ? "CA from config" : undefined,
        ].filter((n) => n !== undefined);
        if (notes.length) details.push(`TLS: ${notes.join(", ")}`);
    }
    if (kind === "removed") insecureNow = undefined;
    if (insecureNow) warnings.push(`${label} has TLS verification disabled (insecure)`);

    // Labels
    const labelsBefore = before.labels;
    const labelsAfter = after.labels ?? (kind === "added" ? desired?.labels : undefined);
    if (kind === "added" && labelsAfter) {
        const own = Object.entries(labelsAfter).filter(([k]) => !OWN_LABELS.includes(k));
        if (own.length) details.push(`labels: ${own.map(([k, v]) => md(`${k}=${v}`)).join(", ")}`);
    } else if (kind === "changed" && labelsBefore && labelsAfter) {
        const text = labelChanges(labelsBefore, labelsAfter);
        if (text) details.push(`labels: ${text}`);
    }
    if (labelsBefore && labelsAfter) explained.add("labels");

    // Whatever else changed in the cluster Secret, by key name only.
    if (kind === "changed" && secret) {
        const other = [...new Set(secret.keys.map(secretKeyName))].filter((k) => !explained.has(k)).sort().map(keyText);
        if (other.includes("config")) {
            // Argo CD's connection config is secret as a whole: say what it is and what the stack now asks for.
            other.splice(other.indexOf("config"), 1);
            details.push(`connection config changed (TLS, proxy or compression; the values are secret)${desired ? `; stack config now: ${tlsWords(desired)}` : ""}`);
        }
        if (secret.change === "replace") details.push(`cluster Secret replaced${other.length ? ` (${other.join(", ")})` : ""}`);
        else if (other.length) details.push(`cluster Secret changes: ${other.join(", ")}`);
    }

    // The rest: target objects and the provider, by kind and key names.
    if (kind === "changed") {
        const rest = steps.filter((s) => {
            const part = partOf(s);
            if (part === "clusterSecret" || part === "component") return false;
            if (rotated && (part === "token" || part === "tokenSuffix")) return false;
            if (RBAC_PARTS.includes(part) && s.change !== "update" && s.change !== "replace") return false;
            if ((part === "clusterRole" || part === "role") && s.keys.every((k) => k === "rules" || k.startsWith("rules["))) return false;
            return true;
        });
        for (const s of rest) {
            const keys = [...new Set(s.keys.map((k) => keyText(k.split(/[.[]/, 1)[0])))].sort();
            const what = partOf(s) === "provider" ? "Pulumi's provider for the target" : `${keyText(s.type.split(":").pop() ?? "")} ${md(s.name)}`;
            details.push(`${what}: ${s.change}${keys.length ? ` (${keys.join(", ")})` : ""}`);
        }
    }

    // Opt-ins a reviewer must see: a takeover of the CLI's objects, a removal past the Applications check.
    if (kind !== "removed" && desired?.adopt) {
        details.push("adopts what `argocd cluster add` left (adopt: true): its cluster Secret in place, then revokes the CLI's token");
    }
    if (kind === "removed" && sources.desired.get(key)?.retire) {
        details.push("retired (retire: true): removed even if Argo CD Applications still deploy to it");
    }
    if (kind === "removed" && secret?.change === "delete") {
        warnings.push(`${label} loses its last registration: Argo CD forgets the cluster, and Applications deploying to it fail`);
    }
    const secretLoss = secret?.change === "delete" ? "deleted" : secret?.change === "replace" ? "replaced" : undefined;
    return { kind, title, details, warnings, secretLoss };
}

function tlsWords(desired: DesiredCluster): string {
    if (desired.insecure) return "TLS insecure";
    const how = desired.ownCa ? "TLS verified with the configured CA" : "TLS verified";
    return desired.serverName ? `${how}, serverName ${md(desired.serverName)}` : how;
}

/** `data.config` → config; `metadata.labels.tier` → labels. Key names, never values. */
function secretKeyName(path: string): string {
    const [top, second] = path.split(/[.[]/, 2);
    if (top === "stringData" || top === "data") return second ? second.replace(/["\]]/g, "") : "contents";
    return top === "metadata" && second ? second : top;
}

function labelChanges(before: Record<string, string>, after: Record<string, string>): string {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(after)) {
        if (!(k in before)) parts.push(`+${md(`${k}=${v}`)}`);
        else if (before[k] !== v) parts.push(`${md(k)}: ${md(before[k])} → ${md(v)}`);
    }
    for (const k of Object.keys(before)) if (!(k in after)) parts.push(`-${md(k)}`);
    return parts.join(", ");
}

// ---------------------------------------------------------------------------------------------------------
// The report

export interface SummaryOptions {
    /** Stack name for the heading; default: the stack named in the steps' URNs. */
    stack?: string;
}

/** The Markdown summary of one stack's preview. */
export function summarizePreview(digest: PreviewDigest, options: SummaryOptions = {}): string {
    const { steps, root } = collectSteps(digest);
    const firstUrn = (digest.steps ?? []).map((s) => parseUrn(s.urn)).find((u) => u !== undefined);
    const stack = options.stack ?? firstUrn?.stack ?? "stack";
    const sources: Sources = {
        desired: desiredClusters(digest, firstUrn?.project ?? PROJECT),
        registered: registeredClusters(root ?? undefined),
    };

    const byCluster = new Map<string, Step[]>();
    const others: Step[] = [];
    for (const step of steps) {
        const key = registrationOf(step);
        if (key !== undefined) byCluster.set(key, [...(byCluster.get(key) ?? []), step]);
        // A provider comes and goes with its resources (a first run creates the default random provider):
        // only a change to an existing one tells the reviewer something.
        else if (!(step.type.startsWith("pulumi:providers:") && (step.change === "create" || step.change === "delete"))) others.push(step);
    }
    const clusters = [...byCluster.entries()].sort(([a], [b]) => a.localeCompare(b))
        .map(([key, clusterSteps]) => summarizeCluster(key, clusterSteps, sources));

    const warnings = clusters.flatMap((c) => c.warnings);
    const errors = (digest.diagnostics ?? []).filter((d) => d?.severity === "error").length;
    // Diagnostics are counted, not quoted: their text is free-form and may carry anything.
    if (errors) warnings.unshift(`the preview reported ${errors} error(s): this summary shows only what was planned; see the full preview`);
    if (digest.maybeCorrupt) warnings.unshift("the engine reports the state may be corrupt");

    const heading = `**${stack.replace(/[*`\r\n]/g, "")}**`;
    if (clusters.length === 0 && others.length === 0 && warnings.length === 0) return redact(`${heading}: no changes.\n`, sensitiveValues(digest));

    const counts = (["added", "removed", "changed"] as Kind[])
        .map((kind) => [kind, clusters.filter((c) => c.kind === kind).length] as const)
        .filter(([, n]) => n > 0)
        .map(([kind, n], i) => (i === 0 ? `${n} ${n === 1 ? "cluster" : "clusters"} ${kind}` : `${n} ${kind}`));
    const lines = [`${heading}: ${counts.length ? counts.join(", ") : "no cluster changes"}`];
    const lost = clusters.filter((c) => c.secretLoss);
    if (lost.length) {
        // First, before anything else: a deleted or replaced cluster Secret is Argo CD losing a cluster.
        const n = lost.length === 1 ? "1 cluster Secret" : `${lost.length} cluster Secrets`;
        lines.push("", `🛑 **${n} deleted or replaced: Argo CD loses ${lost.length === 1 ? "this cluster" : "these clusters"} ` +
            "unless this is intended.** " + lost.map((c) => `${c.title} ${c.secretLoss}`).join("; ") + ".");
        if (lost.some((c) => c.secretLoss === "replaced")) {
            lines.push("A replacement deletes the cluster Secret, then writes it again: Argo CD loses the cluster meanwhile, and an " +
                "ApplicationSet's cluster generator may delete the Applications it made for it. Look for a changed `argocd.name` or `argocd.namespace`.");
        }
    }
    if (warnings.length) lines.push("", "Warnings:", ...warnings.map((w) => `- ⚠️ ${w}`));
    for (const [kind, title] of [["added", "Added"], ["removed", "Removed"], ["changed", "Changed"]] as const) {
        const group = clusters.filter((c) => c.kind === kind);
        if (!group.length) continue;
        lines.push("", `${title}:`);
        for (const c of group) {
            if (kind === "changed") lines.push(`- ${c.title}`, ...c.details.map((d) => `  - ${d}`));
            else lines.push(`- ${c.title}${c.details.length ? `: ${c.details.join("; ")}` : ""}`);
        }
    }
    if (others.length) {
        lines.push("", "Other:");
        for (const s of others) {
            const keys = [...new Set(s.keys.map((k) => keyText(k.split(/[.[]/, 1)[0])))].sort();
            const what = s.type === KUBERNETES_PROVIDER_TYPE && ARGOCD_PROVIDER_NAMES.includes(s.name) ? "Pulumi's provider for the Argo CD cluster"
                : `${keyText(s.type.split(":").pop() ?? "")} ${md(s.name)}`;
            lines.push(`- ${what}: ${s.change}${keys.length ? ` (${keys.join(", ")})` : ""}`);
        }
    }
    return redact(lines.join("\n") + "\n", sensitiveValues(digest));
}

// ---------------------------------------------------------------------------------------------------------
// Last line of defence: nothing above prints a credential field, but should a credential ever be stored
// under a field the summary does print (a label, a name), it is cut out here.

const DIFF_KEYS = new Set(["detaileddiff", "diffreasons", "replacereasons", "diffs", "keys"]);

/**
 * Keys whose values are credentials, compared as Go's encoding/json compares them (Argo CD reads
 * "BearerToken" as bearerToken): Argo CD's config, kubeconfigs (client certificates, tokens, OIDC and other
 * auth-provider and exec credentials), ServiceAccount token Secrets.
 */
const SENSITIVE_KEYS = new Set([
    "bearertoken", "token", "kubeconfig", "cadata", "certdata", "keydata", "password", "ca.crt",
    "certificate-authority-data", "client-certificate-data", "client-key-data", "client-key", "client-certificate",
    "id-token", "refresh-token", "access-token", "client-secret", "auth-provider", "exec", "execproviderconfig",
    "awsauthconfig", "secret", "apikey", "api-key",
].map(goFoldKey));

/**
 * Every string held under a credential key anywhere in the input, with its base64 decoding, and the
 * credentials inside a kubeconfig or an Argo CD config (its server and names are not secret, so not the whole
 * text). Values are decoded (base64) and parsed (JSON, YAML) before they are scanned: a token inside a base64
 * `data.config` is found on its own.
 */
export function sensitiveValues(input: unknown): string[] {
    const found = new Set<string>();
    const add = (value: string) => {
        // Credentials are long; short strings ("true", a namespace) would only garble the report.
        if (hidden(value) || value.length < 8 || found.has(value)) return;
        found.add(value);
        walk(parseStructured(value), undefined);
        if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length >= 8) {
            const decoded = Buffer.from(value, "base64").toString("utf8");
            if (/^[\x20-\x7e\s]+$/.test(decoded)) add(decoded);
        }
    };
    const collectAll = (v: unknown): void => {
        if (typeof v === "string") add(v);
        else if (Array.isArray(v)) v.forEach(collectAll);
        else if (isObject(v)) Object.values(v).forEach(collectAll);
    };
    const walk = (v: unknown, parentKey: string | undefined): void => {
        if (Array.isArray(v)) v.forEach((e) => walk(e, parentKey));
        else if (isObject(v)) {
            for (const [key, value] of Object.entries(v)) {
                const k = goFoldKey(key);
                // Diff metadata names changed paths (`kubeconfig: {kind: update}`), never values.
                if (DIFF_KEYS.has(key.toLowerCase())) continue;
                // `config` in a Secret's data is Argo CD's connection config: token and keys together.
                if (SENSITIVE_KEYS.has(k) || (k === "CONFIG" && (parentKey === "DATA" || parentKey === "STRINGDATA"))) collectAll(value);
                else walk(value, k);
            }
        } else if (typeof v === "string") walk(parseStructured(v), parentKey);
    };
    walk(input, undefined);
    return [...found].sort((a, b) => b.length - a.length);
}

/** A string holding a JSON document or a YAML mapping (a kubeconfig), parsed; otherwise undefined. */
function parseStructured(v: string): unknown {
    const json = parseJsonString(v);
    if (json !== undefined || !/\n/.test(v) || !/:/.test(v)) return json;
    try {
        // The core schema: no custom tags, so a hostile document cannot make the loader do anything.
        return yaml.load(v, { schema: yaml.CORE_SCHEMA });
    } catch {
        return undefined;
    }
}

/** Config values and Argo CD's `config` are JSON inside a string. */
function parseJsonString(v: string): unknown {
    const t = v.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
    try {
        return JSON.parse(t);
    } catch {
        return undefined;
    }
}

function redact(text: string, secrets: string[]): string {
    let out = text;
    for (const s of secrets) out = out.split(s).join("[redacted]");
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// CLI: node dist/summary/summary.js [--stack NAME] [FILE.json ...]   (no file, or "-": standard input)

const USAGE = "usage: node dist/summary/summary.js [--stack NAME] [FILE.json ...]  (no file or -: read standard input)";

export function main(argv: string[], readStdin: () => string = () => fs.readFileSync(0, "utf8")): { code: number; out: string; err: string } {
    let stack: string | undefined;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--stack") {
            stack = argv[++i];
            if (!stack) return { code: 2, out: "", err: `--stack needs a name\n${USAGE}\n` };
        } else if (arg.startsWith("--stack=")) stack = arg.slice("--stack=".length);
        else if (arg === "-h" || arg === "--help") return { code: 0, out: `${USAGE}\n`, err: "" };
        else if (arg.startsWith("-") && arg !== "-") return { code: 2, out: "", err: `unknown option ${arg}\n${USAGE}\n` };
        else files.push(arg);
    }
    if (files.length === 0) files.push("-");
    if (stack !== undefined && files.length > 1) {
        return { code: 2, out: "", err: `--stack names one stack: give one file (each file's stack is otherwise taken from its URNs)\n${USAGE}\n` };
    }
    const sections: string[] = [];
    for (const file of files) {
        const where = file === "-" ? "standard input" : file;
        let text: string;
        try {
            text = file === "-" ? readStdin() : fs.readFileSync(file, "utf8");
        } catch (e) {
            return { code: 1, out: "", err: `cannot read ${where}: ${(e as Error).message}\n` };
        }
        try {
            sections.push(summarizePreview(parsePreview(text), { stack }));
        } catch (e) {
            if (!(e instanceof NotAPreviewError)) throw e;
            return {
                code: 1, out: "",
                err: `${where} is not the output of \`pulumi preview --json\`: ${e.message}\n${USAGE}\n`,
            };
        }
    }
    return { code: 0, out: sections.join("\n"), err: "" };
}

if (require.main === module) {
    const result = main(process.argv.slice(2));
    process.stdout.write(result.out);
    process.stderr.write(result.err);
    process.exitCode = result.code;
}
