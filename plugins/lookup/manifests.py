# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: manifests
short_description: Read Kubernetes manifests from files or directories, without their status
version_added: 0.1.0
description:
  - Returns the objects of the given YAML files, or of the C(*.yaml), C(*.yml) and C(*.json) files of the given
    directories (in name order), as a list of mappings, ready for O(llmd.xks.apply_set#module:definitions).
  - Drops the C(status) stanza that release bundles carry (for example C(status.acceptedNames) in CRDs generated
    by controller-gen), which an apply never sets and which would otherwise show up as a permanent difference.
  - Drops empty documents and C(null) values at the top level.
  - Runs on the controller.
options:
  _terms:
    description: Paths of files or directories.
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
- name: Apply the Gateway API CRDs from a local copy
  llmd.xks.apply_set:
    definitions: "{{ query('llmd.xks.manifests', '/srv/mirror/gateway-api/standard-install.yaml') }}"
"""

RETURN = r"""
_raw:
  description: The objects, one mapping each.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

try:
    import yaml

    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None


def _files(path):
    if os.path.isdir(path):
        return [os.path.join(path, name) for name in sorted(os.listdir(path))
                if name.endswith((".yaml", ".yml", ".json")) and os.path.isfile(os.path.join(path, name))]
    if os.path.isfile(path):
        return [path]
    raise AnsibleError("manifests: %s is neither a file nor a directory" % path)


def _clean(doc):
    out = dict((k, v) for k, v in doc.items() if k != "status" and v is not None)
    return out


def read_manifests(paths):
    objects = []
    for path in paths:
        for name in _files(os.path.expanduser(path)):
            try:
                with open(name) as handle:
                    docs = list(yaml.load_all(handle, Loader=_Loader))
            except yaml.YAMLError as exc:
                raise AnsibleError("manifests: %s is not valid YAML: %s" % (name, exc))
            for doc in docs:
                if isinstance(doc, dict) and doc:
                    objects.append(_clean(doc))
    return objects


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return read_manifests(terms)
