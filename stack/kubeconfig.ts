/**
 * How Pulumi reaches each cluster. A stack names a kubeconfig context (and optionally a kubeconfig); we read
 * the kubeconfig here, in the program, and hand each provider a self-contained kubeconfig holding only that
 * context, as a secret. Paths and unrelated credentials then never reach the state, and a laptop and a CI
 * runner with different files produce the same provider inputs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { Problem } from "./problems";

/** What a provider needs: a kubeconfig with exactly one context, current. */
export interface ClusterAccess {
    context: string;
    /** Self-contained kubeconfig YAML (certificate files inlined). Contains credentials: keep it secret. */
    kubeconfig: string;
    /** The API server URL of the context's cluster, as this kubeconfig reaches it. */
    server: string;
    /**
     * The kubeconfig's `certificate-authority-data` for that URL (base64 PEM), unless it skips verification:
     * the CA that signs the endpoint Pulumi itself talks to.
     */
    caData?: string;
}

interface Named {
    name: string;
    [key: string]: unknown;
}

/** A loaded kubeconfig document with where it came from, to resolve relative paths and word errors. */
interface Document {
    origin: string;
    dir: string;
    body: Record<string, unknown>;
}

export interface Environment {
    KUBECONFIG?: string;
    HOME?: string;
}

/** Caches parsed files so N clusters sharing one kubeconfig read and parse it once. */
export class KubeconfigReader {
    private readonly files = new Map<string, Document | Error>();

    constructor(private readonly env: Environment = process.env) {}

    /**
     * Resolves `context` in the kubeconfig `value` (a path or the file's contents), else `$KUBECONFIG`
     * (a list of paths, merged as kubectl merges them), else `~/.kube/config`.
     */
    access(keyPath: string, value: string | undefined, context: string): ClusterAccess | Problem[] {
        const documents: Document[] = [];
        const problems: Problem[] = [];
        const unusable =
            value === undefined ? kubeconfigEnvProblem(this.env.KUBECONFIG) : kubeconfigValueProblem(keyPath, value);
        if (unusable) return [unusable];
        const sources = this.sources(value);
        for (const source of sources) {
            const loaded = "text" in source ? parse(source.origin, process.cwd(), source.text) : this.file(source.path);
            if (loaded instanceof Error) {
                problems.push({
                    path: source.key ?? `${keyPath}.kubeconfig`,
                    message: loaded.message,
                    fix: source.fix,
                });
            } else {
                documents.push(loaded);
            }
        }
        if (problems.length > 0) return problems;
        const where = sources.map((s) => s.origin).join(", ");
        return resolveContext(documents, context, `${keyPath}.context`, where);
    }

    private sources(value: string | undefined): Source[] {
        if (value !== undefined && looksLikeContents(value)) {
            return [{ origin: "the kubeconfig given inline", text: value, fix: "give valid kubeconfig YAML" }];
        }
        if (value !== undefined) {
            return [{ origin: value, path: value, fix: "point kubeconfig at an existing kubeconfig file" }];
        }
        const fromEnv = (this.env.KUBECONFIG ?? "").split(path.delimiter).filter((p) => p !== "");
        if (fromEnv.length > 0) {
            return fromEnv.map((p) => ({
                origin: p,
                path: p,
                key: "$KUBECONFIG",
                fix: "fix $KUBECONFIG, or set kubeconfig for this cluster in the stack file",
            }));
        }
        const home = path.join(this.env.HOME ?? os.homedir(), ".kube", "config");
        return [
            {
                origin: home,
                path: home,
                key: "~/.kube/config",
                fix: "create it, set $KUBECONFIG, or set kubeconfig in the stack file",
            },
        ];
    }

    private file(file: string): Document | Error {
        const absolute = path.resolve(file);
        let cached = this.files.get(absolute);
        if (!cached) {
            try {
                cached = parse(file, path.dirname(absolute), fs.readFileSync(absolute, "utf8"));
            } catch (err) {
                cached = new Error(
                    `cannot read kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
                );
            }
            this.files.set(absolute, cached);
        }
        return cached;
    }
}

type Source = { origin: string; fix: string; key?: string } & ({ path: string } | { text: string });

/** A value with a line break or a YAML/JSON document start is contents; anything else is a path. */
export function looksLikeContents(value: string): boolean {
    return value.includes("\n") || value.trimStart().startsWith("{") || value.trimStart().startsWith("apiVersion:");
}

/** Linux's PATH_MAX (with its terminating NUL) and NAME_MAX: no file has a longer path or path component. */
const PATH_MAX = 4096;
const NAME_MAX = 255;

/**
 * A `kubeconfig` value that is neither contents nor a path a file could have: said with its length only,
 * since it is most likely credentials in some other encoding (a base64 kubeconfig, as CI variables often
 * hold them). Taken for a path, it would be printed whole in "cannot read kubeconfig <value>".
 */
export function kubeconfigValueProblem(keyPath: string, value: string): Problem | undefined {
    if (looksLikeContents(value)) return undefined;
    const key = `${keyPath}.kubeconfig`;
    const storeAsSecret = `pulumi config set --secret --path '${key}' < kubeconfig.yaml`;
    if (looksLikeBase64Kubeconfig(value)) {
        return {
            path: key,
            message: `looks like a base64-encoded kubeconfig (${value.length} characters), neither a path nor YAML contents`,
            fix: `decode it (base64 -d) and store the YAML as a secret: ${storeAsSecret}`,
        };
    }
    if (!plausiblePath(value)) {
        return {
            path: key,
            message: `is neither a kubeconfig path nor its YAML contents (a string of ${value.length} characters)`,
            fix: `give the path of a kubeconfig file, or the kubeconfig's YAML itself stored as a secret: ${storeAsSecret}`,
        };
    }
    return undefined;
}

/**
 * `$KUBECONFIG` is a list of paths. CI systems make it easy to put a kubeconfig's contents there instead (a
 * secret variable exported as is); split on ':' as a path list, every piece of the credentials would be
 * printed as a missing file. Such a value is described by its length only.
 */
export function kubeconfigEnvProblem(value: string | undefined): Problem | undefined {
    if (value === undefined || value === "") return undefined;
    const fix =
        "set $KUBECONFIG to the path of a kubeconfig file (kubectl's list of paths, separated by ':'), " +
        "e.g. write the contents to a file readable by you only; or set kubeconfig for this cluster in the stack file";
    // Contents, or a YAML line of them ("token: ..."): no path list has ': '.
    if (looksLikeContents(value) || /\s:|:\s/.test(value)) {
        return {
            path: "$KUBECONFIG",
            message: `holds a kubeconfig's contents (${value.length} characters), not a list of paths`,
            fix,
        };
    }
    const pieces = value.split(path.delimiter).filter((p) => p !== "");
    if (looksLikeBase64Kubeconfig(value) || pieces.some((p) => !plausiblePath(p))) {
        return {
            path: "$KUBECONFIG",
            message: `is not a list of kubeconfig paths (a string of ${value.length} characters)`,
            fix,
        };
    }
    return undefined;
}

function looksLikeBase64Kubeconfig(value: string): boolean {
    const compact = value.trim();
    if (compact.length < 16 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return false;
    // Decoded, a kubeconfig starts as a YAML mapping or JSON object does.
    return /^\s*(---|#|\{|[A-Za-z][-A-Za-z]*\s*:)/.test(Buffer.from(compact, "base64").toString("utf8"));
}

function plausiblePath(value: string): boolean {
    if (value === "" || Buffer.byteLength(value) >= PATH_MAX || /[\x00-\x1f\x7f]/.test(value)) return false;
    return value.split(/[\\/]/).every((component) => Buffer.byteLength(component) <= NAME_MAX);
}

function parse(origin: string, dir: string, text: string): Document | Error {
    try {
        const body = yaml.load(text);
        if (body === null || typeof body !== "object" || Array.isArray(body)) {
            return new Error(`kubeconfig ${origin} is not a kubeconfig document`);
        }
        return { origin, dir, body: body as Record<string, unknown> };
    } catch (err) {
        return new Error(`kubeconfig ${origin} is not valid YAML: ${yamlErrorWithoutText(err)}`);
    }
}

/**
 * A YAML error in words that never quote the document: js-yaml's messages quote tags, aliases and the lines
 * around the error, and in a kubeconfig a password starting with '!' or '*' reads as a tag or an alias.
 * Only the kind of error and its position are kept.
 */
export function yamlErrorWithoutText(err: unknown): string {
    const e = err as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
    const reason = typeof e.reason === "string" ? e.reason : "";
    const kinds: [RegExp, string][] = [
        [/^unknown tag|tag/i, "an unknown tag"],
        [/alias/i, "an alias to an unknown anchor"],
        [/anchor/i, "a malformed anchor"],
        [/duplicated mapping key/i, "a duplicated key"],
        [/indentation|indent/i, "bad indentation"],
        [/end of the stream|document separator/i, "text after the end of the document"],
        [/quoted|quotation|escape/i, "a malformed quoted string"],
    ];
    const kind = kinds.find(([pattern]) => pattern.test(reason))?.[1] ?? "a syntax error";
    const { line, column } = e.mark ?? {};
    const where =
        typeof line === "number" && typeof column === "number" ? ` at line ${line + 1}, column ${column + 1}` : "";
    return `${kind}${where}`;
}

function entries(doc: Document, list: string): Named[] {
    const value = doc.body[list];
    return Array.isArray(value) ? value.filter((e): e is Named => typeof e?.name === "string") : [];
}

/** First definition wins, as when kubectl merges the files of $KUBECONFIG. */
function find(documents: Document[], list: string, name: string): { entry: Named; doc: Document } | undefined {
    for (const doc of documents) {
        const entry = entries(doc, list).find((e) => e.name === name);
        if (entry) return { entry, doc };
    }
    return undefined;
}

function resolveContext(
    documents: Document[],
    context: string,
    keyPath: string,
    where: string,
): ClusterAccess | Problem[] {
    const ctx = find(documents, "contexts", context);
    if (!ctx) {
        const known = [...new Set(documents.flatMap((d) => entries(d, "contexts").map((e) => e.name)))];
        return [
            {
                path: keyPath,
                message: `context "${context}" is not in ${where}`,
                fix:
                    known.length > 0
                        ? `use one of: ${known.join(", ")}`
                        : "add the context to the kubeconfig (kubectl config set-context)",
            },
        ];
    }
    const spec = (ctx.entry.context ?? {}) as Record<string, unknown>;
    const cluster = typeof spec.cluster === "string" ? find(documents, "clusters", spec.cluster) : undefined;
    const user = typeof spec.user === "string" ? find(documents, "users", spec.user) : undefined;
    const problems: Problem[] = [];
    if (!cluster) {
        problems.push({
            path: keyPath,
            message: `context "${context}" refers to cluster "${String(spec.cluster)}", which is not in ${where}`,
            fix: "repair the kubeconfig",
        });
    }
    if (spec.user !== undefined && !user) {
        problems.push({
            path: keyPath,
            message: `context "${context}" refers to user "${String(spec.user)}", which is not in ${where}`,
            fix: "repair the kubeconfig",
        });
    }
    if (!cluster || problems.length > 0) return problems;

    const clusterBody = inlineFiles(
        cluster.entry.cluster,
        cluster.doc,
        { "certificate-authority": "certificate-authority-data" },
        problems,
        keyPath,
    );
    const userBody = user
        ? inlineFiles(
              user.entry.user,
              user.doc,
              { "client-certificate": "client-certificate-data", "client-key": "client-key-data" },
              problems,
              keyPath,
          )
        : undefined;
    if (userBody && typeof userBody.tokenFile === "string") {
        // A token file is re-read by the client as it rotates: keep the reference, made absolute.
        userBody.tokenFile = path.resolve(user!.doc.dir, userBody.tokenFile);
    }
    if (problems.length > 0) return problems;
    const server = typeof clusterBody.server === "string" ? clusterBody.server : "";
    if (!server) {
        return [
            {
                path: keyPath,
                message: `cluster "${cluster.entry.name}" of context "${context}" has no server`,
                fix: "repair the kubeconfig",
            },
        ];
    }
    const contextBody: Record<string, unknown> = { cluster: cluster.entry.name };
    if (user) contextBody.user = user.entry.name;
    if (typeof spec.namespace === "string") contextBody.namespace = spec.namespace;
    const minimal = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.entry.name, cluster: clusterBody }],
        users: user ? [{ name: user.entry.name, user: userBody }] : [],
        contexts: [{ name: context, context: contextBody }],
        "current-context": context,
    };
    const ca = clusterBody["certificate-authority-data"];
    const caData =
        typeof ca === "string" && ca !== "" && clusterBody["insecure-skip-tls-verify"] !== true ? ca : undefined;
    return { context, kubeconfig: yaml.dump(minimal, { lineWidth: -1, noRefs: true }), server, caData };
}

/** Replaces file references by inline base64 data, so the kubeconfig works on any machine. */
function inlineFiles(
    raw: unknown,
    doc: Document,
    fields: Record<string, string>,
    problems: Problem[],
    keyPath: string,
): Record<string, unknown> {
    const body: Record<string, unknown> = { ...((raw ?? {}) as Record<string, unknown>) };
    for (const [fileField, dataField] of Object.entries(fields)) {
        const file = body[fileField];
        if (typeof file !== "string") continue;
        const absolute = path.resolve(doc.dir, file);
        try {
            body[dataField] = fs.readFileSync(absolute).toString("base64");
            delete body[fileField];
        } catch (err) {
            problems.push({
                path: keyPath,
                message: `${fileField} ${absolute} named in ${doc.origin} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
                fix: "repair the kubeconfig or the file",
            });
        }
    }
    return body;
}
