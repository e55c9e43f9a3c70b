/**
 * tls-verified-in-production and tls-verified (resource): a cluster Secret's config does not turn TLS
 * verification off, read as Argo CD reads it. One check, two policies: policies.ts refuses it in production
 * and only reports it elsewhere.
 */
import { parseClusterConfig } from "../argocdConfig";
import { entryOf, objectName } from "../messages";
import { isClusterSecret } from "../registration";
import { type Resource, secretField } from "../resource";
import { stackFile } from "../stacks";
import { stackOf } from "../urn";

/**
 * The message, or undefined when TLS is verified or the config is unknown (in a preview of a new registration;
 * `up` checks it before the Secret is written).
 */
export function checkTlsVerified(r: Resource): string | undefined {
    if (!isClusterSecret(r)) return undefined;
    const config = secretField(r.props, "config");
    if (typeof config !== "string") return undefined;
    // Read as Argo CD reads it: {"tlsClientConfig":{"Insecure":true}} is insecure too.
    const parsed = parseClusterConfig(config);
    if (typeof parsed === "string" || parsed.tlsClientConfig?.insecure !== true) return undefined;
    return (
        `${objectName("cluster Secret", r)} in stack "${stackOf(r.urn)}" turns TLS verification off ` +
        "(config tlsClientConfig.insecure: true): Argo CD would hand its token to anyone between it and the API server. " +
        `Fix: in ${stackFile(r.urn)}, remove tls.insecure from ${entryOf(r)}; TLS is then verified against the ` +
        "target's own CA, or against tls.caData if the API server's certificate is issued by another CA."
    );
}
