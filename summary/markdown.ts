/**
 * Markdown for a pull request comment, where every value from the stack's config (names, URLs, labels,
 * namespaces, rules) is text the reviewer sees and never markup: the one place values are escaped.
 */
import type { Step } from "./resourceSteps";

/**
 * A config-derived value as an inline code span, so nothing in it is Markdown or HTML: an HTML comment in a
 * verb would otherwise hide what follows it, and a newline would start a block. Control, format (bidi,
 * zero-width) and line-separator characters are shown as \u{...} escapes instead of being applied. The fence
 * is longer than any run of backticks in the value, so a backtick cannot close it early.
 */
export function md(text: string): string {
    const visible = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
    const longest = Math.max(0, ...(visible.match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(longest + 1);
    const pad = visible.startsWith("`") || visible.endsWith("`") ? " " : "";
    return `${fence}${pad}${visible}${pad}${fence}`;
}

/** A property path or type name: printed as is when it is plainly one, else as code. */
export function keyText(key: string): string {
    return /^[\w./-]+$/.test(key) ? key : md(key);
}

/**
 * One resource change as a line: what it is (by default its type and name), the change, and the top-level
 * keys that differ, by name only: `ConfigMap \`x\`: update (data)`.
 */
export function changeLine(what: string | undefined, step: Step): string {
    const keys = [...new Set(step.keys.map((k) => keyText(k.split(/[.[]/, 1)[0])))].sort();
    const name = what ?? `${keyText(step.type.split(":").pop() ?? "")} ${md(step.name)}`;
    return `${name}: ${step.change}${keys.length ? ` (${keys.join(", ")})` : ""}`;
}
