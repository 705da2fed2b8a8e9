# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The inference simulator (tools/inference_sim.py) served in-process on a free port, driven with aiohttp."""
import asyncio
import json
import os
import re
import sys
import time

import aiohttp
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import inference_sim  # noqa: E402


def run_with_sim(scenario, models=("sim-a", "sim-b"), route_prefixes=(), **options):
    """Start the simulator with options, run scenario(session, base_url, sim) and return its result."""
    async def main():
        sim = inference_sim.Simulator(models, **options)
        server = await inference_sim.HttpServer(sim, route_prefixes).start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                return await scenario(session, "http://127.0.0.1:%d" % server.port, sim)
        finally:
            server.close()
    return asyncio.run(main())


async def read_events(resp):
    """The SSE data payloads, each with its arrival time."""
    events, buffer = [], b""
    async for chunk in resp.content.iter_any():
        now = time.monotonic()
        buffer += chunk
        while b"\n\n" in buffer:
            message, buffer = buffer.split(b"\n\n", 1)
            assert message.startswith(b"data: "), message
            events.append((now, message[6:].decode()))
    assert buffer == b""
    return events


def metric(text, name, model):
    """The sum of the samples of name for model (over the other labels), None when there is none."""
    found = re.findall(r'^%s\{[^}]*model_name="%s"[^}]*\} (\S+)$' % (re.escape(name), model), text, re.M)
    return sum(float(v) for v in found) if found else None


def test_routes_under_a_prefix_as_behind_kserves_rewrite():
    async def scenario(session, url, sim):
        found = []
        for path in ("/llm-d/model/v1/completions", "/v1/completions", "/other/v1/completions", "/llm-d/modelx/v1/completions"):
            async with session.post(url + path, json={"model": "sim-a", "prompt": "a b", "max_tokens": 2}) as resp:
                found.append(resp.status)
        return found
    assert run_with_sim(scenario, route_prefixes=["/llm-d/model/"]) == [200, 200, 404, 404]
    assert inference_sim.parse_args(["--route-prefix", "/a/b", "--route-prefix", "/c/d"]).route_prefixes == ["/a/b", "/c/d"]


def test_chat_stream_role_chunk_usage_and_done():
    async def scenario(session, url, sim):
        body = {"model": "sim-b", "messages": [{"role": "user", "content": "one two three"}], "max_tokens": 5,
                "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}}
        start = time.monotonic()
        async with session.post(url + "/v1/chat/completions", json=body) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            return start, await read_events(resp)
    start, events = run_with_sim(scenario, ttft_ms=40, itl_ms=15)
    payloads = [p for dummy, p in events]
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    tokens = [c for c in chunks[1:] if c["choices"]]
    assert [c["choices"][0]["delta"]["content"].startswith(" ") for c in tokens] == [True] * 5
    assert [c["choices"][0]["finish_reason"] for c in tokens] == [None] * 4 + ["length"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9, "prompt_tokens_details": {"cached_tokens": 0}}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["object"] == "chat.completion.chunk"
    # the role chunk arrives with the first token (vLLM writes both in one step); then one token per ITL
    # client-side times carry this process's own scheduling delays (client and server share the loop):
    # only check that nothing comes early and the whole stream takes about TTFT + 4 x ITL
    times = [t for t, dummy in events]
    assert times[0] - start >= 0.040
    assert 0.040 + 4 * 0.015 <= times[5] - start < 0.040 + 4 * 0.015 + 0.060


def test_completion_stream_without_usage_and_non_streaming():
    async def scenario(session, url, sim):
        body = {"model": "sim-a", "prompt": "a b c d", "max_tokens": 3, "stream": True}
        async with session.post(url + "/v1/completions", json=body) as resp:
            events = await read_events(resp)
        async with session.post(url + "/v1/completions", json=dict(body, stream=False)) as resp:
            full = await resp.json()
        async with session.get(url + "/v1/models") as resp:
            models = await resp.json()
        return events, full, models
    events, full, models = run_with_sim(scenario, ttft_ms=5, itl_ms=1)
    payloads = [p for dummy, p in events]
    assert payloads[-1] == "[DONE]" and len(payloads) == 4  # 3 tokens, no usage chunk without include_usage
    texts = "".join(json.loads(p)["choices"][0]["text"] for p in payloads[:-1])
    assert full["choices"][0]["text"] == texts  # same prompt, same words
    assert full["usage"]["completion_tokens"] == 3 and full["usage"]["prompt_tokens"] == 4
    assert [m["id"] for m in models["data"]] == ["sim-a", "sim-b"]


def test_eos_min_tokens_and_unknown_model():
    async def scenario(session, url, sim):
        out = []
        for extra in ({}, {"ignore_eos": True}, {"min_tokens": 6}):
            body = dict({"model": "sim-a", "prompt": "x", "max_tokens": 10}, **extra)
            async with session.post(url + "/v1/completions", json=body) as resp:
                data = await resp.json()
                out.append((data["usage"]["completion_tokens"], data["choices"][0]["finish_reason"]))
        async with session.post(url + "/v1/completions", json={"model": "nope", "prompt": "x"}) as resp:
            out.append(resp.status)
        return out
    assert run_with_sim(scenario, ttft_ms=1, itl_ms=0, eos_after=3) == [(3, "stop"), (10, "length"), (6, "stop"), 404]


def test_prefix_cache_hits_shorten_ttft_and_count_in_metrics():
    prefix = " ".join("w%d" % i for i in range(40))  # 2 full blocks of 16 + 8

    async def scenario(session, url, sim):
        usages = []
        for suffix in ("first question here", "second question here"):
            body = {"model": "sim-a", "prompt": prefix + " " + suffix, "max_tokens": 2,
                    "stream": True, "stream_options": {"include_usage": True}}
            start = time.monotonic()
            async with session.post(url + "/v1/completions", json=body) as resp:
                events = await read_events(resp)
            usages.append((events[0][0] - start, json.loads(events[-2][1])["usage"]))
        async with session.get(url + "/metrics") as resp:
            return usages, await resp.text()
    usages, text = run_with_sim(scenario, ttft_ms=60, itl_ms=1, cache_hit_ms_per_block=20)
    (ttft1, u1), (ttft2, u2) = usages
    assert u1["prompt_tokens"] == 43 and u1["prompt_tokens_details"]["cached_tokens"] == 0
    assert u2["prompt_tokens_details"]["cached_tokens"] == 32
    assert ttft1 >= 0.060 and 0.020 <= ttft2 < 0.045  # 60 ms - 2 blocks x 20 ms
    assert metric(text, "vllm:prefix_cache_queries_total", "sim-a") == 86
    assert metric(text, "vllm:prefix_cache_hits_total", "sim-a") == 32
    assert metric(text, "vllm:request_success_total", "sim-a") == 2
    assert metric(text, "vllm:prefix_cache_hits_total", "sim-b") == 0
    assert metric(text, "vllm:time_to_first_token_seconds_count", "sim-a") == 2
    assert metric(text, "vllm:e2e_request_latency_seconds_count", "sim-a") == 2
    assert 'vllm:time_to_first_token_seconds_bucket{engine="0",model_name="sim-a",le="0.04"} 1' in text
    assert 'vllm:request_success_total{engine="0",model_name="sim-b",finished_reason="abort"} 0' in text


def test_prefix_cache_lru_evicts():
    cache = inference_sim.PrefixCache(block_size=2, capacity=2)
    assert cache.lookup_and_insert("m", ["a", "b", "c", "d", "e"]) == 0
    assert cache.lookup_and_insert("m", ["a", "b", "c", "d", "x"]) == 2
    assert cache.lookup_and_insert("m", ["a", "b", "c", "d"]) == 1  # one token always computed
    assert cache.lookup_and_insert("other", ["a", "b", "c"]) == 0  # the model is part of the hash
    assert cache.lookup_and_insert("m", ["a", "b", "c"]) == 0  # evicted by the other model's block


def test_fault_injection_500_and_cut_streams():
    async def scenario(session, url, sim):
        outcomes = []
        for dummy in range(30):
            body = {"model": "sim-a", "prompt": "p", "max_tokens": 8, "stream": True}
            async with session.post(url + "/v1/completions", json=body) as resp:
                if resp.status != 200:
                    outcomes.append(resp.status)
                    continue
                try:
                    events = await read_events(resp)
                    outcomes.append("done" if events[-1][1] == "[DONE]" else "no-done")
                except aiohttp.ClientPayloadError:
                    outcomes.append("cut")
        stats = sim.timing_stats()["models"]["sim-a"]
        async with session.get(url + "/metrics") as resp:
            return outcomes, stats, await resp.text()
    outcomes, stats, text = run_with_sim(scenario, ttft_ms=1, itl_ms=1, error_rate=0.3, drop_rate=0.3,
                                         drop_after=2, seed=7)
    assert set(outcomes) == {500, "cut", "done"}
    assert stats["failures"] == {"injected_500": outcomes.count(500), "injected_drop": outcomes.count("cut")}
    assert metric(text, "vllm:request_success_total", "sim-a") == outcomes.count("done")


def test_max_concurrency_answers_429_and_runtime_config():
    async def scenario(session, url, sim):
        async with session.post(url + "/sim/config", json={"max_concurrency": 2}) as resp:
            assert resp.status == 200
        async with session.post(url + "/sim/config", json={"bogus": 1}) as resp:
            assert resp.status == 400 and "bogus" in (await resp.json())["error"]

        async def one():
            async with session.post(url + "/v1/completions", json={"prompt": "p", "max_tokens": 3}) as resp:
                await resp.read()
                return resp.status
        statuses = await asyncio.gather(*[one() for dummy in range(5)])
        async with session.post(url + "/sim/reset") as resp:
            assert resp.status == 200
        return statuses, sim.timing_stats()
    statuses, stats = run_with_sim(scenario, ttft_ms=50, itl_ms=5)
    assert sorted(statuses) == [200, 200, 429, 429, 429]
    assert stats["models"]["sim-a"]["requests"] == 0  # reset


def test_timing_error_is_recorded():
    async def scenario(session, url, sim):
        async def one(i):
            body = {"prompt": "p %d" % i, "max_tokens": 20, "stream": True}
            async with session.post(url + "/v1/completions", json=body) as resp:
                return len(await read_events(resp))
        counts = await asyncio.gather(*[one(i) for i in range(20)])
        return counts, sim.timing_stats()
    counts, stats = run_with_sim(scenario, ttft_ms=10, itl_ms=2)
    assert counts == [21] * 20 and stats["events"] == 400
    assert 0 <= stats["lateness_ms"]["p50"] < 20.0  # the precision is measured by tools/bench_compare.py


def test_cli_defaults_parse():
    args = inference_sim.parse_args(["--port", "0", "--model", "m1", "--model", "m2", "--ttft-ms", "5",
                                     "--early-role-chunk"])
    assert args.models == ["m1", "m2"] and args.ttft_ms == 5.0 and args.early_role_chunk and args.itl_ms == 10.0


@pytest.mark.parametrize("messages,want", [
    ([{"role": "user", "content": "a b"}], ["user", "a", "b"]),
    ([{"role": "system", "content": [{"type": "text", "text": "x y"}]}, {"role": "user", "content": None}],
     ["system", "x", "y", "user"]),
])
def test_tokenize_messages(messages, want):
    assert inference_sim.tokenize_messages(messages) == want


def test_zero_itl_writes_a_response_in_one_write():
    async def scenario(session, url, sim):
        body = {"prompt": "p", "max_tokens": 50, "stream": True, "stream_options": {"include_usage": True}}
        async with session.post(url + "/v1/completions", json=body) as resp:
            events = await read_events(resp)
        return events, sim.timing_stats()
    events, stats = run_with_sim(scenario, ttft_ms=1, itl_ms=0)
    assert len(events) == 52 and events[-1][1] == "[DONE]"
    assert stats["events"] == 1 and stats["sse_events"] == 52  # one write, 52 SSE events


async def exchange(port, data, until=b"", close=False):
    """Writes raw bytes on a new connection and reads until ``until`` (or EOF); returns what was read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = b""
    while not (until and until in got):
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        if not chunk:
            break
        got += chunk
    if close:
        writer.close()
    return got, reader, writer


def run_raw(scenario, **options):
    async def main():
        sim = inference_sim.Simulator(["sim-a"], **options)
        server = await inference_sim.HttpServer(sim).start("127.0.0.1", 0)
        try:
            return await scenario(server.port, sim)
        finally:
            server.close()
    return asyncio.run(main())


def test_http_keep_alive_pipelining_and_refusals():
    async def scenario(port, sim):
        results = {}
        # two pipelined requests in one write: two answers, in order, on the same connection
        got, reader, writer = await exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                                                   b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", until=b"sim-a")
        results["pipelined"] = got
        writer.close()
        results["chunked"] = (await exchange(port, b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))[0]
        results["method"] = (await exchange(port, b"GET /v1/completions HTTP/1.1\r\nConnection: close\r\n\r\n"))[0]
        results["path"] = (await exchange(port, b"GET /nope HTTP/1.0\r\n\r\n"))[0]
        results["garbage"] = (await exchange(port, b"hello\r\n\r\n"))[0]
        # Expect: 100-continue: the server asks for the body, then answers
        body = json.dumps({"prompt": "a b", "max_tokens": 2}).encode()
        head = (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n"
                % len(body))
        got, reader, writer = await exchange(port, head, until=b"\r\n\r\n")
        results["continue"] = got
        writer.write(body)
        got = b""
        while b'"usage"' not in got:
            got += await asyncio.wait_for(reader.read(65536), 5)
        results["after_continue"] = got
        writer.close()
        return results
    results = run_raw(scenario, ttft_ms=1, itl_ms=1)
    first, second = results["pipelined"].split(b"HTTP/1.1 200 OK", 2)[1:]
    assert b"Content-Length: 0" in first and b'"id": "sim-a"' in second
    assert results["chunked"].startswith(b"HTTP/1.1 411 ") and b"Connection: close" in results["chunked"]
    assert results["method"].startswith(b"HTTP/1.1 405 ") and b"use POST" in results["method"]
    assert results["path"].startswith(b"HTTP/1.1 404 ") and b"Connection: close" in results["path"]
    assert results["garbage"].startswith(b"HTTP/1.1 400 ")
    assert results["continue"] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert results["after_continue"].startswith(b"HTTP/1.1 200 OK") and b'"completion_tokens": 2' in \
        results["after_continue"]


def test_max_num_seqs_queues_and_the_wait_counts_in_ttft():
    async def scenario(session, url, sim):
        async def one(i):
            body = {"prompt": "q %d" % i, "max_tokens": 5, "ignore_eos": True, "stream": True}
            start = time.monotonic()
            async with session.post(url + "/v1/completions", json=body) as resp:
                events = await read_events(resp)
            return events[0][0] - start, len(events)
        tasks = [asyncio.ensure_future(one(i)) for i in range(3)]
        await asyncio.sleep(0.01)
        async with session.get(url + "/metrics") as resp:
            during = await resp.text()
        results = await asyncio.gather(*tasks)
        return results, during, sim.timing_stats(), sim.stats["sim-a"]
    results, during, stats, model = run_with_sim(scenario, models=("sim-a",), ttft_ms=20, itl_ms=10, max_num_seqs=1)
    assert metric(during, "vllm:num_requests_running", "sim-a") == 1
    assert metric(during, "vllm:num_requests_waiting", "sim-a") == 2
    ttfts = sorted(ttft for ttft, count in results)
    assert [count for ttft, count in results] == [6, 6, 6]
    # each request runs 20 + 4 x 10 = 60 ms; the second and third waited one and two of those before their TTFT
    assert 0.019 < ttfts[0] < 0.045 and 0.075 < ttfts[1] < 0.12 and 0.135 < ttfts[2] < 0.2
    served = sorted(stats["first_token_ms"][p] for p in ("p50", "max"))
    assert stats["first_token_ms"]["count"] == 3 and 75 < served[0] < 120 and 135 < served[1] < 200
    assert (model.running, model.waiting) == (0, 0)


def test_served_ttft_counts_from_arrival_and_since_limits_it():
    async def scenario(session, url, sim):
        async def one(i):
            body = {"prompt": "s %d" % i, "max_tokens": 2, "stream": True}
            async with session.post(url + "/v1/completions", json=body) as resp:
                await read_events(resp)
        await asyncio.gather(*[one(i) for i in range(4)])
        middle = time.monotonic()
        await asyncio.gather(*[one(i) for i in range(4, 6)])
        async with session.get(url + "/sim/stats?since=%r" % middle) as resp:
            later = await resp.json()
        async with session.get(url + "/sim/stats?since=soon") as resp:
            bad = resp.status
        return sim.timing_stats(), later, bad
    everything, later, bad = run_with_sim(scenario, ttft_ms=30, itl_ms=1)
    assert everything["first_token_ms"]["count"] == 6 and later["first_token_ms"]["count"] == 2
    assert 30.0 <= everything["first_token_ms"]["p50"] < 45.0  # never early: the schedule counts from arrival
    assert everything["read_delay_ms"]["count"] == 6 and everything["read_delay_ms"]["max"] < 30.0
    assert bad == 400


def test_client_that_goes_away_is_counted_and_frees_its_slot():
    async def scenario(port, sim):
        body = json.dumps({"prompt": "gone", "max_tokens": 50, "stream": True}).encode()
        request = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        got, reader, writer = await exchange(port, request, until=b"data: ")
        writer.close()
        await asyncio.sleep(0.2)
        return got, sim.timing_stats()["models"]["sim-a"], sim.stats["sim-a"].running, sim.running
    got, stats, running, total = run_raw(scenario, ttft_ms=1, itl_ms=20, max_num_seqs=1)
    assert b"text/event-stream" in got and stats["failures"] == {"client_disconnected": 1}
    assert (running, total) == (0, 0)
