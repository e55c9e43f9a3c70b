/**
 * Resources as the checks see them: plain data, with the values a preview does not know yet as UNKNOWN. The
 * checks are plain functions over these, so the tests run them without an engine; pulumiPolicies.ts converts
 * what @pulumi/policy hands a policy into them.
 */
import * as policy from "@pulumi/policy";

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
