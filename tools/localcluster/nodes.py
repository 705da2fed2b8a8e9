"""Turn accelerator profiles + node pools into fake (kwok) Node manifests.

Inputs are the two data files the Ansible inventories use as well:
  playbooks/vars/accelerators.yml                  llmd_xks_accelerators: {profile: {...}}
  inventories/local/group_vars/all/cluster.yml     llmd_xks_node_pools: [{name, profile, count}]

``node_manifests`` returns ``(node, status)`` pairs: the Node object to create, and the status
to write afterwards through the ``nodes/status`` subresource (a plain update drops status).
"""
from __future__ import annotations

import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCELERATORS_FILE = os.path.join(REPO, "playbooks", "vars", "accelerators.yml")
CLUSTER_FILE = os.path.join(REPO, "inventories", "local", "group_vars", "all", "cluster.yml")

KWOK_ANNOTATION = "kwok.x-k8s.io/node"
REQUIRED_PROFILE_KEYS = ("kind", "machine_type", "node_labels", "taints", "resource_name",
                         "chips_per_host", "hbm_gib_per_chip", "node_cpu", "node_memory")
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def load_yaml(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def load_profiles(path: str = ACCELERATORS_FILE) -> dict:
    profiles = load_yaml(path).get("llmd_xks_accelerators")
    if not isinstance(profiles, dict) or not profiles:
        raise ValueError(f"{path}: no llmd_xks_accelerators mapping")
    for name, prof in profiles.items():
        missing = [k for k in REQUIRED_PROFILE_KEYS if k not in prof]
        if missing:
            raise ValueError(f"profile {name}: missing keys {missing}")
        if prof["kind"] not in ("tpu", "gpu", "cpu"):
            raise ValueError(f"profile {name}: kind must be tpu|gpu|cpu")
        if prof["kind"] != "cpu" and not prof["resource_name"]:
            raise ValueError(f"profile {name}: accelerator profile needs resource_name")
        if prof["kind"] == "tpu" and not prof.get("topology"):
            raise ValueError(f"profile {name}: TPU profile needs topology")
    return profiles


def load_cluster(path: str = CLUSTER_FILE) -> dict:
    data = load_yaml(path)
    if not isinstance(data.get("llmd_xks_node_pools"), list):
        raise ValueError(f"{path}: no llmd_xks_node_pools list")
    return data


def node_name(pool: str, index: int) -> str:
    return f"gke-local-{pool}-{index}"


def node_manifest(pool: dict, profile: dict, index: int, zone: str | None = None):
    """Return (node, status) for node ``index`` of ``pool`` using ``profile``."""
    name = node_name(pool["name"], index)
    if not _DNS1123.match(name) or len(name) > 63:
        raise ValueError(f"invalid node name {name!r}")
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "type": "kwok",
        "node.kubernetes.io/instance-type": profile["machine_type"],
        "cloud.google.com/machine-family": profile["machine_type"].split("-")[0],
        "cloud.google.com/gke-nodepool": pool["name"],
    }
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
        labels["topology.kubernetes.io/region"] = zone.rsplit("-", 1)[0]
    labels.update({k: str(v) for k, v in (profile.get("node_labels") or {}).items()})
    taints = [{"key": t["key"], "value": str(t.get("value", "")), "effect": t["effect"]}
              for t in (profile.get("taints") or [])]
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {KWOK_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0",
                            "llmd.xks/accelerator-profile": pool["profile"]},
        },
        "spec": {"taints": taints} if taints else {},
    }
    capacity = {
        "cpu": str(profile["node_cpu"]),
        "memory": str(profile["node_memory"]),
        "pods": "110",
        "ephemeral-storage": "100Gi",
    }
    if profile.get("resource_name"):
        capacity[profile["resource_name"]] = str(profile["chips_per_host"])
    status = {"capacity": dict(capacity), "allocatable": dict(capacity)}
    return node, status


def node_manifests(profiles: dict, pools: list, zone: str | None = None):
    """All (node, status) pairs for ``pools`` (list of {name, profile, count})."""
    out, seen = [], set()
    for pool in pools:
        for key in ("name", "profile", "count"):
            if key not in pool:
                raise ValueError(f"node pool {pool!r}: missing {key}")
        if pool["name"] in seen:
            raise ValueError(f"duplicate node pool {pool['name']}")
        seen.add(pool["name"])
        if pool["profile"] not in profiles:
            raise ValueError(f"node pool {pool['name']}: unknown profile {pool['profile']!r}")
        for i in range(int(pool["count"])):
            out.append(node_manifest(pool, profiles[pool["profile"]], i, zone))
    return out


def default_manifests():
    """(node, status) pairs from the repository's data files."""
    cluster = load_cluster()
    return node_manifests(load_profiles(), cluster["llmd_xks_node_pools"], cluster.get("llmd_xks_zone"))


if __name__ == "__main__":  # pragma: no cover - debugging aid
    print(yaml.safe_dump_all([n for n, _ in default_manifests()], sort_keys=False))
