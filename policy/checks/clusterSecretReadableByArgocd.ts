/**
 * cluster-secret-readable-by-argocd (stack): every registration's cluster Secret is where and what Argo CD
 * reads: labelled secret-type=cluster, in the namespace its registration records as Argo CD's, with a config of
 * Argo CD's shape. The namespace compared against is the one the program passed to the registration from
 * `argocd-clusters:argocd` (the pack cannot read config): this catches a Secret written elsewhere, not a wrong
 * value in the stack file.
 */
import { SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL } from "../../argocd/names";
import { type ClusterConfig, parseClusterConfig } from "../argocdConfig";
import { ARGOCD_KEY, objectName } from "../messages";
import { isClusterSecret, registrationOf } from "../registration";
import { get, type Resource, secretField, UNKNOWN, type Violation } from "../resource";
import { stackFile } from "../stacks";

export function checkClusterSecrets(resources: Resource[]): Violation[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: Violation[] = [];
    for (const secret of resources.filter(isClusterSecret)) {
        const what = `${objectName("cluster Secret", secret)} of registration ${registrationOf(secret)}`;
        const programFix =
            "this is written by the ClusterRegistration component, not by stack config: fix the program " +
            "(or the transformation that changed the Secret)";
        const add = (problem: string, fix: string) =>
            violations.push({ urn: secret.urn, message: `${what} ${problem}. Fix: ${fix}.` });

        const label = get(secret.props, "metadata", "labels", SECRET_TYPE_LABEL);
        if (label !== UNKNOWN && label !== SECRET_TYPE_CLUSTER) {
            const found =
                label === undefined
                    ? "lacks the label"
                    : `has label ${SECRET_TYPE_LABEL}: ${JSON.stringify(label)}, not`;
            add(`${found} ${SECRET_TYPE_LABEL}: ${SECRET_TYPE_CLUSTER}, so Argo CD ignores it`, programFix);
        }

        const namespace = get(secret.props, "metadata", "namespace");
        const argocdNamespace = get(byUrn.get(secret.parent ?? "")?.props, "argocdNamespace");
        if (typeof namespace === "string" && typeof argocdNamespace === "string" && namespace !== argocdNamespace) {
            add(
                `is in namespace "${namespace}", but its registration was configured with Argo CD in "${argocdNamespace}" ` +
                    `(${ARGOCD_KEY}.namespace); Argo CD reads cluster Secrets only from its own namespace`,
                `write the Secret to "${argocdNamespace}" (${programFix}); if Argo CD runs elsewhere, set ${ARGOCD_KEY}.namespace ` +
                    `in ${stackFile(secret.urn)} to that namespace`,
            );
        }

        const config = secretField(secret.props, "config");
        if (config === UNKNOWN) continue; // holds the token: unknown in a preview until the token exists
        const parsed = config === undefined ? "is missing" : parseClusterConfig(config);
        const problems = typeof parsed === "string" ? [parsed] : configProblems(parsed);
        for (const problem of problems) add(`has a config key that ${problem}`, programFix);
    }
    return violations;
}

/** What is wrong with a config Argo CD decoded, measured against what it needs to connect; empty when nothing. */
function configProblems(config: ClusterConfig): string[] {
    const problems: string[] = [];
    const nonEmpty = (v: string | undefined) => v !== undefined && v !== "";
    const tls = config.tlsClientConfig;
    const authenticated =
        nonEmpty(config.bearerToken) ||
        (nonEmpty(config.username) && nonEmpty(config.password)) ||
        (nonEmpty(tls?.certData) && nonEmpty(tls?.keyData)) ||
        config.awsAuthConfig === true ||
        config.execProviderConfig === true;
    if (!authenticated) {
        problems.push(
            "has no credentials (bearerToken, username and password, tlsClientConfig certData and keyData, " +
                "awsAuthConfig or execProviderConfig): Argo CD would connect anonymously",
        );
    }
    if (!tls) problems.push("has no tlsClientConfig object");
    return problems;
}
