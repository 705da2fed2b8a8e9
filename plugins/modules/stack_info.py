#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stack_info
short_description: Report what llmd.xks deployed in a namespace, per stack and release
version_added: 0.2.0
description:
  - Reads a namespace (about nine list requests) and groups the objects the pattern role created into deployments,
    one per release and stack, with the pattern, the models, the gateways, routes and pools, their readiness,
    whether the deployment serves, and the URLs users call.
  - A deployment B(serves) when one of its HTTPRoutes is accepted by a gateway and a backend of that route
    (an InferencePool or a Service) selects at least one ready pod.
  - Objects are attributed by the labels C(llmd.xks/release) and C(llmd.xks/stack) that the pattern role sets, and
    KServe's children by their owner; objects without those labels are not reported.
  - Kinds the cluster does not serve count as empty.
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  namespace:
    description: Namespace to read.
    type: str
    required: true
  stack:
    description: Report only deployments of this stack.
    type: str
    choices: [istio_kserve, gateway_api_llmd, kserve_gke_gateway]
  release:
    description: Report only deployments of this release (the prefix of generated names, C(pattern<N>) by default).
    type: str
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.INFO_ATTRIBUTES
"""

EXAMPLES = r"""
- name: What runs in namespace llm-d?
  llmd.xks.stack_info:
    namespace: llm-d
  register: deployed

- name: The endpoints of the ready deployments
  ansible.builtin.debug:
    msg: "{{ deployed.deployments | selectattr('ready') | map(attribute='endpoints') | flatten }}"
"""

RETURN = r"""
deployments:
  description: One entry per release and stack.
  returned: success
  type: list
  elements: dict
  contains:
    stack:
      description: C(istio_kserve), C(gateway_api_llmd) or C(kserve_gke_gateway).
      type: str
    release:
      description: The release (name prefix).
      type: str
    pattern:
      description: The pattern number, from the C(llmd.xks/pattern) label.
      type: int
    models:
      description: The served model names.
      type: list
      elements: str
    services:
      description: LLMInferenceServices (KServe stacks) with C(name), C(ready), C(reason), C(url), C(gateways).
      type: list
      elements: dict
    workloads:
      description: Model-server Deployments or LeaderWorkerSets (llm-d stack) with C(kind), C(name), C(ready).
      type: list
      elements: dict
    routes:
      description: >-
        HTTPRoutes with C(name), C(ready), C(parents) (C(gateway), C(accepted), C(resolved_refs)), C(backends)
        (C(kind), C(name), C(weight), C(ready_endpoints)), C(serving) and C(path_prefixes).
      type: list
      elements: dict
    pools:
      description: InferencePools with C(name), C(api_version), C(ready), C(gateways), C(ready_endpoints).
      type: list
      elements: dict
    gateways:
      description: The gateways the routes name, with C(name) (namespace/name), C(exists), C(class), C(programmed), C(address).
      type: list
      elements: dict
    ready:
      description: Every model server is ready (KServe) or every workload, pool and route is (llm-d).
      type: bool
    serving:
      description: A route is accepted by a gateway and has a backend with a ready endpoint.
      type: bool
    endpoints:
      description: Base URLs of the OpenAI API through each accepting gateway that has an address.
      type: list
      elements: str
      sample: [http://203.0.113.10/llm-d/qwen/v1]
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    connect,
    connection_argument_spec,
    fail_on_invalid,
    new_module,
)
from ansible_collections.llmd.xks.plugins.module_utils._stack_info import describe


def main():
    spec = connection_argument_spec()
    spec.update(
        namespace=dict(type="str", required=True),
        stack=dict(type="str", choices=["istio_kserve", "gateway_api_llmd", "kserve_gke_gateway"]),
        release=dict(type="str"),
    )
    module = new_module(spec)
    fail_on_invalid(module, check.dns_label("namespace", module.params["namespace"]))
    client = connect(module)
    try:
        deployments = describe(client, module.params["namespace"], module.params.get("stack"), module.params.get("release"))
    except UnreachableError as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests)
    except ApiError as exc:
        module.fail_json(msg="Kubernetes API error: %s" % exc, api_requests=client.requests)
    module.exit_json(changed=False, deployments=deployments, api_requests=client.requests)


if __name__ == "__main__":
    main()
