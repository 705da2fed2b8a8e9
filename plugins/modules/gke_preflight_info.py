#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gke_preflight_info
short_description: GCP-side preflight checks of a project and GKE cluster, as pass/warn/fail rows
version_added: 0.2.0
description:
  - Read-only. Each check returns one row
    C({id, check, status (pass|warn|fail), detail, fix, failure}); C(failure) names the seed section 6 problem it detects.
  - "C(gcp_iam): the caller's permissions, with C(projects.testIamPermissions) (works for any identity, needs no
    extra role); a missing C(container.clusterRoles.*) permission is the C(roles/editor)-only case whose EPP
    crash-loops (seed §6.7)."
  - "C(gcp_apis): the required APIs are enabled (C(container), C(compute), C(networkservices) for ext_proc, and
    any listed in O(required_apis), e.g. C(tpu.googleapis.com))."
  - "C(gcp_proxy_only_subnet): an ACTIVE C(REGIONAL_MANAGED_PROXY) subnetwork in the region and network."
  - "C(gcp_quota): GPU quota left in the region for O(quota) (or any GPU quota at all), and C(IN_USE_ADDRESSES)
    (a gateway needs an address)."
  - "With O(cluster_name): C(gke_cluster) (exists, RUNNING), C(gke_gateway_api) (Gateway API channel standard and
    the HTTP load balancing add-on), C(gke_network_policy), C(gke_workload_identity), C(gke_cpu_pool) (a pool without
    accelerators whose autoscaling minimum is at least 1)."
  - A request that is denied makes its row fail with the permission and the role that grants it.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - google.cloud.gcp
  - llmd.xks._gcp
options:
  region:
    description:
      - Region of the cluster and subnetworks; default from O(location).
      - Without both, the regional rows (proxy-only subnetwork, quota) are warnings asking for them.
    type: str
  location:
    description: Zone (or region) of the cluster.
    type: str
  cluster_name:
    description: The GKE cluster; without it the cluster rows are left out.
    type: str
  network:
    description: VPC network name.
    type: str
    default: default
  required_apis:
    description: APIs that must be enabled besides container, compute and networkservices.
    type: list
    elements: str
    default: []
  quota:
    description: Regional quota needed, metric -> amount (e.g. the C(quota) of M(llmd.xks.gke_plan)).
    type: dict
    default: {}
  only:
    description: Only these row ids; default all.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Read-only; returns no diff.
    support: N/A
"""

EXAMPLES = r"""
- name: GCP preflight
  llmd.xks.gke_preflight_info:
    project: my-project
    auth_kind: application
    location: europe-west4-a
    cluster_name: llmd-tpu
    required_apis: [tpu.googleapis.com]
  register: gcp

- name: Fail on any failed row
  ansible.builtin.assert:
    that: gcp.rows | selectattr('status', 'equalto', 'fail') | list | length == 0
"""

RETURN = r"""
checks:
  description:
    - One dict per check, C(id), C(check), C(status) (V(pass), V(warn), V(fail)), C(detail), C(fix), C(failure);
      the same shape as the rows of M(llmd.xks.preflight_checks), so both merge into one table.
  returned: always
  type: list
  elements: dict
  sample:
    - id: gcp_proxy_only_subnet
      check: proxy-only subnetwork in europe-west4
      status: fail
      detail: no ACTIVE REGIONAL_MANAGED_PROXY subnetwork in network default
      fix: gcloud compute networks subnets create europe-west4-proxy-only --purpose=REGIONAL_MANAGED_PROXY ...
      failure: seed §6.13
rows:
  description: The same list as RV(checks).
  returned: always
  type: list
  elements: dict
proxy_only_subnet:
  description: Name of the region's active proxy-only subnetwork, or V(null).
  returned: always
  type: str
cluster_exists:
  description: Whether the cluster exists (V(null) without O(cluster_name)).
  returned: always
  type: bool
api_requests:
  description: Number of API requests made.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._gcp import (
    AUTH_MUTUALLY_EXCLUSIVE, COMPUTE, CONTAINER, CRM, SERVICEUSAGE, GcpError, auth_argument_spec, connect, region_of)

# permission -> role that grants it (what preflight-check.sh grepped for, made exact)
PERMISSIONS = {
    "container.clusters.create": "roles/container.admin",
    "container.clusterRoles.create": "roles/container.admin",
    "container.clusterRoleBindings.create": "roles/container.admin",
    "compute.subnetworks.create": "roles/compute.networkAdmin",
    "compute.instances.create": "roles/compute.instanceAdmin.v1",
    "compute.regions.get": "roles/compute.viewer",
    "serviceusage.services.list": "roles/serviceusage.serviceUsageViewer",
    "iam.serviceAccounts.actAs": "roles/iam.serviceAccountUser",
}
BASE_APIS = ["container.googleapis.com", "compute.googleapis.com", "networkservices.googleapis.com"]
GPU_METRICS = ("NVIDIA_",)


def row(id_, check, status, detail, fix="", failure=""):
    return {"id": id_, "check": check, "status": status, "detail": detail, "fix": fix, "failure": failure}


class Preflight(object):
    def __init__(self, params, client):
        self.p = params
        self.client = client
        self.project = params["project"]
        location = params["location"] or ""
        self.region = params["region"] or (region_of(location) if location.count("-") == 2 else location)
        self.proxy_only_subnet = None
        self.cluster = None

    def denied(self, id_, check, exc, permission, role, failure):
        if exc.is_permission:
            return row(id_, check, "fail", "permission denied: %s" % exc.message,
                       "grant %s (permission %s): gcloud projects add-iam-policy-binding %s --member=<user:|serviceAccount:>EMAIL "
                       "--role=%s" % (role, permission, self.project, role), failure)
        return row(id_, check, "fail", str(exc), "check the project id and that the API is reachable", failure)

    def iam(self):
        check = "caller's IAM permissions on %s" % self.project
        try:
            granted = set(self.client.post("%s/projects/%s:testIamPermissions" % (CRM, self.project),
                                           {"permissions": sorted(PERMISSIONS)}).get("permissions") or [])
        except GcpError as exc:
            return self.denied("gcp_iam", check, exc, "resourcemanager.projects.get", "roles/browser", "seed §6.7")
        missing = sorted(set(PERMISSIONS) - granted)
        if not missing:
            return row("gcp_iam", check, "pass", "all %d permissions granted" % len(PERMISSIONS), "", "seed §6.7")
        roles = sorted(set(PERMISSIONS[m] for m in missing))
        return row("gcp_iam", check, "fail", "missing %s" % ", ".join(missing),
                   "grant %s: gcloud projects add-iam-policy-binding %s --member=<user:|serviceAccount:>EMAIL --role=ROLE "
                   "(roles/editor lacks container.clusterRoles.*: EPP crash-loops)" % (", ".join(roles), self.project), "seed §6.7")

    def apis(self):
        wanted = BASE_APIS + [a for a in self.p["required_apis"] if a not in BASE_APIS]
        check = "APIs enabled: %s" % ", ".join(wanted)
        try:
            services = self.client.list("%s/projects/%s/services" % (SERVICEUSAGE, self.project), key="services",
                                        params={"filter": "state:ENABLED"})
            enabled = set(s["config"]["name"] for s in services)
        except GcpError as exc:
            return self.denied("gcp_apis", check, exc, "serviceusage.services.list", "roles/serviceusage.serviceUsageViewer",
                               "seed §6.14")
        missing = [a for a in wanted if a not in enabled]
        if not missing:
            return row("gcp_apis", check, "pass", "enabled", "", "seed §6.14")
        return row("gcp_apis", check, "fail", "not enabled: %s" % ", ".join(missing),
                   "gcloud services enable %s --project %s" % (" ".join(missing), self.project),
                   "seed §6.14" + (" (ext_proc: fault filter abort)" if "networkservices.googleapis.com" in missing else ""))

    def proxy_subnet(self):
        check = "proxy-only subnetwork in %s" % self.region
        try:
            subnets = self.client.list("%s/projects/%s/regions/%s/subnetworks" % (COMPUTE, self.project, self.region))
        except GcpError as exc:
            return self.denied("gcp_proxy_only_subnet", check, exc, "compute.subnetworks.list", "roles/compute.networkViewer",
                               "seed §6.13")
        active = [s for s in subnets if s.get("purpose") == "REGIONAL_MANAGED_PROXY" and s.get("role", "ACTIVE") == "ACTIVE"
                  and s.get("network", "").endswith("/networks/%s" % self.p["network"])]
        if active:
            self.proxy_only_subnet = active[0]["name"]
            return row("gcp_proxy_only_subnet", check, "pass", "%s %s" % (active[0]["name"], active[0].get("ipCidrRange")), "",
                       "seed §6.13")
        return row("gcp_proxy_only_subnet", check, "fail",
                   "no ACTIVE REGIONAL_MANAGED_PROXY subnetwork in network %s: regional gateways get no address" % self.p["network"],
                   "run playbooks/provision.yml, or: gcloud compute networks subnets create %s-proxy-only --purpose=REGIONAL_MANAGED_PROXY "
                   "--role=ACTIVE --region=%s --network=%s --range=192.168.0.0/23 (auto-mode VPCs use 10.128.0.0/9)"
                   % (self.region, self.region, self.p["network"]), "seed §6.13")

    def quota(self):
        check = "GPU and address quota in %s" % self.region
        try:
            quotas = dict((q["metric"], q) for q in self.client.get("%s/projects/%s/regions/%s" % (COMPUTE, self.project, self.region))
                          .get("quotas", []))
        except GcpError as exc:
            return self.denied("gcp_quota", check, exc, "compute.regions.get", "roles/compute.viewer", "seed §6.6")
        problems, notes = [], []
        for metric, needed in sorted((self.p["quota"] or {}).items()):
            if metric not in quotas:
                if not metric.startswith("TPU"):
                    problems.append("%s: no quota in %s (%s needed)" % (metric, self.region, needed))
                else:
                    notes.append("%s: not machine-checkable" % metric)
                continue
            left = quotas[metric]["limit"] - quotas[metric].get("usage", 0)
            (problems if left < needed else notes).append("%s: %g left, %g needed" % (metric, left, needed))
        if not self.p["quota"]:
            gpus = ["%s %g/%g" % (m, q.get("usage", 0), q["limit"]) for m, q in sorted(quotas.items())
                    if m.startswith(GPU_METRICS) and q["limit"] > 0]
            notes.append("GPU quota: %s" % (", ".join(gpus) or "none"))
        addresses = quotas.get("IN_USE_ADDRESSES")
        warn = addresses is not None and addresses["limit"] - addresses.get("usage", 0) < 1
        if warn:
            notes.append("IN_USE_ADDRESSES exhausted (%g/%g): a Gateway gets no IP" % (addresses.get("usage", 0), addresses["limit"]))
        if problems:
            return row("gcp_quota", check, "fail", "; ".join(problems + notes),
                       "request a quota increase (IAM & Admin > Quotas, region %s) or lower the pool counts" % self.region, "seed §6.6")
        status = "warn" if warn or (not self.p["quota"] and notes == ["GPU quota: none"]) else "pass"
        return row("gcp_quota", check, status, "; ".join(notes),
                   "" if status == "pass" else "delete stale forwarding rules/addresses or request quota", "seed §6.6")

    def cluster_rows(self):
        name, location = self.p["cluster_name"], self.p["location"]
        url = "%s/projects/%s/locations/%s/clusters/%s" % (CONTAINER, self.project, location, name)
        try:
            cluster = self.client.get_or_none(url)
        except GcpError as exc:
            return [self.denied("gke_cluster", "GKE cluster %s" % name, exc, "container.clusters.get", "roles/container.viewer", "")]
        if cluster is None:
            return [row("gke_cluster", "GKE cluster %s" % name, "fail", "not found in %s" % location,
                        "run playbooks/provision.yml -i inventories/gke-tpu (or gke-gpu)", "")]
        self.cluster = cluster
        rows = [row("gke_cluster", "GKE cluster %s" % name, "pass" if cluster.get("status") == "RUNNING" else "warn",
                    "status %s, version %s" % (cluster.get("status"), cluster.get("currentMasterVersion")),
                    "" if cluster.get("status") == "RUNNING" else "wait until the cluster is RUNNING", "")]
        channel = ((cluster.get("networkConfig") or {}).get("gatewayApiConfig") or {}).get("channel")
        lb_off = ((cluster.get("addonsConfig") or {}).get("httpLoadBalancing") or {}).get("disabled") is True
        fix = ("gcloud container clusters update %s --location %s --gateway-api=standard" % (name, location))
        if channel == "CHANNEL_STANDARD" and not lb_off:
            rows.append(row("gke_gateway_api", "Gateway API channel", "pass", "CHANNEL_STANDARD, HttpLoadBalancing on", "", "seed §6.11"))
        elif channel == "CHANNEL_EXPERIMENTAL" and not lb_off:
            rows.append(row("gke_gateway_api", "Gateway API channel", "warn",
                            "CHANNEL_EXPERIMENTAL: GKE 1.35 refuses experimental Gateway API CRDs", fix, "seed §6.26"))
        else:
            rows.append(row("gke_gateway_api", "Gateway API channel", "fail",
                            "channel %s, HttpLoadBalancing %s" % (channel or "disabled", "off" if lb_off else "on"),
                            fix + ("; gcloud container clusters update %s --location %s --update-addons=HttpLoadBalancing=ENABLED"
                                   % (name, location) if lb_off else ""), "seed §6.11"))
        dataplane = (cluster.get("networkConfig") or {}).get("datapathProvider") == "ADVANCED_DATAPATH"
        calico = (cluster.get("networkPolicy") or {}).get("enabled") is True
        rows.append(row("gke_network_policy", "network policy enforcement", "pass" if dataplane or calico else "warn",
                        "Dataplane V2" if dataplane else "Calico" if calico else "not enforced: NetworkPolicies are ignored",
                        "" if dataplane or calico else "enabling it later recreates every node pool (5-10 min); plan a window, "
                        "or recreate the cluster with provision.yml (Dataplane V2)", "seed §6.8"))
        pool = (cluster.get("workloadIdentityConfig") or {}).get("workloadPool")
        rows.append(row("gke_workload_identity", "workload identity", "pass" if pool else "warn", pool or "not enabled",
                        "" if pool else "gcloud container clusters update %s --location %s --workload-pool=%s.svc.id.goog"
                        % (name, location, self.project), ""))
        rows.append(self.cpu_pool(cluster))
        return rows

    @staticmethod
    def cpu_pool(cluster):
        check = "CPU node pool (EPP, gateways, controllers)"
        cpu = [p for p in cluster.get("nodePools") or []
               if not (p.get("config") or {}).get("accelerators") and not (p.get("config") or {}).get("machineType", "").startswith("ct")]
        if not cpu:
            return row("gke_cpu_pool", check, "fail", "no node pool without accelerators: system pods cannot run on tainted TPU/GPU nodes",
                       "add a CPU pool (node_pools: {name: default-pool, profile: cpu-sim, count: 2}) with provision.yml", "seed §6.5")
        floor = []
        for pool in cpu:
            scale = pool.get("autoscaling") or {}
            floor.append(scale.get("minNodeCount", 0) if scale.get("enabled") else pool.get("initialNodeCount", 0))
        best = max(floor)
        names = ", ".join(p["name"] for p in cpu)
        if best >= 1:
            return row("gke_cpu_pool", check, "pass", "%s (at least %d node)" % (names, best), "", "seed §6.5")
        return row("gke_cpu_pool", check, "fail", "%s can scale to zero: EPP/gateway/KServe pods would be stranded" % names,
                   "gcloud container node-pools update %s --cluster CLUSTER --enable-autoscaling --min-nodes 1 --max-nodes 4"
                   % cpu[0]["name"], "seed §6.5")


def main():
    spec = auth_argument_spec()
    spec.update(
        region=dict(type="str"), location=dict(type="str"), cluster_name=dict(type="str"),
        network=dict(type="str", default="default"),
        required_apis=dict(type="list", elements="str", default=[]),
        quota=dict(type="dict", default={}),
        only=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE)
    p = module.params
    errors = []
    if not p["project"]:
        errors.append("project: set the GCP project (or GCP_PROJECT)")
    if p["cluster_name"] and not p["location"]:
        errors.append("location: needed with cluster_name (the cluster's zone or region)")
    if errors:
        module.fail_json(msg="Invalid arguments, nothing was sent to GCP: " + "; ".join(errors), errors=errors)
    client = connect(module)
    pre = Preflight(p, client)
    wanted = set(p["only"])
    rows = []
    steps = [("gcp_iam", pre.iam), ("gcp_apis", pre.apis), ("gcp_proxy_only_subnet", pre.proxy_subnet), ("gcp_quota", pre.quota)]
    for id_, step in steps:
        if wanted and id_ not in wanted:
            continue
        if id_ in ("gcp_proxy_only_subnet", "gcp_quota") and not pre.region:
            rows.append(row(id_, id_.replace("_", " "), "warn", "no region or location given: not checked",
                            "pass location (the cluster's zone) or region, e.g. preflight_gcp_args: {location: europe-west4-a, "
                            "cluster_name: llmd-tpu}", "seed §6.13" if id_ == "gcp_proxy_only_subnet" else "seed §6.6"))
            continue
        rows.append(step())
    if p["cluster_name"] and (not wanted or wanted & {"gke_cluster", "gke_gateway_api", "gke_network_policy",
                                                      "gke_workload_identity", "gke_cpu_pool"}):
        rows.extend(r for r in pre.cluster_rows() if not wanted or r["id"] in wanted or r["id"] == "gke_cluster")
    module.exit_json(changed=False, checks=rows, rows=rows, proxy_only_subnet=pre.proxy_only_subnet,
                     cluster_exists=(pre.cluster is not None) if p["cluster_name"] else None, api_requests=client.requests)


if __name__ == "__main__":
    main()
