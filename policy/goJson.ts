/**
 * JSON as Go's encoding/json reads it into a struct, which is how Argo CD reads a cluster Secret's `config`.
 * JSON.parse disagrees with Go in two ways that matter to a guardrail:
 * - Go matches object keys to struct fields case-insensitively (with Unicode simple folding, so "inſecure"
 *   with a long s is `insecure`), where JSON.parse keeps "Insecure" and "insecure" as two keys;
 * - every occurrence of a matching key is applied in order, so the last one wins, and a struct field given
 *   twice is decoded twice into the same struct (its fields merge); JSON.parse keeps only the last exact key.
 * So `{"tlsClientConfig":{"Insecure":true}}` is insecure to Argo CD. This parser keeps every key in order, and
 * `goFields` applies them as Go does.
 */

/** A JSON object with every key, duplicates included, in document order. */
export class OrderedObject {
    constructor(readonly entries: [string, JsonValue][]) {}
}

export type JsonValue = null | boolean | number | string | JsonValue[] | OrderedObject;

/** Parses JSON keeping duplicate keys; throws SyntaxError without quoting the text (it may hold a token). */
export function parseOrderedJson(text: string): JsonValue {
    let i = 0;
    const fail = (): never => {
        throw new SyntaxError(`invalid JSON at offset ${i}`);
    };
    const space = () => {
        while (i < text.length && " \t\r\n".includes(text[i])) i++;
    };
    const literal = (word: string, value: JsonValue): JsonValue => {
        if (text.startsWith(word, i)) {
            i += word.length;
            return value;
        }
        return fail();
    };
    const string = (): string => {
        const match = /^"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*"/.exec(text.slice(i));
        if (!match) return fail();
        i += match[0].length;
        return JSON.parse(match[0]) as string;
    };
    const value = (): JsonValue => {
        space();
        const c = text[i];
        if (c === "{") {
            i++;
            const entries: [string, JsonValue][] = [];
            space();
            if (text[i] === "}") {
                i++;
                return new OrderedObject(entries);
            }
            for (;;) {
                space();
                const key = string();
                space();
                if (text[i++] !== ":") fail();
                entries.push([key, value()]);
                space();
                const next = text[i++];
                if (next === "}") return new OrderedObject(entries);
                if (next !== ",") fail();
            }
        }
        if (c === "[") {
            i++;
            const items: JsonValue[] = [];
            space();
            if (text[i] === "]") {
                i++;
                return items;
            }
            for (;;) {
                items.push(value());
                space();
                const next = text[i++];
                if (next === "]") return items;
                if (next !== ",") fail();
            }
        }
        if (c === '"') return string();
        if (c === "t") return literal("true", true);
        if (c === "f") return literal("false", false);
        if (c === "n") return literal("null", null);
        const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
        if (!number) return fail();
        i += number[0].length;
        return Number(number[0]);
    };
    const result = value();
    space();
    if (i !== text.length) fail();
    return result;
}

/**
 * A key as Go compares it with a struct field's name (encoding/json foldName): ASCII letters in upper case,
 * and the two non-ASCII letters whose simple case folding reaches an ASCII one (U+017F long s, U+212A Kelvin
 * sign). Other non-ASCII letters can never equal the ASCII field names compared here, so they stay as they are.
 */
export function goFoldKey(key: string): string {
    return key
        .replace(/\u017f/g, "S")
        .replace(/\u212a/g, "K")
        .replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** How a struct field is decoded. */
export type FieldKind = "string" | "bool" | "struct" | "pointer";

export interface GoStruct {
    /** The fields that were set, by their Go JSON name; a struct field holds the merged OrderedObject. */
    fields: Record<string, JsonValue>;
    /** Values Go would refuse (json.UnmarshalTypeError): Argo CD then cannot use the Secret at all. */
    typeErrors: string[];
}

/**
 * Applies an object's keys to a struct with the given fields as Go's decoder does: each key goes to the
 * field it folds to, in document order; null leaves a value field unchanged and clears a pointer; a struct
 * given twice merges. Unknown keys are ignored, as Go ignores them.
 */
export function goFields(object: OrderedObject, schema: Record<string, FieldKind>): GoStruct {
    const byFold = new Map(Object.keys(schema).map((name) => [goFoldKey(name), name]));
    const fields: Record<string, JsonValue> = {};
    const typeErrors: string[] = [];
    for (const [key, value] of object.entries) {
        const name = byFold.get(goFoldKey(key));
        if (name === undefined) continue;
        const kind = schema[name];
        if (value === null) {
            if (kind === "pointer") delete fields[name];
            continue;
        }
        const expected = { string: "string", bool: "boolean", struct: "object", pointer: "object" }[kind];
        const actual = value instanceof OrderedObject ? "object" : Array.isArray(value) ? "array" : typeof value;
        if (actual !== expected) {
            typeErrors.push(
                `${name} is ${actual === "object" ? "an object" : `a ${actual}`}, not a ${kind === "bool" ? "boolean" : expected}`,
            );
            continue;
        }
        const earlier = fields[name];
        fields[name] =
            earlier instanceof OrderedObject && value instanceof OrderedObject
                ? new OrderedObject([...earlier.entries, ...value.entries])
                : value;
    }
    return { fields, typeErrors };
}
