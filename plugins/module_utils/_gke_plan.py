# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the GKE cluster plan, computed from data only (no API call).

From the accelerator profiles (playbooks/vars/accelerators.yml) and the inventory's node pools it
builds: the cluster (arguments of google.cloud.gcp_container_cluster), the cluster settings that module
cannot express (Gateway API channel, workload identity: clusters.update bodies), the node subnetwork
(google.cloud.gcp_compute_subnetwork) and the proxy-only subnetwork (REST), the CPU pool
(google.cloud.gcp_container_node_pool) and the accelerator pools (REST NodePool bodies: placement policy,
GPU driver installation and fail-fast on stockout conditions are not in google.cloud 1.10.2), the probes
and the regional quota each pool needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

OWNER_KEY = "llmd-xks-managed-by"     # valid as a GCE label key and a Kubernetes label key ("/" is not allowed in GCE)
OWNER_VALUE = "llmd-xks"
CLUSTER_KEY = "llmd-xks-cluster"
SUBNET_MARKER = "%s=%s" % (OWNER_KEY, OWNER_VALUE)   # subnetworks have no labels: the marker is in the description

GPU_QUOTA = {
    "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
    "nvidia-l4": "NVIDIA_L4_GPUS",
    "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
    "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
    "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
    "nvidia-h100-mega-80gb": "NVIDIA_H100_MEGA_GPUS",
}
# Machine families that count against the regional CPUS quota; accelerator-optimized families (A2, A3, G2, CT6E)
# are bounded by their GPU/TPU quota, which is what is checked for them.
CPUS_FAMILIES = ("n1-", "e2-")
TPU_RUNTIME = {"v6e": "v2-alpha-tpuv6e", "v5e": "v2-alpha-tpuv5-lite", "v5p": "v2-alpha-tpuv5"}
DATAPLANES = ("v2", "calico")
GATEWAY_CHANNELS = ("CHANNEL_STANDARD", "CHANNEL_EXPERIMENTAL")  # experimental: forbidden by GKE 1.35 VAP (seed §6.26)
NAME_RE = re.compile(r"\A[a-z]([-a-z0-9]{0,38}[a-z0-9])?\Z")


class PlanError(Exception):
    def __init__(self, errors):
        super(PlanError, self).__init__("; ".join(errors))
        self.errors = errors


def _product(topology):
    total = 1
    for part in topology.split("x"):
        total *= int(part)
    return total


def _gke_accelerator(profile):
    return (profile.get("node_labels") or {}).get("cloud.google.com/gke-accelerator")


def _tpu_generation(profile):
    match = re.match(r"ct(\d+[a-z]*)-", profile["machine_type"])
    gen = match.group(1) if match else ""
    return {"6e": "v6e", "5lp": "v5e", "5e": "v5e", "5p": "v5p"}.get(gen, "v" + gen)


def owner_labels(cluster_name):
    return {OWNER_KEY: OWNER_VALUE, CLUSTER_KEY: cluster_name}


def _pool_errors(index, pool, accelerators):
    where = "node_pools[%d]" % index
    errors = []
    if not NAME_RE.match(str(pool.get("name", ""))):
        errors.append("%s.name: %r is not a valid node pool name (lowercase letters, digits, '-', at most 40)" % (where, pool.get("name")))
    profile = accelerators.get(pool.get("profile"))
    if profile is None:
        errors.append("%s.profile: %r is not an accelerator profile; choose one of %s (playbooks/vars/accelerators.yml)"
                      % (where, pool.get("profile"), ", ".join(sorted(accelerators))))
        return errors
    count = pool.get("count")
    if not isinstance(count, int) or count < 0:
        errors.append("%s.count: must be an integer >= 0" % where)
        return errors
    kind = profile["kind"]
    hosts = int(profile.get("hosts") or 1)
    if kind == "cpu":
        if count < 1 or pool.get("min", count) < 1:
            errors.append("%s: the CPU pool runs EPP, gateways and controllers (TPU/GPU nodes are tainted); count and min "
                          "must be >= 1 (seed §6.5)" % where)
    elif kind == "tpu":
        topology = profile.get("topology")
        chips = int(profile.get("chips_per_host") or 0)
        if not topology or _product(topology) != chips * hosts:
            errors.append("%s.profile %s: topology %s has %s chips but the slice has %d hosts x %d chips; fix the profile "
                          "(seed §6.3)" % (where, pool["profile"], topology, _product(topology) if topology else 0, hosts, chips))
        if hosts > 1 and count not in (0, hosts):
            errors.append("%s.count: a multi-host slice (%s, topology %s) is one pool of exactly %d nodes; set count: %d and "
                          "add a pool per extra slice (seed §6.3)" % (where, pool["profile"], topology, hosts, hosts))
    elif kind == "gpu":
        if _gke_accelerator(profile) not in GPU_QUOTA:
            errors.append("%s.profile %s: node label cloud.google.com/gke-accelerator %r is not a known GPU type"
                          % (where, pool["profile"], _gke_accelerator(profile)))
    maximum = pool.get("max")
    if maximum is not None and maximum < max(count, pool.get("min") or 0):
        errors.append("%s.max: %s is below count/min" % (where, maximum))
    return errors


def _node_pool(pool, profile, cluster_name, defaults):
    """One pool: its kind, the google.cloud arguments (CPU) or REST NodePool body (accelerators), quota and probe."""
    kind = profile["kind"]
    count = pool["count"]
    hosts = int(profile.get("hosts") or 1)
    labels = dict(owner_labels(cluster_name))
    labels.update(pool.get("labels") or {})
    taints = [dict(t) for t in profile.get("taints") or []]
    disk = int(pool.get("disk_size_gb") or defaults["disk_size_gb"])
    entry = dict(name=pool["name"], profile=pool["profile"], kind=kind, machine_type=profile["machine_type"],
                 count=count, hosts=hosts, labels=labels, taints=taints,
                 expected_node_labels=dict(profile.get("node_labels") or {}))
    if kind == "cpu":
        minimum = max(1, int(pool.get("min", count)))
        maximum = int(pool.get("max") or max(count, minimum) * 2)
        entry.update(create_with="google.cloud", autoscaling=dict(enabled=True, min_node_count=minimum, max_node_count=maximum),
                     placement=None, accelerators=[], quota={}, probe=None,
                     gcp_args=dict(name=pool["name"], initial_node_count=count,
                                   config=dict(machine_type=profile["machine_type"], disk_size_gb=disk, labels=labels,
                                               oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                                               # no workload_meta_config: google.cloud 1.10.2 sends it as
                                               # "workloadMetaConfig", a field the API does not know; with workload
                                               # identity on the cluster new pools get GKE_METADATA anyway.
                                               shielded_instance_config=dict(enable_secure_boot=True, enable_integrity_monitoring=True)),
                                   autoscaling=dict(enabled=True, min_node_count=minimum, max_node_count=maximum),
                                   management=dict(auto_upgrade=True, auto_repair=True)))
        entry["quota"] = _cpu_quota(profile, count)
        return entry
    config = dict(machineType=profile["machine_type"], diskSizeGb=disk, labels=labels,
                  oauthScopes=["https://www.googleapis.com/auth/cloud-platform"],
                  taints=[dict(key=t["key"], value=t["value"], effect=_effect(t["effect"])) for t in taints],
                  workloadMetadataConfig=dict(mode="GKE_METADATA"),
                  shieldedInstanceConfig=dict(enableSecureBoot=True, enableIntegrityMonitoring=True))
    if pool.get("spot"):
        config["spot"] = True
    body = dict(name=pool["name"], initialNodeCount=count, config=config,
                management=dict(autoUpgrade=True, autoRepair=True))
    placement = None
    accelerators = []
    if kind == "tpu":
        if hosts > 1:
            # Multi-host slice: GKE needs the topology and scales the slice atomically (0 or all hosts).
            placement = dict(type="COMPACT", tpuTopology=profile["topology"])
            body["placementPolicy"] = placement
            autoscaling = dict(enabled=True, minNodeCount=0, maxNodeCount=hosts)
        else:
            # Single host (ct6e-standard-1t/4t/8t): NO topology; GKE rejects "2x2x1" for ct6e-standard-4t and
            # autoscaling with a topology (seed §6.3). GKE labels the nodes with the topology itself.
            autoscaling = dict(enabled=True, minNodeCount=0, maxNodeCount=int(pool.get("max") or max(count, 1)))
        chips = int(profile["chips_per_host"]) * hosts
        gen = _tpu_generation(profile)
        probe = dict(kind="tpu", accelerator_type="%s-%d" % (gen, chips), runtime_version=TPU_RUNTIME.get(gen, "tpu-ubuntu2204-base"),
                     machine_type=profile["machine_type"])
        quota = {}
        entry["tpu_quota"] = dict(generation=gen, chips=int(profile["chips_per_host"]) * count)
    else:
        gpu_type = _gke_accelerator(profile)
        accelerators = [dict(acceleratorType=gpu_type, acceleratorCount=str(profile["chips_per_host"]),
                             gpuDriverInstallationConfig=dict(gpuDriverVersion=pool.get("gpu_driver_version", "DEFAULT")))]
        config["accelerators"] = accelerators
        autoscaling = dict(enabled=True, minNodeCount=0, maxNodeCount=int(pool.get("max") or max(count, 1)))
        probe = dict(kind="gpu", machine_type=profile["machine_type"], accelerator_type=gpu_type,
                     accelerator_count=int(profile["chips_per_host"]))
        quota = {GPU_QUOTA[gpu_type]: count * int(profile["chips_per_host"])}
        quota.update(_cpu_quota(profile, count))
        if pool.get("spot"):
            quota = dict(("PREEMPTIBLE_" + k, v) for k, v in quota.items())
    if pool.get("min") is not None and hosts == 1:
        autoscaling["minNodeCount"] = int(pool["min"])
    body["autoscaling"] = autoscaling
    entry.update(create_with="rest", autoscaling=autoscaling, placement=placement, accelerators=accelerators,
                 quota=quota, probe=probe, rest_body=dict(nodePool=body))
    return entry


def _effect(effect):
    return {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}.get(effect, effect)


def _cpu_quota(profile, count):
    if profile["machine_type"].startswith(CPUS_FAMILIES):
        return {"CPUS": int(profile.get("node_cpu") or 0) * count}
    return {}


def build_plan(accelerators, node_pools, project, zones, cluster_name, network="default", subnet=None,
               proxy_subnet=None, release_channel="REGULAR", gateway_api_channel="CHANNEL_STANDARD", dataplane="v2",
               cluster_version=None, disk_size_gb=100):
    """Returns the plan dict; raises PlanError listing every bad input (field and fix)."""
    errors = []
    if not project:
        errors.append("project: set llmd_xks_project (the GCP project id)")
    if not zones:
        errors.append("zones: give at least one zone (llmd_xks_zone or llmd_xks_gke_zones)")
    if not NAME_RE.match(str(cluster_name or "")):
        errors.append("cluster_name: %r is not a valid GKE cluster name (lowercase letters, digits, '-', at most 40)" % cluster_name)
    if dataplane not in DATAPLANES:
        errors.append("dataplane: %r, choose one of %s" % (dataplane, ", ".join(DATAPLANES)))
    if gateway_api_channel not in GATEWAY_CHANNELS:
        errors.append("gateway_api_channel: %r, choose one of %s" % (gateway_api_channel, ", ".join(GATEWAY_CHANNELS)))
    if zones and len(set(z.rsplit("-", 1)[0] for z in zones)) > 1:
        errors.append("zones: %s span several regions; the proxy-only subnet and quotas are regional, list zones of one region"
                      % ", ".join(zones))
    pools = list(node_pools or [])
    for index, pool in enumerate(pools):
        errors.extend(_pool_errors(index, pool, accelerators))
    names = [p.get("name") for p in pools]
    if len(set(names)) != len(names):
        errors.append("node_pools: pool names must be unique (%s)" % ", ".join(sorted(n for n in set(names) if names.count(n) > 1)))
    cpu = [p for p in pools if (accelerators.get(p.get("profile")) or {}).get("kind") == "cpu"]
    if pools and not cpu:
        errors.append("node_pools: add a CPU pool (e.g. {name: default-pool, profile: cpu-sim, count: 2}); EPP, gateways and "
                      "controllers cannot run on tainted accelerator nodes (seed §6.5)")
    if errors:
        raise PlanError(errors)

    zone = zones[0]
    region = zone.rsplit("-", 1)[0]
    labels = owner_labels(cluster_name)
    network_link = "projects/%s/global/networks/%s" % (project, network)
    subnet = dict(dict(create=True, name="%s-nodes" % cluster_name, cidr="10.0.0.0/20",
                       pods_cidr="10.4.0.0/14", services_cidr="10.8.0.0/20"), **(subnet or {}))
    proxy_subnet = dict(dict(create=True, name="%s-proxy-only" % region, cidr="192.168.0.0/23"), **(proxy_subnet or {}))
    description = "%s cluster=%s" % (SUBNET_MARKER, cluster_name)
    subnets = []
    if subnet["create"]:
        subnets.append(dict(name=subnet["name"], purpose="PRIVATE", create_with="google.cloud", ip_cidr_range=subnet["cidr"],
                            gcp_args=dict(name=subnet["name"], region=region, network=dict(selfLink=network_link),
                                          ip_cidr_range=subnet["cidr"], private_ip_google_access=True, description=description,
                                          secondary_ip_ranges=[dict(range_name="pods", ip_cidr_range=subnet["pods_cidr"]),
                                                               dict(range_name="services", ip_cidr_range=subnet["services_cidr"])])))
    if proxy_subnet["create"]:
        # Regional external/internal managed gateways need it (seed §6.13); auto-mode VPCs use 10.128.0.0/9.
        subnets.append(dict(name=proxy_subnet["name"], purpose="REGIONAL_MANAGED_PROXY", create_with="rest",
                            ip_cidr_range=proxy_subnet["cidr"],
                            rest_body=dict(name=proxy_subnet["name"], network=network_link, ipCidrRange=proxy_subnet["cidr"],
                                           purpose="REGIONAL_MANAGED_PROXY", role="ACTIVE", description=description)))
    cluster_args = dict(
        name=cluster_name, location=zone, description="llm-d inference cluster (%s)" % SUBNET_MARKER,
        # google.cloud creates the cluster with this pool and deletes it right after; the CPU pool is created next.
        initial_node_count=1,
        node_config=dict(machine_type=accelerators[cpu[0]["profile"]]["machine_type"], disk_size_gb=disk_size_gb, labels=labels,
                         oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"]),
        network=network, resource_labels=labels,  # GKE takes the names of the network and subnetwork
        addons_config=dict(http_load_balancing=dict(disabled=False), horizontal_pod_autoscaling=dict(disabled=False)),
        release_channel=dict(channel=release_channel), shielded_nodes=dict(enabled=True),
    )
    if subnet["create"] or subnet.get("name"):
        cluster_args["subnetwork"] = subnet["name"]
    cluster_args["ip_allocation_policy"] = dict(use_ip_aliases=True, cluster_secondary_range_name="pods",
                                                services_secondary_range_name="services") if subnet["create"] \
        else dict(use_ip_aliases=True)
    # Network policy at creation time: enabling it later recreates every node pool (seed §6.8).
    if dataplane == "v2":
        cluster_args["network_config"] = dict(datapath_provider="ADVANCED_DATAPATH")
    else:
        cluster_args["network_policy"] = dict(enabled=True, provider="CALICO")
        cluster_args["addons_config"]["network_policy_config"] = dict(disabled=False)
    if cluster_version:
        cluster_args["initial_cluster_version"] = cluster_version
    # Not expressible with google.cloud.gcp_container_cluster 1.10.2: one clusters.update each (GKE applies one
    # desired* field per update).
    cluster_updates = [
        dict(name="gateway_api", field="networkConfig.gatewayApiConfig.channel", value=gateway_api_channel,
             body=dict(update=dict(desiredGatewayApiConfig=dict(channel=gateway_api_channel)))),
        dict(name="workload_identity", field="workloadIdentityConfig.workloadPool", value="%s.svc.id.goog" % project,
             body=dict(update=dict(desiredWorkloadIdentityConfig=dict(workloadPool="%s.svc.id.goog" % project)))),
    ]
    defaults = dict(disk_size_gb=disk_size_gb)
    planned = [_node_pool(p, accelerators[p["profile"]], cluster_name, defaults) for p in pools]
    quota = {}
    for pool in planned:
        for metric, amount in pool["quota"].items():
            quota[metric] = quota.get(metric, 0) + amount
        if pool.get("tpu_quota"):
            key = "TPU %s chips (not in compute.regions.get)" % pool["tpu_quota"]["generation"]
            quota[key] = quota.get(key, 0) + pool["tpu_quota"]["chips"]
    return dict(project=project, zones=list(zones), zone=zone, region=region, cluster_name=cluster_name,
                owner_labels=labels, network=network_link, cluster=cluster_args, cluster_updates=cluster_updates,
                subnets=subnets, node_pools=planned, quota=quota,
                urls=dict(cluster="https://container.googleapis.com/v1/projects/%s/locations/%s/clusters/%s" % (project, zone, cluster_name),
                          region="https://compute.googleapis.com/compute/v1/projects/%s/regions/%s" % (project, region)),
                table=plan_table(cluster_args, planned, subnets, zone))


def plan_table(cluster, pools, subnets, zone):
    lines = ["cluster %s in %s: release channel %s, dataplane %s, Gateway API + workload identity via clusters.update"
             % (cluster["name"], zone, cluster["release_channel"]["channel"],
                "v2" if "network_config" in cluster else "calico")]
    columns = ("pool", "machine type", "kind", "nodes", "autoscale", "topology", "accelerator", "via")
    header = "%-14s %-17s %-4s %-5s %-9s %-10s %-21s %s" % columns
    lines.append(header)
    lines.append("-" * len(header))
    for pool in pools:
        scale = pool["autoscaling"]
        lo = scale.get("min_node_count", scale.get("minNodeCount"))
        hi = scale.get("max_node_count", scale.get("maxNodeCount"))
        accel = "-"
        if pool["accelerators"]:
            accel = "%s x%s" % (pool["accelerators"][0]["acceleratorType"], pool["accelerators"][0]["acceleratorCount"])
        elif pool["kind"] == "tpu":
            accel = pool["expected_node_labels"].get("cloud.google.com/gke-tpu-accelerator", "tpu")
        topology = (pool["placement"] or {}).get("tpuTopology") or ("%s (GKE)" % pool["expected_node_labels"].get(
            "cloud.google.com/gke-tpu-topology") if pool["kind"] == "tpu" else "-")
        lines.append("%-14s %-17s %-4s %-5s %-9s %-10s %-21s %s" % (pool["name"], pool["machine_type"], pool["kind"], pool["count"],
                                                                    "%s-%s" % (lo, hi), topology, accel, pool["create_with"]))
    for subnet in subnets:
        lines.append("subnet %s (%s) %s, created with %s" % (subnet["name"], subnet["purpose"], subnet["ip_cidr_range"],
                                                             subnet["create_with"]))
    return lines
