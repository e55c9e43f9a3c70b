/**
 * What the engine hides in a preview, and reading around it: every secret is "[secret]" in a digest (even with
 * --show-secrets) or a signature object in the event stream, and a value not known until `up` is a
 * placeholder. Every reader here returns undefined for those, so a hidden value can never reach the summary.
 */

/** What the engine writes for a value not known until `up` (sdk resource/sig UnknownStringValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** A secret in the event stream is an object carrying this signature key (sdk resource/sig). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_MASK = "[secret]";

export type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asObject(v: unknown): Obj | undefined {
    return isObject(v) && !(SECRET_SIG_KEY in v) ? v : undefined;
}

export function hidden(v: unknown): boolean {
    return v === SECRET_MASK || v === UNKNOWN || (isObject(v) && SECRET_SIG_KEY in v);
}

export function plainString(v: unknown): string | undefined {
    return typeof v === "string" && !hidden(v) ? v : undefined;
}

export function stringList(v: unknown): string[] | undefined {
    return Array.isArray(v) && v.every((s) => typeof s === "string" && !hidden(s)) ? (v as string[]) : undefined;
}

export function plainStringMap(v: unknown): Record<string, string> | undefined {
    const o = asObject(v);
    if (!o || !Object.values(o).every((s) => typeof s === "string" && !hidden(s))) return undefined;
    return o as Record<string, string>;
}

export function plainBoolean(v: unknown): boolean | undefined {
    if (typeof v === "boolean") return v;
    return v === "true" ? true : v === "false" ? false : undefined;
}

export function at(o: unknown, ...path: string[]): unknown {
    let v = o;
    for (const key of path) v = asObject(v)?.[key];
    return v;
}
