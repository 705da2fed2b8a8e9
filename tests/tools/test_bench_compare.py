# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""tools/bench_compare.py: the table's arithmetic, and one short real run of our generator against the simulator."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import bench_compare  # noqa: E402

ARGS = argparse.Namespace(ttft_ms=50.0, itl_ms=25.0)


def test_table_shows_errors_against_the_truth_and_against_what_was_served():
    rows = [
        dict(tool="ours", streams=500, ttft_p50=50.2, ttft_p99=61.0, tpot_p50=25.1, completed=10, note="",
             sim={"peak_events_per_s": 20500, "lateness_ms": {"p99": 1.25},
                  "first_token_ms": {"count": 10, "p50": 50.1, "p99": 60.0}}),
        dict(tool="other", streams=50, ttft_p50=52.0, ttft_p99=70.0, tpot_p50=24.0, completed=3, note="n",
             sim=None),
        dict(tool="broken", streams=50, error="pip install failed"),
    ]
    lines = bench_compare.table(rows, ARGS).splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert len(cells[0]) == 11 and all(len(c) == 11 for c in cells[2:])
    assert cells[2] == ["ours", "500", "+0.2", "+11.0", "+0.1", "20500", "10", "50.1 / 60.0", "+0.1 / +1.0", "1.2", ""]
    assert cells[3][2:9] == ["+2.0", "+20.0", "-1.0", "-", "3", "-", "-"]  # no simulator stats (llm-d's simulator)
    assert cells[4][0] == "broken" and cells[4][-1] == "pip install failed"


def test_a_short_run_of_our_generator_is_compared_with_what_the_simulator_served(tmp_path):
    out = tmp_path / "compare.json"
    assert bench_compare.main(["--tools", "ours", "--streams", "4", "--duration", "1.5", "--warmup", "0.5",
                               "--ttft-ms", "20", "--itl-ms", "5", "--output-tokens", "8", "--no-ceiling", "--nice",
                               "0", "--json", str(out)]) == 0
    row = json.loads(out.read_text())["rows"][0]
    assert "error" not in row, row
    served = row["sim"]["first_token_ms"]
    # the simulator reports only the requests of the measured window (after the warm-up), each at least its TTFT
    assert 0 < row["completed"] <= served["count"] < row["completed"] + 2 * 4 and served["p50"] >= 20.0
    assert abs(row["ttft_p50"] - served["p50"]) < 5.0 and abs(row["tpot_p50"] - 5.0) < 1.0
