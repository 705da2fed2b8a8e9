# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: load profiles of the benchmark and the client's self-measurement.

A *stage* is one load level: ``concurrency`` (closed loop, N requests always in flight), ``constant`` (one request
every 1/rate s) or ``poisson`` (exponential gaps, seeded). A stage first runs its warm-up (seconds and/or
requests, at the same load, excluded from the metrics), then measures until its duration or request limit; the
requests in flight at the end are awaited, never cut. Profiles ``sweep`` and ``search`` are lists of stages.

The client watches itself: every request's actual send time against its scheduled time (send lag), a ticker
task's wake-up delay (event-loop lag) and the process CPU time. When the client, not the server, limits the
run, the numbers describe the client; such a stage is marked ``client_bottleneck`` with the reasons.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import collections
import random
import time

from ansible_collections.llmd.xks.plugins.module_utils._bench_client import Record
from ansible_collections.llmd.xks.plugins.module_utils._bench_metrics import stats

PROFILE_TYPES = ("concurrency", "constant", "poisson", "sweep", "search")
STAGE_MODES = ("concurrency", "constant", "poisson")
MIN_LOOP_SAMPLES = 100
CPU_LIMIT = 0.9  # share of one core above which the single-threaded client is the bottleneck


def constant_schedule(rate, start=0.0):
    """Send times (s from the stage start): one every 1/rate s."""
    i = 0
    gap = 1.0 / rate
    while True:
        yield start + i * gap
        i += 1


def poisson_schedule(rate, seed=0, start=0.0):
    """Send times of a Poisson process with mean ``rate`` per s (exponential gaps), reproducible by ``seed``."""
    rng = random.Random(seed)
    t = start
    while True:
        t += rng.expovariate(rate)
        yield t


def plan_stages(profile):
    """The stages a profile runs (a ``search`` plans its first stage only; later ones depend on the results)."""
    kind = profile.get("type") or "concurrency"
    common = dict(duration=profile.get("duration"), requests=profile.get("requests"),
                  warmup=profile.get("warmup") or 0.0, warmup_requests=profile.get("warmup_requests") or 0,
                  max_concurrency=profile.get("max_concurrency"))
    if kind == "concurrency":
        return [dict(common, mode="concurrency", level=profile.get("concurrency") or 1)]
    if kind in ("constant", "poisson"):
        return [dict(common, mode=kind, level=float(profile["rate"]))]
    if kind == "sweep":
        mode = profile.get("sweep_type") or "concurrency"
        return [dict(common, mode=mode, level=int(v) if mode == "concurrency" else float(v)) for v in profile["levels"]]
    if kind == "search":
        return [dict(common, mode=profile.get("arrival") or "poisson", level=float(profile.get("start_rate") or 1.0))]
    raise ValueError("unknown profile type %r" % kind)


def next_search_rate(steps, start_rate, max_rate, min_rate=None, tolerance=0.1, max_steps=8):
    """The next rate to try when searching for the highest rate that meets the SLOs, or None when done.

    ``steps`` is the list of ``(rate, met)`` tried so far. Bracket first (double while it passes, halve while
    it fails), then bisect between the highest passing and the lowest failing rate until the gap is at most
    ``tolerance`` of the failing rate. Never more than ``max_steps`` stages.
    """
    if not steps:
        return float(start_rate)
    if len(steps) >= max_steps:
        return None
    min_rate = min_rate if min_rate is not None else start_rate / 64.0
    passed = [r for r, ok in steps if ok]
    failed = [r for r, ok in steps if not ok]
    best = max(passed) if passed else None
    worst = min([r for r in failed if best is None or r > best] or [None]) if failed else None
    if worst is None:  # everything tried so far passed: go up
        if best >= max_rate:
            return None
        return min(best * 2.0, float(max_rate))
    if best is None:  # everything failed: go down
        nxt = worst / 2.0
        return nxt if nxt >= min_rate else None
    if (worst - best) <= tolerance * worst:
        return None
    return (best + worst) / 2.0


def search_result(steps):
    passed = [r for r, ok in steps if ok]
    failed = [r for r, ok in steps if not ok]
    best = max(passed) if passed else None
    above = [r for r in failed if best is None or r > best]
    return dict(max_rate=best, first_failing_rate=min(above) if above else None, steps=len(steps))


class LoopMonitor(object):
    """Measures how late the event loop wakes a ticker task (the delay every timestamp may carry)."""

    def __init__(self, interval=0.005):
        self.interval = interval
        self.lags = []
        self.task = None

    async def _tick(self):
        pc = time.perf_counter
        interval = self.interval
        expected = pc() + interval
        while True:
            await asyncio.sleep(interval)
            now = pc()
            self.lags.append(max(0.0, now - expected))
            expected = now + interval

    def start(self):
        self.lags = []
        self.task = asyncio.ensure_future(self._tick())

    async def stop(self):
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
            self.task = None


class StageState(object):
    """Live counters of a running stage (read by the progress line)."""

    def __init__(self, stage, index):
        self.stage = stage
        self.index = index
        self.records = []
        self.in_flight = 0
        self.sent = 0
        self.measured_sent = 0
        self.done = 0
        self.failed = 0
        self.started = None
        self.measure_start = None
        self.stopping = False


def _limits_reached(st, now):
    stage = st.stage
    if stage.get("requests") and st.measured_sent >= stage["requests"]:
        return True
    if stage.get("duration") and st.measure_start is not None and now - st.measure_start >= stage["duration"]:
        return True
    return False


def _is_warmup(st, now):
    stage = st.stage
    if st.sent < (stage.get("warmup_requests") or 0):
        return True
    return bool(stage.get("warmup")) and now - st.started < stage["warmup"]


async def _one(client, workload_item, body, rec, st, sem):
    if sem is not None:
        rec.queued = time.perf_counter()
        async with sem:
            await client.send(body, rec)
    else:
        await client.send(body, rec)
    st.in_flight -= 1
    st.done += 1
    if rec.error is not None:
        st.failed += 1


def _new_record(st, req, scheduled, now):
    warm = _is_warmup(st, now)
    rec = Record(index=st.sent, stage=st.index, model=req.model, group=req.group, warmup=warm, scheduled=scheduled,
                 expected_input_tokens=req.input_tokens, max_tokens=req.max_tokens)
    st.sent += 1
    if not warm:
        if st.measure_start is None:
            st.measure_start = now
        st.measured_sent += 1
    st.records.append(rec)
    st.in_flight += 1
    return rec


PREPARED_MAX = 4096
PREPARED_BYTES = 64 << 20


class Prepared(object):
    """Request bodies built before the stage starts, so building them (word sampling, JSON encoding: 40-150 us
    each) does not delay sends inside the measured window; built on demand once the pool runs out."""

    def __init__(self, workload, make_body, count):
        self.workload = workload
        self.make_body = make_body
        self.pool = collections.deque()
        size = 0
        while len(self.pool) < min(count, PREPARED_MAX) and size < PREPARED_BYTES:
            req = workload.next()
            body = make_body(req)
            size += len(body)
            self.pool.append((req, body))

    def next(self):
        if self.pool:
            return self.pool.popleft()
        req = self.workload.next()
        return req, self.make_body(req)


def expected_requests(stage):
    """How many requests a stage will send, as far as its limits tell (for the prepared pool)."""
    warm = stage.get("warmup_requests") or 0
    if stage.get("requests"):
        extra = int(stage["level"]) if stage["mode"] == "concurrency" else 0
        return stage["requests"] + warm + extra
    seconds = (stage.get("duration") or 0) + (stage.get("warmup") or 0)
    if stage["mode"] == "concurrency":
        return PREPARED_MAX
    return int(seconds * float(stage["level"]) * 1.2) + 16 + warm


async def run_stage(client, make_body, workload, st, seed=0, feed=None):
    """Runs one stage; returns when every request it sent has finished. ``feed``: the stage's ``Prepared``
    bodies (build them before starting the clocks: building blocks the event loop)."""
    stage = st.stage
    pc = time.perf_counter
    if feed is None:
        feed = Prepared(workload, make_body, expected_requests(stage))
    st.started = pc()
    mode = stage["mode"]
    if mode == "concurrency":
        async def worker():
            while not st.stopping:
                now = pc()
                if _limits_reached(st, now):
                    st.stopping = True
                    break
                req, body = feed.next()
                rec = _new_record(st, req, now, now)
                await _one(client, req, body, rec, st, None)

        await asyncio.gather(*[worker() for dummy in range(int(stage["level"]))])
        return
    rate = float(stage["level"])
    # offset: this process's place among several sharing one constant rate (_bench_workers)
    schedule = constant_schedule(rate, stage.get("offset") or 0.0) if mode == "constant" else poisson_schedule(rate, seed=seed)
    sem = asyncio.Semaphore(stage["max_concurrency"]) if stage.get("max_concurrency") else None
    tasks = set()
    t0 = stage.get("start_at") or st.started  # several processes share one schedule from their common start
    for offset in schedule:
        at = t0 + offset
        delay = at - pc()
        if delay > 0:
            await asyncio.sleep(delay)
        now = pc()
        if _limits_reached(st, now):
            break
        req, body = feed.next()
        rec = _new_record(st, req, at, now)
        task = asyncio.ensure_future(_one(client, req, body, rec, st, sem))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    st.stopping = True
    if tasks:
        await asyncio.gather(*list(tasks))


def client_health(st, monitor, cpu_seconds, wall_seconds, lag_threshold_ms, processes=1, worker_cpu=None):
    """The client's self-measurement for one stage and whether it was the bottleneck (with reasons).

    With several load-generator processes, ``monitor.lags`` holds every process's ticker samples, ``cpu_seconds``
    their sum and ``worker_cpu`` each one's share of a core (the CPU verdict is per process)."""
    measured = [r for r in st.records if not r.warmup and r.start is not None]
    send_lags = [r.start - r.scheduled for r in measured if r.scheduled is not None and r.queued is None]
    loop = stats(monitor.lags)
    lag = stats(send_lags)
    cpu = cpu_seconds / wall_seconds if wall_seconds > 0 else None
    reasons = []
    # A ticker that wakes every `interval` when the loop is free; a busy loop wakes it late and so less often. Fewer
    # wake-ups than a loop lagging `lag_threshold_ms` on every tick would allow mean that the lag the ticker could not
    # even sample is above the threshold: the starved ticker is the worst case, whatever p99 its few samples show.
    expected = processes * wall_seconds / monitor.interval if wall_seconds > 0 else 0
    at_threshold = processes * wall_seconds / (monitor.interval + lag_threshold_ms / 1000.0) if wall_seconds > 0 else 0
    cpu_note = ""
    if cpu is not None and cpu / processes < 0.5:
        cpu_note = " (client CPU only %.0f%%: other processes held the CPU)" % (100 * cpu / processes)
    if at_threshold >= MIN_LOOP_SAMPLES and loop["count"] < at_threshold:
        reasons.append("event-loop lag ticker starved: %d wake-ups in %.1f s where a %.0f ms ticker wakes %d times, and %d "
                       "even if every wake-up were %.1f ms late: the loop was busier than the threshold%s"
                       % (loop["count"], wall_seconds, 1000 * monitor.interval, expected, at_threshold, lag_threshold_ms,
                          cpu_note))
    # fewer samples than MIN_LOOP_SAMPLES (half a second) make p99 the single worst wake-up: not a verdict
    elif loop["count"] >= MIN_LOOP_SAMPLES and loop["p99"] > lag_threshold_ms:
        reasons.append("event-loop lag p99 %.1f ms > %.1f ms: timestamps carry that much client delay%s"
                       % (loop["p99"], lag_threshold_ms, cpu_note))
    if st.stage["mode"] != "concurrency" and lag["p99"] is not None and lag["p99"] > lag_threshold_ms:
        reasons.append("send lag p99 %.1f ms > %.1f ms: requests left later than the %s schedule"
                       % (lag["p99"], lag_threshold_ms, st.stage["mode"]))
    busiest = max(worker_cpu) if worker_cpu else cpu
    if busiest is not None and busiest > CPU_LIMIT:
        reasons.append("client CPU %.0f%% of one core (> %.0f%%)%s" % (
            100 * busiest, 100 * CPU_LIMIT, " in the busiest of %d processes" % processes if processes > 1 else ""))
    return dict(
        loop_lag_ms=dict(median=loop["median"], p99=loop["p99"], max=loop["max"], samples=loop["count"],
                         samples_expected=int(expected)),
        send_lag_ms=dict(median=lag["median"], p99=lag["p99"], max=lag["max"]),
        cpu_percent=None if cpu is None else 100.0 * cpu,
        events=sum(r.events for r in st.records),
        events_per_second=(sum(r.events for r in st.records) / wall_seconds) if wall_seconds > 0 else None,
        lag_threshold_ms=lag_threshold_ms,
        processes=processes,
        client_bottleneck=bool(reasons),
        reasons=reasons,
    )
