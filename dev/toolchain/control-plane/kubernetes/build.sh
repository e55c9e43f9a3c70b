#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from k8s.io/kubernetes on the Go module proxy.
#   PREFIX receives bin/kube-apiserver and bin/kube-controller-manager.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=v1.36.3
: "${PREFIX:?set PREFIX to the install directory}"
MAJOR=1
MINOR=36
# The release's time on the module proxy, so the stamp is reproducible.
BUILD_DATE=2026-07-22T18:07:38Z

# An unstamped server reports v0.0.0-master, which clients (pulumi-kubernetes among them) misread.
stamp() {
  local pkg=$1
  echo "-X ${pkg}.gitVersion=${VERSION} -X ${pkg}.gitMajor=${MAJOR} -X ${pkg}.gitMinor=${MINOR}" \
       "-X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${BUILD_DATE}"
}

CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath \
  -ldflags "-s -w $(stamp k8s.io/component-base/version) $(stamp k8s.io/client-go/pkg/version)" \
  -o "${PREFIX}/bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
