# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import OWNER_KEY, PlanError, build_plan

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
CPU = {"name": "default-pool", "profile": "cpu-sim", "count": 2}
ACCELERATOR_PROFILES = sorted(k for k, v in ACCELERATORS.items() if v["kind"] != "cpu")


def plan(pools, **kwargs):
    return build_plan(ACCELERATORS, pools, kwargs.pop("project", "my-project"), kwargs.pop("zones", ["europe-west4-a"]),
                      kwargs.pop("cluster_name", "llmd"), **kwargs)


def pool_of(result, name):
    return [p for p in result["node_pools"] if p["name"] == name][0]


@pytest.mark.parametrize("profile", ACCELERATOR_PROFILES)
def test_every_accelerator_profile(profile):
    data = ACCELERATORS[profile]
    count = int(data.get("hosts") or 1)
    result = plan([CPU, {"name": "acc", "profile": profile, "count": count}])
    acc = pool_of(result, "acc")
    body = acc["rest_body"]["nodePool"]
    assert acc["create_with"] == "rest" and body["config"]["machineType"] == data["machine_type"]
    assert body["config"]["labels"][OWNER_KEY] == "llmd-xks"
    assert [t["key"] for t in body["config"]["taints"]] == [t["key"] for t in data["taints"]]
    assert body["config"]["taints"][0]["effect"] == "NO_SCHEDULE"
    assert body["autoscaling"]["minNodeCount"] == 0
    if data["kind"] == "tpu":
        assert "accelerators" not in body["config"]
        if count > 1:  # multi-host slice: topology and all-or-nothing scaling
            assert body["placementPolicy"] == {"type": "COMPACT", "tpuTopology": data["topology"]}
            assert body["autoscaling"]["maxNodeCount"] == count
        else:  # single host: no topology flag (seed §6.3)
            assert "placementPolicy" not in body
        assert acc["probe"]["accelerator_type"] == "v6e-%d" % (data["chips_per_host"] * count)
    else:
        accel = body["config"]["accelerators"][0]
        assert accel["acceleratorType"] == data["node_labels"]["cloud.google.com/gke-accelerator"]
        assert accel["acceleratorCount"] == str(data["chips_per_host"])
        assert accel["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "DEFAULT"}
        assert any(m.startswith("NVIDIA_") and v == data["chips_per_host"] for m, v in acc["quota"].items())


def test_cluster_and_cpu_pool():
    result = plan([CPU, {"name": "tpu", "profile": "tpu-v6e-4t", "count": 3}])
    cluster = result["cluster"]
    assert cluster["location"] == "europe-west4-a" and cluster["network_config"] == {"datapath_provider": "ADVANCED_DATAPATH"}
    assert cluster["resource_labels"][OWNER_KEY] == "llmd-xks"
    assert cluster["ip_allocation_policy"]["cluster_secondary_range_name"] == "pods"
    assert cluster["addons_config"]["http_load_balancing"] == {"disabled": False}
    updates = dict((u["name"], u) for u in result["cluster_updates"])
    assert updates["gateway_api"]["body"] == {"update": {"desiredGatewayApiConfig": {"channel": "CHANNEL_STANDARD"}}}
    assert updates["workload_identity"]["value"] == "my-project.svc.id.goog"
    cpu = pool_of(result, "default-pool")
    assert cpu["create_with"] == "google.cloud" and cpu["gcp_args"]["autoscaling"]["min_node_count"] == 2
    proxy = [s for s in result["subnets"] if s["purpose"] == "REGIONAL_MANAGED_PROXY"][0]
    assert proxy["rest_body"]["ipCidrRange"] == "192.168.0.0/23" and proxy["rest_body"]["role"] == "ACTIVE"
    assert result["quota"]["CPUS"] == 16 and result["quota"]["TPU v6e chips (not in compute.regions.get)"] == 12
    assert any(line.startswith("tpu-v6e") or line.startswith("tpu ") for line in result["table"])


def test_calico_dataplane_and_existing_subnet():
    result = plan([CPU], dataplane="calico", subnet={"create": False, "name": "shared"}, proxy_subnet={"create": False})
    assert result["cluster"]["network_policy"] == {"enabled": True, "provider": "CALICO"}
    assert result["cluster"]["subnetwork"] == "shared" and result["cluster"]["network"] == "default" and result["subnets"] == []


@pytest.mark.parametrize("pools, field", [
    ([{"name": "tpu", "profile": "tpu-v6e-4t", "count": 1}], "node_pools: add a CPU pool"),
    ([dict(CPU, min=0)], "node_pools[0]: the CPU pool"),
    ([CPU, {"name": "slice", "profile": "tpu-v6e-16", "count": 3}], "node_pools[1].count"),
    ([CPU, {"name": "x", "profile": "tpu-v7", "count": 1}], "node_pools[1].profile"),
    ([CPU, {"name": "Bad_Name", "profile": "nvidia-t4", "count": 1}], "node_pools[1].name"),
    ([CPU, {"name": "t4", "profile": "nvidia-t4", "count": 2, "max": 1}], "node_pools[1].max"),
    ([CPU, dict(CPU)], "node_pools: pool names must be unique"),
])
def test_bad_input_names_the_field(pools, field):
    with pytest.raises(PlanError) as caught:
        plan(pools)
    assert any(e.startswith(field) for e in caught.value.errors), caught.value.errors


def test_wrong_topology_in_a_profile_is_refused():
    broken = dict(ACCELERATORS, bad=dict(ACCELERATORS["tpu-v6e-4t"], topology="2x2x2"))
    with pytest.raises(PlanError) as caught:
        build_plan(broken, [CPU, {"name": "b", "profile": "bad", "count": 1}], "p", ["europe-west4-a"], "c")
    assert "seed §6.3" in str(caught.value)


def test_zones_of_several_regions_are_refused():
    with pytest.raises(PlanError) as caught:
        plan([CPU], zones=["europe-west4-a", "us-central1-b"])
    assert caught.value.errors[0].startswith("zones:")


@pytest.mark.parametrize("inventory", ["gke-tpu", "gke-gpu"])
def test_inventories_plan(inventory):
    with open(os.path.join(REPO, "inventories", inventory, "group_vars", "all", "llmd.yml")) as handle:
        variables = yaml.safe_load(handle)
    zones = variables.get("llmd_xks_gke_zones") or [variables["llmd_xks_zone"]]
    result = plan(variables["llmd_xks_node_pools"], zones=zones, cluster_name=variables["llmd_xks_cluster_name"])
    assert result["zone"] == zones[0] and result["region"] == variables["llmd_xks_region"]
