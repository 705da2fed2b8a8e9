# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Scenarios of the fake GCP endpoint (tools/gcp_fake.py) for the gke-tpu and gke-gpu inventories."""

import copy
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools"))
from gcp_fake import FakeGcp  # noqa: E402,F401  pylint: disable=unused-import

PERMISSIONS = ["compute.instances.create", "compute.regions.get", "compute.subnetworks.create", "container.clusterRoleBindings.create",
               "container.clusterRoles.create", "container.clusters.create", "iam.serviceAccounts.actAs", "serviceusage.services.list"]
SERVICES = ["container.googleapis.com", "compute.googleapis.com", "networkservices.googleapis.com", "tpu.googleapis.com",
            "cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com"]
DEFAULT_SUBNET = {"name": "default", "purpose": "PRIVATE", "ipCidrRange": "10.164.0.0/20",
                  "network": "https://compute.googleapis.com/compute/v1/projects/my-gcp-project/global/networks/default"}


def _subnet(region):
    url = "https://compute.googleapis.com/compute/v1/projects/my-gcp-project/regions/%s/subnetworks/default" % region
    return {url: dict(DEFAULT_SUBNET, selfLink=url)}


TPU = {
    "project": "my-gcp-project", "permissions": PERMISSIONS, "services": SERVICES,
    "regions": {"europe-west4": {"quotas": [{"metric": "CPUS", "limit": 72.0, "usage": 4.0},
                                            {"metric": "IN_USE_ADDRESSES", "limit": 8.0, "usage": 1.0}]}},
    "zones": {"europe-west4-a": {"machineTypes": ["ct6e-standard-4t", "e2-standard-8"], "tpuAcceleratorTypes": ["v6e-4"]},
              "europe-west4-b": {"machineTypes": ["ct6e-standard-4t", "e2-standard-8"], "tpuAcceleratorTypes": ["v6e-4"]}},
    "resources": _subnet("europe-west4"),
}

GPU = {
    "project": "my-gcp-project", "permissions": PERMISSIONS, "services": SERVICES,
    "regions": {"us-central1": {"quotas": [{"metric": "CPUS", "limit": 72.0, "usage": 4.0},
                                           {"metric": "NVIDIA_T4_GPUS", "limit": 8.0, "usage": 0.0},
                                           {"metric": "NVIDIA_H100_GPUS", "limit": 16.0, "usage": 0.0},
                                           {"metric": "IN_USE_ADDRESSES", "limit": 8.0, "usage": 1.0}]}},
    "zones": {"us-central1-a": {"machineTypes": ["n1-standard-4", "e2-standard-8"], "acceleratorTypes": ["nvidia-tesla-t4"]},
              "us-central1-b": {"machineTypes": ["n1-standard-4", "a3-highgpu-8g", "e2-standard-8"],
                                "acceleratorTypes": ["nvidia-tesla-t4", "nvidia-h100-80gb"]},
              "us-central1-c": {"machineTypes": ["n1-standard-4", "a3-highgpu-8g", "e2-standard-8"],
                                "acceleratorTypes": ["nvidia-tesla-t4", "nvidia-h100-80gb"]}},
    "resources": _subnet("us-central1"),
}


def scenario(base, **changes):
    out = copy.deepcopy(base)
    out.update(changes)
    return out
