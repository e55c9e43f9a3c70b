// Command pulumi-resource-random serves the Pulumi random provider: the
// upstream Terraform random provider bridged by pulumi-terraform-bridge.
//
// schema-embed.json and bridge-metadata.json are produced at build time by
// build.sh (running cmd/pulumi-tfgen-random); they are gitignored and must never be committed.
package main

import (
	"context"
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"argocd-clusters/tools/pulumi-resource-random/randomprovider"
)

//go:embed schema-embed.json
var packageSchema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

func main() {
	tfbridge.Main(context.Background(), "random", randomprovider.Provider(bridgeMetadata),
		tfbridge.ProviderMetadata{PackageSchema: packageSchema, BridgeMetadata: bridgeMetadata})
}
