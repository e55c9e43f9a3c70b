/**
 * Which stacks are production, the one thing that changes how strict the pack is (policies.ts gives each
 * policy a level per stack kind). Policies are not told the stack; it comes from each resource's URN.
 */
import type * as policy from "@pulumi/policy";
import { stackOf } from "./urn";

export type StackKind = "production" | "nonProduction";

/**
 * Every stack is production, where insecure TLS and unconsented wildcard RBAC are refused, unless the policy
 * config names it in `nonProductionStacks` (policy/config.json, which the scripts and pipelines pass). Failing
 * closed: a new stack file, or `prod` or `production-eu`, gets the mandatory checks without anyone listing it.
 */
export const DEFAULT_NON_PRODUCTION_STACKS: string[] = [];

/** Policy config of the policies whose level depends on the stack kind. */
export interface ProductionConfig {
    nonProductionStacks?: string[];
}

export const productionConfigSchema: policy.PolicyConfigSchema = {
    properties: {
        nonProductionStacks: {
            type: "array",
            items: { type: "string" },
            default: DEFAULT_NON_PRODUCTION_STACKS,
            description: "Stack names that are not production; every other stack is.",
        },
    },
};

/** Whether a stack gets the production rules: yes unless the config names it as not production. */
export function isProductionStack(config: ProductionConfig): (stack: string) => boolean {
    const relaxed = Array.isArray(config.nonProductionStacks)
        ? config.nonProductionStacks
        : DEFAULT_NON_PRODUCTION_STACKS;
    return (stack) => !relaxed.includes(stack);
}

/** The kind of the stack a resource belongs to. */
export function stackKindOf(urn: string, config: ProductionConfig): StackKind {
    return isProductionStack(config)(stackOf(urn)) ? "production" : "nonProduction";
}

/** The stack file an operator edits to fix a finding: `Pulumi.<stack>.yaml`. */
export function stackFile(urn: string): string {
    return `Pulumi.${stackOf(urn)}.yaml`;
}
