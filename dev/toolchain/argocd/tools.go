//go:build tools

// Package tools pins Argo CD as a build dependency of this project.
// Build its multi-call binary with: go build github.com/argoproj/argo-cd/v3/cmd
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
)
