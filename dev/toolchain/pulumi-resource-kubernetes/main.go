// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider
// from github.com/pulumi/pulumi-kubernetes/provider/v4.
//
// The upstream command embeds schema-embed.json and
// terraform-mapping-embed.json, which upstream generates at build time and
// which are therefore not part of the Go module. build.sh produces the same
// two files here from the module's own cmd/pulumi-resource-kubernetes/
// schema.json and terraform-mapping.json (see gen-embed); they are
// gitignored and must never be committed.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schemaJSON []byte

//go:embed terraform-mapping-embed.json
var terraformMappingJSON []byte

func main() {
	provider.Serve("kubernetes", version.Version, schemaJSON, terraformMappingJSON)
}
