# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""GCP modules against recorded API responses (tests/unit/fixtures/gcp/*.json) through the replay transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import build_plan
from ansible_collections.llmd.xks.plugins.modules import gcp_resource, gke_capacity_probe, gke_plan, gke_preflight_info, gke_teardown

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "fixtures", "gcp")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "module_utils"))
from gcp_replay import ReplayTransport, install  # noqa: E402  pylint: disable=wrong-import-position

AUTH = dict(project="my-project", auth_kind="application")
CPU = {"name": "default-pool", "profile": "cpu-sim", "count": 2}


@pytest.fixture
def gcp(monkeypatch):
    """gcp(*fixture_files) installs a replay transport with those recordings and returns it."""
    monkeypatch.setattr(gke_capacity_probe, "NOW", lambda: 1700000000)

    def use(*names):
        items = []
        for name in names:
            with open(os.path.join(FIXTURES, name)) as handle:
                items.extend(json.load(handle))
        return install(monkeypatch, ReplayTransport(items))

    return use


def pools(*extra, zone="us-central1-a"):
    return build_plan(ACCELERATORS, [CPU] + list(extra), "my-project", [zone], "llmd")["node_pools"]


T4 = {"name": "t4-pool", "profile": "nvidia-t4", "count": 2}
ZONES = ["us-central1-a", "us-central1-b", "us-central1-c"]


def test_plan_module_fails_with_every_error(run_module):
    result = run_module(gke_plan, dict(accelerators=ACCELERATORS, node_pools=[{"name": "x", "profile": "nope", "count": 1}],
                                       project="p", zones=["europe-west4-a"], cluster_name="c"), expect_failure=True)
    assert any(e.startswith("node_pools[0].profile") for e in result["errors"])
    assert any(e.startswith("node_pools: add a CPU pool") for e in result["errors"])


def test_stockout_moves_to_the_next_zone(gcp, run_module):
    transport = gcp("region_us-central1.json", "zones_t4.json", "probe_t4_stockout_zone_a.json", "probe_t4_available_zone_b.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(T4)))
    assert result["zone"] == "us-central1-b"
    assert [(z["zone"], z["status"]) for z in result["zones"]] == [
        ("us-central1-a", "stockout"), ("us-central1-b", "available"), ("us-central1-c", "not_tried")]
    assert "does not have enough resources" in result["zones"][0]["detail"]
    assert [p["deleted"] for p in result["probes"]] == [True, True] and result["leaked"] == []
    assert dict((q["metric"], q["status"]) for q in result["quota"]) == {"CPUS": "pass", "NVIDIA_T4_GPUS": "pass"}
    posted = [c for c in transport.calls if c[0] == "POST"][0]
    assert posted[3]["guestAccelerators"][0]["acceleratorType"].endswith("/nvidia-tesla-t4")
    assert posted[3]["scheduling"] == {"onHostMaintenance": "TERMINATE", "automaticRestart": False}
    assert transport.unused() == []


def test_integrated_gpu_machine_types_get_no_guest_accelerators(gcp, run_module):
    transport = gcp("region_us-central1.json")
    base = "https://compute.googleapis.com/compute/v1/projects/my-project/zones/us-central1-a"
    op = {"name": "op-h", "status": "DONE", "selfLink": base + "/operations/op-h"}
    transport.interactions.extend(dict(i, used=False) for i in [
        {"method": "GET", "url": base + "/machineTypes/a2-highgpu-1g", "body": {"name": "a2-highgpu-1g"}},
        {"method": "GET", "url": base + "/acceleratorTypes/nvidia-tesla-a100", "body": {"name": "nvidia-tesla-a100"}},
        {"method": "POST", "url": base + "/instances", "body": op},
        {"method": "DELETE", "url": base + "/instances/llmd-xks-probe-a100-1700000000", "body": op},
    ])
    pool = pools({"name": "a100", "profile": "nvidia-a100-40gb", "count": 1})
    result = run_module(gke_capacity_probe, dict(AUTH, zones=["us-central1-a"], node_pools=pool, check_quota=False))
    assert result["zone"] == "us-central1-a"
    body = [c for c in transport.calls if c[0] == "POST"][0][3]
    assert body["machineType"].endswith("/a2-highgpu-1g") and "guestAccelerators" not in body


def test_check_mode_creates_no_probe(gcp, run_module):
    transport = gcp("region_us-central1.json", "zones_t4.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(T4)), check_mode=True)
    assert result["zone"] == "us-central1-a" and result["zones"][0]["status"] == "would_probe"
    assert "n1-standard-4 (nvidia-tesla-t4)" in result["zones"][0]["detail"]
    assert result["probes"] == [] and result["changed"] is False
    assert all(c[0] == "GET" for c in transport.calls)


def test_zone_without_the_accelerator_is_skipped(gcp, run_module):
    gcp("region_us-central1.json", "zones_t4.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=["us-central1-c", "us-central1-a"], node_pools=pools(T4)),
                        check_mode=True)
    assert result["zones"][0] == {"zone": "us-central1-c", "status": "unavailable",
                                  "detail": "us-central1-c does not offer nvidia-tesla-t4"}
    assert result["zone"] == "us-central1-a"


def test_quota_exhaustion_fails_before_any_probe(gcp, run_module):
    transport = gcp("region_us-central1.json")
    l4 = {"name": "l4-pool", "profile": "nvidia-l4", "count": 1}
    h100 = {"name": "h100-pool", "profile": "nvidia-h100-80gb", "count": 1}
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(l4, h100)), expect_failure=True)
    assert result["msg"].startswith("Quota exhausted")
    rows = dict((q["metric"], q) for q in result["quota"])
    assert rows["NVIDIA_L4_GPUS"]["status"] == "fail" and "8 of 8 used, 1 needed" in rows["NVIDIA_L4_GPUS"]["detail"]
    assert rows["NVIDIA_H100_GPUS"]["status"] == "fail"
    assert len(transport.calls) == 1


def test_spot_pools_fall_back_to_regular_quota_without_preemptible_quota(gcp, run_module):
    gcp("region_us-central1.json", "zones_t4.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(dict(T4, spot=True))), check_mode=True)
    # PREEMPTIBLE_NVIDIA_T4_GPUS has limit 0 in the recording, so the regular NVIDIA_T4_GPUS counts
    assert dict((q["metric"], q["needed"]) for q in result["quota"]) == {"CPUS": 16 + 8, "NVIDIA_T4_GPUS": 2}  # 2x e2-standard-8 + 2x n1-standard-4


def test_spot_pools_use_preemptible_quota_when_there_is_one(gcp, run_module, monkeypatch):
    transport = gcp("zones_t4.json")
    transport.interactions.insert(0, {"method": "GET", "url": "https://compute.googleapis.com/compute/v1/projects/my-project/regions/us-central1",
                                      "used": False, "body": {"quotas": [{"metric": "PREEMPTIBLE_NVIDIA_T4_GPUS", "limit": 1.0, "usage": 0.0},
                                                                         {"metric": "CPUS", "limit": 72.0, "usage": 0.0}]}})
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(dict(T4, spot=True))), expect_failure=True)
    assert [q["metric"] for q in result["quota"] if q["status"] == "fail"] == ["PREEMPTIBLE_NVIDIA_T4_GPUS"]


def test_permission_denied_names_permission_role_and_fix(gcp, run_module):
    gcp("permission_denied_region.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(T4)), expect_failure=True)
    assert "compute.regions.get" in result["msg"] and "roles/compute.viewer" in result["msg"]
    assert "gcloud projects add-iam-policy-binding my-project" in result["msg"]


def test_failed_probe_delete_is_retried_then_reported_as_leaked(gcp, run_module):
    transport = gcp("region_us-central1.json", "zones_t4.json", "probe_t4_delete_fails.json")
    result = run_module(gke_capacity_probe, dict(AUTH, zones=ZONES, node_pools=pools(T4), delete_retries=3), expect_failure=True)
    name = "llmd-xks-probe-t4-pool-1700000000"
    assert len([c for c in transport.calls if c[0] == "DELETE"]) == 3
    assert result["leaked"][0]["name"] == name
    assert "gcloud compute instances delete %s --zone us-central1-a --project my-project --quiet" % name in result["msg"]
    assert result["changed"] is True


def test_tpu_probe_stockout_and_unoffered_zone(gcp, run_module):
    gcp("region_europe-west4.json", "probe_tpu_v6e.json")
    tpu = {"name": "tpu-v6e-pool", "profile": "tpu-v6e-4t", "count": 1}
    result = run_module(gke_capacity_probe, dict(AUTH, zones=["europe-west4-a", "europe-west4-b"],
                                                 node_pools=pools(tpu, zone="europe-west4-a")), expect_failure=True)
    assert [z["status"] for z in result["zones"]] == ["stockout", "unavailable"]
    assert result["msg"].startswith("No zone has capacity")
    tpu_row = [q for q in result["quota"] if q["metric"].startswith("TPU")][0]
    assert tpu_row["status"] == "unknown" and "not machine-checkable" in tpu_row["detail"]
    assert result["probes"][0]["type"] == "tpu-vm" and result["probes"][0]["deleted"] is True


def test_preflight_rows_all_pass(gcp, run_module):
    gcp("preflight_ok.json")
    result = run_module(gke_preflight_info, dict(AUTH, location="europe-west4-a", cluster_name="llmd-tpu",
                                                 required_apis=["tpu.googleapis.com"]))
    rows = result["checks"]
    assert result["rows"] == rows
    assert [r["id"] for r in rows] == ["gcp_iam", "gcp_apis", "gcp_proxy_only_subnet", "gcp_quota", "gke_cluster",
                                       "gke_gateway_api", "gke_network_policy", "gke_workload_identity", "gke_cpu_pool"]
    assert all(set(r) == {"id", "check", "status", "detail", "fix", "failure"} for r in rows)
    assert all(r["status"] == "pass" for r in rows), rows
    assert result["proxy_only_subnet"] == "europe-west4-proxy-only" and result["cluster_exists"] is True


def test_preflight_rows_detect_the_seed_failures(gcp, run_module):
    gcp("preflight_bad.json")
    result = run_module(gke_preflight_info, dict(AUTH, location="europe-west4-a", cluster_name="llmd-tpu"))
    rows = dict((r["id"], r) for r in result["rows"])
    assert rows["gcp_iam"]["status"] == "fail" and "container.clusterRoles.create" in rows["gcp_iam"]["detail"]
    assert "roles/container.admin" in rows["gcp_iam"]["fix"] and rows["gcp_iam"]["failure"] == "seed §6.7"
    assert rows["gcp_apis"]["status"] == "fail" and "networkservices.googleapis.com" in rows["gcp_apis"]["fix"]
    assert rows["gcp_proxy_only_subnet"]["status"] == "fail" and "REGIONAL_MANAGED_PROXY" in rows["gcp_proxy_only_subnet"]["fix"]
    assert rows["gcp_quota"]["status"] == "fail" and "roles/compute.viewer" in rows["gcp_quota"]["fix"]
    assert rows["gke_gateway_api"]["status"] == "fail" and "HttpLoadBalancing" in rows["gke_gateway_api"]["fix"]
    assert rows["gke_network_policy"]["status"] == "warn" and rows["gke_workload_identity"]["status"] == "warn"
    assert rows["gke_cpu_pool"]["status"] == "fail" and rows["gke_cpu_pool"]["failure"] == "seed §6.5"


def test_preflight_with_project_only_warns_for_the_regional_rows(gcp, run_module):
    transport = gcp("preflight_ok.json")
    result = run_module(gke_preflight_info, dict(AUTH, only=["gcp_proxy_only_subnet", "gcp_quota"]))
    assert [(r["id"], r["status"]) for r in result["checks"]] == [("gcp_proxy_only_subnet", "warn"), ("gcp_quota", "warn")]
    assert "location" in result["checks"][0]["fix"] and transport.calls == []


def test_teardown_check_mode_lists_only_ours(gcp, run_module):
    transport = gcp("teardown_cluster.json")
    args = dict(AUTH, location="europe-west4-a", cluster_name="llmd-tpu", mode="delete")
    result = run_module(gke_teardown, args, check_mode=True)
    actions = dict((a["target"], a["action"]) for a in result["actions"])
    assert actions == {"default-pool": "keep", "tpu-v6e-pool": "delete", "their-pool": "keep", "llmd-tpu": "delete",
                       "europe-west4-proxy-only": "delete", "llmd-tpu-nodes": "delete"}
    assert result["changed"] and all(c[0] == "GET" for c in transport.calls)


def test_teardown_scale_to_zero_never_touches_the_cpu_pool(gcp, run_module):
    transport = gcp("teardown_cluster.json", "teardown_operations.json")
    result = run_module(gke_teardown, dict(AUTH, location="europe-west4-a", cluster_name="llmd-tpu"))
    assert [(a["target"], a["action"]) for a in result["actions"]] == [
        ("default-pool", "keep"), ("tpu-v6e-pool", "scale_to_zero"), ("their-pool", "keep")]
    writes = [(c[0], c[1].rsplit("/", 1)[1]) for c in transport.calls if c[0] != "GET"]
    assert writes == [("POST", "tpu-v6e-pool:setAutoscaling"), ("POST", "tpu-v6e-pool:setSize")]
    assert [c[3] for c in transport.calls if c[0] == "POST"][1] == {"nodeCount": 0}


def test_teardown_delete_order(gcp, run_module):
    transport = gcp("teardown_cluster.json", "teardown_operations.json")
    run_module(gke_teardown, dict(AUTH, location="europe-west4-a", cluster_name="llmd-tpu", mode="delete"))
    deletes = [c[1].rsplit("/", 1)[1] for c in transport.calls if c[0] == "DELETE"]
    assert deletes == ["tpu-v6e-pool", "llmd-tpu", "europe-west4-proxy-only", "llmd-tpu-nodes"]


def test_gcp_resource_create_fails_fast_on_a_stockout_condition(gcp, run_module, monkeypatch):
    url = "https://container.googleapis.com/v1/projects/my-project/locations/europe-west4-a/clusters/llmd-tpu/nodePools/tpu"
    op = {"name": "op-9", "status": "RUNNING", "selfLink": url.rsplit("/clusters", 1)[0] + "/operations/op-9"}
    transport = ReplayTransport([
        {"method": "GET", "url": url, "status": 404, "body": {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}},
        {"method": "POST", "url": url.rsplit("/", 1)[0], "body": op},
        {"method": "GET", "url": url, "body": {"name": "tpu", "status": "PROVISIONING", "conditions": [
            {"code": "GCE_STOCKOUT", "message": "Insufficient capacity in zone europe-west4-a", "canonicalCode": "RESOURCE_EXHAUSTED"}]}},
    ])
    install(monkeypatch, transport)
    result = run_module(gcp_resource, dict(AUTH, url=url, body={"nodePool": {"name": "tpu"}}), expect_failure=True)
    assert "GCE_STOCKOUT" in result["msg"] and "another zone" in result["msg"]
    assert transport.unused() == []


def test_gcp_resource_update_only_when_different(run_module, monkeypatch):
    url = "https://container.googleapis.com/v1/projects/my-project/locations/europe-west4-a/clusters/llmd-tpu"
    live = {"name": "llmd-tpu", "networkConfig": {"gatewayApiConfig": {"channel": "CHANNEL_STANDARD"}}}
    update = dict(method="PUT", url=url, body={"update": {"desiredGatewayApiConfig": {"channel": "CHANNEL_STANDARD"}}},
                  compare={"networkConfig.gatewayApiConfig.channel": "CHANNEL_STANDARD"})
    install(monkeypatch, ReplayTransport([{"method": "GET", "url": url, "body": live}]))
    assert run_module(gcp_resource, dict(AUTH, url=url, update=update))["changed"] is False
    transport = ReplayTransport([
        {"method": "GET", "url": url, "body": {"name": "llmd-tpu"}},
        {"method": "PUT", "url": url, "body": {"name": "op", "status": "DONE", "selfLink": "x"}},
        {"method": "GET", "url": url, "body": live},
    ])
    install(monkeypatch, transport)
    result = run_module(gcp_resource, dict(AUTH, url=url, update=update))
    assert result["changed"] and result["action"] == "updated" and transport.unused() == []


def test_gcp_resource_permission_denied_names_the_role(run_module, monkeypatch):
    url = "https://compute.googleapis.com/compute/v1/projects/my-project/regions/europe-west4/subnetworks/proxy"
    install(monkeypatch, ReplayTransport([
        {"method": "GET", "url": url, "status": 404, "body": {"error": {"code": 404, "message": "nf"}}},
        {"method": "POST", "url": url.rsplit("/", 1)[0], "status": 403, "body": {"error": {
            "code": 403, "message": "Required 'compute.subnetworks.create' permission", "status": "PERMISSION_DENIED"}}},
    ]))
    result = run_module(gcp_resource, dict(AUTH, url=url, body={"name": "proxy"}), expect_failure=True)
    assert "compute.subnetworks.create" in result["msg"] and "roles/compute.networkAdmin" in result["msg"]


def test_recorded_provision_check_replays_through_the_modules(gcp, run_module):
    """recorded/provision-gpu-check.json was written by tools/gcp_fake.py --record-to driving provision.yml --check
    (gke-gpu inventory) against the fake endpoint; the modules reach the same answers from it."""
    gcp("recorded/provision-gpu-check.json")
    env = dict(project="my-gcp-project", auth_kind="application")
    pools_gpu = build_plan(ACCELERATORS, [CPU, {"name": "t4-pool", "profile": "nvidia-t4", "count": 3},
                                          {"name": "h100-pool", "profile": "nvidia-h100-80gb", "count": 2}],
                           "my-gcp-project", ["us-central1-a"], "llmd-gpu")["node_pools"]
    result = run_module(gke_capacity_probe, dict(env, zones=ZONES, node_pools=pools_gpu), check_mode=True)
    assert result["zone"] == "us-central1-b"
    assert [(z["zone"], z["status"]) for z in result["zones"]][:2] == [("us-central1-a", "unavailable"), ("us-central1-b", "would_probe")]
    rows = run_module(gke_preflight_info, dict(env, region="us-central1", only=["gcp_iam", "gcp_apis"]))["rows"]
    assert [(r["id"], r["status"]) for r in rows] == [("gcp_iam", "pass"), ("gcp_apis", "pass")]
