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
  - An unreachable cluster fails with a message naming the kubeconfig options to check.
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
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._module import connect, connection_argument_spec, new_module


def main():
    module = new_module(connection_argument_spec())
    client = connect(module)
    try:
        groups = client.get("/apis")
        version = client.get("/version")
        served = ["v1"]
        for group in groups.get("groups", []):
            served.extend(v["groupVersion"] for v in group.get("versions", []))
        istio_version = None
        if "sailoperator.io/v1" in served:
            items = client.get("/apis/sailoperator.io/v1/istios").get("items", [])
            if items:
                istio_version = (items[0].get("status") or {}).get("version") or (items[0].get("spec") or {}).get("version")
    except UnreachableError as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests)
    except ApiError as exc:
        module.fail_json(msg="Kubernetes API error: %s" % exc, api_requests=client.requests)
    module.exit_json(changed=False, api_versions=sorted(set(served)), kubernetes_version=version.get("gitVersion"),
                     istio_version=istio_version, api_requests=client.requests)


if __name__ == "__main__":
    main()
