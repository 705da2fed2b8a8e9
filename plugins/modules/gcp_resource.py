#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gcp_resource
short_description: Create, update or delete one GCP REST resource the google.cloud modules cannot express
version_added: 0.2.0
description:
  - For the parts of the GKE plan that C(google.cloud) 1.10.2 has no option for (proxy-only subnetwork,
    TPU placement policy, GPU driver installation, Gateway API channel, workload identity).
  - V(present) GETs O(url); when it is missing, POSTs O(body) to O(create_url) and waits for the operation.
    With O(update), the update request is sent when a field of C(update.compare) differs on the live object.
    V(absent) DELETEs O(url) and waits. V(query) only reads.
  - While a node pool is being created, its C(conditions) are polled; a code in O(fail_on_conditions)
    (C(GCE_STOCKOUT) by default) fails the task at once instead of GKE's silent retries for ~35 minutes.
  - Check mode makes only GET requests and reports what would change.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - google.cloud.gcp
  - llmd.xks._gcp
options:
  url:
    description: The resource's URL (C(https://container.googleapis.com/v1/projects/P/locations/Z/clusters/C/nodePools/N) ...).
    type: str
    required: true
  create_url:
    description: Collection URL to POST O(body) to; default O(url) without its last segment.
    type: str
  body:
    description: The create request body.
    type: dict
    default: {}
  state:
    description: V(present), V(absent) or V(query).
    type: str
    default: present
    choices: [present, absent, query]
  update:
    description:
      - C({method, url, body, compare}); C(compare) maps dotted field paths of the live object to the wanted values.
    type: dict
  fail_on_conditions:
    description: Condition codes of the resource that end the wait with a failure.
    type: list
    elements: str
    default: [GCE_STOCKOUT, GCE_QUOTA_EXCEEDED]
  wait_timeout:
    description: Seconds to wait for an operation.
    type: int
    default: 1800
attributes:
  check_mode:
    description: Makes only GET requests and reports whether the resource would be created, updated or deleted.
    support: full
  diff_mode:
    description: Returns no diff; RV(differs) lists the fields of C(update.compare) that differ.
    support: none
"""

EXAMPLES = r"""
- name: Proxy-only subnetwork for the regional gateway
  llmd.xks.gcp_resource:
    project: my-project
    auth_kind: application
    url: https://compute.googleapis.com/compute/v1/projects/my-project/regions/europe-west4/subnetworks/europe-west4-proxy-only
    body:
      name: europe-west4-proxy-only
      network: projects/my-project/global/networks/default
      ipCidrRange: 192.168.0.0/23
      purpose: REGIONAL_MANAGED_PROXY
      role: ACTIVE
"""

RETURN = r"""
resource:
  description: The resource after the change (what would be created in check mode), empty when absent.
  returned: always
  type: dict
action:
  description: V(created), V(updated), V(deleted) or V(none).
  returned: always
  type: str
differs:
  description: The C(update.compare) fields whose live value differs, with that value.
  returned: when an update is (or would be) sent
  type: dict
api_requests:
  description: Number of API requests made.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._gcp import (
    AUTH_MUTUALLY_EXCLUSIVE, GcpError, auth_argument_spec, connect)


def dig(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


class ConditionFailure(Exception):
    pass


def main():
    spec = auth_argument_spec()
    spec.update(
        url=dict(type="str", required=True),
        create_url=dict(type="str"),
        body=dict(type="dict", default={}),
        state=dict(type="str", default="present", choices=["present", "absent", "query"]),
        update=dict(type="dict"),
        fail_on_conditions=dict(type="list", elements="str", default=["GCE_STOCKOUT", "GCE_QUOTA_EXCEEDED"]),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE)
    p = module.params
    update = p["update"] or {}
    if update and not (update.get("url") and update.get("body") and isinstance(update.get("compare"), dict)):
        module.fail_json(msg="update: give url, body and compare (a dict of field path -> wanted value)")
    client = connect(module)
    url = p["url"]

    def watch(op):
        live = client.get_or_none(url) or {}
        bad = [c for c in live.get("conditions") or [] if c.get("code") in p["fail_on_conditions"]]
        if bad:
            raise ConditionFailure("; ".join("%s: %s" % (c.get("code"), c.get("message")) for c in bad))

    result = dict(changed=False, action="none", resource={})
    try:
        live = client.get_or_none(url)
        if p["state"] == "query":
            result["resource"] = live or {}
        elif p["state"] == "absent":
            if live is not None:
                result.update(changed=True, action="deleted")
                if not module.check_mode:
                    client.wait(client.delete(url), timeout=p["wait_timeout"])
        elif live is None:
            result.update(changed=True, action="created", resource=p["body"])
            if not module.check_mode:
                op = client.post(p["create_url"] or url.rsplit("/", 1)[0], p["body"])
                client.wait(op, timeout=p["wait_timeout"], interval=10, on_poll=watch)
                result["resource"] = client.get(url)
        else:
            result["resource"] = live
            differs = dict((k, dig(live, k)) for k, v in update.get("compare", {}).items() if dig(live, k) != v)
            if differs:
                result.update(changed=True, action="updated", differs=differs)
                if not module.check_mode:
                    op = client.request(update.get("method", "PUT").upper(), update["url"], body=update["body"])
                    client.wait(op, timeout=p["wait_timeout"], interval=10)
                    result["resource"] = client.get(url)
    except ConditionFailure as exc:
        module.fail_json(msg="Stopped waiting for %s: %s. GKE would keep retrying for ~35 minutes; delete the pending pool "
                             "(state: absent) and use another zone (llmd_xks_gke_zones) or accelerator." % (url, exc),
                         api_requests=client.requests, **result)
    except GcpError as exc:
        hint = ""
        if exc.is_permission:
            hint = (" The caller needs roles/container.admin (clusters, node pools) or roles/compute.networkAdmin "
                    "(subnetworks): gcloud projects add-iam-policy-binding %s --member=<user:|serviceAccount:>EMAIL "
                    "--role=roles/container.admin" % p["project"])
        elif exc.is_stockout:
            hint = " No capacity in this zone: run llmd.xks.gke_capacity_probe with more zones."
        module.fail_json(msg="GCP API error: %s.%s" % (exc, hint), api_requests=client.requests, **result)
    module.exit_json(api_requests=client.requests, **result)


if __name__ == "__main__":
    main()
