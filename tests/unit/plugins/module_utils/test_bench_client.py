# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The benchmark's SSE parser with a scripted clock, and the client against an in-process SSE server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import collections
import json

import pytest

from ansible_collections.llmd.xks.plugins.module_utils._bench_client import (
    Arrivals,
    Client,
    Record,
    StreamParser,
    build_payload,
    endpoint_url,
)

from bench_sse import SSEServer


def cmpl(text, finish=None, usage=None, compact=True):
    obj = {"id": "cmpl-1", "object": "text_completion", "choices": [{"index": 0, "text": text, "logprobs": None,
                                                                     "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    sep = (",", ":") if compact else (", ", ": ")
    return b"data: " + json.dumps(obj, separators=sep).encode() + b"\n\n"


def chat(delta, finish=None):
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]},
                                  separators=(",", ":")).encode() + b"\n\n"


USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}\n\n'
DONE = b"data: [DONE]\n\n"


def run_stream(events, chat_api=False, start=0.0):
    """Feeds (time, bytes) pairs with a scripted clock; returns the finished record."""
    rec = Record()
    rec.start = start
    parser = StreamParser(rec, chat_api)
    for now, data in events:
        parser.feed(data, now)
    rec.end = events[-1][0] if events else start
    parser.finish()
    return rec


def test_endpoint_url():
    assert endpoint_url("http://h:8000", "completions") == "http://h:8000/v1/completions"
    assert endpoint_url("http://h:8000/", "chat") == "http://h:8000/v1/chat/completions"
    assert endpoint_url("http://h/ns/svc/v1/completions", "completions") == "http://h/ns/svc/v1/completions"
    assert endpoint_url("http://h/ns/svc/v1/completions", "chat") == "http://h/ns/svc/v1/chat/completions"
    assert endpoint_url("http://h/v1", "completions") == "http://h/v1/completions"


def test_payload_asks_for_usage_and_exact_length():
    body = json.loads(build_payload("completions", "m", "hi", 12, ignore_eos=True, extra={"temperature": 0}))
    assert body == {"model": "m", "prompt": "hi", "max_tokens": 12, "stream": True, "stream_options": {"include_usage": True},
                    "ignore_eos": True, "min_tokens": 12, "temperature": 0}
    body = json.loads(build_payload("chat", "m", "hi", 5, ignore_eos=False))
    assert body["messages"] == [{"role": "user", "content": "hi"}] and "ignore_eos" not in body and "min_tokens" not in body


def test_completion_stream_timings_follow_vllm():
    # an empty chunk first (must not be the first token), three tokens, usage only in the last chunk
    rec = run_stream([(0.010, cmpl("")), (0.050, cmpl(" a")), (0.070, cmpl(" b")), (0.100, cmpl(" c", "length")),
                      (0.101, USAGE + DONE)])
    assert rec.success, rec.error_detail
    assert rec.ttft == pytest.approx(0.050)
    assert list(rec.itl) == pytest.approx([0.020, 0.030])
    assert rec.e2el == pytest.approx(0.100)  # the usage chunk and [DONE] do not extend it
    assert rec.e2el - rec.ttft == pytest.approx(sum(rec.itl))
    assert rec.tpot == pytest.approx((0.100 - 0.050) / (3 - 1))
    assert (rec.prompt_tokens, rec.output_tokens, rec.cached_tokens) == (7, 3, 4)
    assert rec.finish_reason == "length"


def test_chat_role_only_first_chunk_is_not_the_first_token():
    rec = run_stream([(0.005, chat({"role": "assistant", "content": ""})), (0.040, chat({"content": "Hi"})),
                      (0.060, chat({"content": ""})), (0.080, chat({"content": "!"}, "stop")), (0.081, USAGE + DONE)], chat_api=True)
    assert rec.success
    assert rec.ttft == pytest.approx(0.040)
    assert list(rec.itl) == pytest.approx([0.040])  # the empty chunk at 0.060 is no gap
    assert rec.e2el == pytest.approx(0.080)


def test_chat_reasoning_counts_as_token():
    rec = run_stream([(0.030, chat({"reasoning_content": "hmm"})), (0.050, chat({"content": "ok"}, "stop")),
                      (0.051, USAGE + DONE)], chat_api=True)
    assert rec.ttft == pytest.approx(0.030) and rec.success


def test_one_output_token_has_no_tpot():
    usage = b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n'
    rec = run_stream([(0.030, cmpl(" x", "length")), (0.031, usage + DONE)])
    assert rec.success and rec.tpot is None and len(rec.itl) == 0 and rec.ttft == rec.e2el == pytest.approx(0.030)


def test_tokens_read_together_after_a_pause_have_unknown_arrival_times():
    """#18: tokens sent every 10 ms from 20 ms on; the client lags and reads tokens 1-4 at once at 50 ms (the stamp is
    the arrival of the read's last byte) and tokens 6-7 together at 80 ms. The gaps next to the tokens whose
    arrival is unknown are not ITL (they would be 0 ms), TTFT is an upper bound, TPOT is the truth."""
    usage = b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":8}}\n\n'
    rec = run_stream([(0.001, cmpl("")), (0.050, cmpl(" 1") + cmpl(" 2") + cmpl(" 3") + cmpl(" 4")),
                      (0.060, cmpl(" 5")), (0.080, cmpl(" 6") + cmpl(" 7")), (0.090, cmpl(" 8", "length") + usage + DONE)])
    assert rec.success and rec.tokens == 8 and rec.output_tokens == 8
    assert rec.ttft == pytest.approx(0.050) and rec.known_first == pytest.approx(0.050) and rec.known_index == 3
    assert list(rec.itl) == pytest.approx([0.010, 0.010])  # 4->5 and 7->8; never a 0 ms gap
    assert rec.unknown_gaps == 3 + 2
    assert rec.tpot == pytest.approx(0.010)  # (90 - 50) / (8 - 1 - 3); vLLM's formula would give 40 / 7 = 5.7 ms
    assert rec.e2el == pytest.approx(0.090)


def test_tokens_read_together_right_after_the_previous_read_are_known():
    # the previous read came 0.1 ms before: both tokens arrived within that window, their 0 ms gap is real
    rec = run_stream([(0.0200, cmpl(" 1")), (0.0301, cmpl(" 2")), (0.0302, cmpl(" 3") + cmpl(" 4", "length") + USAGE + DONE)])
    assert rec.success and rec.unknown_gaps == 0 and rec.known_first is None
    assert list(rec.itl) == pytest.approx([0.0101, 0.0001, 0.0])
    rec = run_stream([(0.030, cmpl(" 1") + cmpl(" 2") + cmpl(" 3", "length") + USAGE + DONE)])  # all at once
    assert rec.success and rec.ttft == pytest.approx(0.030) and rec.tpot is None and len(rec.itl) == 0
    assert rec.unknown_gaps == 2


def test_events_split_across_reads_and_crlf_and_multiline():
    data = (cmpl(" a") + cmpl(" b", "length")).replace(b"\n", b"\r\n") + USAGE + DONE
    events = [(0.01 * (i + 1), data[i * 7:(i + 1) * 7]) for i in range((len(data) + 6) // 7)]
    rec = run_stream(events)
    assert rec.success and rec.output_tokens == 3 and len(rec.itl) == 1
    # an event with an event: line and a data field split over two data: lines
    multi = b'event: message\ndata: {"choices":[{"index":0,"text":" z",\ndata: "finish_reason":"length"}]}\n\n'
    rec = run_stream([(0.02, multi), (0.03, USAGE + DONE)])
    assert rec.success and rec.ttft == pytest.approx(0.02)


def test_fast_path_and_full_decode_agree():
    def events(compact):
        return [(0.01, cmpl("", compact=compact)), (0.02, cmpl(" a", compact=compact)),
                (0.03, cmpl(' "text":"x', compact=compact)), (0.05, cmpl(" c", "length", compact=compact)),
                (0.06, USAGE + DONE)]
    fast, slow = run_stream(events(True)), run_stream(events(False))
    assert fast.success and slow.success
    assert (fast.first, fast.last, fast.itl, fast.events) == (slow.first, slow.last, slow.itl, slow.events)


@pytest.mark.parametrize("events, reason", [
    ([(0.02, cmpl(" a")), (0.03, cmpl(" b", "length")), (0.04, USAGE)], "stream_cut"),
    ([(0.02, cmpl(" a")), (0.03, cmpl(" b", "length")), (0.04, DONE)], "no_usage"),
    ([(0.02, cmpl("")), (0.04, USAGE + DONE)], "no_tokens"),
    ([(0.02, cmpl(" a")), (0.03, b'data: {"error":{"message":"boom"}}\n\n'), (0.04, DONE)], "error_event"),
    ([(0.02, b"data: {not json\n\n"), (0.04, DONE)], "bad_event"),
])
def test_incomplete_streams_are_failures(events, reason):
    rec = run_stream(events)
    assert not rec.success and rec.error == reason, (rec.error, rec.error_detail)


def test_stream_without_finish_reason_is_a_warning_unless_strict():
    """#22: tokens, usage and [DONE] without any finish_reason: GuideLLM and inference-perf accept it, so do we."""
    events = [(0.02, cmpl(" a")), (0.03, cmpl(" b")), (0.05, cmpl(" c")), (0.06, USAGE + DONE)]
    rec = run_stream(events)
    assert rec.success and rec.error is None and rec.warning == "no_finish_reason"
    assert (rec.ttft, rec.e2el, list(rec.itl), rec.output_tokens) == (0.02, 0.05, pytest.approx([0.01, 0.02]), 3)
    strict = Record()
    strict.start = 0.0
    parser = StreamParser(strict, False, strict=True)
    for now, data in events:
        parser.feed(data, now)
    strict.end = 0.06
    parser.finish()
    assert not strict.success and strict.error == "no_finish_reason" and strict.warning is None


# ------------------------------------------------------------------------- against a real (in-process) server

@pytest.fixture(scope="module")
def server():
    srv = SSEServer().start()
    yield srv
    srv.stop()


def send(server, mode, api="completions", max_tokens=4, timeout=5.0, url=None):
    server.mode = mode

    async def go():
        client = Client(url or server.url, api, api_key="k", headers={"X-Test": "1"}, timeout=timeout)
        try:
            rec = Record()
            return await client.send(build_payload(api, "m", "a b c", max_tokens), rec)
        finally:
            await client.close()
    return asyncio.run(go())


def test_client_success(server):
    rec = send(server, "ok", max_tokens=5)
    assert rec.success, rec.error_detail
    assert rec.status == 200 and rec.output_tokens == 5 and len(rec.itl) == 4 and rec.pod.startswith("pod-")
    # the server waits 20 ms, then 2 ms between tokens; delivery jitter can shorten a measured gap a little
    assert rec.ttft >= 0.02 and 0.0015 <= rec.tpot < 0.02
    assert server.bodies[-1]["stream_options"] == {"include_usage": True}


def test_client_chat_early_role_chunk(server):
    rec = send(server, "early_role", api="chat", max_tokens=3)
    assert rec.success and rec.ttft >= 0.05  # the role chunk came at ~0 ms; the first token after 50 ms


@pytest.mark.parametrize("mode, reason", [
    ("http500", "http_status"), ("drop", "stream_cut"), ("no_usage", "no_usage"), ("error_event", "error_event"),
    ("no_done", "stream_cut"),
])
def test_client_failures(server, mode, reason):
    rec = send(server, mode)
    assert not rec.success and rec.error == reason, (rec.error, rec.error_detail)
    if mode == "http500":
        assert rec.status == 500 and "injected failure" in rec.error_detail


def test_client_timeout(server):
    rec = send(server, "slow", timeout=0.3)
    assert rec.error == "timeout" and 0.25 < rec.end - rec.start < 2.0


def test_client_connection_refused(server):
    rec = send(server, "ok", url="http://127.0.0.1:9")
    assert rec.error == "connection"


def test_https_with_and_without_certificate_check(tmp_path):
    """A self-signed endpoint fails with validate_certs (connection) and works without."""
    import ssl
    import subprocess
    key, cert = str(tmp_path / "k.pem"), str(tmp_path / "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    srv = SSEServer(ssl_context=context).start()
    try:
        async def go(validate):
            client = Client(srv.url, "completions", timeout=5.0, validate_certs=validate)
            try:
                return await client.send(build_payload("completions", "m", "a b", 2), Record())
            finally:
                await client.close()
        assert asyncio.run(go(True)).error == "connection"
        assert asyncio.run(go(False)).success
    finally:
        srv.stop()


def test_event_times_come_from_the_socket_reads():
    """Each event gets the time of the read that carried its terminator; a missing time falls back to now."""
    import collections
    rec = Record()
    rec.start = 0.0
    parser = StreamParser(rec, False)
    data = cmpl(" a") + cmpl(" b") + cmpl(" c", "length")
    parser.feed(data, 0.9, collections.deque([0.1, 0.2]))  # two terminators counted: the third event gets now
    parser.feed(USAGE + DONE, 1.0, collections.deque([0.95, 0.96]))
    rec.end = 1.0
    parser.finish()
    assert rec.success and rec.first == 0.1 and list(rec.itl) == pytest.approx([0.1, 0.7]) and rec.last == 0.9


class FakeProtocol(object):
    def __init__(self):
        self.got = []

    def data_received(self, data):
        self.got.append(data)


class FakeResponse(object):
    def __init__(self, proto):
        self.connection = type("Conn", (), {"protocol": proto})()


def test_arrivals_wraps_data_received_once_and_counts_terminators():
    proto = FakeProtocol()
    arrivals = Arrivals.of(FakeResponse(proto))
    assert Arrivals.of(FakeResponse(proto)) is arrivals
    proto.data_received(b"HTTP/1.1 200 OK\r\n\r\n")
    proto.data_received(b"")
    proto.data_received(b"data: x\n\ndata: y\n\n")
    assert proto.got == [b"HTTP/1.1 200 OK\r\n\r\n", b"", b"data: x\n\ndata: y\n\n"]  # the original still runs
    times = arrivals.take()
    assert len(times) == 2 and times[0] == times[1] and arrivals.take() == collections.deque()
    assert Arrivals.of(type("R", (), {"connection": None})()) is None
