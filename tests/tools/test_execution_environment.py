# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""execution-environment.yml: `ansible-builder create` works offline, and the build context carries the pinned
Python requirements, the pinned collections and the llmd.xks tarball with the step that installs it."""

import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def _tool(name):
    path = shutil.which(name, path=BIN) or shutil.which(name)
    assert path, "%s is missing (requirements-dev.txt)" % name
    return path


def test_ansible_builder_create_offline_with_pinned_requirements_and_the_collection(tmp_path):
    # the definition's relative paths, resolved in a scratch copy so the test does not touch .cache/dist
    with open(os.path.join(REPO, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    deps = definition["dependencies"]
    for relative in (deps["python"], deps["system"], deps["galaxy"]) + tuple(
            f["src"] for f in definition["additional_build_files"] if "*" not in f["src"]):
        os.makedirs(os.path.dirname(str(tmp_path / relative)) or str(tmp_path), exist_ok=True)
        shutil.copy(os.path.join(REPO, relative), str(tmp_path / relative))
    shutil.copy(os.path.join(REPO, "execution-environment.yml"), str(tmp_path))
    tarball_glob = next(f for f in definition["additional_build_files"] if "*" in f["src"])
    dist = tmp_path / os.path.dirname(tarball_glob["src"])
    subprocess.run([_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), REPO],
                   check=True, capture_output=True, cwd=REPO, timeout=120)
    tarball = [p for p in os.listdir(str(dist)) if re.fullmatch(r"llmd-xks-.*\.tar\.gz", p)]
    assert len(tarball) == 1

    context = tmp_path / "context"
    proc = subprocess.run([_tool("ansible-builder"), "create", "-f", "execution-environment.yml", "--context",
                           str(context)], cwd=str(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "No matches" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    build = context / "_build"

    with open(os.path.join(REPO, "requirements.txt")) as handle:
        pins = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^ ;]*", p) for p in pins), pins
    assert set(pins) <= set((build / "requirements.txt").read_text().split())

    collections = dict((c["name"], str(c["version"]))
                       for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"])
    assert collections["kubernetes.core"] == "6.2.0" and collections["google.cloud"] == "1.10.2"
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in collections.values()), collections

    assert (build / "collections" / tarball[0]).is_file()
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    assert "ansible-core==2.19.14" in containerfile
    install = [line for line in containerfile.splitlines() if "ansible-galaxy collection install --offline --no-deps" in line]
    assert install and "/build/collections/llmd-xks-*.tar.gz" in install[0]
    # the collection is installed in the galaxy stage, whose collections the final image copies
    assert containerfile.index(install[0]) < containerfile.index("FROM base AS final")
    assert (build / "configs" / "versions.env").exists()  # helm/helmfile/kubectl versions for the final stage
