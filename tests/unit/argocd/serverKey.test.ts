/** argocd/serverKey.ts: the cluster Argo CD means by a server, and the API server behind it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiServerKey, argocdServerKey } from "../../../argocd/serverKey";

describe('argocdServerKey: Argo CD v3.6.2\'s key (strings.TrimRight(server, "/"))', () => {
    it("trims trailing slashes and nothing else: letter case and a default port make another cluster", () => {
        assert.equal(argocdServerKey("https://api.example/"), "https://api.example");
        assert.equal(argocdServerKey("https://api.example///"), "https://api.example");
        assert.equal(argocdServerKey("https://api.example/k8s/clusters/c-1/"), "https://api.example/k8s/clusters/c-1");
        assert.notEqual(argocdServerKey("https://API.example"), argocdServerKey("https://api.example"));
        assert.notEqual(argocdServerKey("https://api.example:443"), argocdServerKey("https://api.example"));
    });
});

describe("apiServerKey: one API server, whatever the spelling", () => {
    it("takes letter case of scheme and host, a default port, Go's IPv6 form and a trailing slash for one", () => {
        const one = [
            "https://api.example",
            "https://API.example:443/",
            "HTTPS://Api.Example",
            "https://api.example:443",
        ].map(apiServerKey);
        assert.deepEqual(new Set(one), new Set(["https://api.example"]));
        assert.equal(apiServerKey("https://[2001:DB8:0::1]:443/"), "https://[2001:db8::1]");
        assert.notEqual(apiServerKey("https://api.example:6443"), apiServerKey("https://api.example"));
        assert.notEqual(apiServerKey("https://api.example/Path"), apiServerKey("https://api.example/path"));
    });

    it("never separates what Argo CD takes for one cluster", () => {
        for (const [a, b] of [
            ["https://api.example", "https://api.example/"],
            ["https://API.example:443", "https://API.example:443//"],
            ["not a url", "not a url/"],
        ]) {
            assert.equal(argocdServerKey(a), argocdServerKey(b));
            assert.equal(apiServerKey(a), apiServerKey(b), `${a} / ${b}`);
        }
    });
});
