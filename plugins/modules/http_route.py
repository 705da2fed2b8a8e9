#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: http_route
short_description: Manage a Gateway API HTTPRoute to Services or InferencePools
version_added: 0.1.0
description:
  - Server-side applies a C(gateway.networking.k8s.io/v1) C(HTTPRoute) built from typed options.
  - Ready means every parent gateway reports C(Accepted=True) and C(ResolvedRefs=True) for the current
    generation. A route a listener does not allow, an unsupported backend kind or a cross-namespace backend
    without a ReferenceGrant fail at once with the gateway's reason.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.RESOURCE
  - llmd.xks._common.ATTRIBUTES
options:
  parent_refs:
    description:
      - Gateways (or listeners) the route attaches to. Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description: Gateway name.
        type: str
        required: true
      namespace:
        description: Gateway namespace; defaults to the route's.
        type: str
      section_name:
        description: Listener name.
        type: str
      port:
        description: Listener port.
        type: int
      kind:
        description: Parent kind.
        type: str
        default: Gateway
      group:
        description: Parent API group.
        type: str
        default: gateway.networking.k8s.io
  hostnames:
    description: Host names the route matches.
    type: list
    elements: str
    default: []
  rules:
    description:
      - Routing rules. Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description: Rule name.
        type: str
      matches:
        description: Request matches (any of them).
        type: list
        elements: dict
        default: []
        suboptions:
          path:
            description: Path match.
            type: dict
            suboptions:
              type:
                description: Match type.
                type: str
                default: PathPrefix
                choices: [Exact, PathPrefix, RegularExpression]
              value:
                description: Path; must start with C(/).
                type: str
                default: /
          headers:
            description: Header matches (all of them). Each needs a value.
            type: list
            elements: dict
            default: []
            suboptions:
              name:
                description: Header name, for example C(X-Gateway-Model-Name).
                type: str
                required: true
              value:
                description: Header value.
                type: str
              type:
                description: Match type.
                type: str
                default: Exact
                choices: [Exact, RegularExpression]
          method:
            description: HTTP method.
            type: str
            choices: [GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH]
      backend_refs:
        description: Where matching requests go.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Backend name.
            type: str
            required: true
          kind:
            description: V(Service) (needs O(rules[].backend_refs[].port)) or V(InferencePool) (takes no port).
            type: str
            default: Service
            choices: [Service, InferencePool]
          group:
            description: API group; an InferencePool defaults to C(inference.networking.k8s.io).
            type: str
          namespace:
            description: Backend namespace (needs a ReferenceGrant there when it differs).
            type: str
          port:
            description: Service port.
            type: int
          weight:
            description: Relative weight for traffic splitting (0 to 1000000).
            type: int
      filters:
        description: Gateway API filters, passed as they are.
        type: list
        elements: dict
        default: []
      timeouts:
        description: Timeouts (Gateway API durations such as C(300s), C(0s) for none).
        type: dict
        suboptions:
          request:
            description: Whole request timeout.
            type: str
          backend_request:
            description: Timeout of one backend request.
            type: str
"""

EXAMPLES = r"""
- name: Route one model's requests to its InferencePool by the model header
  llmd.xks.http_route:
    name: qwen
    namespace: llm
    parent_refs:
      - name: inference-gateway
    rules:
      - matches:
          - path: {type: PathPrefix, value: /}
            headers:
              - {name: X-Gateway-Model-Name, value: Qwen/Qwen3-0.6B}
        backend_refs:
          - {kind: InferencePool, name: qwen}
        timeouts: {request: 300s}
    wait: true
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
  description: The API version used.
  returned: success
  type: str
  sample: gateway.networking.k8s.io/v1
resource:
  description: The object as the API server returned it.
  returned: success
  type: dict
parents:
  description: What each parent gateway reports (controller and conditions).
  returned: state is present
  type: list
  elements: dict
ready:
  description: Whether every parent accepted the route and resolved its backends.
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

from ansible_collections.llmd.xks.plugins.module_utils._route import run


def main():
    run()


if __name__ == "__main__":
    main()
