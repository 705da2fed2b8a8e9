# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kind_name
short_description: C(Kind/name) of a Kubernetes object, for messages
version_added: 0.2.0
description:
  - Returns C(<kind>/<name>) of a manifest or live object, for example C(HTTPRoute/pattern1).
options:
  _input:
    description: A Kubernetes object.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: What the plan removes
  ansible.builtin.debug:
    msg: "{{ plan.remove_manifests | map('llmd.xks.kind_name') | list }}"
"""

RETURN = r"""
_value:
  description: C(<kind>/<name>).
  type: str
"""


def kind_name(obj):
    return "%s/%s" % (obj.get("kind"), (obj.get("metadata") or {}).get("name"))


class FilterModule(object):
    def filters(self):
        return {"kind_name": kind_name}
