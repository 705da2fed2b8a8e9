# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""``ansible-playbook --check playbooks/provision.yml`` (and teardown_gke.yml) offline, with recorded GCP responses.

GCP cannot be reached from CI. Our modules (plan, preflight, quota, probe, REST resources) read the recordings
in tests/integration/fixtures/gcp/<scenario>/ through the replay transport (LLMD_XKS_GCP_REPLAY); a request
that has no recording fails the task, so the run proves which requests check mode makes. The google.cloud
tasks are skipped in check mode (they would call the API even in check mode). No Kubernetes cluster is needed.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORDINGS = os.path.join(REPO, "tests", "integration", "fixtures", "gcp")


def run(playbook, inventory, recordings, extra_vars=None, check=True):
    env = dict(os.environ, LLMD_XKS_GCP_REPLAY=recordings, GCP_AUTH_KIND="application",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".cache", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", ANSIBLE_LOCALHOST_WARNING="false")
    for key in ("GCP_SERVICE_ACCOUNT_FILE", "GCP_SERVICE_ACCOUNT_CONTENTS", "GCP_ACCESS_TOKEN"):
        env.pop(key, None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(REPO, "playbooks", playbook),
               "-i", os.path.join(REPO, "inventories", inventory)]
    if check:
        command.append("--check")
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=REPO, check=False)


def plan_output(out):
    start = out.index("TASK [The plan]")
    return out[start:out.index("TASK [", start + 10)]


def test_provision_check_tpu():
    proc = run("provision.yml", "gke-tpu", os.path.join(RECORDINGS, "provision-tpu"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    plan = plan_output(proc.stdout)
    assert "cluster llmd-tpu in europe-west4-a" in plan
    assert "default-pool   e2-standard-8     cpu  2     2-4" in plan            # CPU pool never below 2 (its count)
    assert "tpu-v6e-pool   ct6e-standard-4t  tpu  3     0-3       2x2 (GKE)" in plan  # no topology flag sent (seed §6.3)
    assert "europe-west4-proxy-only (REGIONAL_MANAGED_PROXY) 192.168.0.0/23" in plan
    assert "TPU quota is not machine-checkable" in plan
    assert '"zone": "europe-west4-a", "status": "would_probe"' in plan
    assert "changed=2" in proc.stdout and "failed=0" in proc.stdout   # proxy-only subnet + TPU pool would be created
    for skipped in ("Cluster (google.cloud", "CPU pool (google.cloud", "Node subnetwork (google.cloud"):
        section = proc.stdout[proc.stdout.index("TASK [" + skipped):]
        assert section.split("TASK [", 2)[1].count("skipping") >= 1


def test_provision_check_gpu_skips_a_zone_without_h100():
    proc = run("provision.yml", "gke-gpu", os.path.join(RECORDINGS, "provision-gpu"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    plan = plan_output(proc.stdout)
    assert "cluster llmd-gpu in us-central1-b" in plan
    assert '"zone": "us-central1-a", "status": "unavailable", "detail": "us-central1-a does not offer a3-highgpu-8g"' in plan
    assert "t4-pool        n1-standard-4     gpu  3     0-3       -          nvidia-tesla-t4 x1" in plan
    assert "h100-pool      a3-highgpu-8g     gpu  2     0-2       -          nvidia-h100-80gb x8" in plan
    assert "NVIDIA_H100_GPUS in us-central1: 0 of 16 used, 16 needed" in plan


def test_provision_check_stops_on_exhausted_quota(tmp_path):
    scenario = tmp_path / "quota"
    shutil.copytree(os.path.join(RECORDINGS, "provision-gpu"), scenario)
    path = scenario / "02-capacity.json"
    items = json.loads(path.read_text())
    items[0]["body"]["quotas"] = [{"metric": "CPUS", "limit": 72.0, "usage": 4.0},
                                  {"metric": "NVIDIA_T4_GPUS", "limit": 8.0, "usage": 0.0},
                                  {"metric": "NVIDIA_H100_GPUS", "limit": 8.0, "usage": 0.0}]
    path.write_text(json.dumps(items))
    proc = run("provision.yml", "gke-gpu", str(scenario))
    assert proc.returncode != 0
    assert "Quota exhausted: NVIDIA_H100_GPUS in us-central1: 0 of 8 used, 16 needed" in proc.stdout
    assert "TASK [Accelerator pools" not in proc.stdout


def test_provision_check_refuses_a_bad_pool_before_any_request(tmp_path):
    proc = run("provision.yml", "gke-tpu", str(tmp_path), extra_vars={
        "llmd_xks_node_pools": [{"name": "slice", "profile": "tpu-v6e-16", "count": 3}]})
    assert proc.returncode != 0
    assert "node_pools[0].count: a multi-host slice" in proc.stdout and "node_pools: add a CPU pool" in proc.stdout


def test_teardown_gke_check_lists_what_would_go(tmp_path):
    cluster = {"name": "llmd-tpu", "status": "RUNNING",
               "resourceLabels": {"llmd-xks-managed-by": "llmd-xks", "llmd-xks-cluster": "llmd-tpu"},
               "nodePools": [{"name": "default-pool", "config": {"machineType": "e2-standard-8",
                                                                 "labels": {"llmd-xks-managed-by": "llmd-xks"}}},
                             {"name": "tpu-v6e-pool", "config": {"machineType": "ct6e-standard-4t",
                                                                 "labels": {"llmd-xks-managed-by": "llmd-xks"}}}]}
    base = "https://container.googleapis.com/v1/projects/my-gcp-project/locations/"
    (tmp_path / "teardown.json").write_text(json.dumps([
        {"method": "GET", "url": base + "europe-west4-a/clusters/llmd-tpu", "repeat": True, "body": cluster},
        {"method": "GET", "url": base + "europe-west4-b/clusters/llmd-tpu", "status": 404, "body": {"error": {"code": 404, "message": "nf"}}},
        {"method": "GET", "url": "https://compute.googleapis.com/compute/v1/projects/my-gcp-project/regions/europe-west4/subnetworks",
         "body": {"items": [{"name": "llmd-tpu-nodes", "description": "llmd-xks-managed-by=llmd-xks cluster=llmd-tpu",
                             "selfLink": "x"}]}},
    ]))
    proc = run("teardown_gke.yml", "gke-tpu", str(tmp_path), extra_vars={"llmd_xks_teardown_mode": "delete"})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert '"target": "tpu-v6e-pool", "kind": "node_pool", "action": "delete"' in proc.stdout
    assert '"target": "default-pool", "kind": "node_pool", "action": "keep"' in proc.stdout
    assert '"target": "llmd-tpu", "kind": "cluster", "action": "delete"' in proc.stdout
    assert '"target": "llmd-tpu-nodes", "kind": "subnetwork", "action": "delete"' in proc.stdout
