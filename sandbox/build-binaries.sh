#!/usr/bin/env bash
# Builds the sandbox's real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler), etcd, kwok and the Traefik ingress controller from the Go module proxy, and
# the old apiserver only the tests need, once per version, into a cache outside the repository.
# Only what is missing is built.
#
#   sandbox/build-binaries.sh [run|test] [--plan]
#     run     what the demo needs (./dev run): all but kube-apiserver-old
#     test    all seven (./dev test; the default)
#     --plan  say what would be built and about how long it takes; build nothing, Go not needed
#
# Before building it says what it will build and about how long that takes on this machine's
# cores, then reports each binary (done / to go, elapsed, a line a minute while one builds). The
# Go tool's own output goes to build.log beside the bin directory (named up front; its tail is
# shown on a failure). Prints the bin directory on its last stdout line.
#
# Versions are pinned here; the cache directory is keyed by them, but for Traefik's, which names
# its binary instead (traefik-<version>), so that adding it rebuilt nothing else.
set -euo pipefail

K8S_VERSION=${WBINSTALL_K8S_VERSION:-1.35.4}
ETCD_VERSION=${WBINSTALL_ETCD_VERSION:-3.6.14}
KWOK_VERSION=${WBINSTALL_KWOK_VERSION:-0.8.0}
# The release of the second, "old cluster" apiserver, for the k8s.version fail path.
OLD_K8S_VERSION=${WBINSTALL_OLD_K8S_VERSION:-1.28.15}
# v3.6.12: the newest Traefik whose dependencies the module proxy here serves in full (v3.7's
# lego DNS providers and go-http-auth fork are refused, and its nested dynamic/ext module is
# missing from the zip).
TRAEFIK_VERSION=${WBINSTALL_TRAEFIK_VERSION:-3.6.12}
TRAEFIK=traefik-$TRAEFIK_VERSION

CACHE=${WBINSTALL_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wbinstall-sandbox}
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_old-${OLD_K8S_VERSION}"
BIN="$CACHE/$KEY/bin"
WORK="$CACHE/$KEY/src"
LOG="$CACHE/$KEY/build.log"

target=test plan=0
for arg in "$@"; do
  case "$arg" in
    run|test) target=$arg ;;
    --plan) plan=1 ;;
    *) echo "usage: $0 [run|test] [--plan]" >&2; exit 2 ;;
  esac
done

DEMO=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok "$TRAEFIK")
if [ "$target" = run ]; then need=("${DEMO[@]}"); else need=("${DEMO[@]}" kube-apiserver-old); fi

# Seconds each build took on a cold 2-core machine (Go module and build caches empty), measured
# from the cache's first build (README, "The sandbox"). The three current Kubernetes binaries
# share most of their packages: the first of them to be built pays K8S_SHARED as well.
K8S_SHARED=330
declare -A COST=([kube-apiserver]=30 [kube-controller-manager]=20 [kube-scheduler]=15
                 [kube-apiserver-old]=365 [etcd]=50 [kwok]=200 [$TRAEFIK]=500)
CORES=$(nproc 2>/dev/null || echo 2)

missing=() present=()
for b in "${need[@]}"; do
  if [ -x "$BIN/$b" ]; then present+=("$b"); else missing+=("$b"); fi
done

k8s_ready=0  # 1 once this run has set up the current release's module (and paid K8S_SHARED)

# Compiling scales with cores, downloading and linking (about a quarter) do not.
estimate() {  # the binaries to build -> seconds on this machine
  local total=0 shared=0 b
  for b in "$@"; do
    case "$b" in kube-apiserver|kube-controller-manager|kube-scheduler) [ "$k8s_ready" = 1 ] || shared=$K8S_SHARED ;; esac
    total=$(( total + COST[$b] ))
  done
  total=$(( total + shared ))
  echo $(( total / 4 + total * 3 / 4 * 2 / CORES ))
}
minutes() { local s=$1; if [ "$s" -lt 90 ]; then echo "${s} s"; else echo "$(( (s + 30) / 60 )) min"; fi; }
clock() { printf '%d:%02d' $(( $1 / 60 )) $(( $1 % 60 )); }

if [ "$plan" = 1 ]; then
  echo "target: $target"
  echo "bin: $BIN"
  echo "log: $LOG"
  echo "present: ${present[*]}"
  echo "build: ${missing[*]}"
  echo "estimate: $( [ ${#missing[@]} -gt 0 ] && estimate "${missing[@]}" || echo 0 ) s on $CORES cores"
  echo "go: $(command -v go || echo "not found (needed to build)")"
  exit 0
fi

if [ ${#missing[@]} = 0 ]; then echo "$BIN"; exit 0; fi

if ! command -v go >/dev/null; then
  echo "build-binaries: Go is required to build the Kubernetes sandbox (see README)" >&2
  exit 1
fi

mkdir -p "$BIN" "$WORK"
# Two ./dev commands at once: the second waits for the first build, then builds what is left.
exec 9>"$CACHE/$KEY/.lock"
if ! flock -n 9; then
  echo "build-binaries: another build of the sandbox binaries is running; waiting for it" >&2
  flock 9
  missing=()
  for b in "${need[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} = 0 ]; then echo "$BIN"; exit 0; fi
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
S="0.${K8S_VERSION#1.}"           # staging modules: v0.<minor>.<patch>
MINOR=$(echo "$K8S_VERSION" | cut -d. -f2)
V=k8s.io/component-base/version

ldflags() {  # $1 = full version, $2 = minor
  echo "-s -w -X $V.gitVersion=v$1 -X $V.gitMajor=1 -X $V.gitMinor=$2 -X $V.gitTreeState=clean -X $V.gitCommit=0000000000000000000000000000000000000000 -X $V.buildDate=2026-01-01T00:00:00Z"
}

k8s_module() {  # the current release's cmd/ packages as tools of a scratch module
  local d="$WORK/k8s" m; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/k8sbin
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
}

build_k8s() {  # $1 = kube-apiserver | kube-controller-manager | kube-scheduler
  cd "$WORK/k8s"
  go build -trimpath -ldflags "$(ldflags "$K8S_VERSION" "$MINOR")" -o "$BIN/.$1.tmp" "k8s.io/kubernetes/cmd/$1"
}

build_kube_apiserver_old() {
  # A real old apiserver, built from that release's own source. (Relinking the current one
  # with an old version string does not work: since 1.31 the binary refuses to start when
  # its version is below its compiled-in emulation floor, "emulation version 1.28 is not
  # between [1.31, 1.28.0]".) 1.28's staging set has legacy-cloud-providers and lacks the
  # newer cri-client/externaljwt/streaming modules.
  local d="$WORK/k8s-old" m; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/k8soldbin
  local OLD_S="0.${OLD_K8S_VERSION#1.}"
  for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
    csi-translation-lib dynamic-resource-allocation endpointslice kms kube-aggregator \
    kube-controller-manager kube-proxy kube-scheduler kubectl kubelet legacy-cloud-providers \
    metrics mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller; do
    go mod edit -replace=k8s.io/$m=k8s.io/$m@v$OLD_S
  done
  go get -tool k8s.io/kubernetes/cmd/kube-apiserver@v$OLD_K8S_VERSION
  local OLD_MINOR; OLD_MINOR=$(echo "$OLD_K8S_VERSION" | cut -d. -f2)
  go build -trimpath -ldflags "$(ldflags "$OLD_K8S_VERSION" "$OLD_MINOR")" \
    -o "$BIN/.kube-apiserver-old.tmp" k8s.io/kubernetes/cmd/kube-apiserver
}

build_etcd() {
  local d="$WORK/etcd"; mkdir -p "$d"; cd "$d"
  [ -f go.mod ] || go mod init wbinstall.sandbox/etcdbin
  go get -tool go.etcd.io/etcd/server/v3@v$ETCD_VERSION
  go build -trimpath -ldflags "-s -w" -o "$BIN/.etcd.tmp" go.etcd.io/etcd/server/v3
}

build_kwok() {
  local d="$WORK/kwok-bin"; rm -rf "$d"; mkdir -p "$d"
  GOBIN="$d" go install -trimpath -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION
  mv "$d/kwok" "$BIN/.kwok.tmp"
}

build_traefik() {
  # Traefik's go.mod has replace directives, which `go install …@version` refuses: build it as
  # the main module, in a writable copy of its module source.
  local d="$WORK/$TRAEFIK" src
  if [ ! -f "$d/go.mod" ]; then
    src=$(cd / && go mod download -json "github.com/traefik/traefik/v3@v$TRAEFIK_VERSION" |
          sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    rm -rf "$d.tmp"; cp -r "$src" "$d.tmp"; chmod -R u+w "$d.tmp"; mv "$d.tmp" "$d"
  fi
  cd "$d"
  go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v$TRAEFIK_VERSION" \
    -o "$BIN/.$TRAEFIK.tmp" ./cmd/traefik
}

build() {  # $1 = binary: builds it as $BIN/.<name>.tmp
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      [ "$k8s_ready" = 1 ] || { k8s_module; k8s_ready=1; }
      build_k8s "$1" ;;
    kube-apiserver-old) build_kube_apiserver_old ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    "$TRAEFIK") build_traefik ;;
  esac
}

say() { echo "build-binaries: $*" >&2; }

total=${#missing[@]}
say "building $total of ${#need[@]} binaries for \`$target\` (${missing[*]}): about $(minutes "$(estimate "${missing[@]}")") on this machine's $CORES cores"
say "the Go tool's output goes to $LOG"
printf '\n==== %s: build-binaries %s: %s\n' "$(date -u +%FT%TZ)" "$target" "${missing[*]}" >> "$LOG"

start=$(date +%s) n=0
for b in "${missing[@]}"; do
  n=$(( n + 1 ))
  one=$(date +%s)
  left=("${missing[@]:$n}")
  say "[$n/$total] $b: building (about $(minutes "$(estimate "$b")"))"
  echo "---- $b" >> "$LOG"
  # A line a minute while the Go tool works, so a long build never looks stuck.
  # (Its sleep must not outlive it: it would hold our stderr open for a reader waiting for EOF.)
  ( trap 'kill "$s" 2>/dev/null; exit 0' TERM
    while :; do
      sleep 60 >/dev/null 2>&1 & s=$!; wait "$s"
      say "[$n/$total] $b: $(clock $(( $(date +%s) - one ))) so far, $(clock $(( $(date +%s) - start ))) in all"
    done ) &
  ticker=$!
  # In the background so that set -e holds inside build (an `||` would switch it off there).
  status=0
  build "$b" >> "$LOG" 2>&1 &
  wait $! || status=$?
  # build() ran in a child; the module set-up it did is on disk for the next one.
  case "$b" in kube-apiserver|kube-controller-manager|kube-scheduler) [ "$status" = 0 ] && k8s_ready=1 ;; esac
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    rm -f "$BIN/.$b.tmp"
    say "[$n/$total] $b: FAILED after $(clock $(( $(date +%s) - one ))) (exit $status); the end of $LOG:"
    tail -n 30 "$LOG" | sed 's/^/    /' >&2
    exit 1
  fi
  mv "$BIN/.$b.tmp" "$BIN/$b"
  say "[$n/$total] $b: done in $(clock $(( $(date +%s) - one ))); $(( total - n )) to go${left:+ (${left[*]})}, $(clock $(( $(date +%s) - start ))) elapsed"
done

say "built $total in $(clock $(( $(date +%s) - start ))); sizes:"
du -sh "${missing[@]/#/$BIN/}" >&2
echo "$BIN"
