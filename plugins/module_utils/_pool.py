# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the inference_pool module's spec, checks and body."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    ResourceRunner,
    fail_on_invalid,
    metadata,
    new_module,
    resource_argument_spec,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import INFERENCE_POOL
from ansible_collections.llmd.xks.plugins.module_utils._wait import inference_pool_ready, pod_problems

V1ALPHA2 = "inference.networking.x-k8s.io/v1alpha2"


def argument_spec():
    spec = resource_argument_spec()
    spec.update(
        selector=dict(type="dict"),
        target_ports=dict(type="list", elements="int"),
        app_protocol=dict(type="str", choices=["http", "kubernetes.io/h2c"]),
        endpoint_picker=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            port=dict(type="int", default=9002),
            failure_mode=dict(type="str", default="FailOpen", choices=["FailOpen", "FailClose"]),
        )),
        wait_for_gateways=dict(type="list", elements="str", default=[]),
    )
    return spec


def validate(params):
    errors = check.dns_label("name", params["name"]) + check.dns_label("namespace", params["namespace"])
    errors += check.labels("labels", params.get("labels"))
    if params["state"] == "absent":
        return errors
    if not params.get("selector"):
        errors.append("selector: is required with state=present. Give the model server pod labels, e.g. "
                      "{llm-d.ai/inference-serving: 'true'}")
    errors += check.labels("selector", params.get("selector"))
    ports = params.get("target_ports") or []
    if not ports:
        errors.append("target_ports: is required with state=present. Give the model server port, e.g. [8000]")
    if len(ports) > 8:
        errors.append("target_ports: at most 8 ports are allowed, got %d" % len(ports))
    if len(set(ports)) != len(ports):
        errors.append("target_ports: ports must be unique")
    for i, number in enumerate(ports):
        errors += check.port("target_ports[%d]" % i, number)
    picker = params.get("endpoint_picker")
    if not picker:
        errors.append("endpoint_picker: is required with state=present. Name the EPP Service, e.g. {name: qwen-epp}")
    else:
        errors += check.dns_label("endpoint_picker.name", picker.get("name"))
        errors += check.port("endpoint_picker.port", picker.get("port"))
    for i, gateway in enumerate(params.get("wait_for_gateways") or []):
        if gateway.count("/") != 1:
            errors.append("wait_for_gateways[%d]: %r must be <namespace>/<name>" % (i, gateway))
    return errors


def build(params, api_version):
    picker = params["endpoint_picker"]
    ports = params["target_ports"]
    if api_version == V1ALPHA2:
        spec = {
            "selector": dict(params["selector"]),
            "targetPortNumber": ports[0],
            "extensionRef": {"name": picker["name"], "portNumber": picker["port"], "failureMode": picker["failure_mode"]},
        }
    else:
        spec = {
            "selector": {"matchLabels": dict((k, str(v)) for k, v in params["selector"].items())},
            "targetPorts": [{"number": number} for number in ports],
            "endpointPickerRef": {"name": picker["name"], "port": {"number": picker["port"]},
                                  "failureMode": picker["failure_mode"]},
        }
        if params.get("app_protocol"):
            spec["appProtocol"] = params["app_protocol"]
    return {"apiVersion": api_version, "kind": INFERENCE_POOL.kind, "metadata": metadata(params), "spec": spec}


def summarize_pool(obj, gateways=None):
    status = obj.get("status") or {}
    parents = []
    for entry in status.get("parents") or status.get("parent") or []:
        ref = entry.get("parentRef") or entry.get("gatewayRef") or {}
        if ref.get("kind") == "Status":
            continue
        parents.append({
            "gateway": "%s/%s" % (ref.get("namespace") or obj["metadata"].get("namespace"), ref.get("name")),
            "conditions": [dict((k, c.get(k)) for k in ("type", "status", "reason", "message") if c.get(k) is not None)
                           for c in entry.get("conditions") or []],
        })
    return {"parents": parents, "ready": inference_pool_ready(obj, gateways).state == "ready"}


def _selector_string(obj):
    spec = obj.get("spec") or {}
    labels = (spec.get("selector") or {}).get("matchLabels") or spec.get("selector") or {}
    return ",".join("%s=%s" % item for item in sorted(labels.items()))


def run():
    module = new_module(argument_spec())
    fail_on_invalid(module, validate(module.params))
    gateways = module.params.get("wait_for_gateways") or None

    def diagnose(client, obj):
        selector = _selector_string(obj)
        return pod_problems(client, obj["metadata"]["namespace"], selector) if selector else []

    ResourceRunner(module, INFERENCE_POOL, build, lambda obj: inference_pool_ready(obj, gateways), diagnose,
                   lambda obj: summarize_pool(obj, gateways)).run()
