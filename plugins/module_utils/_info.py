# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the shared body of the *_info modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    connect,
    connection_argument_spec,
    fail_on_invalid,
    new_module,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError, negotiate, negotiate_collection
from ansible_collections.llmd.xks.plugins.module_utils._wait import predicate_for


def info_argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str"),
        namespace=dict(type="str"),
        label_selectors=dict(type="list", elements="str", default=[]),
        api_version=dict(type="str"),
    )
    return spec


def run_info(rtype, summarize):
    module = new_module(info_argument_spec())
    params = module.params
    errors = check.dns_label("namespace", params.get("namespace")) + check.dns_label("name", params.get("name"))
    if params.get("name") and not params.get("namespace") and rtype.namespaced:
        errors.append("namespace: required together with name. Set the namespace of %s %s" % (rtype.kind, params["name"]))
    fail_on_invalid(module, errors)
    client = connect(module)
    result = dict(changed=False, resources=[], crd_installed=True)
    predicate = predicate_for(rtype.kind)
    try:
        if params.get("name"):
            version, obj = negotiate(client, rtype, params["namespace"], params["name"], params.get("api_version"))
            items = [obj] if obj else []
        else:
            version, listing = negotiate_collection(client, rtype, params.get("namespace"), params.get("api_version"),
                                                    ",".join(params["label_selectors"]) or None)
            items = listing.get("items", [])
    except MissingCRDError as exc:
        module.warn(str(exc))
        result.update(crd_installed=False, api_requests=client.requests)
        module.exit_json(**result)
    except UnreachableError as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests)
    except ApiError as exc:
        module.fail_json(msg="Kubernetes API error: %s" % exc, status=exc.status, api_requests=client.requests)
    for item in items:
        item.setdefault("apiVersion", version)
        item.setdefault("kind", rtype.kind)
    summaries = []
    for item in items:
        verdict = predicate(item)
        entry = {"name": item["metadata"]["name"], "namespace": item["metadata"].get("namespace"),
                 "ready": verdict.state == "ready", "reason": verdict.describe()}
        entry.update(summarize(item))
        summaries.append(entry)
    result.update(resources=items, summaries=summaries, api_version=version, api_requests=client.requests)
    module.exit_json(**result)
