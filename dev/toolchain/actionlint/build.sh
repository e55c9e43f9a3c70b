#!/usr/bin/env bash
# Builds actionlint, the GitHub Actions workflow linter, from the Go module proxy (pinned in go.mod).
#   PREFIX receives bin/actionlint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=v1.7.12
: "${PREFIX:?set PREFIX to the install directory}"

CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath \
  -ldflags "-s -w -X github.com/rhysd/actionlint.version=${VERSION}" \
  -o "${PREFIX}/bin/actionlint" github.com/rhysd/actionlint/cmd/actionlint
