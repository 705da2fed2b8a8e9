# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every pattern on the Istio/KServe and Gateway API/llm-d stacks, on TPU and GPU node pools.

Each test runs one Molecule scenario (molecule/<stack>-p<N>-<accelerator>) against the local
control plane with the real ansible-playbook: syntax, converge, idempotence (the second converge must
change nothing) and check mode (not for the GPU twins of patterns 1-3: see molecule/README.md), verify
(pods Running on the profile's node pool, routes and pools accepted, exactly the objects the plan
lists), destroy (only the pattern's objects go).
"""

import json
import os
import subprocess
import sys

import pytest
import yaml
from kubernetes import client as k8s

from ansible_task import COLLECTIONS, REPO, ansible_env
from playbook import run_playbook
from waiting import scaled

pytestmark = pytest.mark.integration

SCENARIOS = sorted(name for name in os.listdir(os.path.join(REPO, "molecule"))
                   if os.path.isfile(os.path.join(REPO, "molecule", name, "molecule.yml")))


def test_every_stack_pattern_and_accelerator_kind_has_a_scenario():
    for stack in ("istio-kserve", "gateway-api-llmd"):
        for pattern in (1, 2, 3, 4):
            kinds = set("tpu" if "-tpu-" in s + "-" else "gpu" for s in SCENARIOS if s.startswith("%s-p%d-" % (stack, pattern)))
            assert kinds == ({"gpu"} if pattern == 4 else {"tpu", "gpu"}), (stack, pattern, kinds)


def scenario_config(scenario):
    with open(os.path.join(REPO, "molecule", scenario, "molecule.yml")) as handle:
        return yaml.safe_load(handle)


def scenario_namespace(scenario):
    return json.loads(scenario_config(scenario)["ansible"]["env"]["LLMD_XKS_SCENARIO"])["namespace"]


def scenario_sequence(scenario):
    return [step for step in scenario_config(scenario)["scenario"]["test_sequence"] if step != "syntax"]


def remove_namespace(name):
    """Delete the namespace and its Pods now (the accelerator-leak check after the test waits for them)."""
    core = k8s.CoreV1Api()
    for call in (lambda: core.delete_collection_namespaced_pod(name, grace_period_seconds=0), lambda: core.delete_namespace(name)):
        try:
            call()
        except k8s.exceptions.ApiException as exc:
            if exc.status != 404:
                raise


@pytest.mark.budget(240)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(cluster, scenario):
    env = ansible_env(cluster.kubeconfig)
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, PATH=os.path.dirname(sys.executable) + os.pathsep + env["PATH"],
               ANSIBLE_FORCE_COLOR="false", NO_COLOR="1", PY_COLORS="0")
    try:
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test", "-s", scenario],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=scaled(1500), check=False)
    finally:
        remove_namespace(scenario_namespace(scenario))  # the scenario's destroy did not run if molecule was killed
    output = proc.stdout + proc.stderr
    failed = [line for line in output.splitlines() if "fatal:" in line or "FAILED" in line or "CRITICAL" in line]
    assert proc.returncode == 0, "molecule test -s %s failed:\n%s\n%s" % (scenario, "\n".join(failed[:20]), output[-3000:])
    sequence = scenario_sequence(scenario)
    assert {"converge", "verify", "destroy"} <= set(sequence), sequence
    if "-nvidia-" not in scenario or "-p4-" in scenario:
        assert {"idempotence", "check"} <= set(sequence), sequence
    for step in sequence:
        assert "%s: Executed: Successful" % step in output.replace("\u279c ", ""), step


@pytest.mark.budget(150)
def test_pattern3_as_shipped_fits_the_local_inventory(cluster, namespace):
    """playbooks/pattern3.yml -i inventories/local with the inventory's own choices (only the namespace is ours):
    its default three replicas run, one per TPU host."""
    gateway = {"name": "inference-gateway", "namespace": namespace, "class_name": "istio", "create": True}
    ns = {"llmd_xks_namespace": namespace, "llmd_xks_gateway": gateway}
    run = run_playbook(cluster.kubeconfig, "pattern3.yml", extra_vars=ns)
    assert run.rc == 0, run.output[-3000:]
    pods = [p for p in k8s.CoreV1Api().list_namespaced_pod(namespace).items
            if "google.com/tpu" in (p.spec.containers[0].resources.requests or {})]
    assert len(pods) == 3 and all(p.status.phase == "Running" for p in pods), [(p.metadata.name, p.status.phase) for p in pods]
    assert len({p.spec.node_name for p in pods}) == 3
    gone = run_playbook(cluster.kubeconfig, "pattern3.yml", extra_vars=dict(ns, llmd_xks_state="absent"))
    assert gone.rc == 0, gone.output[-3000:]


def test_bad_input_fails_before_anything_is_applied(cluster, namespace):
    extra = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": "tpu-v6e-4t", "llmd_xks_namespace": namespace,
             "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "tensor_parallel": 2}]}
    run = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=extra)
    assert run.rc != 0 and "llmd_xks_models[0].tensor_parallel" in run.output and run.changed == 0
    assert k8s.AppsV1Api().list_namespaced_deployment(namespace).items == []
    assert k8s.CoreV1Api().list_namespaced_secret(namespace, label_selector="app.kubernetes.io/managed-by=llmd.xks").items == []


def test_pattern4_on_a_single_gpu_node_pool_names_the_fix(cluster, namespace):
    extra = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": "nvidia-t4", "llmd_xks_namespace": namespace}
    run = run_playbook(cluster.kubeconfig, "pattern4.yml", extra_vars=extra)
    assert run.rc != 0 and "8-GPU nodes" in run.output
