# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Migration planning (what is deployed, updated in place, shifted, removed, rolled back) and stack_info's grouping
and serving verdicts, on renderings of the real pattern engine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.filter.restorable import restorable
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._migration import MigrationError, plan_migration
from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan
from ansible_collections.llmd.xks.plugins.module_utils._stack_info import describe

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
APIS = ["v1", "apps/v1", "gateway.networking.k8s.io/v1", "inference.networking.k8s.io/v1", "serving.kserve.io/v1alpha2"]
GATEWAY = {"name": "inference-gateway", "namespace": "llm"}


def render(stack, pattern, gateway=None, **extra):
    inputs = dict(stack=stack, pattern=pattern, namespace="llm", accelerator="nvidia-h100-80gb", accelerators=ACCELERATORS,
                  models=[{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], gateway=dict(gateway or GATEWAY),
                  hf_token_secret="hf-token", hf_secret_exists=True, capabilities={"api_versions": APIS})
    inputs.update(extra)
    result = plan(inputs)
    assert not result.errors, result.errors
    return {"services": result.services, "manifests": result.manifests, "summary": result.summary,
            "helmfile": result.helmfile}


def live(stack, release, pattern=1):
    return {"stack": stack, "release": release, "pattern": pattern, "ready": True, "serving": True}


def names(manifests):
    return sorted("%s/%s" % (m["kind"], m["metadata"]["name"]) for m in manifests)


def test_same_source_and_target_is_a_noop():
    source = render("istio_kserve", 1)
    result = plan_migration(source, copy.deepcopy(source), [live("istio_kserve", "pattern1")])
    assert result["noop"] and "the same" in result["reason"]


def test_kserve_to_llmd_switches_and_removes_only_the_source():
    source, target = render("istio_kserve", 1), render("gateway_api_llmd", 1)
    result = plan_migration(source, target, [live("istio_kserve", "pattern1")])
    assert not result["noop"] and not result["done"]
    assert result["shift"] == "switch"  # KServe owns its route: no weights on it
    assert [s["name"] for s in result["remove_services"]] == ["qwen"]
    assert names(result["remove_manifests"]) == ["NetworkPolicy/qwen-allow-gateway-to-epp", "NetworkPolicy/qwen-allow-gateway-to-vllm"]
    # the route and, behind the GKE class, our health-check and backend policies of the pool
    assert names(result["rollback_manifests"]) == ["GCPBackendPolicy/pattern1-qwen", "HTTPRoute/pattern1",
                                                   "HealthCheckPolicy/pattern1-qwen"]
    # a rollback uninstalls the target's chart releases; removing the (KServe) source uninstalls none
    assert [r["name"] for r in result["rollback_helmfile"]["definition"]["releases"]] == ["pattern1-qwen", "pattern1-qwen-ms"]
    assert result["remove_helmfile"] is None
    assert result["rollback_services"] == [] and result["in_place_services"] == []
    assert (result["source_set"], result["target_set"]) == ("llmd-xks-pattern1-istio", "llmd-xks-pattern1-llmd")
    # KServe's URL shape (/<namespace>/<name>/) is rewritten to the llm-d pool
    [compat] = result["compat_routes"]
    rule = compat["spec"]["rules"][0]
    assert rule["matches"][0]["path"]["value"] == "/llm/qwen/"
    assert rule["backendRefs"][0]["name"] == "pattern1-qwen"
    assert rule["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"] == "/"


def test_keep_paths_off_adds_no_routes():
    result = plan_migration(render("istio_kserve", 1), render("gateway_api_llmd", 1), [live("istio_kserve", "pattern1")],
                            keep_paths=False)
    assert result["compat_routes"] == []


def test_llmd_pattern_change_on_one_gateway_shifts_by_weight():
    source, target = render("gateway_api_llmd", 1), render("gateway_api_llmd", 3)
    result = plan_migration(source, target, [live("gateway_api_llmd", "pattern1")], weight_steps=[100, 10, 50])
    assert result["shift"] == "weights" and result["weight_steps"] == [10, 50, 100]
    refs = [r["spec"]["rules"][0]["backendRefs"] for r in result["weighted_routes"]]
    assert [[(b["name"], b["weight"]) for b in step] for step in refs] == [
        [("pattern1-qwen", 90), ("pattern3-qwen", 10)], [("pattern1-qwen", 50), ("pattern3-qwen", 50)],
        [("pattern1-qwen", 0), ("pattern3-qwen", 100)]]
    assert all(r["metadata"]["name"] == "pattern1" for r in result["weighted_routes"])
    # the plan's own source rendering is not modified
    assert "weight" not in source["manifests"][-1]["spec"]["rules"][0]["backendRefs"][0]


def test_llmd_on_different_gateways_switches():
    other = {"name": "gke-gateway", "namespace": "llm"}
    result = plan_migration(render("gateway_api_llmd", 1), render("gateway_api_llmd", 3, gateway=other),
                            [live("gateway_api_llmd", "pattern1")])
    assert result["shift"] == "switch" and result["weighted_routes"] == []


def test_between_kserve_stacks_updates_in_place_on_both_gateways():
    gke = {"name": "gke-gateway", "namespace": "llm"}
    source, target = render("istio_kserve", 1), render("kserve_gke_gateway", 1, gateway=gke)
    result = plan_migration(source, target, [live("istio_kserve", "pattern1")])
    assert result["in_place_services"] == ["qwen"]
    assert result["extra_gateways"] == [{"name": "inference-gateway", "namespace": "llm"}]
    assert result["remove_services"] == [] and result["rollback_services"] == []
    # the target with the extra gateway: the LLMInferenceService's routes attach to both while they change
    both = render("kserve_gke_gateway", 1, gateway=gke, extra_gateways=result["extra_gateways"])
    assert both["services"][0]["router"]["gateway_refs"] == [gke, GATEWAY]


def test_kserve_pattern_change_keeps_shared_objects():
    result = plan_migration(render("istio_kserve", 3), render("istio_kserve", 1), [live("istio_kserve", "pattern3", 3)])
    assert result["in_place_services"] == ["qwen"] and result["extra_gateways"] == []
    assert result["remove_manifests"] == [] and result["rollback_manifests"] == []
    assert names(result["in_place_manifests"]) == ["NetworkPolicy/qwen-allow-gateway-to-epp", "NetworkPolicy/qwen-allow-gateway-to-vllm"]


def test_source_gone_and_target_present_means_done():
    result = plan_migration(render("istio_kserve", 1), render("gateway_api_llmd", 1), [live("gateway_api_llmd", "pattern1")])
    assert result["done"]


def test_nothing_deployed_names_the_variable_and_the_fix():
    with pytest.raises(MigrationError) as err:
        plan_migration(render("istio_kserve", 1), render("gateway_api_llmd", 1), [live("gateway_api_llmd", "other")])
    assert "migrate_from: no istio_kserve deployment of release pattern1 in namespace llm" in str(err.value)
    assert "playbooks/pattern1.yml" in str(err.value)


def test_namespaces_must_match():
    target = render("gateway_api_llmd", 1, namespace="other", gateway={"name": "g", "namespace": "other"})
    with pytest.raises(MigrationError, match="must be in one namespace"):
        plan_migration(render("istio_kserve", 1), target, [live("istio_kserve", "pattern1")])


def test_restorable_keeps_what_apply_needs():
    obj = {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService", "status": {"x": 1},
           "metadata": {"name": "qwen", "namespace": "llm", "uid": "u", "resourceVersion": "7", "generation": 3,
                        "managedFields": [{}], "labels": {"a": "b"},
                        "annotations": {"llmd.xks/applied-hash": "h", "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
           "spec": {"replicas": 1}}
    assert restorable(obj) == {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
                               "metadata": {"name": "qwen", "namespace": "llm", "labels": {"a": "b"},
                                            "annotations": {"llmd.xks/applied-hash": "h"}},
                               "spec": {"replicas": 1}}


# stack_info ----------------------------------------------------------------------------------------------------------

class ListingClient(object):
    """Answers list requests from a dict of path -> items; unknown paths are kinds the cluster does not serve."""

    def __init__(self, listings):
        self.listings = listings

    def list(self, path, label_selector=None):
        if path not in self.listings:
            raise ApiError(404, "Not Found", {"reason": "NotFound"})
        return {"items": copy.deepcopy(self.listings[path])}


def ready_pod(name, labels, ready=True):
    return {"metadata": {"name": name, "labels": labels},
            "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def accepted(route, gateway="inference-gateway", ok=True):
    route = copy.deepcopy(route)
    route["metadata"]["generation"] = 1
    status = "True" if ok else "False"
    route["status"] = {"parents": [{"parentRef": {"name": gateway, "namespace": "llm"}, "conditions": [
        {"type": "Accepted", "status": status, "observedGeneration": 1},
        {"type": "ResolvedRefs", "status": "True", "observedGeneration": 1}]}]}
    return route


def chart_objects(rendered):
    """The decode Deployment, endpoint picker and InferencePool as the llm-d charts make them from the rendered values:
    the charts' own labels on the objects, ours only on the pods and in the pool's selector."""
    values = dict((r["name"], r["values"][0]) for r in rendered["helmfile"]["definition"]["releases"])
    pool, ms = values["pattern1-qwen"], values["pattern1-qwen-ms"]
    pod_labels = dict(ms["modelArtifacts"]["labels"], **{"llm-d.ai/role": "decode"})
    helm = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "llm-d-modelservice-v0.4.12"}
    vllm = {"name": "vllm", "command": ["vllm", "serve"],
            "args": ["Qwen/Qwen3-0.6B", "--port", "8000", "--served-model-name", "Qwen/Qwen3-0.6B"]}
    decode = {"metadata": {"name": "pattern1-qwen-decode", "labels": helm, "generation": 1},
              "spec": {"replicas": 1, "selector": {"matchLabels": pod_labels},
                       "template": {"metadata": {"labels": pod_labels}, "spec": {"containers": [vllm]}}},
              "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                         "availableReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}}
    epp = {"metadata": {"name": "pattern1-qwen-epp", "labels": {"app.kubernetes.io/name": "pattern1-qwen-epp"}},
           "spec": {"template": {"metadata": {"labels": {"inferencepool": "pattern1-qwen-epp"}}}}}
    inference_pool = {"apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool",
                      "metadata": {"name": "pattern1-qwen", "namespace": "llm",
                                   "labels": {"app.kubernetes.io/name": "pattern1-qwen-epp"}},
                      "spec": {"selector": {"matchLabels": pool["inferencePool"]["modelServers"]["matchLabels"]},
                               "targetPorts": [{"number": 8000}], "endpointPickerRef": {"name": "pattern1-qwen-epp"}},
                      "status": {"parents": [{"parentRef": {"name": "inference-gateway", "namespace": "llm"}, "conditions": [
                          {"type": "Accepted", "status": "True"}, {"type": "ResolvedRefs", "status": "True"}]}]}}
    return [decode, epp], inference_pool, pod_labels


def llmd_listings(pod_ready=True, route_ok=True, weight=None):
    rendered = render("gateway_api_llmd", 1)
    route = accepted([m for m in rendered["manifests"] if m["kind"] == "HTTPRoute"][0], ok=route_ok)
    if weight is not None:
        route["spec"]["rules"][0]["backendRefs"][0]["weight"] = weight
    deployments, inference_pool, pod_labels = chart_objects(rendered)
    return {
        "/apis/gateway.networking.k8s.io/v1/namespaces/llm/httproutes": [route],
        "/apis/inference.networking.k8s.io/v1/namespaces/llm/inferencepools": [inference_pool],
        "/apis/apps/v1/namespaces/llm/deployments": deployments,
        "/api/v1/namespaces/llm/services": [],
        "/api/v1/namespaces/llm/pods": [ready_pod("p-0", pod_labels, pod_ready), ready_pod("other", {"app": "x"})],
        "/apis/gateway.networking.k8s.io/v1/gateways": [{"metadata": {"name": "inference-gateway", "namespace": "llm"},
                                                         "spec": {"gatewayClassName": "istio"},
                                                         "status": {"addresses": [{"value": "10.0.0.1"}]}}],
    }


def test_stack_info_llmd_deployment_serves_with_a_ready_pod_behind_an_accepted_route():
    [found] = describe(ListingClient(llmd_listings()), "llm")
    assert (found["stack"], found["release"], found["pattern"]) == ("gateway_api_llmd", "pattern1", 1)
    assert found["models"] == ["Qwen/Qwen3-0.6B"]
    # the endpoint picker is not a model server
    assert [w["name"] for w in found["workloads"]] == ["pattern1-qwen-decode"] and found["workloads"][0]["ready"]
    assert [p["name"] for p in found["pools"]] == ["pattern1-qwen"] and found["ready"]
    assert found["pools"][0]["ready_endpoints"] == 1
    assert found["serving"] and found["endpoints"] == ["http://10.0.0.1/v1"]
    assert found["gateways"][0]["class"] == "istio"


@pytest.mark.parametrize("listing", [dict(pod_ready=False), dict(route_ok=False), dict(weight=0)],
                         ids=["no-ready-pod", "route-not-accepted", "weight-zero"])
def test_stack_info_not_serving(listing):
    [found] = describe(ListingClient(llmd_listings(**listing)), "llm")
    assert not found["serving"]


def test_stack_info_kserve_children_grouped_by_owner_and_filters():
    service = render("istio_kserve", 1)["services"][0]
    svc = {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
           "metadata": {"name": "qwen", "namespace": "llm", "labels": service["labels"], "generation": 1},
           "spec": {"model": {"name": "Qwen/Qwen3-0.6B"}, "router": {"gateway": {"refs": [GATEWAY]}}},
           "status": {"observedGeneration": 1, "url": "http://10.0.0.1/llm/qwen",
                      "conditions": [{"type": "Ready", "status": "True"}]}}
    owner = [{"kind": "LLMInferenceService", "name": "qwen"}]
    route = accepted({"metadata": {"name": "qwen-kserve-route", "namespace": "llm", "ownerReferences": owner},
                      "spec": {"parentRefs": [GATEWAY], "rules": [{"backendRefs": [
                          {"kind": "InferencePool", "name": "qwen-inference-pool"}]}]}})
    pool_meta = {"name": "qwen-inference-pool", "namespace": "llm", "ownerReferences": owner}
    pool = {"apiVersion": "inference.networking.k8s.io/v1", "metadata": pool_meta,
            "spec": {"selector": {"matchLabels": {"kserve.io/component": "workload"}}}}
    listings = llmd_listings()
    listings.update({
        "/apis/serving.kserve.io/v1alpha2/namespaces/llm/llminferenceservices": [svc],
        "/apis/gateway.networking.k8s.io/v1/namespaces/llm/httproutes":
            listings["/apis/gateway.networking.k8s.io/v1/namespaces/llm/httproutes"] + [route],
        "/apis/inference.networking.k8s.io/v1/namespaces/llm/inferencepools":
            listings["/apis/inference.networking.k8s.io/v1/namespaces/llm/inferencepools"] + [pool],
    })
    listings["/api/v1/namespaces/llm/pods"].append(ready_pod("k-0", {"kserve.io/component": "workload"}))
    found = describe(ListingClient(listings), "llm")
    assert [(d["stack"], d["release"]) for d in found] == [("gateway_api_llmd", "pattern1"), ("istio_kserve", "pattern1")]
    kserve = found[1]
    assert [r["name"] for r in kserve["routes"]] == ["qwen-kserve-route"] and kserve["ready"] and kserve["serving"]
    assert kserve["endpoints"] == ["http://10.0.0.1/llm/qwen/v1"]
    assert [d["stack"] for d in describe(ListingClient(listings), "llm", stack="istio_kserve")] == ["istio_kserve"]
    assert describe(ListingClient(listings), "llm", release="nope") == []
