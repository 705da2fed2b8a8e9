# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# PRIVATE to the llmd.xks collection: do not use outside of it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Options of every module that talks to the cluster (besides kubernetes.core.k8s_auth_options).
    DOCUMENTATION = r"""
options:
  request_timeout:
    description:
      - Seconds to wait for the API server's answer to one request before giving up (a server that accepts the
        connection and never answers fails after this long, with a message naming the server and the request).
      - Falls back to the environment variable E(LLMD_XKS_REQUEST_TIMEOUT).
    type: int
    default: 30
  connect_timeout:
    description:
      - Seconds to wait for the TCP and TLS connection to the API server (never more than O(request_timeout)).
      - Falls back to the environment variable E(LLMD_XKS_CONNECT_TIMEOUT).
    type: int
    default: 10
"""

    RESOURCE = r"""
options:
  name:
    description:
      - Name of the object (a DNS label).
    type: str
    required: true
  namespace:
    description:
      - Namespace of the object.
    type: str
    required: true
  state:
    description:
      - V(present) server-side applies the object; V(absent) deletes it.
      - V(absent) of an object, or of a kind whose CRD is not installed, is not an error.
    type: str
    default: present
    choices: [present, absent]
  api_version:
    description:
      - Force one API version instead of negotiating the newest one the cluster serves.
    type: str
  labels:
    description:
      - Labels to set on the object.
    type: dict
    default: {}
  annotations:
    description:
      - Annotations to set on the object.
    type: dict
    default: {}
  force_conflicts:
    description:
      - Take ownership of fields that another field manager owns. Without it a conflict fails
        with the names of the other managers.
    type: bool
    default: false
  wait:
    description:
      - Wait until the object is ready, as its controllers report it (see the module description).
      - The wait follows a watch; it checks that the controllers observed the current generation and
        stops early on a terminal failure.
      - An API server that is briefly away during the wait (unreachable, 429 or 5xx) is retried until
        O(wait_timeout); only an outage that outlasts it fails the task.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true). On timeout the module fails with the last reason the
        controllers gave, including the scheduler's reason for Pending pods.
    type: int
    default: 600
"""

    INFO = r"""
options:
  name:
    description:
      - Name of one object. Without it, every object that matches O(label_selectors) is returned.
    type: str
  namespace:
    description:
      - Namespace to look in. Without it, all namespaces.
    type: str
  label_selectors:
    description:
      - Label selectors, for example V(app.kubernetes.io/part-of=llminferenceservice).
    type: list
    elements: str
    default: []
  api_version:
    description:
      - Force one API version instead of using the newest one the cluster serves.
    type: str
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying the cluster.
      Changes are sent as a server-side dry run, so schema and admission errors still fail the task.
    support: full
  diff_mode:
    description: Returns details on what has changed (or would change in check mode), limited to the fields
      this collection owns.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
  action_group:
    description: Use C(group/llmd.xks.llmd) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - llmd.xks.llmd
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Read-only; returns no diff.
    support: N/A
  action_group:
    description: Use C(group/llmd.xks.llmd) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - llmd.xks.llmd
"""
