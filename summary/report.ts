/**
 * The registration summary of one stack's preview as Markdown: a heading with the counts, a stop sign first
 * when a cluster Secret is deleted or replaced, the warnings, the clusters added, removed and changed, and
 * the stack-level changes; the whole text passed through the last-pass redaction.
 */
import { ARGOCD_PROVIDER_NAME, IDENTITY_RESOURCE_NAME, LEGACY_ARGOCD_PROVIDER_NAME, PROJECT } from "../argocd/names";
import { summarizeCluster } from "./clusterChange";
import { changeLine } from "./markdown";
import type { PreviewDigest } from "./previewDigest";
import { withoutCredentials } from "./redaction";
import { type Kind, KUBERNETES_PROVIDER_TYPE, registrationOf } from "./registrationParts";
import { collectSteps, parseUrn, type Step } from "./resourceSteps";
import { desiredClusters, registeredClusters, type Sources } from "./stackClusters";

const ARGOCD_PROVIDER_NAMES = [ARGOCD_PROVIDER_NAME, LEGACY_ARGOCD_PROVIDER_NAME];

export interface SummaryOptions {
    /** Stack name for the heading; default: the stack named in the steps' URNs. */
    stack?: string;
}

/** The Markdown summary of one stack's preview. */
export function summarizePreview(digest: PreviewDigest, options: SummaryOptions = {}): string {
    const { steps, root } = collectSteps(digest);
    const firstUrn = (digest.steps ?? []).map((s) => parseUrn(s.urn)).find((u) => u !== undefined);
    const stack = options.stack ?? firstUrn?.stack ?? "stack";
    const sources: Sources = {
        desired: desiredClusters(digest, firstUrn?.project ?? PROJECT),
        registered: registeredClusters(root ?? undefined),
    };

    const byCluster = new Map<string, Step[]>();
    const others: Step[] = [];
    const identityNotes: string[] = [];
    for (const step of steps) {
        const key = registrationOf(step);
        if (key !== undefined) byCluster.set(key, [...(byCluster.get(key) ?? []), step]);
        else if (isIdentity(step)) identityNotes.push(...identityNote(step, sources.registered.size > 0));
        // A provider comes and goes with its resources (a first run creates the default random provider):
        // only a change to an existing one tells the reviewer something.
        else if (!(step.type.startsWith("pulumi:providers:") && (step.change === "create" || step.change === "delete")))
            others.push(step);
    }
    const clusters = [...byCluster.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, clusterSteps]) => summarizeCluster(key, clusterSteps, sources));

    const warnings = [...identityNotes, ...clusters.flatMap((c) => c.warnings)];
    const errors = (digest.diagnostics ?? []).filter((d) => d?.severity === "error").length;
    // Diagnostics are counted, not quoted: their text is free-form and may carry anything.
    if (errors)
        warnings.unshift(
            `the preview reported ${errors} error(s): this summary shows only what was planned; see the full preview`,
        );
    if (digest.maybeCorrupt) warnings.unshift("the engine reports the state may be corrupt");

    const heading = `**${stack.replace(/[*`\r\n]/g, "")}**`;
    if (clusters.length === 0 && others.length === 0 && warnings.length === 0)
        return withoutCredentials(`${heading}: no changes.\n`, digest);

    const counts = (["added", "removed", "changed"] as Kind[])
        .map((kind) => [kind, clusters.filter((c) => c.kind === kind).length] as const)
        .filter(([, n]) => n > 0)
        .map(([kind, n], i) => (i === 0 ? `${n} ${n === 1 ? "cluster" : "clusters"} ${kind}` : `${n} ${kind}`));
    const lines = [`${heading}: ${counts.length ? counts.join(", ") : "no cluster changes"}`];
    const lost = clusters.filter((c) => c.secretLoss);
    if (lost.length) {
        // First, before anything else: a deleted or replaced cluster Secret is Argo CD losing a cluster.
        const n = lost.length === 1 ? "1 cluster Secret" : `${lost.length} cluster Secrets`;
        lines.push(
            "",
            `🛑 **${n} deleted or replaced: Argo CD loses ${lost.length === 1 ? "this cluster" : "these clusters"} ` +
                "unless this is intended.** " +
                lost.map((c) => `${c.title} ${c.secretLoss}`).join("; ") +
                ".",
        );
        if (lost.some((c) => c.secretLoss === "replaced")) {
            lines.push(
                "A replacement deletes the cluster Secret, then writes it again: Argo CD loses the cluster meanwhile, and an " +
                    "ApplicationSet's cluster generator may delete the Applications it made for it. Look for a changed `argocd.name` or `argocd.namespace`.",
            );
        }
    }
    if (warnings.length) lines.push("", "Warnings:", ...warnings.map((w) => `- ⚠️ ${w}`));
    for (const [kind, title] of [
        ["added", "Added"],
        ["removed", "Removed"],
        ["changed", "Changed"],
    ] as const) {
        const group = clusters.filter((c) => c.kind === kind);
        if (!group.length) continue;
        lines.push("", `${title}:`);
        for (const c of group) {
            if (kind === "changed") lines.push(`- ${c.title}`, ...c.details.map((d) => `  - ${d}`));
            else lines.push(`- ${c.title}${c.details.length ? `: ${c.details.join("; ")}` : ""}`);
        }
    }
    if (others.length) {
        lines.push("", "Other:");
        for (const s of others) {
            const argocdProvider = s.type === KUBERNETES_PROVIDER_TYPE && ARGOCD_PROVIDER_NAMES.includes(s.name);
            lines.push(`- ${changeLine(argocdProvider ? "Pulumi's provider for the Argo CD cluster" : undefined, s)}`);
        }
    }
    return withoutCredentials(`${lines.join("\n")}\n`, digest);
}

const RANDOM_ID_TYPE = "random:index/randomId:RandomId";

/** The stack's deployment identity (components/identity.ts), a child of no registration: by its type and name. */
function isIdentity(step: Step): boolean {
    return step.type === RANDOM_ID_TYPE && step.name === IDENTITY_RESOURCE_NAME;
}

/**
 * What reviewers must know about a change of the deployment identity. A new stack's first one is nothing to
 * say; a stack that has registrations gets one once, on upgrading, and every object it manages is updated to
 * carry it; losing or replacing it disowns them all.
 */
function identityNote(step: Step, registered: boolean): string[] {
    if (step.change === "create" && registered)
        return [
            "this stack gets its deployment identity (`argocd-clusters/owner`): every object it manages is updated once " +
                "to carry it, in place (no token is replaced, no cluster Secret is deleted); from then on, only objects " +
                "carrying it are this stack's to change or delete (docs/ownership.md)",
        ];
    if (step.change === "delete" || step.change === "replace")
        return [
            `the deployment identity is ${step.change === "delete" ? "deleted" : "replaced"}: every object of this stack ` +
                "would stop being provably its own, and later runs would refuse them (docs/ownership.md)",
        ];
    return [];
}
