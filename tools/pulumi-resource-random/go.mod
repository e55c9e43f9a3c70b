module argocd-clusters/tools/pulumi-resource-random

go 1.25.8

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 v3.120.0
	github.com/terraform-providers/terraform-provider-random v1.3.2-0.20260513075824-f8d869dc98d9
	github.com/terraform-providers/terraform-provider-random/shim v0.0.0
)

// The shim is a nested module of our own (see shim/shim.go).
replace github.com/terraform-providers/terraform-provider-random/shim => ./shim

// As in pulumi-random's and pulumi-terraform-bridge's own go.mod: the bridge
// needs Pulumi's fork of the SDKv2 (pseudo-version from bridge v3.120.0's go.mod).
replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20250923233607-7f1981c8674a
