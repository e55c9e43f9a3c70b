/**
 * The Argo CD side of a registration as plain data: the cluster Secret's name and contents exactly as Argo CD
 * writes and reads them (util/db/secrets.go, util/db/cluster.go). Pure functions, so they are tested
 * without any engine.
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text` (Go's hash/fnv New32a). */
export function fnv32a(text: string): number {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(text, "utf8")) {
        hash ^= byte;
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash >>> 0;
}

/**
 * The name Argo CD gives the Secret of `server` (URIToSecretName, util/db/secrets.go): `cluster-<host>-<hash>`.
 * The host is the one Go's url.ParseRequestURI reads: an IPv6 address in brackets is formatted by Go's
 * netip (an IPv4-mapped address keeps its `::ffff:a.b.c.d` form, which WHATWG URL would rewrite) with its
 * colons turned into dashes; any other host is cut at its first colon. The host is lowercased; the hash is
 * FNV-1a 32 of the server as written. Matching it means `argocd cluster add` and this program address the
 * same Secret instead of creating a duplicate. Checked against Go itself: tests/vectors/secretname.
 * Throws for a server Argo CD cannot parse (validation refuses those first).
 */
export function clusterSecretName(server: string): string {
    const uri = parseRequestUri(server);
    if ("error" in uri) throw new Error(`Argo CD cannot name a cluster Secret after this server: ${uri.error}`);
    let host = uri.host;
    if (host.startsWith("[")) {
        const end = host.indexOf("]");
        const addr = parseIpAddr(host.slice(1, end));
        if ("error" in addr) throw new Error(`Argo CD cannot name a cluster Secret after this server: ${addr.error}`);
        host = formatIpAddr(addr).replace(/:/g, "-");
    } else if (host.includes(":")) {
        host = host.slice(0, host.indexOf(":"));
    }
    // Go lowercases per Unicode code point too; hosts that are valid names are ASCII anyway.
    return `cluster-${host.toLowerCase()}-${fnv32a(server)}`;
}

/** What Go's url.ParseRequestURI reads from a URL, as far as naming and validating a server needs. */
export interface RequestUri {
    /** Lowercased, as Go stores it. */
    scheme: string;
    /** `scheme:rest` without "/" after the colon: Go takes `rest` as an opaque part and the URL has no host. */
    opaque?: string;
    /** As written, before "@"; Go keeps it in the URL. */
    userinfo?: string;
    /** Go's `Host`: host and port, percent-escapes decoded; empty when the URL has none. */
    host: string;
    /** The path as written. */
    path: string;
    query?: string;
}

/**
 * Go's url.ParseRequestURI (net/url, Go 1.26 defaults), restated for the parts Argo CD's name depends on and
 * the failures Go reports. A URL Go refuses gives `{ error }`. The fragment is not cut: a request URI has
 * none, so "#" is part of the host or path.
 */
export function parseRequestUri(raw: string): RequestUri | { error: string } {
    if (/[\x00-\x1f\x7f]/.test(raw)) return { error: "invalid control character in URL" };
    if (raw === "") return { error: "empty url" };
    if (raw === "*") return { scheme: "", host: "", path: "*" };
    const schemeEnd = goSchemeEnd(raw);
    if (schemeEnd === 0) return { error: "missing protocol scheme" };
    const scheme = schemeEnd < 0 ? "" : raw.slice(0, schemeEnd).toLowerCase();
    let rest = schemeEnd < 0 ? raw : raw.slice(schemeEnd + 1);
    let query: string | undefined;
    if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
        [rest, query] = [rest.slice(0, -1), ""];
    } else if (rest.includes("?")) {
        [rest, query] = [rest.slice(0, rest.indexOf("?")), rest.slice(rest.indexOf("?") + 1)];
    }
    if (!rest.startsWith("/")) {
        if (scheme !== "") return { scheme, opaque: rest, host: "", path: "", query };
        return { error: "invalid URI for request" };
    }
    let host = "";
    let userinfo: string | undefined;
    if (scheme !== "" && rest.startsWith("//")) {
        let authority = rest.slice(2);
        rest = "";
        if (authority.includes("/"))
            [authority, rest] = [authority.slice(0, authority.indexOf("/")), authority.slice(authority.indexOf("/"))];
        const at = authority.lastIndexOf("@");
        const parsedHost = parseHost(scheme, authority.slice(at + 1));
        if (typeof parsedHost !== "string") return parsedHost;
        host = parsedHost;
        if (at >= 0) {
            userinfo = authority.slice(0, at);
            if (!/^[-A-Za-z0-9._:~!$&'()*+,;=%@]*$/.test(userinfo)) return { error: "invalid userinfo" };
            const escapes = goUnescape(userinfo, "other");
            if (typeof escapes !== "string") return escapes;
        }
    }
    const path = goUnescape(rest, "other");
    if (typeof path !== "string") return path;
    return { scheme, userinfo, host, path: rest, query };
}

/** Where Go's getScheme ends a scheme ([A-Za-z][A-Za-z0-9+.-]*:): the colon's index, 0 for a leading colon, -1 for none. */
function goSchemeEnd(raw: string): number {
    for (let i = 0; i < raw.length; i++) {
        const c = raw[i];
        if (/[A-Za-z]/.test(c)) continue;
        if (/[0-9+.-]/.test(c)) {
            if (i === 0) return -1;
            continue;
        }
        return c === ":" ? i : -1;
    }
    return -1;
}

/** Go's parseHost: `[IPv6]:port` or `host:port`, percent-escapes checked and decoded. */
function parseHost(scheme: string, host: string): string | { error: string } {
    const open = host.lastIndexOf("[");
    if (open > 0) return { error: "invalid IP-literal" };
    if (open === 0) {
        const close = host.lastIndexOf("]");
        if (close < 0) return { error: "missing ']' in host" };
        const colonPort = host.slice(close + 1);
        if (!/^(:[0-9]*)?$/.test(colonPort)) return { error: `invalid port ${JSON.stringify(colonPort)} after host` };
        const literal = host.slice(1, close);
        const zone = literal.indexOf("%25");
        const address = zone >= 0 ? goUnescape(literal.slice(0, zone), "host") : goUnescape(literal, "host");
        if (typeof address !== "string") return address;
        const zoneText = zone >= 0 ? goUnescape(literal.slice(zone), "zone") : "";
        if (typeof zoneText !== "string") return zoneText;
        const addr = parseIpAddr(address + zoneText);
        if ("error" in addr) return { error: `invalid host: ${addr.error}` };
        // Only an IPv6 address may stand in brackets; an IPv4-mapped one is IPv6.
        if (addr.bytes.length === 4) return { error: "invalid IP-literal" };
        return `[${address}${zoneText}]${colonPort}`;
    }
    const colon = host.indexOf(":");
    if (colon >= 0) {
        // Go 1.26 (urlstrictcolons=1) takes the first colon for http and https, the last for other schemes.
        const start = scheme === "http" || scheme === "https" ? colon : host.lastIndexOf(":");
        if (!/^:[0-9]*$/.test(host.slice(start)))
            return { error: `invalid port ${JSON.stringify(host.slice(start))} after host` };
    }
    return goUnescape(host, "host");
}

/** Characters a host may hold unescaped (Go's shouldEscape in encodeHost mode). */
const HOST_CHARACTER = /^[A-Za-z0-9!$&'()*+,;=:[\]<>"\-_.~]$/;

/**
 * Go's unescape: checks every "%XX" and decodes them. A host may escape only non-ASCII bytes (and "%25"), a
 * zone only what a host could hold unescaped (or a space), and both refuse ASCII a host may not hold.
 */
function goUnescape(text: string, mode: "host" | "zone" | "other"): string | { error: string } {
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "%") {
            const hex = text.slice(i + 1, i + 3);
            if (!/^[0-9A-Fa-f]{2}$/.test(hex))
                return { error: `invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}` };
            const value = parseInt(hex, 16);
            const isPercent = value === 0x25;
            if (mode === "host" && value < 0x80 && !isPercent)
                return { error: `invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}` };
            if (mode === "zone" && !isPercent && value !== 0x20 && !HOST_CHARACTER.test(String.fromCharCode(value))) {
                return { error: `invalid URL escape ${JSON.stringify(text.slice(i, i + 3))}` };
            }
            bytes.push(value);
            i += 2;
        } else {
            if (mode !== "other" && c.charCodeAt(0) < 0x80 && !HOST_CHARACTER.test(c)) {
                return { error: `invalid character ${JSON.stringify(c)} in host name` };
            }
            bytes.push(...Buffer.from(c, "utf8"));
        }
    }
    return Buffer.from(bytes).toString("utf8");
}

/** An IP address as Go's net/netip holds one: 4 bytes (IPv4) or 16 (IPv6, then maybe a zone). */
export interface IpAddr {
    bytes: number[];
    zone?: string;
}

/** Go's netip.ParseAddr. */
export function parseIpAddr(text: string): IpAddr | { error: string } {
    for (const c of text) {
        if (c === ".") return parseIPv4(text);
        if (c === ":") return parseIPv6(text);
        if (c === "%") return { error: "missing IPv6 address" };
    }
    return { error: "unable to parse IP" };
}

function parseIPv4(text: string): IpAddr | { error: string } {
    const fields: number[] = [];
    let value = 0;
    let digits = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c >= "0" && c <= "9") {
            if (digits === 1 && value === 0) return { error: "IPv4 field has octet with leading zero" };
            value = value * 10 + Number(c);
            digits++;
            if (value > 255) return { error: "IPv4 field has value >255" };
        } else if (c === ".") {
            if (i === 0 || i === text.length - 1 || text[i - 1] === ".")
                return { error: "IPv4 field must have at least one digit" };
            if (fields.length === 3) return { error: "IPv4 address too long" };
            fields.push(value);
            [value, digits] = [0, 0];
        } else {
            return { error: "unexpected character" };
        }
    }
    if (fields.length < 3) return { error: "IPv4 address too short" };
    return { bytes: [...fields, value] };
}

function parseIPv6(input: string): IpAddr | { error: string } {
    let text = input;
    let zone: string | undefined;
    if (text.includes("%")) {
        [text, zone] = [text.slice(0, text.indexOf("%")), text.slice(text.indexOf("%") + 1)];
        if (zone === "") return { error: "zone must be a non-empty string" };
    }
    const bytes = new Array<number>(16).fill(0);
    let ellipsis = -1;
    if (text.startsWith("::")) {
        ellipsis = 0;
        text = text.slice(2);
        if (text === "") return { bytes, zone };
    }
    let i = 0;
    while (i < 16) {
        const group = /^[0-9A-Fa-f]*/.exec(text)![0];
        if (group.length > 4) return { error: "each group must have 4 or less digits" };
        if (group.length === 0) return { error: "each colon-separated field must have at least one digit" };
        if (text[group.length] === ".") {
            // A trailing IPv4 address fills the last 4 bytes.
            if (ellipsis < 0 && i !== 12)
                return { error: "embedded IPv4 address must replace the final 2 fields of the address" };
            if (i + 4 > 16) return { error: "too many hex fields to fit an embedded IPv4 at the end of the address" };
            const v4 = parseIPv4(text);
            if ("error" in v4) return v4;
            bytes.splice(i, 4, ...v4.bytes);
            [text, i] = ["", i + 4];
            break;
        }
        const value = parseInt(group, 16);
        [bytes[i], bytes[i + 1]] = [value >> 8, value & 0xff];
        i += 2;
        text = text.slice(group.length);
        if (text === "") break;
        if (text[0] !== ":") return { error: "unexpected character, want colon" };
        if (text.length === 1) return { error: "colon must be followed by more characters" };
        text = text.slice(1);
        if (text[0] === ":") {
            if (ellipsis >= 0) return { error: "multiple :: in address" };
            ellipsis = i;
            text = text.slice(1);
            if (text === "") break;
        }
    }
    if (text !== "") return { error: "trailing garbage after address" };
    if (i < 16) {
        if (ellipsis < 0) return { error: "address string too short" };
        const zeros = 16 - i;
        bytes.splice(ellipsis, 0, ...new Array<number>(zeros).fill(0));
        bytes.length = 16;
    } else if (ellipsis >= 0) {
        return { error: "the :: must expand to at least one field of zeros" };
    }
    return { bytes, zone };
}

/**
 * Go's netip Addr.String: dotted IPv4; IPv4-mapped IPv6 as `::ffff:a.b.c.d`; other IPv6 per RFC 5952
 * (lowercase, no leading zeros, the first longest run of two or more zero groups as "::"); then `%zone`.
 */
export function formatIpAddr(addr: IpAddr): string {
    const { bytes } = addr;
    if (bytes.length === 4) return bytes.join(".");
    const zone = addr.zone !== undefined ? `%${addr.zone}` : "";
    if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
        return `::ffff:${bytes.slice(12).join(".")}${zone}`;
    }
    const groups = Array.from({ length: 8 }, (_, g) => (bytes[2 * g] << 8) | bytes[2 * g + 1]);
    let [zeroStart, zeroEnd] = [-1, -1];
    for (let g = 0; g < 8; g++) {
        let end = g;
        while (end < 8 && groups[end] === 0) end++;
        if (end - g >= 2 && end - g > zeroEnd - zeroStart) [zeroStart, zeroEnd] = [g, end];
    }
    let text = "";
    for (let g = 0; g < 8; g++) {
        if (g === zeroStart) {
            text += "::";
            g = zeroEnd;
            if (g >= 8) break;
        } else if (g > 0) {
            text += ":";
        }
        text += groups[g].toString(16);
    }
    return text + zone;
}

/** `tlsClientConfig` as Argo CD's TLSClientConfig JSON; byte fields are base64 strings. */
export interface TlsClientConfig {
    insecure: boolean;
    serverName?: string;
    caData?: string;
}

/** The `config` key of a cluster Secret (Argo CD's ClusterConfig), restricted to what we write. */
export interface ClusterConfig {
    bearerToken: string;
    tlsClientConfig: TlsClientConfig;
    proxyUrl?: string;
    disableCompression?: boolean;
}

export interface ClusterConfigInput {
    bearerToken: string;
    insecure: boolean;
    caData?: string;
    serverName?: string;
    proxyUrl?: string;
    disableCompression?: boolean;
}

/** Builds the `config` JSON; optional fields appear only when set, as Argo CD's omitempty does. */
export function clusterConfigJson(input: ClusterConfigInput): string {
    const tlsClientConfig: TlsClientConfig = { insecure: input.insecure };
    if (input.serverName) tlsClientConfig.serverName = input.serverName;
    // client-go refuses a CA together with insecure, so an insecure registration carries none.
    if (input.caData && !input.insecure) tlsClientConfig.caData = input.caData;
    const config: ClusterConfig = { bearerToken: input.bearerToken, tlsClientConfig };
    if (input.proxyUrl) config.proxyUrl = input.proxyUrl;
    if (input.disableCompression !== undefined) config.disableCompression = input.disableCompression;
    return JSON.stringify(config);
}

export interface ClusterSecretDataInput {
    name: string;
    server: string;
    config: string;
    namespaces?: string[];
    clusterResources?: boolean;
    project?: string;
    shard?: number;
}

/**
 * The Secret's string data. `namespaces` is comma-joined; `clusterResources` only means something in namespaced
 * mode and Argo CD honours it only when it is exactly "true".
 */
export function clusterSecretData(input: ClusterSecretDataInput): Record<string, string> {
    const data: Record<string, string> = { name: input.name, server: input.server, config: input.config };
    if (input.namespaces && input.namespaces.length > 0) {
        data.namespaces = input.namespaces.join(",");
        if (input.clusterResources !== undefined) data.clusterResources = String(input.clusterResources);
    }
    if (input.project) data.project = input.project;
    if (input.shard !== undefined) data.shard = String(input.shard);
    return data;
}

/**
 * The bearer token from a service-account-token Secret's `data`: base64 there, plain in Argo CD's config.
 * An empty token means the token controller has not filled the Secret; registering that would give Argo CD
 * anonymous access, so it is an error naming the cluster.
 */
export function decodeToken(data: Record<string, string> | undefined, cluster: string, secret: string): string {
    const encoded = data?.token;
    if (!encoded) {
        throw new Error(
            `failed to read the token of cluster "${cluster}": Secret "${secret}" has no data.token yet; ` +
                "the target's kube-controller-manager fills it (its service-account token controller must run). " +
                "Run `pulumi up` again once it does.",
        );
    }
    return Buffer.from(encoded, "base64").toString("utf8");
}
