# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.modules import inference_pool, inference_pool_info, llm_inference_service_info

POOL = dict(name="qwen", namespace="llm", selector={"app": "qwen"}, target_ports=[8000], endpoint_picker=dict(name="epp"))


def test_lists_with_readiness(fake_kube, run_module):
    run_module(inference_pool, POOL)
    run_module(inference_pool, dict(POOL, name="other"))
    path = "/apis/inference.networking.k8s.io/v1/namespaces/llm/inferencepools/qwen"
    fake_kube.objects[path]["status"] = {"parents": [{"parentRef": {"name": "gw", "namespace": "llm", "kind": "Gateway"},
                                                      "conditions": [{"type": "Accepted", "status": "True"}]}]}
    result = run_module(inference_pool_info, dict(namespace="llm"))
    assert result["changed"] is False and result["crd_installed"]
    ready = dict((s["name"], s["ready"]) for s in result["summaries"])
    assert ready == {"qwen": True, "other": False}
    assert result["summaries"][1]["parents"][0]["gateway"] == "llm/gw"


def test_one_by_name_and_missing_object(fake_kube, run_module):
    run_module(inference_pool, POOL)
    assert len(run_module(inference_pool_info, dict(name="qwen", namespace="llm"))["resources"]) == 1
    assert run_module(inference_pool_info, dict(name="nope", namespace="llm"))["resources"] == []


def test_missing_crd_is_reported_not_fatal(fake_kube, run_module):
    fake_kube.served.discard("/apis/serving.kserve.io/v1alpha2")
    result = run_module(llm_inference_service_info, dict(namespace="llm"))
    assert result["crd_installed"] is False and result["resources"] == []


def test_name_needs_namespace(fake_kube, run_module):
    result = run_module(inference_pool_info, dict(name="qwen"), expect_failure=True)
    assert "namespace" in result["msg"] and fake_kube.requests == 0
