# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the llm_inference_service module's spec, checks and body."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._merge import camel_keys, deep_merge, merge_env
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    ResourceRunner,
    fail_on_invalid,
    metadata,
    new_module,
    resource_argument_spec,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import LLM_INFERENCE_SERVICE
from ansible_collections.llmd.xks.plugins.module_utils._wait import llm_inference_service_ready, pod_problems

MAIN_CONTAINER = "main"


def argument_spec():
    spec = resource_argument_spec()
    spec.update(
        model=dict(type="dict", options=dict(uri=dict(type="str"), name=dict(type="str"))),
        replicas=dict(type="int"),
        parallelism=dict(type="dict", options=dict(
            tensor=dict(type="int"), pipeline=dict(type="int"), data=dict(type="int"),
            data_local=dict(type="int"), data_rpc_port=dict(type="int"), expert=dict(type="bool"),
        )),
        container=dict(type="dict", options=dict(
            image=dict(type="str"), args=dict(type="list", elements="str"), env=dict(type="dict"),
            resources=dict(type="dict"),
        )),
        accelerator=dict(type="dict", options=dict(
            resource_name=dict(type="str"), count=dict(type="int"), node_selector=dict(type="dict", default={}),
            tolerations=dict(type="list", elements="dict", default=[]), env=dict(type="dict", default={}),
        )),
        template=dict(type="dict"),
        worker=dict(type="dict"),
        prefill=dict(type="dict"),
        router=dict(type="dict", options=dict(
            route=dict(type="raw"),
            gateway_refs=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True), namespace=dict(type="str"), section_name=dict(type="str"),
            )),
            scheduler=dict(type="dict", options=dict(
                config=dict(type="dict"), pool_ref=dict(type="str"), replicas=dict(type="int"), template=dict(type="dict"),
            )),
        )),
        base_refs=dict(type="list", elements="str", default=[]),
        extra_spec=dict(type="dict", default={}),
    )
    return spec


def validate(params):
    errors = check.dns_label("name", params["name"]) + check.dns_label("namespace", params["namespace"])
    errors += check.labels("labels", params.get("labels"))
    if params["state"] == "absent":
        return errors
    model = params.get("model") or {}
    if not model.get("uri"):
        errors.append("model.uri: is required with state=present. Set it, e.g. model: {uri: hf://Qwen/Qwen3-0.6B}")
    errors += check.model_uri("model.uri", model.get("uri"))
    errors += check.positive("replicas", params.get("replicas"), minimum=0)
    par = params.get("parallelism") or {}
    for key in ("tensor", "pipeline", "data", "data_local"):
        errors += check.positive("parallelism.%s" % key, par.get(key))
    errors += check.port("parallelism.data_rpc_port", par.get("data_rpc_port"))
    if (par.get("data") is None) != (par.get("data_local") is None):
        errors.append("parallelism.data_local: data and data_local go together. Set both (data = total ranks, "
                      "data_local = ranks per pod) or neither")
    if par.get("pipeline") and par.get("data"):
        errors.append("parallelism.pipeline: pipeline and data parallelism cannot be combined. Use one of them")
    if params.get("worker") is not None and not (par.get("pipeline") or (par.get("data") and par.get("data_local"))):
        errors.append("worker: a multi-node service needs parallelism.data with parallelism.data_local, or "
                      "parallelism.pipeline. Set them, or remove worker for a single-node service")
    if par.get("data") and par.get("data_local") and par["data"] % par["data_local"]:
        errors.append("parallelism.data: %d is not a multiple of data_local %d. Make data = data_local x number of pods"
                      % (par["data"], par["data_local"]))
    accel = params.get("accelerator") or {}
    errors += check.positive("accelerator.count", accel.get("count"))
    if accel.get("count") and not accel.get("resource_name"):
        errors.append("accelerator.resource_name: required with accelerator.count. Use google.com/tpu or nvidia.com/gpu")
    if accel.get("count") and par.get("tensor"):
        per_pod = par["tensor"] * (par.get("data_local") or 1)
        if per_pod > accel["count"]:
            errors.append("parallelism.tensor: tensor %d x data_local %d needs %d accelerators per pod but "
                          "accelerator.count is %d. Lower parallelism.tensor or use a machine with more chips"
                          % (par["tensor"], par.get("data_local") or 1, per_pod, accel["count"]))
    errors += check.labels("accelerator.node_selector", accel.get("node_selector"))
    router = params.get("router") or {}
    route = router.get("route")
    if route is not None and not isinstance(route, (dict, bool)):
        errors.append("router.route: must be {} (managed route), true, or a mapping. Got %r" % (route,))
    for i, ref in enumerate(router.get("gateway_refs") or []):
        errors += check.dns_subdomain("router.gateway_refs[%d].name" % i, ref.get("name"))
    scheduler = router.get("scheduler") or {}
    errors += check.positive("router.scheduler.replicas", scheduler.get("replicas"))
    if scheduler.get("pool_ref") and (scheduler.get("config") or scheduler.get("template")):
        errors.append("router.scheduler.pool_ref: an external pool has no managed EPP, so config/template do not "
                      "apply. Remove them, or remove pool_ref")
    for i, ref in enumerate(params.get("base_refs") or []):
        errors += check.dns_subdomain("base_refs[%d]" % i, ref)
    return errors


def _apply_container(template, container, accel):
    template = copy.deepcopy(template or {})
    if not container and not accel:
        return template
    containers = template.setdefault("containers", [])
    main = next((c for c in containers if c.get("name") == MAIN_CONTAINER), None)
    if main is None:
        main = {"name": MAIN_CONTAINER}
        containers.insert(0, main)
    container = container or {}
    if container.get("image"):
        main["image"] = container["image"]
    if container.get("args") is not None:
        main["args"] = list(container["args"])
    if container.get("resources"):
        main["resources"] = deep_merge(main.get("resources") or {}, container["resources"])
    env = dict(container.get("env") or {})
    if accel:
        env.update(accel.get("env") or {})
    if env:
        main["env"] = merge_env(main.get("env"), env)
    if accel and accel.get("count"):
        quantity = str(accel["count"])
        resources = main.setdefault("resources", {})
        for section in ("limits", "requests"):
            resources.setdefault(section, {})[accel["resource_name"]] = quantity
    if accel and accel.get("node_selector"):
        template["nodeSelector"] = deep_merge(template.get("nodeSelector") or {}, accel["node_selector"])
    if accel and accel.get("tolerations"):
        tolerations = template.setdefault("tolerations", [])
        for toleration in accel["tolerations"]:
            if toleration not in tolerations:
                tolerations.append(dict(toleration))
    return template


def build(params, api_version):
    model = params["model"] or {}
    spec = {"model": dict((k, v) for k, v in model.items() if v)}
    if params.get("replicas") is not None:
        spec["replicas"] = params["replicas"]
    if params.get("parallelism"):
        spec["parallelism"] = camel_keys(params["parallelism"], {"data_rpc_port": "dataRPCPort"})
    accel = params.get("accelerator")
    if params.get("template") or params.get("container") or accel:
        spec["template"] = _apply_container(params.get("template"), params.get("container"), accel)
    if params.get("worker") is not None:
        spec["worker"] = _apply_container(params["worker"], params.get("container"), accel)
    if params.get("prefill") is not None:
        spec["prefill"] = copy.deepcopy(params["prefill"])
    router = params.get("router")
    if router:
        spec["router"] = {}
        route = router.get("route")
        if route is True or route == {}:
            spec["router"]["route"] = {}
        elif isinstance(route, dict):
            spec["router"]["route"] = copy.deepcopy(route)
        if router.get("gateway_refs"):
            spec["router"]["gateway"] = {"refs": [camel_keys(ref) for ref in router["gateway_refs"]]}
        elif "route" in spec["router"]:
            spec["router"]["gateway"] = {}
        if router.get("scheduler") is not None:
            sched = router["scheduler"]
            out = {}
            if sched.get("pool_ref"):
                out["pool"] = {"ref": {"name": sched["pool_ref"]}}
            if sched.get("config"):
                out["config"] = {"inline": copy.deepcopy(sched["config"])}
            if sched.get("replicas") is not None:
                out["replicas"] = sched["replicas"]
            if sched.get("template"):
                out["template"] = copy.deepcopy(sched["template"])
            spec["router"]["scheduler"] = out
    if params.get("base_refs"):
        spec["baseRefs"] = [{"name": ref} for ref in params["base_refs"]]
    spec = deep_merge(spec, params.get("extra_spec") or {})
    return {"apiVersion": api_version, "kind": LLM_INFERENCE_SERVICE.kind, "metadata": metadata(params), "spec": spec}


def children(obj):
    name = obj.get("metadata", {}).get("name", "")
    spec = obj.get("spec") or {}
    router = spec.get("router") or {}
    multi_node = spec.get("worker") is not None
    result = {
        "workload": name + ("-kserve-mn" if multi_node else "-kserve"),
        "workload_kind": "LeaderWorkerSet" if multi_node else "Deployment",
        "service": name + "-kserve-workload-svc",
    }
    if spec.get("prefill") is not None:
        result["prefill_workload"] = name + ("-kserve-mn-prefill" if (spec["prefill"] or {}).get("worker") else "-kserve-prefill")
    if "route" in router and not ((router.get("route") or {}).get("http") or {}).get("refs"):
        result["http_route"] = name + "-kserve-route"
    scheduler = router.get("scheduler")
    if scheduler is not None:
        pool_ref = ((scheduler.get("pool") or {}).get("ref") or {}).get("name")
        result["inference_pool"] = pool_ref or name + "-inference-pool"
        if not pool_ref:
            result["scheduler"] = name + "-kserve-router-scheduler"
            result["scheduler_service"] = name + "-epp-service"
    return result


def summarize(obj):
    status = obj.get("status") or {}
    conditions = [
        dict((k, c.get(k)) for k in ("type", "status", "reason", "message") if c.get(k) is not None)
        for c in status.get("conditions") or []
    ]
    return {
        "url": status.get("url"),
        "addresses": [a.get("url") for a in status.get("addresses") or [] if a.get("url")],
        "ready": llm_inference_service_ready(obj).state == "ready" if obj else False,
        "conditions": conditions,
        "children": children(obj) if obj else {},
    }


def diagnose(client, obj):
    meta = obj.get("metadata", {})
    selector = "app.kubernetes.io/part-of=llminferenceservice,app.kubernetes.io/name=%s" % meta.get("name")
    return pod_problems(client, meta.get("namespace"), selector)


def run():
    module = new_module(argument_spec())
    fail_on_invalid(module, validate(module.params))
    ResourceRunner(module, LLM_INFERENCE_SERVICE, build, llm_inference_service_ready, diagnose, summarize).run()
