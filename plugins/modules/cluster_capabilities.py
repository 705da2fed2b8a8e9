#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_capabilities
short_description: Report what the cluster serves, for preflight checks
version_added: 0.1.0
description:
  - Reads the served API group/versions (two requests), the Kubernetes version, and, when the sail-operator
    C(Istio) API is served, the Istio version.
  - With O(exists), also reports whether some objects exist (the pattern role checks the gateway namespace, the
    Gateway and the token Secret with it before anything is written); with O(namespace), which LLMInferenceServices
    the collection deployed there and for which release.
  - An unreachable or silent cluster fails within O(connect_timeout) and O(request_timeout) with a message naming
    the server and what timed out; a server that is not a Kubernetes API server fails with a message saying so.
options:
  exists:
    description:
      - Objects to look for, each with C(kind), C(name), optional C(namespace) and C(api_version) (default C(v1)).
      - A kind whose API is not served counts as not existing.
    type: list
    elements: dict
    default: []
  namespace:
    description:
      - Namespace whose LLMInferenceServices are returned in RV(llm_inference_services).
    type: str
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.INFO_ATTRIBUTES
"""

EXAMPLES = r"""
- name: What does the cluster serve?
  llmd.xks.cluster_capabilities:
  register: caps

- name: Fail early without LeaderWorkerSet
  ansible.builtin.assert:
    that: "'leaderworkerset.x-k8s.io/v1' in caps.api_versions"
    fail_msg: Install LeaderWorkerSet first (role llmd.xks.lws).
"""

RETURN = r"""
api_versions:
  description: Every served group/version (C(v1) for the core group).
  returned: success
  type: list
  elements: str
  sample: [v1, apps/v1, serving.kserve.io/v1alpha2]
kubernetes_version:
  description: The API server's version.
  returned: success
  type: str
  sample: v1.35.4
istio_version:
  description: The version of the sail-operator C(Istio) resource, if any.
  returned: success
  type: str
exists:
  description:
    - The objects of O(exists), in the same order, each with C(exists) (a boolean, or null for a name or namespace
      no object can have, which is not looked up).
  returned: success
  type: list
  elements: dict
  sample: [{kind: Namespace, name: llm-d, exists: true}]
llm_inference_services:
  description:
    - The LLMInferenceServices in O(namespace), each with C(name), C(release), C(pattern) and C(stack) (from the
      C(llmd.xks/*) labels; empty strings when unlabelled). Empty when the API is not served or O(namespace) is unset.
  returned: success
  type: list
  elements: dict
  sample: [{name: qwen, release: pattern1, pattern: "1", stack: istio_kserve}]
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._discovery import Resolver
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    connect,
    connection_argument_spec,
    fail_on_invalid,
    new_module,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import (
    LLM_INFERENCE_SERVICE,
    MissingCRDError,
    negotiate_collection,
)

OWNER_LABELS = (("release", "llmd.xks/release"), ("pattern", "llmd.xks/pattern"), ("stack", "llmd.xks/stack"))


def not_kubernetes(client, path, answer, kind):
    if answer.get("kind") != kind:
        raise UnreachableError("The server at %s answered GET %s with no %s: it is not a Kubernetes API server. Point the "
                               "kubeconfig (option kubeconfig or K8S_AUTH_KUBECONFIG) at the cluster's API server"
                               % (client.host, path, kind))


def exists_errors(objects):
    errors = []
    for index, obj in enumerate(objects):
        if not obj.get("kind") or not obj.get("name"):
            errors.append("exists[%d]: needs kind and name, got %r" % (index, obj))
    return errors


def lookup(client, resolver, obj):
    """True or False; None for a name no object can have (the plan reports that input, so nothing is asked)."""
    if check.dns_subdomain("name", obj["name"]) or check.dns_subdomain("namespace", obj.get("namespace")):
        return None
    try:
        rtype = resolver.resolve(obj.get("api_version") or "v1", obj["kind"])
    except MissingCRDError:
        return False
    path = rtype.path(obj.get("api_version") or "v1", obj.get("namespace") if rtype.namespaced else None, obj["name"])
    return client.get_or_none(path) is not None


def services_in(client, namespace):
    if check.dns_label("namespace", namespace):
        return []
    try:
        _version, listing = negotiate_collection(client, LLM_INFERENCE_SERVICE, namespace)
    except MissingCRDError:
        return []
    services = []
    for item in listing.get("items", []):
        labels = item["metadata"].get("labels") or {}
        services.append(dict([("name", item["metadata"]["name"])] + [(key, labels.get(label, "")) for key, label in OWNER_LABELS]))
    return services


def main():
    spec = connection_argument_spec()
    spec.update(exists=dict(type="list", elements="dict", default=[]), namespace=dict(type="str"))
    module = new_module(spec)
    fail_on_invalid(module, exists_errors(module.params["exists"]))
    client = connect(module)
    try:
        groups = client.get("/apis")
        not_kubernetes(client, "/apis", groups, "APIGroupList")
        version = client.get("/version")
        served = ["v1"]
        for group in groups.get("groups", []):
            served.extend(v["groupVersion"] for v in group.get("versions", []))
        istio_version = None
        if "sailoperator.io/v1" in served:
            items = client.get("/apis/sailoperator.io/v1/istios").get("items", [])
            if items:
                istio_version = (items[0].get("status") or {}).get("version") or (items[0].get("spec") or {}).get("version")
        resolver = Resolver(client)
        found = [dict(obj, exists=lookup(client, resolver, obj)) for obj in module.params["exists"]]
        services = services_in(client, module.params["namespace"]) if module.params["namespace"] else []
    except UnreachableError as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests)
    except ApiError as exc:
        module.fail_json(msg="Kubernetes API error: %s" % exc, api_requests=client.requests)
    module.exit_json(changed=False, api_versions=sorted(set(served)), kubernetes_version=version.get("gitVersion"),
                     istio_version=istio_version, exists=found, llm_inference_services=services, api_requests=client.requests)


if __name__ == "__main__":
    main()
