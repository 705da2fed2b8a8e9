# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: readiness predicates and watch-based waits.

A wait reads the object once, then follows a watch on it (no fixed sleeps). Every predicate first
checks that the controller has observed the current generation, so a stale ``Ready`` from the
previous spec never counts. Terminal failures stop the wait early; a timeout reports the last
reason the controllers gave, plus the scheduler's reason for Pending pods. An API server that is
briefly away (unreachable, restarting, 429/5xx) is retried until the wait's own deadline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError

READY = "ready"
PENDING = "pending"
FAILED = "failed"


class Verdict(object):
    def __init__(self, state, reason="", message=""):
        self.state = state
        self.reason = reason
        self.message = message

    def __repr__(self):
        return "Verdict(%s, %s, %s)" % (self.state, self.reason, self.message)

    def describe(self):
        return ": ".join(part for part in (self.reason, self.message) if part)


def conditions_by_type(conditions):
    return dict((c.get("type"), c) for c in conditions or [] if isinstance(c, dict))


def _is_true(condition):
    return condition is not None and str(condition.get("status")) == "True"


def _is_false(condition):
    return condition is not None and str(condition.get("status")) == "False"


def _stale(obj, condition=None):
    generation = obj.get("metadata", {}).get("generation") or 0
    if condition is not None and condition.get("observedGeneration") is not None:
        return condition["observedGeneration"] < generation
    observed = (obj.get("status") or {}).get("observedGeneration")
    return observed is not None and observed < generation


def _not_observed(obj):
    generation = obj.get("metadata", {}).get("generation") or 0
    observed = (obj.get("status") or {}).get("observedGeneration")
    return observed is None or observed < generation


LLMISVC_SUBCONDITIONS = (
    "PresetsCombined", "MainWorkloadReady", "WorkerWorkloadReady", "PrefillWorkloadReady",
    "PrefillWorkerWorkloadReady", "SchedulerWorkloadReady", "GatewaysReady", "HTTPRoutesReady",
    "InferencePoolReady", "WorkloadsReady", "RouterReady",
)
LLMISVC_TERMINAL_REASONS = ("ConfigNotFound", "CombineBaseError", "Stopped", "RefsInvalid")


def llm_inference_service_ready(obj):
    status = obj.get("status") or {}
    if not status.get("conditions"):
        return Verdict(PENDING, "NoStatus", "the LLMInferenceService controller has not reported any status yet "
                       "(is llmisvc-controller-manager running?)")
    if _not_observed(obj):
        return Verdict(PENDING, "NotObserved", "the controller has not observed generation %s yet"
                       % obj.get("metadata", {}).get("generation"))
    conditions = conditions_by_type(status["conditions"])
    if _is_true(conditions.get("Ready")):
        return Verdict(READY)
    for ctype in LLMISVC_SUBCONDITIONS:
        condition = conditions.get(ctype)
        if _is_false(condition):
            reason = condition.get("reason", "")
            state = FAILED if reason in LLMISVC_TERMINAL_REASONS else PENDING
            return Verdict(state, "%s=False/%s" % (ctype, reason), condition.get("message", ""))
    ready = conditions.get("Ready") or {}
    return Verdict(PENDING, "Ready=%s/%s" % (ready.get("status", "Unknown"), ready.get("reason", "")), ready.get("message", ""))


ROUTE_TERMINAL_REASONS = ("NotAllowedByListeners", "InvalidKind", "RefNotPermitted", "UnsupportedValue")


def _parent_key(ref, default_namespace):
    return (
        ref.get("group") or "gateway.networking.k8s.io",
        ref.get("kind") or "Gateway",
        ref.get("namespace") or default_namespace,
        ref.get("name"),
        ref.get("sectionName") or "",
        ref.get("port") or 0,
    )


def http_route_ready(obj):
    namespace = obj.get("metadata", {}).get("namespace")
    parents = dict(
        (_parent_key(p.get("parentRef") or {}, namespace), p) for p in (obj.get("status") or {}).get("parents") or []
    )
    for ref in (obj.get("spec") or {}).get("parentRefs") or []:
        key = _parent_key(ref, namespace)
        entry = parents.get(key)
        label = "%s/%s" % (key[2], key[3])
        if entry is None:
            return Verdict(PENDING, "NoParentStatus", "gateway %s has not reported on this route yet" % label)
        conditions = conditions_by_type(entry.get("conditions"))
        for ctype in ("Accepted", "ResolvedRefs"):
            condition = conditions.get(ctype)
            if condition is None or _stale(obj, condition):
                return Verdict(PENDING, "%sPending" % ctype, "gateway %s has not evaluated generation %s yet"
                               % (label, obj["metadata"].get("generation")))
            if not _is_true(condition):
                reason = condition.get("reason", "")
                state = FAILED if reason in ROUTE_TERMINAL_REASONS else PENDING
                return Verdict(state, "%s=False/%s" % (ctype, reason), "gateway %s: %s" % (label, condition.get("message", "")))
    return Verdict(READY)


def inference_pool_ready(obj, gateways=None):
    """Accepted by at least one gateway, or by each gateway named in ``gateways`` ("ns/name")."""
    status = obj.get("status") or {}
    namespace = obj.get("metadata", {}).get("namespace")
    entries = status.get("parents") or status.get("parent") or []
    accepted = {}
    last = Verdict(PENDING, "NoParentStatus", "no gateway has accepted a route to this pool yet")
    for entry in entries:
        ref = entry.get("parentRef") or entry.get("gatewayRef") or {}
        if ref.get("kind") == "Status":
            continue
        label = "%s/%s" % (ref.get("namespace") or namespace, ref.get("name"))
        conditions = conditions_by_type(entry.get("conditions"))
        condition = conditions.get("Accepted")
        if condition is None or _stale(obj, condition):
            last = Verdict(PENDING, "AcceptedPending", "gateway %s has not evaluated this pool yet" % label)
            continue
        if not _is_true(condition):
            last = Verdict(PENDING, "Accepted=False/%s" % condition.get("reason", ""), "gateway %s: %s" % (label, condition.get("message", "")))
            continue
        resolved = conditions.get("ResolvedRefs")
        if _is_false(resolved):
            last = Verdict(PENDING, "ResolvedRefs=False/%s" % resolved.get("reason", ""), "gateway %s: %s" % (label, resolved.get("message", "")))
            continue
        accepted[label] = True
    if gateways:
        missing = [g for g in gateways if g not in accepted]
        if not missing:
            return Verdict(READY)
        return last if last.reason != "NoParentStatus" else Verdict(PENDING, "NoParentStatus", "not yet accepted by %s" % ", ".join(missing))
    return Verdict(READY) if accepted else last


def deployment_ready(obj):
    if _not_observed(obj):
        return Verdict(PENDING, "NotObserved", "the Deployment controller has not observed the new spec yet")
    status = obj.get("status") or {}
    conditions = conditions_by_type(status.get("conditions"))
    progressing = conditions.get("Progressing")
    if _is_false(progressing) and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Verdict(FAILED, "ProgressDeadlineExceeded", progressing.get("message", ""))
    want = (obj.get("spec") or {}).get("replicas", 1)
    if status.get("updatedReplicas", 0) >= want and status.get("availableReplicas", 0) >= want and _is_true(conditions.get("Available")):
        return Verdict(READY)
    return Verdict(PENDING, "ReplicasNotAvailable", "%s of %s replicas available" % (status.get("availableReplicas", 0), want))


def condition_ready(condition_type):
    def predicate(obj):
        if _not_observed(obj) and (obj.get("status") or {}).get("observedGeneration") is not None:
            return Verdict(PENDING, "NotObserved", "the controller has not observed the new spec yet")
        condition = conditions_by_type((obj.get("status") or {}).get("conditions")).get(condition_type)
        if _is_true(condition) and not _stale(obj, condition):
            return Verdict(READY)
        if condition is None:
            return Verdict(PENDING, "%sMissing" % condition_type, "no %s condition yet" % condition_type)
        return Verdict(PENDING, "%s=%s/%s" % (condition_type, condition.get("status"), condition.get("reason", "")), condition.get("message", ""))
    return predicate


def exists(obj):
    return Verdict(READY)


PREDICATES = {
    "LLMInferenceService": llm_inference_service_ready,
    "HTTPRoute": http_route_ready,
    "InferencePool": inference_pool_ready,
    "Deployment": deployment_ready,
    "Gateway": condition_ready("Programmed"),
    "LeaderWorkerSet": condition_ready("Available"),
}


def predicate_for(kind):
    return PREDICATES.get(kind, exists)


def workload_pod_problems(client, obj):
    """Why the pods of a workload (Deployment, StatefulSet, LeaderWorkerSet) are not ready."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    if obj.get("kind") == "LeaderWorkerSet" or "leaderWorkerTemplate" in spec:
        selector = "leaderworkerset.sigs.k8s.io/name=%s" % meta.get("name")
    else:
        labels = (spec.get("selector") or {}).get("matchLabels") or {}
        selector = ",".join("%s=%s" % item for item in sorted(labels.items()))
    return pod_problems(client, meta.get("namespace"), selector) if selector and meta.get("namespace") else []


def pod_problems(client, namespace, label_selector, limit=3):
    """Scheduler and kubelet reasons for pods that are not Ready, e.g. 'Insufficient google.com/tpu'."""
    try:
        pods = client.list("/api/v1/namespaces/%s/pods" % namespace, label_selector=label_selector).get("items", [])
    except (ApiError, UnreachableError):
        return []
    problems = []
    for pod in pods:
        name = pod["metadata"]["name"]
        status = pod.get("status") or {}
        conditions = conditions_by_type(status.get("conditions"))
        scheduled = conditions.get("PodScheduled")
        if _is_false(scheduled):
            problems.append("pod %s is %s: %s" % (name, scheduled.get("reason", "Pending"), scheduled.get("message", "")))
            continue
        for cstatus in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            waiting = (cstatus.get("state") or {}).get("waiting")
            if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
                problems.append("pod %s container %s: %s %s" % (name, cstatus.get("name"), waiting.get("reason"), waiting.get("message", "")))
    return problems[:limit]


TRANSIENT_STATUS = (429, 500, 502, 503, 504)


def transient(exc):
    """An error a later request may not get: the server unreachable, restarting or overloaded."""
    return isinstance(exc, UnreachableError) or (isinstance(exc, ApiError) and exc.status in TRANSIENT_STATUS)


class WaitTimeout(Exception):
    def __init__(self, message, verdict, obj):
        super(WaitTimeout, self).__init__(message)
        self.verdict = verdict
        self.object = obj


class WaitFailed(WaitTimeout):
    pass


class WaitAbandoned(WaitTimeout):
    pass


def _stat(pid):
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None


def controlling_play():
    """(pid, start time) of the ansible-playbook this module runs under, or None (not Linux, or run otherwise).

    A killed ansible-playbook leaves its worker, and so this module, running; a wait stops when the play is gone.
    """
    pid, found = os.getppid(), None
    for _level in range(8):  # the worker that runs the module is a fork of ansible-playbook: take the topmost
        stat = _stat(pid)
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
        except (IOError, OSError):
            break
        if stat is None:
            break
        if any(os.path.basename(arg.decode("utf-8", "replace")).startswith("ansible-playbook") for arg in argv[:2]):
            found = (pid, stat[19])
        pid = int(stat[1])
        if pid <= 1:
            break
    return found


def play_alive(play):
    if play is None:
        return True
    stat = _stat(play[0])
    return stat is not None and stat[19] == play[1] and stat[0] not in ("Z", "X")


def wait_for(client, rtype, api_version, namespace, name, predicate, timeout, diagnose=None, clock=None, initial=None,
             sleep=None):
    """Follow the object until ``predicate`` says ready or failed. Returns the last object.

    ``initial`` is the object as just read or applied; without it the wait starts with a GET.
    Transient API errors are retried (1 s, doubling to 5 s) while the deadline allows.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    deadline = clock() + timeout
    item_path = rtype.path(api_version, namespace, name)
    collection_path = rtype.path(api_version, namespace)
    outage = {"since": None, "error": None, "backoff": 1.0}
    play = controlling_play()
    window = 15 if play else 60  # how soon a wait notices that its play was killed

    def retry_later(exc):
        if not transient(exc) or clock() >= deadline:
            raise exc
        if outage["since"] is None:
            outage["since"] = clock()
        outage["error"] = exc
        sleep(max(0.0, min(outage["backoff"], deadline - clock())))
        outage["backoff"] = min(5.0, outage["backoff"] * 2)

    def read():
        while True:
            try:
                got = client.get(item_path)
                outage.update(since=None, error=None, backoff=1.0)
                return got
            except (ApiError, UnreachableError) as exc:
                retry_later(exc)

    obj = initial if initial and initial.get("metadata", {}).get("resourceVersion") else read()
    verdict = predicate(obj)
    while verdict.state == PENDING:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        if not play_alive(play):
            raise WaitAbandoned("Stopped waiting for %s %s/%s: the ansible-playbook that started this task (pid %s) has "
                                "ended. Nothing more is written; re-run the play to finish" % (rtype.kind, namespace, name,
                                                                                               play[0]),
                                Verdict(PENDING, "PlayEnded", "ansible-playbook %s ended" % play[0]), obj)
        resource_version = obj["metadata"].get("resourceVersion")
        try:
            for event in client.watch(collection_path, resource_version, field_selector="metadata.name=" + name,
                                      timeout_seconds=min(remaining, window)):
                kind = event.get("type")
                payload = event.get("object") or {}
                if kind == "BOOKMARK":
                    obj["metadata"]["resourceVersion"] = payload.get("metadata", {}).get("resourceVersion")
                    continue
                if kind == "ERROR":
                    obj = read()  # 410 Gone: start over from a fresh read
                    break
                if kind == "DELETED":
                    verdict = Verdict(FAILED, "Deleted", "%s %s was deleted while waiting" % (rtype.kind, name))
                    break
                obj = payload
                verdict = predicate(obj)
                if verdict.state != PENDING or clock() >= deadline:
                    break
        except (ApiError, UnreachableError) as exc:
            if not (isinstance(exc, ApiError) and exc.status == 410):
                retry_later(exc)
            obj = read()
            verdict = predicate(obj)
    if verdict.state == READY:
        return obj
    details = diagnose(obj) if diagnose else []
    text = verdict.describe()
    if details:
        text = "%s; %s" % (text, "; ".join(details)) if text else "; ".join(details)
    if verdict.state == FAILED:
        raise WaitFailed("%s %s/%s failed: %s" % (rtype.kind, namespace, name, text), verdict, obj)
    raise WaitTimeout("Timed out after %.0fs waiting for %s %s/%s to become ready: %s" % (timeout, rtype.kind, namespace, name, text),
                      verdict, obj)
