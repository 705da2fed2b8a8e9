# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.modules import cluster_capabilities as module


def test_reports_served_versions_and_istio(fake_kube, run_module, monkeypatch):
    answers = {
        "/apis": {"kind": "APIGroupList", "groups": [{"versions": [{"groupVersion": "apps/v1"}]},
                                                     {"versions": [{"groupVersion": "sailoperator.io/v1"}]},
                                                     {"versions": [{"groupVersion": "inference.networking.k8s.io/v1"}]}]},
        "/version": {"gitVersion": "v1.35.4"},
        "/apis/sailoperator.io/v1/istios": {"items": [{"spec": {"version": "v1.30.3"}, "status": {}}]},
    }

    def get(path, query=None):
        fake_kube.requests += 1
        return answers[path]

    monkeypatch.setattr(fake_kube, "get", get)
    result = run_module(module, {})
    assert result["changed"] is False
    assert result["api_versions"] == ["apps/v1", "inference.networking.k8s.io/v1", "sailoperator.io/v1", "v1"]
    assert result["kubernetes_version"] == "v1.35.4" and result["istio_version"] == "v1.30.3"
    assert result["api_requests"] == 3


def test_unreachable_cluster_is_a_clear_error(fake_kube, run_module, monkeypatch):
    from ansible_collections.llmd.xks.plugins.module_utils._client import UnreachableError

    def get(path, query=None):
        raise UnreachableError("Cannot reach the Kubernetes API at https://x: refused. Check the kubeconfig")

    monkeypatch.setattr(fake_kube, "get", get)
    result = run_module(module, {}, expect_failure=True)
    assert result["msg"].startswith("Cannot reach the Kubernetes API")


def test_exists_and_the_namespaces_services(fake_kube, run_module):
    fake_kube.objects["/api/v1/namespaces/llm"] = {"metadata": {"name": "llm"}}
    fake_kube.objects["/apis/serving.kserve.io/v1alpha2/namespaces/llm/llminferenceservices/qwen"] = {
        "metadata": {"name": "qwen", "namespace": "llm", "labels": {"llmd.xks/release": "pattern1", "llmd.xks/pattern": "1"}}}
    real_get = fake_kube.get

    def get(path, query=None):
        if path == "/apis":
            return {"kind": "APIGroupList", "groups": [{"versions": [{"groupVersion": "serving.kserve.io/v1alpha2"}]}]}
        if path == "/version":
            return {"gitVersion": "v1.35.4"}
        return real_get(path, query)

    fake_kube.get = get
    result = run_module(module, {"namespace": "llm", "exists": [
        {"kind": "Namespace", "name": "llm"}, {"kind": "Namespace", "name": "gw"},
        {"kind": "Gateway", "api_version": "gateway.networking.k8s.io/v1", "namespace": "llm", "name": "inference-gateway"},
        {"kind": "Secret", "namespace": "llm\n", "name": "hf-token"}]})
    assert [o["exists"] for o in result["exists"]] == [True, False, False, None]
    assert result["llm_inference_services"] == [{"name": "qwen", "release": "pattern1", "pattern": "1", "stack": ""}]
    assert not [c for c in fake_kube.calls if "\n" in c[1]]


def test_a_server_that_is_not_kubernetes(fake_kube, run_module, monkeypatch):
    monkeypatch.setattr(fake_kube, "get", lambda path, query=None: {"status": "ok"})
    result = run_module(module, {}, expect_failure=True)
    assert "answered GET /apis with no APIGroupList: it is not a Kubernetes API server" in result["msg"]
