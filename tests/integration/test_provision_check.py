# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""provision.yml and teardown_gke.yml against the fake GCP endpoint on 127.0.0.1 (tools/gcp_fake.py).

Our modules reach it through their api_endpoint option (LLMD_XKS_GCP_API_ENDPOINT), the google.cloud modules through
HTTPS_PROXY with the fake's test CA; the fake checks every request against Google's discovery documents and answers
400 naming the field of one they do not allow. No Kubernetes cluster is needed.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gcp_scenarios import GPU, TPU, FakeGcp, scenario

pytestmark = pytest.mark.integration

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def command(playbook, inventory, extra_vars=None, check=False):
    out = [PLAYBOOK, os.path.join(REPO, "playbooks", playbook), "-i", os.path.join(REPO, "inventories", inventory)]
    if check:
        out.append("--check")
    if extra_vars:
        out += ["-e", json.dumps(extra_vars)]
    return out


def environment(fake, tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".cache", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", ANSIBLE_LOCALHOST_WARNING="false", HOME=str(tmp_path))
    for key in ("GCP_SERVICE_ACCOUNT_FILE", "GCP_SERVICE_ACCOUNT_CONTENTS"):
        env.pop(key, None)
    env.update(fake.env())
    return env


def run(fake, tmp_path, playbook, inventory, extra_vars=None, check=False):
    return subprocess.run(command(playbook, inventory, extra_vars, check), env=environment(fake, tmp_path), capture_output=True,
                          text=True, timeout=600, cwd=REPO, check=False)


def plan_output(out):
    start = out.index("TASK [The plan]")
    return out[start:out.index("TASK [", start + 10)]


def writes(fake):
    return [c for c in fake.fake.log if c["method"] != "GET"
            and c.get("api_method") != "cloudresourcemanager.projects.testIamPermissions"]


def test_provision_check_tpu(tmp_path):
    with FakeGcp(TPU) as fake:
        proc = run(fake, tmp_path, "provision.yml", "gke-tpu", check=True)
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
    assert writes(fake) == [] and fake.fake.probes() == []          # check mode: reads only
    assert all(c["status"] in (200, 404) for c in fake.fake.log), [c for c in fake.fake.log if c["status"] not in (200, 404)]


def test_provision_check_gpu_skips_a_zone_without_h100(tmp_path):
    with FakeGcp(GPU) as fake:
        proc = run(fake, tmp_path, "provision.yml", "gke-gpu", check=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    plan = plan_output(proc.stdout)
    assert "cluster llmd-gpu in us-central1-b" in plan
    assert '"zone": "us-central1-a", "status": "unavailable", "detail": "us-central1-a does not offer a3-highgpu-8g"' in plan
    assert "t4-pool        n1-standard-4     gpu  3     0-3       -          nvidia-tesla-t4 x1" in plan
    assert "h100-pool      a3-highgpu-8g     gpu  2     0-2       -          nvidia-h100-80gb x8" in plan
    assert "NVIDIA_H100_GPUS in us-central1: 0 of 16 used, 16 needed" in plan
    assert writes(fake) == []


def test_provision_check_stops_on_exhausted_quota(tmp_path):
    quotas = [{"metric": "CPUS", "limit": 72.0, "usage": 4.0}, {"metric": "NVIDIA_T4_GPUS", "limit": 8.0, "usage": 0.0},
              {"metric": "NVIDIA_H100_GPUS", "limit": 8.0, "usage": 0.0}]
    with FakeGcp(scenario(GPU, regions={"us-central1": {"quotas": quotas}})) as fake:
        proc = run(fake, tmp_path, "provision.yml", "gke-gpu", check=True)
    assert proc.returncode != 0
    assert "Quota exhausted: NVIDIA_H100_GPUS in us-central1: 0 of 8 used, 16 needed" in proc.stdout
    assert "TASK [Accelerator pools" not in proc.stdout


def test_provision_stops_on_a_disabled_api_and_missing_permissions(tmp_path):
    services = [s for s in TPU["services"] if s != "tpu.googleapis.com"]
    with FakeGcp(scenario(TPU, services=services, permissions=TPU["permissions"][:-3])) as fake:
        proc = run(fake, tmp_path, "provision.yml", "gke-tpu", check=True)
    assert proc.returncode != 0
    assert "not enabled: tpu.googleapis.com" in proc.stdout and "gcloud services enable tpu.googleapis.com" in proc.stdout
    assert "missing container.clusters.create" in proc.stdout or "container.clusters.create" in proc.stdout
    assert writes(fake) == []


def test_provision_refuses_a_bad_pool_before_any_request(tmp_path):
    with FakeGcp(TPU) as fake:
        proc = run(fake, tmp_path, "provision.yml", "gke-tpu", check=True, extra_vars={
            "llmd_xks_node_pools": [{"name": "slice", "profile": "tpu-v6e-16", "count": 3}]})
    assert proc.returncode != 0
    assert "node_pools[0].count: a multi-host slice" in proc.stdout and "node_pools: add a CPU pool" in proc.stdout
    assert fake.fake.log == []


@pytest.mark.parametrize("inventory, base, zone", [("gke-tpu", TPU, "europe-west4-a"), ("gke-gpu", GPU, "us-central1-b")])
def test_full_provision_then_teardown(tmp_path, inventory, base, zone):
    """Everything provision.yml creates, google.cloud modules included, then a second run that changes nothing,
    then teardown_gke.yml delete, which leaves only the project's own subnetwork."""
    with FakeGcp(scenario(base, operationsDone=True)) as fake:
        proc = run(fake, tmp_path, "provision.yml", inventory, extra_vars={"llmd_xks_gke": dict(probe_timeout=30)})
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert fake.fake.probes() == []                                   # every probe deleted
        cluster_name = "llmd-tpu" if inventory == "gke-tpu" else "llmd-gpu"
        cluster = "https://container.googleapis.com/v1/projects/my-gcp-project/locations/%s/clusters/%s" % (zone, cluster_name)
        state = fake.fake.resources
        assert state[cluster]["status"] == "RUNNING"
        assert state[cluster]["networkConfig"]["gatewayApiConfig"]["channel"] == "CHANNEL_STANDARD"
        pools = sorted(u.rsplit("/", 1)[1] for u in state if u.startswith(cluster + "/nodePools/"))
        assert pools == sorted(["default-pool", "tpu-v6e-pool"] if inventory == "gke-tpu" else ["default-pool", "h100-pool", "t4-pool"])
        subnets = sorted(u.rsplit("/", 1)[1] for u in state if "/subnetworks/" in u)
        region = zone.rsplit("-", 1)[0]
        assert subnets == sorted(["default", "%s-nodes" % cluster_name, "%s-proxy-only" % region])
        kubeconfig = tmp_path / ".kube" / ("llmd-xks-%s.yaml" % cluster_name)
        assert "server: https://127.0.0.1" in kubeconfig.read_text()
        bad = [c for c in fake.fake.log if c["status"] == 400 or c["status"] >= 500]
        assert bad == [], bad                                              # nothing outside the documents

        again = run(fake, tmp_path, "provision.yml", inventory)
        assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]

        down = run(fake, tmp_path, "teardown_gke.yml", inventory, extra_vars={"llmd_xks_teardown_mode": "delete"})
        assert down.returncode == 0, down.stdout[-3000:]
        left = sorted(u for u in fake.fake.resources if "/instanceGroupManagers/" not in u)
        assert left == ["https://compute.googleapis.com/compute/v1/projects/my-gcp-project/regions/%s/subnetworks/default" % region]


def test_a_stockout_moves_to_the_next_zone(tmp_path):
    zones = dict(TPU["zones"])
    zones["europe-west4-a"] = dict(zones["europe-west4-a"], stockout=["v6e-4"])
    with FakeGcp(scenario(TPU, zones=zones, operationsDone=True)) as fake:
        started = time.monotonic()
        proc = run(fake, tmp_path, "provision.yml", "gke-tpu", extra_vars={"llmd_xks_gke": dict(probe_timeout=30)})
        elapsed = time.monotonic() - started
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert '"zone": "europe-west4-a", "status": "stockout"' in proc.stdout and "no more capacity" in proc.stdout
        assert '"zone": "europe-west4-b", "status": "available"' in proc.stdout
        assert "cluster llmd-tpu in europe-west4-b" in proc.stdout
        assert fake.fake.probes() == []
        creates = [c["url"] for c in fake.fake.calls("tpu.projects.locations.nodes.create")]
        deletes = [c["url"] for c in fake.fake.calls("tpu.projects.locations.nodes.delete")]
        assert [u.split("/locations/")[1].split("/")[0] for u in creates] == ["europe-west4-a", "europe-west4-b"]
        assert len(deletes) == 2                       # the stocked-out zone's failed probe is deleted too (404 is fine)
    print("provision with a stockout in the first zone: %.1f s" % elapsed)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_probe_is_still_deleted(tmp_path, sig):
    """The probe's create operation never finishes; the run is interrupted (Ctrl-C, or AWX cancelling the job, which
    sends SIGTERM... to ansible-playbook) while the module waits: the probe is deleted before the module exits."""
    with FakeGcp(scenario(GPU, holdProbe=True)) as fake:
        proc = subprocess.Popen(command("provision.yml", "gke-gpu", {"llmd_xks_gke": dict(probe_timeout=120)}),
                                env=environment(fake, tmp_path), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        try:
            assert fake.fake.probe_created.wait(120), "no probe was created"
            assert len(fake.fake.probes()) == 1
            os.killpg(proc.pid, sig)
            out, dummy = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode != 0
        deadline = time.monotonic() + 30   # the module may finish its delete after ansible-playbook has exited
        while fake.fake.probes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert fake.fake.probes() == [], out[-3000:]
        assert fake.fake.calls("compute.instances.delete"), out[-3000:]


def test_teardown_gke_check_lists_what_would_go(tmp_path):
    cluster = "https://container.googleapis.com/v1/projects/my-gcp-project/locations/europe-west4-a/clusters/llmd-tpu"
    owned = {"llmd-xks-managed-by": "llmd-xks", "llmd-xks-cluster": "llmd-tpu"}
    subnet = "https://compute.googleapis.com/compute/v1/projects/my-gcp-project/regions/europe-west4/subnetworks/llmd-tpu-nodes"
    resources = dict(TPU["resources"])
    resources.update({
        cluster: {"name": "llmd-tpu", "status": "RUNNING", "location": "europe-west4-a", "resourceLabels": owned, "selfLink": cluster},
        cluster + "/nodePools/default-pool": {"name": "default-pool", "config": {"machineType": "e2-standard-8", "labels": owned}},
        cluster + "/nodePools/tpu-v6e-pool": {"name": "tpu-v6e-pool", "config": {"machineType": "ct6e-standard-4t", "labels": owned}},
        subnet: {"name": "llmd-tpu-nodes", "description": "llmd-xks-managed-by=llmd-xks cluster=llmd-tpu", "selfLink": subnet,
                 "ipCidrRange": "10.0.0.0/20"},
    })
    with FakeGcp(scenario(TPU, resources=resources)) as fake:
        proc = run(fake, tmp_path, "teardown_gke.yml", "gke-tpu", extra_vars={"llmd_xks_teardown_mode": "delete"}, check=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert '"target": "tpu-v6e-pool", "kind": "node_pool", "action": "delete"' in proc.stdout
    assert '"target": "default-pool", "kind": "node_pool", "action": "keep"' in proc.stdout
    assert '"target": "llmd-tpu", "kind": "cluster", "action": "delete"' in proc.stdout
    assert '"target": "llmd-tpu-nodes", "kind": "subnetwork", "action": "delete"' in proc.stdout
    assert writes(fake) == [] and sorted(fake.fake.resources) == sorted(resources)
