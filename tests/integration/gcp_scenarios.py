# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Scenarios of the fake GCP endpoint (tools/gcp_fake.py) for the gke-tpu and gke-gpu inventories
(tests/integration/fixtures/gcp/{tpu,gpu}.json, also what the recording tool takes)."""

import copy
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(REPO, "tests", "integration", "fixtures", "gcp")
sys.path.insert(0, os.path.join(REPO, "tools"))
from gcp_fake import FakeGcp  # noqa: E402,F401  pylint: disable=unused-import


def _load(name):
    with open(os.path.join(SCENARIOS, name + ".json")) as handle:
        return json.load(handle)


TPU = _load("tpu")
GPU = _load("gpu")
PERMISSIONS = list(TPU["permissions"])


def scenario(base, **changes):
    out = copy.deepcopy(base)
    out.update(changes)
    return out
