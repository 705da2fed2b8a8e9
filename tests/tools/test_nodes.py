"""Unit tests for tools/localcluster/nodes.py (no cluster needed)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tools.localcluster import nodes  # noqa: E402


@pytest.fixture(scope="module")
def profiles():
    return nodes.load_profiles()


def test_profiles_file_complete(profiles):
    for name in ("tpu-v6e-1t", "tpu-v6e-4t", "tpu-v6e-8t", "nvidia-t4", "nvidia-l4",
                 "nvidia-a100-40gb", "nvidia-a100-80gb", "nvidia-h100-80gb", "cpu-sim"):
        assert name in profiles
    assert profiles["tpu-v6e-4t"]["chips_per_host"] == 4
    assert profiles["tpu-v6e-4t"]["topology"] == "2x2"
    assert profiles["tpu-v6e-4t"]["env"]["TPU_CHIPS_PER_HOST_BOUNDS"] == "2,2,1"
    assert profiles["tpu-v6e-8t"]["topology"] == "2x4"
    assert profiles["nvidia-h100-80gb"]["chips_per_host"] == 8
    assert profiles["cpu-sim"]["resource_name"] is None
    for prof in profiles.values():
        if prof["kind"] == "gpu":
            assert "gpu_memory_utilization" in prof and "max_model_len" in prof


def test_tpu_node_manifest(profiles):
    pool = {"name": "tpu-v6e-pool", "profile": "tpu-v6e-4t", "count": 2}
    node, status = nodes.node_manifest(pool, profiles["tpu-v6e-4t"], 1, "us-east5-b")
    assert node["metadata"]["name"] == "gke-local-tpu-v6e-pool-1"
    labels = node["metadata"]["labels"]
    assert labels["cloud.google.com/gke-tpu-accelerator"] == "tpu-v6e-slice"
    assert labels["cloud.google.com/gke-tpu-topology"] == "2x2"
    assert labels["cloud.google.com/gke-nodepool"] == "tpu-v6e-pool"
    assert labels["node.kubernetes.io/instance-type"] == "ct6e-standard-4t"
    assert labels["kubernetes.io/hostname"] == "gke-local-tpu-v6e-pool-1"
    assert labels["type"] == "kwok"
    assert labels["topology.kubernetes.io/zone"] == "us-east5-b"
    assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert node["spec"]["taints"] == [{"key": "google.com/tpu", "value": "present", "effect": "NoSchedule"}]
    assert status["capacity"]["google.com/tpu"] == "4"
    assert status["allocatable"]["google.com/tpu"] == "4"
    assert status["capacity"]["memory"] == "720Gi"
    assert "status" not in node


def test_cpu_node_has_no_taints_or_extended_resource(profiles):
    node, status = nodes.node_manifest({"name": "default-pool", "profile": "cpu-sim", "count": 1},
                                       profiles["cpu-sim"], 0)
    assert node["spec"] == {}
    assert not any("/" in k for k in status["capacity"])


def test_pools_expand_to_counts(profiles):
    pools = [{"name": "a", "profile": "cpu-sim", "count": 2}, {"name": "b", "profile": "nvidia-h100-80gb", "count": 3}]
    out = nodes.node_manifests(profiles, pools)
    assert [n["metadata"]["name"] for n, _status in out] == [
        "gke-local-a-0", "gke-local-a-1", "gke-local-b-0", "gke-local-b-1", "gke-local-b-2"]
    assert out[-1][1]["capacity"]["nvidia.com/gpu"] == "8"


@pytest.mark.parametrize("pools,match", [
    ([{"name": "x", "profile": "nope", "count": 1}], "unknown profile"),
    ([{"name": "x", "profile": "cpu-sim"}], "missing count"),
    ([{"name": "x", "profile": "cpu-sim", "count": 1}, {"name": "x", "profile": "cpu-sim", "count": 1}], "duplicate"),
    ([{"name": "Bad_Name", "profile": "cpu-sim", "count": 1}], "invalid node name"),
])
def test_invalid_pools(profiles, pools, match):
    with pytest.raises(ValueError, match=match):
        nodes.node_manifests(profiles, pools)


def test_repository_inventory_pools():
    out = nodes.default_manifests()
    names = [n["metadata"]["name"] for n, _status in out]
    assert len(names) == len(set(names))
    profiles = {n["metadata"]["annotations"]["llmd.xks/accelerator-profile"] for n, _status in out}
    assert {"cpu-sim", "tpu-v6e-4t", "nvidia-t4", "nvidia-h100-80gb"} <= profiles
    tpu = [s for n, s in out if n["metadata"]["labels"].get("cloud.google.com/gke-tpu-topology") == "2x2"]
    assert len(tpu) >= 2 and all(s["capacity"]["google.com/tpu"] == "4" for s in tpu)
