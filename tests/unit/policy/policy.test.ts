import { fakeArgoCdCluster } from "../../support/fakeApi";
import { runProgram } from "../../support/program";

// The real program with Pulumi.production.yaml under mocks: its resources are the property bags the policies see.
// Its real up reads argocd-cm for production's narrowed rights: from a loopback stand-in of the Argo CD cluster.
const argocd = fakeArgoCdCluster("openshift-gitops", "argocd-cluster-token-0123456789");
const { mocks, result } = runProgram("production", { argocd });

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as k8s from "@pulumi/kubernetes";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
    AnalyzeRequest,
    type AnalyzeResponse,
    type AnalyzerInfo,
    AnalyzerProviderResource,
    AnalyzerResource,
    AnalyzerResourceOptions,
    AnalyzeStackRequest,
    EnforcementLevel,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as yaml from "js-yaml";
import { clusterSecretName } from "../../../argocd/clusterSecret";
import { parseChildName } from "../../../components/childNames";
import { CLUSTER_REGISTRATION_TYPE, ClusterRegistration } from "../../../components/clusterRegistration";
import { NOTHING_INHERITED } from "../../../components/fieldManager";
import { enforcementLevelOf, PACK_NAME, POLICIES } from "../../../policy/policies";
import {
    inRegistration,
    isClusterSecret,
    isTokenSecret,
    REGISTRATION_TYPE,
    ROLE_TYPE,
} from "../../../policy/registration";
import { plain, UNKNOWN } from "../../../policy/resource";
import { stackOf, typeChainOf } from "../../../policy/urn";
import { ARGOCD_ACCESS, clusterSpec, type SpecOptions, testIdentity } from "../../support/fixtures";
import { resolvedValue } from "../../support/mocks";
import { analyze, analyzeStack, asPackSees, type Bag, bags, named, UnknownValueError } from "../../support/pack";
import { ROOT } from "../../support/program";

/** A changed copy of a bag (the bag itself stays as the program made it). */
function variant(bag: Bag, change: (b: Bag) => void): Bag {
    const copy = structuredClone(bag);
    change(copy);
    return copy;
}

/** The same resource in another stack, as that stack's program would make it (the label follows the stack). */
function inStack(bag: Bag, stack: string): Bag {
    const move = (urn?: string) => urn?.replace(/^urn:pulumi:[^:]+::/, `urn:pulumi:${stack}::`);
    return variant(bag, (b) => {
        b.urn = move(b.urn)!;
        b.parent = move(b.parent);
        b.provider = move(b.provider);
        for (const props of [b.inputs, b.state])
            if (props.metadata?.labels?.environment) props.metadata.labels.environment = stack;
    });
}

/** Writes a Secret's stringData (plain, as after normalisation the engine may also send data). */
function setStringData(bag: Bag, change: (data: Record<string, string>) => void): void {
    for (const props of [bag.inputs, bag.state]) {
        const data = props.stringData?.[specialSigKey] ? props.stringData.value : props.stringData;
        change(data);
        props.stringData = data;
        delete props.data;
    }
}

const find = (all: Bag[], suffix: string) => {
    const found = all.find((b) => b.name.endsWith(suffix));
    assert.ok(found, `no resource named *${suffix}; have ${all.map((b) => b.name).join(", ")}`);
    return found;
};

/** More registrations in the same (production) stack, through their own providers. */
async function register(name: string, args: SpecOptions): Promise<ClusterRegistration> {
    const registration = new ClusterRegistration(name, {
        // No check before writing: it connects to server, which a unit test must not (and mocks run no hooks).
        cluster: clusterSpec({ name, server: `https://${name}.example:6443`, verify: "off", ...args }),
        argocd: { name: "argocd", namespace: "openshift-gitops", access: ARGOCD_ACCESS },
        identity: testIdentity("production"),
        fieldManagers: NOTHING_INHERITED,
        hubMove: false,
        targetProvider: new k8s.Provider(`${name}-target`, { kubeconfig: "target" }),
        argocdProvider: new k8s.Provider(`${name}-argocd`, { kubeconfig: "argocd" }),
    });
    await Promise.all([
        resolvedValue(registration.secretName),
        resolvedValue(registration.tokenSecretName),
        resolvedValue(registration.argocdNamespace),
    ]);
    return registration;
}

let production: Bag[] = [];
let all: Bag[] = [];
/** The URNs the engine gave two of the registrations made here. */
let cwUrn = "";
let systemUrn = "";
/** A namespaced registration with the default full rights in an application namespace and in kube-system. */
const SYSTEM_SERVER = "https://system.example:6443";

before(async () => {
    const run = await result;
    assert.ok("outputs" in run, `the program failed: ${"error" in run ? run.error.message : ""}`);
    production = bags(mocks);
    cwUrn = (await resolvedValue((await register("cw", {})).urn))!;
    // Named as index.ts names registrations, so its Roles' names parse back (parseChildName).
    const system = await register(clusterSecretName(SYSTEM_SERVER), {
        server: SYSTEM_SERVER,
        namespaces: ["shop", "kube-system"],
        allowWildcardRbac: true,
    });
    systemUrn = (await resolvedValue(system.urn))!;
    await register("optin", { allowWildcardRbac: true });
    await register("insecure", { tls: { insecure: true } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    all = bags(mocks);
});

after(async () => (await argocd).close());

describe("what the policy pack sees", () => {
    it("@pulumi/policy 1.21.0 throws on reading an unknown value; plain() turns it into UNKNOWN", () => {
        const props = asPackSees({
            metadata: { name: "x", labels: { a: "b" } },
            stringData: unknownValue,
            rules: [{ verbs: unknownValue }],
        });
        assert.throws(
            () => props.stringData,
            (e: unknown) => e instanceof UnknownValueError,
        );
        assert.deepEqual(plain(props), {
            metadata: { name: "x", labels: { a: "b" } },
            stringData: UNKNOWN,
            rules: [{ verbs: UNKNOWN }],
        });
    });

    it("the stack comes from the URN, which is all a policy has", () => {
        assert.equal(stackOf(find(production, "-cluster-secret").urn), "production");
        assert.equal(stackOf("urn:pulumi:prod-eu::argocd-clusters::kubernetes:core/v1:Secret::a::b"), "prod-eu");
    });

    it("recognises a real ClusterRegistration's children by the type the component registered it with", () => {
        // cwUrn is the component's own URN as the mock monitor registered it, not a constant of either side.
        assert.equal(typeChainOf(cwUrn).pop(), REGISTRATION_TYPE);
        const children = all.filter((b) => b.parent === cwUrn);
        assert.deepEqual(children.map((b) => parseChildName(b.name)?.part).sort(), [
            "clusterRole",
            "clusterRoleBinding",
            "clusterSecret",
            "serviceAccount",
            "token",
            "tokenSuffix",
        ]);
        for (const child of children) assert.ok(inRegistration(child), `the pack misses ${child.urn}`);
        const resource = (bag: Bag) => ({ urn: bag.urn, type: bag.type, props: bag.inputs, parent: bag.parent });
        assert.ok(isClusterSecret(resource(find(children, "cw-cluster-secret"))));
        assert.ok(isTokenSecret(resource(find(children, "cw-token"))));
        // What is not a registration's child is not taken for one: the registration itself, its providers.
        for (const other of all.filter((b) => b.parent === undefined)) assert.ok(!inRegistration(other), other.urn);
    });

    it("the registration records its Argo CD namespace in its outputs", () => {
        const registration = production.find((b) => b.type === CLUSTER_REGISTRATION_TYPE)!;
        assert.equal(registration.state.argocdNamespace, "openshift-gitops");
    });

    it("Pulumi.production.yaml passes every policy, in its inputs and in its state", () => {
        for (const p of POLICIES) {
            if ("stack" in p) {
                assert.deepEqual(analyzeStack(p.name, production), [], p.name);
            } else {
                for (const bag of production) assert.deepEqual(analyze(p.name, bag), [], `${p.name} on ${bag.name}`);
            }
        }
    });
});

describe("cluster-secret-readable-by-argocd", () => {
    const check = (bags: Bag[]) => analyzeStack("cluster-secret-readable-by-argocd", bags);
    const withSecret = (change: (b: Bag) => void) =>
        production.map((b) => (b.name.endsWith("-cluster-secret") ? variant(b, change) : b));

    it("passes the Secret as the program writes it, and as the live object holds it (data, base64)", () => {
        assert.deepEqual(check(all), []);
        // The mocks fill data from stringData as the API server does; the live object has only data.
        const live = withSecret((b) => {
            delete b.state.stringData;
        });
        assert.ok(find(live, "-cluster-secret").state.data.config);
        assert.deepEqual(check(live), []);
    });

    it("writes only what Argo CD stores in a cluster Secret: never configHash, which Argo CD 3.6 computes on read", () => {
        // Argo CD's util/db clusterToSecret: the data keys it writes; ClusterConfig's and TLSClientConfig's JSON fields.
        const dataKeys = ["server", "name", "namespaces", "config", "shard", "clusterResources", "project"];
        const configKeys = [
            ...["username", "password", "bearerToken", "tlsClientConfig", "awsAuthConfig", "execProviderConfig"],
            ...["disableCompression", "proxyUrl"],
        ];
        const tlsKeys = ["insecure", "serverName", "certData", "keyData", "caData"];
        const secrets = all.filter((b) => b.name.endsWith("-cluster-secret"));
        assert.ok(secrets.length >= 5, "production's and the registrations made here");
        for (const bag of secrets) {
            const raw = bag.inputs.stringData;
            const data: Record<string, string> = raw?.[specialSigKey] ? raw.value : raw;
            const config = JSON.parse(data.config);
            for (const [keys, allowed, what] of [
                [Object.keys(data), dataKeys, "data"],
                [Object.keys(config), configKeys, "config"],
                [Object.keys(config.tlsClientConfig), tlsKeys, "tlsClientConfig"],
            ] as const) {
                assert.deepEqual(
                    keys.filter((k) => !allowed.includes(k)),
                    [],
                    `${bag.name}: ${what} holds only fields Argo CD stores`,
                );
            }
            assert.doesNotMatch(JSON.stringify(bag.inputs), /configHash/i, `${bag.name} carries no configHash`);
        }
        // And the pack asks for none: the Secrets as written, without it, pass.
        assert.deepEqual(check(all), []);
    });

    it("skips the config while it is unknown (a preview before the token exists)", () => {
        assert.deepEqual(
            check(
                withSecret((b) => {
                    b.state.stringData = unknownValue;
                }),
            ),
            [],
        );
    });

    it("fails a Secret without the cluster label", () => {
        const [v, ...rest] = check(
            withSecret((b) => {
                delete b.state.metadata.labels["argocd.argoproj.io/secret-type"];
            }),
        );
        assert.equal(rest.length, 0);
        assert.match(
            v.urn!,
            /\$kubernetes:core\/v1:Secret::cluster-api\.cluster\.production-2635694092-cluster-secret$/,
        );
        assert.match(
            v.message,
            /^cluster Secret openshift-gitops\/cluster-api\.cluster\.production-2635694092 of registration cluster-api\.cluster\.production-2635694092 lacks the label argocd\.argoproj\.io\/secret-type: cluster, so Argo CD ignores it\. Fix: .*ClusterRegistration component/,
        );
    });

    it("fails a Secret outside the Argo CD namespace its registration records", () => {
        const [v] = check(
            withSecret((b) => {
                b.state.metadata.namespace = "argocd";
            }),
        );
        assert.match(
            v.message,
            /is in namespace "argocd", but its registration was configured with Argo CD in "openshift-gitops" \(argocd-clusters:argocd\.namespace\)/,
        );
        assert.match(v.message, /set argocd-clusters:argocd\.namespace in Pulumi\.production\.yaml/);
    });

    it("fails a config that is not JSON, or has no credentials or tlsClientConfig", () => {
        const [notJson] = check(
            withSecret((b) =>
                setStringData(b, (d) => {
                    d.config = '{"bearerToken": "s3cr3t';
                }),
            ),
        );
        assert.match(notJson.message, /has a config key that is not JSON\. Fix: /);
        assert.ok(!notJson.message.includes("s3cr3t"), "a message never quotes the config: it holds the token");
        const messages = check(
            withSecret((b) =>
                setStringData(b, (d) => {
                    d.config = JSON.stringify({ bearerToken: "" });
                }),
            ),
        ).map((v) => v.message);
        assert.equal(messages.length, 2);
        assert.match(
            messages[0],
            /has a config key that has no credentials \(bearerToken, username and password, .*\): Argo CD would connect anonymously/,
        );
        assert.match(messages[1], /has a config key that has no tlsClientConfig object/);
    });
});

describe("tls-verified-in-production and tls-verified", () => {
    const insecure = () => find(all, "insecure-cluster-secret");

    it("pass a Secret that verifies TLS, anywhere", () => {
        const secret = find(production, "-cluster-secret");
        assert.deepEqual(analyze("tls-verified-in-production", secret), []);
        assert.deepEqual(analyze("tls-verified", inStack(secret, "staging")), []);
    });

    it("refuse insecure TLS in production, naming the stack file, the entry and the key", () => {
        const [message, ...rest] = analyze("tls-verified-in-production", insecure());
        assert.equal(rest.length, 0);
        assert.equal(
            message,
            `cluster Secret openshift-gitops/${clusterSecretName("https://insecure.example:6443")} in stack "production" turns TLS verification off ` +
                "(config tlsClientConfig.insecure: true): Argo CD would hand its token to anyone between it and the API server. " +
                'Fix: in Pulumi.production.yaml, remove tls.insecure from the argocd-clusters:clusters entry "insecure" ' +
                "(server https://insecure.example:6443); TLS is then verified against the target's own CA, or against " +
                "tls.caData if the API server's certificate is issued by another CA.",
        );
        // The advisory twin stays silent in production, so the finding is reported once.
        assert.deepEqual(analyze("tls-verified", insecure()), []);
    });

    it("only advise in the stacks nonProductionStacks names; every other stack is production", () => {
        const staging = inStack(insecure(), "staging");
        const relaxed = { nonProductionStacks: ["staging"] };
        assert.deepEqual(analyze("tls-verified-in-production", staging, relaxed), []);
        assert.match(
            analyze("tls-verified", staging, relaxed)[0],
            /^cluster Secret .* in stack "staging" turns TLS verification off.*Pulumi\.staging\.yaml/,
        );
        assert.equal(named("tls-verified").enforcementLevel, "advisory");
        assert.equal(named("tls-verified-in-production").enforcementLevel, "mandatory");
        assert.equal(analyze("tls-verified-in-production", staging).length, 1);
    });

    it("skip a config that is unknown during preview", () => {
        assert.deepEqual(
            analyze(
                "tls-verified-in-production",
                variant(insecure(), (b) => {
                    b.inputs.stringData = unknownValue;
                }),
            ),
            [],
        );
    });
});

describe("no-wildcard-rbac-in-production", () => {
    const check = (bag: Bag) => analyze("no-wildcard-rbac-in-production", bag);

    it("passes production's ClusterRole (namespaces only) and its namespaced Roles", () => {
        assert.deepEqual(check(find(production, "-cluster-role")), []);
        assert.ok(production.some((b) => b.name.endsWith("-role-shop")));
        for (const role of production.filter((b) => /-role-(shop|payments)$/.test(b.name)))
            assert.deepEqual(check(role), []);
    });

    it("judges the Roles of a namespaced registration: full rights in a system namespace are refused, opt-in or not", () => {
        const roles = new Map(
            all
                .filter((b) => b.parent === systemUrn && b.type === ROLE_TYPE)
                .map((b) => [parseChildName(b.name)?.namespace, b]),
        );
        assert.deepEqual([...roles.keys()].sort(), ["kube-system", "shop"]);
        assert.deepEqual(check(roles.get("shop")!), []);
        const [message, ...rest] = check(roles.get("kube-system")!);
        assert.equal(rest.length, 0);
        assert.match(
            message ?? "",
            new RegExp(
                `^Role kube-system/argocd-manager-role of registration ${clusterSecretName(SYSTEM_SERVER)} ` +
                    'grants \\(rules\\[0\\] grants verbs "\\*" on resources "\\*".*\\) in system namespace "kube-system" in production stack ' +
                    '"production": .*allowWildcardRbac does not cover them\\. Fix: in Pulumi\\.production\\.yaml, on the argocd-clusters:clusters ' +
                    'entry whose server is on system\\.example, remove "kube-system" from namespaces',
            ),
        );
        assert.deepEqual(
            analyze("no-wildcard-rbac-in-production", inStack(roles.get("kube-system")!, "staging"), {
                nonProductionStacks: ["staging"],
            }),
            [],
        );
        // Production's own Roles are judged, not waved through: the same Role in a system namespace is refused.
        const productionRoles = production.filter((b) => b.type === ROLE_TYPE);
        assert.equal(productionRoles.length, 2);
        for (const role of productionRoles) {
            const moved = variant(role, (b) => {
                b.inputs.metadata.namespace = "openshift-config";
            });
            assert.match(
                check(moved)[0] ?? "",
                /^Role openshift-config\/argocd-manager-role of registration cluster-api\.cluster\.production-2635694092 grants .* in system namespace "openshift-config"/,
                role.name,
            );
        }
    });

    it("refuses the CLI's full rights in production without the opt-in, naming the stack file, entry and key", () => {
        const [message] = check(find(all, "cw-cluster-role"));
        assert.equal(
            message,
            'ClusterRole argocd-manager-role of registration cw grants everything cluster-wide (rules[0] grants verbs "*" on ' +
                'resources "*"; rules[1] grants nonResourceURLs "*") in production stack "production" without an explicit opt-in. ' +
                "Fix: in Pulumi.production.yaml, on the argocd-clusters:clusters entry of cw, grant only what Argo CD needs " +
                "(rules, or namespaces with clusterResources and clusterRules), or opt in with allowWildcardRbac: true.",
        );
        // Named as index.ts names registrations, the entry is found by its server's host.
        const asProgramNames = variant(find(all, "cw-cluster-role"), (b) => {
            b.parent = b.parent!.replace(/::cw$/, "::cluster-cw.example-123");
        });
        assert.match(
            check(asProgramNames)[0],
            /on the argocd-clusters:clusters entry whose server is on cw\.example, grant/,
        );
    });

    it("passes full rights with allowWildcardRbac: true, or in a stack the policy config names as not production", () => {
        assert.deepEqual(check(find(all, "optin-cluster-role")), []);
        assert.deepEqual(
            analyze("no-wildcard-rbac-in-production", inStack(find(all, "cw-cluster-role"), "staging"), {
                nonProductionStacks: ["staging"],
            }),
            [],
        );
    });
});

describe("token-secret-of-registration-service-account", () => {
    const check = (bags: Bag[]) => analyzeStack("token-secret-of-registration-service-account", bags);
    const withToken = (bags: Bag[], change: (b: Bag) => void) =>
        bags.map((b) => (b.name.endsWith("-token") ? variant(b, change) : b));

    it("passes token Secrets that name their registration's ServiceAccount, and unknown names in a preview", () => {
        assert.deepEqual(check(all), []);
        const annotation = "kubernetes.io/service-account.name";
        assert.deepEqual(
            check(
                withToken(production, (b) => {
                    b.state.metadata.annotations[annotation] = unknownValue;
                }),
            ),
            [],
        );
    });

    it("fails a token Secret naming another ServiceAccount", () => {
        const [v] = check(
            withToken(production, (b) => {
                b.state.metadata.annotations["kubernetes.io/service-account.name"] = "default";
            }),
        );
        assert.match(
            v.message,
            /^token Secret kube-system\/argocd-manager-token-[0-9a-f]{8} names ServiceAccount "default" \(annotation kubernetes\.io\/service-account\.name\), which registration cluster-api\.cluster\.production-2635694092 does not create in namespace "kube-system" through the same provider: the token controller would never fill it/,
        );
        assert.match(
            v.message,
            /Fix: the token Secret must take its account's name and namespace from the registration's ServiceAccount/,
        );
    });

    it("fails a token Secret whose ServiceAccount belongs to another registration or provider", () => {
        const account = (b: Bag) => b.type === "kubernetes:core/v1:ServiceAccount" && b.name.startsWith("cluster-api");
        const otherParent = all.map((b) =>
            account(b)
                ? variant(b, (a) => {
                      a.parent = find(all, "cw-cluster-role").parent;
                  })
                : b,
        );
        assert.equal(check(otherParent).length, 1);
        const otherProvider = all.map((b) =>
            account(b)
                ? variant(b, (a) => {
                      a.provider = find(all, "cw-cluster-role").provider;
                  })
                : b,
        );
        assert.equal(check(otherProvider).length, 1);
    });
});

describe("environment-label-is-stack", () => {
    const check = (bag: Bag) => analyze("environment-label-is-stack", bag);
    const secret = () => find(production, "-cluster-secret");

    it("passes the program's label, which is the stack's name", () => {
        assert.equal(secret().inputs.metadata.labels.environment, "production");
        assert.deepEqual(check(secret()), []);
        assert.deepEqual(check(inStack(secret(), "staging")), []);
    });

    it("fails another environment or none, naming the stack file and the key", () => {
        const [wrong] = check(
            variant(secret(), (b) => {
                b.inputs.metadata.labels.environment = "staging";
            }),
        );
        assert.match(
            wrong,
            /^cluster Secret openshift-gitops\/cluster-api\.cluster\.production-2635694092 has label environment: "staging", but belongs to stack "production": ApplicationSet cluster generators selecting environment: production would miss it\. Fix: remove labels\.environment from the argocd-clusters:clusters entry "production" \(server https:\/\/api\.cluster\.production:6443\) in Pulumi\.production\.yaml if it is set there; the program .* sets it to the stack's name\.$/,
        );
        const [missing] = check(
            variant(secret(), (b) => {
                delete b.inputs.metadata.labels.environment;
            }),
        );
        assert.match(missing, /has no label environment, but belongs to stack "production"/);
    });
});

describe("unique-cluster-server-and-name", () => {
    const check = (bags: Bag[]) => analyzeStack("unique-cluster-server-and-name", bags);
    const secret = () => find(production, "-cluster-secret");
    const copy = (change: (d: Record<string, string>) => void) =>
        variant(secret(), (b) => {
            b.urn = b.urn.replace(/::([^:]+)$/, "::copy-cluster-secret");
            b.inputs.metadata.name = b.state.metadata.name = "cluster-copy";
            setStringData(b, change);
        });

    it("passes distinct registrations, and skips unknown values", () => {
        assert.deepEqual(check(all), []);
        assert.deepEqual(
            check([
                ...production,
                variant(
                    copy(() => undefined),
                    (b) => {
                        b.state.stringData = unknownValue;
                    },
                ),
            ]),
            [],
        );
    });

    it("fails a second Secret for the same server, and for the same name", () => {
        const [server] = check([
            ...production,
            copy((d) => {
                d.name = "other";
            }),
        ]);
        assert.match(server.urn!, /::copy-cluster-secret$/);
        assert.equal(
            server.message,
            "cluster Secret openshift-gitops/cluster-copy and cluster Secret openshift-gitops/cluster-api.cluster.production-2635694092 " +
                'both register server "https://api.cluster.production:6443": Argo CD looks clusters up by server URL and would use ' +
                "either one. Fix: keep one entry per server in argocd-clusters:clusters of Pulumi.production.yaml.",
        );
        const [name] = check([
            ...production,
            copy((d) => {
                d.server = "https://other:6443";
            }),
        ]);
        assert.match(name.message, /both register name "production": Applications address clusters by name/);
    });

    it("fails a second Secret for the same API server in another spelling, as validation and the claims do", () => {
        const [server, ...rest] = check([
            ...production,
            copy((d) => {
                d.name = "other";
                d.server = "https://API.cluster.production:6443/";
            }),
        ]);
        assert.deepEqual(rest, []);
        assert.match(server?.message ?? "", /both register server "https:\/\/API\.cluster\.production:6443\/"/);
    });
});

describe("policy/analyzer, as the engine starts it", () => {
    let child: ChildProcess | undefined;
    let client: AnalyzerClient;

    before(async () => {
        // Flags before the address, as the engine passes them with --logflow -v and tracing.
        child = spawn(
            path.join(ROOT, "policy", "analyzer"),
            ["--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:9", "127.0.0.1:1"],
            { cwd: path.join(ROOT, ".."), stdio: ["ignore", "pipe", "pipe"] },
        );
        let stderr = "";
        child.stderr!.on("data", (chunk) => {
            stderr += chunk;
        });
        const port = await new Promise<string>((resolve, reject) => {
            child!.stdout!.once("data", (chunk) => resolve(String(chunk).trim()));
            child!.once("exit", (code) => reject(new Error(`policy/analyzer exited (${code}): ${stderr}`)));
        });
        assert.match(port, /^\d+$/, "the first line on stdout is the port");
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        child?.kill();
    });

    const call = <T>(method: (cb: (err: Error | null, res: T) => void) => void) =>
        new Promise<T>((resolve, reject) => method((err, res) => (err ? reject(err) : resolve(res))));

    function request(bag: Bag, props: Record<string, any>) {
        const options = new AnalyzerResourceOptions();
        if (bag.parent) options.setParent(bag.parent);
        const provider = new AnalyzerProviderResource();
        provider.setUrn(bag.provider ?? "");
        provider.setType("pulumi:providers:kubernetes");
        provider.setProperties(Struct.fromJavaScript({}));
        return {
            urn: bag.urn,
            type: bag.type,
            name: bag.name,
            options,
            provider,
            properties: Struct.fromJavaScript(props),
        };
    }

    function diagnostics(response: AnalyzeResponse) {
        return response
            .getDiagnosticsList()
            .map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
    }

    function analyzeOverGrpc(bag: Bag, props = bag.inputs) {
        const r = request(bag, props);
        const req = new AnalyzeRequest();
        req.setUrn(r.urn);
        req.setType(r.type);
        req.setName(r.name);
        req.setProperties(r.properties);
        req.setOptions(r.options);
        req.setProvider(r.provider);
        return call<AnalyzeResponse>((cb) => client.analyze(req, cb)).then(diagnostics);
    }

    it("reports the pack's name, version and policies", async () => {
        const info = await call<AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
        const manifest = yaml.load(fs.readFileSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"), "utf8")) as Record<
            string,
            string
        >;
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.equal(info.getName(), PACK_NAME);
        assert.equal(manifest.name, PACK_NAME);
        assert.equal(manifest.runtime, "nodejs");
        assert.equal(info.getVersion(), manifest.version);
        assert.equal(pkg.version, manifest.version);
        assert.deepEqual(
            info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]),
            POLICIES.map((p) => [
                p.name,
                enforcementLevelOf(p) === "advisory" ? EnforcementLevel.ADVISORY : EnforcementLevel.MANDATORY,
            ]),
        );
        assert.ok(
            fs.statSync(path.join(ROOT, "policy", "analyzer")).mode & 0o111,
            "policy/analyzer must be executable",
        );
    });

    it("refuses an insecure production cluster Secret, mandatory", async () => {
        const [d, ...rest] = await analyzeOverGrpc(find(all, "insecure-cluster-secret"));
        assert.equal(rest.length, 0);
        assert.equal(d.policy, "tls-verified-in-production");
        assert.equal(d.level, EnforcementLevel.MANDATORY);
        assert.match(d.message, /turns TLS verification off/);
    });

    it("says nothing about a preview's unknown config: no advisory 'can't run policy during preview'", async () => {
        const secret = find(all, "insecure-cluster-secret");
        assert.deepEqual(await analyzeOverGrpc(secret, { ...secret.inputs, stringData: unknownValue }), []);
    });

    it("passes the production stack, and finds a duplicate server in it", async () => {
        const stack = (bags: Bag[]) => {
            const req = new AnalyzeStackRequest();
            req.setResourcesList(
                bags.map((bag) => {
                    const r = request(bag, bag.state);
                    const resource = new AnalyzerResource();
                    resource.setUrn(r.urn);
                    resource.setType(r.type);
                    resource.setName(r.name);
                    resource.setProperties(r.properties);
                    resource.setOptions(r.options);
                    if (bag.provider) resource.setProvider(r.provider);
                    if (bag.parent) resource.setParent(bag.parent);
                    return resource;
                }),
            );
            return call<AnalyzeResponse>((cb) => client.analyzeStack(req, cb)).then(diagnostics);
        };
        assert.deepEqual(await stack(production), []);
        const duplicate = variant(find(all, "cw-cluster-secret"), (b) =>
            setStringData(b, (d) => {
                d.server = "https://api.cluster.production:6443";
            }),
        );
        const found = await stack([...production, duplicate]);
        assert.deepEqual(
            found.map((d) => [d.policy, d.level]),
            [["unique-cluster-server-and-name", EnforcementLevel.MANDATORY]],
        );
    });
});
