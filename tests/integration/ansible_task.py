# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run one task of the collection through the real ansible-playbook and return its result."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml
from waiting import scaled

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")


def _tool_dirs():
    """Directories of the pinned helm and helmfile (tools/tool-path.sh), for PATH."""
    dirs = []
    for name in ("helm", "helmfile"):
        proc = subprocess.run(["bash", os.path.join(REPO, "tools", "tool-path.sh"), name], capture_output=True, text=True,
                              check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            dirs.append(os.path.dirname(proc.stdout.strip()))
    return dirs


def shared_dir():
    """shared/ (upstream CRDs, presets, charts): LLMD_XKS_SHARED, else beside the repository (CI), else /work/shared, as
    tools/cluster.sh looks for it."""
    if os.environ.get("LLMD_XKS_SHARED"):
        return os.path.abspath(os.environ["LLMD_XKS_SHARED"])
    beside = os.path.abspath(os.path.join(REPO, "..", "shared"))
    return beside if os.path.isdir(os.path.join(beside, "crds")) or not os.path.isdir("/work/shared/crds") else "/work/shared"


def charts_dir():
    """The real llm-d charts."""
    return os.path.join(shared_dir(), "charts")


def ansible_env(kubeconfig):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(_tool_dirs() + [env.get("PATH", "")])
    env["LLMD_XKS_CHARTS_DIR"] = charts_dir()
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        K8S_AUTH_KUBECONFIG=kubeconfig,
    )
    env.pop("KUBECONFIG", None)
    return env


def run_task(kubeconfig, module, args, check=False, diff=False):
    """Returns the task's result dict (with 'failed' when it failed)."""
    workdir = tempfile.mkdtemp(prefix="llmd-xks-task-")
    result_file = os.path.join(workdir, "result.json")
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
        {"name": "task under test", module: args, "register": "out", "ignore_errors": True},
        {"name": "save the result", "ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": result_file},
         "check_mode": False, "diff": False},
    ]}]
    playbook = os.path.join(workdir, "play.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump(play, handle)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    proc = subprocess.run(command, env=ansible_env(kubeconfig), capture_output=True, text=True, timeout=scaled(900), check=False)
    try:
        with open(result_file) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        raise AssertionError("ansible-playbook gave no result (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
