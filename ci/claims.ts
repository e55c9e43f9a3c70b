/**
 * The repository's stack files checked against each other, in the pipelines' stack-listing step (ci/stacks.ts),
 * so a pull request in which two stacks sharing one Argo CD register the same API server (in any spelling
 * apiServerKey takes for one, argocd/serverKey.ts), or the same Argo CD name, fails before any preview runs. The program checks the live cluster Secrets too (components/claims.ts),
 * but a read-only previewer may not list Secrets, and a clash between two files of one pull request exists
 * nowhere live yet.
 *
 * Two stacks share one Argo CD when their `argocd-clusters:argocd` has the same `name` (the Argo CD cluster's
 * identity in the program, argocd/names.ts argocdClusterIdentifier) and the same `namespace` (one Argo CD per
 * namespace; each reads the cluster Secrets of its own). Both default as the program defaults them. Stacks on
 * different Argo CD clusters that keep the default name are therefore checked as one: that fails closed, and
 * their fix is a distinct argocd.name. Entries are read as written, without the program's validation: an entry
 * without a server or name is the preview's to refuse. An entry with `retire: true` claims nothing.
 */
import { DEFAULT_ARGOCD_NAME, DEFAULT_ARGOCD_NAMESPACE, PROJECT } from "../argocd/names";
import { apiServerKey } from "../argocd/serverKey";

/** A stack file's `config:` block, as YAML loads it. */
export type StackConfig = Record<string, unknown>;

interface Entry {
    stack: string;
    index: number;
    name?: string;
    server?: string;
}

function text(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/** Which Argo CD a stack writes its cluster Secrets to, as `name` in `namespace`. */
function argocdOf(config: StackConfig): string {
    const argocd = (config[`${PROJECT}:argocd`] ?? {}) as Record<string, unknown>;
    const name = text(argocd?.name) ?? DEFAULT_ARGOCD_NAME;
    const namespace = text(argocd?.namespace) ?? DEFAULT_ARGOCD_NAMESPACE;
    return `argocd.name ${name}, namespace ${namespace}`;
}

function entriesOf(stack: string, config: StackConfig): Entry[] {
    const clusters = config[`${PROJECT}:clusters`];
    if (!Array.isArray(clusters)) return [];
    return clusters.flatMap((c, index) => {
        const entry = (c ?? {}) as Record<string, unknown>;
        // A retired entry claims nothing: the program removes its registration (and registers nothing for it), so
        // the cluster may already be listed in the stack it moves to. Only a literal true: anything else the
        // program's validation refuses, and it keeps claiming here (fail closed).
        if (entry.retire === true) return [];
        return [{ stack, index, name: text(entry.name), server: text(entry.server) }];
    });
}

const at = (e: Entry) => `Pulumi.${e.stack}.yaml: ${PROJECT}:clusters[${e.index}]`;

/**
 * One line per clash between two stacks that share an Argo CD: the same server, or the same Argo CD name for
 * another server. Clashes within one stack are the program's validation's.
 */
export function claimClashes(stacks: { stack: string; config: StackConfig }[]): string[] {
    const byArgocd = new Map<string, Entry[]>();
    for (const { stack, config } of stacks) {
        const key = argocdOf(config);
        byArgocd.set(key, [...(byArgocd.get(key) ?? []), ...entriesOf(stack, config)]);
    }
    const problems: string[] = [];
    for (const [argocd, entries] of byArgocd) {
        entries.forEach((e, i) => {
            for (const other of entries.slice(i + 1)) {
                if (other.stack === e.stack) continue;
                const shared = `stacks ${e.stack} and ${other.stack} share one Argo CD (${argocd})`;
                if (e.server && other.server && apiServerKey(e.server) === apiServerKey(other.server)) {
                    problems.push(
                        `${at(other)}.server: ${other.server} is also registered by ${at(e)}; ${shared}, where a cluster ` +
                            `belongs to one stack. Fix: keep it in one of the two stack files (to move it, remove it ` +
                            `from one and up that stack first); stacks on different Argo CD clusters need distinct argocd.name`,
                    );
                } else if (e.name && e.name === other.name) {
                    problems.push(
                        `${at(other)}.name: Argo CD name "${other.name}" is also ${at(e)}'s, for another server; ${shared}, ` +
                            `where Applications by destination name need one cluster per name. Fix: rename one of them`,
                    );
                }
            }
        });
    }
    return problems;
}
