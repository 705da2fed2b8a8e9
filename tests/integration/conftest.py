# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures for integration tests against the local control plane (tools/cluster.sh).

* ``cluster`` (session): starts the cluster with ``tools/cluster.sh up`` unless it is already up, loads
  its kubeconfig as the kubernetes client default, exports ``K8S_AUTH_KUBECONFIG``/``KUBECONFIG``, and
  stops the cluster at the end only if it started it (set LLMD_XKS_KEEP_CLUSTER=1 to keep it).
* ``namespace``: a fresh namespace per test (its ``default`` ServiceAccount exists), deleted afterwards;
  teardown waits (bounded) until its Pods are gone, so accelerator capacity is free again for the
  next test (the namespace itself finishes terminating in the background); Pods still there fail the test.
* Every test that used the cluster is checked afterwards: no Pod may still hold accelerator resources
  (google.com/tpu, nvidia.com/gpu). A leak fails the test that leaked, not the next one that needs the nodes.
* Under pytest-xdist each worker has a cluster of its own (state ``<LLMD_XKS_STATE>-gwN`` for N > 0), so a test
  that kills the API server or unserves a CRD disturbs no other worker.
* Waits scale with the slowdown measured once at the start (tests/integration/waiting.py), exported as
  ``LLMD_XKS_TEST_SLOWDOWN`` to the workers and to every ansible-playbook they start.
* Budgets: ``@pytest.mark.budget(seconds)`` (default DEFAULT_BUDGET) is what a test may take on a quiet
  machine; the session ends with the slowest tests beside their budgets (a report, not a failure), and
  writes every test's figure to .cache/test-durations.json.
"""
import fcntl
import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from waiting import SLOWDOWN, WaitTimeout, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools import slowest_tests  # noqa: E402  pylint: disable=wrong-import-position

CLUSTER_SH = os.path.join(REPO, "tools", "cluster.sh")
DEFAULT_STATE = os.path.join(REPO, ".cache", "cluster")
ACCELERATORS = ("google.com/tpu", "nvidia.com/gpu")
DEFAULT_BUDGET = 90
SLOWEST = 10
_DURATIONS = {}  # nodeid -> seconds (setup + call + teardown), budget, outcome


def pytest_configure(config):
    config.addinivalue_line("markers", "budget(seconds): what the test may take on a quiet machine (reported)")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and worker != "gw0":
        os.environ["LLMD_XKS_STATE"] = os.environ.get("LLMD_XKS_STATE", DEFAULT_STATE) + "-" + worker
    if not os.environ.get("LLMD_XKS_TEST_SLOWDOWN"):
        os.environ["LLMD_XKS_TEST_SLOWDOWN"] = "%.2f" % SLOWDOWN


def pytest_report_header(config):
    return "slowdown factor for waits: %s (LLMD_XKS_TEST_SLOWDOWN)" % os.environ.get("LLMD_XKS_TEST_SLOWDOWN")


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("budget")
    item.user_properties.append(("budget", marker.args[0] if marker else DEFAULT_BUDGET))


def pytest_runtest_logreport(report):
    entry = _DURATIONS.setdefault(report.nodeid, {"seconds": 0.0, "budget": DEFAULT_BUDGET, "outcome": "passed"})
    entry["seconds"] += report.duration
    entry["budget"] = dict(report.user_properties).get("budget", entry["budget"])
    if report.failed:
        entry["outcome"] = "failed"


def pytest_terminal_summary(terminalreporter):
    if not _DURATIONS:
        return
    slowdown = float(os.environ.get("LLMD_XKS_TEST_SLOWDOWN") or 1)
    with open(slowest_tests.DURATIONS, "w") as handle:
        json.dump({"slowdown": slowdown, "tests": _DURATIONS}, handle, indent=1)
    terminalreporter.section("the %d slowest tests and their budgets (x slowdown %.2f)" % (SLOWEST, slowdown))
    for line in slowest_tests.report_lines(_DURATIONS, slowdown, SLOWEST):
        terminalreporter.write_line(line)


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
    state = os.environ.get("LLMD_XKS_STATE", DEFAULT_STATE)
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
        if started and not os.environ.get("LLMD_XKS_KEEP_CLUSTER"):
            _cluster_sh("down", check=False)


def _accelerator_pods(core):
    """namespace/name (phase, deleting, resource) of every Pod that requests an accelerator."""
    held = []
    for pod in core.list_pod_for_all_namespaces().items:
        if pod.status.phase in ("Succeeded", "Failed"):
            continue
        wants = [k for c in pod.spec.containers for k in ((c.resources and c.resources.requests) or {}) if k in ACCELERATORS]
        if wants:
            held.append("%s/%s (%s%s, %s)" % (pod.metadata.namespace, pod.metadata.name, pod.status.phase,
                                              ", deleting" if pod.metadata.deletion_timestamp else "", wants[0]))
    return held


@pytest.fixture(autouse=True)
def no_leaked_accelerators(request):
    """After a test that used the cluster: wait (bounded) until no Pod holds an accelerator, else fail this test."""
    yield
    if "cluster" not in request.fixturenames:
        return
    core = client.CoreV1Api()
    try:
        wait_for(lambda: not _accelerator_pods(core), float(os.environ.get("LLMD_XKS_NS_TEARDOWN_TIMEOUT", "60")), 0.5,
                 what="the test's Pods to release their accelerators")
    except WaitTimeout:
        pytest.fail("%s left Pods holding accelerators after its teardown (the next test would find the nodes full): %s"
                    % (request.node.nodeid, "; ".join(_accelerator_pods(core))), pytrace=False)


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

    wait_for(has_default_sa, 15, 0.2, what="the default ServiceAccount of %s" % name)
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

    try:
        wait_for(no_pods, float(os.environ.get("LLMD_XKS_NS_TEARDOWN_TIMEOUT", "60")), 0.2, what="the Pods of %s to go" % name)
    except WaitTimeout:
        pytest.fail("the Pods of namespace %s are still there after its deletion: %s"
                    % (name, ", ".join(p.metadata.name for p in core.list_namespaced_pod(name).items)), pytrace=False)
