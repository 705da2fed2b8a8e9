#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: llm_inference_service_info
short_description: List LLMInferenceService objects and their readiness
version_added: 0.1.0
description:
  - Returns LLMInferenceService objects, one by name or all that match the selectors, with a readiness summary computed the
    same way as M(llmd.xks.llm_inference_service) waits.
  - A cluster without the LLMInferenceService CRD returns no objects, C(crd_installed=false) and a warning naming what to install.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.INFO
  - llmd.xks._common.INFO_ATTRIBUTES
"""

EXAMPLES = r"""
- name: All LLMInferenceService objects in a namespace
  llmd.xks.llm_inference_service_info:
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
  description: Per object, C(name), C(namespace), C(ready), C(reason) and kind-specific fields (url, addresses, conditions, children).
  returned: when the CRD is installed
  type: list
  elements: dict
api_version:
  description: The API version the objects were read with.
  returned: when the CRD is installed
  type: str
  sample: serving.kserve.io/v1alpha2
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
from ansible_collections.llmd.xks.plugins.module_utils._llmisvc import summarize
from ansible_collections.llmd.xks.plugins.module_utils._resources import LLM_INFERENCE_SERVICE


def main():
    run_info(LLM_INFERENCE_SERVICE, summarize)


if __name__ == "__main__":
    main()
