# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _wait as w
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
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


class FlakyFake(WatchingFake):
    """The API server goes away for ``outage`` calls (watch or get), then answers again."""

    def __init__(self, first, events, outage, error):
        super(FlakyFake, self).__init__(first, events)
        self.outage, self.error, self.failed = outage, error, 0

    def _maybe_fail(self):
        if self.failed < self.outage:
            self.failed += 1
            raise self.error

    def get(self, path):
        self._maybe_fail()
        return super(FlakyFake, self).get(path)

    def watch(self, path, resource_version, field_selector=None, timeout_seconds=30):
        self._maybe_fail()
        return super(FlakyFake, self).watch(path, resource_version, field_selector, timeout_seconds)


class FakeTime(object):
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("error", [
    UnreachableError("The Kubernetes API at https://127.0.0.1:1 refused or failed the connection"),
    ApiError(503, "Service Unavailable", {"message": "etcd is not ready"}),
])
def test_a_short_outage_during_the_wait_is_retried_inside_the_deadline(error):
    pending = llmisvc(Ready=("Unknown", "", ""))
    ready = llmisvc(Ready=("True", "", ""))
    fake = FlakyFake(pending, [{"type": "MODIFIED", "object": ready}], outage=3, error=error)
    time_ = FakeTime()
    obj = w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready,
                     60, clock=time_.clock, sleep=time_.sleep, initial=dict(pending, metadata=dict(pending["metadata"], resourceVersion="1")))
    assert obj is ready
    assert time_.slept == [1.0, 2.0, 4.0] and fake.failed == 3


def test_an_outage_longer_than_the_wait_fails_at_the_deadline_with_the_servers_message():
    pending = llmisvc(Ready=("Unknown", "", ""))
    fake = FlakyFake(pending, [], outage=10 ** 6, error=UnreachableError("The Kubernetes API at https://x did not answer"))
    time_ = FakeTime()
    with pytest.raises(UnreachableError) as caught:
        w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready,
                   12, clock=time_.clock, sleep=time_.sleep)
    assert "https://x did not answer" in str(caught.value)
    assert time_.now == 12 and sum(time_.slept) == 12


def test_a_permanent_api_error_is_not_retried():
    fake = FlakyFake(llmisvc(Ready=("Unknown", "", "")), [], outage=1, error=ApiError(403, "Forbidden", {"message": "no"}))
    time_ = FakeTime()
    with pytest.raises(ApiError):
        w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready,
                   60, clock=time_.clock, sleep=time_.sleep)
    assert time_.slept == []


def test_a_wait_stops_when_its_ansible_playbook_is_gone(monkeypatch):
    pending = llmisvc(Ready=("Unknown", "", ""))
    fake = WatchingFake(pending, [])
    monkeypatch.setattr(w, "controlling_play", lambda: (4242, "100"))
    monkeypatch.setattr(w, "_stat", lambda pid: None)  # the process is gone
    with pytest.raises(w.WaitAbandoned) as caught:
        w.wait_for(fake, LLM_INFERENCE_SERVICE, "serving.kserve.io/v1alpha2", "llm", "q", w.llm_inference_service_ready, 600)
    assert "the ansible-playbook that started this task (pid 4242) has ended" in str(caught.value)


def test_the_controlling_play_is_found_among_the_ancestors(tmp_path):
    """A python process started as .../ansible-playbook is found from its child; this pytest process has none."""
    import os
    import subprocess
    import sys

    child = ("import os; from ansible_collections.llmd.xks.plugins.module_utils import _wait; "
             "play = _wait.controlling_play(); print(play[0] == os.getppid(), _wait.play_alive(play))")
    script = tmp_path / "ansible-playbook"
    script.write_text("import subprocess, sys\nsys.stdout.write(subprocess.run([sys.executable, '-c', %r], "
                      "capture_output=True, text=True).stdout)\n" % child)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == ["True", "True"]
    assert w.controlling_play() is None
