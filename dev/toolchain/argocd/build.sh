#!/usr/bin/env bash
# Builds a live Argo CD from the Go module proxy: the multi-call binary of github.com/argoproj/argo-cd/v3/cmd
# (argocd, and by symlink argocd-application-controller, argocd-repo-server, argocd-git-ask-pass, as Argo CD's
# image names them), and miniredis, the Redis they cache in. Copied from the module next to them: the scripts
# the repo-server runs by name (hack/git-verify-wrapper.sh, hack/gpg-wrapper.sh) into bin/, and Argo CD's CRDs
# into manifests/crds/. Then argocd-judge (./judge), the project's own program that reads cluster Secrets with
# the same Argo CD code: built after argocd with the same flags, it reuses every compiled package from Go's
# build cache and costs only its own package and a link.
#   PREFIX receives bin/ and manifests/crds/.
# Argo CD v3.6.2 needs Go 1.27: the toolchain runs this with GOTOOLCHAIN=go1.27.3 (dev/toolchain/toolchain.ts),
# which the go command fetches from the module proxy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=v3.6.2
: "${PREFIX:?set PREFIX to the install directory}"
# The release's time on the module proxy, so the stamp is reproducible.
BUILD_DATE=$(go list -m -f '{{.Time.Format "2006-01-02T15:04:05Z07:00"}}' github.com/argoproj/argo-cd/v3)
KUBECTL_VERSION=$(go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' k8s.io/client-go)
PACKAGE=github.com/argoproj/argo-cd/v3/common

mkdir -p "${PREFIX}/bin" "${PREFIX}/manifests/crds"
# Each binary's time goes to the build log (docs/toolchain.md quotes them).
started=${SECONDS}
CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath \
  -ldflags "-s -w -X ${PACKAGE}.version=${VERSION#v} -X ${PACKAGE}.buildDate=${BUILD_DATE} \
    -X ${PACKAGE}.gitTag=${VERSION} -X ${PACKAGE}.gitTreeState=clean -X ${PACKAGE}.kubectlVersion=${KUBECTL_VERSION}" \
  -o "${PREFIX}/bin/argocd" github.com/argoproj/argo-cd/v3/cmd
echo "argocd built in $((SECONDS - started))s"
CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" \
  -o "${PREFIX}/bin/miniredis" ./miniredis
started=${SECONDS}
CGO_ENABLED=0 nice -n 10 go build -buildvcs=false -trimpath -ldflags "-s -w" \
  -o "${PREFIX}/bin/argocd-judge" ./judge
echo "argocd-judge built in $((SECONDS - started))s"

for name in argocd-application-controller argocd-repo-server argocd-git-ask-pass; do
  ln -sf argocd "${PREFIX}/bin/${name}"
done

MODULE_DIR=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
install -m 0755 "${MODULE_DIR}/hack/git-verify-wrapper.sh" "${MODULE_DIR}/hack/gpg-wrapper.sh" "${PREFIX}/bin/"
install -m 0644 "${MODULE_DIR}"/manifests/crds/*-crd.yaml "${PREFIX}/manifests/crds/"
