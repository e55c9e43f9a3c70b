/**
 * The summary's last line of defence: nothing else in it prints a credential field, but should a credential
 * ever be stored under a field the summary does print (a label, a name), it is cut out here. It finds every
 * value held under a credential key anywhere in the preview, decoding and parsing values as it goes.
 */
import * as yaml from "js-yaml";
import { goFoldKey } from "../policy/goJson";
import { hidden, isObject } from "./engineValues";

const DIFF_KEYS = new Set(["detaileddiff", "diffreasons", "replacereasons", "diffs", "keys"]);

/**
 * Keys whose values are credentials, compared as Go's encoding/json compares them (Argo CD reads
 * "BearerToken" as bearerToken): Argo CD's config, kubeconfigs (client certificates, tokens, OIDC and other
 * auth-provider and exec credentials), ServiceAccount token Secrets.
 */
const SENSITIVE_KEYS = new Set(
    [
        "bearertoken",
        "token",
        "kubeconfig",
        "cadata",
        "certdata",
        "keydata",
        "password",
        "ca.crt",
        "certificate-authority-data",
        "client-certificate-data",
        "client-key-data",
        "client-key",
        "client-certificate",
        "id-token",
        "refresh-token",
        "access-token",
        "client-secret",
        "auth-provider",
        "exec",
        "execproviderconfig",
        "awsauthconfig",
        "secret",
        "apikey",
        "api-key",
    ].map(goFoldKey),
);

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
        if (Array.isArray(v)) for (const e of v) walk(e, parentKey);
        else if (isObject(v)) {
            for (const [key, value] of Object.entries(v)) {
                const k = goFoldKey(key);
                // Diff metadata names changed paths (`kubeconfig: {kind: update}`), never values.
                if (DIFF_KEYS.has(key.toLowerCase())) continue;
                // `config` in a Secret's data is Argo CD's connection config: token and keys together.
                if (SENSITIVE_KEYS.has(k) || (k === "CONFIG" && (parentKey === "DATA" || parentKey === "STRINGDATA")))
                    collectAll(value);
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

/** `text` with every credential found in `input` replaced by [redacted]. */
export function withoutCredentials(text: string, input: unknown): string {
    return redact(text, sensitiveValues(input));
}
