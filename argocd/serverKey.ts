/**
 * Which servers are one: the rule every comparison of servers in the program, the pack, the health report and
 * ci/ goes through (tests/unit/argocd/serverComparisons.test.ts fails when another appears). Two questions,
 * so two keys, the second built on the first:
 *
 * - argocdServerKey: the cluster Argo CD means by a server. Argo CD v3.6.2 keys clusters by the server with
 *   trailing slashes trimmed and nothing else: its cluster informer indexes each cluster Secret by
 *   `strings.TrimRight(server, "/")` and GetClusterByURL trims the server it looks up the same way
 *   (util/settings/cluster_informer.go), which is how an Application's `destination.server` finds its cluster
 *   (util/db/cluster.go GetCluster); SecretToCluster and clusterToSecret trim it too. Letter case and a default
 *   port are kept: to Argo CD, https://API.example:443 and https://api.example are two clusters. Used where
 *   the question is Argo CD's: which registration an Application deploys to, which cluster Secret is an entry's,
 *   what the last up recorded for an entry.
 * - apiServerKey: the API server behind it, as far as the URL tells: argocdServerKey's, then scheme and host
 *   lowercased, an IPv6 address in Go's form, the scheme's default port dropped. Used where the question is
 *   "one API server registered twice in one Argo CD" (two cluster Secrets, two sets of credentials, and two
 *   Argo CD clusters whose Applications could fight over the same objects unseen): validation within a stack,
 *   the claims across stacks (program and ci/), the pack; and whether a kubeconfig reaches the registration's
 *   server. Whatever Argo CD takes for one cluster, this takes for one API server too.
 */
import { formatIpAddr, parseIpAddr, parseRequestUri } from "./clusterSecret";

/** The server as Argo CD keys its clusters: trailing slashes trimmed (Go's strings.TrimRight(server, "/")). */
export function argocdServerKey(server: string): string {
    return server.replace(/\/+$/, "");
}

/**
 * One spelling per API server: argocdServerKey's, with scheme and host lowercased, an IPv6 address in Go's
 * form, the scheme's default port dropped, no userinfo; path and query as written. A URL Go cannot parse is
 * its own spelling.
 */
export function apiServerKey(server: string): string {
    const key = argocdServerKey(server);
    const uri = parseRequestUri(key);
    if ("error" in uri || uri.opaque !== undefined) return key;
    let [host, port] = [uri.host, ""];
    const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.includes(":") ? host.indexOf(":") : host.length;
    [host, port] = [host.slice(0, end), host.slice(end)];
    const addr = host.startsWith("[") ? parseIpAddr(host.slice(1, -1)) : undefined;
    if (addr && !("error" in addr)) host = `[${formatIpAddr(addr)}]`;
    const defaultPort = { https: ":443", http: ":80" }[uri.scheme];
    if (port === defaultPort || port === ":") port = "";
    const query = uri.query !== undefined ? `?${uri.query}` : "";
    return `${uri.scheme}://${host.toLowerCase()}${port}${uri.path}${query}`;
}
