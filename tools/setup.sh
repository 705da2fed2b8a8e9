#!/usr/bin/env bash
# Set up a development/CI machine for the llmd.xks collection. Idempotent and offline-friendly
# (needs PyPI only, no Ansible Galaxy):
#   1. .venv/ at the repo root with the pinned requirements (pip is skipped when the stamp matches);
#   2. kubernetes.core and google.cloud unpacked from the `ansible` wheel on PyPI into
#      .cache/collections/ansible_collections/ (the wheel is cached under $LLMD_XKS_CACHE/wheels);
#   3. the symlink .cache/collections/ansible_collections/llmd/xks -> repo root;
#   4. the offline get-pip stand-in ansible-test needs (~/.ansible/test/cache/get_pip_<ver>.py).
# Environment: PYTHON (interpreter for the venv, default python3.11 or python3),
#              LLMD_XKS_CACHE (default ~/.cache/llmd-xks), LLMD_XKS_FORCE=1 (reinstall everything).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LLMD_XKS_CACHE:-$HOME/.cache/llmd-xks}
VENV=$ROOT/.venv
COLL_ROOT=$ROOT/.cache/collections/ansible_collections
FORCE=${LLMD_XKS_FORCE:-0}

log() { printf '[setup] %s\n' "$*" >&2; }

# --- 1. Python interpreter and pins ------------------------------------------------------------
if [ -n "${PYTHON:-}" ]; then
  py=$PYTHON
elif [ -x "$VENV/bin/python" ]; then
  py=$VENV/bin/python
elif command -v python3.11 >/dev/null 2>&1 && python3.11 -c '' >/dev/null 2>&1; then
  py=python3.11
else
  py=python3
fi
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|2.*|3.[0-9]) log "Python $pyver is too old: ansible-core 2.19 needs Python >= 3.11"; exit 1 ;;
  3.11) reqs=(requirements-dev.txt); constraints="constraints-py311.txt"
        ansible_wheel=ansible==12.3.0 ;;  # bundles kubernetes.core 6.2.0, google.cloud 1.10.2
  *)    reqs=(requirements-dev-py312.txt); constraints=
        ansible_wheel=ansible==14.5.0 ;;  # bundles kubernetes.core 6.6.0
esac
ANSIBLE_WHEEL=${LLMD_XKS_ANSIBLE_WHEEL:-$ansible_wheel}

# --- 2. venv + pip --------------------------------------------------------------------------------
venv_ver=
[ -x "$VENV/bin/python" ] && venv_ver=$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
if [ "$venv_ver" != "$pyver" ]; then
  log "creating $VENV with $py (Python $pyver)"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
fi
stamp_file=$VENV/.llmd-xks-setup-stamp
stamp=$(cd "$ROOT" && { echo "python $pyver"; cat requirements.txt "${reqs[@]}" ${constraints:+"$constraints"}; } | sha256sum | cut -d' ' -f1)
if [ "$FORCE" != 1 ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  log "Python requirements up to date (stamp $stamp_file)"
else
  log "installing Python requirements: ${reqs[*]} ${constraints:+(constraints $constraints)}"
  pip_args=(install --disable-pip-version-check --progress-bar off -q)
  for r in "${reqs[@]}"; do pip_args+=(-r "$ROOT/$r"); done
  [ -n "$constraints" ] && pip_args+=(-c "$ROOT/$constraints")
  "$VENV/bin/python" -m pip "${pip_args[@]}"
  echo "$stamp" > "$stamp_file"
fi

# --- 3. collections from the ansible wheel --------------------------------------------------------
mkdir -p "$CACHE/wheels" "$COLL_ROOT"
wheel=$CACHE/wheels/${ANSIBLE_WHEEL/==/-}-py3-none-any.whl
if [ ! -f "$wheel" ]; then
  log "downloading the $ANSIBLE_WHEEL wheel into $CACHE/wheels (about 55 MB, once)"
  "$VENV/bin/python" -m pip download --disable-pip-version-check --progress-bar off -q \
    --no-deps --only-binary=:all: -d "$CACHE/wheels" "$ANSIBLE_WHEEL"
fi
"$VENV/bin/python" - "$wheel" "$COLL_ROOT" "$FORCE" kubernetes/core google/cloud <<'PY'
"""Unpack selected collections from the ansible wheel; skip those already at the wheel's version."""
import json, os, shutil, sys, tempfile, zipfile
wheel, root, force, wanted = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
with zipfile.ZipFile(wheel) as zf:
    names = zf.namelist()
    for coll in wanted:
        prefix = "ansible_collections/%s/" % coll
        manifest = json.loads(zf.read(prefix + "MANIFEST.json"))
        version = manifest["collection_info"]["version"]
        dest = os.path.join(root, coll)
        have = None
        try:
            with open(os.path.join(dest, "MANIFEST.json")) as f:
                have = json.load(f)["collection_info"]["version"]
        except (OSError, ValueError, KeyError):
            pass
        name = coll.replace("/", ".")
        if have == version and not force:
            print("[setup] %s %s already unpacked" % (name, version), file=sys.stderr)
            continue
        tmp = tempfile.mkdtemp(dir=root, prefix=".unpack-")
        try:
            for member in names:
                if member.startswith(prefix) and not member.endswith("/"):
                    zf.extract(member, tmp)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.lexists(dest):
                shutil.rmtree(dest) if not os.path.islink(dest) else os.unlink(dest)
            os.rename(os.path.join(tmp, prefix), dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print("[setup] unpacked %s %s from %s" % (name, version, os.path.basename(wheel)), file=sys.stderr)
PY

# --- 4. this collection, by symlink ---------------------------------------------------------------
mkdir -p "$COLL_ROOT/llmd"
if [ "$(readlink "$COLL_ROOT/llmd/xks" 2>/dev/null || true)" != "$ROOT" ]; then
  rm -rf "$COLL_ROOT/llmd/xks"
  ln -s "$ROOT" "$COLL_ROOT/llmd/xks"
  log "linked $COLL_ROOT/llmd/xks -> $ROOT"
fi

# --- 5. offline get-pip stand-in for ansible-test -------------------------------------------------
pip_ver=$("$VENV/bin/python" - <<'PY'
import pathlib, re
try:
    import ansible_test
    src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    print(re.search(r"pip='([0-9.]+)'", src).group(1))
except Exception:
    print("24.2")
PY
)
getpip=$HOME/.ansible/test/cache/get_pip_${pip_ver//./_}.py
mkdir -p "$(dirname "$getpip")"
cat > "$getpip.tmp" <<'PY'
"""Offline stand-in for get-pip.py, written by llmd.xks tools/setup.sh.

ansible-test bootstraps pip in each of its venvs by downloading get-pip.py from a host that is not
reachable here. This does the same from the interpreter's bundled pip: ensurepip, then `pip install`
of the pinned pip that ansible-test asks for (from the package index configured for this machine).
"""
import ensurepip
import os
import subprocess
import sys


def main():
    saved = dict(os.environ)
    ensurepip.bootstrap()
    # ensurepip drops every PIP_* variable and sets PIP_CONFIG_FILE=/dev/null; undo that so that
    # /etc/pip.conf (cert=, index) and PIP_* settings apply to the real install below.
    os.environ.clear()
    os.environ.update(saved)
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    if args:
        sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))


if __name__ == "__main__":
    main()
PY
mv "$getpip.tmp" "$getpip"
log "ansible-test get-pip stand-in: $getpip"
log "done: $VENV (Python $pyver, ansible-core $("$VENV/bin/python" -c 'from ansible.release import __version__; print(__version__)')), collections in $ROOT/.cache/collections"
