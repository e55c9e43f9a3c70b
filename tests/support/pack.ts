/**
 * The policy pack as the engine runs it, for unit tests: the real program's resources under mocks turned into
 * the property bags a policy sees (secrets wrapped, unknowns as the unknown sentinel), and each policy run on
 * them through @pulumi/policy's own deserializer.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as policy from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { parseChildName } from "../../components/childNames";
import { CLUSTER_REGISTRATION_TYPE } from "../../components/clusterRegistration";
import { POLICIES } from "../../policy/policies";
import { toPulumiPolicy } from "../../policy/pulumiPolicies";
import { nameOf } from "../../policy/urn";
import { type ClusterMocks, isSecretValue, isUnknownInput } from "./mocks";

/** The pack as policy/index.ts builds it from the table. */
export const policies = POLICIES.map(toPulumiPolicy);

/** A resource as the engine hands it to a policy pack: secrets wrapped, unknowns as the unknown sentinel. */
export interface Bag {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    provider?: string;
    /** What resource policies see (Analyze, before the step). */
    inputs: Record<string, any>;
    /** What stack policies see (AnalyzeStack, after it): the mocks' state, the registration's registered outputs. */
    state: Record<string, any>;
}

/** A value the mocks received, in the engine's wire form. */
export function toWire(value: any): any {
    if (isUnknownInput(value)) return unknownValue;
    if (isSecretValue(value)) return { [specialSigKey]: specialSecretSig, value: toWire(value.value) };
    if (Array.isArray(value)) return value.map(toWire);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, toWire(v)]),
        );
    }
    return value;
}

/** Every resource registered so far, as bags. URNs and registered outputs come from the mock monitor. */
export function bags(mocks: ClusterMocks): Bag[] {
    const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources(): Map<string, { state: any }> };
    const registered = [...monitor.getRegisteredResources()];
    const registrations = registered
        .map(([urn]) => urn)
        .filter((urn) => urn.split("::")[2] === CLUSTER_REGISTRATION_TYPE);
    return registered.map(([urn, { state }]) => {
        const [, , qualifiedType, name] = urn.split("::");
        const type = qualifiedType.split("$").pop()!;
        const record = mocks.resources.filter((r) => r.type === type && r.name === name).pop();
        assert.ok(record, `no mock record for ${urn}`);
        // Children are named after their registration (components/childNames.ts).
        const inRegistration = qualifiedType.startsWith(`${CLUSTER_REGISTRATION_TYPE}$`);
        const child = inRegistration ? parseChildName(name) : undefined;
        assert.ok(child || !inRegistration, `not a child name: ${urn}`);
        const parent = child && registrations.find((r) => nameOf(r) === child.registration);
        return {
            urn,
            type,
            name,
            parent,
            provider: record.provider?.slice(0, record.provider.lastIndexOf("::")),
            inputs: toWire(record.rawInputs),
            // A component's state is the Struct of its registerOutputs.
            state: typeof state?.toJavaScript === "function" ? state.toJavaScript() : state,
        };
    });
}

// What @pulumi/policy 1.21.0 does with a request's properties before a policy sees them: its own deserializer,
// then a proxy that throws UnknownValueError on reading an unknown value. Both are internal, hence require.
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown>;
};
export const { unknownCheckingProxy, UnknownValueError } = policy as unknown as {
    unknownCheckingProxy(props: Record<string, unknown>): Record<string, any>;
    UnknownValueError: new () => Error;
};
export function asPackSees(wire: Record<string, any>): Record<string, any> {
    return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(wire), false));
}

export function named(name: string): policy.Policy {
    const found = policies.find((p) => p.name === name);
    assert.ok(found, `no policy ${name}`);
    return found;
}

/** Runs a resource policy on a bag as the pack's server would; returns the violation messages. */
export function analyze(name: string, bag: Bag, config: object = {}): string[] {
    const validate = (named(name) as policy.ResourceValidationPolicy).validateResource as policy.ResourceValidation;
    const messages: string[] = [];
    const args = {
        type: bag.type,
        urn: bag.urn,
        name: bag.name,
        props: asPackSees(bag.inputs),
        opts: { parent: bag.parent ?? "", protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
        provider: bag.provider
            ? { urn: bag.provider, type: "pulumi:providers:kubernetes", name: "", props: {} }
            : undefined,
        stackTags: new Map(),
        getConfig: () => config,
    } as unknown as policy.ResourceValidationArgs;
    validate(args, (message) => messages.push(message));
    return messages;
}

/** Runs a stack policy over bags; returns `urn: message` per violation. */
export function analyzeStack(name: string, all: Bag[]): { urn?: string; message: string }[] {
    const validate = (named(name) as policy.StackValidationPolicy).validateStack;
    const resources = all.map((bag) => ({
        type: bag.type,
        urn: bag.urn,
        name: bag.name,
        props: asPackSees(bag.state),
        opts: { parent: bag.parent ?? "" },
        provider: bag.provider
            ? { urn: bag.provider, type: "pulumi:providers:kubernetes", name: "", props: {} }
            : undefined,
    }));
    for (const r of resources)
        (r as any).parent = resources.find((p) => p.urn === all.find((b) => b.urn === r.urn)?.parent);
    const violations: { urn?: string; message: string }[] = [];
    validate(
        { resources, stackTags: new Map(), getConfig: () => ({}) } as unknown as policy.StackValidationArgs,
        (message, urn) => violations.push({ urn, message }),
    );
    return violations;
}

/** policy/config.json: the configuration scripts/preview and scripts/up hand the pack. */
export const SHIPPED_PACK_CONFIG = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "..", "policy", "config.json"), "utf8"),
) as Record<string, object>;

/**
 * Every policy of the pack over `all` with the shipped configuration, as scripts/preview runs it: resource
 * policies on each bag's inputs, stack policies on the state.
 */
export function packViolations(all: Bag[]): string[] {
    const violations: string[] = [];
    for (const p of POLICIES) {
        if ("stack" in p) {
            for (const v of analyzeStack(p.name, all))
                violations.push(`${p.name} on ${v.urn ?? "the stack"}: ${v.message}`);
        } else {
            for (const bag of all)
                for (const m of analyze(p.name, bag, SHIPPED_PACK_CONFIG[p.name] ?? {}))
                    violations.push(`${p.name} on ${bag.urn}: ${m}`);
        }
    }
    return violations;
}
