# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: benchmark metrics with vLLM's names and definitions.

As in ``vllm bench serve`` (``benchmarks/serve.py::calculate_metrics``):
* TTFT = first token - request start; E2EL = last token - request start;
* TPOT = (E2EL - TTFT) / (output_tokens - 1), only for requests with more than one output token;
* ITL = every gap between consecutive token-bearing chunks, pooled over all requests, except gaps next to a token
  whose arrival time is unknown (``itl_unknown_gaps``; ``_bench_client``), which would read as 0;
* duration = last completion - first dispatch of the measured requests;
* request/output/total-token throughput = completed, sum(output_tokens), sum(prompt + output tokens) / duration;
* goodput = successful requests meeting every given SLO (ttft, tpot, e2el in ms) / duration; a request with one
  output token has TPOT 0 for the goodput test, as in vLLM.
Statistics: mean, median, population std (ddof 0), min, max and linearly interpolated percentiles (numpy's
default), in milliseconds; an empty list yields ``None`` (vLLM writes 0, which hides "no data").
Only successful, non-warm-up requests enter latency statistics; failures are counted by reason, and successful
requests whose stream broke a rule the metrics do not need (``stream_warnings``, for example no ``finish_reason``)
by warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

PERCENTILES = (50, 90, 95, 99)
LATENCY_METRICS = ("ttft", "tpot", "itl", "e2el")
SLO_KEYS = {"ttft_ms": "ttft", "tpot_ms": "tpot", "e2e_ms": "e2el"}


def percentile(sorted_values, pct):
    """numpy.percentile(values, pct) with the default linear interpolation, on an already sorted list."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * pct / 100.0
    low = int(math.floor(rank))
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def stats(values, scale=1000.0):
    """mean/median/std/min/max/p90/p95/p99 of ``values`` (seconds) in ms (``scale``)."""
    vals = sorted(v * scale for v in values)
    count = len(vals)
    if not count:
        out = dict(count=0, mean=None, median=None, std=None, min=None, max=None)
        out.update(("p%d" % p, None) for p in PERCENTILES if p != 50)
        return out
    mean = math.fsum(vals) / count
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in vals) / count)
    out = dict(count=count, mean=mean, median=percentile(vals, 50), std=std, min=vals[0], max=vals[-1])
    for pct in PERCENTILES:
        if pct != 50:
            out["p%d" % pct] = percentile(vals, pct)
    return out


def request_meets_slo(record, slo):
    """vLLM's goodput test: every given SLO (ms) holds; TPOT counts as 0 for a one-token answer."""
    if not record.success:
        return False
    for key, metric in SLO_KEYS.items():
        limit = slo.get(key) if slo else None
        if limit is None:
            continue
        if metric == "ttft":
            value = record.ttft
        elif metric == "e2el":
            value = record.e2el
        else:
            value = record.tpot or 0.0
        if value is None or value * 1000.0 > limit:
            return False
    return True


def max_concurrency(records):
    """Exact peak of overlapping [start, end) intervals (sweep line)."""
    events = []
    for rec in records:
        if rec.start is not None and rec.end is not None:
            events.append((rec.start, 1))
            events.append((rec.end, -1))
    events.sort(key=lambda e: (e[0], e[1]))
    peak = current = 0
    for dummy, step in events:
        current += step
        peak = max(peak, current)
    return peak


def summarize(records, slo=None, duration=None):
    """The metrics of the measured (non-warm-up) ``records`` of one load level.

    ``duration`` defaults to last end - first start of those records (vLLM's benchmark duration).
    Returns a flat dict with vLLM-style keys (``mean_ttft_ms``, ``p99_itl_ms`` ...) plus counts.
    """
    measured = [r for r in records if not r.warmup]
    ok = [r for r in measured if r.success]
    failed = [r for r in measured if not r.success]
    if duration is None:
        starts = [r.start for r in measured if r.start is not None]
        ends = [r.end for r in measured if r.end is not None]
        duration = (max(ends) - min(starts)) if starts and ends else 0.0
    out = dict(
        requests=len(measured),
        completed=len(ok),
        failed=len(failed),
        duration=duration,
        total_input_tokens=sum(r.prompt_tokens or 0 for r in ok),
        total_output_tokens=sum(r.output_tokens or 0 for r in ok),
        total_cached_tokens=sum(r.cached_tokens or 0 for r in ok),
    )
    per_second = (lambda x: x / duration) if duration > 0 else (lambda x: None)
    out["request_throughput"] = per_second(len(ok))
    out["output_throughput"] = per_second(out["total_output_tokens"])
    out["total_token_throughput"] = per_second(out["total_input_tokens"] + out["total_output_tokens"])
    out["cached_token_ratio"] = (out["total_cached_tokens"] / float(out["total_input_tokens"])
                                 if out["total_input_tokens"] else None)
    series = dict(
        ttft=[r.ttft for r in ok],
        tpot=[t for t in (r.tpot for r in ok) if t is not None],
        itl=[gap for r in ok for gap in r.itl],
        e2el=[r.e2el for r in ok],
    )
    for metric in LATENCY_METRICS:
        st = stats(series[metric])
        for key, value in st.items():
            if key == "count":
                out["%s_count" % metric] = value
            else:
                out["%s_%s_ms" % (key, metric)] = value
    # tokens read together after a gap: arrival unknown, not counted as short ITL (see _bench_client)
    out["itl_unknown_gaps"] = sum(r.unknown_gaps for r in ok)
    out["ttft_upper_bound_requests"] = sum(1 for r in ok if r.known_first is not None)
    out["max_concurrent_requests"] = max_concurrency(measured)
    busy = sum((r.end - r.start) for r in measured if r.start is not None and r.end is not None)
    out["mean_concurrency"] = busy / duration if duration > 0 else None
    lags = [r.start - r.scheduled for r in measured if r.start is not None and r.scheduled is not None]
    out.update(("%s_send_lag_ms" % k, v) for k, v in stats(lags).items() if k in ("mean", "median", "p99", "max"))
    queue = [r.start - r.queued for r in measured if r.start is not None and r.queued is not None]
    out["mean_client_queue_ms"] = stats(queue)["mean"]
    reasons = {}
    for rec in failed:
        reasons[rec.error or "unknown"] = reasons.get(rec.error or "unknown", 0) + 1
    out["failures"] = reasons
    warned = {}
    for rec in ok:
        if rec.warning:
            warned[rec.warning] = warned.get(rec.warning, 0) + 1
    out["stream_warnings"] = warned
    good = [r for r in measured if request_meets_slo(r, slo)] if slo_given(slo) else None
    if good is None:
        out["good_requests"] = None
        out["request_goodput"] = None
        out["slo_attainment"] = None
    else:
        out["good_requests"] = len(good)
        out["request_goodput"] = per_second(len(good))
        # failures count as misses
        out["slo_attainment"] = len(good) / float(len(measured)) if measured else None
    return out


def slo_given(slo):
    return bool(slo) and any(slo.get(k) is not None for k in SLO_KEYS)


def ttft_histogram(records, bins=30):
    """Histogram of TTFT (ms) of the successful measured records: {edges: [...], counts: [...]}."""
    vals = sorted(r.ttft * 1000.0 for r in records if r.success and not r.warmup)
    if not vals:
        return {"edges": [], "counts": []}
    low, high = vals[0], vals[-1]
    if high <= low:
        high = low + 1.0
    width = (high - low) / bins
    counts = [0] * bins
    for v in vals:
        idx = min(int((v - low) / width), bins - 1)
        counts[idx] += 1
    return {"edges": [low + i * width for i in range(bins + 1)], "counts": counts}


def pod_share(records):
    """Requests per pod as reported by the server's pod header (successful measured requests)."""
    share = {}
    for rec in records:
        if rec.pod and rec.success and not rec.warmup:
            share[rec.pod] = share.get(rec.pod, 0) + 1
    return share
