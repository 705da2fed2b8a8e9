# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the http_route module's spec, checks and body."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._merge import camel_keys
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    ResourceRunner,
    fail_on_invalid,
    metadata,
    new_module,
    resource_argument_spec,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import HTTP_ROUTE
from ansible_collections.llmd.xks.plugins.module_utils._wait import http_route_ready

INFERENCE_GROUP = "inference.networking.k8s.io"


def argument_spec():
    spec = resource_argument_spec()
    spec.update(
        parent_refs=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), namespace=dict(type="str"), section_name=dict(type="str"),
            port=dict(type="int"), kind=dict(type="str", default="Gateway"),
            group=dict(type="str", default="gateway.networking.k8s.io"),
        )),
        hostnames=dict(type="list", elements="str", default=[]),
        rules=dict(type="list", elements="dict", options=dict(
            name=dict(type="str"),
            matches=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="dict", options=dict(
                    type=dict(type="str", default="PathPrefix", choices=["Exact", "PathPrefix", "RegularExpression"]),
                    value=dict(type="str", default="/"),
                )),
                headers=dict(type="list", elements="dict", default=[], options=dict(
                    name=dict(type="str", required=True), value=dict(type="str"),
                    type=dict(type="str", default="Exact", choices=["Exact", "RegularExpression"]),
                )),
                method=dict(type="str", choices=["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]),
            )),
            backend_refs=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                kind=dict(type="str", default="Service", choices=["Service", "InferencePool"]),
                group=dict(type="str"), namespace=dict(type="str"), port=dict(type="int"), weight=dict(type="int"),
            )),
            filters=dict(type="list", elements="dict", default=[]),
            timeouts=dict(type="dict", options=dict(request=dict(type="str"), backend_request=dict(type="str"))),
        )),
    )
    return spec


def validate(params):
    errors = check.dns_label("name", params["name"]) + check.dns_label("namespace", params["namespace"])
    errors += check.labels("labels", params.get("labels"))
    if params["state"] == "absent":
        return errors
    if not params.get("parent_refs"):
        errors.append("parent_refs: at least one Gateway is required with state=present, e.g. [{name: inference-gateway}]")
    for i, ref in enumerate(params.get("parent_refs") or []):
        errors += check.dns_subdomain("parent_refs[%d].name" % i, ref.get("name"))
        errors += check.port("parent_refs[%d].port" % i, ref.get("port"))
    if not params.get("rules"):
        errors.append("rules: at least one rule is required with state=present")
    for i, rule in enumerate(params.get("rules") or []):
        where = "rules[%d]" % i
        for j, match in enumerate(rule.get("matches") or []):
            path = match.get("path") or {}
            if path and path.get("type") != "RegularExpression" and not str(path.get("value", "")).startswith("/"):
                errors.append("%s.matches[%d].path.value: %r must start with '/'" % (where, j, path.get("value")))
            for k, header in enumerate(match.get("headers") or []):
                if header.get("value") in (None, ""):
                    errors.append("%s.matches[%d].headers[%d].value: a header match needs a value. Set value, e.g. "
                                  "{name: %s, value: <model name>}" % (where, j, k, header.get("name")))
        if not rule.get("backend_refs"):
            errors.append("%s.backend_refs: at least one backend is required" % where)
        for j, backend in enumerate(rule.get("backend_refs") or []):
            label = "%s.backend_refs[%d]" % (where, j)
            errors += check.dns_label(label + ".name", backend.get("name"))
            errors += check.positive(label + ".weight", backend.get("weight"), 0, 1000000)
            if backend["kind"] == "Service" and backend.get("port") is None:
                errors.append("%s.port: a Service backend needs a port. Set port, e.g. 8000" % label)
            if backend["kind"] == "InferencePool" and backend.get("port") is not None:
                errors.append("%s.port: do not set a port on an InferencePool backend; gateways reject it and the "
                              "pool's targetPorts decide the port. Remove port" % label)
            errors += check.port(label + ".port", backend.get("port"))
    return errors


def _backend(backend):
    out = {"name": backend["name"]}
    if backend["kind"] == "InferencePool":
        out.update(group=backend.get("group") or INFERENCE_GROUP, kind="InferencePool")
    elif backend.get("group"):
        out["group"] = backend["group"]
    for key in ("namespace", "port", "weight"):
        if backend.get(key) is not None:
            out[key] = backend[key]
    return out


def _match(match):
    out = {}
    if match.get("path"):
        out["path"] = dict(match["path"])
    if match.get("headers"):
        out["headers"] = [dict((k, h[k]) for k in ("type", "name", "value")) for h in match["headers"]]
    if match.get("method"):
        out["method"] = match["method"]
    return out


def build(params, api_version):
    rules = []
    for rule in params["rules"]:
        out = {"backendRefs": [_backend(b) for b in rule["backend_refs"]]}
        if rule.get("name"):
            out["name"] = rule["name"]
        if rule.get("matches"):
            out["matches"] = [_match(m) for m in rule["matches"]]
        if rule.get("filters"):
            out["filters"] = copy.deepcopy(rule["filters"])
        if rule.get("timeouts"):
            out["timeouts"] = camel_keys(rule["timeouts"])
        rules.append(out)
    spec = {"parentRefs": [camel_keys(ref) for ref in params["parent_refs"]], "rules": rules}
    if params.get("hostnames"):
        spec["hostnames"] = list(params["hostnames"])
    return {"apiVersion": api_version, "kind": HTTP_ROUTE.kind, "metadata": metadata(params), "spec": spec}


def summarize_route(obj):
    parents = []
    for entry in (obj.get("status") or {}).get("parents") or []:
        ref = entry.get("parentRef") or {}
        parents.append({
            "gateway": "%s/%s" % (ref.get("namespace") or obj["metadata"].get("namespace"), ref.get("name")),
            "controller": entry.get("controllerName"),
            "conditions": [dict((k, c.get(k)) for k in ("type", "status", "reason", "message") if c.get(k) is not None)
                           for c in entry.get("conditions") or []],
        })
    return {"parents": parents, "ready": http_route_ready(obj).state == "ready"}


def run():
    module = new_module(argument_spec())
    fail_on_invalid(module, validate(module.params))
    ResourceRunner(module, HTTP_ROUTE, build, http_route_ready, None, summarize_route).run()
