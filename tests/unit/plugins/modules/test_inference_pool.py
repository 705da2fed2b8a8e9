# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.modules import inference_pool as module

V1_PATH = "/apis/inference.networking.k8s.io/v1/namespaces/llm/inferencepools/qwen"
ARGS = dict(name="qwen", namespace="llm", selector={"llm-d.ai/inference-serving": "true"}, target_ports=[8000],
            endpoint_picker=dict(name="qwen-epp"))


def test_v1_body_and_idempotence(fake_kube, run_module):
    result = run_module(module, ARGS)
    assert result["changed"] and result["api_version"] == "inference.networking.k8s.io/v1"
    spec = fake_kube.objects[V1_PATH]["spec"]
    assert spec["selector"] == {"matchLabels": {"llm-d.ai/inference-serving": "true"}}
    assert spec["targetPorts"] == [{"number": 8000}]
    assert spec["endpointPickerRef"] == {"name": "qwen-epp", "port": {"number": 9002}, "failureMode": "FailOpen"}
    fake_kube.requests = 0
    again = run_module(module, ARGS)
    assert again["changed"] is False and again["api_requests"] == 1


def test_v1alpha2_fallback_uses_the_old_shape(fake_kube, run_module):
    fake_kube.served.discard("/apis/inference.networking.k8s.io/v1")
    fake_kube.served.add("/apis/inference.networking.x-k8s.io/v1alpha2")
    result = run_module(module, ARGS)
    assert result["api_version"] == "inference.networking.x-k8s.io/v1alpha2"
    spec = fake_kube.objects["/apis/inference.networking.x-k8s.io/v1alpha2/namespaces/llm/inferencepools/qwen"]["spec"]
    assert spec["targetPortNumber"] == 8000
    assert spec["extensionRef"] == {"name": "qwen-epp", "portNumber": 9002, "failureMode": "FailOpen"}
    assert spec["selector"] == {"llm-d.ai/inference-serving": "true"}


def test_missing_crd_names_the_component(fake_kube, run_module):
    fake_kube.served.discard("/apis/inference.networking.k8s.io/v1")
    result = run_module(module, ARGS, expect_failure=True)
    assert "Inference Extension" in result["msg"]


@pytest.mark.parametrize("override, option", [
    (dict(selector={"model": "Qwen/Qwen3"}), "selector"),
    (dict(selector=None), "selector"),
    (dict(target_ports=[0]), "target_ports[0]"),
    (dict(target_ports=list(range(8000, 8009))), "target_ports"),
    (dict(endpoint_picker=None), "endpoint_picker"),
    (dict(endpoint_picker=dict(name="epp", port=70000)), "endpoint_picker.port"),
    (dict(wait_for_gateways=["gw"]), "wait_for_gateways[0]"),
])
def test_bad_input(fake_kube, run_module, override, option):
    result = run_module(module, dict(ARGS, **override), expect_failure=True)
    assert any(e.startswith(option + ":") for e in result["errors"]), result["errors"]
    assert fake_kube.requests == 0


def test_check_mode_and_diff(fake_kube, run_module):
    result = run_module(module, ARGS, check_mode=True, diff=True)
    assert result["changed"] and fake_kube.objects == {}
    assert result["diff"]["after"]["spec"]["targetPorts"] == [{"number": 8000}]
    run_module(module, ARGS)
    changed = run_module(module, dict(ARGS, target_ports=[8001]), check_mode=True, diff=True)
    assert changed["changed"] and changed["diff"]["before"]["spec"]["targetPorts"] == [{"number": 8000}]
    assert fake_kube.objects[V1_PATH]["spec"]["targetPorts"] == [{"number": 8000}]
