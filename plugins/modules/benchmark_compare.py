#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: benchmark_compare
short_description: Put two or more benchmark reports side by side
version_added: 0.2.0
description:
  - Reads reports written by M(llmd.xks.benchmark) and compares them load level by load level (matched by position)
    against the first one (the baseline) - for example pattern 1 against pattern 3 with the same workload.
  - Returns the comparison (value, delta and delta in percent per metric and report) and, with O(dest_dir), writes it
    as C(<name>-compare.json) and a self-contained C(<name>-compare.html) page with tables and charts.
author:
  - llmd.xks maintainers (@llmd-xks)
attributes:
  check_mode:
    support: full
    description: Reads and compares the reports but writes nothing.
  diff_mode:
    support: none
    description: Writes report files only.
options:
  reports:
    description: Paths of the JSON reports; the first is the baseline. At least two.
    type: list
    elements: path
    required: true
  dest_dir:
    description: Directory for the comparison files (created when missing). Without it nothing is written.
    type: path
  name:
    description: Base name of the comparison files; default the last report's name.
    type: str
notes:
  - Reports of another C(schema_version) are refused with a message naming the file.
seealso:
  - module: llmd.xks.benchmark
"""

EXAMPLES = r"""
- name: Pattern 1 against pattern 3
  llmd.xks.benchmark_compare:
    reports:
      - reports/pattern1.json
      - reports/pattern3.json
    dest_dir: reports
    name: pattern1-vs-pattern3
  register: cmp
"""

RETURN = r"""
compare:
  description: C(baseline), C(reports) (name, endpoint, workload, profile, failures) and C(stages) - per stage and
    metric a list with, per report, C(value), C(delta), C(delta_percent) and C(better).
  returned: always
  type: dict
compare_json:
  description: Path of the written comparison.
  returned: when dest_dir is set and not check mode
  type: str
compare_html:
  description: Path of the written page.
  returned: when dest_dir is set and not check mode
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils import _bench_report as report


def main():
    module = AnsibleModule(argument_spec=dict(
        reports=dict(type="list", elements="path", required=True),
        dest_dir=dict(type="path"),
        name=dict(type="str"),
    ), supports_check_mode=True)
    paths = module.params["reports"]
    errors = []
    if len(paths) < 2:
        errors.append("reports: give at least two report files (the first is the baseline)")
    loaded = []
    for i, path in enumerate(paths):
        if not os.path.isfile(path):
            errors.append("reports[%d]: %s does not exist" % (i, path))
            continue
        try:
            loaded.append(report.load_report(path))
        except ValueError as exc:
            errors.append("reports[%d]: %s" % (i, exc))
    dest = module.params["dest_dir"]
    if dest and os.path.exists(dest) and not os.path.isdir(dest):
        errors.append("dest_dir: %s exists and is not a directory" % dest)
    if errors:
        module.fail_json(msg="Invalid arguments: " + "; ".join(errors), errors=errors)
    delta = report.compare(loaded)
    result = dict(changed=False, compare=delta)
    if dest and not module.check_mode:
        if not os.path.isdir(dest):
            os.makedirs(dest)
        delta, written = report.write_compare(loaded, dest, module.params["name"] or loaded[-1]["name"])
        result.update(changed=True, compare_json=written["json"], compare_html=written["html"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
