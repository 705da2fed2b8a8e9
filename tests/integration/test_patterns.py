# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every pattern on the Istio/KServe and Gateway API/llm-d stacks, on a TPU and a GPU node pool.

Each scenario runs the real playbooks against the local control plane: converge, idempotence (a
second run changes nothing), check mode (changes nothing), verify (pods on the right node pool,
routes accepted, pools accepted, the expected objects and no others), and teardown (only the
pattern's objects go; the namespace, the token Secret and the shared Gateway stay).
"""

import pytest
from kubernetes import client as k8s

from playbook import run_playbook

pytestmark = pytest.mark.integration

GPU_SMALL = [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}]
TPU_MODEL = [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct"}]
TWO_MODELS = [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}, {"name": "phi", "id": "microsoft/Phi-3-mini-4k-instruct"}]
TWO_TPU_MODELS = [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct"}, {"name": "phi", "id": "microsoft/Phi-3-mini-4k-instruct"}]
MOE = [{"name": "moe", "id": "deepseek-ai/DeepSeek-V2-Lite"}]

# (pattern, accelerator, models, replicas): sized to the local node pools (inventories/local)
SCENARIOS = [
    (1, "tpu-v6e-4t", TPU_MODEL, None),
    (1, "nvidia-t4", GPU_SMALL, None),
    (2, "tpu-v6e-4t", TWO_TPU_MODELS, None),
    (2, "cpu-sim", TWO_MODELS, None),
    (3, "tpu-v6e-4t", TPU_MODEL, 2),
    (3, "nvidia-h100-80gb", GPU_SMALL, 3),
    (4, "nvidia-h100-80gb", MOE, None),
]
STACKS = ["istio_kserve", "gateway_api_llmd"]


def scenario_id(value):
    return str(value) if not isinstance(value, list) else "-".join(m["name"] for m in value)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("pattern, accelerator, models, replicas", SCENARIOS, ids=scenario_id)
def test_pattern(cluster, namespace, stack, pattern, accelerator, models, replicas):
    gateway_class = "istio" if stack == "istio_kserve" else "gke-l7-regional-external-managed"
    extra = {"llmd_xks_stack": stack, "llmd_xks_accelerator": accelerator, "llmd_xks_namespace": namespace,
             "llmd_xks_models": models, "llmd_xks_wait_timeout": 120,
             "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace, "class_name": gateway_class,
                                  "create": True}}
    if replicas:
        extra["llmd_xks_replicas"] = replicas
    playbook = "pattern%d.yml" % pattern

    first = run_playbook(cluster.kubeconfig, playbook, extra_vars=extra)
    assert first.rc == 0, first
    assert first.changed > 0

    second = run_playbook(cluster.kubeconfig, playbook, extra_vars=extra)
    assert second.rc == 0 and second.changed == 0, second

    check = run_playbook(cluster.kubeconfig, playbook, extra_vars=extra, check=True, diff=True)
    assert check.rc == 0 and check.changed == 0, check

    verify(namespace, stack, pattern, accelerator, models, replicas)

    gone = run_playbook(cluster.kubeconfig, "teardown.yml", extra_vars=dict(extra, llmd_xks_pattern=pattern))
    assert gone.rc == 0 and gone.changed > 0, gone
    verify_removed(namespace, stack)


def node_labels(accelerator):
    import os

    import yaml

    from ansible_task import REPO
    with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
        return yaml.safe_load(handle)["llmd_xks_accelerators"][accelerator]["node_labels"]


def verify(namespace, stack, pattern, accelerator, models, replicas):
    core, custom = k8s.CoreV1Api(), k8s.CustomObjectsApi()
    selector = "kserve.io/component=workload" if stack == "istio_kserve" else "llmd.xks/pattern=%d,llm-d.ai/inference-serving=true" % pattern
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    expected = (replicas or 1) * len(models) if pattern != 4 else 1
    assert len(pods) >= expected, [p.metadata.name for p in pods]
    wanted = node_labels(accelerator)
    for pod in pods:
        assert pod.spec.node_name, "pod %s is not scheduled" % pod.metadata.name
        labels = core.read_node(pod.spec.node_name).metadata.labels
        assert all(labels.get(k) == v for k, v in wanted.items()), (pod.metadata.name, labels)
    routes = custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes")["items"]
    assert routes
    for route in routes:
        for parent in route["status"]["parents"]:
            conditions = dict((c["type"], c["status"]) for c in parent["conditions"])
            assert conditions["Accepted"] == conditions["ResolvedRefs"] == "True", (route["metadata"]["name"], parent)
    pools = custom.list_namespaced_custom_object("inference.networking.k8s.io", "v1", namespace, "inferencepools")["items"]
    assert len(pools) == len(models)
    for pool in pools:
        assert any(c["type"] == "Accepted" and c["status"] == "True"
                   for parent in pool["status"]["parents"] for c in parent["conditions"]), pool["metadata"]["name"]
    if stack == "gateway_api_llmd":
        ours = set()
        for kind, lister in (("Deployment", k8s.AppsV1Api().list_namespaced_deployment),
                             ("Service", core.list_namespaced_service), ("ConfigMap", core.list_namespaced_config_map)):
            ours |= set((kind, o.metadata.name) for o in lister(namespace, label_selector="llmd.xks/pattern=%d" % pattern).items)
        names = ["pattern%d-%s" % (pattern, m["name"]) for m in models]
        expect = set(("Deployment", n + "-epp") for n in names) | set(("Service", n + "-epp") for n in names) | \
            set(("ConfigMap", n + "-epp") for n in names)
        if pattern != 4:
            expect |= set(("Deployment", n) for n in names)
        if pattern == 2:
            expect |= set(("ConfigMap", n + "-allowlist") for n in names)
        assert ours == expect


def verify_removed(namespace, stack):
    custom = k8s.CustomObjectsApi()
    if stack == "istio_kserve":
        assert custom.list_namespaced_custom_object("serving.kserve.io", "v1alpha2", namespace, "llminferenceservices")["items"] == []
    assert custom.list_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes")["items"] == [] or \
        stack == "istio_kserve"
    assert custom.list_namespaced_custom_object("inference.networking.k8s.io", "v1", namespace, "inferencepools")["items"] == [] or \
        stack == "istio_kserve"
    assert k8s.CoreV1Api().read_namespaced_secret("hf-token", namespace).data["HF_TOKEN"]
    assert custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", "inference-gateway")


def test_bad_input_fails_before_anything_is_applied(cluster, namespace):
    extra = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": "tpu-v6e-4t", "llmd_xks_namespace": namespace,
             "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "tensor_parallel": 2}]}
    run = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=extra)
    assert run.rc != 0 and "llmd_xks_models[0].tensor_parallel" in run.output and run.changed == 0
    assert k8s.AppsV1Api().list_namespaced_deployment(namespace).items == []
