#!/usr/bin/env bash
# Builds the Pulumi Kubernetes provider plugin from the Go module proxy.
#   PREFIX (default ~/.cache/argocd-clusters/toolchain/pulumi-resource-kubernetes-v$VERSION)
#   receives bin/pulumi-resource-kubernetes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=4.25.0
MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
PREFIX=${PREFIX:-${HOME}/.cache/argocd-clusters/toolchain/pulumi-resource-kubernetes-v${VERSION}}

go mod download "$MOD"
SRC="$(go list -m -f '{{.Dir}}' "$MOD")/cmd/pulumi-resource-kubernetes"

# schema-embed.json / terraform-mapping-embed.json come from the module's own
# files (gitignored here), as upstream's go:generate step makes them.
nice -n 10 go run ./gen-embed "$SRC" . "$VERSION"

nice -n 10 go build -trimpath \
  -ldflags "-s -w -X ${MOD}/pkg/version.Version=${VERSION}" \
  -o "${PREFIX}/bin/pulumi-resource-kubernetes" .
