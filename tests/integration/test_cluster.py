# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The local control plane itself: real apiserver/KCM/scheduler, kwok nodes, and the stand-ins."""
import os
import sys
import time

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tools.localcluster import nodes as node_data  # noqa: E402

from waiting import wait_for

pytestmark = pytest.mark.integration

TPU_2X2 = {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice", "cloud.google.com/gke-tpu-topology": "2x2"}
KSERVE = ("serving.kserve.io", "v1alpha2", "llminferenceservices")


def deployment(name, tpu=None, node_selector=None, replicas=1):
    resources = {"requests": {"cpu": "100m"}}
    if tpu:
        resources = {"requests": {"google.com/tpu": str(tpu)}, "limits": {"google.com/tpu": str(tpu)}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"nodeSelector": node_selector or {},
                                           "containers": [{"name": "main", "image": "vllm/vllm-tpu:v0.11.1",
                                                           "resources": resources}]}}}}


def available(apps, ns, name):
    d = apps.read_namespaced_deployment(name, ns)
    return any(c.type == "Available" and c.status == "True" for c in (d.status.conditions or []))


def cond(obj, ctype):
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == ctype), None)


def test_nodes_ready_with_accelerator_capacity(cluster):
    core = client.CoreV1Api()
    expected = node_data.default_manifests()
    by_name = {n.metadata.name: n for n in core.list_node(label_selector="type=kwok").items}
    assert set(by_name) == {n["metadata"]["name"] for n, _status in expected}
    for manifest, status in expected:
        node = by_name[manifest["metadata"]["name"]]
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions), node.metadata.name
        for key, value in status["allocatable"].items():
            assert node.status.allocatable[key] == value, (node.metadata.name, key)
        for key, value in manifest["metadata"]["labels"].items():
            assert node.metadata.labels[key] == value
        want_taints = manifest["spec"].get("taints", [])
        assert [(t.key, t.value, t.effect) for t in node.spec.taints or [] if t.key.endswith(("/tpu", "/gpu"))] == \
            [(t["key"], t["value"], t["effect"]) for t in want_taints]
    tpu = [n for n in by_name.values() if n.metadata.labels.get("cloud.google.com/gke-tpu-topology") == "2x2"]
    assert len(tpu) >= 2 and all(n.status.capacity["google.com/tpu"] == "4" for n in tpu)
    h100 = [n for n in by_name.values() if n.metadata.labels.get("cloud.google.com/gke-accelerator") == "nvidia-h100-80gb"]
    assert h100 and all(n.status.allocatable["nvidia.com/gpu"] == "8" for n in h100)


def test_tpu_deployment_lands_on_a_tpu_node_and_becomes_available(cluster, namespace):
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    apps.create_namespaced_deployment(namespace, deployment("tpu4", tpu=4, node_selector=TPU_2X2))
    wait_for(lambda: available(apps, namespace, "tpu4"), 60, what="Deployment Available")
    pod = core.list_namespaced_pod(namespace, label_selector="app=tpu4").items[0]
    node = core.read_node(pod.spec.node_name)
    assert node.metadata.labels["cloud.google.com/gke-tpu-topology"] == "2x2"
    assert pod.status.phase == "Running"
    # no toleration in the spec: the ExtendedResourceToleration admission plugin added it
    assert any(t.key == "google.com/tpu" and t.operator == "Exists" for t in pod.spec.tolerations)


def test_too_many_chips_for_a_2x2_host_stays_pending(cluster, namespace):
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    apps.create_namespaced_deployment(namespace, deployment("tpu8", tpu=8, node_selector=TPU_2X2))

    def failed_scheduling():
        events = core.list_namespaced_event(namespace, field_selector="reason=FailedScheduling").items
        return [e.message for e in events if "Insufficient google.com/tpu" in (e.message or "")]

    messages = wait_for(failed_scheduling, 60, what="FailedScheduling event")
    assert "Insufficient google.com/tpu" in messages[0]
    pod = core.list_namespaced_pod(namespace, label_selector="app=tpu8").items[0]
    assert pod.status.phase == "Pending" and not pod.spec.node_name
    assert not available(apps, namespace, "tpu8")


def test_deleting_a_deployment_cascades_to_its_pods(cluster, namespace):
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    apps.create_namespaced_deployment(namespace, deployment("web", replicas=2))
    wait_for(lambda: available(apps, namespace, "web"), 60, what="Deployment Available")
    assert len(core.list_namespaced_pod(namespace, label_selector="app=web").items) == 2
    apps.delete_namespaced_deployment("web", namespace, propagation_policy="Background")
    wait_for(lambda: not apps.list_namespaced_replica_set(namespace, label_selector="app=web").items, 60,
             what="ReplicaSet garbage-collected")
    wait_for(lambda: not core.list_namespaced_pod(namespace, label_selector="app=web").items, 60,
             what="Pods garbage-collected")


def test_deleting_a_namespace_completes(cluster):
    core, apps = client.CoreV1Api(), client.AppsV1Api()
    name = f"it-ns-delete-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    core.create_namespace({"metadata": {"name": name}})
    wait_for(lambda: core.list_namespaced_service_account(name).items, 15, what="default ServiceAccount")
    core.create_namespaced_config_map(name, {"metadata": {"name": "cm"}, "data": {"a": "b"}})
    apps.create_namespaced_deployment(name, deployment("web"))
    wait_for(lambda: available(apps, name, "web"), 60, what="Deployment Available")
    core.delete_namespace(name)

    def gone():
        try:
            core.read_namespace(name)
            return False
        except ApiException as exc:
            return exc.status == 404

    wait_for(gone, 60, 0.3, what="namespace deleted")


def llmisvc(name, tpu=4, topology="2x2", extra=None):
    spec = {"model": {"uri": "hf://Qwen/Qwen3-0.6B"}, "replicas": 1,
            "router": {"route": {}, "gateway": {}, "scheduler": {}},
            "template": {"nodeSelector": {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
                                          "cloud.google.com/gke-tpu-topology": topology},
                         "containers": [{"name": "main", "image": "vllm/vllm-tpu:v0.11.1",
                                         "env": [{"name": "PJRT_DEVICE", "value": "TPU"}],
                                         "resources": {"requests": {"google.com/tpu": str(tpu)},
                                                       "limits": {"google.com/tpu": str(tpu)}}}]}}
    spec.update(extra or {})
    return {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
            "metadata": {"name": name}, "spec": spec}


def get_isvc(ns, name):
    return client.CustomObjectsApi().get_namespaced_custom_object(*KSERVE[:2], ns, KSERVE[2], name)


def test_llminferenceservice_becomes_ready_with_owned_children(cluster, namespace):
    custom, apps, core = client.CustomObjectsApi(), client.AppsV1Api(), client.CoreV1Api()
    custom.create_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2], llmisvc("qwen"))

    def ready():
        obj = get_isvc(namespace, "qwen")
        c = cond(obj, "Ready")
        return obj if c and c["status"] == "True" and \
            obj["status"].get("observedGeneration") == obj["metadata"]["generation"] else None

    obj = wait_for(ready, 90, 0.5, what="LLMInferenceService Ready")
    assert obj["metadata"]["finalizers"] == ["serving.kserve.io/llmisvc-finalizer"]
    for t in ("MainWorkloadReady", "WorkloadsReady", "HTTPRoutesReady", "InferencePoolReady",
              "SchedulerWorkloadReady", "RouterReady", "PresetsCombined"):
        assert cond(obj, t)["status"] == "True", t
    assert obj["status"]["url"] == f"http://203.0.113.10/{namespace}/qwen"
    assert obj["status"]["workloads"]["primary"] == {"apiGroup": "apps", "kind": "Deployment",
                                                     "name": "qwen-kserve", "readyReplicas": 1}
    uid = obj["metadata"]["uid"]

    def owned(o):
        refs = o["metadata"]["ownerReferences"] if isinstance(o, dict) else o.metadata.owner_references
        ref = refs[0]
        get = (lambda k: ref[k]) if isinstance(ref, dict) else (lambda k: getattr(ref, k))
        return get("uid") == uid and get("controller") is True and get("kind") == "LLMInferenceService"

    dep = apps.read_namespaced_deployment("qwen-kserve", namespace)
    assert owned(dep)
    labels = dep.spec.template.metadata.labels
    assert labels["app.kubernetes.io/part-of"] == "llminferenceservice"
    assert labels["kserve.io/component"] == "workload" and labels["llm-d.ai/role"] == "both"
    assert dep.spec.template.spec.node_selector == TPU_2X2
    main = next(c for c in dep.spec.template.spec.containers if c.name == "main")
    assert main.resources.limits["google.com/tpu"] == "4"
    assert {"name": "PJRT_DEVICE", "value": "TPU"} in [{"name": e.name, "value": e.value} for e in main.env]
    pods = core.list_namespaced_pod(namespace, label_selector="app.kubernetes.io/name=qwen,kserve.io/component=workload")
    assert core.read_node(pods.items[0].spec.node_name).metadata.labels["cloud.google.com/gke-tpu-topology"] == "2x2"
    assert owned(apps.read_namespaced_deployment("qwen-kserve-router-scheduler", namespace))
    assert owned(core.read_namespaced_service("qwen-kserve-workload-svc", namespace))
    assert owned(core.read_namespaced_service("qwen-epp-service", namespace))
    route = custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes",
                                                "qwen-kserve-route")
    assert owned(route)
    assert route["spec"]["parentRefs"][0]["name"] == "kserve-ingress-gateway"
    assert route["status"]["parents"][0]["controllerName"] == "istio.io/gateway-controller"
    pool = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", namespace, "inferencepools",
                                               "qwen-inference-pool")
    assert owned(pool)
    assert pool["status"]["parents"][0]["parentRef"]["name"] == "kserve-ingress-gateway"

    # delete: the stand-in drops its finalizer, the real garbage collector removes the children
    custom.delete_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2], "qwen")

    def children_gone():
        try:
            get_isvc(namespace, "qwen")
            return False
        except ApiException as exc:
            if exc.status != 404:
                raise
        return not apps.list_namespaced_deployment(namespace).items

    wait_for(children_gone, 60, 0.5, what="LLMInferenceService and children deleted")


def test_llminferenceservice_without_capacity_reports_the_deployment_reason(cluster, namespace):
    custom = client.CustomObjectsApi()
    custom.create_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2], llmisvc("big", tpu=8))

    def main_false():
        c = cond(get_isvc(namespace, "big"), "MainWorkloadReady")
        return c if c and c["status"] == "False" and c.get("reason") == "MinimumReplicasUnavailable" else None

    wait_for(main_false, 60, 0.5, what="MainWorkloadReady=False/MinimumReplicasUnavailable")
    obj = get_isvc(namespace, "big")
    assert cond(obj, "Ready")["status"] == "False"
    assert cond(obj, "Ready")["reason"] == "MinimumReplicasUnavailable"


def test_missing_preset_reports_config_not_found(cluster, namespace):
    custom = client.CustomObjectsApi()
    custom.create_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2],
                                           llmisvc("nopreset", extra={"baseRefs": [{"name": "does-not-exist"}]}))
    c = wait_for(lambda: cond(get_isvc(namespace, "nopreset"), "PresetsCombined"), 30, what="PresetsCombined")
    assert c["status"] == "False" and c["reason"] == "ConfigNotFound"
    assert cond(get_isvc(namespace, "nopreset"), "Ready")["status"] == "Unknown"
    assert not client.AppsV1Api().list_namespaced_deployment(namespace).items


def test_multi_node_llminferenceservice_uses_a_leaderworkerset(cluster, namespace):
    custom, apps, core = client.CustomObjectsApi(), client.AppsV1Api(), client.CoreV1Api()
    body = llmisvc("mn", extra={"parallelism": {"data": 2, "dataLocal": 1, "tensor": 4},
                                "worker": {"nodeSelector": TPU_2X2,
                                           "containers": [{"name": "main", "image": "vllm/vllm-tpu:v0.11.1",
                                                           "resources": {"requests": {"google.com/tpu": "4"},
                                                                         "limits": {"google.com/tpu": "4"}}}]}})
    custom.create_namespaced_custom_object(*KSERVE[:2], namespace, KSERVE[2], body)

    def worker_ready():
        c = cond(get_isvc(namespace, "mn"), "WorkerWorkloadReady")
        return c if c and c["status"] == "True" else None

    wait_for(worker_ready, 90, 0.5, what="WorkerWorkloadReady=True")
    lws = custom.get_namespaced_custom_object("leaderworkerset.x-k8s.io", "v1", namespace, "leaderworkersets",
                                              "mn-kserve-mn")
    assert lws["spec"]["leaderWorkerTemplate"]["size"] == 2
    assert cond(lws, "Available")["status"] == "True" and lws["status"]["readyReplicas"] == 1
    leader = apps.read_namespaced_stateful_set("mn-kserve-mn", namespace)
    assert leader.metadata.owner_references[0].kind == "LeaderWorkerSet"
    workers = apps.read_namespaced_stateful_set("mn-kserve-mn-0", namespace)
    assert workers.spec.replicas == 1 and workers.metadata.owner_references[0].kind == "Pod"
    pods = core.list_namespaced_pod(namespace, label_selector="leaderworkerset.sigs.k8s.io/name=mn-kserve-mn").items
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)
    nodes = {p.spec.node_name for p in pods}
    assert len(nodes) == 2, "each 4-chip host takes one pod of the group"
    assert not apps.list_namespaced_deployment(namespace, label_selector="app.kubernetes.io/name=mn,kserve.io/component=workload").items


def test_httproute_to_a_missing_backend_is_not_resolved(cluster, namespace):
    custom = client.CustomObjectsApi()
    custom.create_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"},
        "spec": {"parentRefs": [{"name": "kserve-ingress-gateway", "namespace": "kserve"}],
                 "rules": [{"backendRefs": [{"name": "nope", "port": 8000}]}]}})

    def resolved():
        r = custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes", "r")
        parents = (r.get("status") or {}).get("parents") or []
        return parents and next(c for c in parents[0]["conditions"] if c["type"] == "ResolvedRefs")

    c = wait_for(resolved, 30, what="HTTPRoute status")
    assert c["status"] == "False" and c["reason"] == "BackendNotFound"
    client.CoreV1Api().create_namespaced_service(namespace, {"metadata": {"name": "nope"},
                                                             "spec": {"ports": [{"port": 8000}]}})
    wait_for(lambda: resolved()["status"] == "True", 30, what="ResolvedRefs=True once the Service exists")


def test_gke_gateway_is_programmed_and_istio_cr_is_healthy(cluster, namespace):
    custom = client.CustomObjectsApi()
    custom.create_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gke"},
        "spec": {"gatewayClassName": "gke-l7-regional-external-managed",
                 "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}})

    def programmed():
        gw = custom.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", "gke")
        c = cond(gw, "Programmed")
        return gw if c and c["status"] == "True" else None

    gw = wait_for(programmed, 30, what="GKE Gateway Programmed")
    assert gw["status"]["addresses"] == [{"type": "IPAddress", "value": "203.0.113.10"}]
    assert gw["status"]["listeners"][0]["attachedRoutes"] == 0

    name = f"it-{namespace[-5:]}"
    custom.create_cluster_custom_object("sailoperator.io", "v1", "istios", {
        "apiVersion": "sailoperator.io/v1", "kind": "Istio", "metadata": {"name": name}, "spec": {}})
    try:
        def healthy():
            obj = custom.get_cluster_custom_object("sailoperator.io", "v1", "istios", name)
            return obj if (obj.get("status") or {}).get("state") == "Healthy" else None

        obj = wait_for(healthy, 30, what="Istio state Healthy")
        assert cond(obj, "Ready")["status"] == "True"
        assert obj["spec"]["version"].startswith("v1.")  # schema default applied by the apiserver
    finally:
        custom.delete_cluster_custom_object("sailoperator.io", "v1", "istios", name)


def test_leaderworkerset_groups_and_status_follow_the_pods(cluster, namespace):
    custom, apps, core = client.CustomObjectsApi(), client.AppsV1Api(), client.CoreV1Api()
    gpu8 = {"nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"},
            "containers": [{"name": "vllm", "image": "vllm/vllm-openai:v0.11",
                            "resources": {"limits": {"nvidia.com/gpu": "8"}, "requests": {"nvidia.com/gpu": "8"}}}]}
    custom.create_namespaced_custom_object("leaderworkerset.x-k8s.io", "v1", namespace, "leaderworkersets", {
        "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", "metadata": {"name": "moe"},
        "spec": {"replicas": 1, "leaderWorkerTemplate": {"size": 2, "workerTemplate": {"spec": gpu8}}}})

    def lws():
        return custom.get_namespaced_custom_object("leaderworkerset.x-k8s.io", "v1", namespace, "leaderworkersets", "moe")

    wait_for(lambda: (cond(lws(), "Available") or {}).get("status") == "True", 60, what="LWS Available")
    pods = core.list_namespaced_pod(namespace, label_selector="leaderworkerset.sigs.k8s.io/name=moe").items
    by_name = {p.metadata.name: p for p in pods}
    assert set(by_name) == {"moe-0", "moe-0-1"}
    worker = by_name["moe-0-1"]
    assert {"name": "LWS_LEADER_ADDRESS", "value": f"moe-0.moe.{namespace}"} in \
        [{"name": e.name, "value": e.value} for e in worker.spec.containers[0].env]
    wait_for(lambda: core.read_namespaced_pod("moe-0-1", namespace).metadata.labels.get(
        "leaderworkerset.sigs.k8s.io/worker-index") == "1", 30, what="worker-index label")
    assert core.read_namespaced_pod("moe-0", namespace).metadata.labels["leaderworkerset.sigs.k8s.io/group-index"] == "0"
    assert len({p.spec.node_name for p in pods}) == 2

    # a second group needs two more 8-GPU hosts, which the pool does not have
    custom.patch_namespaced_custom_object("leaderworkerset.x-k8s.io", "v1", namespace, "leaderworkersets", "moe",
                                          {"spec": {"replicas": 2}})
    wait_for(lambda: (cond(lws(), "Available") or {}).get("status") == "False", 60, what="LWS not Available")
    obj = lws()
    assert cond(obj, "Progressing")["status"] == "True" and obj["status"]["readyReplicas"] == 1
    # deleting the group's leader pod takes its worker StatefulSet with it (owner: the leader pod)
    assert apps.read_namespaced_stateful_set("moe-0", namespace).metadata.owner_references[0].name == "moe-0"


def test_pvcs_bind_and_load_balancers_get_an_address(cluster, namespace):
    core = client.CoreV1Api()
    core.create_namespaced_persistent_volume_claim(namespace, {
        "metadata": {"name": "models"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}})
    core.create_namespaced_service(namespace, {"metadata": {"name": "lb"}, "spec": {
        "type": "LoadBalancer", "ports": [{"port": 8000}], "selector": {"app": "x"}}})

    def bound():
        pvc = core.read_namespaced_persistent_volume_claim("models", namespace)
        return pvc if pvc.status.phase == "Bound" else None

    def has_ingress():
        svc = core.read_namespaced_service("lb", namespace)
        return svc if svc.status.load_balancer.ingress else None

    pvc = wait_for(bound, 30, what="PVC Bound")
    assert pvc.spec.storage_class_name == "standard-rwo"  # the default class, as on GKE
    svc = wait_for(has_ingress, 30, what="LoadBalancer ingress")
    assert svc.status.load_balancer.ingress[0].ip == "203.0.113.20"
