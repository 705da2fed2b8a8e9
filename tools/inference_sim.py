#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A small OpenAI-compatible inference simulator with vLLM-style behaviour, for tests and the local demo.

    python tools/inference_sim.py --port 8000 --ttft-ms 50 --itl-ms 10 --model sim-a --model sim-b

Endpoints: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions`` (streaming SSE and
non-streaming), ``GET /metrics`` (Prometheus text with vLLM's metric names), ``GET /health``, and for tests
``GET /sim/stats`` (the simulator's own timing error), ``POST /sim/config`` (change options at run time) and
``POST /sim/reset`` (clear counters, stats and the prefix cache). ``--route-prefix /ns/name`` serves them under
that prefix too, as a gateway that rewrites it would (KServe's ``/<namespace>/<name>/v1/...``).

Behaviour, all deterministic (``--seed``):

* Tokenizer: one token per whitespace-separated word. A completion prompt's tokens are its words; a chat
  prompt's tokens are, per message, the role and the words of its text content. Each output token is one word
  with a leading space, so re-tokenizing the streamed text with the same rule gives the same count.
* Output length: ``max_tokens`` (default 16). Without ``ignore_eos`` and with ``--eos-after N`` > 0 the request
  "hits EOS" after ``max(min_tokens, N)`` tokens if that is shorter (finish_reason ``stop``).
* Timing: the first token is written TTFT after the request arrived, that is after the kernel received its last
  byte (``SO_TIMESTAMPNS`` on Linux; elsewhere when it was read), so the schedule is the one a client sees however
  busy the simulator is; token *i* follows token *i-1* after ITL. TTFT = ``--ttft-ms`` ± ``--ttft-jitter-ms``
  (uniform) + injected latency + time waiting for a ``--max-num-seqs`` slot − ``--cache-hit-ms-per-block`` ×
  cached blocks (never below 0); each ITL = ``--itl-ms`` ± ``--itl-jitter-ms`` (tokens due at the same instant,
  as with ITL 0, go out in one write: that is how to offer a client more events than one write each allows).
  Writes are driven by one timer heap on a Linux ``timerfd`` (nanosecond deadlines; asyncio's own timers round
  up to whole milliseconds), one pre-encoded ``send`` per event; writes already due go first, before the next
  request is parsed. ``/sim/stats`` reports how late the writes were against their schedule (measured after
  ``send`` returned), the TTFT each streamed request was actually served (``first_token_ms``; ``?since=`` a
  ``time.monotonic()`` limits it to requests that arrived later), and how long requests waited to be parsed
  (``read_delay_ms``); the process prints them at exit.
* HTTP: a small HTTP/1.1 server on the event loop (keep-alive, pipelining, ``Content-Length`` bodies,
  ``Expect: 100-continue``; chunked request bodies get 411), written for this simulator because a request must
  be stamped with its arrival time and cost no coroutine: with aiohttp, 500 requests arriving together queued
  for up to 100 ms before their TTFT began.
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
import gc
import heapq
import json
import os
import random
import signal
import socket
import struct
import sys
import time
import urllib.parse
import uuid
import zlib
from collections import OrderedDict, deque

DEFAULTS = dict(
    ttft_ms=50.0, itl_ms=10.0, ttft_jitter_ms=0.0, itl_jitter_ms=0.0, default_max_tokens=16, eos_after=0,
    block_size=16, cache_blocks=8192, cache_hit_ms_per_block=0.5, max_num_seqs=1024, max_concurrency=0,
    error_rate=0.0, drop_rate=0.0, drop_after=4, slow_rate=0.0, slow_ms=0.0, early_role_chunk=False, seed=0,
)
VOCAB = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()
VOCAB_BYTES = [word.encode() for word in VOCAB]
FINISH_REASONS = {"stop": 0, "length": 0, "abort": 0}  # vLLM exports every reason from the start
PLAIN_METRICS = (  # name, type, help (vLLM's), ModelStats attribute
    ("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", "running"),
    ("vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", "waiting"),
    ("vllm:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.",
     "queries"),
    ("vllm:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.", "hits"),
    ("vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", "prompt_tokens"),
    ("vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", "generation_tokens"),
)
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

    def count_failure(self, reason):
        self.failures[reason] = self.failures.get(reason, 0) + 1


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

    def run_due(self):
        """Runs what is due now. Also called before each request is parsed, so a burst of arriving requests does
        not hold back writes that are already due."""
        heap = self.heap
        while heap and heap[0][0] <= time.monotonic():
            _when, _seq, callback, args = heapq.heappop(heap)
            callback(*args)

    def _fire(self):
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            pass
        self.armed = None
        self.run_due()
        if self.heap:
            self._arm(self.heap[0][0])


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
        self.first_token_arrivals = array.array("d")  # per streamed request: when its last request byte arrived
        self.first_token_seconds = array.array("d")  # ... and how long after that its first token was written
        self.read_delays = array.array("d")  # per request: from its arrival at the machine to its parsing
        self.events_per_second = {}  # int(monotonic second) -> SSE events written in it
        self.running = 0
        self.queue = deque()

    def configure(self, changes):
        if not isinstance(changes, dict):
            raise ValueError("the body must be a JSON object of options")
        unknown = sorted(set(changes) - set(DEFAULTS))
        if unknown:
            raise ValueError("unknown option(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
        self.options.update(changes)
        if "block_size" in changes or "cache_blocks" in changes:
            self.cache = PrefixCache(int(self.options["block_size"]), int(self.options["cache_blocks"]))
        if "seed" in changes:
            self.rng = random.Random(self.options["seed"])

    def routes(self):
        return {("GET", "/v1/models"): self.list_models, ("POST", "/v1/completions"): self.completions,
                ("POST", "/v1/chat/completions"): self.chat_completions, ("GET", "/metrics"): self.metrics,
                ("GET", "/health"): self.health, ("GET", "/sim/stats"): self.sim_stats,
                ("POST", "/sim/config"): self.sim_config, ("POST", "/sim/reset"): self.sim_reset}

    # -- HTTP handlers: each answers on conn, now or later -------------------------------------------------------
    def list_models(self, conn, request):
        created = int(time.time())
        conn.respond_json(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": created, "owned_by": "llmd-xks-sim", "root": m,
             "max_model_len": 131072} for m in self.models]})

    def health(self, conn, request):
        conn.respond(200, b"", "text/plain; charset=utf-8")

    def sim_stats(self, conn, request):
        since = request.query.get("since")
        try:
            since = float(since) if since else None
        except ValueError:
            conn.respond_json(400, {"error": "since must be a monotonic time in seconds, not %r" % since})
            return
        conn.respond_json(200, self.timing_stats(since))

    def sim_config(self, conn, request):
        try:
            self.configure(request.json())
        except ValueError as exc:
            conn.respond_json(400, {"error": str(exc)})
            return
        conn.respond_json(200, self.options)

    def sim_reset(self, conn, request):
        self.reset()
        conn.respond_json(200, {"reset": True})

    def timing_stats(self, since=None):
        """The simulator's own exactness. ``first_token_ms``: for streamed requests that arrived at or after
        ``since`` (time.monotonic() seconds, the clock of perf_counter on Linux), the time from the request's
        arrival at the machine to the end of its first token's write: the TTFT a perfect client would measure."""
        def percentiles(values):
            values = sorted(values)
            count = len(values)

            def pct(p):
                return round(values[min(count - 1, int(p / 100.0 * count))] * 1000, 4) if count else 0.0
            return {"count": count, "p50": pct(50), "p90": pct(90), "p99": pct(99),
                    "max": round(values[-1] * 1000, 4) if count else 0.0,
                    "mean": round(sum(values) / count * 1000, 4) if count else 0.0}
        first = self.first_token_seconds
        if since is not None:
            first = [v for a, v in zip(self.first_token_arrivals, first) if a >= since]
        lateness = percentiles(self.lateness)
        busy = sorted(self.events_per_second.items())[1:-1]  # whole seconds only
        return {"events": lateness.pop("count"), "sse_events": sum(self.events_per_second.values()),
                "peak_events_per_s": max([n for _, n in busy] or [0]),
                "mean_events_per_s": round(sum(n for _, n in busy) / len(busy), 1) if busy else 0.0,
                "lateness_ms": lateness, "first_token_ms": percentiles(first),
                "read_delay_ms": percentiles(self.read_delays),
                "models": dict((m, {"requests": s.requests, "success": sum(s.success.values()),
                                    "failures": dict(s.failures), "prefix_cache_queries": s.queries,
                                    "prefix_cache_hits": s.hits}) for m, s in self.stats.items())}

    def metrics(self, conn, request):
        lines = []

        def family(name, kind, help_text, samples):
            lines.append("# HELP %s %s" % (name, help_text))
            lines.append("# TYPE %s %s" % (name, kind))
            lines.extend(samples)
        labels = dict((m, 'engine="0",model_name="%s"' % m) for m in self.models)
        stats = self.stats.items()
        for name, kind, help_text, attribute in PLAIN_METRICS:
            family(name, kind, help_text,
                   ["%s{%s} %d" % (name, labels[m], getattr(s, attribute)) for m, s in stats])
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
        conn.respond(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8",
                     (("X-Content-Type-Options", "nosniff"),))

    def completions(self, conn, request):
        self._generate(conn, request, chat=False)

    def chat_completions(self, conn, request):
        self._generate(conn, request, chat=True)

    # -- generation -------------------------------------------------------------------------------------------
    @staticmethod
    def _error(conn, status, message, kind, stats=None, reason=None):
        if stats is not None:
            stats.count_failure(reason)
        conn.respond_json(status, {"object": "error", "message": message, "type": kind, "param": None,
                                   "code": status})

    def _generate(self, conn, request, chat):
        arrival, parsed_at = request.arrival, time.monotonic()
        self.read_delays.append(parsed_at - arrival)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._error(conn, 400, "the request body is not a JSON object", "BadRequestError")
            return
        model = body.get("model") or self.models[0]
        if model not in self.stats:
            self._error(conn, 404, "The model `%s` does not exist." % model, "NotFoundError")
            return
        stats = self.stats[model]
        stats.requests += 1
        opts, rng = self.options, self.rng
        limit = int(opts["max_concurrency"] or 0)
        if limit and stats_total(self.stats) >= limit:
            self._error(conn, 429, "too many concurrent requests (max_concurrency %d)" % limit, "RateLimitError",
                        stats, "rate_limited")
            return
        # draw every random decision up front and in a fixed order, so a seed gives the same run
        fail = rng.random() < opts["error_rate"]
        drop = rng.random() < opts["drop_rate"]
        slow = rng.random() < opts["slow_rate"]
        ttft_jitter = rng.uniform(-opts["ttft_jitter_ms"], opts["ttft_jitter_ms"]) if opts["ttft_jitter_ms"] else 0.0
        if fail:
            self._error(conn, 500, "injected server error", "InternalServerError", stats, "injected_500")
            return
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
        if itl_jitter:
            gaps = [max(0.0, itl + rng.uniform(-itl_jitter, itl_jitter)) for _gap in range(out_len - 1)]
        else:
            gaps = [itl] * (out_len - 1)
        # same prompt, same output words, in any process
        first_word = zlib.crc32(" ".join(tokens[:64]).encode()) % len(VOCAB)
        words = (VOCAB_BYTES * ((first_word + out_len) // len(VOCAB) + 1))[first_word:first_word + out_len]
        usage = {"prompt_tokens": prompt_len, "completion_tokens": out_len, "total_tokens": prompt_len + out_len,
                 "prompt_tokens_details": {"cached_tokens": cached}}
        stream = bool(body.get("stream"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        cut = int(opts["drop_after"]) if drop else None

        def start(queued):
            if conn.closed:  # the client gave up while the request waited
                stats.count_failure("client_disconnected")
                self.running -= 1
                return
            stats.running += 1
            stats.queries += prompt_len
            stats.hits += cached
            stats.prompt_tokens += prompt_len
            # TTFT counts from the request's arrival at the machine (what a client measures), plus any queueing
            first_at = arrival + ttft + (time.monotonic() - parsed_at if queued else 0.0)
            rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
            job = dict(conn=conn, stats=stats, chat=chat, rid=rid, model=model, words=words, first_at=first_at,
                       gaps=gaps, finish=finish, usage=usage, arrival=arrival, out_len=out_len)
            if stream:
                self._stream(job, include_usage, cut)
            else:
                self.timers.call_at(first_at + sum(gaps), self._full_response, job)

        if self.running >= int(opts["max_num_seqs"]):
            stats.waiting += 1
            self.queue.append((stats, start))
        else:
            self.running += 1
            start(False)

    def _release(self):
        """A running request ended: waiting ones take its place."""
        self.running -= 1
        while self.queue and self.running < int(self.options["max_num_seqs"]):
            stats, start = self.queue.popleft()
            stats.waiting -= 1
            self.running += 1
            start(True)

    def request_done(self, job, outcome, first_token=None):
        stats = job["stats"]
        stats.running -= 1
        if outcome == "ok":
            stats.generation_tokens += job["out_len"]
            stats.success[job["finish"]] = stats.success.get(job["finish"], 0) + 1
            stats.ttft.observe(first_token if first_token is not None else job["first_at"] - job["arrival"])
            stats.e2e.observe(time.monotonic() - job["arrival"])
        else:
            stats.count_failure(outcome)
        self._release()

    def _full_response(self, job):
        if job["conn"].closed:
            self.request_done(job, "client_disconnected")
            return
        text = b"".join(b" " + w for w in job["words"]).decode()
        if job["chat"]:
            choice = {"index": 0, "message": {"role": "assistant", "content": text, "tool_calls": []},
                      "logprobs": None, "finish_reason": job["finish"]}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": job["finish"]}
            obj = "text_completion"
        job["conn"].respond_json(200, {"id": job["rid"], "object": obj, "created": int(time.time()),
                                       "model": job["model"], "choices": [choice], "usage": job["usage"]})
        self.request_done(job, "ok")

    def _stream(self, job, include_usage, cut):
        conn, rid, model, finish, words, gaps = (job["conn"], job["rid"], job["model"], job["finish"], job["words"],
                                                 job["gaps"])
        created = int(time.time())
        if job["chat"]:
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
        if include_usage:
            end = ('data: {"id":"%s","object":"%s","created":%d,"model":"%s","choices":[],"usage":%s}\n\n' % (
                rid, "chat.completion.chunk" if job["chat"] else "text_completion", created, model,
                json.dumps(job["usage"], separators=(",", ":")))).encode()
        end += b"data: [DONE]\n\n"
        stream_head = STREAM_HEAD if conn.keep_alive else STREAM_HEAD_CLOSE
        if role and self.options["early_role_chunk"]:
            conn.write(stream_head + b"%x\r\n%s\r\n" % (len(role), role))
            role = b""
        else:
            conn.write(stream_head)
        Stream(self, job, head, tail, last_tail, role, end, include_usage, cut).schedule(job["first_at"])


class Stream(object):
    """One streamed response, written event by event from the simulator's timer heap. An object rather than a
    closure, so a finished stream is freed by reference counting: closures that reschedule themselves are
    reference cycles, and at 500 streams their garbage made the cyclic collector pause for 20-50 ms."""
    __slots__ = ("sim", "job", "head", "tail", "last_tail", "role", "end", "extra_events", "cut", "i", "when",
                 "first")

    def __init__(self, sim, job, head, tail, last_tail, role, end, include_usage, cut):
        self.sim, self.job = sim, job
        self.head, self.tail, self.last_tail, self.role, self.end = head, tail, last_tail, role, end
        self.extra_events = 1 + include_usage  # the usage chunk and [DONE] go with the last token
        self.cut = cut
        self.i = 0
        self.when = None
        self.first = None

    def schedule(self, when):
        self.when = when
        self.sim.timers.call_at(when, self.tick)

    def tick(self):
        sim, job = self.sim, self.job
        conn, words, gaps = job["conn"], job["words"], job["gaps"]
        if conn.closed:
            sim.request_done(job, "client_disconnected")
            return
        last = len(words) - 1
        parts = []
        i = start = self.i
        while True:  # events due at the same instant (ITL 0) go out in one write
            if self.cut is not None and i >= self.cut:
                if parts:
                    conn.write(b"".join(parts))
                conn.close_after_flush()  # what was written goes out, then FIN: no terminating chunk, no [DONE]
                sim.request_done(job, "injected_drop")
                return
            payload = self.head + words[i] + (self.last_tail if i == last else self.tail)
            if i == 0 and self.role:
                payload = self.role + payload
            if i == last:
                payload += self.end
            parts.append(b"%x\r\n%s\r\n" % (len(payload), payload))
            if i == last or gaps[i] > 0:
                break
            i += 1
        if i == last:
            parts.append(b"0\r\n\r\n")  # the end of the chunked body goes with the last event
        conn.write(parts[0] if len(parts) == 1 else b"".join(parts))
        now = time.monotonic()
        sim.lateness.append(now - self.when)
        if start == 0:
            self.first = now - job["arrival"]
            sim.first_token_arrivals.append(job["arrival"])
            sim.first_token_seconds.append(self.first)
        second = int(now)
        per_second = sim.events_per_second
        per_second[second] = per_second.get(second, 0) + (i - start + 1) + self.extra_events * (i == last) + \
            (start == 0 and bool(self.role))
        if i == last:
            sim.request_done(job, "ok", self.first)
            conn.finish()
            return
        self.i = i + 1
        self.schedule(self.when + gaps[i])


def stats_total(stats):
    return sum(s.running + s.waiting for s in stats.values())


# -- HTTP/1.1 server ------------------------------------------------------------------------------------------------
# A small server instead of aiohttp's: each request is stamped with the kernel's receive time of its last byte
# (SO_TIMESTAMPNS), so the simulated TTFT counts from when the request reached the machine however busy the loop
# was, and a request costs no coroutine. Keep-alive, pipelining (one request at a time), Content-Length bodies,
# Expect: 100-continue; chunked request bodies are refused with 411.
SO_TIMESTAMPNS = 35  # asm-generic value, as on x86_64 and aarch64
KERNEL_STAMPS = sys.platform.startswith("linux") and struct.calcsize("P") == 8
ANC_SIZE = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 64
READ_SIZE = 1 << 16
HEAD_LIMIT = 64 << 10
BODY_LIMIT = 64 << 20
REASONS = {100: "Continue", 200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
           431: "Request Header Fields Too Large", 500: "Internal Server Error"}
STREAM_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
STREAM_HEAD_CLOSE = STREAM_HEAD[:-2] + b"Connection: close\r\n\r\n"


class Request(object):
    """One request; ``arrival`` is the time.monotonic() at which its last byte reached the machine."""
    __slots__ = ("method", "path", "query", "headers", "body", "arrival")

    def json(self):
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8") or "null")


class Connection(object):
    def __init__(self, server, sock):
        self.server, self.sock, self.fd, self.loop = server, sock, sock.fileno(), server.loop
        self.buf = b""
        self.pending = b""
        self.arrival = 0.0
        self.busy = False  # a request is being answered; pipelined ones wait in buf
        self.closed = False
        self.keep_alive = True
        self.continued = False
        self.close_when_flushed = False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.stamps = KERNEL_STAMPS
        if self.stamps:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            except OSError:
                self.stamps = False
        self.loop.add_reader(self.fd, self._readable)

    def _readable(self):
        try:
            if self.stamps:
                data, anc = self.sock.recvmsg(READ_SIZE, ANC_SIZE)[:2]
            else:
                data, anc = self.sock.recv(READ_SIZE), None
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:  # the client closed: a response in progress sees conn.closed and stops
            self.close()
            return
        now = time.monotonic()
        if anc:
            sec, nsec = struct.unpack_from("qq", anc[0][2])
            stamp = sec + nsec * 1e-9 - (time.time() - now)  # CLOCK_REALTIME onto the monotonic clock
            if now - 5.0 < stamp <= now:
                now = stamp
        self.arrival = now
        self.buf += data
        if not self.busy:
            self._next()

    def _next(self):
        """Parses one complete request from buf and hands it to the server."""
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > HEAD_LIMIT:
                self._refuse(431, "the request head is longer than %d bytes" % HEAD_LIMIT)
            return
        lines = buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._refuse(400, "not an HTTP/1.x request line: %r" % lines[0][:100])
            return
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._refuse(411, "chunked request bodies are not supported; send Content-Length")
            return
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            self._refuse(400, "Content-Length is not a number")
            return
        if length > BODY_LIMIT:
            self._refuse(413, "the body is longer than %d bytes" % BODY_LIMIT)
            return
        total = end + 4 + length
        if len(buf) < total:
            if not self.continued and headers.get("expect", "").lower() == "100-continue":
                self.continued = True
                self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            return
        self.continued = False
        self.buf = buf[total:]
        connection = headers.get("connection", "").lower()
        self.keep_alive = "close" not in connection if parts[2] == "HTTP/1.1" else "keep-alive" in connection
        request = Request()
        request.method = parts[0]
        request.path, query = parts[1].partition("?")[::2]
        request.query = dict(urllib.parse.parse_qsl(query)) if query else {}
        request.headers = headers
        request.body = buf[end + 4:total]
        request.arrival = self.arrival
        self.busy = True
        self.server.dispatch(self, request)

    def _refuse(self, status, message):
        self.keep_alive = False
        self.busy = True
        self.respond_json(status, {"error": message})

    def respond(self, status, body, content_type, headers=()):
        """A whole response; the connection then takes the next request (or closes)."""
        head = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Unknown")), "Content-Type: " + content_type,
                "Content-Length: %d" % len(body)]
        head.extend("%s: %s" % header for header in headers)
        if not self.keep_alive:
            head.append("Connection: close")
        self.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        self.finish()

    def respond_json(self, status, document):
        self.respond(status, json.dumps(document).encode(), "application/json; charset=utf-8")

    def finish(self):
        """The current response is complete."""
        self.busy = False
        if not self.keep_alive:
            self.close_after_flush()
        elif self.buf and not self.closed:
            self._next()

    def write(self, data):
        if self.closed:
            return
        if self.pending:
            self.pending += data
            return
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close()
            return
        if sent < len(data):
            self.pending = data[sent:]
            self.loop.add_writer(self.fd, self._writable)

    def _writable(self):
        try:
            sent = self.sock.send(self.pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        self.pending = self.pending[sent:]
        if not self.pending:
            self.loop.remove_writer(self.fd)
            if self.close_when_flushed:
                self.close()

    def close_after_flush(self):
        if self.pending:
            self.close_when_flushed = True
        else:
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.loop.remove_reader(self.fd)
        if self.pending:
            self.loop.remove_writer(self.fd)
            self.pending = b""
        self.sock.close()
        self.server.connections.discard(self)


class HttpServer(object):
    """Serves a Simulator's routes: ``await server.start(host, port)``, then ``server.port``; ``server.close()``."""

    def __init__(self, sim, route_prefixes=()):
        self.sim = sim
        self.routes = sim.routes()
        # served under each prefix too, as a gateway route that rewrites the prefix to / would (KServe's
        # /<namespace>/<name>/v1/... on the istio_kserve stack)
        self.route_prefixes = sorted((p.rstrip("/") for p in route_prefixes if p.strip("/")), key=len, reverse=True)
        self.connections = set()
        self.loop = self.sock = None
        self.port = None

    async def start(self, host="127.0.0.1", port=0):
        self.loop = asyncio.get_running_loop()
        self.sim.timers = TimerHeap(self.loop)
        family, kind, proto, _canon, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                  flags=socket.AI_PASSIVE)[0]
        self.sock = socket.socket(family, kind, proto)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(address)
        self.sock.listen(4096)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.loop.add_reader(self.sock.fileno(), self._accept)
        return self

    def _accept(self):
        for _attempt in range(256):
            try:
                sock = self.sock.accept()[0]
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors and the like: the client sees a refused connection
                return
            sock.setblocking(False)
            self.connections.add(Connection(self, sock))

    def dispatch(self, conn, request):
        if self.sim.timers.fd >= 0:
            self.sim.timers.run_due()
        for prefix in self.route_prefixes:
            if request.path.startswith(prefix + "/"):
                request.path = request.path[len(prefix):]
                break
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            known = [method for method, path in self.routes if path == request.path]
            if known:
                conn.respond_json(405, {"error": "%s %s: use %s" % (request.method, request.path, ", ".join(known))})
            else:
                conn.respond_json(404, {"error": "no route %s %s" % (request.method, request.path)})
            return
        handler(conn, request)

    def close(self):
        if self.sock is not None:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None
        for conn in list(self.connections):
            conn.close()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed when ready)")
    parser.add_argument("--model", action="append", dest="models",
                        help="a served model name; repeat for several (default: sim-model)")
    parser.add_argument("--route-prefix", action="append", dest="route_prefixes", default=[],
                        help="also serve every route under this path prefix, e.g. /llm-d/model (KServe's URL shape); "
                             "repeat for several")
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
    server = await HttpServer(sim, args.route_prefixes).start(args.host, args.port)
    gc.freeze()  # what exists now lives as long as the process: keep full collections short (20 ms otherwise)
    print("inference-sim ready at http://%s:%d models=%s" % (args.host, server.port, ",".join(sim.models)),
          flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    stats = sim.timing_stats()
    del stats["models"]
    print("inference-sim timing: %s" % json.dumps(stats), file=sys.stderr, flush=True)
    server.close()


def main(argv=None):
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
