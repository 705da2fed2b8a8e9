#!/usr/bin/env bash
# Run ansible-test on a physical copy of the collection (ansible-test rejects a symlinked
# ansible_collections/NS/NAME tree):
#   .cache/ansible-test-root/ansible_collections/llmd/xks   fresh copy of the work tree (own git repo),
#       less tools/ and .ci/, which are not part of the collection (galaxy.yml build_ignore), and the
#       test data under tests/charts/ and tests/fixtures/: Helm charts whose templates/*.yaml are Go
#       templates, and multi-document Kubernetes manifests, which the yamllint sanity test rejects
#       (unparsable / multiple-yaml-documents) and no ignore accepted by ansible-lint can silence.
#   .cache/ansible-test-root/ansible_collections/kubernetes/core, google/cloud   dependencies
# tests/sanity/ignore-*.txt are regenerated in the copy from plugins/modules (tools/sanity_ignores.py).
#   tools/ansible_test.sh sanity --python 3.11
#   tools/ansible_test.sh units --python 3.11 --venv --requirements
# Results are copied back to tests/output/ of the work tree.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/.venv
SRC_COLL=$ROOT/.cache/collections/ansible_collections
TEST_ROOT=$ROOT/.cache/ansible-test-root/ansible_collections
COPY=$TEST_ROOT/llmd/xks

[ -x "$VENV/bin/ansible-test" ] || { echo "ansible-test missing: run make setup" >&2; exit 2; }
rm -rf "$COPY"
mkdir -p "$COPY"
tar -C "$ROOT" \
  --exclude=./.git --exclude=./.venv --exclude=./.cache --exclude=./.ansible --exclude=./tests/output \
  --exclude=./tools --exclude=./.ci --exclude=./tests/charts --exclude=./tests/fixtures \
  --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.pyc' --exclude='./*.tar.gz' \
  -cf - . | tar -C "$COPY" -xf -
for dep in kubernetes/core google/cloud; do
  src=$SRC_COLL/$dep dst=$TEST_ROOT/$dep
  [ -d "$src" ] || { echo "$src missing: run make setup" >&2; exit 2; }
  if ! cmp -s "$src/MANIFEST.json" "$dst/MANIFEST.json" 2>/dev/null; then
    rm -rf "$dst"; mkdir -p "$(dirname "$dst")"; cp -a "$src" "$dst"
  fi
done
"$VENV/bin/python" "$ROOT/tools/sanity_ignores.py" --root "$COPY" >/dev/null
# The copy sits inside this (git-ignored) work tree; a repository of its own makes ansible-test list
# its files with git (tracked or not ignored) instead of seeing them all as ignored.
git -C "$COPY" init -q

rc=0
(cd "$COPY" && PATH="$VENV/bin:$PATH" "$VENV/bin/ansible-test" "$@") || rc=$?
if [ -d "$COPY/tests/output" ]; then
  mkdir -p "$ROOT/tests/output"
  cp -a "$COPY/tests/output/." "$ROOT/tests/output/"
fi
exit "$rc"
