#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: llm_inference_service
short_description: Manage a KServe LLMInferenceService
version_added: 0.1.0
description:
  - Server-side applies a KServe C(LLMInferenceService) (C(serving.kserve.io) V(v1alpha2), or V(v1alpha1) on older
    KServe) built from typed options, and optionally waits until KServe reports it C(Ready).
  - Readiness means C(status.observedGeneration) equals the current generation and the C(Ready) condition is
    true. A false C(PresetsCombined) (missing LLMInferenceServiceConfig) or a stopped service fails at once.
  - Every option is checked before the first API call; a bad value fails with the option name and the fix.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.RESOURCE
  - llmd.xks._common.ATTRIBUTES
options:
  model:
    description:
      - The model to serve. O(model.uri) is required with O(state=present).
    type: dict
    suboptions:
      uri:
        description:
          - Where the weights live, for example V(hf://Qwen/Qwen3-0.6B), V(s3://bucket/path), V(pvc://claim/path).
          - A Hugging Face URI must name the organisation and the model.
        type: str
      name:
        description:
          - The model name clients send in requests. KServe defaults it to the object name.
        type: str
  replicas:
    description:
      - Replicas of the main (decode) workload.
    type: int
  parallelism:
    description:
      - vLLM parallelism. Multi-node (O(worker)) needs O(parallelism.data) with O(parallelism.data_local),
        or O(parallelism.pipeline).
    type: dict
    suboptions:
      tensor:
        description: Tensor parallel size; must fit the accelerators of one pod (O(accelerator.count)).
        type: int
      pipeline:
        description: Pipeline parallel size.
        type: int
      data:
        description: Data parallel size across the whole multi-node group.
        type: int
      data_local:
        description: Data parallel ranks per pod.
        type: int
      data_rpc_port:
        description: Port for data-parallel RPC.
        type: int
      expert:
        description: Enable expert parallelism (Mixture of Experts).
        type: bool
  container:
    description:
      - Settings of the main vLLM container (named C(main), as in KServe's presets).
    type: dict
    suboptions:
      image:
        description: Container image.
        type: str
      args:
        description: Extra vLLM arguments.
        type: list
        elements: str
      env:
        description: Environment variables (name to value).
        type: dict
      resources:
        description: Kubernetes resource requests and limits, merged with O(accelerator).
        type: dict
  accelerator:
    description:
      - Puts the pods on accelerator nodes. Applied to the main template and to O(worker).
    type: dict
    suboptions:
      resource_name:
        description: Extended resource to request, for example V(google.com/tpu) or V(nvidia.com/gpu).
        type: str
      count:
        description: Accelerators per pod (requests equal limits). A TPU pod must request every chip of its host.
        type: int
      node_selector:
        description: Node labels, for example the GKE TPU accelerator and topology labels.
        type: dict
        default: {}
      tolerations:
        description: Tolerations for the accelerator taints.
        type: list
        elements: dict
        default: []
      env:
        description: Environment variables the accelerator needs, for example C(PJRT_DEVICE=TPU).
        type: dict
        default: {}
  template:
    description:
      - A Pod spec merged under the options above (those win).
    type: dict
  worker:
    description:
      - A Pod spec for the worker pods. Its presence makes the service multi-node (a LeaderWorkerSet).
    type: dict
  prefill:
    description:
      - A KServe workload spec for prefill pods (prefill/decode disaggregation).
    type: dict
  router:
    description:
      - Routing. Without it the service is reachable only through its workload Service.
    type: dict
    suboptions:
      route:
        description:
          - V({}) (or V(true)) lets KServe manage an HTTPRoute from its preset; a mapping is passed as
            C(router.route) as is.
        type: raw
      gateway_refs:
        description: Gateways for the managed route. Without them KServe uses its default gateway.
        type: list
        elements: dict
        suboptions:
          name:
            description: Gateway name.
            type: str
            required: true
          namespace:
            description: Gateway namespace.
            type: str
          section_name:
            description: Listener name.
            type: str
      scheduler:
        description:
          - The endpoint picker (EPP) and its InferencePool. V({}) uses KServe's preset.
        type: dict
        suboptions:
          config:
            description: An EndpointPickerConfig mapping (plugins and scheduling profiles).
            type: dict
          pool_ref:
            description: Use an existing InferencePool instead of a managed one (no managed EPP).
            type: str
          replicas:
            description: EPP replicas.
            type: int
          template:
            description: Pod spec for the EPP.
            type: dict
  base_refs:
    description:
      - LLMInferenceServiceConfig presets to merge, in order (last wins).
    type: list
    elements: str
    default: []
  extra_spec:
    description:
      - Other C(spec) fields (for example C(scaling) or C(tracing)), deep-merged last.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Serve Qwen3 on one TPU v6e host behind KServe's gateway
  llmd.xks.llm_inference_service:
    name: qwen
    namespace: llm
    model:
      uri: hf://Qwen/Qwen3-0.6B
    replicas: 1
    parallelism:
      tensor: 4
    container:
      image: vllm/vllm-tpu:v0.11.1
      args: [--max-model-len=4096]
    accelerator:
      resource_name: google.com/tpu
      count: 4
      node_selector:
        cloud.google.com/gke-tpu-accelerator: tpu-v6e-slice
        cloud.google.com/gke-tpu-topology: 2x2
      tolerations:
        - {key: google.com/tpu, operator: Exists, effect: NoSchedule}
      env:
        PJRT_DEVICE: TPU
    router:
      route: {}
      scheduler: {}
    wait: true
    wait_timeout: 1200
  register: qwen

- name: Show the endpoint
  ansible.builtin.debug:
    msg: "{{ qwen.url }}"

- name: Remove it
  llmd.xks.llm_inference_service:
    name: qwen
    namespace: llm
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the object was (or in check mode would be) created, updated or deleted.
  returned: always
  type: bool
action:
  description: What happened, one of V(created), V(updated), V(unchanged), V(deleted), V(absent).
  returned: success
  type: str
  sample: created
api_version:
  description: The API version used, as negotiated with the cluster.
  returned: success
  type: str
  sample: serving.kserve.io/v1alpha2
resource:
  description: The object as the API server returned it.
  returned: success
  type: dict
url:
  description: The service URL KServe reports (C(status.url)), if any.
  returned: state is present
  type: str
  sample: http://203.0.113.10/llm/qwen
addresses:
  description: All URLs KServe reports.
  returned: state is present
  type: list
  elements: str
ready:
  description: Whether the service is ready for its current generation.
  returned: state is present
  type: bool
conditions:
  description: The status conditions (type, status, reason, message).
  returned: state is present
  type: list
  elements: dict
children:
  description: Names of the objects KServe creates for this service.
  returned: state is present
  type: dict
  sample: {workload: qwen-kserve, workload_kind: Deployment, service: qwen-kserve-workload-svc,
           http_route: qwen-kserve-route, inference_pool: qwen-inference-pool,
           scheduler: qwen-kserve-router-scheduler, scheduler_service: qwen-epp-service}
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
diff:
  description: Before and after, limited to the fields this module sets. Only with C(--diff).
  returned: when diff mode is on and something changed
  type: dict
"""

from ansible_collections.llmd.xks.plugins.module_utils._llmisvc import run


def main():
    run()


if __name__ == "__main__":
    main()
