/**
 * Bench targets shaped like OpenShift: a generated, deterministic set of CustomResourceDefinitions of OpenShift's
 * order of size (about 180 CRDs across 30 API groups, some served in two versions, OpenAPI v3 schemas nested
 * four to five levels with long descriptions), so that a bare kube-apiserver serves a `/openapi/v2` document and
 * a discovery of the same order as a real OpenShift 4.x cluster. Nothing is copied from OpenShift: the names
 * are made up from a small vocabulary under `shape.example.com` and the schemas are random but seeded, so
 * every run installs byte-for-byte the same set.
 *
 * Why it matters: every configured kubernetes provider downloads and parses its cluster's OpenAPI document, so
 * a bare API server (about 3 MiB of `/openapi/v2`) understates the per-cluster cost users will see.
 */
import type { LocalCluster } from "../dev/controlPlane/controlPlane";

export const SHAPE_DOMAIN = "shape.example.com";

export interface ShapeOptions {
    /** API groups (default 30). */
    groups?: number;
    /** CRDs per group (default 6). */
    kindsPerGroup?: number;
    /** Schema properties per CRD, roughly (default 260): the main lever on the document's size. */
    propertiesPerKind?: number;
    seed?: number;
}

/** mulberry32: a tiny seeded PRNG, so that the generated set is the same on every run and machine. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const NOUNS = [
    "ingress",
    "route",
    "network",
    "image",
    "build",
    "machine",
    "node",
    "console",
    "operator",
    "cluster",
    "storage",
    "monitor",
    "alert",
    "policy",
    "quota",
    "template",
    "registry",
    "certificate",
    "identity",
    "oauth",
    "scheduler",
    "tuning",
    "config",
    "release",
    "update",
    "snapshot",
    "volume",
    "egress",
    "firewall",
    "dns",
    "proxy",
    "gateway",
    "tenant",
    "project",
    "catalog",
    "subscription",
    "pipeline",
    "trigger",
    "secret",
    "audit",
];
const WORDS = [
    "the",
    "of",
    "a",
    "is",
    "when",
    "which",
    "this",
    "field",
    "value",
    "must",
    "be",
    "set",
    "to",
    "controller",
    "will",
    "default",
    "specifies",
    "optional",
    "required",
    "if",
    "not",
    "then",
    "used",
    "by",
    "for",
    "each",
    "entry",
    "list",
    "object",
    "reference",
    "name",
    "namespace",
    "status",
    "condition",
    "observed",
    "generation",
    "desired",
    "state",
    "operator",
    "reconciles",
    "applies",
    "configuration",
    "cluster",
    "scoped",
    "resource",
    "may",
    "contain",
    "at",
    "most",
    "characters",
    "and",
    "only",
    "lowercase",
    "letters",
    "digits",
    "valid",
    "duration",
    "seconds",
    "omitted",
    "means",
    "no",
    "opinion",
    "platform",
    "chooses",
    "reasonable",
    "changes",
];

function cap(word: string): string {
    return word[0].toUpperCase() + word.slice(1);
}

/** Structural-schema generator with a property budget (so sizes stay predictable whatever the random shape). */
class SchemaMaker {
    private budget = 0;
    constructor(private readonly rand: () => number) {}

    private pick<T>(items: readonly T[]): T {
        return items[Math.floor(this.rand() * items.length)];
    }
    private int(min: number, max: number): number {
        return min + Math.floor(this.rand() * (max - min + 1));
    }
    /** OpenShift's generated descriptions run to a few sentences: most of the document's bytes. */
    description(): string {
        const words = Array.from({ length: this.int(12, 70) }, () => this.pick(WORDS));
        return `${cap(words.join(" "))}.`;
    }
    private fieldName(taken: Set<string>): string {
        for (;;) {
            const name = this.pick(NOUNS) + cap(this.pick(WORDS)) + (this.rand() < 0.3 ? cap(this.pick(NOUNS)) : "");
            if (!taken.has(name)) {
                taken.add(name);
                return name;
            }
        }
    }

    object(properties: number, depth: number): Record<string, unknown> {
        this.budget = properties;
        return this.node(depth);
    }

    private leaf(): Record<string, unknown> {
        const description = this.description();
        switch (this.int(0, 5)) {
            case 0:
                return { type: "integer", format: this.pick(["int32", "int64"]), minimum: 0, description };
            case 1:
                return { type: "boolean", description };
            case 2:
                return {
                    type: "string",
                    enum: ["", ...Array.from({ length: this.int(2, 6) }, () => cap(this.pick(NOUNS)))],
                    description,
                };
            case 3:
                return { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "atomic", description };
            case 4:
                return { type: "object", additionalProperties: { type: "string" }, description };
            default:
                return { type: "string", maxLength: this.int(63, 1024), description };
        }
    }

    private node(depth: number): Record<string, unknown> {
        const properties: Record<string, unknown> = {};
        const taken = new Set<string>();
        const width = this.int(3, 9);
        for (let i = 0; i < width && this.budget > 0; i++) {
            this.budget--;
            const name = this.fieldName(taken);
            const nested = depth > 0 && this.rand() < 0.35;
            if (!nested) properties[name] = this.leaf();
            else if (this.rand() < 0.4)
                properties[name] = { type: "array", description: this.description(), items: this.node(depth - 1) };
            else properties[name] = { ...this.node(depth - 1), description: this.description() };
        }
        const required = Object.keys(properties).filter(() => this.rand() < 0.15);
        return { type: "object", properties, ...(required.length ? { required } : {}) };
    }
}

function conditionsSchema(): Record<string, unknown> {
    return {
        type: "array",
        description: "Conditions are the latest observations of the object's state.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        items: {
            type: "object",
            required: ["type", "status"],
            properties: {
                type: { type: "string", maxLength: 316 },
                status: { type: "string", enum: ["True", "False", "Unknown"] },
                reason: { type: "string", maxLength: 1024 },
                message: { type: "string", maxLength: 32768 },
                lastTransitionTime: { type: "string", format: "date-time" },
                observedGeneration: { type: "integer", format: "int64", minimum: 0 },
            },
        },
    };
}

/** The CRD objects to create, in a fixed order. */
export function openshiftShapedCrds(options: ShapeOptions = {}): Record<string, unknown>[] {
    const groups = options.groups ?? 30;
    const kinds = options.kindsPerGroup ?? 6;
    const perKind = options.propertiesPerKind ?? 260;
    const rand = prng(options.seed ?? 4);
    const maker = new SchemaMaker(rand);
    const crds: Record<string, unknown>[] = [];
    for (let g = 0; g < groups; g++) {
        const group = `${NOUNS[g % NOUNS.length]}${g >= NOUNS.length ? g : ""}.${SHAPE_DOMAIN}`;
        for (let k = 0; k < kinds; k++) {
            const kind = `${cap(NOUNS[(g * 7 + k * 3) % NOUNS.length])}${cap(NOUNS[(g + k * 11 + 5) % NOUNS.length])}${k}`;
            const plural = `${kind.toLowerCase()}s`;
            const clusterScoped = rand() < 0.4;
            const schema = {
                type: "object",
                description: maker.description(),
                properties: {
                    apiVersion: { type: "string", description: maker.description() },
                    kind: { type: "string", description: maker.description() },
                    metadata: { type: "object" },
                    spec: { ...maker.object(Math.round(perKind * 0.65), 4), description: maker.description() },
                    status: (() => {
                        const status = maker.object(Math.round(perKind * 0.35), 3);
                        (status.properties as Record<string, unknown>).conditions = conditionsSchema();
                        return { ...status, description: maker.description() };
                    })(),
                },
                required: ["spec"],
            };
            // About a third are served in an older version too, as operators keep v1beta1/v1alpha1 around.
            const older = rand() < 0.35 ? [rand() < 0.5 ? "v1beta1" : "v1alpha1"] : [];
            const versions = ["v1", ...older].map((name) => ({
                name,
                served: true,
                storage: name === "v1",
                schema: { openAPIV3Schema: schema },
                subresources: { status: {} },
            }));
            crds.push({
                apiVersion: "apiextensions.k8s.io/v1",
                kind: "CustomResourceDefinition",
                metadata: { name: `${plural}.${group}` },
                spec: {
                    group,
                    scope: clusterScoped ? "Cluster" : "Namespaced",
                    names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
                    versions,
                },
            });
        }
    }
    return crds;
}

/** What a target serves once shaped: the figures reported next to the benchmark's. */
export interface ShapeFigures {
    crds: number;
    openapiV2Bytes: number;
    openapiV2Definitions: number;
    discoveryGroups: number;
    discoveryGroupVersions: number;
    discoveryResources: number;
    installSeconds: number;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    await Promise.all(
        Array.from({ length: width }, async () => {
            while (next < items.length) await work(items[next++]);
        }),
    );
}

/**
 * Creates the CRDs on one cluster and waits until every one is Established and in `/openapi/v2` (the document
 * is rebuilt asynchronously after the CRDs are; measuring before would understate it).
 */
export async function shapeLikeOpenshift(
    cluster: LocalCluster,
    crds: Record<string, unknown>[],
    timeoutMs = 10 * 60_000,
): Promise<ShapeFigures> {
    const started = Date.now();
    const base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    await pool(crds, 6, async (crd) => {
        const res = await cluster.admin("POST", base, crd);
        if (res.status !== 201 && res.status !== 409)
            throw new Error(
                `${cluster.name}: creating CRD ${(crd.metadata as { name: string }).name}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`,
            );
    });
    const expectedVersions = crds.reduce((n, c) => n + (c.spec as { versions: unknown[] }).versions.length, 0);
    const deadline = Date.now() + timeoutMs;
    // Every served version appears as a kind and a list kind; the document settles only after the last CRD's
    // controller has published it, so wait until three reads a few seconds apart agree.
    const seen: number[] = [];
    for (;;) {
        // A loaded machine can take longer than a request's timeout to build the document: try again.
        const figures = await measureShape(cluster).catch((err: Error) => {
            if (Date.now() > deadline) throw err;
            return undefined;
        });
        if (!figures) {
            await new Promise((resolve) => setTimeout(resolve, 3000));
            continue;
        }
        seen.push(figures.shapedDefinitions);
        const settled = seen.length >= 3 && seen.slice(-3).every((v) => v === figures.shapedDefinitions);
        if (figures.shapedDefinitions >= expectedVersions && settled) {
            const { shapedDefinitions: _, ...rest } = figures;
            return { ...rest, crds: crds.length, installSeconds: (Date.now() - started) / 1000 };
        }
        if (Date.now() > deadline)
            throw new Error(
                `${cluster.name}: /openapi/v2 holds ${figures.shapedDefinitions} generated definitions (at least ${expectedVersions} expected), not settled after ${timeoutMs / 1000}s`,
            );
        await new Promise((resolve) => setTimeout(resolve, 3000));
    }
}

/** Size of `/openapi/v2` (compact JSON, as served) and the discovery counts, read as the cluster admin. */
export async function measureShape(
    cluster: LocalCluster,
): Promise<Omit<ShapeFigures, "crds" | "installSeconds"> & { shapedDefinitions: number }> {
    const openapi = await cluster.admin("GET", "/openapi/v2");
    if (openapi.status !== 200) throw new Error(`${cluster.name}: GET /openapi/v2: ${openapi.status}`);
    const definitions = Object.values(openapi.body.definitions ?? {}) as {
        "x-kubernetes-group-version-kind"?: { group: string }[];
    }[];
    const shapedDefinitions = definitions.filter((d) =>
        d["x-kubernetes-group-version-kind"]?.some((gvk) => gvk.group.endsWith(SHAPE_DOMAIN)),
    ).length;
    const groups = (await cluster.admin("GET", "/apis")).body.groups as { versions: { groupVersion: string }[] }[];
    const groupVersions = ["v1", ...groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
    let resources = 0;
    await pool(groupVersions, 8, async (gv) => {
        const res = await cluster.admin("GET", gv === "v1" ? "/api/v1" : `/apis/${gv}`);
        resources += ((res.body?.resources ?? []) as { name: string }[]).filter((r) => !r.name.includes("/")).length;
    });
    return {
        openapiV2Bytes: Buffer.byteLength(JSON.stringify(openapi.body)),
        openapiV2Definitions: definitions.length,
        shapedDefinitions,
        discoveryGroups: groups.length + 1,
        discoveryGroupVersions: groupVersions.length,
        discoveryResources: resources,
    };
}
