#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: apply_set
short_description: Server-side apply a whole set of manifests in one task, with optional pruning
version_added: 0.1.0
description:
  - Applies many Kubernetes objects in one task, so a role needs one task per set instead of one per object, and
    pays the process start-up and connection cost once.
  - Before the first write, every kind is resolved (a missing CRD fails the task, naming what to install) and every
    object that would change is validated with a server-side dry run. A rejected object therefore leaves nothing
    half-applied.
  - Objects are applied in dependency order (Namespaces, CRDs, RBAC, configuration, Services, workloads, then custom
    resources). A CRD in the set is waited for until C(Established) before its custom resources are applied.
  - Each object costs one read, plus one server-side apply (field manager C(llmd.xks)) only when it differs.
  - With O(prune=true), objects that carry the label C(llmd.xks/apply-set=<set_name>), are of a kind in the set,
    live in one of the set's namespaces and are no longer in the set are deleted.
  - Secret values are masked in the results and the diff.
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - llmd.xks._common
  - llmd.xks._common.ATTRIBUTES
options:
  definitions:
    description:
      - The objects, as a list of mappings, a list of YAML strings, or one multi-document YAML string.
        C(*List) kinds are flattened.
    type: raw
  src:
    description:
      - A YAML file, or a directory whose C(*.yaml), C(*.yml) and C(*.json) files are read in name order.
    type: path
  namespace:
    description:
      - Namespace for namespaced objects that do not name one.
    type: str
  state:
    description:
      - V(present) applies the set; V(absent) deletes its objects in reverse order.
    type: str
    default: present
    choices: [present, absent]
  set_name:
    description:
      - Name of the set, stamped on every object as the label C(llmd.xks/apply-set). Required with O(prune=true).
    type: str
  prune:
    description:
      - Delete objects of the set that are no longer in O(definitions) / O(src).
    type: bool
    default: false
  atomic:
    description:
      - Validate every changed object with a server-side dry run before the first real write.
    type: bool
    default: true
  force_conflicts:
    description:
      - Take ownership of fields that another field manager owns.
    type: bool
    default: false
  wait:
    description:
      - Wait until every applied object is ready (Deployments available, LLMInferenceServices and Gateways ready,
        HTTPRoutes and InferencePools accepted; other kinds only need to exist).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait in total.
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Apply the EPP of one model as one set, pruning what is no longer rendered
  llmd.xks.apply_set:
    namespace: llm
    set_name: qwen-epp
    prune: true
    definitions: "{{ lookup('ansible.builtin.template', 'epp.yaml.j2') }}"
    wait: true

- name: Apply a directory of manifests
  llmd.xks.apply_set:
    src: "{{ role_path }}/files/crds"

- name: Delete the set
  llmd.xks.apply_set:
    namespace: llm
    state: absent
    definitions: "{{ lookup('ansible.builtin.template', 'epp.yaml.j2') }}"
"""

RETURN = r"""
changed:
  description: Whether any object was (or in check mode would be) created, updated, deleted or pruned.
  returned: always
  type: bool
results:
  description: One entry per object, with C(key), C(kind), C(name), C(namespace), C(action) (V(created),
    V(updated), V(unchanged), V(deleted), V(absent) or V(pruned)) and C(changed); C(diff) in diff mode.
  returned: success
  type: list
  elements: dict
counts:
  description: Number of objects per action.
  returned: success
  type: dict
  sample: {created: 3, unchanged: 5}
api_requests:
  description: Number of API requests this task made.
  returned: always
  type: int
diff:
  description: Before and after of the changed objects, limited to the fields this module sets.
  returned: when diff mode is on and something changed
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._apply import ApplyError
from ansible_collections.llmd.xks.plugins.module_utils._apply_set import (
    ApplySet,
    SetError,
    check_definitions,
    load_definitions,
    public_results,
)
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, UnreachableError
from ansible_collections.llmd.xks.plugins.module_utils._module import connect, connection_argument_spec
from ansible_collections.llmd.xks.plugins.module_utils._kubernetes_core import missing_dependency_message
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError
from ansible_collections.llmd.xks.plugins.module_utils._wait import WaitTimeout


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        definitions=dict(type="raw"),
        src=dict(type="path"),
        namespace=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        set_name=dict(type="str"),
        prune=dict(type="bool", default=False),
        atomic=dict(type="bool", default=True),
        force_conflicts=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[("definitions", "src")], required_if=[("prune", True, ("set_name",))])
    msg, exc = missing_dependency_message()
    if msg:
        module.fail_json(msg=msg, exception=exc)
    params = module.params
    try:
        objects = load_definitions(params["definitions"], params["src"])
    except (SetError, ValueError, OSError) as err:
        module.fail_json(msg="Cannot read the definitions: %s" % err)
    errors = check_definitions(objects)
    if errors:
        module.fail_json(msg="Invalid arguments, nothing was sent to the cluster: " + "; ".join(errors), errors=errors)
    client = connect(module)
    applier = ApplySet(client, objects, params["namespace"], params["set_name"], module.check_mode, params["force_conflicts"])
    try:
        if params["state"] == "absent":
            applier.absent()
        else:
            applier.present(atomic=params["atomic"])
            if params["prune"]:
                applier.prune()
            if params["wait"] and not module.check_mode:
                applier.wait(params["wait_timeout"])
    except (SetError, MissingCRDError, ApplyError, UnreachableError, WaitTimeout) as err:
        module.fail_json(msg=str(err), results=public_results(applier.results), api_requests=client.requests)
    except ApiError as err:
        module.fail_json(msg="Kubernetes API error: %s" % err, results=public_results(applier.results), api_requests=client.requests)
    for warning in applier.warnings:
        module.warn(warning)
    results = public_results(applier.results)
    counts = {}
    for result in results:
        counts[result["action"]] = counts.get(result["action"], 0) + 1
    output = dict(changed=any(r["changed"] for r in results), results=results, counts=counts, api_requests=client.requests)
    if module._diff:
        output["diff"] = [dict(r["diff"], before_header=r["key"], after_header=r["key"]) for r in results if r.get("diff")]
    for result in output["results"]:
        result.pop("diff", None) if not module._diff else None
    module.exit_json(**output)


if __name__ == "__main__":
    main()
