#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gke_teardown
short_description: Scale our GKE accelerator pools to zero, or delete the node pools, cluster and subnetworks we created
version_added: 0.2.0
description:
  - Acts only on what carries the ownership label C(llmd-xks-managed-by=llmd-xks) (cluster C(resourceLabels), node
    pool node labels) or, for subnetworks (which have no labels), the marker in their description, plus
    C(llmd-xks-cluster=<cluster_name>). Anything else is listed as kept.
  - V(scale_to_zero) sets the minimum of each accelerator pool's autoscaling to 0 and its size to 0. The CPU pool is
    never scaled, since EPP, gateways and controllers need it while the cluster lives (seed §6.5).
  - V(delete) deletes the accelerator pools, then the cluster when it is ours (its CPU pool goes with it, never
    before), then our subnetworks of the region once the cluster is gone. Each step waits for its operation.
  - Check mode lists what would go, without any change.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - google.cloud.gcp
  - llmd.xks._gcp
options:
  location:
    description: Zone (or region) of the cluster.
    type: str
    required: true
  cluster_name:
    description: The cluster.
    type: str
    required: true
  mode:
    description: V(scale_to_zero) or V(delete).
    type: str
    default: scale_to_zero
    choices: [scale_to_zero, delete]
  delete_cluster:
    description: In V(delete) mode, delete the cluster too (when it carries our label).
    type: bool
    default: true
  delete_subnets:
    description: In V(delete) mode, delete our subnetworks of the region once the cluster is gone.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for each operation.
    type: int
    default: 1800
attributes:
  check_mode:
    description: Lists what would be scaled or deleted; makes only GET requests.
    support: full
  diff_mode:
    description: Returns no diff; RV(actions) lists what changes.
    support: none
"""

EXAMPLES = r"""
- name: Stop paying for accelerators, keep the cluster
  llmd.xks.gke_teardown:
    project: my-project
    auth_kind: application
    location: europe-west4-a
    cluster_name: llmd-tpu
    mode: scale_to_zero
"""

RETURN = r"""
actions:
  description:
    - What was (or, in check mode, would be) done, each C({target, kind, action, detail}).
    - C(action) is V(scale_to_zero), V(delete) or V(keep).
  returned: always
  type: list
  elements: dict
api_requests:
  description: Number of API requests made.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._gcp import (
    AUTH_MUTUALLY_EXCLUSIVE, COMPUTE, CONTAINER, GcpError, auth_argument_spec, connect, region_of)
from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import CLUSTER_KEY, OWNER_KEY, OWNER_VALUE, SUBNET_MARKER


def owned(labels, cluster_name):
    labels = labels or {}
    return labels.get(OWNER_KEY) == OWNER_VALUE and labels.get(CLUSTER_KEY, cluster_name) == cluster_name


def is_accelerator_pool(pool):
    config = pool.get("config") or {}
    return bool(config.get("accelerators")) or config.get("machineType", "").startswith("ct") or bool(pool.get("placementPolicy"))


def main():
    spec = auth_argument_spec()
    spec.update(
        location=dict(type="str", required=True), cluster_name=dict(type="str", required=True),
        mode=dict(type="str", default="scale_to_zero", choices=["scale_to_zero", "delete"]),
        delete_cluster=dict(type="bool", default=True), delete_subnets=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE)
    p = module.params
    if not p["project"]:
        module.fail_json(msg="project: set the GCP project (or GCP_PROJECT); nothing was sent to GCP")
    client = connect(module)
    check = module.check_mode
    name, location = p["cluster_name"], p["location"]
    url = "%s/projects/%s/locations/%s/clusters/%s" % (CONTAINER, p["project"], location, name)
    actions = []

    def act(target, kind, action, detail):
        actions.append(dict(target=target, kind=kind, action=action, detail=detail))

    def run(method, op_url, body=None):
        if not check:
            client.wait(client.request(method, op_url, body=body), timeout=p["wait_timeout"], interval=10)

    try:
        cluster = client.get_or_none(url)
        cluster_gone = cluster is None
        if cluster is None:
            act(name, "cluster", "keep", "not found in %s: nothing to do for the cluster and its pools" % location)
        else:
            cluster_ours = owned(cluster.get("resourceLabels"), name)
            for pool in cluster.get("nodePools") or []:
                pool_url = "%s/nodePools/%s" % (url, pool["name"])
                config = pool.get("config") or {}
                mine = owned(config.get("labels"), name) or owned(config.get("resourceLabels"), name)
                if not mine:
                    act(pool["name"], "node_pool", "keep", "no %s=%s label: not created by llmd.xks" % (OWNER_KEY, OWNER_VALUE))
                elif not is_accelerator_pool(pool):
                    act(pool["name"], "node_pool", "keep", "CPU pool: system pods need it while the cluster lives"
                        + (" (deleted with the cluster)" if p["mode"] == "delete" and cluster_ours and p["delete_cluster"] else ""))
                elif p["mode"] == "delete":
                    act(pool["name"], "node_pool", "delete", config.get("machineType", ""))
                    run("DELETE", pool_url)
                else:
                    scale = pool.get("autoscaling") or {}
                    size = 0
                    for group in pool.get("instanceGroupUrls") or []:
                        manager = client.get(group.replace("/instanceGroups/", "/instanceGroupManagers/"))
                        size += int(manager.get("targetSize", 0))
                    needs_min = scale.get("enabled") and scale.get("minNodeCount", 0) > 0
                    if size == 0 and not needs_min:
                        act(pool["name"], "node_pool", "keep", "already at zero nodes")
                        continue
                    act(pool["name"], "node_pool", "scale_to_zero", "%d node(s) -> 0%s" % (size, ", autoscaling min -> 0" if needs_min else ""))
                    if needs_min:
                        run("POST", pool_url + ":setAutoscaling", dict(autoscaling=dict(
                            enabled=True, minNodeCount=0, maxNodeCount=scale.get("maxNodeCount", 1))))
                    if size:
                        run("POST", pool_url + ":setSize", dict(nodeCount=0))
            if p["mode"] == "delete" and p["delete_cluster"]:
                if cluster_ours:
                    act(name, "cluster", "delete", "labelled %s=%s" % (OWNER_KEY, OWNER_VALUE))
                    run("DELETE", url)
                    cluster_gone = True
                else:
                    act(name, "cluster", "keep", "no %s=%s resource label: not created by llmd.xks" % (OWNER_KEY, OWNER_VALUE))
        if p["mode"] == "delete" and p["delete_subnets"]:
            region = region_of(location) if location.count("-") == 2 else location
            marker = "cluster=%s" % name
            for subnet in client.list("%s/projects/%s/regions/%s/subnetworks" % (COMPUTE, p["project"], region)):
                description = subnet.get("description") or ""
                if SUBNET_MARKER not in description or marker not in description.split():
                    continue
                if not cluster_gone:
                    act(subnet["name"], "subnetwork", "keep", "the cluster still exists")
                    continue
                act(subnet["name"], "subnetwork", "delete", "%s %s" % (subnet.get("purpose", "PRIVATE"), subnet.get("ipCidrRange")))
                run("DELETE", subnet["selfLink"])
    except GcpError as exc:
        hint = ""
        if exc.is_permission:
            hint = (" Grant roles/container.admin and roles/compute.networkAdmin: gcloud projects add-iam-policy-binding %s "
                    "--member=<user:|serviceAccount:>EMAIL --role=roles/container.admin" % p["project"])
        module.fail_json(msg="GCP API error: %s.%s" % (exc, hint), actions=actions, api_requests=client.requests,
                         changed=any(a["action"] != "keep" for a in actions) and not check)
    module.exit_json(changed=any(a["action"] != "keep" for a in actions), actions=actions, api_requests=client.requests)


if __name__ == "__main__":
    main()
