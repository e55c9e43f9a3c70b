/**
 * The documentation's tables of stack-file keys (docs/configuration.md) list exactly the keys validation
 * accepts (stack/keys.ts): a key added to the program but not documented, or documented but unknown to the
 * program, fails here by name.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
    ARGOCD_KEY,
    ARGOCD_KEYS,
    CLUSTER_KEYS,
    CLUSTERS_KEY,
    type KeyTable,
    keyPaths,
    TOKEN_KEY,
    TOKEN_KEYS,
} from "../../../stack/keys";

/** From dist/tests/unit/stack/ (or tests/unit/stack/) up to the repository root. */
const DOCS = path.resolve(__dirname, "..", "..", "..", "..", "docs", "configuration.md");

/**
 * The keys in the first column of the table that follows the heading naming `heading` and whose header's first
 * cell is "key", each written in backticks (`tls.caData` for a nested key, as the table lists them).
 */
function documentedKeys(markdown: string, heading: string): string[] {
    const lines = markdown.split(/\r?\n/);
    const at = lines.findIndex((line) => /^#+ /.test(line) && line.includes(`\`${heading}\``));
    assert.ok(at >= 0, `${DOCS} has no heading naming \`${heading}\``);
    const cells = (line: string) =>
        line
            .trim()
            .replace(/^\||\|$/g, "")
            .split("|")
            .map((cell) => cell.trim());
    const start = lines.findIndex(
        (line, i) => i > at && line.trim().startsWith("|") && cells(line)[0].toLowerCase() === "key",
    );
    const nextHeading = lines.findIndex((line, i) => i > at && /^#+ /.test(line));
    assert.ok(
        start >= 0 && (nextHeading < 0 || start < nextHeading),
        `no table with a "key" column under the heading \`${heading}\``,
    );
    const rows: string[] = [];
    // The header, then the separator row, then one row per key until the table ends.
    for (let i = start + 2; i < lines.length && lines[i].trim().startsWith("|"); i++) rows.push(cells(lines[i])[0]);
    return rows.map((cell) => {
        const key = /^`([^`]+)`$/.exec(cell);
        assert.ok(key, `under \`${heading}\`, the first cell "${cell}" is not a key in backticks`);
        return key[1];
    });
}

function assertSameKeys(heading: string, table: KeyTable): void {
    assert.ok(fs.existsSync(DOCS), `${DOCS} is missing: it documents the stack file's keys`);
    const documented = documentedKeys(fs.readFileSync(DOCS, "utf8"), heading);
    const known = keyPaths(table);
    const missing = known.filter((key) => !documented.includes(key));
    const extra = documented.filter((key) => !known.includes(key));
    const twice = documented.filter((key, i) => documented.indexOf(key) !== i);
    assert.deepEqual(
        { missing, extra, twice },
        { missing: [], extra: [], twice: [] },
        `docs/configuration.md's \`${heading}\` table and stack/keys.ts disagree: ` +
            `missing from the docs: ${missing.join(", ") || "none"}; documented but not a key: ${extra.join(", ") || "none"}; ` +
            `listed twice: ${twice.join(", ") || "none"}`,
    );
}

describe("docs/configuration.md lists the keys validation accepts", () => {
    it(`every ${CLUSTERS_KEY} entry key, and no other`, () => assertSameKeys(CLUSTERS_KEY, CLUSTER_KEYS));

    it(`every ${ARGOCD_KEY} key, and no other`, () => assertSameKeys(ARGOCD_KEY, ARGOCD_KEYS));

    it(`every ${TOKEN_KEY} key, and no other`, () => assertSameKeys(TOKEN_KEY, TOKEN_KEYS));

    it("nested keys as the tables list them", () => {
        assert.ok(keyPaths(CLUSTER_KEYS).includes("tls.caData"));
        assert.ok(!keyPaths(CLUSTER_KEYS).includes("tls"));
    });
});
