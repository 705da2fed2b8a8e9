#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gke_plan
short_description: Compute the GKE cluster, subnetworks and node pools for the accelerator profiles
version_added: 0.2.0
description:
  - Pure planning, no API call. From the accelerator profiles (C(playbooks/vars/accelerators.yml)) and the
    inventory's node pools it returns the arguments of C(google.cloud.gcp_container_cluster),
    C(google.cloud.gcp_compute_subnetwork) and C(google.cloud.gcp_container_node_pool), and REST bodies for
    what those modules cannot express (Gateway API channel, workload identity, proxy-only subnetwork, TPU
    placement policy, GPU driver installation).
  - The CPU pool is never autoscaled to zero. Single-host TPU v6e pools (ct6e-standard-1t/4t/8t) get no TPU
    topology; a multi-host profile (C(hosts) > 1) gets C(placementPolicy) with its topology and scales 0 or all hosts.
  - Every pool, the cluster and the subnetworks carry the ownership label C(llmd-xks-managed-by=llmd-xks)
    (subnetworks, which have no labels, in their description); C(llmd.xks.gke_teardown) removes only those.
  - Bad input fails with every error, naming the field and the fix.
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  accelerators:
    description: The accelerator profiles (the variable C(llmd_xks_accelerators)).
    type: dict
    required: true
  node_pools:
    description:
      - The pools, each C({name, profile, count}) with optional C(min), C(max), C(spot), C(disk_size_gb), C(labels),
        C(gpu_driver_version) (default V(DEFAULT)).
    type: list
    elements: dict
    required: true
  project:
    description: The GCP project id.
    type: str
    required: true
  zones:
    description: Candidate zones of one region, in order of preference; the plan uses the first.
    type: list
    elements: str
    required: true
  cluster_name:
    description: Name of the GKE cluster.
    type: str
    required: true
  network:
    description: VPC network name.
    type: str
    default: default
  subnet:
    description:
      - The node subnetwork C({create, name, cidr, pods_cidr, services_cidr}); defaults C(<cluster>-nodes),
        10.0.0.0/20, 10.4.0.0/14, 10.8.0.0/20. With C(create=false), C(name) names an existing subnetwork.
    type: dict
    default: {}
  proxy_subnet:
    description:
      - The proxy-only subnetwork C({create, name, cidr}) for regional managed gateways; default
        C(<region>-proxy-only), 192.168.0.0/23 (outside the 10.128.0.0/9 of auto-mode VPCs).
    type: dict
    default: {}
  release_channel:
    description: GKE release channel.
    type: str
    default: REGULAR
    choices: [RAPID, REGULAR, STABLE]
  gateway_api_channel:
    description: Gateway API channel of the cluster (the experimental bundle is refused by GKE 1.35).
    type: str
    default: CHANNEL_STANDARD
  dataplane:
    description: V(v2) (GKE Dataplane V2, network policy built in) or V(calico) (the network policy add-on).
    type: str
    default: v2
  cluster_version:
    description: Initial cluster version; default is the release channel's.
    type: str
  disk_size_gb:
    description: Boot disk size of every node.
    type: int
    default: 100
attributes:
  check_mode:
    description: Computes the same plan in check mode (it never calls an API).
    support: full
  diff_mode:
    description: Returns no diff; the plan is the result.
    support: N/A
"""

EXAMPLES = r"""
- name: Plan the cluster
  llmd.xks.gke_plan:
    accelerators: "{{ llmd_xks_accelerators }}"
    node_pools: "{{ llmd_xks_node_pools }}"
    project: my-project
    zones: [europe-west4-a, europe-west4-b]
    cluster_name: llmd-tpu
  register: plan

- name: Show it
  ansible.builtin.debug:
    msg: "{{ plan.table }}"
"""

RETURN = r"""
table:
  description: A readable table of the cluster, pools and subnetworks.
  returned: success
  type: list
  elements: str
cluster:
  description: Arguments of C(google.cloud.gcp_container_cluster).
  returned: success
  type: dict
cluster_updates:
  description: C(clusters.update) bodies for the Gateway API channel and workload identity, with the field each sets.
  returned: success
  type: list
  elements: dict
subnets:
  description: Subnetworks; C(create_with) is V(google.cloud) (C(gcp_args)) or V(rest) (C(rest_body)).
  returned: success
  type: list
  elements: dict
node_pools:
  description:
    - Pools with C(kind), C(machine_type), C(autoscaling), C(placement), C(accelerators), C(taints), C(labels),
      C(quota) (regional metric -> amount; V(null) when the API cannot check it), C(probe), and C(gcp_args)
      (CPU pool, google.cloud) or C(rest_body) (accelerator pools).
  returned: success
  type: list
  elements: dict
quota:
  description: Regional quota needed per metric (V(null) for TPU, which compute.regions.get does not report).
  returned: success
  type: dict
zone:
  description: The zone planned (the first candidate).
  returned: success
  type: str
region:
  description: The region of the zones.
  returned: success
  type: str
urls:
  description: API URLs of the cluster and the region.
  returned: success
  type: dict
owner_labels:
  description: The ownership labels.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import PlanError, build_plan


def main():
    module = AnsibleModule(argument_spec=dict(
        accelerators=dict(type="dict", required=True),
        node_pools=dict(type="list", elements="dict", required=True),
        project=dict(type="str", required=True),
        zones=dict(type="list", elements="str", required=True),
        cluster_name=dict(type="str", required=True),
        network=dict(type="str", default="default"),
        subnet=dict(type="dict", default={}),
        proxy_subnet=dict(type="dict", default={}),
        release_channel=dict(type="str", default="REGULAR", choices=["RAPID", "REGULAR", "STABLE"]),
        gateway_api_channel=dict(type="str", default="CHANNEL_STANDARD"),
        dataplane=dict(type="str", default="v2"),
        cluster_version=dict(type="str"),
        disk_size_gb=dict(type="int", default=100),
    ), supports_check_mode=True)
    p = module.params
    try:
        plan = build_plan(p["accelerators"], p["node_pools"], p["project"], p["zones"], p["cluster_name"], p["network"],
                          p["subnet"], p["proxy_subnet"], p["release_channel"], p["gateway_api_channel"], p["dataplane"],
                          p["cluster_version"], p["disk_size_gb"])
    except PlanError as exc:
        module.fail_json(msg="Invalid GKE plan, nothing was sent to GCP: %s" % exc, errors=exc.errors)
    module.exit_json(changed=False, **plan)


if __name__ == "__main__":
    main()
