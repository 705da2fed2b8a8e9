# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The preflight check logic on plain snapshots: each check's pass and fail (or warn) case."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.module_utils import _preflight as pf
from ansible_collections.llmd.xks.plugins.modules import preflight_checks as module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]

READY = {"conditions": [{"type": "Ready", "status": "True"}]}


def node(name, pool, labels=None, taints=None, allocatable=None):
    meta_labels = {"cloud.google.com/gke-nodepool": pool}
    meta_labels.update(labels or {})
    status = dict(READY, allocatable=dict({"cpu": "8"}, **(allocatable or {})))
    return {"metadata": {"name": name, "labels": meta_labels}, "spec": {"taints": taints or []}, "status": status}


def tpu_node(name, chips="4"):
    profile = ACCELERATORS["tpu-v6e-4t"]
    return node(name, "tpu-pool", profile["node_labels"], copy.deepcopy(profile["taints"]), {"google.com/tpu": chips})


def healthy_snapshot():
    return {
        "version": "v1.35.4-gke.100",
        "api_versions": ["v1", "gateway.networking.k8s.io/v1", "inference.networking.k8s.io/v1", "sailoperator.io/v1",
                         "serving.kserve.io/v1alpha2", "cert-manager.io/v1", "leaderworkerset.x-k8s.io/v1"],
        "resources": {
            pf.GATEWAY_V1: ["gatewayclasses", "gateways", "grpcroutes", "httproutes"],
            pf.INFERENCE_V1: ["inferencepools"],
            "serving.kserve.io/v1alpha2": ["llminferenceserviceconfigs", "llminferenceservices"],
            pf.CERT_MANAGER_V1: ["certificates", "clusterissuers", "issuers"],
            pf.LWS_V1: ["leaderworkersets"],
            pf.SAIL_V1: ["istios"],
        },
        "nodes": [node("cpu-1", "default-pool"), tpu_node("tpu-1"), tpu_node("tpu-2")],
        "gateway_crd_annotations": {pf.CHANNEL_ANNOTATION: "standard", pf.BUNDLE_ANNOTATION: "v1.5.1"},
        "gatewayclass": {"spec": {"controllerName": "istio.io/gateway-controller"},
                         "status": {"conditions": [{"type": "Accepted", "status": "True"}]}},
        "istios": [{"metadata": {"name": "default"}, "spec": {"version": "v1.30.3", "values": {
            "pilot": {"env": {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}}}, "status": {"version": "v1.30.3"}}],
        "kserve_configs": [{"metadata": {"name": pf.TEMPLATE_PRESET, "namespace": "kserve"}}],
        "cluster_issuer": {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        "namespace": {"metadata": {"name": "llm-d"}},
        "hf_secret_keys": ["HF_TOKEN", "token"],
    }


def inputs(**overrides):
    base = dict(stack="istio_kserve", pattern=1, accelerator="tpu-v6e-4t", accelerators=ACCELERATORS,
                gateway_class="istio", gateway={}, namespace="llm-d", hf_token_secret="hf-token",
                hf_token_provided=False, cert_manager_issuer="opendatahub-ca-issuer", platform="auto")
    base.update(overrides)
    return base


def rows(snap, **overrides):
    return dict((r["id"], r) for r in pf.evaluate(snap, inputs(**overrides)))


def status(snap, row_id, **overrides):
    return rows(snap, **overrides)[row_id]["status"]


def test_healthy_cluster_passes_every_check():
    result = pf.evaluate(healthy_snapshot(), inputs())
    assert [r["id"] for r in result if r["status"] != "pass"] == []
    assert set(r["id"] for r in result) >= {
        "kubernetes", "gateway-api-crds", "gateway-api-channel", "gateway-api-routes", "gatewayclass",
        "inference-pool-api", "istio-inference-pool", "istio-inference-extension", "kserve-crds", "kserve-presets",
        "cert-manager", "lws-crd", "cpu-pool", "accelerator-nodes", "accelerator-taints", "accelerator-allocatable",
        "namespace", "hf-token-secret", "sidecar-injection"}
    for row in result:
        assert set(row) == {"id", "check", "status", "detail", "fix", "failure"}
        assert row["failure"].startswith("seed §")


def test_gateway_api_missing():
    snap = healthy_snapshot()
    del snap["resources"][pf.GATEWAY_V1]
    found = rows(snap)
    assert found["gateway-api-crds"]["status"] == "fail"
    assert "gatewayclasses" in found["gateway-api-crds"]["detail"]
    assert "gatewayclass" not in found  # nothing to read without the API
    gke = rows(snap, stack="gateway_api_llmd", gateway_class="gke-l7-rilb")["gateway-api-crds"]
    assert "--gateway-api=standard" in gke["fix"]


def test_experimental_channel_fails_on_gke_135_and_warns_elsewhere():
    snap = healthy_snapshot()
    snap["gateway_crd_annotations"][pf.CHANNEL_ANNOTATION] = "experimental"
    assert status(snap, "gateway-api-channel") == "fail"
    snap["version"] = "v1.34.3-gke.1051003"
    assert status(snap, "gateway-api-channel") == "warn"
    snap["version"] = "v1.35.0"
    assert status(snap, "gateway-api-channel", platform="openshift") == "warn"


def test_httproute_must_be_served_at_v1():
    snap = healthy_snapshot()
    snap["resources"][pf.GATEWAY_V1] = ["gatewayclasses", "gateways"]
    snap["resources"]["gateway.networking.k8s.io/v1beta1"] = ["httproutes"]
    row = rows(snap)["gateway-api-routes"]
    assert row["status"] == "fail" and "HTTPRoute at v1beta1" in row["detail"]
    assert rows(healthy_snapshot())["gateway-api-routes"]["detail"] == "HTTPRoute at v1; GRPCRoute at v1"


@pytest.mark.parametrize("gatewayclass, expected, reason", [
    (None, "fail", "does not exist"),
    ({"spec": {"controllerName": "x.io/none"}}, "fail", "no status from a controller"),
    ({"spec": {"controllerName": "x.io/c"}, "status": {"conditions": [
        {"type": "Accepted", "status": "False", "reason": "InvalidParameters"}]}}, "fail", "InvalidParameters"),
])
def test_gatewayclass_missing_or_not_accepted(gatewayclass, expected, reason):
    snap = healthy_snapshot()
    snap["gatewayclass"] = gatewayclass
    row = rows(snap)["gatewayclass"]
    assert row["status"] == expected and reason in row["detail"] and row["fix"]


def test_gke_stacks_need_a_regional_class_on_gke_only():
    snap = healthy_snapshot()
    assert status(snap, "gatewayclass-regional", stack="gateway_api_llmd", gateway_class="gke-l7-rilb") == "pass"
    row = rows(snap, stack="gateway_api_llmd", gateway_class="gke-l7-global-external-managed")["gatewayclass-regional"]
    assert row["status"] == "fail" and row["failure"] == "seed §6.12"
    assert "gatewayclass-regional" not in rows(snap, stack="gateway_api_llmd", gateway_class="x", platform="openshift")
    assert "gatewayclass-regional" not in rows(snap)  # istio stack


def test_existing_gateway_must_exist_and_be_programmed():
    gateway = {"name": "openshift-ai-inference", "namespace": "openshift-ingress", "create": False}
    snap = healthy_snapshot()
    snap["gateway"] = None
    assert status(snap, "gateway", gateway=gateway) == "fail"
    snap["gateway"] = {"status": {"conditions": [{"type": "Programmed", "status": "False"}]}}
    assert status(snap, "gateway", gateway=gateway) == "warn"
    snap["gateway"] = {"status": {"conditions": [{"type": "Programmed", "status": "True"}]}}
    assert status(snap, "gateway", gateway=gateway) == "pass"
    assert "gateway" not in rows(snap, gateway=dict(gateway, create=True))


def test_no_inference_pool_api():
    snap = healthy_snapshot()
    del snap["resources"][pf.INFERENCE_V1]
    assert status(snap, "inference-pool-api") == "fail"
    snap["resources"][pf.INFERENCE_V1ALPHA2] = ["inferencepools"]
    assert status(snap, "inference-pool-api") == "pass"


def test_istio_version_against_the_pool_api():
    snap = healthy_snapshot()
    snap["istios"][0]["status"]["version"] = "v1.26.2"
    row = rows(snap)["istio-inference-pool"]
    assert row["status"] == "fail" and "older than 1.28" in row["detail"]
    snap = healthy_snapshot()
    del snap["resources"][pf.INFERENCE_V1]
    snap["resources"][pf.INFERENCE_V1ALPHA2] = ["inferencepools"]
    row = rows(snap)["istio-inference-pool"]
    assert row["status"] == "fail" and "not served" in row["detail"]


def test_istio_version_from_the_istiod_image_and_missing_istio():
    snap = healthy_snapshot()
    snap["istios"] = []
    snap["istiod"] = {"items": [{"metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": {"template": {
        "spec": {"containers": [{"image": "registry.redhat.io/openshift-service-mesh/pilot:1.27.3"}]}}}}]}
    row = rows(snap)["istio-inference-pool"]
    assert row["status"] == "fail" and "istiod image (istio-system/istiod)" in row["detail"]
    container = snap["istiod"]["items"][0]["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "docker.io/istio/pilot:1.28.0"
    assert status(snap, "istio-inference-pool") == "pass"
    assert status(snap, "istio-inference-extension") == "fail"
    container["env"] = [{"name": "ENABLE_GATEWAY_API_INFERENCE_EXTENSION", "value": "true"}]
    assert status(snap, "istio-inference-extension") == "pass"
    snap["istiod"] = {"items": []}
    assert status(snap, "istio-inference-pool") == "fail"
    assert "istio-inference-pool" not in rows(snap, stack="gateway_api_llmd", gateway_class="gke-l7-rilb")


def test_istiod_without_the_inference_extension_switch():
    snap = healthy_snapshot()
    snap["istios"][0]["spec"]["values"] = {}
    assert status(snap, "istio-inference-extension") == "fail"


def test_kserve_crds_and_presets():
    snap = healthy_snapshot()
    snap["resources"]["serving.kserve.io/v1alpha2"] = []
    assert status(snap, "kserve-crds") == "fail"
    snap = healthy_snapshot()
    snap["kserve_configs"] = []
    assert status(snap, "kserve-presets") == "fail"
    assert "kserve-crds" not in rows(snap, stack="gateway_api_llmd", gateway_class="gke-l7-rilb")


def test_kserve_route_timeouts_on_the_gke_stack():
    snap = healthy_snapshot()
    route = {"metadata": {"name": pf.ROUTE_PRESET, "namespace": "kserve"}, "spec": {"router": {"route": {"http": {
        "spec": {"rules": [{"timeouts": {"request": "0s"}, "matches": []}]}}}}}}
    snap["kserve_configs"].append(route)
    found = rows(snap, stack="kserve_gke_gateway", gateway_class="gke-l7-rilb")
    assert found["kserve-route-timeouts"]["status"] == "fail" and found["kserve-route-timeouts"]["failure"] == "seed §6.17"
    del route["spec"]["router"]["route"]["http"]["spec"]["rules"][0]["timeouts"]
    assert status(snap, "kserve-route-timeouts", stack="kserve_gke_gateway", gateway_class="gke-l7-rilb") == "pass"
    assert "kserve-route-timeouts" not in rows(snap)


def test_cert_manager():
    snap = healthy_snapshot()
    snap["cluster_issuer"] = None
    assert status(snap, "cert-manager") == "warn"
    snap["cluster_issuer"] = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    assert status(snap, "cert-manager") == "warn"
    del snap["resources"][pf.CERT_MANAGER_V1]
    assert status(snap, "cert-manager") == "fail"


def test_lws_is_required_for_pattern_4_and_multi_host_profiles():
    snap = healthy_snapshot()
    del snap["resources"][pf.LWS_V1]
    assert status(snap, "lws-crd") == "warn"
    assert status(snap, "lws-crd", pattern=4) == "fail"
    snap["nodes"] += [node("tpu-%d" % i, "tpu16", ACCELERATORS["tpu-v6e-16"]["node_labels"]) for i in range(4)]
    assert status(snap, "lws-crd", accelerator="tpu-v6e-16") == "fail"


def test_cpu_pool_needs_an_untainted_schedulable_ready_node():
    snap = healthy_snapshot()
    cpu = snap["nodes"][0]
    cpu["spec"]["taints"] = [{"key": "x", "effect": "NoSchedule"}]
    assert status(snap, "cpu-pool") == "fail"
    cpu["spec"]["taints"] = [{"key": "x", "effect": "PreferNoSchedule"}]
    assert status(snap, "cpu-pool") == "pass"
    cpu["spec"]["unschedulable"] = True
    assert status(snap, "cpu-pool") == "fail"
    cpu["spec"]["unschedulable"] = False
    cpu["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    assert status(snap, "cpu-pool") == "fail"
    snap["nodes"][1]["spec"]["taints"] = []  # an untainted TPU node is no CPU pool
    assert status(snap, "cpu-pool") == "fail"


def test_accelerator_nodes_labels_taints_allocatable():
    snap = healthy_snapshot()
    assert status(snap, "accelerator-nodes", accelerator="nvidia-l4") == "fail"
    assert "accelerator-taints" not in rows(snap, accelerator="nvidia-l4")
    snap["nodes"][1]["spec"]["taints"] = []
    row = rows(snap)["accelerator-taints"]
    assert row["status"] == "warn" and row["detail"].startswith("tpu-1 without google.com/tpu=present:NoSchedule")
    snap["nodes"][2]["status"]["allocatable"]["google.com/tpu"] = "0"
    row = rows(snap)["accelerator-allocatable"]
    assert row["status"] == "fail" and "tpu-2 has 0" in row["detail"]
    assert status(healthy_snapshot(), "accelerator-nodes", accelerator="cpu-sim") == "pass"


def test_multi_host_slice_needs_enough_hosts():
    snap = healthy_snapshot()
    labels = ACCELERATORS["tpu-v6e-16"]["node_labels"]
    snap["nodes"] += [node("h%d" % i, "tpu16", labels, allocatable={"google.com/tpu": "4"}) for i in range(3)]
    assert status(snap, "accelerator-nodes", accelerator="tpu-v6e-16") == "fail"
    snap["nodes"].append(node("h3", "tpu16", labels, allocatable={"google.com/tpu": "4"}))
    assert status(snap, "accelerator-nodes", accelerator="tpu-v6e-16") == "pass"


def test_namespace_and_token_secret():
    snap = healthy_snapshot()
    snap["hf_secret_keys"] = ["other"]
    assert status(snap, "hf-token-secret") == "fail"
    snap["hf_secret_keys"] = None
    assert status(snap, "hf-token-secret") == "fail"
    assert status(snap, "hf-token-secret", hf_token_provided=True) == "pass"
    assert status(snap, "hf-token-secret", accelerator="cpu-sim") == "warn"
    snap["namespace"] = None
    assert status(snap, "namespace") == "warn"
    assert "hf-token-secret" not in rows(snap, hf_token_secret="")


def test_sidecar_injection_label_on_the_model_namespace():
    snap = healthy_snapshot()
    snap["namespace"]["metadata"]["labels"] = {"istio-injection": "enabled"}
    row = rows(snap)["sidecar-injection"]
    assert row["status"] == "warn" and row["failure"] == "seed §6.32" and "istio-injection=enabled" in row["detail"]
    snap["namespace"]["metadata"]["labels"] = {"istio.io/rev": "default"}
    assert status(snap, "sidecar-injection") == "warn"
    assert "sidecar-injection" not in rows(snap, stack="gateway_api_llmd", gateway_class="gke-l7-rilb")
    snap["namespace"] = None
    assert "sidecar-injection" not in rows(snap)


def test_platform_detection():
    snap = healthy_snapshot()
    assert pf.detect_platform(snap, "auto") == "gke"
    snap["api_versions"].append("route.openshift.io/v1")
    assert pf.detect_platform(snap, "auto") == "openshift"
    plain = {"version": "v1.35.0", "api_versions": ["v1"], "nodes": [{"metadata": {"labels": {}}}]}
    assert pf.detect_platform(plain, "auto") == "kubernetes"
    assert pf.detect_platform(plain, "gke") == "gke"


def test_table_is_aligned_and_lists_fixes():
    snap = healthy_snapshot()
    snap["gatewayclass"] = None
    lines = pf.table(pf.evaluate(snap, inputs()))
    header, rule = lines[0], lines[1]
    assert header.startswith("STATUS | ID") and set(rule) <= {"-", "+"}
    width = [line.index(" | ", line.index(" | ") + 1) for line in lines[2:] if " | " in line]
    assert len(set(width)) == 1  # the CHECK column starts at the same place on every row
    assert any(line.startswith("  FAIL  gatewayclass") for line in lines[lines.index("Fixes:"):])


def test_row_validation_of_extra_checks():
    assert pf.validate_rows([{"id": "a", "check": "b", "status": "pass", "detail": ""}]) == []
    assert "status" in pf.validate_rows([{"id": "a", "check": "b", "status": "ok", "detail": ""}])[0]
    assert "missing detail" in pf.validate_rows([{"id": "a", "check": "b", "status": "pass"}])[0]


class _Api(object):
    """Answers GETs from a dict; 404 for anything else."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = 0
        self.paths = []

    def get(self, path, query=None):
        from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError

        self.requests += 1
        self.paths.append(path)
        if path in self.answers:
            return copy.deepcopy(self.answers[path])
        raise ApiError(404, "Not Found", {"message": "not found"})


def _answers():
    return {
        "/version": {"gitVersion": "v1.35.4"},
        "/apis": {"groups": [{"versions": [{"groupVersion": pf.GATEWAY_V1}]},
                             {"versions": [{"groupVersion": pf.INFERENCE_V1}]}]},
        "/apis/" + pf.GATEWAY_V1: {"resources": [{"name": "gatewayclasses"}, {"name": "gatewayclasses/status"},
                                                 {"name": "gateways"}, {"name": "httproutes"}]},
        "/apis/" + pf.INFERENCE_V1: {"resources": [{"name": "inferencepools"}]},
        "/api/v1/nodes": {"items": [node("cpu-1", "default-pool")]},
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + pf.GATEWAY_CRD: {
            "metadata": {"annotations": {pf.CHANNEL_ANNOTATION: "standard"}}},
        "/api/v1/namespaces/llm-d": {"metadata": {"name": "llm-d"}},
        "/api/v1/namespaces/llm-d/secrets/hf-token": {"data": {"HF_TOKEN": "c2VjcmV0"}},
    }


def test_gather_reads_key_names_only_and_skips_unserved_apis():
    api = _Api(_answers())
    snap = pf.gather(api, inputs(stack="gateway_api_llmd", gateway_class="gke-l7-rilb"))
    assert snap["resources"][pf.GATEWAY_V1] == ["gatewayclasses", "gateways", "httproutes"]
    assert snap["gatewayclass"] is None and snap["hf_secret_keys"] == ["HF_TOKEN"]
    assert "c2VjcmV0" not in repr(snap)
    assert not any("kserve" in p or "sailoperator" in p or "leaderworkerset" in p for p in api.paths)


def test_module_returns_rows_table_and_summary(fake_kube, run_module, monkeypatch):
    api = _Api(_answers())

    def get(path, query=None):
        fake_kube.requests += 1
        return api.get(path, query)

    monkeypatch.setattr(fake_kube, "get", get)
    extra = [{"id": "gcp-iam", "check": "IAM role", "status": "fail", "detail": "no roles/container.admin",
              "fix": "grant it", "failure": "seed §6.7"}]
    result = run_module(module, {"stack": "gateway_api_llmd", "accelerator": "cpu-sim", "accelerators": ACCELERATORS,
                                 "gateway_class": "gke-l7-rilb", "extra_checks": extra})
    ids = [r["id"] for r in result["checks"]]
    assert ids[-1] == "gcp-iam" and result["summary"]["fail"] == len(result["failed_checks"])
    assert "gcp-iam" in [r["id"] for r in result["failed_checks"]]
    assert result["changed"] is False and result["api_requests"] == api.requests
    assert any("gcp-iam" in line for line in result["table"])


def test_module_rejects_bad_inputs_before_calling_the_cluster(fake_kube, run_module):
    result = run_module(module, {"accelerator": "tpu-v9", "accelerators": ACCELERATORS,
                                 "extra_checks": [{"id": "x", "check": "y", "status": "green", "detail": ""}]},
                        expect_failure=True)
    assert "accelerator: 'tpu-v9' is not a profile" in result["msg"]
    assert "extra_checks[0].status" in result["msg"]
    assert fake_kube.requests == 0
