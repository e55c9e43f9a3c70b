/**
 * The `server` key: the registration's identity. Argo CD parses it with Go's url.ParseRequestURI to name the
 * cluster Secret, matches Applications to it as an exact string, and client-go connects to it; so it has its
 * own rules (validateServer) and a way to quote a URL in a message without its password. Which servers are one
 * is argocd/serverKey.ts's.
 */
import { clusterSecretName, parseIpAddr, parseRequestUri } from "../argocd/clusterSecret";
import { argocdServerKey } from "../argocd/serverKey";
import { DNS_SUBDOMAIN, MAX_NAME } from "./kubernetesNames";
import type { Problems } from "./problems";

/**
 * `server` is the registration's key: Argo CD parses it with Go's url.ParseRequestURI to name the cluster
 * Secret, matches Applications to it as an exact string, and client-go connects to it. It is accepted only in
 * the one shape all three read alike: https, a DNS name or IP address, an optional port, an optional path.
 * Each refusal says what is wrong in words; a server is quoted without its userinfo, never with a password.
 */
export function validateServer(p: Problems, path: string, raw: unknown): string | undefined {
    const fix = "write the API URL Argo CD reaches the cluster at, e.g. https://api.cluster.example:6443";
    const server = p.required(path, raw, fix);
    if (server === undefined) return undefined;
    const shown = quoteServer(server);
    const fail = (message: string, why = fix) => p.add(path, `${shown} ${message}`, why);

    if (server !== server.trim()) {
        return fail(
            "has leading or trailing whitespace",
            `write ${quoteServer(server.trim())}: Argo CD and client-go take the string as written`,
        );
    }
    if (/[\s\x00-\x1f\x7f-\x9f\u200b\ufeff]/.test(server)) {
        return fail("contains whitespace or a control character", "remove it; in a path, write a space as %20");
    }
    if (server.includes("\\")) {
        return fail(
            "contains a backslash",
            "use forward slashes: Go's net/url does not read a backslash as a slash, as browsers do",
        );
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(server);
    if (scheme?.[1].toLowerCase() !== "https") return fail("must use https");
    const afterScheme = server.slice(scheme[0].length);
    if (!afterScheme.startsWith("//")) {
        return fail(
            `has no "//" after "${scheme[0]}": Go's net/url reads it as a URL without a host`,
            `write ${quoteServer(`${scheme[0]}//${afterScheme.replace(/^\/+/, "")}`)}`,
        );
    }
    // Credentials first: a password may hold '/', '?' or '#', which would otherwise read as path, query or fragment.
    if (server.includes("@")) {
        return fail(
            'carries credentials before "@" (not shown)',
            "remove them: Argo CD authenticates with the ServiceAccount token, and the server URL is stored in the clear " +
                "in the cluster Secret and in every Application",
        );
    }
    for (const [mark, part] of [
        ["?", "query"],
        ["#", "fragment"],
    ]) {
        // Quoted up to the mark only: a query may carry a token.
        if (server.includes(mark)) {
            const length = server.length - server.indexOf(mark);
            return p.add(
                path,
                `${quoteServer(server.slice(0, server.indexOf(mark)))} is followed by a ${part} of ${length} characters`,
                "remove it: use scheme, host, port and path only",
            );
        }
    }
    const authority = afterScheme.slice(2).split("/", 1)[0];
    if (authority.includes("@")) {
        return fail(
            'carries credentials before "@" (not shown)',
            "remove them: Argo CD authenticates with the ServiceAccount token, and the server URL is stored in the clear " +
                "in the cluster Secret and in every Application",
        );
    }
    const serverPath = afterScheme.slice(2 + authority.length);
    const hostProblem = checkAuthority(authority);
    if (hostProblem) return fail(...hostProblem);
    if (serverPath.endsWith("/")) {
        return fail(
            "ends with a slash",
            `write ${quoteServer(argocdServerKey(server))}: Argo CD matches clusters by the exact string and strips the slash`,
        );
    }
    const badInPath = /[^-A-Za-z0-9._~!$&'()*+,;=:@/%]|%(?![0-9A-Fa-f]{2})/.exec(serverPath);
    if (badInPath) {
        const c = badInPath[0];
        const encoded = [...Buffer.from(c, "utf8")]
            .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
            .join("");
        return fail(`has "${c}" in its path`, `percent-encode it: ${encoded}`);
    }
    // Backstop: whatever passed the checks above must also parse as Go parses it.
    const parsed = parseRequestUri(server);
    if ("error" in parsed) return fail(`is not a URL Go's net/url accepts (${parsed.error}), so Argo CD cannot use it`);
    const secretName = clusterSecretName(server);
    if (secretName.length > MAX_NAME || !DNS_SUBDOMAIN.test(secretName)) {
        return fail(
            `gives the Secret name "${secretName}", which Kubernetes rejects`,
            "use a DNS host name or IP address of at most 230 characters",
        );
    }
    return server;
}

/** A server's host and port, as [message, fix] when Go, client-go or the Secret name cannot use them. */
function checkAuthority(authority: string): [string, string] | undefined {
    const ipv6 = /^\[([^\]]*)\](.*)$/.exec(authority);
    const [host, port] = ipv6
        ? [`[${ipv6[1]}]`, ipv6[2]]
        : [authority.split(":", 1)[0], authority.slice(authority.split(":", 1)[0].length)];
    if (host === "" || host === "[]") {
        return [
            "has an empty host",
            "write the API URL Argo CD reaches the cluster at, e.g. https://api.cluster.example:6443",
        ];
    }
    if (ipv6) {
        if (ipv6[1].includes("%")) {
            const zone = ipv6[1].slice(ipv6[1].indexOf("%"));
            return [
                `has an IPv6 zone ("${zone}"): the cluster Secret's name would contain "%", which Kubernetes refuses`,
                "use an address without a zone",
            ];
        }
        const addr = parseIpAddr(ipv6[1]);
        if ("error" in addr || addr.bytes.length === 4) {
            return [
                `has "${host}" as its host, which is not an IPv6 address`,
                "write an IPv6 address in brackets, e.g. https://[2001:db8::1]:6443, an IPv4 address without them",
            ];
        }
    } else if (!validDnsHost(host)) {
        return [
            `has the host "${host}", which is not a DNS name or IPv4 address`,
            "use a host of letters, digits, '-' and '.' (each label at most 63 characters), an IPv4 address, or an IPv6 address in brackets",
        ];
    }
    // Go accepts an empty, zero-padded or out-of-range port and the dial fails later; one spelling per port
    // also keeps two spellings of one server from being two registrations.
    if (port !== "" && !(/^:[1-9][0-9]{0,4}$/.test(port) && Number(port.slice(1)) <= 65535)) {
        return [
            `has the port "${port.slice(1)}"; a port is a number from 1 to 65535`,
            "write the port in decimal without leading zeros, or leave it out for 443",
        ];
    }
    return undefined;
}

/** A DNS name (any letter case, as Go and DNS accept) or a dotted IPv4 address. */
function validDnsHost(host: string): boolean {
    const lower = host.toLowerCase();
    if (lower.length > MAX_NAME || !DNS_SUBDOMAIN.test(lower) || lower.split(".").some((label) => label.length > 63))
        return false;
    // All-numeric labels are an IPv4 address, or a typo of one that DNS would be asked for.
    return !/^[0-9.]+$/.test(lower) || !("error" in parseIpAddr(lower));
}

/** A server URL quoted for a message: JSON-escaped so whitespace shows, with any userinfo (a password) removed. */
export function quoteServer(server: string): string {
    return JSON.stringify(withoutUserinfo(server));
}

/**
 * A URL without anything that may be a password: everything from the scheme's "//" (or the start) to the last
 * "@". A password may hold '/', '?' or '#', which a URL parser reads as the end of the authority, so the
 * authority is not parsed: anything before the last "@" may be part of the credentials.
 */
export function withoutUserinfo(url: string): string {
    const at = url.lastIndexOf("@");
    if (at < 0) return url;
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)?.[0] ?? "";
    return scheme + url.slice(at + 1);
}
