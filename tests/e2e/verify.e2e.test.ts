/**
 * End to end, "registrations that provably work": during `up`, before a cluster Secret is written or switched
 * to a new token, the program connects to `server` as Argo CD will (that token, CA, serverName) and asks the
 * API server whether the token holds the rights the entry grants. A broken registration fails the run and
 * Argo CD keeps its current Secret and token; a server that cannot be reached from here is a warning, or an
 * error under `verify: required`. Steps build on each other and run in order in one world.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { freePorts } from "../../dev/controlPlane/controlPlane";
import { ensureToolchain } from "../../dev/toolchain/toolchain";
import { deployedRevision, liveArgocdPerSuite } from "../support/liveArgocd";
import { configMapRoundTrip, credentialsFrom, decodeClusterSecret, World } from "../support/world";

let world: World;
const closers: { close: () => Promise<void> }[] = [];

/** alpha (cluster-wide, rotated by `rotation`) and beta (namespaced) with `overrides` on alpha. */
function entries(rotation: string, overrides: Record<string, unknown> = {}): Record<string, unknown>[] {
    const [alpha, beta] = world.clusterEntries(rotation);
    return [{ ...alpha, ...overrides }, beta];
}

/** Argo CD's current token for target-a, and that it still works. */
async function alphaToken(): Promise<string> {
    const secret = (await world.clusterSecret(world.a))!;
    assert.deepEqual(
        await configMapRoundTrip(credentialsFrom(secret), "default"),
        [201, 200],
        "Argo CD's token for alpha works",
    );
    return secret.config.bearerToken;
}

describe("registrations are checked as Argo CD would use them before they are written", { timeout: 900_000 }, () => {
    // Declared before the `after` that disposes the world: Argo CD stops before the world's clusters do.
    const live = liveArgocdPerSuite(() => world);
    before(async () => {
        // Written for the token Secret kind (a failed check keeps the old token Secret); boundTokens.e2e covers bound.
        world = await World.create("local", { token: { kind: "secret" } });
        world.writeConfig(entries("1"));
    });
    after(async () => {
        for (const c of closers) await c.close();
        await world?.dispose();
    });

    it("1. an up of working registrations passes the check without a warning", async () => {
        const up = await world.pulumi("up", "--yes");
        assert.equal(up.code, 0, up.output.slice(-4000));
        assert.doesNotMatch(up.output, /was not verified|not usable/);
        await alphaToken();
    });

    it("2. a rotation with a CA that does not sign the server's certificate fails, and Argo CD keeps its token", async () => {
        const before = await alphaToken();
        // A real CA, but the Argo CD cluster's, not target-a's.
        world.writeConfig(entries("2", { tls: { caData: world.argocd.caPem.toString("base64") } }));
        const up = await world.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the up must fail");
        assert.match(
            up.output,
            /cluster "alpha" \(https:\/\/127\.0\.0\.\d+:\d+\) is not usable as Argo CD would use it: TLS failed: [A-Z_]+\. Its cluster Secret was not written; Argo CD keeps its current registration\./,
            up.output.slice(-4000),
        );
        assert.match(up.output, /fix: the CA Argo CD gets/);
        assert.equal(await alphaToken(), before, "the old token stays in place");
    });

    it("3. a serverName the certificate does not name fails the same way", async () => {
        const before = await alphaToken();
        world.writeConfig(entries("3", { tls: { serverName: "not-the-api.example" } }));
        const up = await world.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the up must fail");
        assert.match(up.output, /cluster "alpha" .* TLS failed: ERR_TLS_CERT_ALTNAME_INVALID/, up.output.slice(-4000));
        assert.equal(await alphaToken(), before);
    });

    it("4. a server that is another cluster rejects the token: the registration fails, naming it", async () => {
        // target-c's API URL and CA, but the objects (and so the token) are made on target-b through its context.
        world.writeConfig([
            ...entries("3"),
            {
                name: "mixed",
                server: world.c.server,
                context: "target-b",
                serviceAccount: "argocd-mixed",
                allowWildcardRbac: true,
                tls: { caData: world.c.caPem.toString("base64") },
            },
        ]);
        const up = await world.pulumi("up", "--yes");
        assert.notEqual(up.code, 0, "the up must fail");
        assert.match(up.output, /cluster "mixed" .* the API server rejected the token \(401\)/, up.output.slice(-4000));
        assert.equal(await world.clusterSecret(world.c), undefined, "no cluster Secret is written for it");
    });

    it("5. a server nobody answers at is an error under required, a warning under auto, and unchecked when off", async () => {
        const [closed] = await freePorts(1);
        const unreachable = {
            name: "elsewhere",
            server: `https://127.0.0.1:${closed}`,
            context: "target-c",
            serviceAccount: "argocd-elsewhere",
            allowWildcardRbac: true,
        };
        world.writeConfig([...entries("3"), { ...unreachable, verify: "required" }]);
        const required = await world.pulumi("up", "--yes");
        assert.notEqual(required.code, 0, "the up must fail");
        assert.match(
            required.output,
            /cluster "elsewhere" .* is not usable as Argo CD would use it: no connection \(ECONNREFUSED\)/,
            required.output.slice(-4000),
        );
        const secrets = await world.argocd.admin(
            "GET",
            "/api/v1/namespaces/argocd/secrets?labelSelector=argocd.argoproj.io%2Fsecret-type%3Dcluster",
        );
        assert.ok(
            !secrets.body.items.some((x: any) => Buffer.from(x.data.name, "base64").toString() === "elsewhere"),
            "its cluster Secret is not written",
        );

        world.writeConfig([...entries("3"), unreachable]);
        const auto = await world.pulumi("up", "--yes");
        assert.equal(auto.code, 0, auto.output.slice(-4000));
        assert.match(
            auto.output,
            /cluster "elsewhere" \(https:\/\/127\.0\.0\.1:\d+\) was not verified: no connection \(ECONNREFUSED\) from where Pulumi runs/,
        );
        assert.match(auto.output, /verify: required/);

        // verify: off skips the check: a rotation of the unreachable registration passes silently.
        world.writeConfig([...entries("4"), { ...unreachable, verify: "off", tokenRotation: "2" }]);
        const off = await world.pulumi("up", "--yes");
        assert.equal(off.code, 0, off.output.slice(-4000));
        assert.doesNotMatch(off.output, /"elsewhere".*not verified/);
        await alphaToken();
    });

    it("6. rights narrower than the CLI's need resource.respectRBAC on the Argo CD side: refused without it", async () => {
        const gamma = world.clusterEntries("4")[2];
        const argocdCm = "/api/v1/namespaces/argocd/configmaps/argocd-cm";
        const patchArgocdCm = async (patch: unknown) => {
            const res = await world.argocd.admin("PATCH", argocdCm, patch, "application/merge-patch+json");
            assert.equal(res.status, 200, JSON.stringify(res.body));
        };
        const setRespectRbac = (value: string | null) => patchArgocdCm({ data: { "resource.respectRBAC": value } });
        const partOf = (value: string | null) =>
            patchArgocdCm({ metadata: { labels: { "app.kubernetes.io/part-of": value } } });
        await setRespectRbac(null);
        try {
            world.writeConfig([...entries("4"), gamma]);
            const preview = await world.pulumi("preview");
            assert.notEqual(preview.code, 0, "the preview must fail");
            assert.match(
                preview.output,
                /Pulumi\.local\.yaml: argocd-clusters:clusters\[2\]\.rules: grants less than list and watch on every resource, and Argo CD \(argocd\/argocd-cm\) leaves resource\.respectRBAC unset: .* could not sync "gamma"/,
                preview.output.slice(-4000),
            );
            assert.match(preview.output, /fix: set resource\.respectRBAC: normal in argocd-cm/);
            assert.equal(await world.clusterSecret(world.c), undefined, "nothing was registered");

            // Rights are demanded on what Argo CD lists, not on what it excludes (issue 21 §3). With
            // resource.inclusions naming ConfigMaps alone, the controller lists just those on target-c and gamma's
            // rules suffice; with Secrets included too, gamma may not list them and is refused, naming them.
            const include = (kinds: string) =>
                patchArgocdCm({ data: { "resource.inclusions": `- apiGroups: [""]\n  kinds: [${kinds}]\n` } });
            await include("ConfigMap");
            const configMaps = await world.pulumi("preview");
            assert.equal(configMaps.code, 0, `ConfigMaps alone are listed: ${configMaps.output.slice(-4000)}`);
            assert.match(
                configMaps.output,
                /the rules of gamma cover every kind its controller lists there today; a kind served later/,
            );
            await include("ConfigMap, Secret");
            const secrets = await world.pulumi("preview");
            assert.notEqual(secrets.code, 0, "Secrets are listed and gamma may not list them");
            assert.match(
                secrets.output,
                /clusters\[2\]\.rules: .*\(here it may not list and watch Secret\), so it could not sync "gamma"/,
            );
            await patchArgocdCm({ data: { "resource.inclusions": null } });

            // respectRBAC normal, but in an argocd-cm without Argo CD's label: Argo CD reads no such ConfigMap
            // (util/settings/settings.go), so a real up refuses gamma before anything is written.
            await setRespectRbac("normal");
            await partOf(null);
            const up = await world.pulumi("up", "--yes");
            assert.notEqual(up.code, 0, "the up must fail");
            assert.match(
                up.output,
                /Pulumi\.local\.yaml: argocd-clusters:clusters\[2\]\.rules: grants less than list and watch on every resource, so Argo CD needs resource\.respectRBAC: normal or strict, and argocd\/argocd-cm has no label app\.kubernetes\.io\/part-of: argocd, so Argo CD does not read it: .* could not sync "gamma"/,
                up.output.slice(-4000),
            );
            assert.match(
                up.output,
                /fix: kubectl -n argocd label configmap argocd-cm app\.kubernetes\.io\/part-of=argocd/,
            );
            assert.equal(await world.clusterSecret(world.c), undefined, "no cluster Secret for gamma");
            const account = await world.c.admin("GET", "/api/v1/namespaces/kube-system/serviceaccounts/argocd-manager");
            assert.equal(account.status, 404, "nothing was written on gamma's target either");
        } finally {
            await patchArgocdCm({ data: { "resource.inclusions": null } });
            await setRespectRbac("normal");
            await partOf("argocd");
        }
        const up = await world.pulumi("up", "--yes");
        assert.equal(up.code, 0, up.output.slice(-4000));
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom((await world.clusterSecret(world.c))!), "default"),
            [201, 200],
        );
    });

    it("7. an endpoint served with another CA than the cluster's gets the kubeconfig's CA; a wrong explicit one fails", async () => {
        const lb = await World.loadBalancer(world.a, path.join(world.workDir, "load-balancer"));
        closers.push(lb);
        const gamma = world.clusterEntries("4")[2];
        // Pulumi reaches target-a through the load balancer too, verifying it with the balancer's CA.
        world.useKubeconfig(world.kubeconfigWithServer(world.a, lb.server, lb.caPem));
        const behindBalancer = {
            name: "alpha-lb",
            server: lb.server,
            context: "target-a",
            serviceAccount: "argocd-lb",
            allowWildcardRbac: true,
        };
        world.writeConfig([...entries("4"), gamma, behindBalancer]);
        const up = await world.pulumi("up", "--yes");
        assert.equal(up.code, 0, up.output.slice(-4000));
        const secrets = await world.argocd.admin(
            "GET",
            "/api/v1/namespaces/argocd/secrets?labelSelector=argocd.argoproj.io%2Fsecret-type%3Dcluster",
        );
        const found = secrets.body.items.find((x: any) => Buffer.from(x.data.name, "base64").toString() === "alpha-lb");
        assert.ok(found, "alpha-lb's cluster Secret is written");
        const secret = decodeClusterSecret(found);
        assert.equal(
            secret.config.tlsClientConfig.caData,
            lb.caPem.toString("base64"),
            "the kubeconfig's CA, not the cluster's own",
        );
        assert.deepEqual(
            await configMapRoundTrip(credentialsFrom(secret), "default"),
            [201, 200],
            "Argo CD verifies and uses it",
        );
        // And Argo CD's own code agrees: it reads the Secret, connects through the balancer and syncs.
        const judged = await world.judge(await ensureToolchain(), {
            target: found.metadata.name,
            configMapNamespaces: ["default"],
        });
        assert.equal(judged.code, 0, judged.stdout + judged.stderr);
        assert.equal(judged.byName["alpha-lb"].version?.ok, true);
        assert.equal(judged.byName["alpha-lb"].sync?.ok, true);
        // And a live Argo CD 3.6 deploys through it, by its name.
        await live.deploy("alpha-lb", { name: "alpha-lb", namespace: "default" }, world.a);

        // An explicit caData that does not sign the balancer's certificate (the cluster's own): refused.
        world.writeConfig([
            ...entries("4"),
            gamma,
            { ...behindBalancer, tokenRotation: "2", tls: { caData: world.a.caPem.toString("base64") } },
        ]);
        const wrong = await world.pulumi("up", "--yes");
        assert.notEqual(wrong.code, 0, "the up must fail");
        assert.match(
            wrong.output,
            /cluster "alpha-lb" \(https:\/\/localhost:\d+\) is not usable as Argo CD would use it: TLS failed/,
            wrong.output.slice(-4000),
        );
        const after = (await world.argocd.admin("GET", `/api/v1/namespaces/argocd/secrets/${found.metadata.name}`))
            .body;
        assert.equal(after.data.config, found.data.config, "Argo CD keeps the working Secret and token");
        // With which Argo CD still syncs a new commit.
        await live.syncNewCommit("alpha-lb", "2");
        assert.equal(await deployedRevision(world.a, "default"), "2");
    });
});
