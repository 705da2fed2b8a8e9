# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""tools/truth_server.py over real sockets: the stream it writes, the record it keeps, and its timing."""
import http.client
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import truth_server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "truth_server.py"), "--ttft-ms", "30",
                             "--itl-ms", "10"], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "ready at" in line, line
    port = int(line.split(":")[2].split()[0])
    yield port
    proc.terminate()
    proc.wait(10)


def post(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    return conn.getresponse()


def records(port, since=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/truth/records" + ("?since=%r" % since if since is not None else ""))
    return json.loads(conn.getresponse().read())


def test_stream_and_record(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    post(conn, "/truth/reset", {}).read()
    before = time.perf_counter()
    resp = post(conn, "/v1/completions", {"model": "m", "prompt": "a b c", "max_tokens": 5, "stream": True,
                                          "stream_options": {"include_usage": True}})
    arrivals = []
    events = []
    buf = b""
    while True:
        data = resp.read1(65536)
        if not data:
            break
        now = time.perf_counter()
        buf += data
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            events.append(event[6:])
            arrivals.append(now)
    assert resp.status == 200 and resp.getheader("X-Request-Id") == "truth-%d" % 1
    tokens = [json.loads(e) for e in events[:5]]
    assert [t["choices"][0]["finish_reason"] for t in tokens] == [None] * 4 + ["length"]
    assert json.loads(events[5])["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    assert events[6] == b"[DONE]" and len(events) == 7
    (rid, arrival, count, end, *sent), = records(server)
    assert rid == "truth-1" and count == 5 and len(sent) == 5 and end == sent[-1]
    # the record is on the client's clock: the request arrived after it was sent, every token before it was read
    assert before < arrival < sent[0] and all(s <= a for s, a in zip(sent, arrivals[:5]))
    # its schedule: token i due 30 + 10 i ms after the arrival, never sent early; how late it was is in the record
    assert all(0 <= t - (arrival + 0.030 + 0.010 * i) < 0.030 for i, t in enumerate(sent)), (arrival, sent)
    # keep-alive: the same connection serves the next request, chat format this time
    resp = post(conn, "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                               "max_tokens": 9, "max_completion_tokens": 2, "stream": True})
    body = resp.read()
    assert b'"delta":{"role":"assistant","content":" tok"}' in body and b'"usage"' not in body
    assert body.count(b'"content":" tok"') == 2
    assert body.endswith(b"data: [DONE]\n\n")
    assert [r[0] for r in records(server, since=arrival + 1e-6)] == ["truth-2"]


class SlowSocket(object):
    """Takes at most 1000 bytes per send, as a full socket buffer does."""

    def __init__(self):
        self.data = b""
        self.closed = False

    def send(self, data):
        self.data += data[:1000]
        return min(len(data), 1000)

    def close(self):
        self.closed = True


class FakeSelector(object):
    def modify(self, sock, events, data):
        pass

    def unregister(self, sock):
        pass


def test_connection_close_waits_for_the_unsent_bytes():
    """A large answer to a client that asked for Connection: close (urllib does) is sent whole before closing."""
    server = truth_server.TruthServer.__new__(truth_server.TruthServer)
    server.selector = FakeSelector()
    sock = SlowSocket()
    conn = truth_server.Connection(server, sock)
    conn.close_after = True
    conn.answer(200, b"x" * 5000)
    assert not sock.closed and conn.out
    while conn.out:
        conn.writable()
    assert sock.closed and sock.data.endswith(b"x" * 5000) and b"Connection: close" in sock.data


def test_bad_requests_are_refused(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    resp = post(conn, "/v1/completions", {"model": "m", "prompt": "x", "max_tokens": 3})
    assert resp.status == 400 and b"only streaming" in resp.read()
    conn.request("GET", "/nowhere")
    assert conn.getresponse().status == 404


def test_exchange_tail_without_usage():
    exchange = truth_server.Exchange(None, b"truth-9", 0.0, 2, False, False, 0)
    assert exchange.tail() == b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n"
    assert b'"finish_reason":"length"' in exchange.event(1) and b'"finish_reason":null' in exchange.event(0)
