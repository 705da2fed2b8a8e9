# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: what is deployed in a namespace, per stack and release.

``describe(client, namespace)`` reads the namespace's LLMInferenceServices, HTTPRoutes, InferencePools
(both API groups), Deployments, LeaderWorkerSets, Services and Pods, plus the Gateways the routes name,
and groups them into deployments (one per release and stack) with their readiness, whether they serve
(a route accepted by a gateway whose backend has a ready endpoint) and the URLs users call.

Objects are attributed by the labels the pattern role sets (``llmd.xks/release``, ``llmd.xks/stack``);
KServe's children (``<name>-kserve-route``, ``<name>-inference-pool``) by their owner, the
LLMInferenceService. Objects without our labels are ignored, so other workloads in the namespace are
never reported (or removed) as ours.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._pool import summarize_pool
from ansible_collections.llmd.xks.plugins.module_utils._resources import (
    GATEWAY,
    HTTP_ROUTE,
    LEADER_WORKER_SET,
    LLM_INFERENCE_SERVICE,
    MissingCRDError,
    negotiate_collection,
)
from ansible_collections.llmd.xks.plugins.module_utils._wait import (
    conditions_by_type,
    deployment_ready,
    http_route_ready,
    llm_inference_service_ready,
)

STACK_LABEL = "llmd.xks/stack"
RELEASE_LABEL = "llmd.xks/release"
PATTERN_LABEL = "llmd.xks/pattern"
KSERVE_STACKS = ("istio_kserve", "kserve_gke_gateway")
POOL_APIS = ("inference.networking.k8s.io/v1", "inference.networking.x-k8s.io/v1alpha2")
ISTIO_CLASSES = ("istio", "openshift-default")


def _items(client, path, label_selector=None):
    """List, treating a type the cluster does not serve as empty."""
    try:
        return client.list(path, label_selector=label_selector).get("items", [])
    except ApiError as exc:
        if exc.status == 404:
            return []
        raise


def _labels(obj):
    return (obj.get("metadata") or {}).get("labels") or {}


def _owner_names(obj, kind):
    return [ref.get("name") for ref in (obj.get("metadata") or {}).get("ownerReferences") or [] if ref.get("kind") == kind]


def _is_true(conditions, ctype):
    return (conditions.get(ctype) or {}).get("status") == "True"


def pod_ready(pod):
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return _is_true(conditions_by_type((pod.get("status") or {}).get("conditions")), "Ready")


def selector_matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pool_selector(pool):
    spec = pool.get("spec") or {}
    selector = spec.get("selector") or {}
    return selector.get("matchLabels") if "matchLabels" in selector else selector


class Snapshot(object):
    """Everything read from the namespace, in one pass (one list request per kind)."""

    def __init__(self, client, namespace):
        self.namespace = namespace
        ns = "/namespaces/%s" % namespace
        try:
            self.services = negotiate_collection(client, LLM_INFERENCE_SERVICE, namespace)[1].get("items", [])
        except MissingCRDError:
            self.services = []
        self.routes = _items(client, "/apis/%s%s/%s" % (HTTP_ROUTE.versions[0], ns, HTTP_ROUTE.plural))
        self.pools = []
        for api in POOL_APIS:
            for pool in _items(client, "/apis/%s%s/inferencepools" % (api, ns)):
                pool.setdefault("apiVersion", api)
                self.pools.append(pool)
        self.workloads = _items(client, "/apis/apps/v1%s/deployments" % ns)
        self.workloads += _items(client, "/apis/%s%s/%s" % (LEADER_WORKER_SET.versions[0], ns, LEADER_WORKER_SET.plural))
        self.kube_services = _items(client, "/api/v1%s/services" % ns)
        self.pods = _items(client, "/api/v1%s/pods" % ns)
        self.gateways = dict(
            ("%s/%s" % (g["metadata"]["namespace"], g["metadata"]["name"]), g)
            for g in _items(client, "/apis/%s/%s" % (GATEWAY.versions[0], GATEWAY.plural))
        )

    def ready_pods(self, selector):
        return [p["metadata"]["name"] for p in self.pods if pod_ready(p) and selector_matches(selector, _labels(p))]


def _gateway_summary(key, gateway):
    if gateway is None:
        return {"name": key, "exists": False, "class": None, "programmed": False, "address": None}
    status = gateway.get("status") or {}
    addresses = [a.get("value") for a in status.get("addresses") or [] if a.get("value")]
    return {"name": key, "exists": True, "class": (gateway.get("spec") or {}).get("gatewayClassName"),
            "programmed": _is_true(conditions_by_type(status.get("conditions")), "Programmed"),
            "address": addresses[0] if addresses else None}


def _route_parents(route):
    namespace = route["metadata"]["namespace"]
    parents = []
    for entry in (route.get("status") or {}).get("parents") or []:
        ref = entry.get("parentRef") or {}
        conditions = conditions_by_type(entry.get("conditions"))
        parents.append({"gateway": "%s/%s" % (ref.get("namespace") or namespace, ref.get("name")),
                        "accepted": _is_true(conditions, "Accepted"),
                        "resolved_refs": _is_true(conditions, "ResolvedRefs")})
    return parents


def _route_prefixes(route):
    prefixes = []
    for rule in (route.get("spec") or {}).get("rules") or []:
        for match in rule.get("matches") or [{"path": {"value": "/"}}]:
            value = ((match.get("path") or {}).get("value")) or "/"
            if value not in prefixes:
                prefixes.append(value)
    return prefixes


class Describer(object):
    def __init__(self, snapshot):
        self.snap = snapshot

    def _pool(self, name):
        for pool in self.snap.pools:
            if pool["metadata"]["name"] == name:
                return pool
        return None

    def _backend_endpoints(self, ref):
        """Ready pods behind one backendRef (an InferencePool or a Service)."""
        if ref.get("kind") == "InferencePool":
            pool = self._pool(ref.get("name"))
            return self.snap.ready_pods(pool_selector(pool)) if pool else []
        for service in self.snap.kube_services:
            if service["metadata"]["name"] == ref.get("name"):
                return self.snap.ready_pods((service.get("spec") or {}).get("selector") or {})
        return []

    def route(self, route):
        backends, seen = [], set()
        for rule in (route.get("spec") or {}).get("rules") or []:
            for ref in rule.get("backendRefs") or []:
                key = (ref.get("kind") or "Service", ref.get("name"), ref.get("weight", 1))
                if key in seen:
                    continue
                seen.add(key)
                backends.append({"kind": ref.get("kind") or "Service", "name": ref.get("name"),
                                 "weight": ref.get("weight", 1), "ready_endpoints": len(self._backend_endpoints(ref))})
        parents = _route_parents(route)
        accepted = [p["gateway"] for p in parents if p["accepted"]]
        serving = bool(accepted) and any(b["ready_endpoints"] > 0 and b["weight"] != 0 for b in backends)
        return {"name": route["metadata"]["name"], "ready": http_route_ready(route).state == "ready", "parents": parents,
                "backends": backends, "serving": serving, "path_prefixes": _route_prefixes(route),
                "gateways": [ref.get("namespace", route["metadata"]["namespace"]) + "/" + ref.get("name", "")
                             for ref in (route.get("spec") or {}).get("parentRefs") or []]}

    def pool(self, pool):
        summary = summarize_pool(pool)
        return {"name": pool["metadata"]["name"], "api_version": pool.get("apiVersion"), "ready": summary["ready"],
                "gateways": [p["gateway"] for p in summary["parents"]],
                "ready_endpoints": len(self.snap.ready_pods(pool_selector(pool)))}

    def describe(self):
        groups = {}

        def group(stack, release, pattern):
            key = (stack, release)
            if key not in groups:
                groups[key] = {"stack": stack, "release": release, "pattern": pattern, "services": [], "routes": [],
                               "pools": [], "workloads": [], "models": [], "_objects": []}
            if pattern and not groups[key]["pattern"]:
                groups[key]["pattern"] = pattern
            return groups[key]

        owned_by_service = {}
        for svc in self.snap.services:
            labels = _labels(svc)
            name = svc["metadata"]["name"]
            stack = labels.get(STACK_LABEL) or self._kserve_stack(svc)
            entry = group(stack, labels.get(RELEASE_LABEL) or name, _int(labels.get(PATTERN_LABEL)))
            verdict = llm_inference_service_ready(svc)
            entry["services"].append({"name": name, "ready": verdict.state == "ready", "reason": verdict.describe(),
                                      "url": (svc.get("status") or {}).get("url"),
                                      "gateways": self._service_gateways(svc)})
            model = ((svc.get("spec") or {}).get("model") or {}).get("name") or name
            entry["models"].append(model)
            entry["_objects"].append(("LLMInferenceService", name))
            owned_by_service[name] = entry
        for kind, items, describe in (("HTTPRoute", self.snap.routes, self.route), ("InferencePool", self.snap.pools, self.pool)):
            for obj in items:
                entry = self._owner_group(obj, owned_by_service, group)
                if entry is not None:
                    entry["routes" if kind == "HTTPRoute" else "pools"].append(describe(obj))
        for workload in self.snap.workloads:
            labels = _workload_labels(workload)
            if labels.get(STACK_LABEL, "gateway_api_llmd") != "gateway_api_llmd" or RELEASE_LABEL not in labels:
                continue
            if labels.get("llmd.xks/model") is None:
                continue  # endpoint pickers
            entry = group("gateway_api_llmd", labels[RELEASE_LABEL], _int(labels.get(PATTERN_LABEL)))
            ready = workload.get("kind") != "LeaderWorkerSet" and deployment_ready(workload).state == "ready"
            if workload.get("kind") == "LeaderWorkerSet":
                ready = _is_true(conditions_by_type((workload.get("status") or {}).get("conditions")), "Available")
            entry["workloads"].append({"kind": workload.get("kind") or "Deployment", "name": workload["metadata"]["name"],
                                       "ready": ready})
            entry["models"].append(_served_name(workload) or labels["llmd.xks/model"])
        deployments = [self._finish(groups[key]) for key in sorted(groups)]
        return deployments

    def _kserve_stack(self, svc):
        classes = [(self.snap.gateways.get(g) or {}).get("spec", {}).get("gatewayClassName") for g in self._service_gateways(svc)]
        return "istio_kserve" if any(c in ISTIO_CLASSES for c in classes) or not classes else "kserve_gke_gateway"

    def _service_gateways(self, svc):
        refs = (((svc.get("spec") or {}).get("router") or {}).get("gateway") or {}).get("refs") or []
        return ["%s/%s" % (r.get("namespace") or svc["metadata"]["namespace"], r.get("name")) for r in refs]

    def _owner_group(self, obj, owned_by_service, group):
        for owner in _owner_names(obj, "LLMInferenceService"):
            if owner in owned_by_service:
                return owned_by_service[owner]
        name = obj["metadata"]["name"]
        for suffix in ("-kserve-route", "-inference-pool"):
            if name.endswith(suffix) and name[:-len(suffix)] in owned_by_service:
                return owned_by_service[name[:-len(suffix)]]
        labels = _labels(obj)
        if RELEASE_LABEL not in labels and "selector" in (obj.get("spec") or {}):
            labels = pool_selector(obj) or {}  # the inferencepool chart labels its pools itself; the selector is ours
        if RELEASE_LABEL in labels and labels.get(STACK_LABEL, "gateway_api_llmd") == "gateway_api_llmd":
            return group("gateway_api_llmd", labels[RELEASE_LABEL], _int(labels.get(PATTERN_LABEL)))
        return None

    def _finish(self, entry):
        entry.pop("_objects")
        kserve = entry["stack"] in KSERVE_STACKS
        gateways = []
        for route in entry["routes"]:
            for key in route["gateways"]:
                if key not in gateways:
                    gateways.append(key)
        for svc in entry["services"]:
            for key in svc["gateways"]:
                if key not in gateways:
                    gateways.append(key)
        entry["gateways"] = [_gateway_summary(key, self.snap.gateways.get(key)) for key in gateways]
        if kserve:
            ready = bool(entry["services"]) and all(s["ready"] for s in entry["services"])
        else:
            ready = (bool(entry["workloads"]) and all(w["ready"] for w in entry["workloads"])
                     and bool(entry["pools"]) and all(p["ready"] for p in entry["pools"])
                     and bool(entry["routes"]) and all(r["ready"] for r in entry["routes"]))
        entry["ready"] = ready
        entry["serving"] = any(r["serving"] for r in entry["routes"])
        entry["endpoints"] = self._endpoints(entry)
        entry["models"] = sorted(set(entry["models"]))
        return entry

    def _endpoints(self, entry):
        """The base URLs of the OpenAI API users call, through each accepting gateway that has an address.

        KServe: ``http://<gateway>/<namespace>/<name>/v1``; llm-d: ``http://<gateway>/v1`` (the model goes in the body).
        """
        urls = []
        addresses = dict((g["name"], g["address"]) for g in entry["gateways"])
        for route in entry["routes"]:
            for parent in route["parents"]:
                address = addresses.get(parent["gateway"]) or _gateway_summary(
                    parent["gateway"], self.snap.gateways.get(parent["gateway"]))["address"]
                if not parent["accepted"] or not address:
                    continue
                if entry["stack"] in KSERVE_STACKS:
                    bases = ["/%s/%s" % (self.snap.namespace, s["name"]) for s in entry["services"]
                             if route["name"] == s["name"] + "-kserve-route"]
                else:
                    bases = [p.rstrip("/") for p in route["path_prefixes"] if "/v1/" not in p + "/"]
                for base in bases:
                    url = "http://%s%s/v1" % (address, base)
                    if url not in urls:
                        urls.append(url)
        return urls


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pod_template(workload):
    spec = workload.get("spec") or {}
    lws = spec.get("leaderWorkerTemplate") or {}
    return spec.get("template") or lws.get("leaderTemplate") or lws.get("workerTemplate") or {}


def _workload_labels(workload):
    """The workload's labels, else its pods' (the modelservice chart labels only the pods with ours)."""
    labels = _labels(workload)
    if RELEASE_LABEL in labels:
        return labels
    return dict(labels, **((_pod_template(workload).get("metadata") or {}).get("labels") or {}))


SERVED_NAME = re.compile(r"--served-model-name(?:=|\s+)['\"]?([^\s'\"]+)")


def _served_name(workload):
    """--served-model-name of the model-server container: one argument, two, or inside a launch script."""
    for container in (_pod_template(workload).get("spec") or {}).get("containers") or []:
        args = [str(a) for a in container.get("args") or []]
        for index, arg in enumerate(args):
            if arg == "--served-model-name" and index + 1 < len(args):
                return args[index + 1]
            match = SERVED_NAME.search(arg)
            if match:
                return match.group(1)
    return None


def describe(client, namespace, stack=None, release=None):
    """Deployments in ``namespace`` (optionally only one stack and/or release)."""
    deployments = Describer(Snapshot(client, namespace)).describe()
    return [d for d in deployments if (stack is None or d["stack"] == stack) and (release is None or d["release"] == release)]
