// Package shim hands the upstream Terraform random provider to the Pulumi
// bridge.
//
// The provider constructor lives in the upstream module's internal/provider
// package. Go only lets packages rooted at the parent of an "internal"
// directory import it, and that rule is checked on import paths, not module
// boundaries: this package's path,
// github.com/terraform-providers/terraform-provider-random/shim, is under
// github.com/terraform-providers/terraform-provider-random, so it may import
// .../internal/provider even though it is a separate module (wired in with a
// replace directive in ../go.mod).
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream terraform-provider-random provider.
func NewProvider() provider.Provider {
	return upstream.New()
}
