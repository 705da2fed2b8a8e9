#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wait
short_description: Wait until several Kubernetes objects are ready, in one task
version_added: 0.1.0
description:
  - Waits until every listed object exists and is ready, sharing one deadline. The roles use it to wait for what they
    installed without paying a task (and an API discovery) per object.
  - "Readiness per kind, unless the entry names a C(condition) type to wait for: C(CustomResourceDefinition)
    C(Established); C(Deployment) all replicas updated and available; C(Service) at least one ready endpoint in its
    EndpointSlices (a webhook that can answer); C(Gateway) C(Programmed); C(LeaderWorkerSet) C(Available); other
    kinds only need to exist."
  - Conditions are only trusted when the controller observed the current generation.
  - An API server that is briefly away (unreachable, 429 or 5xx) is polled again until the shared deadline; only an
    outage that outlasts it fails the task, with the message naming the server.
  - Reads only; never reports a change. In check mode a missing object or kind is reported as not ready with a warning
    instead of failing, because an earlier task may only have predicted its creation.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
options:
  objects:
    description:
      - The objects to wait for, each a mapping with C(api_version), C(kind), C(name), C(namespace) (for a
        namespaced object) and optionally C(condition), a condition type that must be C(True) instead of the
        kind's default readiness.
      - Other keys are ignored, so the RV(llmd.xks.apply_set#module:results) of M(llmd.xks.apply_set) can be passed
        as they are.
    type: list
    elements: dict
    required: true
  timeout:
    description:
      - Seconds to wait for all objects together.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two reads of an object that is not ready yet.
    type: int
    default: 2
attributes:
  check_mode:
    description: Runs in check mode; missing objects are reported instead of failing.
    support: full
  diff_mode:
    description: Read-only; returns no diff.
    support: N/A
  action_group:
    description: Use C(group/llmd.xks.llmd) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - llmd.xks.llmd
"""

EXAMPLES = r"""
- name: Wait for the controller, its CRD and its webhook
  llmd.xks.wait:
    objects:
      - {api_version: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: leaderworkersets.leaderworkerset.x-k8s.io}
      - {api_version: apps/v1, kind: Deployment, namespace: lws-system, name: lws-controller-manager}
      - {api_version: v1, kind: Service, namespace: lws-system, name: lws-webhook-service}
    timeout: 300

- name: Wait until Istio is Ready
  llmd.xks.wait:
    objects:
      - {api_version: sailoperator.io/v1, kind: Istio, name: default, condition: Ready}
"""

RETURN = r"""
results:
  description: One entry per object with C(kind), C(name), C(namespace), C(ready) and C(reason).
  returned: always
  type: list
  elements: dict
ready:
  description: Whether every object is ready.
  returned: always
  type: bool
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._discovery import Resolver
from ansible_collections.llmd.xks.plugins.module_utils._kubernetes_core import missing_dependency_message
from ansible_collections.llmd.xks.plugins.module_utils._module import connect, connection_argument_spec
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError
from ansible_collections.llmd.xks.plugins.module_utils._wait import (
    FAILED,
    PENDING,
    READY,
    Verdict,
    condition_ready,
    predicate_for,
    transient,
    workload_pod_problems,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        objects=dict(type="list", elements="dict", required=True),
        timeout=dict(type="int", default=300),
        poll_interval=dict(type="int", default=2),
    )
    return spec


def endpoints_ready(client, namespace, service):
    listing = client.list("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" % namespace,
                          label_selector="kubernetes.io/service-name=%s" % service)
    for item in listing.get("items", []):
        for endpoint in item.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready"):
                return Verdict(READY)
    return Verdict(PENDING, "NoReadyEndpoint", "Service %s/%s has no ready endpoint yet" % (namespace, service))


class Waiter(object):
    def __init__(self, client, check_mode):
        self.client = client
        self.check_mode = check_mode
        self.resolver = Resolver(client)
        self.warnings = []
        self.last = None

    def pod_problems(self):
        """Why the pods of the last workload read are not ready (scheduler and kubelet reasons)."""
        if not self.last or self.last.get("kind") not in WORKLOAD_KINDS:
            return []
        return workload_pod_problems(self.client, self.last)

    def verdict(self, spec):
        """Verdict for one object now; None when it cannot exist yet (check mode)."""
        kind, namespace, name = spec["kind"], spec.get("namespace"), spec["name"]
        try:
            rtype = self.resolver.resolve(spec["api_version"], kind)
        except MissingCRDError as exc:
            if self.check_mode:
                self.warnings.append("%s (check mode: not waiting for %s %s)" % (exc, kind, name))
                return None
            self.resolver.forget(spec["api_version"])
            return Verdict(PENDING, "KindNotServed", str(exc))
        obj = self.client.get_or_none(rtype.path(spec["api_version"], namespace if rtype.namespaced else None, name))
        self.last = obj
        if obj is None:
            if self.check_mode:
                self.warnings.append("%s %s does not exist (check mode: not waiting for it)" % (kind, name))
                return None
            return Verdict(PENDING, "NotFound", "%s %s does not exist yet" % (kind, name))
        if kind == "Service" and spec["api_version"] == "v1" and not spec.get("condition"):
            return endpoints_ready(self.client, namespace, name)
        if spec.get("condition"):
            return condition_ready(spec["condition"])(obj)
        if kind == "CustomResourceDefinition":
            return condition_ready("Established")(obj)
        return predicate_for(kind)(obj)


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "LeaderWorkerSet")


def describe(spec):
    return "%s %s%s" % (spec["kind"], spec["namespace"] + "/" if spec.get("namespace") else "", spec["name"])


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    msg, exc = missing_dependency_message()
    if msg:
        module.fail_json(msg=msg, exception=exc)
    params = module.params
    errors = ["objects[%d]: %s is required" % (i, key) for i, spec in enumerate(params["objects"])
              for key in ("api_version", "kind", "name") if not spec.get(key)]
    if errors:
        module.fail_json(msg="Invalid arguments, nothing was sent to the cluster: " + "; ".join(errors))
    client = connect(module)
    waiter = Waiter(client, module.check_mode)
    deadline = time.monotonic() + params["timeout"]
    results = []
    try:
        for spec in params["objects"]:
            while True:
                try:
                    verdict = waiter.verdict(spec)
                except (ApiError, UnreachableError) as err:
                    if not transient(err) or time.monotonic() >= deadline:
                        raise
                    verdict = Verdict(PENDING, "APIUnavailable", str(err))  # retried until the deadline
                if verdict is None or verdict.state != PENDING or time.monotonic() >= deadline:
                    break
                time.sleep(max(0.2, min(params["poll_interval"], deadline - time.monotonic())))
            entry = dict(kind=spec["kind"], name=spec["name"], namespace=spec.get("namespace"),
                         ready=bool(verdict and verdict.state == READY),
                         reason=verdict.describe() if verdict else "skipped in check mode")
            results.append(entry)
            if verdict is not None and verdict.state in (PENDING, FAILED):
                what = "timed out after %ss waiting for" % params["timeout"] if verdict.state == PENDING else "failed:"
                problems = waiter.pod_problems()
                pods = "; pods: %s" % "; ".join(problems) if problems else ""
                module.fail_json(msg="%s %s: %s%s" % (what, describe(spec), verdict.describe(), pods), results=results,
                                 ready=False, api_requests=client.requests)
    except UnreachableError as err:
        module.fail_json(msg=str(err), results=results, ready=False, api_requests=client.requests)
    except ApiError as err:
        module.fail_json(msg="Kubernetes API error: %s" % err, results=results, ready=False, api_requests=client.requests)
    for warning in waiter.warnings:
        module.warn(warning)
    module.exit_json(changed=False, results=results, ready=all(r["ready"] for r in results), api_requests=client.requests)


if __name__ == "__main__":
    main()
