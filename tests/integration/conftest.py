# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures for integration tests against the local control plane (tools/cluster.sh).

* ``cluster`` (session): starts the cluster with ``tools/cluster.sh up`` unless it is already up, loads
  its kubeconfig as the kubernetes client default, exports ``K8S_AUTH_KUBECONFIG``/``KUBECONFIG``, and
  stops the cluster at the end only if it started it (set LLMD_XKS_KEEP_CLUSTER=1 to keep it).
* ``namespace``: a fresh namespace per test (its ``default`` ServiceAccount exists), deleted afterwards;
  teardown waits (bounded) until its Pods are gone, so accelerator capacity is free again for the
  next test (the namespace itself finishes terminating in the background).
"""
import fcntl
import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER_SH = os.path.join(REPO, "tools", "cluster.sh")


@dataclass
class Cluster:
    kubeconfig: str
    started_here: bool

    def api_client(self) -> client.ApiClient:
        return config.new_client_from_config(config_file=self.kubeconfig)


def _cluster_sh(*args, check=True, capture=True):
    return subprocess.run(["bash", CLUSTER_SH, *args], check=check, text=True,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)


def _kubeconfig_path() -> str:
    out = _cluster_sh("env").stdout
    m = re.search(r"KUBECONFIG=(\S+)", out)
    assert m, f"cannot parse `cluster.sh env`: {out!r}"
    return m.group(1)


@pytest.fixture(scope="session")
def cluster():
    state = os.environ.get("LLMD_XKS_STATE", os.path.join(REPO, ".cache", "cluster"))
    os.makedirs(state, exist_ok=True)
    started = False
    with open(os.path.join(state, ".fixture.lock"), "w") as lock:  # pytest-xdist workers share one cluster
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _cluster_sh("status", check=False).returncode != 0:
            res = _cluster_sh("up", check=False)
            if res.returncode != 0:
                pytest.fail(f"tools/cluster.sh up failed:\n{res.stdout}", pytrace=False)
            started = True
    kubeconfig = _kubeconfig_path()
    saved = {k: os.environ.get(k) for k in ("KUBECONFIG", "K8S_AUTH_KUBECONFIG")}
    os.environ["KUBECONFIG"] = os.environ["K8S_AUTH_KUBECONFIG"] = kubeconfig
    config.load_kube_config(config_file=kubeconfig)
    try:
        yield Cluster(kubeconfig=kubeconfig, started_here=started)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if started and not os.environ.get("LLMD_XKS_KEEP_CLUSTER") and not os.environ.get("PYTEST_XDIST_WORKER"):
            _cluster_sh("down", check=False)


def _wait(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def namespace(cluster, request):
    core = client.CoreV1Api()
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"it-{base}-{uuid.uuid4().hex[:5]}"
    core.create_namespace({"metadata": {"name": name, "labels": {"llmd.xks/test": "integration"}}})

    def has_default_sa():
        try:
            core.read_namespaced_service_account("default", name)
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    _wait(has_default_sa, 15)
    yield name

    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise

    # The namespace controller waits a fixed 5 s (namespaceDeletionGracePeriod) before it starts and
    # then finishes in the background. Pods cannot be recreated in a terminating namespace, so delete
    # them now and wait until they are gone: that hands the accelerator capacity to the next test.
    try:
        core.delete_collection_namespaced_pod(name, grace_period_seconds=0)
    except ApiException as exc:
        if exc.status != 404:
            raise

    def no_pods():
        return not core.list_namespaced_pod(name).items

    _wait(no_pods, float(os.environ.get("LLMD_XKS_NS_TEARDOWN_TIMEOUT", "60")), 0.2)
