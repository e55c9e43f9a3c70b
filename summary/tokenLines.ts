/**
 * What a registration's change does to its token's lifetime, from the cluster Secret's token annotations (the
 * token kinds' contract, issue 12), which are plain in a preview while the token itself is secret: whether this
 * run renews a bound token and when the new and the old one expire, when a secret-kind token next rotates, and
 * a change of kind. A bound token's new expiry is known only once `up` asks for it: the preview shows it as
 * unknown, which is itself the sign that this run renews it.
 */
import {
    TOKEN_EXPIRES_AT_ANNOTATION,
    TOKEN_KIND_ANNOTATION,
    TOKEN_RENEWS_AT_ANNOTATION,
    TOKEN_ROTATES_AT_ANNOTATION,
} from "../argocd/names";
import { at, hidden, plainString } from "./engineValues";
import { md } from "./markdown";
import type { Kind } from "./registrationParts";
import type { Step } from "./resourceSteps";

export interface TokenLines {
    details: string[];
    warnings: string[];
    /** This run issues a new bound token: the cluster Secret's config changes for that reason. */
    renewed: boolean;
    /** When the token Argo CD holds after this run is next rotated (secret kind with rotateEvery). */
    nextRotation?: string;
}

/** An annotation of one side of the cluster Secret: its text, "unknown" until `up`, or absent. */
function annotation(step: Step | undefined, side: "old" | "new", key: string): string | "unknown" | undefined {
    const value = at(step?.[side]?.inputs, "metadata", "annotations", key);
    if (value === undefined) return undefined;
    return hidden(value) ? "unknown" : plainString(value);
}

export function tokenLines(kind: Kind, secret: Step | undefined, label: string): TokenLines {
    const result: TokenLines = { details: [], warnings: [], renewed: false };
    if (kind === "removed" || !secret) return result;
    const before = (key: string) => (kind === "added" ? undefined : annotation(secret, "old", key));
    const after = (key: string) => annotation(secret, "new", key);

    const oldKind = before(TOKEN_KIND_ANNOTATION);
    const newKind = after(TOKEN_KIND_ANNOTATION);
    if (oldKind !== undefined && newKind !== undefined && oldKind !== newKind) {
        result.details.push(`token kind: ${md(oldKind)} → ${md(newKind)}`);
        // A token that expired on its own becomes one that lives until it is rotated or revoked: say it loudly.
        if (oldKind === "bound" && newKind === "secret")
            result.warnings.push(
                `${label}'s token becomes long-lived (kind bound → secret): a stolen token then works until it is rotated or its ServiceAccount deleted`,
            );
    }

    const expires = after(TOKEN_EXPIRES_AT_ANNOTATION);
    const renews = after(TOKEN_RENEWS_AT_ANNOTATION);
    const known = (time: string | undefined): time is string => time !== undefined && time !== "unknown";
    if (newKind === "bound" || expires !== undefined) {
        const oldExpires = before(TOKEN_EXPIRES_AT_ANNOTATION);
        const schedule = known(expires)
            ? `expires ${md(expires)}${known(renews) ? `, renewed from ${md(renews)}` : ""}`
            : "expires one lifetime after `up` issues it";
        if (kind === "added") {
            result.details.push(`token: bound, ${schedule}`);
        } else if (
            expires === "unknown" ||
            (oldExpires !== undefined && expires !== oldExpires) ||
            // Becoming bound: the long-lived token is replaced by a bound one.
            (newKind === "bound" && oldKind !== "bound")
        ) {
            result.renewed = true;
            const old =
                oldExpires === undefined || oldExpires === "unknown"
                    ? ""
                    : `; the old one is revoked once Argo CD holds the new one (its bound object is deleted), and expires at ${md(oldExpires)} at the latest`;
            result.details.push(`token renewed (bound): the new token ${schedule}${old}`);
        }
    }

    const rotates = after(TOKEN_ROTATES_AT_ANNOTATION);
    if (rotates !== undefined && rotates !== "unknown") result.nextRotation = rotates;
    if (kind === "added" && newKind === "secret" && result.nextRotation)
        result.details.push(`token: secret, rotated from ${md(result.nextRotation)}`);
    return result;
}
