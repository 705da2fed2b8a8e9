# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: restorable
short_description: Turn a live object into a manifest that restores it with server-side apply
version_added: 0.2.0
description:
  - Keeps C(apiVersion), C(kind), C(metadata.name), C(metadata.namespace), C(metadata.labels), the
    C(metadata.annotations) (without C(kubectl.kubernetes.io/last-applied-configuration)) and C(spec); drops
    C(status) and every server-set metadata field (C(uid), C(resourceVersion), C(managedFields), ...).
  - The migration role snapshots objects it changes in place with it, and applies the result on a rollback.
options:
  _input:
    description: A Kubernetes object as the API server returned it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: A manifest that puts the object back as it is now
  ansible.builtin.set_fact:
    saved: "{{ live.resources[0] | llmd.xks.restorable }}"
"""

RETURN = r"""
_value:
  description: The manifest.
  type: dict
"""

import copy

DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def restorable(obj):
    meta = obj.get("metadata") or {}
    out = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
           "metadata": {"name": meta.get("name")}}
    if meta.get("namespace"):
        out["metadata"]["namespace"] = meta["namespace"]
    if meta.get("labels"):
        out["metadata"]["labels"] = dict(meta["labels"])
    annotations = dict((k, v) for k, v in (meta.get("annotations") or {}).items() if k not in DROPPED_ANNOTATIONS)
    if annotations:
        out["metadata"]["annotations"] = annotations
    if "spec" in obj:
        out["spec"] = copy.deepcopy(obj["spec"])
    return out


class FilterModule(object):
    def filters(self):
        return {"restorable": restorable}
