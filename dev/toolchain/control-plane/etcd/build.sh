#!/usr/bin/env bash
# Builds etcd from go.etcd.io/etcd/server/v3 on the Go module proxy (its version is a constant in the module).
#   PREFIX receives bin/etcd.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=v3.6.16
: "${PREFIX:?set PREFIX to the install directory}"

CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" \
  -o "${PREFIX}/bin/etcd" go.etcd.io/etcd/server/v3
