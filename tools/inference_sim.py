#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A small OpenAI-compatible inference simulator with vLLM-style behaviour, for tests and the local demo.

    python tools/inference_sim.py --port 8000 --ttft-ms 50 --itl-ms 10 --model sim-a --model sim-b

Endpoints: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions`` (streaming SSE and
non-streaming), ``GET /metrics`` (Prometheus text with vLLM's metric names), ``GET /health``, and for tests
``GET /sim/stats`` (the simulator's own timing error), ``POST /sim/config`` (change options at run time) and
``POST /sim/reset`` (clear counters, stats and the prefix cache).

Behaviour, all deterministic (``--seed``):

* Tokenizer: one token per whitespace-separated word. A completion prompt's tokens are its words; a chat
  prompt's tokens are, per message, the role and the words of its text content. Each output token is one word
  with a leading space, so re-tokenizing the streamed text with the same rule gives the same count.
* Output length: ``max_tokens`` (default 16). Without ``ignore_eos`` and with ``--eos-after N`` > 0 the request
  "hits EOS" after ``max(min_tokens, N)`` tokens if that is shorter (finish_reason ``stop``).
* Timing: the first token is written TTFT after the request body was read; token *i* follows token *i-1* after
  ITL. TTFT = ``--ttft-ms`` ± ``--ttft-jitter-ms`` (uniform) + injected latency − ``--cache-hit-ms-per-block`` ×
  cached blocks (never below 0); each ITL = ``--itl-ms`` ± ``--itl-jitter-ms`` (tokens due at the same instant,
  as with ITL 0, go out in one write: that is how to offer a client more events than one write each allows).
  Writes are driven by one
  timer heap on a Linux ``timerfd`` (nanosecond deadlines; asyncio's own timers round up to whole
  milliseconds), one pre-encoded ``transport.write`` per event. ``/sim/stats`` reports how late the actual
  writes were against their schedule (measured after ``write`` returned), and the process prints it at exit.
* Streaming like vLLM: chat streams start with a role-only chunk (``delta: {role: assistant, content: ""}``)
  written together with the first token (``--early-role-chunk`` writes it on arrival instead); the last token
  chunk carries ``finish_reason``; with ``stream_options.include_usage`` a usage-only chunk (``choices: []``)
  follows; then ``data: [DONE]``.
* Prefix cache: prompt tokens are cut into blocks of ``--block-size`` (16) tokens; a block's hash chains its
  parent's, and an LRU of ``--cache-blocks`` hashes holds what was seen. A request hits the longest run of
  leading cached blocks (at most ``(prompt_tokens - 1) // block_size``, like vLLM which always computes one
  token); its blocks are inserted on arrival. ``vllm:prefix_cache_queries_total`` counts prompt tokens,
  ``vllm:prefix_cache_hits_total`` cached tokens; usage carries ``prompt_tokens_details.cached_tokens``.
* Capacity: at most ``--max-num-seqs`` requests run at once, the others wait (``vllm:num_requests_waiting``);
  beyond ``--max-concurrency`` requests in total the server answers 429.
* Faults: ``--error-rate`` of requests get HTTP 500; ``--drop-rate`` of streams are cut after
  ``--drop-after`` tokens (the connection is closed, no ``[DONE]``); ``--slow-rate`` of requests get
  ``--slow-ms`` more TTFT.
"""

import argparse
import array
import asyncio
import ctypes
import ctypes.util
import heapq
import json
import os
import random
import signal
import sys
import time
import uuid
import zlib
from collections import OrderedDict

from aiohttp import web

DEFAULTS = dict(
    ttft_ms=50.0, itl_ms=10.0, ttft_jitter_ms=0.0, itl_jitter_ms=0.0, default_max_tokens=16, eos_after=0,
    block_size=16, cache_blocks=8192, cache_hit_ms_per_block=0.5, max_num_seqs=1024, max_concurrency=0,
    error_rate=0.0, drop_rate=0.0, drop_after=4, slow_rate=0.0, slow_ms=0.0, early_role_chunk=False, seed=0,
)
VOCAB = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()
FINISH_REASONS = {"stop": 0, "length": 0, "abort": 0}  # vLLM exports every reason from the start
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)
E2E_BUCKETS = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
               480.0, 960.0, 1920.0, 7680.0)


def tokenize_prompt(prompt):
    if isinstance(prompt, list):  # a batch or token ids: count each element as one token
        return [str(p) for p in prompt]
    return str(prompt).split()


def tokenize_messages(messages):
    tokens = []
    for message in messages or []:
        tokens.append(str(message.get("role", "")))
        content = message.get("content") or ""
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        tokens.extend(str(content).split())
    return tokens


class PrefixCache(object):
    """An LRU of chained block hashes; lookup() returns how many leading full blocks are cached."""

    def __init__(self, block_size, capacity):
        self.block_size = block_size
        self.capacity = capacity
        self.blocks = OrderedDict()

    def block_hashes(self, model, tokens):
        hashes, parent = [], hash(model)
        for start in range(0, len(tokens) - len(tokens) % self.block_size, self.block_size):
            parent = hash((parent, tuple(tokens[start:start + self.block_size])))
            hashes.append(parent)
        return hashes

    def lookup_and_insert(self, model, tokens):
        hashes = self.block_hashes(model, tokens)
        hit = 0
        for h in hashes[:max(0, (len(tokens) - 1) // self.block_size)]:
            if h not in self.blocks:
                break
            hit += 1
        for h in hashes:
            self.blocks[h] = True
            self.blocks.move_to_end(h)
        while len(self.blocks) > self.capacity:
            self.blocks.popitem(last=False)
        return hit


class Histogram(object):
    def __init__(self, buckets):
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.count = 0
        self.sum = 0.0

    def observe(self, value):
        self.count += 1
        self.sum += value
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1
                break

    def render(self, name, labels):
        lines, cumulative = [], 0
        for bound, count in zip(self.buckets, self.counts):
            cumulative += count
            lines.append('%s_bucket{%s,le="%s"} %d' % (name, labels, bound, cumulative))
        lines.append('%s_bucket{%s,le="+Inf"} %d' % (name, labels, self.count))
        lines.append("%s_count{%s} %d" % (name, labels, self.count))
        lines.append("%s_sum{%s} %r" % (name, labels, self.sum))
        return lines


class ModelStats(object):
    def __init__(self):
        self.running = 0
        self.waiting = 0
        self.success = {}
        self.queries = 0
        self.hits = 0
        self.prompt_tokens = 0
        self.generation_tokens = 0
        self.requests = 0
        self.failures = {}
        self.ttft = Histogram(TTFT_BUCKETS)
        self.e2e = Histogram(E2E_BUCKETS)


class TimerHeap(object):
    """Runs callbacks at absolute loop.time() deadlines with sub-millisecond precision.

    asyncio's selector rounds its timeout up to whole milliseconds; a Linux timerfd (CLOCK_MONOTONIC, the clock
    of loop.time()) armed for the earliest deadline wakes the loop on time. Without timerfd (not Linux) it
    falls back to loop.call_at."""

    class _Spec(ctypes.Structure):
        _fields_ = [("interval_sec", ctypes.c_long), ("interval_nsec", ctypes.c_long),
                    ("value_sec", ctypes.c_long), ("value_nsec", ctypes.c_long)]

    def __init__(self, loop):
        self.loop = loop
        self.heap = []
        self.seq = 0
        self.armed = None
        self.fd = -1
        try:
            self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            self.fd = self.libc.timerfd_create(time.CLOCK_MONOTONIC, os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            self.fd = -1
        if self.fd >= 0:
            loop.add_reader(self.fd, self._fire)

    def call_at(self, when, callback, *args):
        if self.fd < 0:
            self.loop.call_at(when, callback, *args)
            return
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, callback, args))
        if self.armed is None or when < self.armed:
            self._arm(when)

    def _arm(self, when):
        self.armed = when
        when = max(when, 1e-9)
        sec = int(when)
        spec = self._Spec(0, 0, sec, int((when - sec) * 1e9) or 1)
        self.libc.timerfd_settime(self.fd, 1, ctypes.byref(spec), None)  # 1 = TFD_TIMER_ABSTIME

    def _fire(self):
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            pass
        self.armed = None
        heap = self.heap
        while heap:
            now = time.monotonic()
            if heap[0][0] > now:
                self._arm(heap[0][0])
                return
            _, _, callback, args = heapq.heappop(heap)
            callback(*args)


class Simulator(object):
    def __init__(self, models, **options):
        self.models = list(models)
        self.options = dict(DEFAULTS)
        self.options.update(options)
        self.timers = None
        self.reset()

    def reset(self):
        self.rng = random.Random(self.options["seed"])
        self.cache = PrefixCache(int(self.options["block_size"]), int(self.options["cache_blocks"]))
        self.stats = dict((m, ModelStats()) for m in self.models)
        self.lateness = array.array("d")
        self.events_per_second = {}  # int(monotonic second) -> SSE events written in it
        self.slots = None

    def configure(self, changes):
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError("unknown option(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
        self.options.update(changes)
        if "block_size" in changes or "cache_blocks" in changes:
            self.cache = PrefixCache(int(self.options["block_size"]), int(self.options["cache_blocks"]))
        if "seed" in changes:
            self.rng = random.Random(self.options["seed"])
        if "max_num_seqs" in changes:
            self.slots = None

    # -- HTTP handlers ---------------------------------------------------------------------------------------
    async def list_models(self, request):
        created = int(time.time())
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": created, "owned_by": "llmd-xks-sim", "root": m,
             "max_model_len": 131072} for m in self.models]})

    async def health(self, request):
        return web.Response(text="")

    async def sim_stats(self, request):
        return web.json_response(self.timing_stats())

    async def sim_config(self, request):
        try:
            self.configure(await request.json())
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.options)

    async def sim_reset(self, request):
        self.reset()
        return web.json_response({"reset": True})

    def timing_stats(self):
        values = sorted(self.lateness)
        count = len(values)

        def pct(p):
            return round(values[min(count - 1, int(p / 100.0 * count))] * 1000, 4) if count else 0.0
        busy = sorted(self.events_per_second.items())[1:-1]  # whole seconds only
        return {"events": count, "sse_events": sum(self.events_per_second.values()),
                "peak_events_per_s": max([n for _, n in busy] or [0]),
                "mean_events_per_s": round(sum(n for _, n in busy) / len(busy), 1) if busy else 0.0,
                "lateness_ms": {"p50": pct(50), "p90": pct(90), "p99": pct(99),
                                                 "max": round(values[-1] * 1000, 4) if count else 0.0,
                                                 "mean": round(sum(values) / count * 1000, 4) if count else 0.0},
                "models": dict((m, {"requests": s.requests, "success": sum(s.success.values()),
                                    "failures": dict(s.failures), "prefix_cache_queries": s.queries,
                                    "prefix_cache_hits": s.hits}) for m, s in self.stats.items())}

    async def metrics(self, request):
        lines = []

        def family(name, kind, help_text, samples):
            lines.append("# HELP %s %s" % (name, help_text))
            lines.append("# TYPE %s %s" % (name, kind))
            lines.extend(samples)
        labels = dict((m, 'engine="0",model_name="%s"' % m) for m in self.models)
        stats = self.stats.items()
        family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.",
               ["vllm:num_requests_running{%s} %d" % (labels[m], s.running) for m, s in stats])
        family("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.",
               ["vllm:num_requests_waiting{%s} %d" % (labels[m], s.waiting) for m, s in stats])
        family("vllm:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.",
               ["vllm:prefix_cache_queries_total{%s} %d" % (labels[m], s.queries) for m, s in stats])
        family("vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.",
               ["vllm:prefix_cache_hits_total{%s} %d" % (labels[m], s.hits) for m, s in stats])
        family("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.",
               ["vllm:prompt_tokens_total{%s} %d" % (labels[m], s.prompt_tokens) for m, s in stats])
        family("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.",
               ["vllm:generation_tokens_total{%s} %d" % (labels[m], s.generation_tokens) for m, s in stats])
        family("vllm:request_success_total", "counter", "Count of successfully processed requests.",
               ['vllm:request_success_total{%s,finished_reason="%s"} %d' % (labels[m], reason, n)
                for m, s in stats for reason, n in sorted(dict(FINISH_REASONS, **s.success).items())])
        family("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.",
               ["vllm:kv_cache_usage_perc{%s} %r" % (labels[m], len(self.cache.blocks) / float(self.cache.capacity))
                for m in self.models])
        ttft, e2e = [], []
        for m, s in stats:
            ttft.extend(s.ttft.render("vllm:time_to_first_token_seconds", labels[m]))
            e2e.extend(s.e2e.render("vllm:e2e_request_latency_seconds", labels[m]))
        family("vllm:time_to_first_token_seconds", "histogram", "Histogram of time to first token in seconds.", ttft)
        family("vllm:e2e_request_latency_seconds", "histogram", "Histogram of e2e request latency in seconds.", e2e)
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    async def completions(self, request):
        return await self._generate(request, chat=False)

    async def chat_completions(self, request):
        return await self._generate(request, chat=True)

    # -- generation -------------------------------------------------------------------------------------------
    def _error(self, status, message, kind, stats=None, reason=None):
        if stats is not None:
            stats.failures[reason] = stats.failures.get(reason, 0) + 1
        return web.json_response({"object": "error", "message": message, "type": kind, "param": None,
                                  "code": status}, status=status)

    async def _generate(self, request, chat):
        arrival = time.monotonic()
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "the request body is not JSON", "BadRequestError")
        model = body.get("model") or self.models[0]
        if model not in self.stats:
            return self._error(404, "The model `%s` does not exist." % model, "NotFoundError")
        stats = self.stats[model]
        stats.requests += 1
        opts, rng = self.options, self.rng
        limit = int(opts["max_concurrency"] or 0)
        if limit and stats_total(self.stats) >= limit:
            return self._error(429, "too many concurrent requests (max_concurrency %d)" % limit, "RateLimitError",
                               stats, "rate_limited")
        # draw every random decision up front and in a fixed order, so a seed gives the same run
        fail = rng.random() < opts["error_rate"]
        drop = rng.random() < opts["drop_rate"]
        slow = rng.random() < opts["slow_rate"]
        ttft_jitter = rng.uniform(-opts["ttft_jitter_ms"], opts["ttft_jitter_ms"]) if opts["ttft_jitter_ms"] else 0.0
        if fail:
            return self._error(500, "injected server error", "InternalServerError", stats, "injected_500")
        tokens = tokenize_messages(body.get("messages")) if chat else tokenize_prompt(body.get("prompt", ""))
        prompt_len = max(1, len(tokens))
        cached_blocks = self.cache.lookup_and_insert(model, tokens)
        cached = cached_blocks * self.cache.block_size
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or opts["default_max_tokens"]
        out_len = max(1, int(max_tokens))
        if not body.get("ignore_eos") and opts["eos_after"]:
            out_len = min(out_len, max(int(body.get("min_tokens") or 0), int(opts["eos_after"])))
        finish = "length" if out_len == int(max_tokens) else "stop"
        ttft = max(0.0, opts["ttft_ms"] + ttft_jitter + (opts["slow_ms"] if slow else 0.0)
                   - opts["cache_hit_ms_per_block"] * cached_blocks) / 1000.0
        itl, itl_jitter = opts["itl_ms"] / 1000.0, opts["itl_jitter_ms"] / 1000.0
        gaps = [max(0.0, itl + rng.uniform(-itl_jitter, itl_jitter)) if itl_jitter else itl for _ in range(out_len - 1)]
        seed = zlib.crc32(" ".join(tokens[:64]).encode())  # same prompt, same output words, in any process
        words = [VOCAB[(seed + i) % len(VOCAB)] for i in range(out_len)]
        if self.slots is None:
            self.slots = asyncio.Semaphore(int(opts["max_num_seqs"]))
        stats.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            stats.waiting -= 1
        stats.running += 1
        stats.queries += prompt_len
        stats.hits += cached
        stats.prompt_tokens += prompt_len
        start = time.monotonic()
        try:
            usage = {"prompt_tokens": prompt_len, "completion_tokens": out_len, "total_tokens": prompt_len + out_len,
                     "prompt_tokens_details": {"cached_tokens": cached}}
            rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                cut = int(opts["drop_after"]) if drop else None
                result = await self._stream(request, chat, rid, model, words, start + ttft, gaps, finish,
                                            usage if include_usage else None, cut)
            else:
                await asyncio.sleep(max(0.0, start + ttft + sum(gaps) - time.monotonic()))
                result = self._full_response(chat, rid, model, words, finish, usage)
            if not isinstance(result, web.StreamResponse):  # cut on purpose, or the client went away
                stats.failures[result] = stats.failures.get(result, 0) + 1
                return web.Response(status=499)  # never sent: the connection is closed
            stats.generation_tokens += out_len
            stats.success[finish] = stats.success.get(finish, 0) + 1
            stats.ttft.observe(ttft + (start - arrival))
            stats.e2e.observe(time.monotonic() - arrival)
            return result
        finally:
            stats.running -= 1
            self.slots.release()

    def _full_response(self, chat, rid, model, words, finish, usage):
        text = "".join(" " + w for w in words)
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": []},
                      "logprobs": None, "finish_reason": finish}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            obj = "text_completion"
        return web.json_response({"id": rid, "object": obj, "created": int(time.time()), "model": model,
                                  "choices": [choice], "usage": usage})

    async def _stream(self, request, chat, rid, model, words, first_at, gaps, finish, usage, cut):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        writer = await response.prepare(request)
        writer.send_headers()
        transport = request.transport
        created = int(time.time())
        if chat:
            head = ('data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":"%s","choices":'
                    '[{"index":0,"delta":{"content":" ' % (rid, created, model)).encode()
            tail = b'"},"logprobs":null,"finish_reason":null}]}\n\n'
            last_tail = ('"},"logprobs":null,"finish_reason":"%s"}]}\n\n' % finish).encode()
            role = ('data: {"id":"%s","object":"chat.completion.chunk","created":%d,"model":"%s","choices":'
                    '[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}'
                    '\n\n' % (rid, created, model)).encode()
        else:
            head = ('data: {"id":"%s","object":"text_completion","created":%d,"model":"%s","choices":'
                    '[{"index":0,"text":" ' % (rid, created, model)).encode()
            tail = b'","logprobs":null,"finish_reason":null,"stop_reason":null}]}\n\n'
            last_tail = ('","logprobs":null,"finish_reason":"%s","stop_reason":null}]}\n\n' % finish).encode()
            role = b""
        end = b""
        if usage is not None:
            end = ('data: {"id":"%s","object":"%s","created":%d,"model":"%s","choices":[],"usage":%s}\n\n' % (
                rid, "chat.completion.chunk" if chat else "text_completion", created, model,
                json.dumps(usage, separators=(",", ":")))).encode()
        end += b"data: [DONE]\n\n"
        if role and self.options["early_role_chunk"]:
            transport.write(b"%x\r\n%s\r\n" % (len(role), role))
            role = b""
        done = asyncio.get_running_loop().create_future()
        last = len(words) - 1
        state = {"i": 0, "when": first_at}
        lateness, per_second = self.lateness, self.events_per_second
        extra_events = 1 + (usage is not None)  # the usage chunk and [DONE] go with the last token

        def tick():
            if transport.is_closing():
                if not done.done():
                    done.set_result("client_disconnected")
                return
            parts = []
            i = state["i"]
            while True:  # events due at the same instant (ITL 0) go out in one write
                if cut is not None and i >= cut:
                    if parts:
                        transport.write(b"".join(parts))
                    transport.close()  # flushes what was written, then closes: no terminating chunk, no [DONE]
                    done.set_result("injected_drop")
                    return
                payload = head + words[i].encode() + (last_tail if i == last else tail)
                if i == 0 and role:
                    payload = role + payload
                if i == last:
                    payload += end
                parts.append(b"%x\r\n%s\r\n" % (len(payload), payload))
                if i == last or gaps[i] > 0:
                    break
                i += 1
            transport.write(parts[0] if len(parts) == 1 else b"".join(parts))
            now = time.monotonic()
            lateness.append(now - state["when"])
            second = int(now)
            per_second[second] = per_second.get(second, 0) + (i - state["i"] + 1) + extra_events * (i == last) + \
                (state["i"] == 0 and bool(role))
            if i == last:
                done.set_result("ok")
                return
            state["i"] = i + 1
            state["when"] += gaps[i]
            self.timers.call_at(state["when"], tick)

        self.timers.call_at(first_at, tick)
        outcome = await done
        if outcome != "ok":
            return outcome
        await response.write_eof()
        return response


def stats_total(stats):
    return sum(s.running + s.waiting for s in stats.values())


def build_app(sim):
    app = web.Application(client_max_size=64 * 1024 * 1024)

    async def on_startup(app):
        sim.timers = TimerHeap(asyncio.get_running_loop())
    app.on_startup.append(on_startup)
    app.router.add_get("/v1/models", sim.list_models)
    app.router.add_post("/v1/completions", sim.completions)
    app.router.add_post("/v1/chat/completions", sim.chat_completions)
    app.router.add_get("/metrics", sim.metrics)
    app.router.add_get("/health", sim.health)
    app.router.add_get("/sim/stats", sim.sim_stats)
    app.router.add_post("/sim/config", sim.sim_config)
    app.router.add_post("/sim/reset", sim.sim_reset)
    return app


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed when ready)")
    parser.add_argument("--model", action="append", dest="models",
                        help="a served model name; repeat for several (default: sim-model)")
    for name, default in sorted(DEFAULTS.items()):
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true", default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    return parser.parse_args(argv)


async def serve(args):
    options = dict((k, getattr(args, k)) for k in DEFAULTS)
    sim = Simulator(args.models or ["sim-model"], **options)
    runner = web.AppRunner(build_app(sim), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, backlog=4096, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print("inference-sim ready at http://%s:%d models=%s" % (args.host, port, ",".join(sim.models)), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("inference-sim timing: %s" % json.dumps(sim.timing_stats()), file=sys.stderr, flush=True)
    await runner.cleanup()


def main(argv=None):
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
