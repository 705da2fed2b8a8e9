# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every body our typed modules build validates against the real upstream CRD schemas (offline)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.llmd.xks.plugins.module_utils import _llmisvc, _pool, _route

TPU = dict(resource_name="google.com/tpu", count=4,
           node_selector={"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice", "cloud.google.com/gke-tpu-topology": "2x2"},
           tolerations=[{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}], env={"PJRT_DEVICE": "TPU"})
H100 = dict(resource_name="nvidia.com/gpu", count=8, node_selector={"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"},
            tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
EPP_CONFIG = {"apiVersion": "inference.networking.x-k8s.io/v1alpha1", "kind": "EndpointPickerConfig",
              "plugins": [{"type": "prefix-cache-scorer", "parameters": {"blockSize": 64}}, {"type": "max-score-picker"}],
              "schedulingProfiles": [{"name": "default", "plugins": [{"pluginRef": "prefix-cache-scorer", "weight": 3},
                                                                     {"pluginRef": "max-score-picker"}]}]}

LLMISVC_CASES = {
    "baseline-tpu": dict(model=dict(uri="hf://Qwen/Qwen3-0.6B"), replicas=1, parallelism=dict(tensor=4), accelerator=TPU,
                         container=dict(image="vllm/vllm-tpu:v0.11.1", args=["--max-model-len=4096"]),
                         router=dict(route={}, scheduler={})),
    "caching-gpu": dict(model=dict(uri="hf://Qwen/Qwen3-0.6B", name="qwen"), replicas=3, accelerator=dict(H100, count=1),
                        container=dict(args=["--enable-prefix-caching", "--block-size=64"], env={"VLLM_LOGGING_LEVEL": "INFO"},
                                       resources={"requests": {"cpu": "4", "memory": "32Gi"}}),
                        router=dict(route={}, gateway_refs=[dict(name="inference-gateway", namespace="llm", section_name="http")],
                                    scheduler=dict(config=EPP_CONFIG, replicas=1))),
    "moe-multinode": dict(model=dict(uri="hf://deepseek-ai/DeepSeek-V2-Lite"), replicas=1,
                          parallelism=dict(tensor=1, data=16, data_local=8, expert=True, data_rpc_port=5555),
                          accelerator=H100, worker={}, router=dict(route={}, scheduler={})),
    "pd-disaggregated": dict(model=dict(uri="hf://Qwen/Qwen3-0.6B"), prefill={"replicas": 1}, base_refs=["my-preset"],
                             router=dict(route={}, scheduler=dict(pool_ref="shared-pool"))),
    "no-router": dict(model=dict(uri="pvc://models/qwen"), replicas=0, template={"serviceAccountName": "llm"}),
}


def params(module_utils, args):
    spec = module_utils.argument_spec()
    result = ArgumentSpecValidator(spec).validate(dict(args))
    assert not result.error_messages, result.error_messages
    assert module_utils.validate(result.validated_parameters) == []
    return result.validated_parameters


@pytest.mark.parametrize("version", ["serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1"])
@pytest.mark.parametrize("case", sorted(LLMISVC_CASES))
def test_llm_inference_service_bodies(crd_schemas, case, version):
    body = _llmisvc.build(params(_llmisvc, dict(LLMISVC_CASES[case], name="svc", namespace="llm")), version)
    assert crd_schemas.errors(body) == []


@pytest.mark.parametrize("version", ["inference.networking.k8s.io/v1", "inference.networking.x-k8s.io/v1alpha2"])
def test_inference_pool_bodies(crd_schemas, version):
    args = dict(name="pool", namespace="llm", selector={"llm-d.ai/inference-serving": "true"}, target_ports=[8000, 8001],
                app_protocol="http", endpoint_picker=dict(name="epp", failure_mode="FailClose"))
    if version.endswith("v1alpha2"):
        args.pop("app_protocol")
    body = _pool.build(params(_pool, args), version)
    assert crd_schemas.errors(body) == []


def test_http_route_body(crd_schemas):
    args = dict(name="route", namespace="llm", hostnames=["llm.example.com"],
                parent_refs=[dict(name="gw", namespace="infra", section_name="http", port=80)],
                rules=[dict(name="qwen", matches=[dict(path=dict(type="PathPrefix", value="/v1"),
                                                       headers=[dict(name="X-Gateway-Model-Name", value="qwen")], method="POST")],
                            backend_refs=[dict(kind="InferencePool", name="qwen", weight=1)],
                            timeouts=dict(request="300s", backend_request="0s"),
                            filters=[{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]),
                       dict(backend_refs=[dict(name="svc", port=8000)])])
    body = _route.build(params(_route, args), "gateway.networking.k8s.io/v1")
    assert crd_schemas.errors(body) == []


def test_the_validator_catches_unknown_fields(crd_schemas):
    body = {"apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool", "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "targetPortNumber": 8000,
                     "endpointPickerRef": {"name": "epp"}}}
    errors = crd_schemas.errors(body)
    assert any("targetPortNumber" in e for e in errors) and any("targetPorts" in e for e in errors)
