# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.modules import apply_set as module

MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: epp}
spec: {replicas: 1}
---
apiVersion: v1
kind: Namespace
metadata: {name: llm}
---
apiVersion: v1
kind: Secret
metadata: {name: hf-token}
stringData: {token: s3cr3t, HF_TOKEN: s3cr3t}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: models}
spec: {parentRefs: [{name: gw}]}
"""


def test_applies_in_dependency_order_with_the_set_label(fake_kube, run_module):
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm", set_name="demo"))
    assert result["changed"] and result["counts"] == {"created": 4}
    assert [r["kind"] for r in result["results"]] == ["Namespace", "Secret", "Deployment", "HTTPRoute"]
    deployment = fake_kube.objects["/apis/apps/v1/namespaces/llm/deployments/epp"]
    assert deployment["metadata"]["labels"]["llmd.xks/apply-set"] == "demo"
    assert "namespace" not in fake_kube.objects["/api/v1/namespaces/llm"]["metadata"]


def test_second_run_is_one_get_per_object(fake_kube, run_module):
    run_module(module, dict(definitions=MANIFESTS, namespace="llm", set_name="demo"))
    fake_kube.requests = 0
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm", set_name="demo"))
    assert result["changed"] is False and result["counts"] == {"unchanged": 4}
    # one discovery request for the HTTPRoute group, then one GET per object
    assert result["api_requests"] == 5


def test_secret_values_are_masked_in_the_diff(fake_kube, run_module):
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm"), diff=True)
    secret_diff = [d for d in result["diff"] if d["after_header"].startswith("Secret")][0]
    assert secret_diff["after"]["data"] == {"token": "********", "HF_TOKEN": "********"}
    assert "s3cr3t" not in str(result) and "czNjcjN0" not in str(result)  # nor its base64


def test_secret_string_data_is_idempotent(fake_kube, run_module):
    run_module(module, dict(definitions=MANIFESTS, namespace="llm"))
    stored = fake_kube.objects["/api/v1/namespaces/llm/secrets/hf-token"]
    assert stored["data"]["token"] == "czNjcjN0" and "stringData" not in stored
    assert run_module(module, dict(definitions=MANIFESTS, namespace="llm"))["changed"] is False


def test_missing_crd_fails_before_any_write(fake_kube, run_module):
    fake_kube.served.discard("/apis/gateway.networking.k8s.io/v1")
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm"), expect_failure=True)
    assert "Nothing was applied" in result["msg"] and "HTTPRoute" in result["msg"]
    assert not [c for c in fake_kube.calls if c[0] == "PATCH"]


def test_rejected_object_fails_before_any_real_write(fake_kube, run_module):
    fake_kube.reject = lambda body: "spec.replicas: must be >= 0" if body["kind"] == "Deployment" else None
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm"), expect_failure=True)
    assert "Nothing was applied" in result["msg"] and "Deployment llm/epp" in result["msg"]
    assert not [c for c in fake_kube.calls if c[0] == "PATCH" and not c[2]["dry_run"]]
    assert fake_kube.objects == {}


def test_prune_removes_what_left_the_set(fake_kube, run_module):
    run_module(module, dict(definitions=MANIFESTS, namespace="llm", set_name="demo"))
    smaller = MANIFESTS.replace("kind: Deployment\nmetadata: {name: epp}", "kind: Deployment\nmetadata: {name: epp2}")
    result = run_module(module, dict(definitions=smaller, namespace="llm", set_name="demo", prune=True))
    actions = dict((r["key"], r["action"]) for r in result["results"])
    assert actions["Deployment llm/epp"] == "pruned"
    assert actions["Deployment llm/epp2"] == "created"
    assert "/apis/apps/v1/namespaces/llm/deployments/epp" not in fake_kube.objects


def test_prune_needs_a_set_name(fake_kube, run_module):
    result = run_module(module, dict(definitions=MANIFESTS, prune=True), expect_failure=True)
    assert "set_name" in result["msg"]


def test_absent_deletes_in_reverse_order_and_is_idempotent(fake_kube, run_module):
    run_module(module, dict(definitions=MANIFESTS, namespace="llm"))
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm", state="absent"))
    assert [r["kind"] for r in result["results"]] == ["HTTPRoute", "Deployment", "Secret", "Namespace"]
    assert fake_kube.objects == {}
    assert run_module(module, dict(definitions=MANIFESTS, namespace="llm", state="absent"))["changed"] is False


def test_invalid_definitions(fake_kube, run_module):
    result = run_module(module, dict(definitions=[{"kind": "ConfigMap", "metadata": {}}]), expect_failure=True)
    assert "definitions[0].apiVersion" in result["msg"] and "definitions[0].metadata.name" in result["msg"]
    assert fake_kube.requests == 0


def test_check_mode_changes_nothing(fake_kube, run_module):
    result = run_module(module, dict(definitions=MANIFESTS, namespace="llm"), check_mode=True)
    assert result["changed"] and fake_kube.objects == {}


def test_prune_removes_a_kind_that_left_the_set_entirely(fake_kube, run_module):
    run_module(module, dict(definitions=MANIFESTS, namespace="llm", set_name="demo", prune=True))
    without_secret = "---".join(doc for doc in MANIFESTS.split("---") if "kind: Secret" not in doc)
    result = run_module(module, dict(definitions=without_secret, namespace="llm", set_name="demo", prune=True))
    assert dict((r["key"], r["action"]) for r in result["results"])["Secret llm/hf-token"] == "pruned"
    assert "/api/v1/namespaces/llm/secrets/hf-token" not in fake_kube.objects


def test_a_status_block_in_a_manifest_is_ignored(fake_kube, run_module):
    with_status = MANIFESTS.replace("spec: {replicas: 1}", "spec: {replicas: 1}\nstatus: {replicas: 0}")
    run_module(module, dict(definitions=with_status, namespace="llm"))
    assert "status" not in fake_kube.objects["/apis/apps/v1/namespaces/llm/deployments/epp"]
    assert run_module(module, dict(definitions=with_status, namespace="llm"))["changed"] is False
