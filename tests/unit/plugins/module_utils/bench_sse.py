# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Test double for the benchmark unit tests: a scripted OpenAI-style SSE server in a thread (aiohttp.web).

``server.mode`` picks the behaviour of the next requests: ``ok``, ``http500``, ``drop`` (close after two tokens,
no [DONE]), ``slow`` (never answers within the test timeout), ``no_usage``, ``error_event``, ``no_done``
(usage but no [DONE]), ``no_finish`` (tokens, usage and [DONE], but finish_reason always null), ``early_role``
(chat: role-only chunk long before the first token). ``/metrics`` serves vLLM-named counters that count the requests. Timings are small so the tests stay fast.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import json
import threading

from aiohttp import web

TTFT = 0.02
ITL = 0.002
ROLE_EARLY = 0.05


class SSEServer(object):
    def __init__(self, ssl_context=None):
        self.ssl_context = ssl_context
        self.mode = "ok"
        self.requests = 0
        self.bodies = []
        self.seen = []
        self.prefix_hits = 0
        self.loop = None
        self.port = None
        self._ready = threading.Event()
        self._thread = None
        self._runner = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.ssl_context else "http", self.port)

    async def _completion(self, request):
        self.requests += 1
        body = await request.json()
        self.bodies.append(body)
        self.seen.append((request.path, request.headers.get("X-Gateway-Model-Name"), body.get("model")))
        mode = self.mode
        chat = request.path.endswith("/chat/completions")
        if mode == "http500":
            return web.json_response({"error": {"message": "injected failure"}}, status=500)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "x-inference-pod": "pod-%d" % (self.requests % 2)})
        await resp.prepare(request)
        if mode == "slow":
            await asyncio.sleep(0.6)
        if chat:
            role = b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
            if mode == "early_role":
                await resp.write(role)
                await asyncio.sleep(ROLE_EARLY)
            else:
                await asyncio.sleep(TTFT)
                await resp.write(role)
        else:
            await asyncio.sleep(TTFT)
        n = body.get("max_tokens", 4)
        for i in range(n):
            last = i == n - 1
            finish = "length" if last and mode != "no_finish" else None
            if chat:
                chunk = {"choices": [{"index": 0, "delta": {"content": " tok"}, "finish_reason": finish}]}
            else:
                chunk = {"choices": [{"index": 0, "text": " tok", "finish_reason": finish}], "usage": None}
            await resp.write(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
            if mode == "drop" and i == 1:
                request.transport.close()
                return resp
            if mode == "error_event" and i == 1:
                await resp.write(b'data: {"error":{"message":"engine died","code":500}}\n\n')
                break
            if not last:
                await asyncio.sleep(ITL)
        words = len(str(body.get("prompt") or body.get("messages")).split())
        if mode != "no_usage":
            usage = {"prompt_tokens": words, "completion_tokens": n, "total_tokens": words + n,
                     "prompt_tokens_details": {"cached_tokens": 16}}
            await resp.write(b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n")
        if mode != "no_done":
            await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def _metrics(self, request):
        text = ("# HELP vllm:prefix_cache_hits_total hits\n# TYPE vllm:prefix_cache_hits_total counter\n"
                'vllm:prefix_cache_hits_total{model_name="m"} %d\n'
                'vllm:prefix_cache_queries_total{model_name="m"} %d\n'
                'vllm:request_success_total{finished_reason="length",model_name="m"} %d\n'
                'vllm:num_requests_waiting{model_name="m"} 0\n' % (16 * self.requests, 32 * self.requests, self.requests))
        return web.Response(text=text, content_type="text/plain")

    def _serve(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/v1/completions", self._completion)
        app.router.add_post("/v1/chat/completions", self._completion)
        app.router.add_post("/{prefix}/v1/completions", self._completion)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, handle_signals=False)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()

    def start(self):
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
