// Package randomprovider describes how the Terraform random provider is
// exposed as the Pulumi "random" package (the role pulumi-random's
// provider/resources.go plays upstream; that module is not served by the Go
// module proxy, so this is an independent description of the same mapping).
package randomprovider

import (
	"context"
	"fmt"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is set at link time (-X .../randomprovider.Version=X.Y.Z).
var Version string

// Provider returns the bridge description of the random package.
// bridgeMetadata is the content of bridge-metadata.json: empty when tfgen
// creates it, the generated file when serving.
func Provider(bridgeMetadata []byte) tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Version:      Version,
		MetadataInfo: tfbridge.NewProviderMetadata(bridgeMetadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_string": {PreStateUpgradeHook: assumeV1WhenUnversioned},
			"random_bytes":  {ComputeID: idFromBase64},
		},
		JavaScript: &tfbridge.JavaScriptInfo{
			RespectSchemaVersion: true,
			DevDependencies:      map[string]string{"@types/node": "^10.0.0"},
		},
		Python: pythonInfo(),
		Golang: &tfbridge.GolangInfo{
			ImportBasePath: fmt.Sprintf("github.com/pulumi/pulumi-random/sdk/%s/go/random",
				tfbridge.GetModuleMajorVersion(Version)),
			GenerateResourceContainerTypes: true,
			RespectSchemaVersion:           true,
		},
		CSharp: &tfbridge.CSharpInfo{
			RespectSchemaVersion: true,
			PackageReferences:    map[string]string{"Pulumi": "3.*"},
			Namespaces:           map[string]string{"random": "Random"},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}

	// random_foo_bar -> random:index/randomFooBar:RandomFooBar
	prefixed := func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}
	p.MustComputeTokens(tokens.SingleModule("random_", "index", prefixed))
	p.MustApplyAutoAliases()
	return p
}

func pythonInfo() *tfbridge.PythonInfo {
	py := &tfbridge.PythonInfo{RespectSchemaVersion: true}
	py.PyProject.Enabled = true
	return py
}

// assumeV1WhenUnversioned treats RandomString states that carry no schema
// version (written by old pulumi-random releases) as version 1, so the
// upstream state upgraders run from there.
func assumeV1WhenUnversioned(args tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
	if args.PriorStateSchemaVersion == 0 {
		return 1, args.PriorState, nil
	}
	return args.PriorStateSchemaVersion, args.PriorState, nil
}

// idFromBase64 uses a RandomBytes resource's base64 output as its ID (the
// Terraform resource has no id attribute).
func idFromBase64(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", fmt.Errorf("random_bytes state has no base64 property")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", fmt.Errorf("random_bytes base64 property is %v, not a string", v.TypeString())
	}
	return resource.ID(v.StringValue()), nil
}
