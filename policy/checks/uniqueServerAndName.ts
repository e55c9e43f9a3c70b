/**
 * unique-cluster-server-and-name (stack): no two cluster Secrets of the stack register the same API server (in
 * any spelling apiServerKey takes for one, as validation does: argocd/serverKey.ts) or the same name, which
 * Argo CD and Applications look clusters up by.
 */
import { apiServerKey } from "../../argocd/serverKey";
import { CLUSTERS_KEY, objectName } from "../messages";
import { isClusterSecret } from "../registration";
import { type Resource, secretField, type Violation } from "../resource";
import { stackFile } from "../stacks";

export function checkUniqueRegistrations(resources: Resource[]): Violation[] {
    const why: Record<string, string> = {
        server: "Argo CD looks clusters up by server URL and would use either one",
        name: "Applications address clusters by name (destination.name) and would reach either one",
    };
    const violations: Violation[] = [];
    for (const key of ["server", "name"]) {
        const first = new Map<string, Resource>();
        for (const secret of resources.filter(isClusterSecret)) {
            const value = secretField(secret.props, key);
            if (typeof value !== "string") continue;
            const seen = key === "server" ? apiServerKey(value) : value;
            const earlier = first.get(seen);
            if (!earlier) {
                first.set(seen, secret);
                continue;
            }
            violations.push({
                urn: secret.urn,
                message:
                    `${objectName("cluster Secret", secret)} and ${objectName("cluster Secret", earlier)} both ` +
                    `register ${key} ${JSON.stringify(value)}: ${why[key]}. Fix: keep one entry per ${key} in ` +
                    `${CLUSTERS_KEY} of ${stackFile(secret.urn)}.`,
            });
        }
    }
    return violations;
}
