# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.modules import wait as module

DEPLOYMENT = {"api_version": "apps/v1", "kind": "Deployment", "namespace": "ops", "name": "ctl"}
SERVICE = {"api_version": "v1", "kind": "Service", "namespace": "ops", "name": "ctl-webhook"}
CRD = {"api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "things.example.com"}


def put(fake, path, obj):
    fake.objects[path] = obj


def ready_deployment(fake):
    put(fake, "/apis/apps/v1/namespaces/ops/deployments/ctl", {
        "metadata": {"name": "ctl", "generation": 2}, "spec": {"replicas": 1},
        "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1,
                   "conditions": [{"type": "Available", "status": "True"}]}})


def test_ready_objects_take_one_read_each_and_change_nothing(fake_kube, run_module):
    fake_kube.served.update(["/apis/apiextensions.k8s.io/v1", "/apis/discovery.k8s.io/v1"])
    ready_deployment(fake_kube)
    put(fake_kube, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.com", {
        "metadata": {"name": "things.example.com", "generation": 1},
        "status": {"conditions": [{"type": "Established", "status": "True"}]}})
    put(fake_kube, "/api/v1/namespaces/ops/services/ctl-webhook", {"metadata": {"name": "ctl-webhook"}})
    put(fake_kube, "/apis/discovery.k8s.io/v1/namespaces/ops/endpointslices/ctl-webhook-abc", {
        "metadata": {"name": "ctl-webhook-abc", "labels": {"kubernetes.io/service-name": "ctl-webhook"}},
        "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}]})
    extra = dict(DEPLOYMENT, action="unchanged", changed=False, key="Deployment ops/ctl")  # apply_set result shape
    result = run_module(module, dict(objects=[extra, CRD, SERVICE]))
    assert result["changed"] is False and result["ready"] is True
    assert [r["ready"] for r in result["results"]] == [True, True, True]
    assert result["api_requests"] == 4


def test_not_ready_times_out_with_the_reason(fake_kube, run_module):
    put(fake_kube, "/apis/apps/v1/namespaces/ops/deployments/ctl", {
        "metadata": {"name": "ctl", "generation": 1}, "spec": {"replicas": 2},
        "status": {"observedGeneration": 1, "availableReplicas": 1}})
    result = run_module(module, dict(objects=[DEPLOYMENT], timeout=1, poll_interval=1), expect_failure=True)
    assert result["msg"] == "timed out after 1s waiting for Deployment ops/ctl: ReplicasNotAvailable: 1 of 2 replicas available"


def test_condition_and_missing_object(fake_kube, run_module):
    fake_kube.served.add("/apis/sailoperator.io/v1")
    fake_kube.DISCOVERY = dict(fake_kube.DISCOVERY, **{"/apis/sailoperator.io/v1": [
        {"name": "istios", "kind": "Istio", "namespaced": False}]})
    istio = {"api_version": "sailoperator.io/v1", "kind": "Istio", "name": "default", "condition": "Ready"}
    result = run_module(module, dict(objects=[istio], timeout=1, poll_interval=1), expect_failure=True)
    assert "Istio default does not exist yet" in result["msg"]
    predicted = run_module(module, dict(objects=[istio]), check_mode=True)
    assert predicted["results"][0]["reason"] == "skipped in check mode"
    put(fake_kube, "/apis/sailoperator.io/v1/istios/default", {
        "metadata": {"name": "default", "generation": 1},
        "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True"}]}})
    assert run_module(module, dict(objects=[istio]))["ready"] is True


def test_missing_kind_fails_outside_check_mode(fake_kube, run_module):
    thing = {"api_version": "example.com/v1", "kind": "Thing", "name": "x"}
    result = run_module(module, dict(objects=[thing], timeout=1, poll_interval=1), expect_failure=True)
    assert "does not serve Thing" in result["msg"]
    result = run_module(module, dict(objects=[{"kind": "Thing"}]), expect_failure=True)
    assert result["msg"].startswith("Invalid arguments") and "objects[0]: api_version is required" in result["msg"]
