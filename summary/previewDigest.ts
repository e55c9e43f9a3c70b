/**
 * Reading what `pulumi preview --json` prints: the PreviewDigest (pkg/display/json.go: config, steps[] with
 * op/urn/oldState/newState/diffReasons/replaceReasons/detailedDiff, diagnostics, changeSummary), or the engine
 * event stream it prints instead when PULUMI_ENABLE_STREAMING_JSON_PREVIEW is set (one EngineEvent a line),
 * turned into the digest the CLI would have printed. Input that is neither is refused with NotAPreviewError.
 */
import { asObject, isObject, type Obj, stringList } from "./engineValues";

/** apitype.ResourceV3, only the fields read here. */
export interface ResourceState {
    urn?: string;
    type?: string;
    parent?: string;
    inputs?: Obj;
    outputs?: Obj;
}

/** display.PreviewStep. */
export interface PreviewStep {
    op: string;
    urn: string;
    provider?: string;
    oldState?: ResourceState | null;
    newState?: ResourceState | null;
    diffReasons?: string[] | null;
    replaceReasons?: string[] | null;
    detailedDiff?: Record<string, { kind?: string; inputDiff?: boolean }> | null;
}

/** display.PreviewDigest. */
export interface PreviewDigest {
    config?: Record<string, string> | null;
    steps?: PreviewStep[] | null;
    diagnostics?: { urn?: string; message?: string; severity?: string }[] | null;
    duration?: number;
    changeSummary?: Record<string, number> | null;
    maybeCorrupt?: boolean;
}

export class NotAPreviewError extends Error {}

const DIGEST_KEYS = ["steps", "changeSummary", "config", "diagnostics", "duration"];

/** Parses CLI output: one digest object, or a stream of engine events (one JSON object a line). */
export function parsePreview(text: string): PreviewDigest {
    const trimmed = text.trim();
    if (trimmed === "") throw new NotAPreviewError("the input is empty");
    let whole: unknown;
    try {
        whole = JSON.parse(trimmed);
    } catch {
        return parseEventStream(trimmed);
    }
    if (!isObject(whole) || !DIGEST_KEYS.some((k) => k in whole)) {
        // A single event line is a stream of one.
        if (isObject(whole) && isEngineEvent(whole)) return digestFromEvents([whole]);
        throw new NotAPreviewError("the JSON is not a preview digest (no steps, changeSummary, config or diagnostics)");
    }
    if (whole.steps !== undefined && whole.steps !== null) {
        if (!Array.isArray(whole.steps)) throw new NotAPreviewError("steps is not a list");
        whole.steps.forEach((step, i) => {
            if (!isObject(step) || typeof step.op !== "string" || typeof step.urn !== "string") {
                throw new NotAPreviewError(`steps[${i}] has no op and urn`);
            }
        });
    }
    return whole as PreviewDigest;
}

function isEngineEvent(o: Obj): boolean {
    return Object.keys(o).some((k) => k.endsWith("Event") && isObject(o[k]));
}

function parseEventStream(text: string): PreviewDigest {
    const events: Obj[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
        if (line.trim() === "") return;
        let event: unknown;
        try {
            event = JSON.parse(line);
        } catch {
            throw new NotAPreviewError(`line ${i + 1} is not JSON`);
        }
        if (!isObject(event) || !isEngineEvent(event))
            throw new NotAPreviewError(`line ${i + 1} is not an engine event`);
        events.push(event);
    });
    return digestFromEvents(events);
}

/** The digest the CLI would have printed, from apitype.EngineEvent records. */
function digestFromEvents(events: Obj[]): PreviewDigest {
    const digest: PreviewDigest = { steps: [], diagnostics: [] };
    for (const event of events) {
        const prelude = asObject(event.preludeEvent);
        if (prelude && isObject(prelude.config)) digest.config = prelude.config as Record<string, string>;
        const pre = asObject(asObject(event.resourcePreEvent)?.metadata);
        if (pre && typeof pre.op === "string" && typeof pre.urn === "string") {
            digest.steps!.push({
                op: pre.op,
                urn: pre.urn,
                oldState: asObject(pre.old) as ResourceState | undefined,
                newState: asObject(pre.new) as ResourceState | undefined,
                diffReasons: stringList(pre.diffs),
                replaceReasons: stringList(pre.keys),
                detailedDiff: asObject(pre.detailedDiff) as PreviewStep["detailedDiff"],
            });
        }
        const diag = asObject(event.diagnosticEvent);
        if (diag) digest.diagnostics!.push({ severity: String(diag.severity ?? "") });
        const summary = asObject(event.summaryEvent);
        if (summary) {
            digest.changeSummary = asObject(summary.resourceChanges) as Record<string, number> | undefined;
            digest.maybeCorrupt = summary.maybeCorrupt === true;
        }
    }
    return digest;
}
