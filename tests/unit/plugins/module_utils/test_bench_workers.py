# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The benchmark's load over several processes: how a level is split, and whole runs merged exactly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _bench_load as load
from ansible_collections.llmd.xks.plugins.module_utils import _bench_metrics as metrics
from ansible_collections.llmd.xks.plugins.module_utils import _bench_workers as workers
from ansible_collections.llmd.xks.plugins.module_utils._bench_client import Record
from ansible_collections.llmd.xks.plugins.module_utils._bench_run import normalize, run_benchmark, validate

TRUTH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tools", "truth_server.py")
STAGE = dict(duration=None, requests=None, warmup=0.0, warmup_requests=0, max_concurrency=None)


def test_split_concurrency_and_limits():
    parts = workers.split_stage(dict(STAGE, mode="concurrency", level=5, requests=7, warmup_requests=3), 2)
    assert [(p["level"], p["requests"], p["warmup_requests"]) for p in parts] == [(3, 4, 2), (2, 3, 1)]
    assert [p["level"] for p in workers.split_stage(dict(STAGE, mode="concurrency", level=1), 4)] == [1]
    assert [p["requests"] for p in workers.split_stage(dict(STAGE, mode="poisson", level=10.0, requests=1), 3)] == [1]


def test_split_constant_rate_interleaves_into_the_whole_rate():
    parts = workers.split_stage(dict(STAGE, mode="constant", level=120.0, max_concurrency=5), 3)
    assert [p["level"] for p in parts] == [40.0, 40.0, 40.0] and [p["max_concurrency"] for p in parts] == [2, 2, 2]
    sends = sorted(t for p in parts for t in itertools.islice(load.constant_schedule(p["level"], p["offset"]), 40))
    gaps = [b - a for a, b in zip(sends, sends[1:])]
    assert len(sends) == 120 and all(g == pytest.approx(1 / 120.0) for g in gaps)


def test_records_cross_processes_whole():
    rec = Record(index=3, stage=1, model="m", warmup=False, scheduled=1.5)
    rec.start, rec.first, rec.last, rec.end, rec.output_tokens = 1.5, 1.52, 1.56, 1.561, 3
    rec.itl.extend([0.02, 0.02])
    rec.request_id, rec.unknown_gaps = "truth-7", 1
    back = workers.unpack(workers.pack(rec))
    assert [getattr(back, n) for n in Record.__slots__] == [getattr(rec, n) for n in Record.__slots__]


def test_validation_names_the_option():
    assert any(e.startswith("workers:") for e in validate(normalize(dict(url="http://127.0.0.1:1", model="m", workers=-1))))
    assert workers.resolve(0) == workers.available_cores() >= 1 and workers.resolve(3) == 3


@pytest.fixture(scope="module")
def truth():
    proc = subprocess.Popen([sys.executable, TRUTH, "--ttft-ms", "20", "--itl-ms", "4"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "ready at" in line, line
    url = line.split()[4]
    yield url
    proc.terminate()
    proc.wait(10)


def truth_records(url):
    with urllib.request.urlopen(url + "/truth/records", timeout=10) as resp:
        return json.loads(resp.read())


def test_two_processes_share_a_concurrency_and_the_metrics_are_exact(truth):
    urllib.request.urlopen(urllib.request.Request(truth + "/truth/reset", data=b"{}"), timeout=10).read()
    rep = run_benchmark(dict(url=truth, model="m", workers=2, keep_records=True,
                             profile=dict(type="concurrency", concurrency=4, requests=24, warmup_requests=4),
                             workload=dict(input_tokens=8, output_tokens=5)))
    stage = rep["stages"][0]
    m, client, records = stage["metrics"], stage["client"], stage["records"]
    assert rep["plan"]["workers"] == 2 and client["processes"] == 2
    assert m["completed"] == 24 and m["failed"] == 0 and stage["warmup_requests_sent"] == 4
    assert m["max_concurrent_requests"] == 4 and [r["index"] for r in records] == list(range(28))
    # every request the server answered came back in a record, each with its own id
    ids = [r["request_id"] for r in records]
    assert len(set(ids)) == 28 and set(ids) == set(r[0] for r in truth_records(truth))
    # the statistics are those of all records together, not a merge of per-process summaries
    ttft = sorted(r["ttft_ms"] for r in records if not r["warmup"])
    assert m["p99_ttft_ms"] == pytest.approx(metrics.percentile(ttft, 99), abs=2e-3)
    assert m["tpot_count"] == 24 and m["itl_count"] + m["itl_unknown_gaps"] == 24 * 4
    assert m["median_ttft_ms"] >= 20.0 and m["median_tpot_ms"] == pytest.approx(4.0, abs=1.0)
    assert client["loop_lag_ms"]["samples"] > 0 and client["loop_lag_ms"]["samples_expected"] > 0


def test_two_processes_keep_a_constant_rate(truth):
    rep = run_benchmark(dict(url=truth, model="m", workers=2, profile=dict(type="constant", rate=100.0, requests=30),
                             workload=dict(input_tokens=8, output_tokens=3)))
    records = rep["stages"][0]["records"]
    scheduled = sorted(r["scheduled_s"] for r in records)
    gaps = [b - a for a, b in zip(scheduled, scheduled[1:])]
    assert len(records) == 30 and all(g == pytest.approx(0.01, abs=1e-5) for g in gaps), gaps
    assert rep["stages"][0]["metrics"]["completed"] == 30 and rep["stages"][0]["client"]["processes"] == 2
