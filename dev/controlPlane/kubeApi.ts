/**
 * A minimal Kubernetes API client over node:https: enough for the harness and the end-to-end tests to check
 * objects and to act as Argo CD would with a cluster Secret's credentials, with no client library whose own
 * defaults could hide a TLS or auth mistake.
 */
import * as https from "node:https";

export interface ApiCredentials {
    server: string;
    bearerToken: string;
    /** PEM CA bundle to verify the server with. */
    ca?: string | Buffer;
    insecure?: boolean;
    serverName?: string;
}

export interface ApiResponse {
    status: number;
    body: any;
}

/** `contentType` matters for PATCH: application/merge-patch+json, for instance. */
export function kubeRequest(
    creds: ApiCredentials,
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
): Promise<ApiResponse> {
    const url = new URL(creds.server.replace(/\/$/, "") + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = https.request(
            url,
            {
                method,
                ca: creds.ca,
                rejectUnauthorized: !creds.insecure,
                servername: creds.serverName,
                headers: {
                    ...(creds.bearerToken ? { Authorization: `Bearer ${creds.bearerToken}` } : {}),
                    Accept: "application/json",
                    ...(payload ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) } : {}),
                },
                timeout: 15_000,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    let parsed: unknown = text;
                    try {
                        parsed = JSON.parse(text);
                    } catch {
                        // plain text answers such as /readyz
                    }
                    resolve({ status: res.statusCode ?? 0, body: parsed });
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
        req.on("error", reject);
        if (payload) req.write(payload);
        req.end();
    });
}
