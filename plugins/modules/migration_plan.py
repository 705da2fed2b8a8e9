#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: migration_plan
short_description: Decide how a deployed pattern moves to another stack or pattern without downtime
version_added: 0.2.0
description:
  - Pure planning, no cluster access. From the renderings of the source and the target (results of
    M(llmd.xks.pattern_plan)) and what M(llmd.xks.stack_info) found in the namespace, returns what the
    migration role deploys, how it shifts traffic, what it removes afterwards and what a rollback removes.
  - Objects the source and the target share (same kind and name, for example the LLMInferenceService when moving
    between the two KServe stacks or between patterns on one KServe stack) are updated in place; while they change,
    KServe routes stay attached to the source gateway as well as the target one (option C(extra_gateways) of
    M(llmd.xks.pattern_plan)).
  - Traffic shift C(weights) is used when both sides have their own HTTPRoute (llm-d stack) on one gateway; otherwise
    C(switch) (both serve side by side, then the source goes).
  - Fails, before anything is applied, when neither the source nor the target is deployed.
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  source:
    description: The M(llmd.xks.pattern_plan) result for the source (keys C(services), C(manifests), C(summary)).
    type: dict
    required: true
  target:
    description: The M(llmd.xks.pattern_plan) result for the target.
    type: dict
    required: true
  deployed:
    description: The C(deployments) returned by M(llmd.xks.stack_info) for the namespace.
    type: list
    elements: dict
    required: true
  weight_steps:
    description: Percentages of traffic sent to the target, one step after another, for the C(weights) shift.
    type: list
    elements: int
    default: [50, 100]
  keep_paths:
    description:
      - When moving from a KServe stack to the llm-d stack, add routes on the target that keep KServe's URL shape
        (C(/<namespace>/<name>/v1/...)) working, so clients need not change at once.
    type: bool
    default: true
attributes:
  check_mode:
    description: Runs the same in check mode (it changes nothing).
    support: full
  diff_mode:
    description: Returns no diff.
    support: N/A
"""

EXAMPLES = r"""
- name: Plan the move from Istio/KServe to llm-d
  llmd.xks.migration_plan:
    source: "{{ source_plan }}"
    target: "{{ target_plan }}"
    deployed: "{{ found.deployments }}"
  register: migration
"""

RETURN = r"""
noop:
  description: Source and target are the same; nothing to do.
  returned: always
  type: bool
done:
  description: The source is gone and the target exists (an earlier run got as far as removing the source).
  returned: always
  type: bool
shift:
  description: C(weights) or C(switch).
  returned: always
  type: str
weighted_routes:
  description: The source HTTPRoute with weighted backendRefs, one per step of O(weight_steps).
  returned: always
  type: list
  elements: dict
extra_gateways:
  description: Gateways the target's KServe routes also attach to until the source is removed.
  returned: always
  type: list
  elements: dict
in_place_services:
  description: Names of LLMInferenceServices the target updates in place (snapshotted for a rollback).
  returned: always
  type: list
  elements: str
in_place_manifests:
  description: Objects of the source set the target updates in place.
  returned: always
  type: list
  elements: dict
remove_services:
  description: Arguments of the source's LLMInferenceServices the target does not keep.
  returned: always
  type: list
  elements: dict
remove_manifests:
  description: Objects of the source the target does not keep.
  returned: always
  type: list
  elements: dict
rollback_services:
  description: The target's LLMInferenceServices that a rollback deletes.
  returned: always
  type: list
  elements: dict
rollback_manifests:
  description: The target's objects that a rollback deletes.
  returned: always
  type: list
  elements: dict
remove_helmfile:
  description:
    - The source's llm-d chart releases the target does not keep, as a helmfile for M(llmd.xks.helmfile)
      (C(definition), C(skip_deps)); null when there are none.
  returned: always
  type: dict
rollback_helmfile:
  description: The target's llm-d chart releases that a rollback uninstalls (like RV(remove_helmfile)); null when there are none.
  returned: always
  type: dict
compat_routes:
  description: HTTPRoutes keeping KServe's URL shape on the llm-d target.
  returned: always
  type: list
  elements: dict
source_set:
  description: Name of the source's apply set.
  returned: always
  type: str
target_set:
  description: Name of the target's apply set.
  returned: always
  type: str
compat_set:
  description: Name of the apply set holding O(keep_paths) routes.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._migration import MigrationError, plan_migration


def main():
    module = AnsibleModule(argument_spec=dict(
        source=dict(type="dict", required=True),
        target=dict(type="dict", required=True),
        deployed=dict(type="list", elements="dict", required=True),
        weight_steps=dict(type="list", elements="int", default=[50, 100]),
        keep_paths=dict(type="bool", default=True),
    ), supports_check_mode=True)
    params = module.params
    for side in ("source", "target"):
        if not isinstance(params[side].get("summary"), dict) or "set_name" not in params[side]["summary"]:
            module.fail_json(msg="%s: not a pattern_plan result (no summary.set_name). Register the result of "
                             "llmd.xks.pattern_plan and pass it" % side)
    bad = [w for w in params["weight_steps"] if not 0 < w <= 100]
    if bad:
        module.fail_json(msg="weight_steps: %s outside 1..100. Give percentages of traffic for the target, e.g. [10, 50, 100]" % bad)
    try:
        result = plan_migration(params["source"], params["target"], params["deployed"], params["weight_steps"],
                                params["keep_paths"])
    except MigrationError as exc:
        module.fail_json(msg="Nothing was changed: %s" % exc)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
