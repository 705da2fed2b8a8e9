#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight_checks
short_description: Check a live cluster for the known deployment failures, as a pass/warn/fail table
version_added: 0.1.0
description:
  - Reads the cluster (discovery, Nodes, a few named objects; about 15 GET requests) and returns one row per check
    with C(pass), C(warn) or C(fail), what was found, the fix, and the entry of the seed inventory's failure list
    the check detects.
  - "Checks: Gateway API CRDs, release channel (experimental is refused on GKE >= 1.35) and route versions;
    the GatewayClass of the stack (present, Accepted; regional on GKE); an existing Gateway when the pattern does
    not create one; the InferencePool API; the Istio version (sail C(Istio) resource or the C(istiod) image tag)
    against the InferencePool API it can route to, and istiod's Inference Extension switch; KServe CRDs and presets,
    HTTPRoute timeouts in KServe's route preset on GKE; cert-manager CRDs and the CA issuer; the LeaderWorkerSet CRD;
    untainted nodes for system pods; accelerator nodes with the profile's labels, taints and allocatable chips;
    the namespace, its Istio sidecar-injection label and the Hugging Face token Secret."
  - GKE-only checks (regional class, the experimental-channel admission policy) run only when the platform is GKE
    (detected from the nodes' GKE labels or the server version, or set with O(platform)).
  - Rows from other checks with the same shape (for example the GCP rows of M(llmd.xks.gke_preflight_info)) can be
    passed in O(extra_checks); they are validated and appear in the table after the cluster rows.
  - It never changes the cluster and never returns Secret values (only key names are read).
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  stack:
    description: Technology stack to check for.
    type: str
    choices: [istio_kserve, gateway_api_llmd, kserve_gke_gateway]
    default: istio_kserve
  pattern:
    description: Pattern number; pattern 4 needs LeaderWorkerSet.
    type: int
    default: 1
  accelerator:
    description: Accelerator profile, a key of O(accelerators).
    type: str
    required: true
  accelerators:
    description: The accelerator profiles (C(llmd_xks_accelerators) from C(playbooks/vars/accelerators.yml)).
    type: dict
    required: true
  gateway_class:
    description: GatewayClass the stack uses. Empty means C(istio) for C(istio_kserve), else C(gke-l7-regional-external-managed).
    type: str
    default: ""
  gateway:
    description:
      - The pattern's gateway C({name, namespace, class_name, create}) (C(llmd_xks_gateway)). When C(create) is false,
        the Gateway must exist. C(class_name) is used when O(gateway_class) is empty.
    type: dict
    default: {}
  namespace:
    description: Namespace of the model servers.
    type: str
    default: llm-d
  hf_token_secret:
    description: Name of the Secret holding the Hugging Face token (key C(HF_TOKEN) or C(token)). Empty skips the check.
    type: str
    default: hf-token
  hf_token_provided:
    description: Whether a token is set (C(llmd_xks_hf_token)); then a missing Secret is created by the pattern role.
    type: bool
    default: false
  cert_manager_issuer:
    description: ClusterIssuer KServe's certificates come from. Empty checks the CRDs only.
    type: str
    default: opendatahub-ca-issuer
  platform:
    description: C(auto) detects GKE and OpenShift; GKE-only checks run on C(gke) only.
    type: str
    choices: [auto, gke, openshift, kubernetes]
    default: auto
  extra_checks:
    description: Rows C({id, check, status, detail, fix, failure}) from other checks, appended to the table.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.INFO_ATTRIBUTES
"""

EXAMPLES = r"""
- name: Preflight for pattern 1 on the Istio/KServe stack with TPU v6e
  llmd.xks.preflight_checks:
    stack: istio_kserve
    accelerator: tpu-v6e-4t
    accelerators: "{{ llmd_xks_accelerators }}"
    namespace: llm-d
  register: preflight

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ preflight.table }}"

- name: Stop on a failed check
  ansible.builtin.fail:
    msg: "{{ preflight.failed_checks | map(attribute='id') | join(', ') }} failed"
  when: preflight.summary.fail > 0
"""

RETURN = r"""
checks:
  description: One row per check, cluster rows first, then O(extra_checks).
  returned: success
  type: list
  elements: dict
  sample:
    - id: gatewayclass
      check: GatewayClass istio
      status: pass
      detail: Accepted (controller istio.io/gateway-controller)
      fix: ""
      failure: seed §6.11
failed_checks:
  description: The rows whose status is C(fail).
  returned: success
  type: list
  elements: dict
summary:
  description: Number of rows per status.
  returned: success
  type: dict
  sample: {pass: 14, warn: 1, fail: 0}
table:
  description: The rows as aligned text lines (status, id, check, detail, seed reference), then the fixes.
  returned: success
  type: list
  elements: str
platform:
  description: The platform the checks assumed (C(gke), C(openshift) or C(kubernetes)).
  returned: success
  type: str
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
"""

from ansible_collections.llmd.xks.plugins.module_utils import _preflight as preflight
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._module import (
    connect,
    connection_argument_spec,
    fail_on_invalid,
    new_module,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        stack=dict(type="str", default="istio_kserve", choices=list(preflight.STACKS)),
        pattern=dict(type="int", default=1),
        accelerator=dict(type="str", required=True),
        accelerators=dict(type="dict", required=True),
        gateway_class=dict(type="str", default=""),
        gateway=dict(type="dict", default={}),
        namespace=dict(type="str", default="llm-d"),
        hf_token_secret=dict(type="str", default="hf-token", no_log=False),
        hf_token_provided=dict(type="bool", default=False),
        cert_manager_issuer=dict(type="str", default="opendatahub-ca-issuer"),
        platform=dict(type="str", default="auto", choices=list(preflight.PLATFORMS)),
        extra_checks=dict(type="list", elements="dict", default=[]),
    )
    return spec


def main():
    module = new_module(argument_spec())
    inputs = dict(module.params)
    inputs["gateway_class"] = (inputs["gateway_class"] or (inputs["gateway"] or {}).get("class_name")
                               or preflight.DEFAULT_CLASS[inputs["stack"]])
    fail_on_invalid(module, preflight.validate_inputs(inputs) + preflight.validate_rows(inputs["extra_checks"]))
    client = connect(module)
    try:
        snapshot = preflight.gather(client, inputs)
    except UnreachableError as exc:
        module.fail_json(msg=str(exc), api_requests=client.requests)
    except ApiError as exc:
        module.fail_json(msg="Kubernetes API error: %s" % exc, api_requests=client.requests)
    rows = preflight.evaluate(snapshot, inputs)
    for row in inputs["extra_checks"]:
        rows.append(dict(dict(fix="", failure=""), **row))
    module.exit_json(changed=False, checks=rows, failed_checks=[r for r in rows if r["status"] == "fail"],
                     summary=preflight.summarize(rows), table=preflight.table(rows),
                     platform=preflight.detect_platform(snapshot, inputs["platform"]), api_requests=client.requests)


if __name__ == "__main__":
    main()
