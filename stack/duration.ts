/**
 * Durations as the stack file writes them, in Go's time.ParseDuration form (720h, 168h30m, 1.5h), the way
 * Kubernetes and Argo CD spell them, so a value copied from one of their manifests means the same here.
 */

const UNIT_MS: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
};

const WHOLE = /^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;

/** Milliseconds, or undefined when `text` is not a positive Go duration (no sign, every number with a unit). */
export function parseDuration(text: string): number | undefined {
    let rest = text;
    let ms = 0;
    if (rest === "") return undefined;
    while (rest !== "") {
        const part = WHOLE.exec(rest);
        if (!part) return undefined;
        ms += Number(part[1]) * UNIT_MS[part[3]];
        rest = rest.slice(part[0].length);
    }
    return ms;
}
