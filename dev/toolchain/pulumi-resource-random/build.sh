#!/usr/bin/env bash
# Builds the Pulumi random provider plugin (Terraform random provider bridged
# by pulumi-terraform-bridge) from the Go module proxy.
#   PREFIX (default ~/.cache/argocd-clusters/toolchain/pulumi-resource-random-v$VERSION)
#   receives bin/pulumi-resource-random.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=4.20.0
PKG=argocd-clusters/tools/pulumi-resource-random
PREFIX=${PREFIX:-${HOME}/.cache/argocd-clusters/toolchain/pulumi-resource-random-v${VERSION}}
VERSION_LDFLAG="-X ${PKG}/randomprovider.Version=${VERSION}"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# 1. The schema generator (our cmd/pulumi-tfgen-random).
nice -n 10 go build -ldflags "$VERSION_LDFLAG" -o "$WORK/pulumi-tfgen-random" ./cmd/pulumi-tfgen-random

# 2. schema.json + bridge-metadata.json from the Terraform provider. tfgen reads
#    the upstream docs from the module cache via `go mod download` run in
#    ./provider (or the cwd if it is named provider), hence the symlink.
ln -s "$PWD" "$WORK/provider"
if ! (cd "$WORK" && ./pulumi-tfgen-random schema --skip-examples --out "$WORK/out") >"$WORK/tfgen.log" 2>&1; then
  cat "$WORK/tfgen.log" >&2
  exit 1
fi

# 3. The embedded, gitignored files: schema-embed.json (version set) and bridge-metadata.json.
nice -n 10 go run ./cmd/gen-embed "$WORK/out" . "$VERSION"

# 4. The plugin.
nice -n 10 go build -trimpath -ldflags "-s -w $VERSION_LDFLAG" \
  -o "${PREFIX}/bin/pulumi-resource-random" .
