# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The typed modules, run through the real ansible-playbook against the local control plane."""

import time

import pytest
from kubernetes import client as k8s

from ansible_task import run_task

pytestmark = pytest.mark.integration

TPU_4T = dict(
    resource_name="google.com/tpu", count=4,
    node_selector={"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice", "cloud.google.com/gke-tpu-topology": "2x2"},
    tolerations=[{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}],
    env={"PJRT_DEVICE": "TPU"},
)


def service_args(namespace, name="qwen", accelerator=None, **extra):
    args = dict(name=name, namespace=namespace, model=dict(uri="hf://Qwen/Qwen3-0.6B"), replicas=1,
                parallelism=dict(tensor=(accelerator or TPU_4T)["count"]),
                container=dict(image="vllm/vllm-tpu:v0.11.1", args=["--max-model-len=4096"]),
                accelerator=accelerator or TPU_4T, router=dict(route={}, scheduler={}), wait=True, wait_timeout=120)
    args.update(extra)
    return args


def wait_gone(read, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            read()
        except k8s.exceptions.ApiException as exc:
            if exc.status == 404:
                return True
            raise
        time.sleep(0.5)
    return False


def test_tpu_service_lands_on_tpu_nodes_and_becomes_ready(cluster, namespace):
    result = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", service_args(namespace))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["action"] == "created" and result["ready"] is True
    assert result["api_version"] == "serving.kserve.io/v1alpha2"
    assert result["api_requests"] <= 2 + 8  # create (GET + apply) + the watch-based wait
    core = k8s.CoreV1Api()
    pods = core.list_namespaced_pod(namespace, label_selector="app.kubernetes.io/name=qwen,kserve.io/component=workload").items
    assert pods, "no workload pods"
    for pod in pods:
        node = core.read_node(pod.spec.node_name)
        assert node.metadata.labels["cloud.google.com/gke-tpu-topology"] == "2x2"
        assert pod.spec.containers[0].resources.limits["google.com/tpu"] == "4"
    again = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", dict(service_args(namespace), wait=False))
    assert again["changed"] is False and again["action"] == "unchanged"
    assert again["api_requests"] == 1


def test_create_is_two_requests(cluster, namespace):
    result = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", service_args(namespace, wait=False))
    assert result["changed"] and result["api_requests"] == 2


def test_topology_that_no_pool_has_fails_with_the_scheduler_reason(cluster, namespace):
    too_big = dict(TPU_4T, count=8, node_selector=dict(TPU_4T["node_selector"], **{"cloud.google.com/gke-tpu-topology": "2x4"}))
    result = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service",
                      service_args(namespace, accelerator=too_big, wait_timeout=25))
    assert result.get("failed")
    assert result["msg"].startswith("Timed out after 25s")
    assert "MainWorkloadReady=False" in result["msg"]
    assert "Unschedulable" in result["msg"]
    assert "node affinity/selector" in result["msg"] or "Insufficient google.com/tpu" in result["msg"]


def test_deleting_the_service_cascades_to_its_children(cluster, namespace):
    assert not run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", service_args(namespace)).get("failed")
    apps = k8s.AppsV1Api()
    deployment = apps.read_namespaced_deployment("qwen-kserve", namespace)
    assert deployment.metadata.owner_references[0].kind == "LLMInferenceService"
    result = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", dict(name="qwen", namespace=namespace, state="absent"))
    assert result["changed"] and result["action"] == "deleted"
    assert wait_gone(lambda: apps.read_namespaced_deployment("qwen-kserve", namespace)), "the garbage collector left the Deployment"
    again = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", dict(name="qwen", namespace=namespace, state="absent"))
    assert again["changed"] is False


def test_check_mode_fails_on_a_schema_error_and_creates_nothing(cluster, namespace):
    args = service_args(namespace, wait=False, extra_spec={"replicaz": 1})
    result = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", args, check=True)
    assert result.get("failed") and "rejected by the API server" in result["msg"] and "replicaz" in result["msg"]
    ok = run_task(cluster.kubeconfig, "llmd.xks.llm_inference_service", service_args(namespace, wait=False), check=True, diff=True)
    assert ok["changed"] and ok["diff"]["after"]["spec"]["replicas"] == 1
    custom = k8s.CustomObjectsApi()
    assert custom.list_namespaced_custom_object("serving.kserve.io", "v1alpha2", namespace, "llminferenceservices")["items"] == []


def gateway(namespace, name="inference-gateway", class_name="istio"):
    k8s.CustomObjectsApi().create_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": name},
        "spec": {"gatewayClassName": class_name, "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                                               "allowedRoutes": {"namespaces": {"from": "All"}}}]}})


def test_pool_and_route_are_accepted_by_the_gateway(cluster, namespace):
    gateway(namespace)
    k8s.CoreV1Api().create_namespaced_service(namespace, {"metadata": {"name": "qwen-epp"}, "spec": {
        "selector": {"app": "qwen-epp"}, "ports": [{"name": "grpc", "port": 9002}]}})
    pool = run_task(cluster.kubeconfig, "llmd.xks.inference_pool", dict(
        name="qwen", namespace=namespace, selector={"llm-d.ai/model": "qwen"}, target_ports=[8000],
        endpoint_picker=dict(name="qwen-epp")))
    assert pool["changed"] and pool["api_version"] == "inference.networking.k8s.io/v1"
    route_args = dict(name="qwen", namespace=namespace, parent_refs=[dict(name="inference-gateway")], wait=True, wait_timeout=60,
                      rules=[dict(matches=[dict(headers=[dict(name="X-Gateway-Model-Name", value="Qwen/Qwen3-0.6B")])],
                                  backend_refs=[dict(kind="InferencePool", name="qwen")])])
    route = run_task(cluster.kubeconfig, "llmd.xks.http_route", route_args)
    assert not route.get("failed"), route.get("msg")
    assert route["ready"] and route["parents"][0]["gateway"] == "%s/inference-gateway" % namespace
    pool_ready = run_task(cluster.kubeconfig, "llmd.xks.inference_pool", dict(
        name="qwen", namespace=namespace, selector={"llm-d.ai/model": "qwen"}, target_ports=[8000],
        endpoint_picker=dict(name="qwen-epp"), wait=True, wait_timeout=60,
        wait_for_gateways=["%s/inference-gateway" % namespace]))
    assert not pool_ready.get("failed"), pool_ready.get("msg")
    assert pool_ready["changed"] is False and pool_ready["ready"]
    info = run_task(cluster.kubeconfig, "llmd.xks.http_route_info", dict(namespace=namespace))
    assert [s["name"] for s in info["summaries"]] == ["qwen"] and info["summaries"][0]["ready"]


def test_route_to_a_legacy_pool_on_istio_fails_fast(cluster, namespace):
    gateway(namespace)
    args = dict(name="legacy", namespace=namespace, parent_refs=[dict(name="inference-gateway")], wait=True, wait_timeout=60,
                rules=[dict(backend_refs=[dict(kind="InferencePool", name="qwen", group="inference.networking.x-k8s.io")])])
    started = time.monotonic()
    result = run_task(cluster.kubeconfig, "llmd.xks.http_route", args)
    assert result.get("failed") and "InvalidKind" in result["msg"]
    assert time.monotonic() - started < 50, "the terminal failure should not wait for the timeout"


APPLY_SET = """
apiVersion: v1
kind: ConfigMap
metadata: {name: epp-config}
data: {config.yaml: "plugins: []"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: epp}
spec:
  replicas: 1
  selector: {matchLabels: {app: epp}}
  template:
    metadata: {labels: {app: epp}}
    spec:
      containers: [{name: epp, image: registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0}]
---
apiVersion: v1
kind: Service
metadata: {name: epp}
spec:
  selector: {app: epp}
  ports: [{name: grpc, port: 9002}]
"""


def test_apply_set_applies_waits_is_idempotent_and_prunes(cluster, namespace):
    args = dict(definitions=APPLY_SET, namespace=namespace, set_name="epp", prune=True, wait=True, wait_timeout=90)
    first = run_task(cluster.kubeconfig, "llmd.xks.apply_set", args)
    assert not first.get("failed"), first.get("msg")
    assert first["counts"] == {"created": 3}
    second = run_task(cluster.kubeconfig, "llmd.xks.apply_set", args)
    assert second["changed"] is False and second["counts"] == {"unchanged": 3}
    # one GET per object, the set's record, and one prune list per kind
    assert second["api_requests"] <= 3 + 1 + 3
    without_cm = APPLY_SET.split("---", 1)[1]
    third = run_task(cluster.kubeconfig, "llmd.xks.apply_set", dict(args, definitions=without_cm))
    assert third["changed"] and {"pruned": 1, "unchanged": 2} == third["counts"]
    assert wait_gone(lambda: k8s.CoreV1Api().read_namespaced_config_map("epp-config", namespace))


def test_apply_set_rejects_the_whole_set_when_one_object_is_invalid(cluster, namespace):
    broken = APPLY_SET.replace("replicas: 1", "replicas: -3")
    result = run_task(cluster.kubeconfig, "llmd.xks.apply_set", dict(definitions=broken, namespace=namespace))
    assert result.get("failed") and "Nothing was applied" in result["msg"]
    assert k8s.CoreV1Api().list_namespaced_config_map(namespace, field_selector="metadata.name=epp-config").items == []


def test_unreachable_cluster_is_a_clear_error(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n")
    result = run_task(str(kubeconfig), "llmd.xks.inference_pool_info", dict(namespace="x"))
    assert result.get("failed") and "The Kubernetes API at https://127.0.0.1:1 refused or failed the connection" in result["msg"]
