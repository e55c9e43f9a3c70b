import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { type ClusterAccess, KubeconfigReader } from "../../../stack/kubeconfig";
import type { Problem } from "../../../stack/settings";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-test-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

function kubeconfig(
    contexts: string[],
    extra: { user?: Record<string, unknown>; cluster?: Record<string, unknown> } = {},
) {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: contexts.map((c) => ({
            name: `${c}-cluster`,
            cluster: { server: `https://${c}.example:6443`, ...extra.cluster },
        })),
        users: contexts.map((c) => ({ name: `${c}-user`, user: { token: `token-of-${c}`, ...extra.user } })),
        contexts: contexts.map((c) => ({ name: c, context: { cluster: `${c}-cluster`, user: `${c}-user` } })),
        "current-context": contexts[0],
    });
}

function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

function ok(result: ClusterAccess | Problem[]): ClusterAccess {
    assert.ok(!Array.isArray(result), `expected access, got ${JSON.stringify(result)}`);
    return result;
}

function problems(result: ClusterAccess | Problem[]): Problem[] {
    assert.ok(Array.isArray(result), "expected problems");
    return result;
}

describe("KubeconfigReader", () => {
    it("gives a provider only the chosen context, its cluster and its user", () => {
        const file = write("two.yaml", kubeconfig(["hub", "prod"]));
        const access = ok(new KubeconfigReader({}).access("k", file, "prod"));
        const doc = yaml.load(access.kubeconfig) as any;
        assert.equal(access.server, "https://prod.example:6443");
        assert.equal(doc["current-context"], "prod");
        assert.deepEqual(doc.contexts, [{ name: "prod", context: { cluster: "prod-cluster", user: "prod-user" } }]);
        assert.deepEqual(
            doc.clusters.map((c: any) => c.name),
            ["prod-cluster"],
        );
        assert.deepEqual(doc.users, [{ name: "prod-user", user: { token: "token-of-prod" } }]);
        assert.ok(!access.kubeconfig.includes("token-of-hub"), "another cluster's credentials must not be handed over");
    });

    it("inlines certificate files relative to the kubeconfig, so state holds no machine paths", () => {
        write("ca.crt", "CA-PEM");
        write("client.crt", "CERT-PEM");
        write("client.key", "KEY-PEM");
        const file = write(
            "files.yaml",
            kubeconfig(["prod"], {
                cluster: { "certificate-authority": "ca.crt" },
                user: { "client-certificate": "client.crt", "client-key": path.join(dir, "client.key") },
            }),
        );
        const doc = yaml.load(ok(new KubeconfigReader({}).access("k", file, "prod")).kubeconfig) as any;
        assert.equal(doc.clusters[0].cluster["certificate-authority-data"], Buffer.from("CA-PEM").toString("base64"));
        assert.equal(doc.clusters[0].cluster["certificate-authority"], undefined);
        assert.equal(doc.users[0].user["client-certificate-data"], Buffer.from("CERT-PEM").toString("base64"));
        assert.equal(doc.users[0].user["client-key-data"], Buffer.from("KEY-PEM").toString("base64"));
    });

    it("accepts the kubeconfig's contents instead of a path", () => {
        assert.equal(
            ok(new KubeconfigReader({}).access("k", kubeconfig(["prod"]), "prod")).server,
            "https://prod.example:6443",
        );
    });

    it("merges $KUBECONFIG's files, the first definition winning as in kubectl", () => {
        const first = write("first.yaml", kubeconfig(["prod"]));
        const second = write(
            "second.yaml",
            kubeconfig(["prod", "hub"], { cluster: { "insecure-skip-tls-verify": true } }),
        );
        const reader = new KubeconfigReader({ KUBECONFIG: `${first}${path.delimiter}${second}` });
        assert.equal(
            (yaml.load(ok(reader.access("k", undefined, "prod")).kubeconfig) as any).clusters[0].cluster[
                "insecure-skip-tls-verify"
            ],
            undefined,
        );
        assert.equal(ok(reader.access("k", undefined, "hub")).server, "https://hub.example:6443");
    });

    it("falls back to ~/.kube/config", () => {
        fs.mkdirSync(path.join(dir, "home", ".kube"), { recursive: true });
        write("home/.kube/config", kubeconfig(["home-ctx"]));
        assert.equal(
            ok(new KubeconfigReader({ HOME: path.join(dir, "home") }).access("k", undefined, "home-ctx")).context,
            "home-ctx",
        );
    });

    it("reports a missing context with the contexts there are", () => {
        const file = write("ctx.yaml", kubeconfig(["hub", "prod"]));
        const [problem] = problems(new KubeconfigReader({}).access("argocd-clusters:clusters[0]", file, "staging"));
        assert.equal(problem.path, "argocd-clusters:clusters[0].context");
        assert.equal(problem.message, `context "staging" is not in ${file}`);
        assert.equal(problem.fix, "use one of: hub, prod");
    });

    it("reports a missing file against the key that named it", () => {
        const [fromKey] = problems(
            new KubeconfigReader({}).access("argocd-clusters:argocd", path.join(dir, "nope"), "x"),
        );
        assert.equal(fromKey.path, "argocd-clusters:argocd.kubeconfig");
        assert.match(fromKey.message, /cannot read kubeconfig .*nope: ENOENT/);
        const [fromEnv] = problems(
            new KubeconfigReader({ KUBECONFIG: path.join(dir, "gone") }).access("k", undefined, "x"),
        );
        assert.equal(fromEnv.path, "$KUBECONFIG");
    });

    it("reports an unreadable certificate file", () => {
        const file = write(
            "badca.yaml",
            kubeconfig(["prod"], { cluster: { "certificate-authority": "missing-ca.crt" } }),
        );
        const [problem] = problems(new KubeconfigReader({}).access("k", file, "prod"));
        assert.match(problem.message, /certificate-authority .*missing-ca.crt .*cannot be read: ENOENT/);
    });

    it("takes neither a base64 kubeconfig nor an impossible path for a path, and never prints it", () => {
        const encoded = Buffer.from(kubeconfig(["prod"])).toString("base64");
        const [base64] = problems(new KubeconfigReader({}).access("argocd-clusters:clusters[0]", encoded, "prod"));
        assert.deepEqual(base64, {
            path: "argocd-clusters:clusters[0].kubeconfig",
            message: `looks like a base64-encoded kubeconfig (${encoded.length} characters), neither a path nor YAML contents`,
            fix:
                "decode it (base64 -d) and store the YAML as a secret: " +
                "pulumi config set --secret --path 'argocd-clusters:clusters[0].kubeconfig' < kubeconfig.yaml",
        });
        for (const value of ["a".repeat(5000), `/tmp/${"b".repeat(256)}/config`, "", "c\u0000d"]) {
            const [problem] = problems(new KubeconfigReader({}).access("k", value, "prod"));
            assert.equal(problem.path, "k.kubeconfig");
            assert.equal(
                problem.message,
                `is neither a kubeconfig path nor its YAML contents (a string of ${value.length} characters)`,
            );
            assert.equal(
                problem.fix,
                "give the path of a kubeconfig file, or the kubeconfig's YAML itself stored as a secret: " +
                    "pulumi config set --secret --path 'k.kubeconfig' < kubeconfig.yaml",
            );
        }
    });

    it("reports a kubeconfig that is not YAML", () => {
        const file = write("broken.yaml", "clusters: [\n");
        assert.match(problems(new KubeconfigReader({}).access("k", file, "prod"))[0].message, /not valid YAML/);
    });
});
