/**
 * A very small Redis client, enough for the health report to read a few keys from Argo CD's Redis: one TCP
 * connection, commands sent as RESP arrays of bulk strings, replies parsed as RESP2 (simple strings, errors,
 * integers, bulk strings as Buffers, arrays). No pipelining beyond sending in order, no TLS, no reconnects: the
 * report connects, authenticates, reads and closes. Written here rather than taken from npm because those few
 * lines are all it needs (docs/health.md, "What Argo CD itself reported").
 */
import * as net from "node:net";

export type RespValue = string | number | Buffer | null | RedisReplyError | RespValue[];

/** An error reply (`-ERR ...`, `-WRONGPASS ...`): Redis's own words, which never quote a password. */
export class RedisReplyError extends Error {}

/** `HOST:PORT` or `[IPV6]:PORT`; undefined when it is neither. */
export function parseAddress(address: string): { host: string; port: number } | undefined {
    const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(address);
    if (!match) return undefined;
    const port = Number(match[3]);
    if (port < 1 || port > 65535) return undefined;
    return { host: match[1] ?? match[2], port };
}

/** One command as RESP: an array of bulk strings. */
export function encodeCommand(args: (string | Buffer)[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
        const bytes = typeof arg === "string" ? Buffer.from(arg) : arg;
        parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
    }
    return Buffer.concat(parts);
}

/**
 * The reply starting at `offset` in `data` and where the next one starts; undefined while `data` does not yet
 * hold all of it. Throws on bytes that are not RESP.
 */
export function parseReply(data: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const type = String.fromCharCode(data[offset]);
    const line = data.toString("utf8", offset + 1, lineEnd);
    const after = lineEnd + 2;
    switch (type) {
        case "+":
            return { value: line, next: after };
        case "-":
            return { value: new RedisReplyError(line), next: after };
        case ":":
            return { value: Number(line), next: after };
        case "$": {
            const length = Number(line);
            if (length < 0) return { value: null, next: after };
            if (data.length < after + length + 2) return undefined;
            return { value: Buffer.from(data.subarray(after, after + length)), next: after + length + 2 };
        }
        case "*": {
            const count = Number(line);
            if (count < 0) return { value: null, next: after };
            const items: RespValue[] = [];
            let next = after;
            for (let i = 0; i < count; i++) {
                const item = parseReply(data, next);
                if (!item) return undefined;
                items.push(item.value);
                next = item.next;
            }
            return { value: items, next };
        }
        default:
            throw new Error(`not a Redis reply (starts with ${JSON.stringify(type)})`);
    }
}

export class RedisClient {
    private received = Buffer.alloc(0);
    private readonly waiting: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
    private failure?: Error;

    private constructor(private readonly socket: net.Socket) {
        socket.on("data", (chunk) => this.onData(chunk));
        socket.on("error", (err) => this.fail(err));
        socket.on("close", () => this.fail(new Error("the connection closed")));
    }

    /** Connects to `address` (HOST:PORT); every later command also fails after `timeoutMs` without a reply. */
    static connect(address: string, timeoutMs = 5000): Promise<RedisClient> {
        const target = parseAddress(address);
        if (!target) return Promise.reject(new Error(`${JSON.stringify(address)} is not HOST:PORT`));
        return new Promise((resolve, reject) => {
            const socket = net.connect(target.port, target.host);
            socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
            socket.once("connect", () => resolve(new RedisClient(socket)));
            socket.once("error", reject);
        });
    }

    /** Sends one command; resolves with its reply, rejects with a RedisReplyError on an error reply. */
    command(...args: (string | Buffer)[]): Promise<RespValue> {
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve, reject) => {
            this.waiting.push({
                resolve: (value) => (value instanceof RedisReplyError ? reject(value) : resolve(value)),
                reject,
            });
            this.socket.write(encodeCommand(args));
        });
    }

    close(): void {
        this.failure ??= new Error("the connection was closed");
        this.socket.destroy();
    }

    private onData(chunk: Buffer): void {
        this.received = Buffer.concat([this.received, chunk]);
        for (;;) {
            let reply: ReturnType<typeof parseReply>;
            try {
                reply = parseReply(this.received);
            } catch (err) {
                this.socket.destroy(err as Error);
                return;
            }
            if (!reply) return;
            this.received = this.received.subarray(reply.next);
            this.waiting.shift()?.resolve(reply.value);
        }
    }

    private fail(err: Error): void {
        this.failure ??= err;
        for (const w of this.waiting.splice(0)) w.reject(this.failure);
    }
}
