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
