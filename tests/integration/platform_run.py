# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a role or a playbook through the real ansible-playbook and read its PLAY RECAP."""

import os
import re
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from ansible_task import REPO, ansible_env, shared_dir
from waiting import scaled


SHARED = shared_dir()
FIXTURES = os.path.join(REPO, "tests", "fixtures", "platform")
CHARTS = os.path.join(REPO, "tests", "charts")


@pytest.fixture(scope="module")
def kubeconfig(request):
    """The session cluster's kubeconfig (conftest fixture ``cluster``), else an already running local cluster."""
    try:
        return request.getfixturevalue("cluster").kubeconfig
    except pytest.FixtureLookupError:
        path = os.path.join(REPO, ".cache", "cluster", "admin.kubeconfig")
        if not os.path.exists(path):
            pytest.skip("no local cluster (tools/cluster.sh up)")
        return path


def tool(name):
    """Path of a pinned tool (tools/tool-path.sh), or None."""
    proc = subprocess.run(["bash", os.path.join(REPO, "tools", "tool-path.sh"), name], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def require_helm_tools():
    """Paths of helmfile and helm, or fail (not skip) the test: both are built from the Go module proxy."""
    helmfile, helm = tool("helmfile"), tool("helm")
    if not (helmfile and helm):
        import pytest

        pytest.fail("helmfile and helm are needed and neither is built nor on PATH: run `make tools` "
                    "(tools/build.sh helm helmfile)", pytrace=False)
    return helmfile, helm


def local_sources():
    """Role variables that point every source at the local test fixtures and upstream CRD copies."""
    crds = os.path.join(SHARED, "crds")
    return {
        "gateway_api_crds_sources": [os.path.join(crds, "gateway-api")],
        "gateway_api_inference_extension_sources": [os.path.join(crds, "inference-extension")],
        "cert_manager_manifests": [os.path.join(crds, "cert-manager"), os.path.join(FIXTURES, "cert-manager.yaml")],
        "cert_manager_wait_issuers": False,
        "ossm_operator_crds": [os.path.join(crds, "sail-operator"), os.path.join(crds, "istio")],
        "ossm_operator_chart": os.path.join(CHARTS, "sail-operator"),
        "ossm_operator_chart_version": "",
        "kserve_manifests": [os.path.join(crds, "kserve"), os.path.join(FIXTURES, "kserve.yaml")],
        "kserve_presets_sources": [os.path.join(SHARED, "kserve-presets", "v0.20.0")],
        "lws_manifests": [os.path.join(crds, "lws"), os.path.join(FIXTURES, "lws.yaml")],
        "llmd_xks_helmfile_binary": tool("helmfile") or "helmfile",
        "llmd_xks_helm_binary": tool("helm") or "helm",
        "llmd_xks_helm_plugins": tool("helm-plugins") or "",  # an empty plugin dir: the template diff engine
    }


class Run(object):
    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.elapsed = elapsed
        self.recap = parse_recap(proc.stdout)

    @property
    def changed(self):
        return sum(host.get("changed", 0) for host in self.recap.values())

    @property
    def failed(self):
        return self.rc != 0 or sum(host.get("failed", 0) + host.get("unreachable", 0) for host in self.recap.values())

    def changed_tasks(self):
        """Names of the tasks that reported changed (from the default callback's output)."""
        names, current = [], None
        for line in self.stdout.splitlines():
            match = re.match(r"^TASK \[(.*)\]", line)
            if match:
                current = match.group(1)
            elif line.startswith("changed:") and current:
                names.append(current)
        return sorted(set(names))

    def explain(self):
        return "rc=%s changed tasks=%s\n%s\n%s" % (self.rc, self.changed_tasks(), self.stdout[-6000:], self.stderr[-3000:])


def parse_recap(stdout):
    recap = {}
    section = stdout.split("PLAY RECAP", 1)[-1] if "PLAY RECAP" in stdout else ""
    for line in section.splitlines():
        match = re.match(r"^(\S+)\s*:\s*(.*)$", line.strip())
        if match and "ok=" in match.group(2):
            recap[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2)))
    return recap


def run_playbook(kubeconfig, playbook=None, roles=None, extra_vars=None, check=False, diff=False, tags=None):
    """Run ``playbook`` (a path) or a generated play that includes ``roles`` on localhost."""
    workdir = tempfile.mkdtemp(prefix="llmd-xks-play-")
    if playbook is None:
        play = [{"name": "roles under test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "roles": [{"role": "llmd.xks.%s" % r} for r in roles]}]
        playbook = os.path.join(workdir, "play.yml")
        with open(playbook, "w") as handle:
            yaml.safe_dump(play, handle)
    vars_file = os.path.join(workdir, "vars.yml")
    with open(vars_file, "w") as handle:
        yaml.safe_dump(extra_vars or {}, handle)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               "-e", "@" + vars_file, playbook]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if tags:
        command += ["--tags", tags]
    env = ansible_env(kubeconfig)
    env.update(ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", KUBECONFIG=kubeconfig)
    start = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=scaled(1800), cwd=REPO, check=False)
    return Run(proc, time.monotonic() - start)
