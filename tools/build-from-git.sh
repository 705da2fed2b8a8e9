#!/usr/bin/env bash
# Build helm-diff or helmfile from git sources into the tools cache, for when the Go module proxy refuses a
# module (proxy.golang.org answers 403 for github.com/databus23/helm-diff/v3, github.com/helmfile/vals and
# github.com/hashicorp/hcp-sdk-go).
# Every other dependency still comes from the proxy.
#   tools/build-from-git.sh helm-diff|helmfile
# Sources: $LLMD_XKS_GIT_MIRROR/<owner>+<repo>/repo if it exists (a bare or normal git repository),
# else a shallow clone from GitHub. The binary lands where tools/build.sh puts it:
# ~/.cache/llmd-xks/bin/<tool>-<version>/<tool>.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/versions.env
source "$HERE/versions.env"
CACHE=${LLMD_XKS_CACHE:-$HOME/.cache/llmd-xks}
MIRROR=${LLMD_XKS_GIT_MIRROR:-/work/.mirror}
export GOTOOLCHAIN=local GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0

checkout() {  # owner/repo tag dest
  local mirror="$MIRROR/${1/\//+}/repo"
  mkdir -p "$3"
  if [ -d "$mirror" ]; then
    git -C "$mirror" archive "$2" | tar -x -C "$3"
  else
    git clone --quiet --depth 1 --branch "$2" "https://github.com/$1" "$3"
  fi
}

tool=${1:?usage: $0 helm-diff|helmfile}
case "$tool" in
  helm-diff) version=$HELM_DIFF_VERSION ;;
  helmfile) version=$HELMFILE_VERSION ;;
  *) echo "unknown tool $tool" >&2; exit 2 ;;
esac
out="$CACHE/bin/$tool-$version"
[ -x "$out/$tool" ] && { echo "$out/$tool"; exit 0; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
start=$SECONDS
case "$tool" in
  helm-diff)
    checkout databus23/helm-diff "$version" "$work/src"
    ldflags="-X github.com/databus23/helm-diff/v3/cmd.Version=${version#v}"
    ;;
  helmfile)
    checkout helmfile/helmfile "$version" "$work/src"
    vals=$(cd "$work/src" && go mod edit -json | python3 -c \
      'import json,sys; print(next(r["Version"] for r in json.load(sys.stdin)["Require"] if r["Path"] == "github.com/helmfile/vals"))')
    checkout helmfile/vals "$vals" "$work/vals"
    (cd "$work/src" && go mod edit -replace "github.com/helmfile/vals=$work/vals")
    # vals needs github.com/hashicorp/hcp-sdk-go, which the proxy refuses as well
    hcp=$(cd "$work/vals" && go mod edit -json | python3 -c \
      'import json,sys; print(next(r["Version"] for r in json.load(sys.stdin)["Require"] if r["Path"] == "github.com/hashicorp/hcp-sdk-go"))')
    checkout hashicorp/hcp-sdk-go "$hcp" "$work/hcp-sdk-go"
    (cd "$work/src" && go mod edit -replace "github.com/hashicorp/hcp-sdk-go=$work/hcp-sdk-go")
    ldflags="-X go.szostok.io/version.version=$version"
    ;;
esac
mkdir -p "$out.tmp"
(cd "$work/src" && go build -mod=mod -trimpath -ldflags="-s -w $ldflags" -o "$out.tmp/$tool" .)
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$tool $((SECONDS - start))" >> "$CACHE/build-times.log"
echo "$out/$tool"
