#!/usr/bin/env bash
# Builds argocd-judge, the project's own program that reads cluster Secrets with Argo CD's code
# (github.com/argoproj/argo-cd/v2, pinned in go.mod with the replace block Argo CD's go.mod needs).
#   PREFIX receives bin/argocd-judge.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Argo CD's version the judge is built against.
VERSION=v2.14.21
: "${PREFIX:?set PREFIX to the install directory}"

CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" \
  -o "${PREFIX}/bin/argocd-judge" .
