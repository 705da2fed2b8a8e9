#!/usr/bin/env bash
# Print the path of a pinned tool built by tools/build.sh (cache ~/.cache/llmd-xks/bin/<tool>-<version>/),
# falling back to PATH.
#   tools/tool-path.sh helm|helmfile|helm-diff|kwok|etcd
#   tools/tool-path.sh helm-plugins   a HELM_PLUGINS directory holding the pinned helm-diff as plugin "diff"
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
    helm-diff) echo "$HELM_DIFF_VERSION" ;;
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
    diff_bin=$(binary helm-diff)
    dir="$CACHE/helm-plugins-$HELM_DIFF_VERSION"
    if [ ! -x "$dir/diff/bin/diff" ]; then
      mkdir -p "$dir/diff/bin"
      ln -sf "$diff_bin" "$dir/diff/bin/diff"
      cat > "$dir/diff/plugin.yaml" <<YAML
name: diff
version: "${HELM_DIFF_VERSION#v}"
usage: "Preview helm upgrade changes as a diff"
description: "Preview helm upgrade changes as a diff"
useTunnel: true
platformCommand:
  - command: \${HELM_PLUGIN_DIR}/bin/diff
YAML
    fi
    echo "$dir"
    ;;
  "") echo "usage: $0 <tool>|helm-plugins" >&2; exit 2 ;;
  *) binary "$1" ;;
esac
