# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the resource types we manage and API-version negotiation.

Negotiation needs no discovery request: a GET of the object on the preferred version either
answers (the version is served), or 404s for the object (served, object absent), or 404s for the
type (not served: try the next version). A type that no version serves is a missing CRD, reported
with the component that installs it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError


class ResourceType(object):
    def __init__(self, kind, plural, versions, namespaced=True, component=None):
        self.kind = kind
        self.plural = plural
        self.versions = tuple(versions)  # "group/version" (or "v1" for core), preferred first
        self.namespaced = namespaced
        self.component = component

    def path(self, api_version, namespace=None, name=None, subresource=None):
        base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
        parts = [base]
        if self.namespaced and namespace:
            parts.append("namespaces/" + namespace)
        parts.append(self.plural)
        if name:
            parts.append(name)
        if subresource:
            parts.append(subresource)
        return "/".join(parts)

    def group_of(self, api_version):
        return api_version.rpartition("/")[0]


LLM_INFERENCE_SERVICE = ResourceType(
    "LLMInferenceService", "llminferenceservices",
    ["serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1"],
    component="KServe with the LLMInferenceService controller (roles: llmd.xks.kserve)",
)
INFERENCE_POOL = ResourceType(
    "InferencePool", "inferencepools",
    ["inference.networking.k8s.io/v1", "inference.networking.x-k8s.io/v1alpha2"],
    component="the Gateway API Inference Extension CRDs (role: llmd.xks.gateway_api)",
)
HTTP_ROUTE = ResourceType(
    "HTTPRoute", "httproutes", ["gateway.networking.k8s.io/v1"],
    component="the Gateway API CRDs (role: llmd.xks.gateway_api)",
)
GATEWAY = ResourceType(
    "Gateway", "gateways", ["gateway.networking.k8s.io/v1"],
    component="the Gateway API CRDs (role: llmd.xks.gateway_api)",
)
LEADER_WORKER_SET = ResourceType(
    "LeaderWorkerSet", "leaderworkersets", ["leaderworkerset.x-k8s.io/v1"],
    component="LeaderWorkerSet (role: llmd.xks.lws)",
)
POD = ResourceType("Pod", "pods", ["v1"])
EVENT = ResourceType("Event", "events", ["v1"])

TYPED = dict((t.kind, t) for t in (LLM_INFERENCE_SERVICE, INFERENCE_POOL, HTTP_ROUTE, GATEWAY, LEADER_WORKER_SET))


class MissingCRDError(Exception):
    def __init__(self, rtype, tried):
        self.rtype = rtype
        self.tried = tried
        super(MissingCRDError, self).__init__(
            "The cluster does not serve %s (tried %s). Install %s first, then re-run."
            % (rtype.kind, ", ".join(tried), rtype.component or "the CRD that defines it")
        )


def negotiate(client, rtype, namespace, name, api_version=None):
    """Return (api_version, live object or None). One GET in the common case."""
    versions = [api_version] if api_version else list(rtype.versions)
    for version in versions:
        try:
            return version, client.get(rtype.path(version, namespace, name))
        except ApiError as exc:
            if exc.status != 404:
                raise
            if not exc.is_type_missing:
                return version, None
    raise MissingCRDError(rtype, versions)


def negotiate_collection(client, rtype, namespace, api_version=None, label_selector=None):
    """Return (api_version, list response) for the first served version."""
    versions = [api_version] if api_version else list(rtype.versions)
    for version in versions:
        try:
            return version, client.list(rtype.path(version, namespace), label_selector=label_selector)
        except ApiError as exc:
            if exc.status != 404:
                raise
    raise MissingCRDError(rtype, versions)
