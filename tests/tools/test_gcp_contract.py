# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The GCP requests of the collection against Google's discovery documents (tools/gcp_discovery.py).

The requests come from the code that builds them (gke_plan for every accelerator profile and both GKE inventories,
the capacity probe for every accelerator profile); the module runs of tests/unit/plugins/modules/test_gke_modules.py
go through the same contract (its ``gcp`` fixture), and so does every request the fake endpoint receives in the
integration tests. Every recorded response is checked against its method's response schema.
"""

import glob
import json
import os
import sys

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import build_plan
from ansible_collections.llmd.xks.plugins.modules.gke_capacity_probe import probe_request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
import gcp_discovery  # noqa: E402

with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
PROFILES = sorted(name for name, profile in ACCELERATORS.items() if profile["kind"] != "cpu")
RECORDINGS = sorted(glob.glob(os.path.join(REPO, "tests", "unit", "fixtures", "gcp", "*.json"))
                    + glob.glob(os.path.join(REPO, "tests", "unit", "fixtures", "gcp", "recorded", "*.json")))
CONTAINER = "https://container.googleapis.com/v1"
COMPUTE = "https://compute.googleapis.com/compute/v1"


@pytest.fixture(scope="module")
def contract():
    return gcp_discovery.Contract()


def inventory_vars(name):
    out = {}
    for path in sorted(glob.glob(os.path.join(REPO, "inventories", name, "group_vars", "all", "*.yml"))):
        with open(path) as handle:
            out.update(yaml.safe_load(handle))
    return out


def plan_requests(plan):
    """(method, url, params, body) of every REST request provision.yml sends through gcp_resource for a plan."""
    cluster = plan["urls"]["cluster"]
    out = []
    for pool in plan["node_pools"]:
        if pool["create_with"] == "rest":
            out.append(("POST", cluster + "/nodePools", None, pool["rest_body"]))
    for subnet in plan["subnets"]:
        if subnet["create_with"] == "rest":
            out.append(("POST", "%s/projects/%s/regions/%s/subnetworks" % (COMPUTE, plan["project"], plan["region"]), None,
                        subnet["rest_body"]))
    for update in plan["cluster_updates"]:
        out.append(("PUT", cluster, None, update["body"]))
    return out


def assert_allowed(contract, method, url, params, body):
    checked = contract.check_request(method, url, params, body)
    assert checked.ok, checked.problems
    return checked


@pytest.mark.parametrize("inventory", ["gke-tpu", "gke-gpu"])
def test_the_inventories_plans_send_what_the_documents_allow(contract, inventory):
    env = inventory_vars(inventory)
    plan = build_plan(ACCELERATORS, env["llmd_xks_node_pools"], env["llmd_xks_project"], env["llmd_xks_gke_zones"],
                      env["llmd_xks_cluster_name"])
    requests = plan_requests(plan)
    ids = [assert_allowed(contract, *request).method_id for request in requests]
    assert "container.projects.locations.clusters.nodePools.create" in ids
    assert "compute.subnetworks.insert" in ids and ids.count("container.projects.locations.clusters.update") == 2


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("spot", [False, True])
def test_every_profile_pool_and_probe_is_a_valid_request(contract, profile, spot):
    pool = {"name": "pool", "profile": profile, "count": int(ACCELERATORS[profile].get("hosts") or 1), "spot": spot}
    plan = build_plan(ACCELERATORS, [{"name": "default-pool", "profile": "cpu-sim", "count": 2}, pool], "my-project",
                      ["us-central1-a"], "llmd", dataplane="calico" if spot else "v2")
    for request in plan_requests(plan):
        assert_allowed(contract, *request)
    planned = [p for p in plan["node_pools"] if p["probe"]][0]
    probe = probe_request("my-project", "us-central1-a", planned, "default", 1700000000)
    checked = assert_allowed(contract, probe["method"], probe["url"], probe["params"], probe["body"])
    assert checked.method_id == ("tpu.projects.locations.nodes.create" if planned["kind"] == "tpu" else "compute.instances.insert")
    # the probe's delete goes to the resource it created
    assert contract.check_request("DELETE", probe["record"]["url"]).ok


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: os.path.relpath(p, REPO))
def test_every_recording_is_a_documented_request_and_answer(contract, path):
    with open(path) as handle:
        interactions = json.load(handle)
    for item in interactions:
        request = contract.check_request(item["method"], item["url"], item.get("query"), body=_any_body(contract, item))
        assert request.ok or _only_body_missing(request), (item["method"], item["url"], request.problems)
        response = contract.check_response(item["method"], item["url"], item.get("body"), item.get("status", 200))
        assert response.ok, (item["method"], item["url"], response.problems)


def _any_body(contract, item):
    """Recordings keep answers, not request bodies: give the method an empty body when it takes one."""
    method, dummy = contract.method(item["method"], item["url"])
    return {} if method.request else None


def _only_body_missing(checked):
    return all("required query parameter" not in p and "needs a" in p for p in checked.problems)


# the contract itself: each rule fails with the field named ------------------------------------------------

NODE_POOLS = CONTAINER + "/projects/p/locations/europe-west4-a/clusters/c/nodePools"


def test_an_unknown_body_field_is_named_with_its_path(contract):
    checked = contract.check_request("POST", NODE_POOLS, None, {"nodePool": {"name": "x", "config": {"workloadMetaConfig": {}}}})
    assert checked.method_id == "container.projects.locations.clusters.nodePools.create"
    assert len(checked.problems) == 1 and checked.problems[0].startswith("body.nodePool.config.workloadMetaConfig: unknown field of NodeConfig")


def test_a_value_outside_the_enum_is_refused(contract):
    body = {"nodePool": {"name": "x", "config": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}}
    checked = contract.check_request("POST", NODE_POOLS, None, body)
    assert checked.problems == ["body.nodePool.config.taints[0].effect: 'NoSchedule' is not one of "
                                "EFFECT_UNSPECIFIED, NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE"]


def test_types_follow_the_json_mapping(contract):
    body = {"nodePool": {"name": "x", "initialNodeCount": "3", "config": {"diskSizeGb": 100, "spot": "true",
                                                                          "accelerators": [{"acceleratorCount": "eight"}]}}}
    problems = contract.check_request("POST", NODE_POOLS, None, body).problems
    assert sorted(p.split(":")[0] for p in problems) == [
        "body.nodePool.config.accelerators[0].acceleratorCount", "body.nodePool.config.spot", "body.nodePool.initialNodeCount"]
    assert contract.check_request("POST", NODE_POOLS, None, {"nodePool": {"config": {"accelerators": [{"acceleratorCount": 8}]}}}).ok


def test_query_parameters_and_verbs_are_checked(contract):
    subnets = COMPUTE + "/projects/p/regions/europe-west4/subnetworks"
    assert contract.check_request("GET", subnets, {"maxResults": "10", "pageToken": "t"}).ok
    assert contract.check_request("GET", subnets, {"filterx": "a"}).problems[0].startswith(
        "compute.subnetworks.list: unknown query parameter filterx")
    assert contract.check_request("PATCH", COMPUTE + "/projects/p/regions/europe-west4").problems == [
        "PATCH /compute/v1/projects/p/regions/europe-west4: the path only takes GET (compute.regions.get)"]
    assert "no method of compute.v1 has this path" in contract.check_request("GET", COMPUTE + "/projects/p/regionz/x").problems[0]
    assert "no discovery document for host" in contract.check_request("GET", "https://example.invalid/v1/x").problems[0]


def test_a_response_field_outside_the_schema_is_named(contract):
    url = CONTAINER + "/projects/p/locations/europe-west4-a/clusters/c"
    checked = contract.check_response("GET", url, {"name": "c", "status": "RUNNING", "nodePools": [{"name": "a", "sizeGb": 1}]})
    assert checked.method_id == "container.projects.locations.clusters.get"
    assert checked.problems[0].startswith("response.nodePools[0].sizeGb: unknown field of NodePool")
    assert contract.check_response("GET", url, {"status": "GONE"}).problems[0].startswith("response.status: 'GONE' is not one of")
    assert contract.check_response("GET", url, {"error": {"code": 404, "message": "nf", "status": "NOT_FOUND"}}, 404).ok


def test_a_request_out_of_contract_stops_the_transport(contract):
    class Answer(object):
        def send(self, method, url, params=None, body=None):
            return 200, {}

    transport = gcp_discovery.ContractTransport(Answer(), contract)
    with pytest.raises(AssertionError, match=r"body\.nodePool\.nam: unknown field"):
        transport.send("POST", NODE_POOLS, body={"nodePool": {"nam": "x"}})
    assert transport.checked == []


def test_the_documents_come_from_the_pinned_package_only(contract):
    directory = gcp_discovery.documents_dir()
    assert directory.endswith(os.path.join("googleapiclient", "discovery_cache", "documents"))
    assert "googleapiclient" not in sys.modules  # the JSON files are read; the client library is never imported
    revisions = contract.revisions()
    assert set(revisions) == set(gcp_discovery.APIS) and all(revisions.values())
