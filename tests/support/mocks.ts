/**
 * Pulumi mocks standing in for the engine and the two clusters. The token controller is simulated: a
 * service-account-token Secret comes back with `data.token` and `data["ca.crt"]` filled, as
 * kube-controller-manager fills it. Import this module first: mocks must be set before the program loads.
 */

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    /** Inputs with secrets revealed, for assertions. */
    inputs: Record<string, any>;
    /** Inputs as the engine received them, secrets still wrapped. */
    rawInputs: Record<string, any>;
    provider?: string;
    state: Record<string, any>;
}

export const TEST_CA_PEM =
    "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n";

/** When the simulated TokenRequest API issues bound tokens. */
export const MOCK_ISSUE_TIME = "2030-01-01T00:00:00Z";

/** The token the simulated controller issues for a token Secret: derived from its name, so rotation changes it. */
export function tokenFor(secretName: string): string {
    return `eyJhbGciOiJSUzI1NiJ9.${secretName}.signature`;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** How the Pulumi wire format marks a secret value. */
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as any)[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/** How mocks receive an input that is unknown during a preview. */
export function isUnknownInput(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as any).__pulumiUnknown === true;
}

/** The value with every secret wrapper removed. */
export function reveal(value: any): any {
    if (isSecretValue(value)) return reveal(value.value);
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
}

export class ClusterMocks implements pulumi.runtime.Mocks {
    readonly resources: Registered[] = [];
    /** The outputs of this stack's last up, as its StackReference to itself reads them (removalGuard.ts lastUp). */
    lastOutputs: Record<string, unknown> = {};
    /** Set false to simulate a stopped token controller: token Secrets come back empty. */
    tokenControllerRunning = true;

    /** In a preview nothing is created: generated values (token, random suffix) are not known yet. */
    constructor(private readonly preview = false) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const inputs = reveal(args.inputs);
        const state: Record<string, any> = { ...inputs };
        if (args.type === "random:index/randomId:RandomId" && !this.preview) {
            // Deterministic per keepers, as a fresh random value per rotation is what matters.
            const hex = createHash("sha256")
                .update(JSON.stringify(inputs.keepers ?? {}))
                .digest("hex");
            state.hex = hex.slice(0, inputs.byteLength * 2);
        }
        if (
            args.type === "kubernetes:core/v1:Secret" &&
            inputs.type === "kubernetes.io/service-account-token" &&
            !this.preview
        ) {
            const name = inputs.metadata?.name ?? args.name;
            state.data = this.tokenControllerRunning
                ? {
                      token: b64(tokenFor(name)),
                      "ca.crt": b64(TEST_CA_PEM),
                      namespace: b64(inputs.metadata?.namespace ?? ""),
                  }
                : {};
        }
        if (args.type.endsWith(":BoundToken") && !this.preview) {
            // The TokenRequest (components/boundToken.ts): a token per bound object, valid for its lifetime
            // from the mocks' fixed issue time.
            state.token = tokenFor(String(inputs.boundObjectName));
            state.expiresAt = new Date(Date.parse(MOCK_ISSUE_TIME) + Number(inputs.lifetimeSeconds) * 1000)
                .toISOString()
                .replace(".000Z", "Z");
            state.caData = b64(TEST_CA_PEM);
            delete state.connection;
        }
        if (args.type === "pulumi:pulumi:StackReference") {
            // The program reads its own stack's last outputs (removalGuard.ts): a new stack has none.
            state.outputs = this.lastOutputs;
        }
        if (args.type === "kubernetes:core/v1:Secret" && inputs.stringData) {
            state.data = Object.fromEntries(Object.entries(inputs.stringData).map(([k, v]) => [k, b64(String(v))]));
        }
        this.resources.push({
            type: args.type,
            name: args.name,
            inputs,
            rawInputs: args.inputs,
            provider: args.provider,
            state,
        });
        return { id: inputs.metadata?.name ?? `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
    }

    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    named(name: string): Registered {
        const found = this.resources.find((r) => r.name === name);
        if (!found) throw new Error(`no resource named ${name}; have ${this.resources.map((r) => r.name).join(", ")}`);
        return found;
    }
}

/** Installs the mocks for project argocd-clusters; `preview` makes unknowns unknown as in `pulumi preview`. */
export function installMocks(stack = "test", preview = false): ClusterMocks {
    const mocks = new ClusterMocks(preview);
    pulumi.runtime.setMocks(mocks, "argocd-clusters", stack, preview, "organization");
    // The SDK's mock monitor (3.276) cannot register resource hooks, which the engine runs during up only (the
    // check before saving, create-never-upsert): they are accepted here and proven end to end.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResourceHook?: (request: unknown, done: (err: Error | null, reply: unknown) => void) => void;
    };
    monitor.registerResourceHook = (_request, done) => done(null, {});
    return mocks;
}

/** Resolves an Output's value in tests; an unknown value (in a preview) resolves to undefined. */
export async function resolvedValue<T>(output: pulumi.Output<T>): Promise<T | undefined> {
    if (await isUnknown(output)) return undefined;
    return new Promise((resolve) => output.apply(resolve));
}

/** Whether an Output is unknown (as in a preview before the value exists). */
export async function isUnknown<T>(output: pulumi.Output<T>): Promise<boolean> {
    return !(await (output as any).isKnown);
}
