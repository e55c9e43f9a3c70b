/**
 * environment-label-is-stack (resource): the cluster Secret's `environment` label is its stack's name (from
 * the URN), which ApplicationSet cluster generators select on.
 */
import { ENVIRONMENT_LABEL } from "../../argocd/names";
import { entryOf, objectName } from "../messages";
import { isClusterSecret } from "../registration";
import { get, type Resource, UNKNOWN } from "../resource";
import { stackFile } from "../stacks";
import { stackOf } from "../urn";

export function checkEnvironmentLabel(r: Resource): string | undefined {
    if (!isClusterSecret(r)) return undefined;
    const stack = stackOf(r.urn);
    const label = get(r.props, "metadata", "labels", ENVIRONMENT_LABEL);
    if (label === UNKNOWN || label === stack) return undefined;
    const found = label === undefined ? "has no label environment" : `has label environment: ${JSON.stringify(label)}`;
    return (
        `${objectName("cluster Secret", r)} ${found}, but belongs to stack "${stack}": ApplicationSet cluster ` +
        `generators selecting environment: ${stack} would miss it. Fix: remove labels.environment from ${entryOf(r)} ` +
        `in ${stackFile(r.urn)} if it is set there; the program (since this pack, npm run build) sets it to the stack's name.`
    );
}
