# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""playbooks/migrate.yml against the local cluster: both directions for patterns 1 and 3, a pattern change with a
weighted traffic shift, an interrupted run finished by a re-run, a target that never gets ready (rollback, source
untouched) and source == target (no-op).

A monitor thread reads the namespace every 0.2 s with the stack_info logic and records the longest interval in
which no route was accepted with a ready backend behind it; every migration must keep it at zero.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from kubernetes import client

from ansible_task import COLLECTIONS, REPO, ansible_env
from playbook import run_playbook

from ansible_collections.llmd.xks.plugins.module_utils._client import KubeClient
from ansible_collections.llmd.xks.plugins.module_utils._stack_info import describe

pytestmark = [pytest.mark.integration, pytest.mark.budget(240)]

ACCELERATOR = "nvidia-h100-80gb"  # 2 nodes x 8 GPUs: room for a pattern-3 source and target side by side


def llmd_model_servers(namespace):
    """The llm-d model-server Deployments (the modelservice chart puts our labels on their pods only)."""
    return [d for d in client.AppsV1Api().list_namespaced_deployment(namespace).items
            if (d.spec.template.metadata.labels or {}).get("llmd.xks/stack") == "gateway_api_llmd"
            and "llmd.xks/model" in (d.spec.template.metadata.labels or {})]


def tpu_nodes():
    return client.CoreV1Api().list_node(label_selector="cloud.google.com/gke-tpu-topology=2x2").items


def variables(namespace, **extra):
    base = {"llmd_xks_namespace": namespace, "llmd_xks_accelerator": ACCELERATOR,
            "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], "llmd_xks_wait_timeout": 120,
            "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace, "class_name": "istio", "create": True},
            "migrate_step_seconds": 1}
    base.update(extra)
    return base


class ServingMonitor(object):
    """Samples whether anything in the namespace serves; the longest run of 'nothing serves' is the downtime."""

    def __init__(self, cluster, namespace, interval=0.2):
        self.kube = KubeClient(cluster.api_client())
        self.namespace = namespace
        self.interval = interval
        self.samples = []  # (time, serving, {route name: backend names})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                deployments = describe(self.kube, self.namespace)
                serving = any(d["serving"] for d in deployments)
                routes = dict((r["name"], [b["name"] for b in r["backends"]]) for d in deployments for r in d["routes"])
                self.samples.append((now, serving, routes))
            except Exception as exc:  # the API is busy; a missed sample is not downtime
                self.samples.append((now, None, {"error": str(exc)}))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def longest_gap(self):
        longest, start = 0.0, None
        for now, serving, _routes in self.samples:
            if serving is False and start is None:
                start = now
            elif serving and start is not None:
                longest, start = max(longest, now - start), None
        if start is not None:
            longest = max(longest, self.samples[-1][0] - start)
        return longest

    def backends_seen(self, route):
        return max((len(routes.get(route) or []) for _now, _serving, routes in self.samples), default=0)


def deploy(cluster, playbook, namespace, **extra):
    run = run_playbook(cluster.kubeconfig, playbook, extra_vars=variables(namespace, **extra))
    assert run.rc == 0, run
    return run


def migrate(cluster, namespace, source, target, **extra):
    extra.update({"from": source, "to": target})
    started = time.monotonic()
    run = run_playbook(cluster.kubeconfig, "migrate.yml", extra_vars=variables(namespace, **extra))
    return run, time.monotonic() - started


def deployed(cluster, namespace):
    return describe(KubeClient(cluster.api_client()), namespace)


def only(cluster, namespace, stack, pattern):
    found = deployed(cluster, namespace)
    assert [(d["stack"], d["pattern"]) for d in found] == [(stack, pattern)], found
    assert found[0]["ready"] and found[0]["serving"], found[0]
    return found[0]


def set_records(namespace):
    items = client.CoreV1Api().list_namespaced_config_map(namespace).items
    return sorted(cm.metadata.name for cm in items if cm.metadata.name.startswith("llmd-xks-set-") and "gateway" not in cm.metadata.name)


def report(label, seconds, gap):
    sys.stderr.write("\n[migrate] %s: %.1f s, longest interval without a serving backend %.2f s\n" % (label, seconds, gap))


@pytest.mark.parametrize("pattern", [1, 3])
def test_both_directions(cluster, namespace, pattern):
    playbook = "pattern%d.yml" % pattern
    deploy(cluster, playbook, namespace, llmd_xks_stack="istio_kserve")
    with ServingMonitor(cluster, namespace) as monitor:
        run, seconds = migrate(cluster, namespace, "istio_kserve", "gateway_api_llmd", from_pattern=pattern)
        assert run.rc == 0, run
    report("P%d istio_kserve -> gateway_api_llmd" % pattern, seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    target = only(cluster, namespace, "gateway_api_llmd", pattern)
    assert len(target["workloads"]) == 1 and target["pools"][0]["ready_endpoints"] == (3 if pattern == 3 else 1)
    # KServe's URL shape keeps working on the llm-d side
    assert "http://203.0.113.10/%s/qwen/v1" % namespace in target["endpoints"], target["endpoints"]
    assert set_records(namespace) == ["llmd-xks-set-llmd-xks-pattern%d-llmd" % pattern,
                                      "llmd-xks-set-llmd-xks-pattern%d-llmd-paths" % pattern]
    assert not client.NetworkingV1Api().list_namespaced_network_policy(namespace).items  # the source's policies went

    rerun, _seconds = migrate(cluster, namespace, "istio_kserve", "gateway_api_llmd", from_pattern=pattern)
    assert rerun.rc == 0 and rerun.changed == 0, rerun

    with ServingMonitor(cluster, namespace) as monitor:
        run, seconds = migrate(cluster, namespace, "gateway_api_llmd", "istio_kserve", from_pattern=pattern)
        assert run.rc == 0, run
    report("P%d gateway_api_llmd -> istio_kserve" % pattern, seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    back = only(cluster, namespace, "istio_kserve", pattern)
    assert back["endpoints"] == ["http://203.0.113.10/%s/qwen/v1" % namespace]
    assert set_records(namespace) == ["llmd-xks-set-llmd-xks-pattern%d-istio" % pattern]
    assert not llmd_model_servers(namespace)


def test_pattern_change_with_weighted_shift(cluster, namespace):
    deploy(cluster, "pattern1.yml", namespace, llmd_xks_stack="gateway_api_llmd")
    with ServingMonitor(cluster, namespace) as monitor:
        run, seconds = migrate(cluster, namespace, "gateway_api_llmd", "gateway_api_llmd", from_pattern=1, to_pattern=3,
                               migrate_step_seconds=2)
        assert run.rc == 0, run
    report("gateway_api_llmd P1 -> P3 (weights 50, 100)", seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    assert "Percent of the traffic sent to the target 50" in run.output
    # during the shift the source route sent traffic to both pools
    assert monitor.backends_seen("pattern1") == 2
    target = only(cluster, namespace, "gateway_api_llmd", 3)
    assert [r["name"] for r in target["routes"]] == ["pattern3"]


def test_kserve_pattern_change_in_place(cluster, namespace):
    deploy(cluster, "pattern3.yml", namespace, llmd_xks_stack="istio_kserve")
    with ServingMonitor(cluster, namespace) as monitor:
        run, seconds = migrate(cluster, namespace, "istio_kserve", "istio_kserve", from_pattern=3, to_pattern=1)
        assert run.rc == 0, run
    report("istio_kserve P3 -> P1 (in place)", seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    target = only(cluster, namespace, "istio_kserve", 1)
    assert target["release"] == "pattern1"
    # the NetworkPolicies both patterns share were kept and now belong to the target's set
    policies = client.NetworkingV1Api().list_namespaced_network_policy(namespace).items
    assert policies and all(p.metadata.labels["llmd.xks/apply-set"] == "llmd-xks-pattern1-istio" for p in policies)
    assert set_records(namespace) == ["llmd-xks-set-llmd-xks-pattern1-istio"]


def test_noop_when_source_is_target(cluster, namespace):
    deploy(cluster, "pattern1.yml", namespace, llmd_xks_stack="gateway_api_llmd")
    run, _seconds = migrate(cluster, namespace, "gateway_api_llmd", "gateway_api_llmd")
    assert run.rc == 0 and run.changed == 0, run
    assert "No migration: source and target are the same" in run.output

    check = run_playbook(cluster.kubeconfig, "migrate.yml", check=True,
                         extra_vars=variables(namespace, **{"from": "gateway_api_llmd", "to": "istio_kserve"}))
    assert check.rc == 0 and check.changed == 0, check
    assert "removed_after_the_shift" in check.output and "HTTPRoute/pattern1" in check.output
    assert "releases_uninstalled_after_the_shift" in check.output and "pattern1-qwen-ms" in check.output
    custom = client.CustomObjectsApi()
    assert not custom.list_namespaced_custom_object("serving.kserve.io", "v1alpha2", namespace, "llminferenceservices")["items"]
    only(cluster, namespace, "gateway_api_llmd", 1)


def test_nothing_deployed_fails_before_applying(cluster, namespace):
    run, _seconds = migrate(cluster, namespace, "istio_kserve", "gateway_api_llmd")
    assert run.rc != 0
    assert "migrate_from: no istio_kserve deployment of release pattern1" in run.output, run.output[-2000:]
    assert not client.AppsV1Api().list_namespaced_deployment(namespace).items


def _source_state(namespace):
    """The source's objects, as the API server stores them (spec, labels, generation)."""
    custom = client.CustomObjectsApi()
    state = {}
    for group, version, plural in (("serving.kserve.io", "v1alpha2", "llminferenceservices"),
                                   ("gateway.networking.k8s.io", "v1", "httproutes")):
        for item in custom.list_namespaced_custom_object(group, version, namespace, plural)["items"]:
            meta = item["metadata"]
            state[(plural, meta["name"])] = (item["spec"], meta.get("labels"), meta.get("generation"))
    for policy in client.NetworkingV1Api().list_namespaced_network_policy(namespace).items:
        meta = policy.metadata
        state[("networkpolicies", meta.name)] = (policy.spec.to_dict(), meta.labels, meta.resource_version)
    return state


def test_target_never_ready_rolls_back(cluster, namespace):
    deploy(cluster, "pattern1.yml", namespace, llmd_xks_stack="istio_kserve")
    before = _source_state(namespace)
    assert ("llminferenceservices", "qwen") in before
    with ServingMonitor(cluster, namespace) as monitor:
        # one TPU replica more than the local cluster has TPU nodes: the target can never be ready
        run, seconds = migrate(cluster, namespace, "istio_kserve", "gateway_api_llmd", migrate_to_accelerator="tpu-v6e-4t",
                               migrate_to_replicas=len(tpu_nodes()) + 1, migrate_timeout=20)
    report("rollback (target never ready)", seconds, monitor.longest_gap())
    assert run.rc != 0
    assert "was rolled back" in run.output and "Insufficient google.com/tpu" in run.output, run.output[-3000:]
    assert monitor.longest_gap() == 0.0
    assert _source_state(namespace) == before
    only(cluster, namespace, "istio_kserve", 1)
    assert set_records(namespace) == ["llmd-xks-set-llmd-xks-pattern1-istio"]
    assert not llmd_model_servers(namespace)


def test_interrupted_migration_finishes_on_rerun(cluster, namespace):
    deploy(cluster, "pattern1.yml", namespace, llmd_xks_stack="istio_kserve")
    extra = variables(namespace, **{"from": "istio_kserve", "to": "gateway_api_llmd"})
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(REPO, "playbooks", "migrate.yml"),
               "-i", os.path.join(REPO, "inventories", "local"), "-e", json.dumps(extra)]
    env = ansible_env(cluster.kubeconfig)
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    with ServingMonitor(cluster, namespace) as monitor:
        proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + 120
        # interrupt as soon as the target's model server exists: mid-deploy, before any verification or removal
        while time.monotonic() < deadline and proc.poll() is None:
            if llmd_model_servers(namespace):
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the migration finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        interrupted = deployed(cluster, namespace)
        assert "istio_kserve" in [d["stack"] for d in interrupted]  # the source is still there
        run, seconds = migrate(cluster, namespace, "istio_kserve", "gateway_api_llmd")
        assert run.rc == 0, run
    report("interrupted, then re-run", seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    only(cluster, namespace, "gateway_api_llmd", 1)


def test_between_kserve_stacks_on_two_gateways(cluster, namespace):
    deploy(cluster, "pattern1.yml", namespace, llmd_xks_stack="istio_kserve")
    gke = {"name": "gke-gateway", "namespace": namespace, "class_name": "gke-l7-regional-external-managed", "create": True}
    custom = client.CustomObjectsApi()
    refs_seen = set()

    def sample_refs():
        svc = custom.get_namespaced_custom_object("serving.kserve.io", "v1alpha2", namespace, "llminferenceservices", "qwen")
        refs_seen.add(tuple(sorted(r["name"] for r in svc["spec"]["router"]["gateway"]["refs"])))

    with ServingMonitor(cluster, namespace) as monitor:
        run_thread = threading.Thread(target=lambda: results.append(migrate(
            cluster, namespace, "istio_kserve", "kserve_gke_gateway", migrate_target_gateway=gke)))
        results = []
        run_thread.start()
        while run_thread.is_alive():
            sample_refs()
            time.sleep(0.2)
    run, seconds = results[0]
    assert run.rc == 0, run
    report("P1 istio_kserve -> kserve_gke_gateway (two gateways)", seconds, monitor.longest_gap())
    assert monitor.longest_gap() == 0.0
    # while the LLMInferenceService moved, its routes were on both gateways
    assert ("gke-gateway", "inference-gateway") in refs_seen, refs_seen
    target = only(cluster, namespace, "kserve_gke_gateway", 1)
    assert [g["name"] for g in target["gateways"]] == ["%s/gke-gateway" % namespace]
    assert not client.NetworkingV1Api().list_namespaced_network_policy(namespace).items  # Istio-only objects went
    policies = custom.list_namespaced_custom_object("networking.gke.io", "v1", namespace, "healthcheckpolicies")["items"]
    assert [p["metadata"]["name"] for p in policies] == ["qwen-inference-pool"]

    back, seconds = migrate(cluster, namespace, "kserve_gke_gateway", "istio_kserve",
                            migrate_source_gateway=gke, migrate_target_gateway=variables(namespace)["llmd_xks_gateway"])
    assert back.rc == 0, back
    only(cluster, namespace, "istio_kserve", 1)
