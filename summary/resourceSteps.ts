/**
 * A preview's steps as resource changes: each step's URN parsed (stack, project, type chain, name), its op
 * reduced to create/update/delete/replace, its old and new state and the property paths that differ. A
 * replacement shown as several steps (--show-replacement-steps, the event stream) becomes one change, and the
 * stack's own step is kept apart: its outputs are the last `up`'s registrations.
 */
import { asObject, stringList } from "./engineValues";
import type { PreviewDigest, PreviewStep, ResourceState } from "./previewDigest";

const STACK_TYPE = "pulumi:pulumi:Stack";

export type Change = "create" | "update" | "delete" | "replace";

/** The engine's step ops reduced to what they do to a resource; reads, refreshes and sames do nothing. */
export function changeOf(op: string): Change | undefined {
    switch (op) {
        case "create":
        case "import":
            return "create";
        case "update":
            return "update";
        case "delete":
            return "delete";
        case "replace":
        case "create-replacement":
        case "delete-replaced":
        case "import-replacement":
        case "read-replacement":
            return "replace";
        default:
            return undefined;
    }
}

export interface Urn {
    stack: string;
    project: string;
    types: string[];
    name: string;
}

export function parseUrn(urn: string): Urn | undefined {
    const m = /^urn:pulumi:([^:]*)::([^:]*)::(.*?)::(.*)$/s.exec(urn);
    return m ? { stack: m[1], project: m[2], types: m[3].split("$"), name: m[4] } : undefined;
}

/** One resource's planned change; a replacement's several steps merged into one. */
export interface Step {
    change: Change;
    urn: string;
    type: string;
    name: string;
    parentUrn?: string;
    old?: ResourceState;
    new?: ResourceState;
    /** Property paths that differ, from detailedDiff, diffReasons and replaceReasons. Names only. */
    keys: string[];
}

export function collectSteps(digest: PreviewDigest): { steps: Step[]; root?: PreviewStep } {
    const byUrn = new Map<string, Step>();
    let root: PreviewStep | undefined;
    for (const raw of digest.steps ?? []) {
        const urn = parseUrn(raw.urn);
        if (!urn) continue;
        const type = urn.types[urn.types.length - 1];
        if (type === STACK_TYPE) {
            root = raw;
            continue;
        }
        const change = changeOf(raw.op);
        if (!change) continue;
        const old = asObject(raw.oldState) as ResourceState | undefined;
        const neu = asObject(raw.newState) as ResourceState | undefined;
        // detailedDiff names the exact paths; the reasons only top-level keys.
        const detailed = Object.keys(asObject(raw.detailedDiff) ?? {});
        const keys = detailed.length
            ? detailed
            : [...(stringList(raw.diffReasons) ?? []), ...(stringList(raw.replaceReasons) ?? [])];
        const seen = byUrn.get(raw.urn);
        if (!seen) {
            byUrn.set(raw.urn, {
                change,
                urn: raw.urn,
                type,
                name: urn.name,
                parentUrn: neu?.parent ?? old?.parent,
                old,
                new: neu,
                keys,
            });
            continue;
        }
        // With --show-replacement-steps (or in the event stream) one replacement arrives as several steps.
        if (seen.change !== change) seen.change = "replace";
        seen.old ??= old;
        seen.new ??= neu;
        seen.keys.push(...keys);
    }
    return { steps: [...byUrn.values()], root };
}
