/**
 * A small fake Redis for unit tests of health/redisClient.ts and health/argocdReported.ts: a TCP server that
 * reads RESP commands (arrays of bulk strings, parsed here independently of the client under test) and answers
 * AUTH and GET as Redis 7 does, optionally behind a password, optionally one byte per write (to prove the
 * client reassembles replies).
 */
import * as net from "node:net";

export interface FakeRedisOptions {
    /** Required by AUTH before any GET; unset: no password. */
    password?: string;
    username?: string;
    /** Send every reply one byte at a time. */
    trickle?: boolean;
}

export class FakeRedis {
    readonly data = new Map<string, Buffer>();
    /** Every command received, as strings. */
    readonly commands: string[][] = [];
    private constructor(
        private readonly server: net.Server,
        private readonly options: FakeRedisOptions,
    ) {}

    get address(): string {
        return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    }

    static async start(options: FakeRedisOptions = {}): Promise<FakeRedis> {
        const server = net.createServer();
        const fake = new FakeRedis(server, options);
        server.on("connection", (socket) => fake.serve(socket));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return fake;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private serve(socket: net.Socket): void {
        let pending = Buffer.alloc(0);
        let authenticated = this.options.password === undefined;
        socket.on("error", () => {});
        socket.on("data", async (chunk) => {
            pending = Buffer.concat([pending, chunk]);
            for (;;) {
                const parsed = readCommand(pending);
                if (!parsed) return;
                pending = pending.subarray(parsed.next);
                const args = parsed.args;
                this.commands.push(args.map((a) => a.toString("utf8")));
                const name = args[0].toString("utf8").toUpperCase();
                let reply: Buffer;
                if (name === "AUTH") {
                    const [user, pass] =
                        args.length === 3 ? [args[1].toString(), args[2].toString()] : ["default", args[1].toString()];
                    authenticated = pass === this.options.password && user === (this.options.username ?? "default");
                    reply = Buffer.from(
                        authenticated
                            ? "+OK\r\n"
                            : "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
                    );
                } else if (!authenticated) reply = Buffer.from("-NOAUTH Authentication required.\r\n");
                else if (name === "GET") {
                    const value = this.data.get(args[1].toString("utf8"));
                    reply =
                        value === undefined
                            ? Buffer.from("$-1\r\n")
                            : Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from("\r\n")]);
                } else reply = Buffer.from(`-ERR unknown command '${name}'\r\n`);
                if (!this.options.trickle) socket.write(reply);
                else for (const byte of reply) socket.write(Buffer.from([byte]));
            }
        });
    }
}

/** One command (`*N` then N `$len` bulk strings) from the start of `data`; undefined while incomplete. */
function readCommand(data: Buffer): { args: Buffer[]; next: number } | undefined {
    let at = 0;
    const line = (): string | undefined => {
        const end = data.indexOf("\r\n", at);
        if (end < 0) return undefined;
        const text = data.toString("utf8", at, end);
        at = end + 2;
        return text;
    };
    const head = line();
    if (head === undefined) return undefined;
    if (!head.startsWith("*")) throw new Error(`fake Redis: not a command: ${head}`);
    const args: Buffer[] = [];
    for (let i = 0; i < Number(head.slice(1)); i++) {
        const size = line();
        if (size === undefined) return undefined;
        const length = Number(size.slice(1));
        if (data.length < at + length + 2) return undefined;
        args.push(Buffer.from(data.subarray(at, at + length)));
        at += length + 2;
    }
    return { args, next: at };
}
