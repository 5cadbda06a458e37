#!/usr/bin/env bash
# Prints the paths of the two tools that check infra/k8s offline, building them once into the
# machine cache (CI clones afresh; the cache outlives clones):
#   kustomize            sigs.k8s.io/kustomize/kustomize/v5, built with `go install` from the Go module proxy
#   kubernetes-validate  PyPI package shipping the Kubernetes JSON schemas, in its own virtualenv
# Exits non-zero naming what could not be built: the tests fail with that message, never skip.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUSTOMIZE_VERSION=v5.5.0
KUBERNETES_VALIDATE_VERSION=1.37.0

kustomize_dir="$MACHINE_CACHE/kustomize-$KUSTOMIZE_VERSION"
if [ ! -x "$kustomize_dir/kustomize" ]; then
  command -v go >/dev/null || die "kustomize $KUSTOMIZE_VERSION is not built and Go is missing: install Go (apt-get install golang-go) to build it"
  mkdir -p "$kustomize_dir"
  GOFLAGS=-mod=mod GOBIN="$kustomize_dir" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2 \
    || die "could not build kustomize $KUSTOMIZE_VERSION with go install (see above)"
fi

validate_dir="$MACHINE_CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [ ! -x "$validate_dir/bin/kubernetes-validate" ]; then
  command -v python3 >/dev/null || die "kubernetes-validate is not installed and python3 is missing"
  rm -rf "$validate_dir"
  { python3 -m venv "$validate_dir" && "$validate_dir/bin/pip" install --quiet "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"; } >&2 \
    || { rm -rf "$validate_dir"; die "could not install kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI (python3-venv missing? see above)"; }
fi

echo "$kustomize_dir/kustomize"
echo "$validate_dir/bin/kubernetes-validate"
