# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the streaming client of the benchmark.

Sends OpenAI-compatible ``/v1/completions`` or ``/v1/chat/completions`` requests with ``stream: true`` and
``stream_options.include_usage`` and fills one ``Record`` per request: plain ``http://`` endpoints through the lean
keep-alive client of ``_bench_http`` (events stamped with the kernel's receive time), ``https://`` through one
aiohttp ``ClientSession`` (events stamped with the socket read, see ``Arrivals``).

Timing rules (see docs/benchmark.md):
* ``start`` is ``time.perf_counter()`` just before the POST (connection set-up included, as in vLLM);
* the first token is the first SSE event whose first choice carries non-empty text (completions) or a
  non-empty ``delta.content`` / ``reasoning_content`` / ``tool_calls`` (chat). A role-only or empty chunk is
  not a token (vLLM counts it; gateways and mocks send it early, which would make TTFT look better);
* every later token-bearing event adds one inter-token gap (ITL, per chunk as in vLLM); E2E latency ends at
  the last token-bearing event, so ``e2el - ttft == sum(itl)`` exactly unless arrival times were unknown (below);
  usage-only chunks and ``[DONE]`` do not extend it;
* an event is stamped with the arrival of the last byte of the socket read that carried it. When one read
  carries several token events of a stream and the previous read of that stream came more than
  ``UNKNOWN_WINDOW`` earlier, only the last of them has a known arrival time: the others arrived somewhere in
  between (the client was busy, or the server sent them together). Their gaps are not ITL values (they would
  be 0); they are counted in ``unknown_gaps``. When the first token is one of them, TTFT is an upper bound
  (``known_first`` is set) and TPOT is measured from the first token whose arrival is known;
* token counts come from the server's ``usage`` (never from a client tokenizer).

Every non-2xx answer, timeout, connection error, in-band ``error`` event or stream cut short (no ``[DONE]``,
no usage, no token at all) makes the record a failure with a reason code. A stream that is complete but whose
choices never carry a ``finish_reason`` keeps its tokens and timings and is counted as a warning
(``STREAM_WARNINGS``); with ``strict=True`` it is a failure too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import collections
import json
import time
import traceback
from array import array
from urllib.parse import urlsplit

from ansible_collections.llmd.xks.plugins.module_utils import _bench_http as http

AIOHTTP_IMPORT_ERROR = None
try:
    import aiohttp
except ImportError:
    aiohttp = None
    AIOHTTP_IMPORT_ERROR = traceback.format_exc()

try:  # faster when present; not a requirement
    from orjson import loads as _loads
except ImportError:
    _loads = json.loads

# Failure reason codes (documented in docs/benchmark.md and the report schema).
FAILURE_REASONS = {
    "http_status": "the server answered with a non-2xx status",
    "timeout": "no complete answer within the request timeout",
    "connection": "connection refused, reset or closed before the answer started",
    "stream_cut": "the stream ended without the final [DONE] event",
    "stream_error": "the stream broke while reading (payload or transfer-encoding error)",
    "error_event": "the server sent an in-band error event in the stream",
    "no_tokens": "the stream carried no token at all",
    "no_usage": "the stream carried no usage (token counts); the server ignores stream_options.include_usage",
    "no_finish_reason": "no choice carried a finish_reason",
    "bad_event": "an SSE data event was not valid JSON",
}

# Complete streams that break a rule the metrics do not depend on: counted per reason, failures only when strict.
STREAM_WARNINGS = {
    "no_finish_reason": "no choice carried a finish_reason (the tokens, usage and [DONE] came)",
}

POD_HEADERS = ("x-inference-pod", "x-went-into-pod")
# Tokens read together whose previous read came within this time: their arrival times are known to this precision.
UNKNOWN_WINDOW = 0.0002


class Record(object):
    """What one request did. Times are ``perf_counter`` seconds; ``itl`` is a list of gaps in seconds."""

    __slots__ = ("index", "stage", "model", "group", "warmup", "scheduled", "queued", "start", "first", "last",
                 "end", "itl", "prompt_tokens", "output_tokens", "cached_tokens", "expected_input_tokens",
                 "max_tokens", "status", "error", "error_detail", "warning", "finish_reason", "pod", "events", "tokens",
                 "unknown_gaps", "known_first", "known_index", "request_id")

    def __init__(self, index=0, stage=0, model=None, group=None, warmup=False, scheduled=None,
                 expected_input_tokens=None, max_tokens=None):
        self.index = index
        self.stage = stage
        self.model = model
        self.group = group
        self.warmup = warmup
        self.scheduled = scheduled  # when the load profile wanted the request sent
        self.queued = None  # when it was ready to send (before waiting for a concurrency slot)
        self.start = None
        self.first = None
        self.last = None
        self.end = None
        self.itl = array("d")  # 8 bytes a gap: long runs keep millions of them
        self.prompt_tokens = None
        self.output_tokens = None
        self.cached_tokens = None
        self.expected_input_tokens = expected_input_tokens
        self.max_tokens = max_tokens
        self.status = None
        self.error = None
        self.error_detail = None
        self.warning = None  # a STREAM_WARNINGS code: the stream broke a rule the metrics do not depend on
        self.finish_reason = None
        self.pod = None
        self.events = 0
        self.tokens = 0  # token-bearing events
        self.unknown_gaps = 0  # inter-token gaps left out of itl: a token's arrival time is unknown
        self.known_first = None  # when the first token's arrival is unknown: the first token with a known one
        self.known_index = 0  # and its index among the token events
        self.request_id = None  # the server's X-Request-Id, when it sends one

    @property
    def success(self):
        return self.error is None and self.end is not None

    @property
    def ttft(self):
        return self.first - self.start if self.first is not None else None

    @property
    def e2el(self):
        return self.last - self.start if self.last is not None else None

    @property
    def tpot(self):
        """vLLM: (e2el - ttft) / (output_tokens - 1); undefined for one output token. When the first token's arrival
        is unknown, the same rate over the span from the first token with a known arrival to the last."""
        if self.first is None or not self.output_tokens or self.output_tokens < 2:
            return None
        if self.known_first is None:
            return (self.last - self.first) / (self.output_tokens - 1)
        gaps = self.tokens - 1 - self.known_index
        if gaps < 1:
            return None
        return (self.last - self.known_first) / gaps * (self.tokens - 1) / (self.output_tokens - 1)

    def fail(self, reason, detail=None):
        if self.error is None:
            self.error = reason
            self.error_detail = detail


def endpoint_url(url, api):
    """The request URL: a URL that already ends in ``/completions`` is kept (KServe paths carry a prefix),
    adjusted to the API; anything else gets ``/v1/completions`` or ``/v1/chat/completions`` appended."""
    path = "/v1/chat/completions" if api == "chat" else "/v1/completions"
    base = url.rstrip("/")
    if base.endswith("/v1/chat/completions"):
        base = base[:-len("/v1/chat/completions")]
    elif base.endswith("/v1/completions"):
        base = base[:-len("/v1/completions")]
    elif base.endswith("/v1"):
        base = base[:-3]
    return base + path


def build_payload(api, model, prompt, max_tokens, ignore_eos=True, extra=None):
    """The JSON body (bytes) of one streaming request."""
    body = {"model": model, "max_tokens": max_tokens, "stream": True, "stream_options": {"include_usage": True}}
    if api == "chat":
        body["messages"] = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    if ignore_eos:
        # vLLM (and llm-d-inference-sim) extensions: exactly max_tokens tokens, so output lengths are known.
        body["ignore_eos"] = True
        body["min_tokens"] = max_tokens
    if extra:
        body.update(extra)
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


class StreamParser(object):
    """Parses the SSE byte stream of one response into ``record``.

    ``feed(data, now)`` takes whatever the socket delivered and the ``perf_counter`` time it arrived; events
    that arrive together share that time (they did arrive together). Only ``data:`` fields are read
    (comments, ``event:``, ``id:`` and ``retry:`` lines are skipped); CRLF line ends are accepted.

    Hot path: most events are plain token chunks. A chunk in compact JSON (what vLLM and the usual servers
    send) whose ``finish_reason`` is null, without usage, error, tool calls or reasoning, is classified by two
    substring tests instead of a JSON decode: keys inside a JSON string are escaped (``\"text\"``), so the
    quoted-key patterns only match real keys. Anything else is decoded in full.
    """

    __slots__ = ("record", "chat", "strict", "buf", "done", "saw_usage", "token_key", "at", "prev_at", "group_at",
                 "group_n", "group_lo")

    def __init__(self, record, chat, strict=False):
        self.record = record
        self.chat = chat
        self.strict = strict
        self.buf = b""
        self.done = False
        self.saw_usage = False
        self.token_key = b'"content":"' if chat else b'"text":"'
        self.at = None  # time of the latest event
        self.prev_at = None  # the time before it (an earlier read): bytes of the latest read arrived after it
        self.group_at = None  # token events of one read (one time), settled once the read is parsed
        self.group_n = 0
        self.group_lo = None

    def feed(self, data, now, times=None):
        """``times``: optional deque with the arrival time of each event terminator in ``data``, in order (see
        ``Arrivals``); an event without one gets ``now``."""
        if self.buf:
            data = self.buf + data
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        events = data.split(b"\n\n")
        self.buf = events.pop()
        for event in events:
            at = times.popleft() if times else now
            if event[:6] == b"data: " and b"\n" not in event:
                self._event(event[6:], at)
                continue
            # the general case: several lines per event; data fields are joined with newlines
            fields = [line[5:].lstrip(b" ") if line[:5] == b"data:" else None for line in event.split(b"\n")]
            fields = [f for f in fields if f is not None]
            if fields:
                self._event(b"\n".join(fields), at)
        if self.group_n:
            self._settle()

    def _token(self, at):
        if at == self.group_at and self.group_n:
            self.group_n += 1
            return
        if self.group_n:
            self._settle()
        self.group_at = at
        self.group_n = 1
        self.group_lo = self.prev_at if self.prev_at is not None else self.record.start

    def _settle(self):
        """Enters the token events of one read into the record (see the module's timing rules)."""
        rec = self.record
        n, at = self.group_n, self.group_at
        self.group_n = 0
        if n > 1 and (self.group_lo is None or at - self.group_lo > UNKNOWN_WINDOW):
            if rec.first is None:
                rec.first = rec.known_first = at
                rec.known_index = n - 1
                rec.unknown_gaps += n - 1
            else:
                rec.unknown_gaps += n
        elif rec.first is None:
            rec.first = at
            if n > 1:
                rec.itl.extend([0.0] * (n - 1))
        else:
            rec.itl.append(at - rec.last)
            if n > 1:
                rec.itl.extend([0.0] * (n - 1))
        rec.tokens += n
        rec.last = at

    def _event(self, payload, now):
        rec = self.record
        rec.events += 1
        if now != self.at:
            self.prev_at, self.at = self.at, now
        if b'"finish_reason":null' in payload and b'"usage":{' not in payload and b'"error"' not in payload \
                and b'"tool_calls"' not in payload and b'"reasoning' not in payload:
            key = self.token_key
            at = payload.find(key)
            if at > 0 and payload.find(key, at + 1) < 0:
                if payload[at + len(key):at + len(key) + 1] != b'"':  # non-empty string: a token
                    self._token(now)
                return
        payload = payload.strip()
        if payload == b"[DONE]":
            self.done = True
            return
        if not payload:
            rec.events -= 1
            return
        try:
            obj = _loads(payload)
        except ValueError:
            rec.fail("bad_event", payload[:200].decode("utf-8", "replace"))
            return
        if not isinstance(obj, dict):
            rec.fail("bad_event", payload[:200].decode("utf-8", "replace"))
            return
        choices = obj.get("choices")
        if choices:
            choice = choices[0]
            if self.chat:
                delta = choice.get("delta") or {}
                token = delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning") or delta.get("tool_calls")
            else:
                token = choice.get("text")
            if token:
                self._token(now)
            reason = choice.get("finish_reason")
            if reason:
                rec.finish_reason = reason
        usage = obj.get("usage")
        if usage:
            self.saw_usage = True
            rec.prompt_tokens = usage.get("prompt_tokens")
            rec.output_tokens = usage.get("completion_tokens")
            details = usage.get("prompt_tokens_details")
            if details:
                rec.cached_tokens = details.get("cached_tokens")
        error = obj.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            rec.fail("error_event", str(message)[:300])

    def finish(self):
        """Checks the whole stream once it ended and marks the record failed when something was missing."""
        rec = self.record
        if self.buf.strip():  # a last event without its blank line
            self.feed(b"\n\n", rec.end if rec.end is not None else time.perf_counter())
        if rec.error is not None:
            return
        if not self.done:
            rec.fail("stream_cut", "the stream ended after %d events without data: [DONE]" % rec.events)
        elif rec.first is None:
            rec.fail("no_tokens", "no event carried a token")
        elif not self.saw_usage or rec.output_tokens is None:
            rec.fail("no_usage", "no usage chunk; the server ignored stream_options.include_usage")
        elif rec.finish_reason is None:
            if self.strict:
                rec.fail("no_finish_reason", "no choice carried a finish_reason")
            else:
                rec.warning = "no_finish_reason"


def _url(text):
    try:
        from yarl import URL  # aiohttp's own URL type
    except ImportError:
        return text
    return URL(text)


class Arrivals(object):
    """Socket-read times of one connection, taken in the protocol's ``data_received``.

    When many streams have data at once, the event loop first runs every socket read, then resumes the waiting
    coroutines one by one; a time taken when the coroutine resumes carries the processing of all the others
    (milliseconds at hundreds of streams). The read itself is timestamped here, with the number of SSE event
    terminators (blank lines) it carries, so each event gets the time its last byte arrived. Works with the
    standard selector event loop (the transport looks ``data_received`` up on every read); where it cannot be
    installed or counts disagree (CRLF streams), the parser falls back to the resume time.
    """

    __slots__ = ("reads",)

    def __init__(self, proto):
        self.reads = []
        original = proto.data_received
        reads = self.reads
        pc = time.perf_counter

        def data_received(data):
            if data:
                reads.append((pc(), data.count(b"\n\n")))
            original(data)

        proto.data_received = data_received

    @staticmethod
    def of(resp):
        """The Arrivals of the response's connection (installed on first use of the connection), or None."""
        conn = resp.connection
        proto = getattr(conn, "protocol", None) if conn is not None else None
        if proto is None:
            return None
        arrivals = getattr(proto, "_llmd_xks_arrivals", None)
        if arrivals is None:
            try:
                arrivals = Arrivals(proto)
                proto._llmd_xks_arrivals = arrivals
            except AttributeError:  # a protocol without instance attributes: use resume times
                return None
        return arrivals

    def take(self):
        """A deque of one time per event terminator read since the last call (empty when nothing was counted)."""
        reads = self.reads
        if len(reads) == 1:
            t, n = reads[0]
            del reads[:]
            return collections.deque((t,) * n)
        out = collections.deque(t for t, n in reads for dummy in range(n))
        del reads[:]
        return out


class _Exchange(object):
    """One request over the lean HTTP client (``_bench_http``): fills the record from the protocol's callbacks."""

    __slots__ = ("record", "parser", "future", "error_body", "answered")

    def __init__(self, record, parser, future):
        self.record = record
        self.parser = parser
        self.future = future
        self.error_body = None
        self.answered = False

    def head(self, status, headers):
        rec = self.record
        self.answered = True
        rec.status = status
        for name in POD_HEADERS:
            pod = headers.get(name)
            if pod:
                rec.pod = pod
                break
        rec.request_id = headers.get("x-request-id")
        if status >= 300:
            self.error_body = []
        elif headers.get("content-encoding", "identity").lower() != "identity":
            rec.fail("stream_error", "compressed answer (Content-Encoding %s) although none was asked for"
                     % headers["content-encoding"])

    def body(self, data, now):
        if self.error_body is not None:
            if len(self.error_body) < 64:
                self.error_body.append(data)
        else:
            self.parser.feed(data, now)

    def done(self, now):
        rec = self.record
        rec.end = now
        if self.error_body is not None:
            text = b"".join(self.error_body).decode("utf-8", "replace")
            rec.fail("http_status", "HTTP %d: %s" % (rec.status, text[:300].strip()))
        else:
            self.parser.finish()
        if not self.future.done():
            self.future.set_result(None)

    def fail(self, kind, detail, now):
        rec = self.record
        rec.end = now
        if kind == "protocol":
            self.parser.finish()
            rec.fail("stream_error", detail[:300])
        elif not self.answered:
            rec.fail("connection", detail[:300])
        else:
            if rec.first is not None or rec.events:
                self.parser.finish()  # cut mid-stream: stream_cut unless something else came first
            rec.fail("connection", detail[:300])
        if not self.future.done():
            self.future.set_result(kind)

    def expire(self, timeout, conn):
        """The request timeout: drop the connection, the record fails with ``timeout``."""
        if self.future.done():
            return
        if conn is not None:
            conn.abort()
        rec = self.record
        rec.end = time.perf_counter()
        rec.fail("timeout", "no complete answer within %.1f s" % timeout)
        self.future.set_result("timeout")


class Client(object):
    """Sends streaming requests; create it inside the running loop.

    Plain ``http://`` endpoints go through the lean HTTP/1.1 client of ``_bench_http`` (persistent keep-alive
    connections, one per request in flight, parsing in the protocol's ``data_received``); ``https://`` endpoints,
    and every endpoint with ``lean=False``, through one shared aiohttp session. ``session`` (aiohttp) also serves
    the metrics scrapes."""

    def __init__(self, url, api="completions", api_key=None, headers=None, timeout=600.0, limit=0, model_urls=None,
                 model_header=None, validate_certs=True, lean=True, strict=False):
        if aiohttp is None:
            raise RuntimeError("The Python library aiohttp is required: pip install -r requirements.txt")
        # parsed once (yarl.URL): aiohttp would parse a string URL on every request
        self.url = _url(endpoint_url(url, api))
        # per-model endpoints (KServe serves each model under its own path) and the header a gateway routes on
        self.model_urls = dict((m, _url(endpoint_url(u, api))) for m, u in (model_urls or {}).items())
        self.model_header = model_header
        self.chat = api == "chat"
        self.headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        self.headers.update(headers or {})
        if api_key:
            self.headers["Authorization"] = "Bearer %s" % api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 30.0))
        # limit=0: aiohttp's default of 100 connections would silently cap the concurrency (vLLM does the same);
        # a 1 MiB read buffer keeps long answers from being read 64 KiB at a time.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=limit, ttl_dns_cache=300, enable_cleanup_closed=True,
                                           ssl=None if validate_certs else False),
            read_bufsize=1 << 20, timeout=self.timeout, headers=self.headers)
        self.lean = lean
        self.strict = strict  # a stream without finish_reason fails (otherwise: a warning)
        self._pools = {}  # (host, port) -> _bench_http.Pool
        self._targets = {}  # model -> (pool, request head bytes) or None (aiohttp)

    async def close(self):
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        await self.session.close()

    def _target(self, model):
        """(pool, pre-encoded request head) for the model's endpoint, or None when aiohttp serves it."""
        try:
            return self._targets[model]
        except KeyError:
            pass
        url = str(self.model_urls.get(model, self.url) if self.model_urls else self.url)
        target = None
        parts = urlsplit(url)
        if self.lean and parts.scheme == "http" and parts.hostname:
            port = parts.port or 80
            key = (parts.hostname, port)
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = http.Pool(parts.hostname, port, self.timeout.sock_connect)
            headers = dict(self.headers)
            headers["User-Agent"] = "llmd.xks-benchmark"
            headers["Accept-Encoding"] = "identity"
            if self.model_header and model:
                headers[self.model_header] = model
            path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
            target = (pool, http.request_head("POST", parts.hostname, port, path, headers))
        self._targets[model] = target
        return target

    async def send(self, body, record):
        """POST ``body`` (bytes), stream the answer into ``record``; never raises for request failures."""
        target = self._target(record.model)
        if target is not None:
            return await self._send_lean(body, record, target)
        return await self._send_aiohttp(body, record)

    async def _send_lean(self, body, record, target):
        pool, head = target
        pc = time.perf_counter
        loop = asyncio.get_running_loop()
        timeout = self.timeout.total
        record.start = pc()
        deadline = loop.time() + timeout
        data = b"%s%d\r\n\r\n%s" % (head, len(body), body)
        parser = StreamParser(record, self.chat, self.strict)
        for attempt in (0, 1):
            conn = pool.take()
            fresh = conn is None
            if fresh:
                try:
                    conn = await pool.connect(deadline - loop.time())
                except (asyncio.TimeoutError, TimeoutError):
                    record.end = pc()
                    record.fail("timeout", "no connection within %.1f s" % min(timeout, pool.connect_timeout))
                    return record
                except OSError as exc:
                    record.end = pc()
                    record.fail("connection", "%s: %s" % (type(exc).__name__, str(exc)[:300]))
                    return record
            future = loop.create_future()
            exchange = _Exchange(record, parser, future)
            timer = loop.call_at(deadline, exchange.expire, timeout, conn)
            try:
                conn.request(data, exchange)
                result = await future
            except asyncio.CancelledError:
                conn.abort()
                raise
            finally:
                timer.cancel()
            if result == "closed" and not fresh and not exchange.answered and attempt == 0:
                # a kept-alive connection the server closed meanwhile: once more on a new connection
                record.error = record.error_detail = record.end = None
                continue
            return record
        return record

    async def _send_aiohttp(self, body, record):
        pc = time.perf_counter
        parser = StreamParser(record, self.chat, self.strict)
        url = self.model_urls.get(record.model, self.url) if self.model_urls else self.url
        headers = {self.model_header: record.model} if self.model_header and record.model else None
        record.start = pc()
        try:
            async with self.session.post(url, data=body, headers=headers) as resp:
                record.status = resp.status
                for name in POD_HEADERS:
                    pod = resp.headers.get(name)
                    if pod:
                        record.pod = pod
                        break
                record.request_id = resp.headers.get("x-request-id")
                if resp.status >= 300:
                    text = await resp.text(errors="replace")
                    record.end = pc()
                    record.fail("http_status", "HTTP %d: %s" % (resp.status, text[:300].strip()))
                    return record
                feed = parser.feed
                arrivals = Arrivals.of(resp)
                if arrivals is None:
                    async for data in resp.content.iter_any():
                        feed(data, pc())
                else:
                    take = arrivals.take
                    async for data in resp.content.iter_any():
                        feed(data, pc(), take())
                    arrivals.reads[:] = []  # the connection goes back to the pool
                record.end = pc()
        except aiohttp.ServerTimeoutError as exc:
            record.end = pc()
            record.fail("timeout", str(exc) or "read timeout")
            return record
        except TimeoutError:
            record.end = pc()
            record.fail("timeout", "no complete answer within %.1f s" % self.timeout.total)
            return record
        except aiohttp.ClientPayloadError as exc:
            record.end = pc()
            parser.finish()
            record.fail("stream_error", str(exc)[:300])
            return record
        except (aiohttp.ClientError, OSError) as exc:
            record.end = pc()
            if record.first is not None or record.events:
                parser.finish()  # cut mid-stream: stream_cut unless something else came first
            record.fail("connection", "%s: %s" % (type(exc).__name__, str(exc)[:300]))
            return record
        parser.finish()
        return record
