# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: without_route_timeouts
short_description: Remove the HTTPRoute rule timeouts from KServe presets
version_added: 0.1.0
description:
  - Returns copies of the given C(LLMInferenceServiceConfig) objects in which no rule of
    C(spec.router.route.http.spec.rules) has a C(timeouts) key. The GKE Gateway rejects HTTPRoutes with timeouts.
  - Other objects are returned unchanged.
options:
  _input:
    description: A list of Kubernetes objects.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Presets for the GKE Gateway
  ansible.builtin.set_fact:
    presets: "{{ query('llmd.xks.manifests', 'presets/') | llmd.xks.without_route_timeouts }}"
"""

RETURN = r"""
_value:
  description: The objects, without route timeouts.
  type: list
  elements: dict
"""

import copy


def without_route_timeouts(objects):
    out = []
    for obj in objects or []:
        obj = copy.deepcopy(obj)
        spec = (((((obj.get("spec") or {}).get("router") or {}).get("route") or {}).get("http") or {}).get("spec") or {})
        for rule in spec.get("rules") or []:
            if isinstance(rule, dict):
                rule.pop("timeouts", None)
        out.append(obj)
    return out


class FilterModule(object):
    def filters(self):
        return {"without_route_timeouts": without_route_timeouts}
