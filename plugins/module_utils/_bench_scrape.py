# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: Prometheus text metrics of vLLM pods and the endpoint picker.

Scraped before and after each stage; counters are diffed, gauges read after. The text format is parsed with
``prometheus_client``'s parser when that library is installed; otherwise with the small parser below, which
reads the sample lines we need (name, labels, value; no exemplars, no timestamps). The collection does not
require prometheus_client just for this, and the fallback is exercised by the unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

try:
    from prometheus_client.parser import text_string_to_metric_families as _families
except ImportError:
    _families = None

# (hits, queries) counter pairs, newest names first (vLLM V1, then the older gpu_ names)
PREFIX_CACHE_COUNTERS = (
    ("vllm:prefix_cache_hits_total", "vllm:prefix_cache_queries_total"),
    ("vllm:gpu_prefix_cache_hits_total", "vllm:gpu_prefix_cache_queries_total"),
)
REQUEST_SUCCESS = "vllm:request_success_total"
WAITING = "vllm:num_requests_waiting"
RUNNING = "vllm:num_requests_running"
KV_USAGE = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")
# endpoint picker (Gateway API Inference Extension) families worth keeping next to the client numbers
EPP_PREFIXES = ("inference_pool_", "inference_objective_", "inference_model_", "inference_extension_")

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Prometheus text -> list of (name, labels dict, value)."""
    if _families is not None:
        out = []
        for family in _families(text):
            for sample in family.samples:
                out.append((sample.name, dict(sample.labels), float(sample.value)))
        return out
    out = []
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        name, dummy, labels, value = match.groups()
        try:
            number = float(value)
        except ValueError:
            continue
        out.append((name, dict((k, v.replace('\\"', '"').replace("\\\\", "\\")) for k, v in _LABEL.findall(labels or "")),
                    number))
    return out


def _sum(samples, name, **match):
    vals = [v for n, labels, v in samples if n == name and all(labels.get(k) == x for k, x in match.items())]
    return sum(vals) if vals else None


def summarize(samples):
    """The numbers we keep from one scrape."""
    out = {}
    for hits, queries in PREFIX_CACHE_COUNTERS:
        h, q = _sum(samples, hits), _sum(samples, queries)
        if h is not None and q is not None:
            out["prefix_cache_hits"], out["prefix_cache_queries"] = h, q
            break
    for key, name in (("request_success", REQUEST_SUCCESS), ("requests_waiting", WAITING),
                      ("requests_running", RUNNING)):
        value = _sum(samples, name)
        if value is not None:
            out[key] = value
    for name in KV_USAGE:
        value = _sum(samples, name)
        if value is not None:
            out["kv_cache_usage"] = value
            break
    epp = {}
    for name, labels, value in samples:
        if name.startswith(EPP_PREFIXES):
            key = name + ("{%s}" % ",".join("%s=%s" % kv for kv in sorted(labels.items())) if labels else "")
            epp[key] = value
    if epp:
        out["epp"] = epp
    return out


def diff(before, after):
    """Per-target deltas between two scrapes ({target: summary} each) and the totals."""
    targets = {}
    total_hits = total_queries = 0.0
    total_requests = 0.0
    for target in sorted(set(before) | set(after)):
        b, a = before.get(target) or {}, after.get(target) or {}
        entry = {}
        if a.get("error") or b.get("error"):
            entry["error"] = a.get("error") or b.get("error")
        if "prefix_cache_queries" in a and "prefix_cache_queries" in b:
            hits = a["prefix_cache_hits"] - b["prefix_cache_hits"]
            queries = a["prefix_cache_queries"] - b["prefix_cache_queries"]
            entry.update(prefix_cache_hits=hits, prefix_cache_queries=queries,
                         prefix_cache_hit_rate=(hits / queries) if queries > 0 else None)
            total_hits += hits
            total_queries += queries
        if "request_success" in a and "request_success" in b:
            entry["requests"] = a["request_success"] - b["request_success"]
            total_requests += entry["requests"]
        for key in ("requests_waiting", "requests_running", "kv_cache_usage"):
            if key in a:
                entry[key] = a[key]
        if "epp" in a:
            entry["epp"] = a["epp"]
        targets[target] = entry
    for entry in targets.values():
        if "requests" in entry:
            entry["request_share"] = entry["requests"] / total_requests if total_requests > 0 else None
    return dict(
        targets=targets,
        prefix_cache_hit_rate=(total_hits / total_queries) if total_queries > 0 else None,
        prefix_cache_queries=total_queries,
        requests=total_requests,
        max_requests_waiting=max([e["requests_waiting"] for e in targets.values() if "requests_waiting" in e] or [None],
                                 key=lambda x: -1 if x is None else x),
    )


async def scrape_all(session, urls, timeout=10.0):
    """{url: summary} for every URL; a URL that cannot be read gets {"error": ...} (never raises)."""
    import asyncio

    import aiohttp

    async def one(url):
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                text = await resp.text(errors="replace")
                if resp.status != 200:
                    return url, {"error": "HTTP %d" % resp.status}
                return url, summarize(parse(text))
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            return url, {"error": "%s: %s" % (type(exc).__name__, exc)}

    results = await asyncio.gather(*[one(u) for u in urls])
    return dict(results)
