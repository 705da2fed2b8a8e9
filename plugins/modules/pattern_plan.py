#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pattern_plan
short_description: Check a pattern's inputs and render what it deploys on a stack, per accelerator
version_added: 0.1.0
description:
  - Validates a deployment pattern (1 baseline, 2 multi-model, 3 N/S caching, 4 MoE multi-node) for a stack
    (V(istio_kserve), V(gateway_api_llmd), V(kserve_gke_gateway)) and an accelerator profile, without touching the
    cluster. Facts about the cluster (served APIs, Istio version, whether the gateway namespace, the Gateway and the
    token Secret exist, the LLMInferenceServices already there) come in through O(capabilities), O(hf_secret_exists).
  - The inputs are checked whole first (names and label values anchored, no control characters, every derived name
    and label value within 63 characters, the served name, a custom profile's node labels and taints), then against
    the cluster's facts; the role applies nothing unless both pass.
  - Every problem is reported at once, each naming the playbook variable and the fix, for example a tensor-parallel
    size that does not use every TPU chip of the host, a model whose weights do not fit, pattern 4 without the
    LeaderWorkerSet CRD, or an Istio version that cannot route to the served InferencePool API.
  - Returns the arguments for M(llmd.xks.llm_inference_service) (KServe stacks) and the manifests for
    M(llmd.xks.apply_set) (everything else), plus a summary.
  - For V(gateway_api_llmd) it returns a helmfile of the real llm-d charts (C(llm-d-modelservice), the Inference
    Extension's C(inferencepool) and C(body-based-routing), C(llm-d-infra) for a Gateway it creates) for
    M(llmd.xks.helmfile), with values that start from the llm-d guides' own; the manifests are then only the
    HTTPRoute and the body-based-routing allowlists. No secret is put into the values.
  - This is the engine of the C(llmd.xks.pattern) role.
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  stack:
    description:
      - The technology stack, V(istio_kserve), V(gateway_api_llmd) or V(kserve_gke_gateway). Another value fails with
        a message naming C(llmd_xks_stack).
    type: str
    required: true
  pattern:
    description: The pattern number, 1 to 4 (another value fails with a message naming C(llmd_xks_pattern)).
    type: int
    required: true
  state:
    description:
      - V(absent) renders for removal; LLMInferenceServices another release owns under the same name (see
        RV(summary)) are left out with a warning, and no owner is refused.
    type: str
    default: present
    choices: [present, absent]
  adopt_releases:
    description:
      - Releases whose LLMInferenceServices of the same name this release may take over (the migration role passes
        the source's release). Any other owner fails the plan.
    type: list
    elements: str
    default: []
  namespace:
    description: Namespace of the workloads.
    type: str
    required: true
  release:
    description: Prefix of the generated names; defaults to C(pattern<N>).
    type: str
  accelerator:
    description: Name of the accelerator profile in O(accelerators).
    type: str
    required: true
  accelerators:
    description: The accelerator profiles (C(playbooks/vars/accelerators.yml)).
    type: dict
    required: true
  models:
    description:
      - The models. Each has C(name) (DNS label), C(id) (Hugging Face id), and optionally C(uri), C(served_name),
        C(tensor_parallel), C(max_model_len), C(gpu_memory_utilization), C(params_billion), C(image), C(extra_args).
    type: list
    elements: dict
    required: true
  replicas:
    description: Model-server replicas per model (default 3 for pattern 3, else 1).
    type: int
  gateway:
    description: The Gateway the routes attach to (C(name), C(namespace)).
    type: dict
    default: {}
  scheduler:
    description:
      - Endpoint-picker scorer weights (C(prefix_cache_weight), C(queue_weight), C(kv_cache_weight)) and the cache
        C(block_size) shared by vLLM and the prefix-cache scorer; on V(gateway_api_llmd), C(prefix_cache) chooses pattern
        3's scheduling, V(approximate) (the endpoint picker's own prefix index, the default) or V(precise) (vLLM's
        KV-cache events, as llm-d's precise-prefix-cache-aware guide).
    type: dict
    default: {}
  moe:
    description: Pattern 4 layout (C(nodes), C(data_local), C(data_parallel), C(tensor_parallel)).
    type: dict
    default: {}
  images:
    description:
      - Container images by accelerator kind (C(tpu), C(gpu), C(cpu)) and C(epp), the endpoint picker of V(gateway_api_llmd)
        (default the inferencepool chart's own, llm-d's scheduler for precise prefix-cache scheduling).
    type: dict
    default: {}
  hf_token_secret:
    description: Name of the Secret with the Hugging Face token (keys C(token) and C(HF_TOKEN)).
    type: str
    default: hf-token
  hf_token_provided:
    description: Whether the play has a token to create that Secret with.
    type: bool
    default: false
  hf_secret_exists:
    description: Whether that Secret already exists.
    type: bool
    default: false
  network_policies:
    description: Render NetworkPolicies that admit the gateway to the model servers and the EPP (Istio stack).
    type: bool
    default: true
  capabilities:
    description:
      - Facts about the cluster, C(api_versions) (served group/versions, for example from
        M(llmd.xks.cluster_capabilities)) and C(istio_version). Without C(api_versions) those checks are skipped.
      - C(gateway_namespace_exists) and C(gateway_exists) (booleans; a missing gateway namespace other than
        O(namespace) fails the plan), and C(llm_inference_services), the LLMInferenceServices already in O(namespace)
        (C(name), C(release), C(pattern), C(stack), as M(llmd.xks.cluster_capabilities) returns them); one with a
        planned name that belongs to another release fails the plan, since both would share and remove the same objects.
    type: dict
    default: {}
  extra_gateways:
    description:
      - More Gateways (C(name), C(namespace)) the KServe routes attach to besides O(gateway), so that two gateways
        serve during a migration between the KServe stacks (M(llmd.xks.migration_plan)).
    type: list
    elements: dict
    default: []
  charts_dir:
    description:
      - V(gateway_api_llmd) only. A local folder with one C(<chart>-<version>) folder per chart (C(llm-d-modelservice-v0.4.12),
        C(inferencepool-v1.5.0), C(body-based-routing-v1.5.0), C(llm-d-infra-v1.4.0)), used instead of the upstream chart
        repositories and OCI registries.
    type: path
  charts:
    description:
      - V(gateway_api_llmd) only. Per-chart overrides of the pinned table (keys C(modelservice), C(inferencepool),
        C(body_based_routing), C(infra); each may set C(version), C(repository), C(oci)).
    type: dict
    default: {}
  chart_values:
    description:
      - V(gateway_api_llmd) only. Extra values per chart (same keys as O(charts)), merged recursively over the rendered
        values. Never put a secret here; reference Secrets by name.
    type: dict
    default: {}
  live_gateway:
    description:
      - V(gateway_api_llmd) only. The Gateway of O(gateway) as the cluster has it (empty when it does not exist). With
        O(gateway) C(create), a Gateway that exists and is not managed by the C(<name>-infra) helm release (annotation
        C(meta.helm.sh/release-name)) is used as it is instead of being created.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Runs the same in check mode (it changes nothing).
    support: full
  diff_mode:
    description: Returns no diff.
    support: N/A
"""

EXAMPLES = r"""
- name: Plan pattern 3 on the Istio/KServe stack for TPU v6e
  llmd.xks.pattern_plan:
    stack: istio_kserve
    pattern: 3
    namespace: llm
    accelerator: tpu-v6e-4t
    accelerators: "{{ llmd_xks_accelerators }}"
    models:
      - {name: qwen, id: Qwen/Qwen2.5-3B-Instruct}
    hf_secret_exists: true
  register: plan
"""

RETURN = r"""
services:
  description: Arguments for M(llmd.xks.llm_inference_service), one per model (KServe stacks).
  returned: success
  type: list
  elements: dict
manifests:
  description: Objects for M(llmd.xks.apply_set).
  returned: success
  type: list
  elements: dict
summary:
  description: Stack, pattern, models, pools, routes, gateway, the expected pods and the node labels they must land on.
  returned: success
  type: dict
helmfile:
  description:
    - V(gateway_api_llmd). C(definition), the content of a helmfile (C(repositories), C(releases) with inline values)
      for the O(llmd.xks.helmfile#module:definition) option of M(llmd.xks.helmfile), and C(skip_deps) (true when every
      chart is local). Null on the KServe stacks.
  returned: success
  type: dict
gateway_helmfile:
  description: Like RV(helmfile), with the C(llm-d-infra) release that creates the Gateway (O(gateway) C(create)); null otherwise.
  returned: success
  type: dict
errors:
  description: Every problem found, each naming the variable and the fix.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan


def main():
    module = AnsibleModule(argument_spec=dict(
        stack=dict(type="str", required=True),
        pattern=dict(type="int", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        adopt_releases=dict(type="list", elements="str", default=[]),
        namespace=dict(type="str", required=True),
        release=dict(type="str"),
        accelerator=dict(type="str", required=True),
        accelerators=dict(type="dict", required=True),
        models=dict(type="list", elements="dict", required=True),
        replicas=dict(type="int"),
        gateway=dict(type="dict", default={}),
        scheduler=dict(type="dict", default={}),
        moe=dict(type="dict", default={}),
        images=dict(type="dict", default={}),
        hf_token_secret=dict(type="str", default="hf-token", no_log=False),
        hf_token_provided=dict(type="bool", default=False),
        hf_secret_exists=dict(type="bool", default=False),
        network_policies=dict(type="bool", default=True),
        capabilities=dict(type="dict", default={}),
        extra_gateways=dict(type="list", elements="dict", default=[]),
        charts_dir=dict(type="path"),
        charts=dict(type="dict", default={}),
        chart_values=dict(type="dict", default={}),
        live_gateway=dict(type="dict", default={}),
    ), supports_check_mode=True)
    result = plan(module.params)
    for warning in result.warnings:
        module.warn(warning)
    if result.errors:
        module.fail_json(msg="The pattern cannot be deployed as configured; nothing was applied: " + "; ".join(result.errors),
                         errors=result.errors)
    module.exit_json(changed=False, services=result.services, manifests=result.manifests, summary=result.summary,
                     helmfile=result.helmfile, gateway_helmfile=result.gateway_helmfile)


if __name__ == "__main__":
    main()
