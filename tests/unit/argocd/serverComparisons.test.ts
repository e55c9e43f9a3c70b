/**
 * Every comparison of servers goes through argocd/serverKey.ts (issue 20, issue 22): a test that fails when a
 * new rule for "the same server" appears in the product's sources. It reads the sources as text and looks for
 * the two shapes such rules took: a trailing-slash trim, and two servers compared as strings.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
/** The product's sources (tsconfig.build.json). */
const PRODUCT = ["index.ts", "argocd", "components", "stack", "policy", "summary", "health", "engine", "ci"];
/** The one place that says which servers are one. */
const KEYS = "argocd/serverKey.ts";
/** Trims that compare nothing, each with why. */
const TRIMS_THAT_COMPARE_NOTHING: Record<string, string> = {
    // Joins the server's path with an API path for an HTTP call, inside the dynamic provider (no imports there).
    "components/boundToken.ts": "url.pathname.replace(",
};

function sources(): { file: string; lines: string[] }[] {
    const walk = (rel: string): string[] => {
        const abs = path.join(ROOT, rel);
        if (fs.statSync(abs).isFile()) return rel.endsWith(".ts") ? [rel] : [];
        return fs.readdirSync(abs).flatMap((f) => walk(path.join(rel, f)));
    };
    return PRODUCT.flatMap(walk).map((file) => ({
        file,
        lines: fs.readFileSync(path.join(ROOT, file), "utf8").split("\n"),
    }));
}

describe("one rule for the same server", () => {
    it("no trailing-slash trim outside argocd/serverKey.ts", () => {
        const found = sources().flatMap(({ file, lines }) =>
            lines
                .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
                .filter(({ line }) => line.includes(".replace(/\\/+$/"))
                .filter(() => file !== KEYS)
                .filter(({ line }) => !line.includes(TRIMS_THAT_COMPARE_NOTHING[file] ?? "\0"))
                .map(({ line, at }) => `${at}: ${line.trim()}`),
        );
        assert.deepEqual(found, [], "compare servers with argocdServerKey or apiServerKey (argocd/serverKey.ts)");
    });

    it("no two servers compared as strings (a === b where both name a server)", () => {
        // Operands such as `r.server`, `cluster.server`, `firstServer`: identifiers or property paths ending in
        // "server". A comparison with a literal, undefined or a call is not one of them. A line that means the
        // exact spelling says so with the comment `exact spelling`.
        const operand = String.raw`[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*`;
        const comparison = new RegExp(`(${operand})\\s*[!=]==?\\s*(${operand})(?![\\w$.(])`, "g");
        const isServer = (name: string) => /server$/i.test(name);
        const found = sources().flatMap(({ file, lines }) =>
            lines.flatMap((line, i) =>
                file === KEYS || line.includes("exact spelling")
                    ? []
                    : [...line.matchAll(comparison)]
                          .filter((m) => isServer(m[1]) && isServer(m[2]))
                          .map((m) => `${file}:${i + 1}: ${m[0]}`),
            ),
        );
        assert.deepEqual(found, [], "compare servers with argocdServerKey or apiServerKey (argocd/serverKey.ts)");
    });
});
