/**
 * The table of policies.ts as @pulumi/policy policies: each check gets resources as plain data (resource.ts)
 * and runs only in the kinds of stack its row enables, with the row's level.
 */
import type * as policy from "@pulumi/policy";
import { dependsOnStackKind, enforcementLevelOf, type PolicyEntry } from "./policies";
import { plain, type Resource } from "./resource";
import { type ProductionConfig, productionConfigSchema, stackKindOf } from "./stacks";

export function toPulumiPolicy(entry: PolicyEntry): policy.ResourceValidationPolicy | policy.StackValidationPolicy {
    const gated = dependsOnStackKind(entry);
    const runsIn = (urn: string, getConfig: () => ProductionConfig) =>
        !gated || entry.levels[stackKindOf(urn, getConfig())] !== "disabled";
    const common = {
        name: entry.name,
        description: entry.description,
        enforcementLevel: enforcementLevelOf(entry),
        ...(gated ? { configSchema: productionConfigSchema } : {}),
    };
    if ("resource" in entry) {
        const check = entry.resource;
        const validateResource: policy.ResourceValidation = (args, reportViolation) => {
            const r = resourceOf(args);
            const message = runsIn(r.urn, () => args.getConfig<ProductionConfig>()) ? check(r) : undefined;
            if (message) reportViolation(message);
        };
        return { ...common, validateResource };
    }
    const check = entry.stack;
    const validateStack: policy.StackValidation = (args, reportViolation) => {
        for (const v of check(stackResourcesOf(args))) {
            if (runsIn(v.urn, () => args.getConfig<ProductionConfig>())) reportViolation(v.message, v.urn);
        }
    };
    return { ...common, validateStack };
}

function resourceOf(args: policy.ResourceValidationArgs): Resource {
    return {
        urn: args.urn,
        type: args.type,
        props: plain(args.props) as Record<string, unknown>,
        parent: args.opts.parent || undefined,
        provider: args.provider?.urn,
    };
}

function stackResourcesOf(args: policy.StackValidationArgs): Resource[] {
    return args.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        props: plain(r.props) as Record<string, unknown>,
        parent: r.parent?.urn ?? (r.opts.parent || undefined),
        provider: r.provider?.urn,
    }));
}
