#!/usr/bin/env bash
# Build the local control-plane tools from the Go module proxy and cache them by version.
#   tools/build.sh [tool ...]     tools: kubernetes etcd kwok helm helmfile (default: all of these)
#                                 and, on request only, llm-d-inference-sim (llm-d's vLLM simulator)
# A tool already in the cache is not rebuilt. KUBEBUILDER_ASSETS (envtest binaries) or a binary on
# PATH with the pinned version is used instead of building.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/versions.env
source "$HERE/versions.env"
CACHE=${LLMD_XKS_CACHE:-$HOME/.cache/llmd-xks}
export GOTOOLCHAIN=local GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0

log() { printf '[tools] %s\n' "$*" >&2; }
dir_of() { echo "$CACHE/bin/$1-$2"; }

timed() {  # name command...  (only a real build is logged to build-times.log, not a cache hit)
  local start=$SECONDS
  BUILT=
  "${@:2}"
  if [ -n "$BUILT" ]; then
    log "$1 built in $((SECONDS - start)) s"
    echo "$1 $((SECONDS - start)) $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$CACHE/build-times.log"
  else
    log "$1 cached"
  fi
}

build_kubernetes() {
  local out; out=$(dir_of kubernetes "$KUBERNETES_VERSION")
  [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kube-scheduler" ] && return 0
  BUILT=1
  local work; work=$(mktemp -d)
  (
    cd "$work"
    local kmod; kmod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    python3 "$HERE/gen_k8s_gomod.py" "$kmod" "$KUBERNETES_VERSION" > go.mod
    go mod tidy
    local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
    local ld="-s -w" now; now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$now"
    done
    mkdir -p "$out.tmp"
    go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$out.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  )
  rm -rf "$work" "$out"; mv "$out.tmp" "$out"
}

build_simple() {  # tool version module package binary-name [ldflags]
  local out; out=$(dir_of "$1" "$2")
  [ -x "$out/$5" ] && return 0
  BUILT=1
  local work; work=$(mktemp -d)
  (
    cd "$work"
    go mod init local.invalid/llmd-xks-"$1"-build >/dev/null 2>&1
    # get the main package (not only the module) so go.sum covers all of its imports
    go get "$4@$2"
    mkdir -p "$out.tmp"
    go build -trimpath -ldflags="-s -w ${6:-}" -o "$out.tmp/$5" "$4"
  )
  rm -rf "$work" "$out"; mv "$out.tmp" "$out"
}

build_etcd() { build_simple etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd; }
build_kwok() { build_simple kwok "$KWOK_VERSION" sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok kwok \
  "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"; }
# pure Go since v0.8.0 (no libzmq/tokenizers cgo); only built on request (tools/build.sh llm-d-inference-sim)
build_llm_d_inference_sim() { build_simple llm-d-inference-sim "$LLM_D_INFERENCE_SIM_VERSION" \
  github.com/llm-d/llm-d-inference-sim github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim llm-d-inference-sim; }
build_helm() {
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  build_simple helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
}
# helmfile's go.mod has replace directives (k8s.io/*), which `go install` refuses, so it is built from a wrapper
# module that requires it, copies those replaces, and adds HELMFILE_GO_REPLACES (tools/versions.env): pins for
# modules whose other versions the proxy refuses (403), so the module graph never asks for them.
build_helmfile() {
  local out; out=$(dir_of helmfile "$HELMFILE_VERSION")
  [ -x "$out/helmfile" ] && return 0
  BUILT=1
  local work; work=$(mktemp -d)
  (
    cd "$work"
    go mod init local.invalid/llmd-xks-helmfile-build >/dev/null 2>&1
    local hmod r; hmod=$(go mod download -json "github.com/helmfile/helmfile@$HELMFILE_VERSION" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    # helmfile's own replaces: "old[@v]=new[@v]" per line
    go mod edit -json "$hmod" | python3 -c '
import json, sys
def at(m):
    return m["Path"] + ("@" + m["Version"] if m.get("Version") else "")
for r in json.load(sys.stdin).get("Replace") or []:
    print(at(r["Old"]) + "=" + at(r["New"]))' > replaces.txt
    for r in $HELMFILE_GO_REPLACES; do echo "$r" >> replaces.txt; done
    while read -r r; do go mod edit -replace "$r"; done < replaces.txt
    log "helmfile $HELMFILE_VERSION replaces: $(tr '\n' ' ' < replaces.txt)"
    go get "github.com/helmfile/helmfile@$HELMFILE_VERSION"
    mkdir -p "$out.tmp"
    go build -trimpath -ldflags="-s -w -X go.szostok.io/version.version=$HELMFILE_VERSION" -o "$out.tmp/helmfile" \
      github.com/helmfile/helmfile
  )
  rm -rf "$work" "$out"; mv "$out.tmp" "$out"
}

mkdir -p "$CACHE/bin"
tools=("$@"); [ ${#tools[@]} -eq 0 ] && tools=(kubernetes etcd kwok helm helmfile)
for t in "${tools[@]}"; do
  if [ "$t" = kubernetes ] && [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] \
     && [ -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ] && [ -x "$KUBEBUILDER_ASSETS/kube-scheduler" ]; then
    log "kubernetes: using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"; continue
  fi
  log "ensuring $t"
  timed "$t" "build_${t//-/_}"
done
