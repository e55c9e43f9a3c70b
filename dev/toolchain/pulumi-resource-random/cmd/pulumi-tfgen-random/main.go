// Command pulumi-tfgen-random generates schema.json and bridge-metadata.json
// for the random package from the Terraform provider; build.sh runs it at
// build time (`pulumi-tfgen-random schema --out DIR`).
//
// Keep "pulumi-tfgen" in this package's import path: the bridge decides from
// the main package path whether it runs as the generator (path contains
// "pulumi-tfgen": records auto-alias history into bridge-metadata.json) or as
// the plugin (path contains "pulumi-resource").
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"argocd-clusters/tools/pulumi-resource-random/randomprovider"
)

func main() {
	tfgen.Main("random", randomprovider.Provider(nil))
}
