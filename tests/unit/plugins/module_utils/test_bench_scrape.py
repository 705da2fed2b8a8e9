# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Prometheus scrape of vLLM and endpoint-picker metrics: parser, summary, before/after deltas."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio

import aiohttp
import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _bench_scrape as scrape

from bench_sse import SSEServer

TEXT = """# HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 1200.0
vllm:prefix_cache_queries_total{engine="0",model_name="Qwen/Qwen3-0.6B"} 4000.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="Qwen/Qwen3-0.6B"} 90.0
vllm:request_success_total{engine="0",finished_reason="stop",model_name="Qwen/Qwen3-0.6B"} 10.0
vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-0.6B"} 3.0
vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-0.6B"} 5.0
vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-0.6B"} 0.25
inference_pool_average_queue_size{name="pool \\"a\\""} 1.5
"""

OLD = """vllm:gpu_prefix_cache_hits_total{model_name="m"} 10
vllm:gpu_prefix_cache_queries_total{model_name="m"} 40
"""


def test_fallback_parser(monkeypatch):
    monkeypatch.setattr(scrape, "_families", None)
    samples = scrape.parse(TEXT)
    assert ("vllm:num_requests_waiting", {"engine": "0", "model_name": "Qwen/Qwen3-0.6B"}, 3.0) in samples
    assert ("inference_pool_average_queue_size", {"name": 'pool "a"'}, 1.5) in samples
    assert len(samples) == 8


def test_summary_new_and_old_names(monkeypatch):
    monkeypatch.setattr(scrape, "_families", None)
    s = scrape.summarize(scrape.parse(TEXT))
    assert (s["prefix_cache_hits"], s["prefix_cache_queries"], s["request_success"]) == (1200, 4000, 100)
    assert (s["requests_waiting"], s["requests_running"], s["kv_cache_usage"]) == (3, 5, 0.25)
    assert s["epp"] == {'inference_pool_average_queue_size{name=pool "a"}': 1.5}
    old = scrape.summarize(scrape.parse(OLD))
    assert (old["prefix_cache_hits"], old["prefix_cache_queries"]) == (10, 40)


def test_diff_hit_rate_and_share():
    before = {"a": dict(prefix_cache_hits=100, prefix_cache_queries=200, request_success=10),
              "b": dict(prefix_cache_hits=0, prefix_cache_queries=0, request_success=0)}
    after = {"a": dict(prefix_cache_hits=400, prefix_cache_queries=600, request_success=40, requests_waiting=2),
             "b": dict(prefix_cache_hits=100, prefix_cache_queries=400, request_success=10, requests_waiting=7)}
    d = scrape.diff(before, after)
    assert d["targets"]["a"]["prefix_cache_hit_rate"] == pytest.approx(0.75)
    assert d["targets"]["b"]["prefix_cache_hit_rate"] == pytest.approx(0.25)
    assert d["prefix_cache_hit_rate"] == pytest.approx(400 / 800.0)
    assert d["targets"]["a"]["request_share"] == pytest.approx(0.75) and d["requests"] == 40
    assert d["max_requests_waiting"] == 7


def test_scrape_all_reads_and_reports_unreachable():
    srv = SSEServer().start()
    try:
        async def go():
            async with aiohttp.ClientSession() as session:
                return await scrape.scrape_all(session, [srv.url + "/metrics", "http://127.0.0.1:9/metrics", srv.url + "/nope"],
                                               timeout=2)
        out = asyncio.run(go())
    finally:
        srv.stop()
    assert out[srv.url + "/metrics"]["prefix_cache_queries"] == 0
    assert "error" in out["http://127.0.0.1:9/metrics"]
    assert out[srv.url + "/nope"] == {"error": "HTTP 404"}
