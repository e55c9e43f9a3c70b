/**
 * token-secret-of-registration-service-account (stack): each token Secret names, in
 * kubernetes.io/service-account.name, a ServiceAccount of the same registration in its own namespace through
 * the same provider. Otherwise the token controller never fills it (up waits, then fails) or it mints a token
 * for an account the registration did not grant anything.
 */
import { SERVICE_ACCOUNT_NAME_ANNOTATION } from "../../argocd/names";
import { objectName } from "../messages";
import { isTokenSecret, registrationOf, SERVICE_ACCOUNT_TYPE } from "../registration";
import { get, type Resource, UNKNOWN, type Violation } from "../resource";

export function checkTokenSecrets(resources: Resource[]): Violation[] {
    const accounts = resources.filter((r) => r.type === SERVICE_ACCOUNT_TYPE);
    const violations: Violation[] = [];
    for (const token of resources.filter(isTokenSecret)) {
        const account = get(token.props, "metadata", "annotations", SERVICE_ACCOUNT_NAME_ANNOTATION);
        const namespace = get(token.props, "metadata", "namespace");
        if (account === UNKNOWN || namespace === UNKNOWN) continue;
        const candidates = accounts.filter((a) => a.parent === token.parent && a.provider === token.provider);
        const matches = (a: Resource) => {
            const name = get(a.props, "metadata", "name");
            const ns = get(a.props, "metadata", "namespace");
            return name === UNKNOWN || ns === UNKNOWN || (name === account && ns === namespace);
        };
        if (typeof account === "string" && candidates.some(matches)) continue;
        const named =
            typeof account === "string"
                ? `names ServiceAccount "${account}" (annotation ${SERVICE_ACCOUNT_NAME_ANNOTATION}), which registration ` +
                  `${registrationOf(token)} does not create in namespace "${String(namespace)}" through the same provider`
                : `has no annotation ${SERVICE_ACCOUNT_NAME_ANNOTATION}`;
        violations.push({
            urn: token.urn,
            message:
                `token ${objectName("Secret", token)} ${named}: the token controller would never fill it, or would ` +
                "issue a token for an account Argo CD was not granted. Fix: the token Secret must take its account's name " +
                "and namespace from the registration's ServiceAccount (createTokenSecret in components/managerAccess.ts); " +
                "no stack config changes this.",
        });
    }
    return violations;
}
