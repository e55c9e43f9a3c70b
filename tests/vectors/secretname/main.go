// Command secretname prints the cluster Secret name Argo CD gives each server URL in `servers`, as JSON:
// the test vectors of clusterSecretName (components/clusterSecret.ts), so that function is checked against
// Go's own net/url and net/netip rather than against our reading of them.
//
// It restates Argo CD's URIToSecretName (util/db/secrets.go): parse the server with url.ParseRequestURI; take
// the host; in brackets, format the address with netip (Addr.String) and turn its colons into dashes,
// otherwise cut it at the first colon; lowercase it; append the FNV-1a 32-bit hash of the server as written.
// A server ParseRequestURI or ParseAddr refuses gets no name, only the error: Argo CD cannot register it.
//
// Regenerate the fixture from the repository root (standard library only, no network):
//
//	go -C tests/vectors/secretname run . > tests/vectors/secretname/vectors.json
package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// servers covers what a stack file may hold: plain hosts, ports, paths, letter case, IPv4, IPv6 in every
// spelling, IPv4-mapped IPv6 (where netip and WHATWG URL disagree), zones, and the malformed shapes the
// validation refuses. The first entries are Argo CD's own test cases (util/db/cluster_test.go).
var servers = []string{
	"http://foo",
	"http://thelongestdomainnameintheworld.argocd-project.com:3000",
	"http://[fe80::1ff:fe23:4567:890a]",
	"http://[fe80::1ff:fe23:4567:890a]:8000",
	"http://[FE80::1FF:FE23:4567:890A]:8000",
	"http://:/abc",

	"https://api.cluster.production:6443",
	"https://api.cluster.staging:6443",
	"https://API.cluster.production:6443",
	"https://Api.Example.COM",
	"HTTPS://api.example.com",
	"https://api.example.com",
	"https://api.example.com:443",
	"https://api.example.com:6443",
	"https://kubernetes.default.svc",
	"https://rancher.example/k8s/clusters/c-abc",
	"https://rancher.example:8443/k8s/clusters/c-abc",
	"https://rancher.example/k8s/clusters/c%2Dabc",
	"https://10.0.0.1",
	"https://10.0.0.1:6443",
	"https://192.168.100.200:443",

	"https://[2001:db8::1]:6443",
	"https://[2001:DB8::1]:6443",
	"https://[2001:0db8:0000:0000:0000:0000:0000:0001]:6443",
	"https://[2001:db8:0:0:1:0:0:1]:6443",
	"https://[2001:db8::1:0:0:1]:6443",
	"https://[2001:db8:0:1:1:1:1:1]:6443",
	"https://[::1]:6443",
	"https://[::]:6443",
	"https://[1::]",
	"https://[fd00::a:b:c:d]",

	"https://[::ffff:10.0.0.1]:6443",
	"https://[::FFFF:10.0.0.1]:6443",
	"https://[::ffff:a00:1]:6443",
	"https://[0:0:0:0:0:ffff:10.0.0.1]:6443",
	"https://[::ffff:0a00:0001]",
	"https://[::10.0.0.1]:6443",
	"https://[64:ff9b::10.0.0.1]:6443",

	"https://[fe80::1%25eth0]:6443",
	"https://[fe80::1%25en0]",
	"https://[::ffff:10.0.0.1%25eth0]",

	"https:api.example.com",
	"https:///api.example.com",
	"https:/api.example.com",
	"api.example.com:6443",
	"//api.example.com",
	"https://u:p@api.example.com:6443",
	"https://api.example.com?x=1",
	"https://api.example.com/p#frag",
	"https://api.example.com/",
	"https://api.example.com:",
	"https://api.example.com/a b",
	"https://api_1.example.com",
	"https://api.example.com.:6443",
	"https://b%C3%BCcher.example",
	"https://api.example.com/a\\b",

	"https://[10.0.0.1]:6443",
	"https://api.example.com:6443:1",
	"https://api example.com",
	"https://api.example.com ",
	" https://api.example.com",
	"https://api.example.com\t",
	"https://api.example.com#frag",
	"https://api.example.com\\path",
	"https://api.example.com:0x1",
	"https://[fe80::1%eth0]",
	"https://[::1",
	"https://[::ffff:10.0.0.256]",
	"https://%41pi.example.com",
	"https://",
	"",
}

type vector struct {
	Server string `json:"server"`
	Name   string `json:"name,omitempty"`
	Error  string `json:"error,omitempty"`
}

func secretName(server string) (string, error) {
	u, err := url.ParseRequestURI(server)
	if err != nil {
		return "", err
	}
	host := u.Host
	if strings.HasPrefix(host, "[") {
		if end := strings.Index(host, "]"); end >= 0 {
			addr, err := netip.ParseAddr(host[1:end])
			if err != nil {
				return "", err
			}
			host = strings.ReplaceAll(addr.String(), ":", "-")
		}
	} else if colon := strings.Index(host, ":"); colon >= 0 {
		host = host[:colon]
	}
	hash := fnv.New32a()
	hash.Write([]byte(server))
	return fmt.Sprintf("cluster-%s-%d", strings.ToLower(host), hash.Sum32()), nil
}

func main() {
	vectors := make([]vector, 0, len(servers))
	for _, server := range servers {
		name, err := secretName(server)
		v := vector{Server: server, Name: name}
		if err != nil {
			v.Error = err.Error()
		}
		vectors = append(vectors, v)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	out.SetIndent("", "  ")
	if err := out.Encode(vectors); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
