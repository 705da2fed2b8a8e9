# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The plan's google.cloud arguments pass those modules' own argument specs, and become the request bodies we mean.

No network: each google.cloud module's ``main()`` is stopped where it builds its GcpModule, to take the argument
spec; then its own ``resource_to_request`` turns our arguments into the body it would send.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.google.cloud.plugins.modules import gcp_compute_subnetwork, gcp_container_cluster, gcp_container_node_pool
from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import build_plan

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
AUTH = {"project": "my-project", "auth_kind": "application"}


class Captured(Exception):
    pass


def spec_of(module, monkeypatch):
    seen = {}

    class FakeGcpModule(object):
        def __init__(self, argument_spec=None, **kwargs):
            seen["spec"] = argument_spec
            raise Captured()

    monkeypatch.setattr(module, "GcpModule", FakeGcpModule)
    with pytest.raises(Captured):
        module.main()
    spec = dict(seen["spec"])
    # the options GcpModule adds itself (google.cloud.gcp doc fragment)
    spec.update(project=dict(type="str"), auth_kind=dict(type="str", required=True), scopes=dict(type="list", elements="str"))
    return spec


class Params(object):
    def __init__(self, params):
        self.params = params


def validated(module, args, monkeypatch):
    result = ArgumentSpecValidator(spec_of(module, monkeypatch)).validate(dict(AUTH, **args))
    assert not result.error_messages, result.error_messages
    return Params(result.validated_parameters)


@pytest.fixture
def plan():
    pools = [{"name": "default-pool", "profile": "cpu-sim", "count": 2}, {"name": "tpu", "profile": "tpu-v6e-4t", "count": 1}]
    return build_plan(ACCELERATORS, pools, "my-project", ["europe-west4-a"], "llmd-tpu")


def test_cluster_arguments(plan, monkeypatch):
    body = gcp_container_cluster.resource_to_request(validated(gcp_container_cluster, plan["cluster"], monkeypatch))["cluster"]
    assert body["networkConfig"] == {"datapathProvider": "ADVANCED_DATAPATH"}
    assert body["releaseChannel"] == {"channel": "REGULAR"}
    assert body["resourceLabels"]["llmd-xks-managed-by"] == "llmd-xks"
    assert body["ipAllocationPolicy"]["useIpAliases"] is True and body["subnetwork"] == "llmd-tpu-nodes"
    assert body["addonsConfig"]["httpLoadBalancing"] == {"disabled": False}


def test_cpu_pool_arguments(plan, monkeypatch):
    cpu = [p for p in plan["node_pools"] if p["kind"] == "cpu"][0]
    args = dict(cpu["gcp_args"], cluster={"name": "llmd-tpu"}, location=plan["zone"])
    body = gcp_container_node_pool.resource_to_request(validated(gcp_container_node_pool, args, monkeypatch))["nodePool"]
    assert body["autoscaling"] == {"enabled": True, "minNodeCount": 2, "maxNodeCount": 4}
    assert body["config"]["machineType"] == "e2-standard-8"
    assert "workloadMetaConfig" not in body["config"]  # google.cloud's misnamed field would be refused by the API
    assert body["config"]["labels"]["llmd-xks-managed-by"] == "llmd-xks"


def test_node_subnetwork_arguments(plan, monkeypatch):
    subnet = [s for s in plan["subnets"] if s["create_with"] == "google.cloud"][0]
    body = gcp_compute_subnetwork.resource_to_request(validated(gcp_compute_subnetwork, subnet["gcp_args"], monkeypatch))
    assert body["network"] == "projects/my-project/global/networks/default"
    assert [r["rangeName"] for r in body["secondaryIpRanges"]] == ["pods", "services"]
    assert "llmd-xks-managed-by=llmd-xks" in body["description"]
