# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Load profiles: schedules, stage plans, the SLO search and stage runs against a fake client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import itertools
import time

import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _bench_load as load
from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import Workload


def test_constant_schedule_spacing():
    times = list(itertools.islice(load.constant_schedule(4.0), 5))
    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_poisson_schedule_is_seeded_with_the_mean_rate():
    n = 20000
    times = list(itertools.islice(load.poisson_schedule(50.0, seed=3), n))
    assert n / times[-1] == pytest.approx(50.0, rel=0.03)
    gaps = [b - a for a, b in zip(times, times[1:])]
    # exponential gaps: std == mean
    mean = sum(gaps) / len(gaps)
    std = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5
    assert std == pytest.approx(mean, rel=0.05)
    assert list(itertools.islice(load.poisson_schedule(50.0, seed=3), 10)) == times[:10]
    assert list(itertools.islice(load.poisson_schedule(50.0, seed=4), 10)) != times[:10]


def test_plan_stages():
    assert [s["level"] for s in load.plan_stages(dict(type="sweep", levels=[1, 4, 16], duration=5))] == [1, 4, 16]
    assert load.plan_stages(dict(type="poisson", rate=3, requests=10))[0]["mode"] == "poisson"
    stage = load.plan_stages(dict(type="concurrency", concurrency=8, duration=2, warmup=1))[0]
    assert (stage["mode"], stage["level"], stage["duration"], stage["warmup"]) == ("concurrency", 8, 2, 1)
    assert load.plan_stages(dict(type="sweep", sweep_type="constant", levels=[2.5]))[0]["mode"] == "constant"


def search(capacity, start=1.0, max_rate=1000.0, max_steps=12, tolerance=0.1):
    steps = []
    while True:
        rate = load.next_search_rate(steps, start, max_rate, tolerance=tolerance, max_steps=max_steps)
        if rate is None:
            return steps, load.search_result(steps)
        steps.append((rate, rate <= capacity))


def test_search_brackets_then_bisects():
    steps, result = search(37.0)
    rates = [r for r, dummy in steps]
    assert rates[:7] == [1, 2, 4, 8, 16, 32, 64]  # doubling until the first miss
    assert rates[7] == 48  # then bisection between 32 and 64
    assert result["max_rate"] <= 37.0 < result["first_failing_rate"]
    assert (result["first_failing_rate"] - result["max_rate"]) <= 0.1 * result["first_failing_rate"]


def test_search_limits():
    steps, result = search(1e9, max_rate=10.0)
    assert [r for r, dummy in steps] == [1, 2, 4, 8, 10] and result["max_rate"] == 10
    steps, result = search(0.0, start=8.0)
    assert [r for r, dummy in steps][:3] == [8, 4, 2] and result["max_rate"] is None
    steps, result = search(37.0, max_steps=3)
    assert len(steps) == 3


class FakeClient(object):
    """Answers every request after ``latency`` seconds; records concurrency and send times."""

    def __init__(self, latency=0.02):
        self.latency = latency
        self.in_flight = 0
        self.peak = 0
        self.sent = []

    async def send(self, body, rec):
        rec.start = time.perf_counter()
        self.sent.append(rec.start)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(self.latency / 2)
        rec.first = time.perf_counter()
        await asyncio.sleep(self.latency / 2)
        rec.last = rec.end = time.perf_counter()
        rec.output_tokens, rec.prompt_tokens = 2, 3
        self.in_flight -= 1
        return rec


def run(stage, latency=0.02):
    client = FakeClient(latency)
    workload = Workload(dict(type="random", input_tokens=8, output_tokens=2), [dict(name="m")])
    st = load.StageState(dict(dict(duration=None, requests=None, warmup=0, warmup_requests=0, max_concurrency=None), **stage), 0)
    asyncio.run(load.run_stage(client, lambda req: b"{}", workload, st))
    return client, st


def test_concurrency_stage_keeps_n_in_flight_and_stops_at_the_request_limit():
    client, st = run(dict(mode="concurrency", level=4, requests=20, warmup_requests=4))
    assert client.peak == 4
    assert sum(1 for r in st.records if not r.warmup) == 20
    assert sum(1 for r in st.records if r.warmup) == 4
    assert all(r.end is not None for r in st.records)  # in-flight requests are awaited, not cut


def test_constant_rate_stage_sends_on_schedule():
    client, st = run(dict(mode="constant", level=50.0, duration=0.4))
    gaps = [b - a for a, b in zip(client.sent, client.sent[1:])]
    assert 18 <= len(client.sent) <= 22
    assert sum(gaps) / len(gaps) == pytest.approx(0.02, rel=0.15)
    assert all(r.scheduled is not None and r.start - r.scheduled < 0.05 for r in st.records)


def test_rate_stage_with_concurrency_cap_reports_queueing():
    client, st = run(dict(mode="poisson", level=200.0, requests=30, max_concurrency=2), latency=0.03)
    assert client.peak == 2
    assert all(r.queued is not None for r in st.records)


def test_warmup_seconds_are_excluded():
    client, st = run(dict(mode="constant", level=100.0, duration=0.2, warmup=0.1))
    warm = [r for r in st.records if r.warmup]
    assert 7 <= len(warm) <= 12 and all(r.scheduled - st.started < 0.11 for r in warm)


def test_client_health_flags_a_lagging_client():
    st = load.StageState(dict(mode="constant", level=10.0), 0)
    monitor = load.LoopMonitor()
    monitor.lags = [0.001] * 150 + [0.05] * 10
    health = load.client_health(st, monitor, cpu_seconds=0.95, wall_seconds=1.0, lag_threshold_ms=10.0)
    assert health["client_bottleneck"]
    assert any("event-loop lag" in r for r in health["reasons"]) and any("CPU" in r for r in health["reasons"])
    monitor.lags = [0.001] * 200
    health = load.client_health(st, monitor, cpu_seconds=0.2, wall_seconds=1.0, lag_threshold_ms=10.0)
    assert not health["client_bottleneck"] and health["reasons"] == []


def test_client_health_flags_a_starved_lag_ticker():
    """#22: a 15 s run whose 5 ms ticker woke only 98 times (p99 462 ms) was not flagged: 98 < 100 samples."""
    st = load.StageState(dict(mode="concurrency", level=500), 0)
    monitor = load.LoopMonitor()
    monitor.lags = [0.150] * 97 + [0.462]
    health = load.client_health(st, monitor, cpu_seconds=9.0, wall_seconds=15.0, lag_threshold_ms=10.0)
    assert health["client_bottleneck"], health
    assert any("starved" in r and "98 wake-ups" in r for r in health["reasons"]), health["reasons"]
    assert health["loop_lag_ms"]["samples"] == 98 and health["loop_lag_ms"]["samples_expected"] == 3000


def test_client_health_short_or_idle_runs_are_no_verdict():
    st = load.StageState(dict(mode="concurrency", level=4), 0)
    monitor = load.LoopMonitor()
    monitor.lags = [0.02] * 20  # 0.3 s: too short for a verdict either way
    assert not load.client_health(st, monitor, cpu_seconds=0.1, wall_seconds=0.3, lag_threshold_ms=10.0)["client_bottleneck"]
    monitor.lags = [0.0002] * 2900  # a free loop over 15 s: about interval + scheduling noise per wake-up
    health = load.client_health(st, monitor, cpu_seconds=1.0, wall_seconds=15.0, lag_threshold_ms=10.0)
    assert not health["client_bottleneck"], health["reasons"]


def test_client_health_of_several_processes():
    st = load.StageState(dict(mode="concurrency", level=400), 0)
    monitor = load.LoopMonitor()
    monitor.lags = [0.0005] * 3900  # two tickers over 10 s
    health = load.client_health(st, monitor, cpu_seconds=1.0, wall_seconds=10.0, lag_threshold_ms=10.0, processes=2,
                                worker_cpu=[0.6, 0.95])
    assert health["processes"] == 2 and health["loop_lag_ms"]["samples_expected"] == 4000
    assert health["reasons"] == ["client CPU 95% of one core (> 90%) in the busiest of 2 processes"]


def test_prepared_bodies_keep_the_workload_order():
    spec = dict(type="random", input_tokens=8, output_tokens=2, seed=9)
    lazy = Workload(spec, [dict(name="m")])
    expected = [lazy.next().prompt for dummy in range(12)]
    feed = load.Prepared(Workload(spec, [dict(name="m")]), lambda req: req.prompt.encode(), 5)
    assert len(feed.pool) == 5
    got = [feed.next() for dummy in range(12)]  # 5 prepared, then built on demand
    assert [req.prompt for req, body in got] == expected and got[7][1] == expected[7].encode()
    assert load.expected_requests(dict(mode="concurrency", level=4, requests=20, warmup_requests=3)) == 27
    assert load.expected_requests(dict(mode="poisson", level=10.0, duration=5, warmup=1)) == 88
