# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.modules import llm_inference_service as module

PATH = "/apis/serving.kserve.io/v1alpha2/namespaces/llm/llminferenceservices/qwen"

TPU_ARGS = dict(
    name="qwen", namespace="llm",
    model=dict(uri="hf://Qwen/Qwen3-0.6B"),
    replicas=1,
    parallelism=dict(tensor=4),
    container=dict(image="vllm/vllm-tpu:v0.11.1", args=["--max-model-len=4096"]),
    accelerator=dict(resource_name="google.com/tpu", count=4,
                     node_selector={"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
                                    "cloud.google.com/gke-tpu-topology": "2x2"},
                     tolerations=[{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}],
                     env={"PJRT_DEVICE": "TPU"}),
    router=dict(route={}, scheduler={}),
)


def test_create_makes_two_requests_and_builds_the_accelerator_template(fake_kube, run_module):
    result = run_module(module, TPU_ARGS)
    assert result["changed"] is True and result["action"] == "created"
    assert result["api_requests"] == 2
    assert [c[0] for c in fake_kube.calls] == ["GET", "PATCH"]
    spec = fake_kube.objects[PATH]["spec"]
    main = spec["template"]["containers"][0]
    assert main["name"] == "main"
    assert main["resources"]["limits"]["google.com/tpu"] == "4"
    assert main["resources"]["requests"]["google.com/tpu"] == "4"
    assert {"name": "PJRT_DEVICE", "value": "TPU"} in main["env"]
    assert spec["template"]["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x2"
    assert spec["router"] == {"route": {}, "gateway": {}, "scheduler": {}}
    assert result["children"]["workload"] == "qwen-kserve"
    assert result["children"]["inference_pool"] == "qwen-inference-pool"


def test_second_run_is_one_get_and_no_change(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    fake_kube.calls[:] = []
    fake_kube.requests = 0
    result = run_module(module, TPU_ARGS)
    assert result["changed"] is False and result["action"] == "unchanged"
    assert result["api_requests"] == 1
    assert [c[0] for c in fake_kube.calls] == ["GET"]


def test_server_defaults_and_status_cause_no_change(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    fake_kube.objects[PATH]["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    fake_kube.objects[PATH]["spec"]["anotherDefault"] = 3
    assert run_module(module, TPU_ARGS)["changed"] is False


def test_removing_an_option_is_a_change(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    args = dict(TPU_ARGS, replicas=None)
    assert run_module(module, args)["changed"] is True


def test_drift_of_an_owned_field_is_corrected(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    fake_kube.objects[PATH]["spec"]["replicas"] = 5
    result = run_module(module, TPU_ARGS)
    assert result["changed"] is True and fake_kube.objects[PATH]["spec"]["replicas"] == 1


def test_check_mode_is_a_server_side_dry_run(fake_kube, run_module):
    result = run_module(module, TPU_ARGS, check_mode=True)
    assert result["changed"] is True
    assert fake_kube.calls[-1][0] == "PATCH" and fake_kube.calls[-1][2]["dry_run"] is True
    assert PATH not in fake_kube.objects


def test_check_mode_still_fails_on_schema_errors(fake_kube, run_module):
    fake_kube.reject = lambda body: "spec.replicas: Invalid value" if body["spec"].get("replicas") == 1 else None
    result = run_module(module, TPU_ARGS, check_mode=True, expect_failure=True)
    assert "rejected by the API server" in result["msg"] and "spec.replicas" in result["msg"]


def test_diff_shows_only_owned_fields(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    fake_kube.objects[PATH]["status"] = {"url": "http://x"}
    result = run_module(module, dict(TPU_ARGS, replicas=2), diff=True)
    assert result["diff"]["before"]["spec"]["replicas"] == 1
    assert result["diff"]["after"]["spec"]["replicas"] == 2
    assert "status" not in result["diff"]["before"]
    assert "serverDefaulted" not in result["diff"]["before"]["spec"]


def test_absent_deletes_then_is_idempotent(fake_kube, run_module):
    run_module(module, TPU_ARGS)
    assert run_module(module, dict(name="qwen", namespace="llm", state="absent"))["changed"] is True
    result = run_module(module, dict(name="qwen", namespace="llm", state="absent"))
    assert result["changed"] is False and result["action"] == "absent"


def test_falls_back_to_v1alpha1(fake_kube, run_module):
    fake_kube.served.discard("/apis/serving.kserve.io/v1alpha2")
    fake_kube.served.add("/apis/serving.kserve.io/v1alpha1")
    result = run_module(module, TPU_ARGS)
    assert result["api_version"] == "serving.kserve.io/v1alpha1"
    assert "/apis/serving.kserve.io/v1alpha1/namespaces/llm/llminferenceservices/qwen" in fake_kube.objects


def test_missing_crd_names_the_component(fake_kube, run_module):
    fake_kube.served.discard("/apis/serving.kserve.io/v1alpha2")
    result = run_module(module, TPU_ARGS, expect_failure=True)
    assert "does not serve LLMInferenceService" in result["msg"] and "KServe" in result["msg"]


def test_missing_crd_is_not_an_error_for_absent(fake_kube, run_module):
    fake_kube.served.discard("/apis/serving.kserve.io/v1alpha2")
    result = run_module(module, dict(name="qwen", namespace="llm", state="absent"))
    assert result["changed"] is False


def test_multi_node_worker_gets_accelerators_and_lws_child(fake_kube, run_module):
    args = dict(TPU_ARGS, parallelism=dict(tensor=4, data=8, data_local=1, expert=True), worker={})
    result = run_module(module, args)
    spec = fake_kube.objects[PATH]["spec"]
    assert spec["parallelism"] == {"tensor": 4, "data": 8, "dataLocal": 1, "expert": True}
    assert spec["worker"]["containers"][0]["resources"]["limits"]["google.com/tpu"] == "4"
    assert result["children"]["workload"] == "qwen-kserve-mn"
    assert result["children"]["workload_kind"] == "LeaderWorkerSet"


@pytest.mark.parametrize("override, option", [
    (dict(replicas=-1), "replicas"),
    (dict(parallelism=dict(tensor=0)), "parallelism.tensor"),
    (dict(model=dict(uri="hf://Qwen3-0.6B")), "model.uri"),
    (dict(model=dict(uri="Qwen/Qwen3-0.6B")), "model.uri"),
    (dict(model=None), "model.uri"),
    (dict(parallelism=dict(tensor=8)), "parallelism.tensor"),
    (dict(worker={}, parallelism=dict(tensor=4)), "worker"),
    (dict(parallelism=dict(data=8)), "parallelism.data_local"),
    (dict(labels={"llm-d.ai/model": "Qwen/Qwen3"}), "labels"),
    (dict(name="Qwen_3"), "name"),
    (dict(accelerator=dict(count=4)), "accelerator.resource_name"),
    (dict(router=dict(scheduler=dict(replicas=0))), "router.scheduler.replicas"),
])
def test_bad_input_fails_before_any_api_call(fake_kube, run_module, override, option):
    result = run_module(module, dict(TPU_ARGS, **override), expect_failure=True)
    assert result["msg"].startswith("Invalid arguments, nothing was sent")
    assert any(error.startswith(option + ":") for error in result["errors"]), result["errors"]
    assert fake_kube.requests == 0


def test_unknown_option_is_rejected(fake_kube, run_module):
    result = run_module(module, dict(TPU_ARGS, replica=1), expect_failure=True)
    assert "replica" in result["msg"]
    assert fake_kube.requests == 0


def test_label_value_with_slash_says_how_to_fix(fake_kube, run_module):
    result = run_module(module, dict(TPU_ARGS, labels={"model": "Qwen/Qwen3"}), expect_failure=True)
    assert "'/' is not allowed in label values" in result["msg"]


def test_wait_timeout_fails_with_the_reason_and_the_object(fake_kube, run_module, monkeypatch):
    from ansible_collections.llmd.xks.plugins.module_utils import _wait

    pending = {"type": "MODIFIED", "object": None}
    run_module(module, TPU_ARGS)
    obj = dict(fake_kube.objects[PATH], status={"observedGeneration": 1, "conditions": [
        {"type": "MainWorkloadReady", "status": "False", "reason": "MinimumReplicasUnavailable"},
        {"type": "Ready", "status": "False"}]})
    fake_kube.objects[PATH] = obj
    pending["object"] = obj
    fake_kube.pending_events = [pending]
    ticks = iter([0, 0] + [100] * 10)
    monkeypatch.setattr(_wait.time, "monotonic", lambda: next(ticks))
    result = run_module(module, dict(TPU_ARGS, wait=True, wait_timeout=10), expect_failure=True)
    assert result["msg"].startswith("Timed out after 10s") and "MinimumReplicasUnavailable" in result["msg"]
    assert result["reason"] == "MainWorkloadReady=False/MinimumReplicasUnavailable"
    assert result["resource"]["metadata"]["name"] == "qwen" and result["ready"] is False
