# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""execution-environment.yml: `ansible-builder create` works offline and the context carries the pins."""

import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ansible_builder_create_offline_with_pinned_requirements(tmp_path):
    builder = shutil.which("ansible-builder", path=os.path.dirname(sys.executable)) or shutil.which("ansible-builder")
    assert builder, "ansible-builder is missing (requirements-dev.txt)"
    context = tmp_path / "context"
    proc = subprocess.run([builder, "create", "-f", "execution-environment.yml", "--context", str(context)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = context / "_build"
    with open(os.path.join(REPO, "requirements.txt")) as handle:
        pins = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^ ;]*", p) for p in pins), pins
    generated = (build / "requirements.txt").read_text().split()
    assert set(pins) <= set(generated)
    collections = dict((c["name"], str(c["version"])) for c in yaml.safe_load((build / "requirements.yml").read_text())["collections"])
    assert collections["kubernetes.core"] == "6.2.0" and collections["google.cloud"] == "1.10.2"
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in collections.values()), collections
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    assert "ansible-core==2.19.14" in containerfile and "requirements.yml" in containerfile
    assert (build / "configs" / "versions.env").exists()  # helm/helmfile/kubectl versions for the final stage
