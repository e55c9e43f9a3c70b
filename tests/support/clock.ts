/**
 * Test-only: moves the clock of every Node.js process of an end-to-end operation, so a test reaches a token's
 * rotation or renewal time without waiting 30 days. The product reads only the real clock (stack/now.ts); this
 * file is no part of it (tsconfig.build.json leaves tests/ out) and acts only where the harness loads it: the
 * World (tests/support/world.ts) runs each operation with
 *
 *   NODE_OPTIONS=--require=<this file, compiled>  ARGOCD_CLUSTERS_TEST_CLOCK=<RFC 3339 time>
 *
 * and since every Node.js process inherits both, each one it starts is moved: the engine wrapper, the program
 * (cmd/run), the dynamic provider (cmd/dynamic-provider), the policy pack (cmd/run-policy-pack) and
 * scripts/verify. The Go processes (the CLI, the kubernetes and random providers) keep the real clock; nothing
 * they decide depends on the program's "now". Neither do the API servers: a bound token's expiry is by their
 * clock, which is why boundTokens.e2e moves time relative to the token's `exp`.
 *
 * Each process's clock starts at the given time when the process starts and then runs at the real pace (as
 * libfaketime's "@" form): a frozen clock would hang any code that waits for Date.now() to pass a deadline.
 * So a program reads the given time plus its own start-up (a few seconds): tests leave that much margin.
 * Only Date moves (Date.now(), new Date(), Date()); timers, process.hrtime and TLS certificate checks keep
 * the real time. With ARGOCD_CLUSTERS_TEST_CLOCK_LOG set, each moved process appends its script to that file,
 * so a test can see which processes the clock reached.
 */
import * as fs from "node:fs";

export const TEST_CLOCK_VARIABLE = "ARGOCD_CLUSTERS_TEST_CLOCK";
export const TEST_CLOCK_LOG_VARIABLE = "ARGOCD_CLUSTERS_TEST_CLOCK_LOG";

/** The variables that move the clock of every Node.js process started with them to `at` (RFC 3339). */
export function movedClockEnv(at: string, inheritedNodeOptions: string | undefined, log?: string): NodeJS.ProcessEnv {
    return {
        // Quoted, as NODE_OPTIONS allows, in case the path holds a space.
        NODE_OPTIONS: [inheritedNodeOptions ?? "", `--require="${__filename}"`].join(" ").trim(),
        [TEST_CLOCK_VARIABLE]: at,
        ...(log ? { [TEST_CLOCK_LOG_VARIABLE]: log } : {}),
    };
}

function moveClock(at: number): void {
    const RealDate = Date;
    const offset = at - RealDate.now();
    const now = () => RealDate.now() + offset;
    // A function, not a class: Date() called without `new` must still return the time as text.
    function MovedDate(...args: unknown[]): unknown {
        if (new.target === undefined) return new RealDate(now()).toString();
        return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
    }
    Object.setPrototypeOf(MovedDate, RealDate); // Date.parse, Date.UTC
    MovedDate.prototype = RealDate.prototype; // instanceof Date, and every method
    Object.defineProperty(MovedDate, "now", { value: now, writable: true, configurable: true });
    Object.defineProperty(RealDate.prototype, "constructor", { value: MovedDate, writable: true, configurable: true });
    globalThis.Date = MovedDate as unknown as DateConstructor;
}

const value = process.env[TEST_CLOCK_VARIABLE];
if (value !== undefined && value !== "") {
    const at = Date.parse(value);
    if (Number.isNaN(at)) {
        throw new Error(`${TEST_CLOCK_VARIABLE} is ${JSON.stringify(value)}, not a time such as 2030-01-01T00:00:00Z`);
    }
    moveClock(at);
    const log = process.env[TEST_CLOCK_LOG_VARIABLE];
    if (log) fs.appendFileSync(log, `${process.argv[1] ?? "[eval]"}\n`);
}

/** How much later than the time it was given a moved program may read "now": its own start-up, with room. */
export const STARTUP_MARGIN_MS = 5 * 60_000;

/** `at` moved by `ms`, as RFC 3339 in whole seconds (the form the program records). */
export function timePlus(at: string, ms: number): string {
    return new Date(Math.floor((Date.parse(at) + ms) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Whether `actual` is the time a program read with its clock moved to `at`: `at`, or up to its start-up later. */
export function readAt(actual: string | undefined, at: string): boolean {
    const ms = Date.parse(actual ?? "") - Date.parse(at);
    return ms >= 0 && ms < STARTUP_MARGIN_MS;
}
