#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The slowest integration tests of the last run beside their budgets, from .cache/test-durations.json
(``{"slowdown": f, "tests": {nodeid: {seconds, budget, outcome}}}``, written by tests/integration/conftest.py, which
prints the same lines at the end of the session). `make test` calls it after the gate table."""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DURATIONS = os.path.join(ROOT, ".cache", "test-durations.json")


def report_lines(tests, slowdown, top=10):
    """The ``top`` slowest tests (budget x slowdown, OVER BUDGET marked) and a total line."""
    ranked = sorted(tests.items(), key=lambda item: -item[1]["seconds"])
    lines = []
    for nodeid, entry in ranked[:top]:
        budget = entry["budget"] * slowdown
        note = "  OVER BUDGET" if entry["seconds"] > budget else ""
        lines.append("%8.1f s  budget %5.0f s  %-6s  %s%s" % (entry["seconds"], budget, entry["outcome"], nodeid, note))
    over = sum(1 for e in tests.values() if e["seconds"] > e["budget"] * slowdown)
    lines.append("%d tests, %.0f s of test time; %d over budget" % (len(tests), sum(e["seconds"] for e in tests.values()), over))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", default=DURATIONS)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if not os.path.exists(args.file):
        print("no integration durations recorded (%s)" % args.file)
        return 0
    with open(args.file) as handle:
        recorded = json.load(handle)
    tests = recorded["tests"]
    print("\nthe %d slowest integration tests (budget x slowdown %.2f):" % (min(args.top, len(tests)), recorded["slowdown"]))
    print("\n".join(report_lines(tests, recorded["slowdown"], args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
