/**
 * The argocd-clusters policy pack: builds the policies of the table in policies.ts and serves them to the
 * engine. Started through policy/analyzer (`pulumi preview --policy-pack policy/analyzer`); loading this module
 * starts the server.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./policies";
import { toPulumiPolicy } from "./pulumiPolicies";

new PolicyPack(PACK_NAME, { policies: POLICIES.map(toPulumiPolicy) });
