# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark metrics against hand-computed values (vLLM's definitions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

import pytest

from ansible_collections.llmd.xks.plugins.module_utils._bench_client import Record
from ansible_collections.llmd.xks.plugins.module_utils._bench_metrics import (
    max_concurrency,
    percentile,
    pod_share,
    request_meets_slo,
    stats,
    summarize,
    ttft_histogram,
)


def rec(start, ttft, gaps, out_tokens, prompt=10, error=None, warmup=False, pod=None):
    r = Record(warmup=warmup)
    r.start = start
    r.first = start + ttft
    r.itl = list(gaps)
    r.last = r.first + sum(gaps)
    r.end = r.last + 0.001
    r.prompt_tokens, r.output_tokens = prompt, out_tokens
    r.pod = pod
    if error:
        r.fail(error, "x")
    return r


def test_percentile_is_numpy_linear():
    vals = [1.0, 2.0, 3.0, 4.0]
    # numpy.percentile([1,2,3,4], q): 50 -> 2.5, 90 -> 3.7, 99 -> 3.97, 0 -> 1, 100 -> 4
    assert percentile(vals, 50) == 2.5
    assert percentile(vals, 90) == pytest.approx(3.7)
    assert percentile(vals, 99) == pytest.approx(3.97)
    assert percentile(vals, 0) == 1.0 and percentile(vals, 100) == 4.0
    assert percentile([5.0], 99) == 5.0 and percentile([], 50) is None


def test_stats_in_ms_with_population_std():
    st = stats([0.001, 0.002, 0.003, 0.004])
    assert st["mean"] == pytest.approx(2.5) and st["median"] == pytest.approx(2.5)
    assert st["std"] == pytest.approx(math.sqrt(1.25))  # ddof 0
    assert (st["min"], st["max"], st["count"]) == (pytest.approx(1.0), pytest.approx(4.0), 4)
    assert st["p90"] == pytest.approx(3.7)
    empty = stats([])
    assert empty["count"] == 0 and empty["mean"] is None and empty["p99"] is None


def test_summarize_hand_computed():
    records = [
        rec(0.0, 0.100, [0.020, 0.030], 3, prompt=10, pod="a"),   # TPOT (0.05)/2 = 25 ms, e2el 150 ms
        rec(0.5, 0.200, [0.010], 2, prompt=20, pod="b"),           # TPOT 10 ms, e2el 210 ms
        rec(1.0, 0.050, [], 1, prompt=5, pod="a"),                 # one token: no TPOT, no ITL
        rec(1.5, 0.300, [0.040], 2, error="stream_cut"),           # failed: in no latency list
        rec(-1.0, 0.010, [0.001], 2, warmup=True),                 # warm-up: not counted at all
    ]
    m = summarize(records, slo={"ttft_ms": 150, "tpot_ms": 20})
    duration = (1.5 + 0.300 + 0.040 + 0.001) - 0.0  # first measured start -> last measured end
    assert m["duration"] == pytest.approx(duration)
    assert (m["requests"], m["completed"], m["failed"]) == (4, 3, 1)
    assert m["failures"] == {"stream_cut": 1}
    assert m["total_input_tokens"] == 35 and m["total_output_tokens"] == 6
    assert m["request_throughput"] == pytest.approx(3 / duration)
    assert m["output_throughput"] == pytest.approx(6 / duration)
    assert m["total_token_throughput"] == pytest.approx(41 / duration)
    assert m["mean_ttft_ms"] == pytest.approx((100 + 200 + 50) / 3.0)
    assert m["median_ttft_ms"] == pytest.approx(100)
    assert m["tpot_count"] == 2 and m["mean_tpot_ms"] == pytest.approx(17.5)
    assert m["itl_count"] == 3 and m["median_itl_ms"] == pytest.approx(20) and m["max_itl_ms"] == pytest.approx(30)
    assert m["median_e2el_ms"] == pytest.approx(150) and m["max_e2el_ms"] == pytest.approx(210)
    # goodput: #1 TPOT 25 > 20 (bad), #2 TTFT 200 > 150 (bad), #3 one token -> TPOT 0, TTFT 50 (good), #4 failed
    assert m["good_requests"] == 1
    assert m["request_goodput"] == pytest.approx(1 / duration)
    assert m["slo_attainment"] == pytest.approx(0.25)


def test_summarize_without_slo_and_empty():
    m = summarize([rec(0, 0.1, [0.01], 2)])
    assert m["request_goodput"] is None and m["slo_attainment"] is None
    empty = summarize([])
    assert empty["completed"] == 0 and empty["request_throughput"] is None and empty["mean_ttft_ms"] is None


def test_goodput_e2e_slo_and_one_token_tpot_zero():
    one = rec(0, 0.05, [], 1)
    assert request_meets_slo(one, {"tpot_ms": 0.001})  # TPOT counts as 0 for one output token
    assert not request_meets_slo(rec(0, 0.05, [0.1], 2), {"e2e_ms": 100})
    assert request_meets_slo(rec(0, 0.05, [0.04], 2), {"e2e_ms": 100})


def test_max_concurrency_sweep_line():
    a, b, c = rec(0, 0.1, [], 1), rec(0.05, 0.1, [], 1), rec(0.101, 0.1, [], 1)
    # a: [0, 0.101), b: [0.05, 0.151), c: [0.101, 0.202): c starts when a ends -> peak 2
    assert max_concurrency([a, b, c]) == 2


def test_histogram_and_pod_share():
    records = [rec(0, t, [], 1, pod="p%d" % (i % 2)) for i, t in enumerate([0.01, 0.02, 0.03, 0.04])]
    h = ttft_histogram(records, bins=3)
    assert sum(h["counts"]) == 4 and h["edges"][0] == pytest.approx(10) and h["edges"][-1] == pytest.approx(40)
    assert pod_share(records) == {"p0": 2, "p1": 2}
