#!/usr/bin/env bash
# Builds the real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler), etcd and kwok from the Go module proxy, once per version, into a cache
# outside the repository. Re-running with the binaries present does nothing.
#
#   sandbox/build-binaries.sh            # prints the bin directory on its last line
#
# Versions are pinned here; the cache directory is keyed by them.
set -euo pipefail

K8S_VERSION=${WBINSTALL_K8S_VERSION:-1.35.4}
ETCD_VERSION=${WBINSTALL_ETCD_VERSION:-3.6.14}
KWOK_VERSION=${WBINSTALL_KWOK_VERSION:-0.8.0}
# The release of the second, "old cluster" apiserver, for the k8s.version fail path.
OLD_K8S_VERSION=${WBINSTALL_OLD_K8S_VERSION:-1.28.15}

CACHE=${WBINSTALL_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wbinstall-sandbox}
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_old-${OLD_K8S_VERSION}"
BIN="$CACHE/$KEY/bin"
WORK="$CACHE/$KEY/src"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

need=(kube-apiserver kube-apiserver-old kube-controller-manager kube-scheduler etcd kwok)
missing=0
for b in "${need[@]}"; do [ -x "$BIN/$b" ] || missing=1; done
if [ "$missing" = 0 ]; then echo "$BIN"; exit 0; fi

if ! command -v go >/dev/null; then
  echo "build-binaries: Go is required to build the Kubernetes sandbox (see README)" >&2
  exit 1
fi

mkdir -p "$BIN" "$WORK"
start=$(date +%s)
S="0.${K8S_VERSION#1.}"           # staging modules: v0.<minor>.<patch>
MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
V=k8s.io/component-base/version

ldflags() {  # $1 = full version, $2 = minor
  echo "-s -w -X $V.gitVersion=v$1 -X $V.gitMajor=1 -X $V.gitMinor=$2 -X $V.gitTreeState=clean -X $V.gitCommit=0000000000000000000000000000000000000000 -X $V.buildDate=2026-01-01T00:00:00Z"
}

if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ] || [ ! -x "$BIN/kube-scheduler" ]; then
  d="$WORK/k8s"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/k8sbin >/dev/null
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
    cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms \
    kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
    mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller \
    cri-streaming streaming; do
    go mod edit -replace=k8s.io/$m=k8s.io/$m@v$S
  done
  go get -tool k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION \
    k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION \
    k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION
  go build -trimpath -ldflags "$(ldflags "$K8S_VERSION" "$MINOR")" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
fi

if [ ! -x "$BIN/kube-apiserver-old" ]; then
  # A real old apiserver, built from that release's own source. (Relinking the current one
  # with an old version string does not work: since 1.31 the binary refuses to start when
  # its version is below its compiled-in emulation floor, "emulation version 1.28 is not
  # between [1.31, 1.28.0]".) 1.28's staging set has legacy-cloud-providers and lacks the
  # newer cri-client/externaljwt/streaming modules.
  d="$WORK/k8s-old"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/k8soldbin >/dev/null
  OLD_S="0.${OLD_K8S_VERSION#1.}"
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
    csi-translation-lib dynamic-resource-allocation endpointslice kms kube-aggregator \
    kube-controller-manager kube-proxy kube-scheduler kubectl kubelet legacy-cloud-providers \
    metrics mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller; do
    go mod edit -replace=k8s.io/$m=k8s.io/$m@v$OLD_S
  done
  go get -tool k8s.io/kubernetes/cmd/kube-apiserver@v$OLD_K8S_VERSION
  OLD_MINOR=$(echo "$OLD_K8S_VERSION" | cut -d. -f2)
  go build -trimpath -ldflags "$(ldflags "$OLD_K8S_VERSION" "$OLD_MINOR")" \
    -o "$BIN/kube-apiserver-old" k8s.io/kubernetes/cmd/kube-apiserver
fi

if [ ! -x "$BIN/etcd" ]; then
  d="$WORK/etcd"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/etcdbin >/dev/null
  go get -tool go.etcd.io/etcd/server/v3@v$ETCD_VERSION
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
fi

if [ ! -x "$BIN/kwok" ]; then
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION
fi

echo "build-binaries: built in $(( $(date +%s) - start )) s; sizes:" >&2
du -sh "$BIN"/* >&2
echo "$BIN"
