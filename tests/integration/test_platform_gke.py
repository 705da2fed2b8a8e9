# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The GKE prerequisites (gateway_api tasks_from gke, platform.yml tag gke_prerequisites) with a fake gcloud."""

import os

import pytest

import platform_run
from platform_run import REPO, local_sources, run_playbook

pytestmark = pytest.mark.integration

kubeconfig = platform_run.kubeconfig

FAKE_GCLOUD = """#!/bin/sh
echo "$*" >> "%(log)s"
case "$*" in
  "container clusters describe"*) echo "$FAKE_CHANNEL" ;;
  "services list"*) echo "$FAKE_SERVICES" ;;
  "compute networks subnets list"*) echo "$FAKE_SUBNETS" ;;
esac
"""


@pytest.fixture
def gcloud(tmp_path, monkeypatch):
    log = tmp_path / "gcloud.log"
    path = tmp_path / "gcloud"
    path.write_text(FAKE_GCLOUD % {"log": log})
    path.chmod(0o755)
    for key in ("FAKE_CHANNEL", "FAKE_SERVICES", "FAKE_SUBNETS"):
        monkeypatch.setenv(key, "")
    return str(path), log


def gke_vars(gcloud_path, **extra):
    out = dict(local_sources(), llmd_xks_stack="gateway_api_llmd", llmd_xks_gke_prerequisites=True,
               gateway_api_gke_gcloud=gcloud_path, gateway_api_gke_project="proj", gateway_api_gke_cluster="c1",
               gateway_api_gke_location="europe-west4-a")
    out.update(extra)
    return out


def test_prepares_a_bare_project_then_changes_nothing(kubeconfig, gcloud, monkeypatch):
    path, log = gcloud
    playbook = os.path.join(REPO, "playbooks", "platform.yml")
    check = run_playbook(kubeconfig, playbook=playbook, extra_vars=gke_vars(path), tags="gke_prerequisites", check=True)
    assert not check.failed and check.changed == 0, check.explain()  # gcloud writes are skipped in check mode
    assert not any(" update " in line or " enable " in line or " create " in line
                   for line in log.read_text().splitlines())
    run = run_playbook(kubeconfig, playbook=playbook, extra_vars=gke_vars(path), tags="gke_prerequisites")
    assert not run.failed and run.changed == 3, run.explain()
    calls = log.read_text()
    assert "container clusters update c1 --project=proj --location=europe-west4-a --gateway-api=standard" in calls
    assert "services enable networkservices.googleapis.com --project=proj" in calls
    assert ("compute networks subnets create proxy-only-subnet --project=proj --purpose=REGIONAL_MANAGED_PROXY "
            "--role=ACTIVE --region=europe-west4 --network=default --range=192.168.0.0/23") in calls
    monkeypatch.setenv("FAKE_CHANNEL", "CHANNEL_STANDARD")
    monkeypatch.setenv("FAKE_SERVICES", "networkservices.googleapis.com")
    monkeypatch.setenv("FAKE_SUBNETS", "proxy-only-subnet")
    again = run_playbook(kubeconfig, playbook=playbook, extra_vars=gke_vars(path), tags="gke_prerequisites")
    assert not again.failed and again.changed == 0, again.explain()


def test_skipped_unless_asked(kubeconfig, gcloud):
    path, log = gcloud
    playbook = os.path.join(REPO, "playbooks", "platform.yml")
    run = run_playbook(kubeconfig, playbook=playbook, extra_vars=gke_vars(path, llmd_xks_gke_prerequisites=False),
                       tags="gke_prerequisites")
    assert not run.failed and not log.exists()
