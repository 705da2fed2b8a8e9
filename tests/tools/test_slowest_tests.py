# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""tools/slowest_tests.py: the slowest tests of the last run, beside their budgets scaled by the slowdown."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tools import slowest_tests  # noqa: E402


def test_ranks_by_time_scales_budgets_and_flags_the_ones_over(tmp_path, capsys):
    path = tmp_path / "durations.json"
    path.write_text(json.dumps({"slowdown": 2.0, "tests": {
        "t::fast": {"seconds": 5.0, "budget": 90, "outcome": "passed"},
        "t::slow": {"seconds": 200.0, "budget": 90, "outcome": "passed"},
        "t::scaled": {"seconds": 150.0, "budget": 90, "outcome": "failed"}}}))
    assert slowest_tests.main(["--file", str(path), "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "x slowdown 2.00" in lines[0]
    assert lines[1].split()[-3:] == ["t::slow", "OVER", "BUDGET"] and "budget   180 s" in lines[1]
    assert lines[2].endswith("t::scaled") and "failed" in lines[2]
    assert lines[3] == "3 tests, 355 s of test time; 1 over budget"


def test_no_recorded_run_is_said(tmp_path, capsys):
    assert slowest_tests.main(["--file", str(tmp_path / "none.json")]) == 0
    assert "no integration durations recorded" in capsys.readouterr().out
