#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy (no installer or release download is needed).
#   PREFIX receives bin/pulumi.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=v3.274.1
: "${PREFIX:?set PREFIX to the install directory}"

# Release builds use these tags; the version is empty unless stamped.
nice -n 10 go build -buildvcs=false -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${VERSION}" \
  -o "${PREFIX}/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
