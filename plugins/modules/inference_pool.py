#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: inference_pool
short_description: Manage a Gateway API Inference Extension InferencePool
version_added: 0.1.0
description:
  - Server-side applies an C(InferencePool), the set of model-server pods a gateway balances with the help of an
    endpoint picker (EPP).
  - Uses C(inference.networking.k8s.io/v1) when the cluster serves it, else the older
    C(inference.networking.x-k8s.io/v1alpha2) (one target port, C(extensionRef)).
  - Ready means a gateway has accepted a route to the pool (C(status.parents[]) with C(Accepted=True) for the
    current generation), or each gateway in O(wait_for_gateways) has.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.RESOURCE
  - llmd.xks._common.ATTRIBUTES
options:
  selector:
    description:
      - Labels of the model-server pods. Required with O(state=present). Label values cannot contain C(/).
    type: dict
  target_ports:
    description:
      - Model-server ports (at most 8; V1alpha2 uses the first). Required with O(state=present).
    type: list
    elements: int
  app_protocol:
    description:
      - Protocol the gateway speaks to the model servers.
    type: str
    choices: [http, kubernetes.io/h2c]
  endpoint_picker:
    description:
      - The endpoint picker Service. Required with O(state=present).
    type: dict
    suboptions:
      name:
        description: Service name of the EPP.
        type: str
        required: true
      port:
        description: gRPC ext-proc port of the EPP.
        type: int
        default: 9002
      failure_mode:
        description: What the gateway does when the EPP is down.
        type: str
        default: FailOpen
        choices: [FailOpen, FailClose]
  wait_for_gateways:
    description:
      - With O(wait=true), wait until each of these gateways (C(namespace/name)) accepted the pool.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Pool of the Qwen pods behind an llm-d endpoint picker
  llmd.xks.inference_pool:
    name: qwen
    namespace: llm
    selector:
      llm-d.ai/inference-serving: "true"
      llm-d.ai/model: qwen3-0-6b
    target_ports: [8000]
    endpoint_picker:
      name: qwen-epp
    wait: true
    wait_for_gateways: [llm/inference-gateway]
"""

RETURN = r"""
changed:
  description: Whether the object was (or in check mode would be) created, updated or deleted.
  returned: always
  type: bool
action:
  description: One of V(created), V(updated), V(unchanged), V(deleted), V(absent).
  returned: success
  type: str
api_version:
  description: The negotiated API version.
  returned: success
  type: str
  sample: inference.networking.k8s.io/v1
resource:
  description: The object as the API server returned it.
  returned: success
  type: dict
parents:
  description: Gateways that report on the pool, with their conditions.
  returned: state is present
  type: list
  elements: dict
ready:
  description: Whether the pool is accepted (see the description).
  returned: state is present
  type: bool
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
diff:
  description: Before and after, limited to the fields this module sets.
  returned: when diff mode is on and something changed
  type: dict
"""

from ansible_collections.llmd.xks.plugins.module_utils._pool import run


def main():
    run()


if __name__ == "__main__":
    main()
