#!/usr/bin/env bash
# Print the path of a pinned tool built by tools/build.sh (cache ~/.cache/llmd-xks/bin/<tool>-<version>/),
# falling back to PATH.
#   tools/tool-path.sh helm|helmfile|kwok|etcd
#   tools/tool-path.sh helm-plugins   an empty HELM_PLUGINS directory: helm without plugins, so the helmfile module
#                                     uses its template engine (helm-diff cannot be built from the Go module proxy)
# Exit 1 (message on stderr) when the tool is not available.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/versions.env
source "$HERE/versions.env"
CACHE=${LLMD_XKS_CACHE:-$HOME/.cache/llmd-xks}

version_of() {
  case "$1" in
    helm) echo "$HELM_VERSION" ;;
    helmfile) echo "$HELMFILE_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    *) echo "unknown tool $1" >&2; exit 2 ;;
  esac
}

binary() {
  local tool=$1 version path
  version=$(version_of "$tool")
  path="$CACHE/bin/$tool-$version/$tool"
  if [ -x "$path" ]; then echo "$path"; return 0; fi
  if path=$(command -v "$tool" 2>/dev/null); then echo "$path"; return 0; fi
  echo "$tool $version is neither built ($CACHE/bin/$tool-$version) nor on PATH; run tools/build.sh $tool" >&2
  return 1
}

case "${1:-}" in
  helm-plugins)
    dir="$CACHE/helm-plugins-none"
    mkdir -p "$dir"
    echo "$dir"
    ;;
  "") echo "usage: $0 <tool>|helm-plugins" >&2; exit 2 ;;
  *) binary "$1" ;;
esac
