#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Print the slowest integration tests of the last run beside their budgets (from .cache/test-durations.json,
written by tests/integration/conftest.py). `make test` calls it after the gate table."""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", default=os.path.join(ROOT, ".cache", "test-durations.json"))
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if not os.path.exists(args.file):
        print("no integration durations recorded (%s)" % args.file)
        return 0
    with open(args.file) as handle:
        durations = json.load(handle)
    factor = float(os.environ.get("LLMD_XKS_TEST_SLOWDOWN") or durations.pop("_slowdown", {}).get("seconds", 1) or 1)
    durations.pop("_slowdown", None)
    ranked = sorted(durations.items(), key=lambda item: -item[1]["seconds"])
    print("\nthe %d slowest integration tests (budget x slowdown %.2f):" % (min(args.top, len(ranked)), factor))
    for nodeid, entry in ranked[:args.top]:
        budget = entry["budget"] * factor
        note = "  OVER BUDGET" if entry["seconds"] > budget else ""
        print("%8.1f s  budget %5.0f s  %-6s  %s%s" % (entry["seconds"], budget, entry["outcome"], nodeid, note))
    over = sum(1 for e in durations.values() if e["seconds"] > e["budget"] * factor)
    print("%d tests, %.0f s of test time; %d over budget" % (len(durations), sum(e["seconds"] for e in durations.values()), over))
    return 0


if __name__ == "__main__":
    sys.exit(main())
