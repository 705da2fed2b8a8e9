# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""tools/bench_compare.py: the truth server's statistics, the table's arithmetic, and short real runs of our
generator compared with the truth server's record and with what our simulator served."""
import argparse
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import bench_compare  # noqa: E402

ARGS = argparse.Namespace(ttft_ms=50.0, itl_ms=25.0)


def test_truth_stats_from_the_servers_record():
    # [id, arrival, tokens, end, send times...]: two requests over 1 s, the second one served 10 ms late
    records = [["truth-1", 10.0, 3, 10.2, 10.05, 10.075, 10.2],
               ["truth-2", 10.5, 3, 11.0, 10.56, 10.585, 10.61],
               ["truth-3", 10.9, 3, None, 10.95]]  # not finished: in flight until the end, not counted
    st = bench_compare.truth_stats(records, ttft_ms=50.0)
    assert st["count"] == 2 and st["seconds"] == pytest.approx(1.0) and st["rate"] == pytest.approx(2.0)
    assert st["by_id"]["truth-1"][:2] == pytest.approx((50.0, 75.0)) and st["by_id"]["truth-2"][:2] == pytest.approx((60.0, 25.0))
    assert st["ttft_p50"] == pytest.approx(55.0) and st["tpot_p50"] == pytest.approx(50.0)
    assert st["in_flight"] == pytest.approx((0.2 + 0.5 + 0.1) / 1.0)
    assert st["late_p99"] == pytest.approx(9.9) and st["tokens_mean"] == 3


def test_table_errors_are_against_the_servers_record_and_per_request():
    truth = dict(ttft_p50=50.5, ttft_p99=60.0, tpot_p50=25.0, in_flight=480.4, rate=290.2, late_p99=1.25,
                 by_id={"truth-1": (50.0, 25.0, [1.0, 1.025, 1.05]), "truth-2": (51.0, 25.5, [2.0, 2.031, 2.051])})
    rows = [
        dict(tool="ours", load="500 streams", ttft_p50=50.7, ttft_p99=61.0, tpot_p50=24.9, completed=10, note="ok",
             sim=truth, per_request=[("truth-1", 50.5, 24.9, 0), ("truth-2", 51.1, 20.1, 1), ("other", 1.0, 1.0, 0)]),
        dict(tool="sim", load="50 streams", ttft_p50=52.0, ttft_p99=70.0, tpot_p50=24.0, completed=3, note="",
             sim={"lateness_ms": {"p99": 0.5}, "first_token_ms": {"count": 3, "p50": 51.0, "p99": 60.0}}),
        dict(tool="llm-d", load="30 req/s", ttft_p50=52.0, ttft_p99=70.0, tpot_p50=24.0, completed=3, note="", sim=None),
        dict(tool="broken", load="50 streams", error="pip install failed"),
    ]
    lines = bench_compare.table(rows, ARGS).splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert len(cells[0]) == 11 and all(len(c) == 11 for c in cells[2:])
    assert cells[2] == ["ours", "500 streams", "480", "290", "+0.2", "+1.0", "-0.10", "+0.3 / +0.5, -5.40 (-0.10)", "10", "1.2", "ok"]
    assert cells[3][2:10] == ["-", "-", "+1.0", "+10.0", "-1.00", "-", "3", "0.5"]  # our simulator: served TTFT
    assert cells[4][4:7] == ["+2.0", "+20.0", "-1.00"]  # no record: against the configuration
    assert cells[5][0] == "broken" and cells[5][-1] == "pip install failed"


@pytest.mark.parametrize("server", ["truth", "inference-sim"])
def test_a_short_run_of_our_generator_against_each_server(tmp_path, server):
    out = tmp_path / "compare.json"
    assert bench_compare.main(["--server", server, "--tools", "ours", "--streams", "4", "--rates", "40",
                               "--duration", "1.5", "--warmup", "0.5", "--ttft-ms", "20", "--itl-ms", "5",
                               "--output-tokens", "8", "--no-ceiling", "--nice", "0", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [r["load"] for r in rows] == ["4 streams", "40 req/s"] and not any("error" in r for r in rows), rows
    for row in rows:
        if server == "truth":
            sim, exact = row["sim"], row["per_request_errors"]
            # the server's record covers the measured window (after the warm-up): every request we measured, matched
            assert exact["matched"] == row["completed"] <= sim["count"] < row["completed"] + 8
            assert sim["ttft_p50"] >= 20.0 and abs(row["ttft_p50"] - sim["ttft_p50"]) < 3.0
            assert exact["tpot_min_same_tokens"] > -0.2 and abs(row["tpot_p50"] - sim["tpot_p50"]) < 0.5
            expected = 4 if row["mode"] == "concurrency" else 40 * (20 + 7 * 5) / 1000.0
            assert abs(sim["in_flight"] - expected) < 1.0, sim
        else:
            served = row["sim"]["first_token_ms"]
            assert 0 < row["completed"] <= served["count"] < row["completed"] + 8 and served["p50"] >= 20.0
            assert abs(row["ttft_p50"] - served["p50"]) < 5.0 and abs(row["tpot_p50"] - 5.0) < 1.0
