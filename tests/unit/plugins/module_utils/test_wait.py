# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _wait as w
from ansible_collections.llmd.xks.plugins.module_utils._resources import HTTP_ROUTE, LLM_INFERENCE_SERVICE


def llmisvc(generation=2, observed=2, **conditions):
    return {"metadata": {"name": "q", "namespace": "llm", "generation": generation, "resourceVersion": "1"},
            "status": {"observedGeneration": observed,
                       "conditions": [dict(type=t, status=s[0], reason=s[1], message=s[2]) for t, s in conditions.items()]}}


def test_llmisvc_ready_needs_current_generation():
    stale = llmisvc(generation=3, observed=2, Ready=("True", "", ""))
    assert w.llm_inference_service_ready(stale).state == w.PENDING
    assert w.llm_inference_service_ready(llmisvc(Ready=("True", "", ""))).state == w.READY


def test_llmisvc_missing_preset_fails_fast():
    verdict = w.llm_inference_service_ready(llmisvc(PresetsCombined=("False", "ConfigNotFound", "config x not found"),
                                                    Ready=("Unknown", "", "")))
    assert verdict.state == w.FAILED and "ConfigNotFound" in verdict.reason


def test_llmisvc_pending_reports_the_failing_subcondition():
    verdict = w.llm_inference_service_ready(llmisvc(
        MainWorkloadReady=("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
        Ready=("False", "MinimumReplicasUnavailable", "")))
    assert verdict.state == w.PENDING and verdict.reason == "MainWorkloadReady=False/MinimumReplicasUnavailable"


def test_llmisvc_without_status_names_the_controller():
    verdict = w.llm_inference_service_ready({"metadata": {"generation": 1}})
    assert verdict.state == w.PENDING and "llmisvc-controller-manager" in verdict.message


def route(parents, generation=1):
    return {"metadata": {"namespace": "llm", "generation": generation},
            "spec": {"parentRefs": [{"name": "gw"}]}, "status": {"parents": parents}}


def parent(accepted=("True", "Accepted"), resolved=("True", "ResolvedRefs"), observed=1, name="gw"):
    return {"parentRef": {"name": name, "namespace": "llm", "group": "gateway.networking.k8s.io", "kind": "Gateway"},
            "conditions": [dict(type="Accepted", status=accepted[0], reason=accepted[1], observedGeneration=observed),
                           dict(type="ResolvedRefs", status=resolved[0], reason=resolved[1], observedGeneration=observed)]}


@pytest.mark.parametrize("parents, generation, state", [
    ([parent()], 1, w.READY),
    ([], 1, w.PENDING),
    ([parent(observed=1)], 2, w.PENDING),
    ([parent(name="other")], 1, w.PENDING),
    ([parent(resolved=("False", "BackendNotFound"))], 1, w.PENDING),
    ([parent(resolved=("False", "InvalidKind"))], 1, w.FAILED),
    ([parent(accepted=("False", "NotAllowedByListeners"))], 1, w.FAILED),
])
def test_http_route_ready(parents, generation, state):
    assert w.http_route_ready(route(parents, generation)).state == state


def pool(entries, generation=1, key="parents"):
    return {"metadata": {"namespace": "llm", "generation": generation}, "status": {key: entries}}


def test_inference_pool_ready_per_gateway():
    accepted = {"parentRef": {"name": "gw", "namespace": "llm", "kind": "Gateway"},
                "conditions": [{"type": "Accepted", "status": "True", "observedGeneration": 1},
                               {"type": "ResolvedRefs", "status": "True", "observedGeneration": 1}]}
    placeholder = {"parentRef": {"kind": "Status", "name": "default"}, "conditions": [{"type": "Accepted", "status": "Unknown"}]}
    assert w.inference_pool_ready(pool([placeholder])).state == w.PENDING
    assert w.inference_pool_ready(pool([placeholder, accepted])).state == w.READY
    assert w.inference_pool_ready(pool([accepted]), gateways=["llm/gw"]).state == w.READY
    assert w.inference_pool_ready(pool([accepted]), gateways=["llm/gw", "llm/other"]).state == w.PENDING
    assert w.inference_pool_ready(pool([accepted], generation=2)).state == w.PENDING
    assert w.inference_pool_ready(pool([accepted], key="parent")).state == w.READY  # v1alpha2 shape
    unresolved = dict(accepted, conditions=[{"type": "Accepted", "status": "True", "observedGeneration": 1},
                                            {"type": "ResolvedRefs", "status": "False", "reason": "InvalidExtensionRef"}])
    verdict = w.inference_pool_ready(pool([unresolved]))
    assert verdict.state == w.PENDING and "InvalidExtensionRef" in verdict.reason


def test_deployment_progress_deadline_fails_fast():
    obj = {"metadata": {"generation": 1}, "spec": {"replicas": 1},
           "status": {"observedGeneration": 1, "conditions": [
               {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}}
    assert w.deployment_ready(obj).state == w.FAILED


class WatchingFake(object):
    """Serves one GET, then the given watch events; counts requests."""

    def __init__(self, first, events):
        self.first, self.events, self.requests = first, events, 0

    def get(self, path):
        self.requests += 1
        return self.first

    def watch(self, path, resource_version, field_selector=None, timeout_seconds=30):
        self.requests += 1
        assert field_selector == "metadata.name=q"
        events, self.events = self.events, []
        yield from events

    def list(self, path, label_selector=None):
        return {"items": [{"metadata": {"name": "q-kserve-1"}, "status": {"conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/3 nodes are available: 3 Insufficient google.com/tpu."}]}}]}


def test_wait_follows_the_watch_until_ready():
    pending = llmisvc(Ready=("Unknown", "", ""))
    ready = llmisvc(Ready=("True", "", ""))
    fake = WatchingFake(pending, [{"type": "MODIFIED", "object": pending}, {"type": "MODIFIED", "object": ready}])
    obj = w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready, 30)
    assert obj is ready and fake.requests == 2


def test_wait_stops_early_on_failure():
    failing = llmisvc(PresetsCombined=("False", "ConfigNotFound", "kserve-config-x not found"))
    fake = WatchingFake(llmisvc(Ready=("Unknown", "", "")), [{"type": "MODIFIED", "object": failing}])
    with pytest.raises(w.WaitFailed) as caught:
        w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready, 30)
    assert "ConfigNotFound" in str(caught.value)


def test_timeout_reports_the_scheduler_reason():
    pending = llmisvc(MainWorkloadReady=("False", "MinimumReplicasUnavailable", ""), Ready=("False", "", ""))
    fake = WatchingFake(pending, [])
    ticks = iter([0, 0, 100, 100, 100])
    with pytest.raises(w.WaitTimeout) as caught:
        w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready, 10,
                   diagnose=lambda obj: w.pod_problems(fake, "llm", "x=y"), clock=lambda: next(ticks))
    message = str(caught.value)
    assert message.startswith("Timed out after 10s")
    assert "Insufficient google.com/tpu" in message and "MinimumReplicasUnavailable" in message


def test_deleted_while_waiting_fails():
    fake = WatchingFake(route([], 1), [{"type": "DELETED", "object": {}}])
    with pytest.raises(w.WaitFailed):
        w.wait_for(fake, HTTP_ROUTE, "gateway.networking.k8s.io/v1", "llm", "q", w.http_route_ready, 30)
