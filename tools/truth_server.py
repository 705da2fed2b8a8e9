#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""An OpenAI-compatible streaming server that records what it really did, as the truth for load-tester comparisons.

    python tools/truth_server.py --port 8000 --ttft-ms 50 --itl-ms 25

Written for tools/bench_compare.py and its tests, independently of tools/inference_sim.py (no shared code, standard
library only), so that a comparison does not judge our load generator by our own simulator. It does one thing:
``POST /v1/completions`` and ``/v1/chat/completions`` with ``stream: true`` answer exactly ``max_tokens`` tokens
(one word each; ``max_completion_tokens`` wins, as in OpenAI's chat API; 16 when neither is given), token *i* due ``ttft + i * itl`` after the request arrived, then a usage chunk and ``[DONE]``.

The truth is its own record, not its configuration: per request the kernel's receive time of the request's last byte
(``SO_TIMESTAMPNS`` on Linux, moved onto ``time.perf_counter``'s clock, which is CLOCK_MONOTONIC and so shared with
the clients on the same machine; elsewhere the time it was read), and the time each token's ``send`` returned. A
late server shows in its record, and a client's error is what it measured minus what the server recorded.
``GET /truth/records?since=T`` returns them (JSON: one list per request, ``[id, arrival, tokens, end, sends...]``,
requests that arrived at or after ``T``); ``POST /truth/reset`` clears them. Each answer carries ``X-Request-Id``
(``truth-<n>``), so a client that keeps it can be compared request by request.

One thread, one ``selectors`` loop: writes that are due go first, then reads; keep-alive connections, one request at
a time per connection, ``Content-Length`` bodies. ``GET /v1/models`` and ``GET /health`` answer for tools that ask.
"""

import argparse
import heapq
import json
import os
import platform
import selectors
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, urlsplit

SO_TIMESTAMPNS = 35  # Linux, 64-bit architectures
STAMPS = platform.system() == "Linux" and struct.calcsize("P") == 8
ANCILLARY = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 0
WORD = b" tok"


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class Exchange(object):
    """One streamed answer: its schedule and its record."""

    __slots__ = ("conn", "rid", "arrival", "tokens", "sent", "chat", "usage", "prompt_tokens", "end")

    def __init__(self, conn, rid, arrival, tokens, chat, usage, prompt_tokens):
        self.conn = conn
        self.rid = rid
        self.arrival = arrival
        self.tokens = tokens
        self.sent = []
        self.chat = chat
        self.usage = usage
        self.prompt_tokens = prompt_tokens
        self.end = None

    def event(self, i):
        last = i == self.tokens - 1
        finish = b'"length"' if last else b"null"
        if self.chat:
            body = b'{"id":"%s","object":"chat.completion.chunk","choices":[{"index":0,"delta":{%s"content":"%s"},' \
                   b'"finish_reason":%s}]}' % (self.rid, b'"role":"assistant",' if i == 0 else b"", WORD, finish)
        else:
            body = b'{"id":"%s","object":"text_completion","choices":[{"index":0,"text":"%s","finish_reason":%s}]}' % (
                self.rid, WORD, finish)
        return chunk(b"data: " + body + b"\n\n")

    def tail(self):
        out = b""
        if self.usage:
            out += chunk(b'data: {"id":"%s","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,'
                         b'"total_tokens":%d}}\n\n' % (self.rid, self.prompt_tokens, self.tokens,
                                                       self.prompt_tokens + self.tokens))
        return out + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"


class Connection(object):
    __slots__ = ("server", "sock", "buf", "out", "busy", "close_after", "closing", "stamp")

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.buf = b""
        self.out = b""  # bytes the socket did not take yet
        self.busy = False  # a streamed answer is in progress
        self.close_after = False
        self.closing = False  # close once the bytes in `out` are sent
        self.stamp = None  # kernel receive time of the latest read

    def readable(self):
        try:
            if STAMPS:
                data, ancillary = self.sock.recvmsg(1 << 16, ANCILLARY)[:2]
            else:
                data, ancillary = self.sock.recv(1 << 16), None
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        now = time.perf_counter()
        self.stamp = now
        if ancillary:
            sec, nsec = struct.unpack_from("qq", ancillary[0][2])
            stamp = sec + nsec * 1e-9 - (time.time() - now)
            if now - 5.0 < stamp <= now:
                self.stamp = stamp
        self.buf += data
        self.next_request()

    def next_request(self):
        while not self.busy and self.sock is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, dummy, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            parts = lines[0].split(" ")
            if len(parts) < 3:
                self.answer(400, b'{"error":"bad request line"}')
                self.close_after = True
                return
            self.close_after = headers.get("connection", "").lower() == "close"
            self.server.handle(self, parts[0], parts[1], body)

    def answer(self, status, body, content_type=b"application/json"):
        self.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
            status, b"OK" if status == 200 else b"Error", content_type, len(body),
            b"Connection: close\r\n" if self.close_after else b"", body))
        if self.close_after:
            self.close_when_sent()

    def write(self, data):
        if self.sock is None:
            return
        if self.out:
            self.out += data
            return
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close()
            return
        if sent < len(data):
            self.out = data[sent:]
            self.server.selector.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)

    def writable(self):
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        self.out = self.out[sent:]
        if not self.out:
            if self.closing:
                self.close()
            else:
                self.server.selector.modify(self.sock, selectors.EVENT_READ, self)

    def close_when_sent(self):
        if self.out:
            self.closing = True
        else:
            self.close()

    def close(self):
        if self.sock is not None:
            self.server.selector.unregister(self.sock)
            self.sock.close()
            self.sock = None


class TruthServer(object):
    def __init__(self, host, port, ttft, itl):
        self.ttft = ttft
        self.itl = itl
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(4096)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.port = self.listener.getsockname()[1]
        self.due = []  # (time, sequence, exchange, token index)
        self.sequence = 0
        self.records = []
        self.count = 0

    def accept(self):
        while True:
            try:
                sock, dummy = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if STAMPS:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.selector.register(sock, selectors.EVENT_READ, Connection(self, sock))

    def handle(self, conn, method, target, body):
        url = urlsplit(target)
        path = url.path
        if method == "POST" and path.endswith(("/v1/completions", "/v1/chat/completions")):
            self.start(conn, body, chat=path.endswith("/chat/completions"))
        elif method == "GET" and path == "/truth/records":
            since = float(parse_qs(url.query).get("since", ["-inf"])[0])
            conn.answer(200, json.dumps([[e.rid.decode(), e.arrival, e.tokens, e.end] + e.sent
                                         for e in self.records if e.arrival >= since]).encode())
        elif method == "POST" and path == "/truth/reset":
            del self.records[:]
            conn.answer(200, b"{}")
        elif method == "GET" and path.endswith("/v1/models"):
            conn.answer(200, b'{"object":"list","data":[{"id":"sim-model","object":"model","owned_by":"truth"}]}')
        elif method == "GET" and path == "/health":
            conn.answer(200, b"{}")
        else:
            conn.answer(404, b'{"error":"not found"}')

    def start(self, conn, body, chat):
        try:
            request = json.loads(body or b"{}")
            tokens = int(request.get("max_completion_tokens") or request.get("max_tokens") or 16)
        except (ValueError, TypeError, AttributeError):
            conn.answer(400, b'{"error":{"message":"the body is not a JSON object with an integer max_tokens"}}')
            return
        if not request.get("stream") or tokens < 1:
            conn.answer(400, b'{"error":{"message":"only streaming requests with max_tokens >= 1"}}')
            return
        prompt = request.get("prompt") if not chat else " ".join(
            str(m.get("content", "")) for m in request.get("messages") or [] if isinstance(m, dict))
        self.count += 1
        exchange = Exchange(conn, b"truth-%d" % self.count, conn.stamp, tokens, chat,
                            bool((request.get("stream_options") or {}).get("include_usage")),
                            len(str(prompt or "").split()))
        self.records.append(exchange)
        conn.busy = True
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                   b"Transfer-Encoding: chunked\r\nX-Request-Id: %s\r\n%s\r\n" % (
                       exchange.rid, b"Connection: close\r\n" if conn.close_after else b""))
        self.schedule(exchange, 0)

    def schedule(self, exchange, i):
        self.sequence += 1
        heapq.heappush(self.due, (exchange.arrival + self.ttft + i * self.itl, self.sequence, exchange, i))

    def run_due(self):
        due = self.due
        pc = time.perf_counter
        while due and due[0][0] <= pc():
            dummy, dummy, exchange, i = heapq.heappop(due)
            conn = exchange.conn
            if conn.sock is None:  # the client went away
                continue
            last = i == exchange.tokens - 1
            data = exchange.event(i)
            conn.write(data + exchange.tail() if last else data)
            exchange.sent.append(pc())
            if last:
                exchange.end = exchange.sent[-1]
                conn.busy = False
                if conn.close_after:
                    conn.close_when_sent()
                else:
                    conn.next_request()
            else:
                self.schedule(exchange, i + 1)

    def serve_forever(self):
        select = self.selector.select
        while True:
            self.run_due()
            # epoll rounds its timeout up to whole milliseconds: wake a millisecond early, then poll until due
            timeout = max(0.0, self.due[0][0] - time.perf_counter() - 0.001) if self.due else None
            for key, mask in select(timeout):
                if key.data is None:
                    self.accept()
                    continue
                if mask & selectors.EVENT_WRITE and key.data.sock is not None:
                    key.data.writable()
                if mask & selectors.EVENT_READ and key.data.sock is not None:
                    key.data.readable()
                self.run_due()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    parser.add_argument("--itl-ms", type=float, default=25.0)
    args = parser.parse_args(argv)
    server = TruthServer(args.host, args.port, args.ttft_ms / 1000.0, args.itl_ms / 1000.0)
    print("truth server ready at http://%s:%d (pid %d)" % (args.host, server.port, os.getpid()), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
