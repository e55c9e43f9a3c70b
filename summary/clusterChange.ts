/**
 * What one registration's change means to Argo CD and to the reviewer: added, removed or changed, under the
 * cluster's name and server, with its rights, token rotation, rename, TLS, labels, whatever else changed (by
 * key name only) and the opt-ins (adopt, retire) a reviewer must see, plus the warnings it raises.
 *
 * The cluster Secret's whole `stringData` is secret, so a real preview shows neither the cluster's name nor
 * its TLS settings there. They are taken from what is plain instead: the stack's config (the desired
 * clusters), the last `up`'s stack outputs (`registrations`), each target provider's `clusterIdentifier`, the
 * RBAC objects' rules and the cluster Secret's labels. When the Secret is readable (hand-built input, another
 * tool) it is used first.
 */
import {
    ARGOCD_KUBERNETES_VERSION_LABEL,
    MANAGED_BY_LABEL,
    PART_OF_LABEL,
    PATCH_FIELD_MANAGER_ANNOTATION,
    SECRET_TYPE_LABEL,
} from "../argocd/names";
import { secretView } from "./clusterSecretView";
import { at, plainString } from "./engineValues";
import { changeLine, keyText, md } from "./markdown";
import { BOUND_TOKEN_PARTS, type Kind, type Part, partOf, RBAC_PARTS } from "./registrationParts";
import type { Step } from "./resourceSteps";
import { rightsLines } from "./rightsLines";
import type { DesiredCluster, Sources } from "./stackClusters";
import { tokenLines } from "./tokenLines";

/** Labels this program writes itself; the summary reports only the user's. */
const OWN_LABELS = [SECRET_TYPE_LABEL, MANAGED_BY_LABEL, PART_OF_LABEL, ARGOCD_KUBERNETES_VERSION_LABEL];

export interface ClusterSummary {
    kind: Kind;
    title: string;
    /** Set when this plan deletes or replaces the cluster Secret: the one change a reviewer must never miss. */
    secretLoss?: "deleted" | "replaced";
    details: string[];
    warnings: string[];
}

/** One registration's change, from its steps (keyed by cluster Secret name) and what the stack says of it. */
export function summarizeCluster(key: string, steps: Step[], sources: Sources): ClusterSummary {
    const find = (part: Part) => steps.find((s) => partOf(s) === part);
    const secret = find("clusterSecret");
    const component = find("component");
    const provider = find("provider");
    // Argo CD knows a cluster by its Secret: created is added, deleted is removed, anything else a change.
    const anchor = secret ?? component;
    const kind: Kind = anchor?.change === "create" ? "added" : anchor?.change === "delete" ? "removed" : "changed";

    const before = kind === "added" ? {} : secretView(secret?.old);
    const after = kind === "removed" ? {} : secretView(secret?.new);
    const desired = kind === "removed" ? undefined : sources.desired.get(key);
    const registered = kind === "added" ? undefined : sources.registered.get(key);

    const oldName = before.name ?? registered?.name;
    const newName = after.name ?? desired?.name;
    const name = kind === "removed" ? oldName : (newName ?? oldName);
    const server =
        after.server ??
        before.server ??
        desired?.server ??
        registered?.server ??
        plainString(at(component?.old, "outputs", "server")) ??
        plainString(at(provider?.new ?? provider?.old, "inputs", "clusterIdentifier"));
    const title = name && server ? `${md(name)} (${md(server)})` : md(name ?? server ?? key);
    const label = md(name ?? server ?? key);

    const details: string[] = [];
    const warnings: string[] = [];
    const explained = new Set<string>();

    // Rights
    const rights = rightsLines(kind, steps, label);
    details.push(...rights.details);
    warnings.push(...rights.warnings);
    // The Secret's namespaces and clusterResources follow the roles; the rights lines say what they mean.
    if (rights.touched) explained.add("namespaces").add("clusterResources");

    // Argo CD's own scoping, when the Secret is readable.
    if (
        kind === "changed" &&
        before.namespaces !== undefined &&
        after.namespaces !== undefined &&
        before.namespaces.join(",") !== after.namespaces.join(",")
    ) {
        details.push(
            `Argo CD namespaces: [${before.namespaces.map(md).join(", ")}] → [${after.namespaces.map(md).join(", ")}]`,
        );
    }
    if (
        kind === "changed" &&
        before.clusterResources !== undefined &&
        after.clusterResources !== undefined &&
        before.clusterResources !== after.clusterResources
    ) {
        details.push(`Argo CD clusterResources: ${before.clusterResources} → ${after.clusterResources}`);
    }

    // Token
    const suffix = find("tokenSuffix");
    const rotated = kind === "changed" && (suffix?.change === "replace" || find("token")?.change === "replace");
    const token = tokenLines(kind, secret, label);
    if (rotated) {
        const keeper = (key: string) =>
            [suffix?.old, suffix?.new].map((s) => plainString(at(s, "inputs", "keepers", key)));
        const [from, to] = keeper("tokenRotation");
        // With rotateEvery the keeper also holds the issue time (components/tokenSchedule.ts).
        const [issuedBefore, issuedNow] = keeper("issuedAt");
        const why =
            from !== undefined && to !== undefined && from !== to
                ? ` (tokenRotation ${md(from)} → ${md(to)})`
                : issuedBefore !== undefined && issuedNow !== undefined && issuedBefore !== issuedNow
                  ? ` (scheduled: the token issued ${md(issuedBefore)} is rotateEvery old)`
                  : issuedBefore === undefined && issuedNow !== undefined
                    ? // No issue time recorded (tokenSchedule.ts renewal "first"): the clock starts with a new token.
                      " (rotateEvery newly set: the current token's age is unknown, so the schedule starts with a new one)"
                    : issuedBefore !== undefined && issuedNow === undefined
                      ? ` (rotateEvery removed: the token issued ${md(issuedBefore)} is replaced by one without a schedule)`
                      : "";
        details.push(`token rotated${why}`);
        // On a line of its own: the line above is what people (and scripts) already match.
        if (token.nextRotation) details.push(`next token rotation from ${md(token.nextRotation)}`);
    }
    details.push(...token.details);
    warnings.push(...token.warnings);
    if (rotated || token.renewed) {
        // The new token is in the config, and the whole stringData when the token is not known yet.
        explained.add("config").add("contents");
    }
    // The token's times move with it (argocd/names.ts), and a Secret of an earlier release gets the field manager
    // it is applied under named once (components/fieldManager.ts); other annotations still show.
    const annotations = secret?.keys.filter((k) => /^metadata\.annotations\b/.test(k)) ?? [];
    const managerNamed = annotations.some((k) => k.includes(PATCH_FIELD_MANAGER_ANNOTATION));
    if (kind === "changed" && managerNamed)
        details.push(`names the field manager it is applied under (${md(PATCH_FIELD_MANAGER_ANNOTATION)})`);
    const tokenTimes = (k: string) => (rotated || token.renewed) && /token-/.test(k);
    if (annotations.length > 0 && annotations.every((k) => tokenTimes(k) || k.includes(PATCH_FIELD_MANAGER_ANNOTATION)))
        explained.add("annotations");

    // Rename
    if (kind === "changed" && oldName && newName && oldName !== newName) {
        details.push(`renamed: ${md(oldName)} → ${md(newName)}`);
        explained.add("name");
    }

    // TLS: compared when the Secret is readable; otherwise what the config now asks for.
    const tlsBefore = before.tls;
    const tlsAfter = after.tls;
    let insecureNow: boolean | undefined = tlsAfter?.insecure ?? desired?.insecure;
    if (kind === "changed" && tlsBefore && tlsAfter) {
        const changes: string[] = [];
        if (tlsBefore.insecure !== tlsAfter.insecure)
            changes.push(`insecure ${tlsBefore.insecure} → ${tlsAfter.insecure}`);
        if (tlsBefore.serverName !== tlsAfter.serverName) {
            const show = (v: string | undefined) => (v === undefined ? "unset" : md(v));
            changes.push(`serverName ${show(tlsBefore.serverName)} → ${show(tlsAfter.serverName)}`);
        }
        if (tlsBefore.caData !== tlsAfter.caData) {
            changes.push(
                tlsBefore.caData === undefined
                    ? "CA added"
                    : tlsAfter.caData === undefined
                      ? "CA removed"
                      : "CA changed",
            );
        }
        if (changes.length) {
            details.push(`TLS: ${changes.join(", ")}`);
            explained.add("config");
        }
    } else if (kind === "added") {
        const tls = tlsAfter ?? (desired ? { insecure: desired.insecure, serverName: desired.serverName } : undefined);
        const notes = [
            tls?.insecure ? "insecure (not verified)" : undefined,
            tls?.serverName ? `serverName ${md(tls.serverName)}` : undefined,
            !tlsAfter && desired?.ownCa ? "CA from config" : undefined,
        ].filter((n) => n !== undefined);
        if (notes.length) details.push(`TLS: ${notes.join(", ")}`);
    }
    if (kind === "removed") insecureNow = undefined;
    if (insecureNow) warnings.push(`${label} has TLS verification disabled (insecure)`);

    // Labels
    const labelsBefore = before.labels;
    const labelsAfter = after.labels ?? (kind === "added" ? desired?.labels : undefined);
    if (kind === "added" && labelsAfter) {
        const own = Object.entries(labelsAfter).filter(([k]) => !OWN_LABELS.includes(k));
        if (own.length) details.push(`labels: ${own.map(([k, v]) => md(`${k}=${v}`)).join(", ")}`);
    } else if (kind === "changed" && labelsBefore && labelsAfter) {
        const text = labelChanges(labelsBefore, labelsAfter);
        if (text) details.push(`labels: ${text}`);
    }
    if (labelsBefore && labelsAfter) explained.add("labels");

    // Whatever else changed in the cluster Secret, by key name only.
    if (kind === "changed" && secret) {
        const other = [...new Set(secret.keys.map(secretKeyName))]
            .filter((k) => !explained.has(k))
            .sort()
            .map(keyText);
        if (other.includes("config")) {
            // Argo CD's connection config is secret as a whole: say what it is and what the stack now asks for.
            other.splice(other.indexOf("config"), 1);
            details.push(
                `connection config changed (TLS, proxy or compression; the values are secret)${desired ? `; stack config now: ${tlsWords(desired)}` : ""}`,
            );
        }
        if (secret.change === "replace")
            details.push(`cluster Secret replaced${other.length ? ` (${other.join(", ")})` : ""}`);
        else if (other.length) details.push(`cluster Secret changes: ${other.join(", ")}`);
    }

    // The rest: target objects and the provider, by kind and key names.
    if (kind === "changed") {
        const rest = steps.filter((s) => {
            const part = partOf(s);
            if (part === "clusterSecret" || part === "component") return false;
            if (rotated && (part === "token" || part === "tokenSuffix")) return false;
            // The bound token's suffix, object and TokenRequest are the renewal the token line explains.
            if (token.renewed && BOUND_TOKEN_PARTS.includes(part)) return false;
            if (RBAC_PARTS.includes(part) && s.change !== "update" && s.change !== "replace") return false;
            if (
                (part === "clusterRole" || part === "role") &&
                s.keys.every((k) => k === "rules" || k.startsWith("rules["))
            )
                return false;
            return true;
        });
        for (const s of rest)
            details.push(changeLine(partOf(s) === "provider" ? "Pulumi's provider for the target" : undefined, s));
    }

    // Opt-ins a reviewer must see: a takeover of the CLI's objects (what it deletes, what it leaves), a name that
    // moves its Applications to another server, a removal past the Applications check.
    if (kind !== "removed" && desired?.adopt) {
        details.push(
            "adopts what `argocd cluster add` left (adopt: true): its account, role and binding, and its cluster Secret in place; " +
                "deletes only the CLI's own role and binding beyond the entry's rights, never a binding the CLI did not make",
        );
        if (desired.revokeCliToken) {
            const secret = md(`${desired.systemNamespace}/${desired.revokeCliToken}`);
            details.push(`then revokes the CLI's token: deletes its token Secret ${secret} (revokeCliToken)`);
            warnings.push(
                `${label}: revokeCliToken deletes the token Secret ${secret} once Argo CD holds the new token: ` +
                    "every other Argo CD that holds the CLI's token for this cluster loses it",
            );
        } else {
            details.push(
                "the CLI's token stays valid, with the rights the stack now grants (revokeCliToken not set): " +
                    "name its token Secret in revokeCliToken to revoke it",
            );
        }
    }
    if (kind !== "removed" && desired?.nameMovedFrom) {
        warnings.push(
            `${label}: Applications that deploy by its name move here from ${md(desired.nameMovedFrom)} (nameMovedFrom)`,
        );
    }
    if (kind === "removed" && sources.desired.get(key)?.retire) {
        details.push("retired (retire: true): removed even if Argo CD Applications still deploy to it");
    }
    if (kind === "removed" && secret?.change === "delete") {
        warnings.push(
            `${label} loses its last registration: Argo CD forgets the cluster, and Applications deploying to it fail`,
        );
    }
    const secretLoss = secret?.change === "delete" ? "deleted" : secret?.change === "replace" ? "replaced" : undefined;
    return { kind, title, details, warnings, secretLoss };
}

function tlsWords(desired: DesiredCluster): string {
    if (desired.insecure) return "TLS insecure";
    const how = desired.ownCa ? "TLS verified with the configured CA" : "TLS verified";
    return desired.serverName ? `${how}, serverName ${md(desired.serverName)}` : how;
}

/** `data.config` → config; `metadata.labels.tier` → labels. Key names, never values. */
function secretKeyName(path: string): string {
    const [top, second] = path.split(/[.[]/, 2);
    if (top === "stringData" || top === "data") return second ? second.replace(/["\]]/g, "") : "contents";
    return top === "metadata" && second ? second : top;
}

function labelChanges(before: Record<string, string>, after: Record<string, string>): string {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(after)) {
        if (!(k in before)) parts.push(`+${md(`${k}=${v}`)}`);
        else if (before[k] !== v) parts.push(`${md(k)}: ${md(before[k])} → ${md(v)}`);
    }
    for (const k of Object.keys(before)) if (!(k in after)) parts.push(`-${md(k)}`);
    return parts.join(", ");
}
