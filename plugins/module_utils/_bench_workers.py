# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the benchmark's load spread over several processes (option ``workers``).

One event loop on one core parses about 20 k SSE events/s with sub-millisecond error; beyond that its own lag is in
every timestamp. With ``workers: N`` each load level is split into N parts (concurrency into near-equal shares, a
rate into N rates whose schedules interleave: constant schedules offset by ``k / rate``, Poisson processes seeded
apart, whose sum is the Poisson process of the whole rate; request limits shared out), each run by its own process
with its own event loop, client and lag ticker. The processes are forked before any event loop exists, start each
level at the same instant (``perf_counter`` is CLOCK_MONOTONIC on Linux, the same clock in every process) and send
back every request's record; the parent computes the metrics over all records together, so percentiles are exact,
not merged estimates. The client self-check counts every process's ticker and flags the busiest process's CPU.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import math
import multiprocessing
import os
import time
import traceback

from ansible_collections.llmd.xks.plugins.module_utils import _bench_load as load
from ansible_collections.llmd.xks.plugins.module_utils._bench_client import Client, Record, build_payload
from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import Workload, load_prompts

START_DELAY = 0.2  # s between sending a level to the processes and its common start


def available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve(workers):
    """The number of processes for the ``workers`` option (0: one per CPU core this process may run on)."""
    return available_cores() if not workers else int(workers)


def can_fork():
    return "fork" in multiprocessing.get_all_start_methods()


def _shares(total, parts):
    """``total`` split into ``parts`` integers that differ by at most one (largest first)."""
    base, extra = divmod(int(total), parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def split_stage(stage, workers):
    """The per-process stages of ``stage`` (fewer than ``workers`` when a concurrency is smaller)."""
    mode = stage["mode"]
    parts = min(workers, int(stage["level"])) if mode == "concurrency" else workers
    parts = max(1, parts)
    requests = _shares(stage["requests"], parts) if stage.get("requests") else [None] * parts
    warm = _shares(stage.get("warmup_requests") or 0, parts)
    cap = stage.get("max_concurrency")
    out = []
    for k in range(parts):
        if requests[k] == 0:
            continue
        part = dict(stage, requests=requests[k], warmup_requests=warm[k],
                    max_concurrency=int(math.ceil(float(cap) / parts)) if cap else None)
        if mode == "concurrency":
            part["level"] = _shares(stage["level"], parts)[k]
        else:
            part["level"] = float(stage["level"]) / parts
            if mode == "constant":
                part["offset"] = k / float(stage["level"])  # the k-th of every `parts` sends of the whole rate
        out.append(part)
    return out


def pack(rec):
    return tuple(getattr(rec, name) for name in Record.__slots__)


def unpack(values):
    rec = Record()
    for name, value in zip(Record.__slots__, values):
        setattr(rec, name, value)
    return rec


def _stage_in_process(spec, worker, stage, index, seed, start_at):
    """Runs one per-process stage in this process; returns (packed records, lag samples, cpu s, wall start, end)."""
    import asyncio
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    from ansible_collections.llmd.xks.plugins.module_utils._bench_run import models_of
    models = models_of(spec)
    wl_spec = dict(spec["workload"], seed=(spec["workload"]["seed"] or 0) + 104729 * worker)
    prompts = load_prompts(wl_spec["prompts_file"]) if wl_spec["type"] == "file" else None
    workload = Workload(wl_spec, models, spec["api"], prompts)
    api, ignore_eos, extra = spec["api"], wl_spec["ignore_eos"], wl_spec["extra_body"]

    def make_body(req):
        return build_payload(api, req.model, req.prompt, req.max_tokens, ignore_eos, extra)

    async def go():
        client = Client(spec["url"], api, spec["api_key"], spec["headers"], spec["timeout"],
                        model_urls=dict((m["name"], m["url"]) for m in models if m.get("url")),
                        model_header=spec["model_header"], validate_certs=spec["validate_certs"],
                        strict=spec["strict_streams"])
        st = load.StageState(stage, index)
        feed = load.Prepared(workload, make_body, load.expected_requests(stage))
        monitor = load.LoopMonitor()
        gc.collect()
        gc.freeze()
        try:
            delay = start_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            monitor.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await load.run_stage(client, make_body, workload, st, seed=seed, feed=feed)
            cpu1, wall1 = time.process_time(), time.perf_counter()
            await monitor.stop()
        finally:
            gc.unfreeze()
            await client.close()
        return [pack(r) for r in st.records], monitor.lags, cpu1 - cpu0, wall0, wall1
    return runner(go())


def _serve(conn, spec, worker):
    """A worker process: runs the stages it is sent until it gets None."""
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            conn.send(("ok", _stage_in_process(spec, worker, *job)))
        except Exception:  # reported to the parent, which fails the run with it
            conn.send(("error", traceback.format_exc()))


class Lags(object):
    """Every process's lag-ticker samples, shaped as ``load.LoopMonitor`` for ``load.client_health``."""

    def __init__(self, lags, interval):
        self.lags = lags
        self.interval = interval


class WorkerPool(object):
    """``workers`` forked processes that run load levels together. Create it before any event loop runs."""

    def __init__(self, spec, workers):
        context = multiprocessing.get_context("fork")
        self.workers = []
        for worker in range(workers):
            ours, theirs = context.Pipe()
            proc = context.Process(target=_serve, args=(theirs, spec, worker), daemon=True)
            proc.start()
            theirs.close()
            self.workers.append((proc, ours))

    def run(self, stage, index, seed):
        """Runs ``stage`` split over the processes; returns (StageState with every record, Lags, cpu seconds, wall
        start, wall end, per-process CPU shares). Blocks: call it from a thread when an event loop runs."""
        parts = split_stage(stage, len(self.workers))
        start_at = time.perf_counter() + START_DELAY
        busy = self.workers[:len(parts)]
        for k, ((proc, conn), part) in enumerate(zip(busy, parts)):
            conn.send((dict(part, start_at=start_at), index, seed + 1000003 * k, start_at))
        results = []
        for proc, conn in busy:
            status, value = conn.recv()
            if status != "ok":
                raise RuntimeError("a load-generator process failed: %s" % value.strip().splitlines()[-1])
            results.append(value)
        st = load.StageState(stage, index)
        records = [unpack(values) for packed, dummy, dummy, dummy, dummy in results for values in packed]
        records.sort(key=lambda r: (r.scheduled if r.scheduled is not None else 0.0, r.start or 0.0))
        for i, rec in enumerate(records):
            rec.index = i
        st.records = records
        st.sent = len(records)
        st.done = sum(1 for r in records if r.end is not None)
        st.failed = sum(1 for r in records if r.error is not None)
        st.started = min(r[3] for r in results)
        lags = [lag for dummy, samples, dummy, dummy, dummy in results for lag in samples]
        wall0, wall1 = min(r[3] for r in results), max(r[4] for r in results)
        shares = [cpu / (end - begin) if end > begin else 0.0 for dummy, dummy, cpu, begin, end in results]
        return st, Lags(lags, load.LoopMonitor().interval), sum(r[2] for r in results), wall0, wall1, shares

    def close(self):
        for proc, conn in self.workers:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for proc, conn in self.workers:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
            conn.close()
        self.workers = []
