#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: inference_pool_info
short_description: List InferencePool objects and their readiness
version_added: 0.1.0
description:
  - Returns InferencePool objects, one by name or all that match the selectors, with a readiness summary computed the
    same way as M(llmd.xks.inference_pool) waits.
  - A cluster without the InferencePool CRD returns no objects, C(crd_installed=false) and a warning naming what to install.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.INFO
  - llmd.xks._common.INFO_ATTRIBUTES
"""

EXAMPLES = r"""
- name: All InferencePool objects in a namespace
  llmd.xks.inference_pool_info:
    namespace: llm
  register: found

- name: Names of those that are not ready
  ansible.builtin.debug:
    msg: "{{ found.summaries | rejectattr('ready') | map(attribute='name') | list }}"
"""

RETURN = r"""
resources:
  description: The objects as the API server returned them.
  returned: always
  type: list
  elements: dict
summaries:
  description: Per object, C(name), C(namespace), C(ready), C(reason) and kind-specific fields (parents).
  returned: when the CRD is installed
  type: list
  elements: dict
api_version:
  description: The API version the objects were read with.
  returned: when the CRD is installed
  type: str
  sample: inference.networking.k8s.io/v1
crd_installed:
  description: Whether the cluster serves the kind.
  returned: always
  type: bool
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

from ansible_collections.llmd.xks.plugins.module_utils._info import run_info
from ansible_collections.llmd.xks.plugins.module_utils._pool import summarize_pool
from ansible_collections.llmd.xks.plugins.module_utils._resources import INFERENCE_POOL


def main():
    run_info(INFERENCE_POOL, summarize_pool)


if __name__ == "__main__":
    main()
