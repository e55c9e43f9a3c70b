/**
 * The problem collector: how a check reports what is wrong, and how problems are worded and printed. Apart
 * from the rules themselves, so every rule (kubernetesNames.ts, server.ts, rbacRules.ts, validate.ts) reports
 * the same way: key path, message, fix, all collected and thrown at once.
 */
import * as pulumi from "@pulumi/pulumi";
import type { KeyTable } from "./keys";

/** One configuration problem: where it is, what is wrong, how to fix it. */
export interface Problem {
    /** Key path below the stack file, e.g. `argocd-clusters:clusters[1].server`. */
    path: string;
    message: string;
    fix: string;
}

/**
 * Thrown when a stack's configuration is invalid: lists every problem and names the stack file. A RunError, so
 * Pulumi prints the message alone, without a stack trace of our program.
 */
export class ConfigurationError extends pulumi.RunError {
    constructor(
        readonly stackFile: string,
        readonly problems: Problem[],
    ) {
        super(formatProblems(stackFile, problems));
        this.name = "ConfigurationError";
    }
}

export function formatProblems(stackFile: string, problems: Problem[]): string {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${stackFile}: ${p.path}: ${p.message}\n    fix: ${p.fix}`);
    return `${stackFile} has ${count}; nothing was registered:\n${lines.join("\n")}`;
}

export type Obj = Record<string, unknown>;

export const NULL_MESSAGE = "is empty (null): the key is present without a value, e.g. with every item commented out";

/** Collects problems; each check adds to it and returns the value it could read, or undefined. */
export class Problems {
    readonly list: Problem[] = [];

    add(path: string, message: string, fix: string): undefined {
        this.list.push({ path, message, fix });
        return undefined;
    }

    /**
     * Checks an object's keys against its table (keys.ts): unknown ones, and optional ones present with null.
     * Null values stay in the result; every reader treats them as absent, so each is reported once.
     */
    object(path: string, value: unknown, table: KeyTable): Obj | undefined {
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            return this.add(path, `must be an object, got ${describe(value)}`, `write ${path} as a YAML mapping`);
        }
        const allowed = Object.keys(table);
        for (const [key, item] of Object.entries(value)) {
            const ifNull = allowed.includes(key) ? table[key].ifNull : undefined;
            if (item === null && ifNull !== undefined) this.add(`${path}.${key}`, NULL_MESSAGE, ifNull);
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

    /** The problems, each once: entries sharing a missing kubeconfig report it once. */
    unique(): Problem[] {
        const seen = new Set<string>();
        return this.list.filter((p) => {
            const key = `${p.path}\n${p.message}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
        });
    }
}

export function describe(value: unknown): string {
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

/** Control, format (bidi overrides, zero-width) and line-separator characters: text that hides or reorders text. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Quoted with every invisible character written as \u{...}, so the message shows what is there. */
export function quoteVisibly(text: string): string {
    return `"${text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"\\]/gu, (c) => (c === '"' || c === "\\" ? `\\${c}` : `\\u{${c.codePointAt(0)!.toString(16)}}`))}"`;
}

/** Reports a value with an invisible character; true when it has none. */
export function visibleOnly(p: Problems, path: string, value: string): boolean {
    if (!INVISIBLE.test(value)) return true;
    p.add(
        path,
        `${quoteVisibly(value)} has a control or invisible character`,
        "remove it: names and rules are shown to reviewers, where such characters hide or reorder text",
    );
    return false;
}
