/**
 * The argocd-clusters policy pack: serves the policies of rules.ts to the engine. Started through
 * policy/analyzer (`pulumi preview --policy-pack policy/analyzer`); loading this module starts the server.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules";

new PolicyPack(PACK_NAME, { policies });
