/**
 * A loopback stand-in for a kube-apiserver, for unit tests of the program's own connections (the check before
 * saving, the health report, the bound token's TokenRequest): serves TLS with its own throwaway CA, answers
 * /version (401 for a token it does not know) and SelfSubjectAccessReviews (denied for any verb in `denied`).
 * `accessReviews` makes the access reviews misbehave after /version has answered, as a flaky load balancer or
 * an overloaded API server does; `routes` answers further paths. No network beyond loopback.
 */
import * as fs from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { makeCerts } from "../../dev/controlPlane/certs";

export interface FakeApi {
    server: string;
    /** The one bearer token it accepts. */
    token: string;
    /** base64 PEM of the CA that signs its certificate. */
    caData: string;
    /** base64 PEM of another CA, which does not. */
    otherCaData: string;
    close(): Promise<void>;
}

/**
 * How access reviews are met: answered; the connection reset; never answered (stalled); or answered with
 * headers and then a byte now and then, never ending (trickled: no idle timeout catches it).
 */
export type AccessReviewBehaviour = "answer" | "reset" | "stall" | "trickle";

export interface FakeApiOptions {
    accessReviews?: AccessReviewBehaviour;
    /** Further paths (`METHOD /path`, without the query), answered with the JSON returned, for a known token. */
    routes?: Record<string, (body: string) => { status: number; body: unknown }>;
}

export async function fakeApi(
    validToken: string,
    denied: Set<string> = new Set(),
    options: FakeApiOptions = {},
): Promise<FakeApi> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-api-"));
    const certs = makeCerts(path.join(dir, "api"), "api", "127.0.0.1");
    const other = makeCerts(path.join(dir, "other"), "other", "127.0.0.1");
    const timers = new Set<NodeJS.Timeout>();
    const accessReview = (res: http.ServerResponse, body: string) => {
        switch (options.accessReviews ?? "answer") {
            case "reset":
                res.socket?.destroy();
                return;
            case "stall":
                return;
            case "trickle": {
                res.writeHead(201, { "Content-Type": "application/json" });
                const timer = setInterval(() => res.write(" "), 100);
                timers.add(timer);
                res.once("close", () => clearInterval(timer));
                return;
            }
            default: {
                const spec = JSON.parse(body).spec;
                const verb = spec?.resourceAttributes?.verb ?? spec?.nonResourceAttributes?.verb;
                res.statusCode = 201;
                res.end(JSON.stringify({ status: { allowed: !denied.has(verb) } }));
            }
        }
    };
    const server = https.createServer(
        { cert: fs.readFileSync(certs.servingCert), key: fs.readFileSync(certs.servingKey) },
        (req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                res.setHeader("Content-Type", "application/json");
                const route = options.routes?.[`${req.method} ${new URL(req.url ?? "/", "https://api").pathname}`];
                if (req.headers.authorization !== `Bearer ${validToken}`) {
                    res.statusCode = 401;
                    res.end(JSON.stringify({ kind: "Status", code: 401 }));
                } else if (req.url === "/version") {
                    res.end(JSON.stringify({ gitVersion: "v1.36.3" }));
                } else if (route) {
                    const answer = route(body);
                    res.statusCode = answer.status;
                    res.end(JSON.stringify(answer.body));
                } else if (req.url === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
                    accessReview(res, body);
                } else {
                    res.statusCode = 404;
                    res.end(JSON.stringify({ kind: "Status", code: 404 }));
                }
            });
        },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    return {
        server: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        token: validToken,
        caData: fs.readFileSync(certs.caCert).toString("base64"),
        otherCaData: fs.readFileSync(other.caCert).toString("base64"),
        close: () =>
            new Promise<void>((resolve) => {
                for (const timer of timers) clearInterval(timer);
                server.closeAllConnections();
                server.close(() => resolve());
                fs.rmSync(dir, { recursive: true, force: true });
            }),
    };
}

/**
 * The Argo CD cluster as the program's own reads before an up see it: argocd-cm in `namespace` as `argocdCm`
 * gives it (labelled app.kubernetes.io/part-of: argocd, respectRBAC normal, as OpenShift GitOps writes it for
 * least privilege), and no cluster Secrets.
 */
export function fakeArgoCdCluster(
    namespace: string,
    token: string,
    argocdCm: unknown = {
        metadata: { name: "argocd-cm", namespace, labels: { "app.kubernetes.io/part-of": "argocd" } },
        data: { "resource.respectRBAC": "normal" },
    },
): Promise<FakeApi> {
    return fakeApi(token, new Set(), {
        routes: {
            [`GET /api/v1/namespaces/${namespace}/configmaps/argocd-cm`]: () => ({ status: 200, body: argocdCm }),
            [`GET /api/v1/namespaces/${namespace}/secrets`]: () => ({
                status: 200,
                body: { kind: "SecretList", apiVersion: "v1", metadata: {}, items: [] },
            }),
        },
    });
}
