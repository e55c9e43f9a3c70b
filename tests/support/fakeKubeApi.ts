/**
 * A Kubernetes API in memory, over plain HTTP on 127.0.0.1, for unit tests of the program's direct API calls
 * (components/kubeClient.ts): objects by path, lists of a collection (also across namespaces), label and field
 * selectors of the form `key=value`, deletes with uid/resourceVersion preconditions, and a log of every request.
 * Only what those calls use; the end-to-end tests run real API servers (tests/support/world.ts).
 */
import * as http from "node:http";
import type * as net from "node:net";
import type { ClusterAccess } from "../../stack/kubeconfig";

export interface FakeKubeApi {
    /** What the program's calls are given to reach this server. */
    access: ClusterAccess;
    /** Stores an object at its path, e.g. `/api/v1/namespaces/kube-system/secrets/x`, with a uid and resourceVersion. */
    put(path: string, object: Record<string, any>): void;
    /** The object at a path, or undefined. */
    get(path: string): Record<string, any> | undefined;
    /** Every request so far, as `METHOD path` (without the query). */
    requests: string[];
    close(): Promise<void>;
}

export async function fakeKubeApi(): Promise<FakeKubeApi> {
    const objects = new Map<string, Record<string, any>>();
    const requests: string[] = [];
    let version = 1;
    const put = (path: string, object: Record<string, any>) => {
        const metadata = { uid: `uid-${version}`, ...object.metadata, resourceVersion: String(version++) };
        objects.set(path, { ...object, metadata });
    };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "http://fake");
            const path = url.pathname.replace(/\/+$/, "");
            requests.push(`${req.method} ${path}`);
            const reply = (code: number, answer: unknown) => {
                res.statusCode = code;
                res.setHeader("Content-Type", "application/json");
                res.end(JSON.stringify(answer));
            };
            const status = (code: number) => reply(code, { kind: "Status", apiVersion: "v1", code });
            const found = objects.get(path);
            if (req.method === "GET") {
                if (found) return reply(200, found);
                const items = [...objects.entries()]
                    .filter(([key]) => inCollection(key, path))
                    .map(([, o]) => o)
                    .filter((o) => matches(url.searchParams.get("labelSelector"), (k) => o.metadata?.labels?.[k]))
                    .filter((o) => matches(url.searchParams.get("fieldSelector"), (k) => fieldOf(o, k)));
                if (items.length === 0 && isObjectPath(path)) return status(404);
                return reply(200, { kind: "List", apiVersion: "v1", metadata: {}, items });
            }
            if (req.method === "DELETE") {
                if (!found) return status(404);
                const preconditions = body ? JSON.parse(body).preconditions : undefined;
                if (
                    (preconditions?.uid && preconditions.uid !== found.metadata.uid) ||
                    (preconditions?.resourceVersion && preconditions.resourceVersion !== found.metadata.resourceVersion)
                )
                    return status(409);
                objects.delete(path);
                return reply(200, { kind: "Status", apiVersion: "v1", status: "Success" });
            }
            status(405);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: fake, cluster: {server: ${url}, insecure-skip-tls-verify: true}}]`,
        "users: [{name: fake, user: {token: fake}}]",
        "contexts: [{name: fake, context: {cluster: fake, user: fake}}]",
        "current-context: fake",
    ].join("\n");
    return {
        access: { context: "fake", kubeconfig, server: url },
        put,
        get: (path) => objects.get(path),
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** Whether `key` (an object's path) is in the collection `path`: its parent, or across namespaces. */
function inCollection(key: string, path: string): boolean {
    const parent = key.slice(0, key.lastIndexOf("/"));
    if (parent === path) return true;
    // /apis/g/v/namespaces/ns/kind/name is in /apis/g/v/kind as well.
    const across = parent.replace(/\/namespaces\/[^/]+\/([^/]+)$/, "/$1");
    return across !== parent && across === path;
}

/** A path whose last segment names an object, not a collection: `.../secrets/x`, not `.../secrets`. */
function isObjectPath(path: string): boolean {
    const parts = path.split("/").filter(Boolean);
    const core = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
    const rest = core[0] === "namespaces" && core.length > 2 ? core.slice(2) : core;
    return rest.length === 2;
}

function fieldOf(o: Record<string, any>, key: string): unknown {
    if (key === "type") return o.type;
    if (key === "metadata.name") return o.metadata?.name;
    if (key === "metadata.namespace") return o.metadata?.namespace;
    return undefined;
}

function matches(selector: string | null, value: (key: string) => unknown): boolean {
    if (!selector) return true;
    return selector.split(",").every((term) => {
        const [k, v] = term.split("=");
        return value(k) === v;
    });
}
