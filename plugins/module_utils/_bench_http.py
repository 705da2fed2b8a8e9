# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: a lean HTTP/1.1 client for the benchmark's plain ``http://`` requests.

Why not aiohttp here: at hundreds of streams aiohttp spends about 200 us of CPU setting up each request and wakes the
waiting coroutine once per chunk; on one core that delays every other stream's timestamps. This client keeps
persistent keep-alive connections (one per request in flight, reused most-recent first), writes pre-encoded request
bytes with one ``send``, reads each socket from an event-loop reader callback and parses the response (status line,
headers, chunked, ``Content-Length`` or read-until-close bodies) right there: no coroutine runs per chunk, the
waiting request resumes once, when its answer is complete.

Arrival times: on Linux each read carries the kernel's receive time of its last segment (``SO_TIMESTAMPNS``,
moved from CLOCK_REALTIME onto ``perf_counter``'s clock), so an event is stamped when it reached the machine, not
when a busy event loop got round to reading it; elsewhere (or with ``LLMD_XKS_BENCH_KERNEL_STAMPS=0``) the read
itself is timestamped.

An exchange (the ``sink``) is any object with ``head(status, headers)``, ``body(data, now)``, ``done(now)`` and
``fail(kind, detail, now)``; ``kind`` is ``closed`` (the connection ended before the answer was complete; ``detail``
says how far it got) or ``protocol`` (the server broke HTTP/1.1). ``headers`` maps lower-case names to ``str``
values. https, proxies and compressed answers are not handled here (the benchmark uses aiohttp for those).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import os
import platform
import socket
import struct
import time

READ_SIZE = 1 << 16
# Kernel receive timestamps (SO_TIMESTAMPNS, Linux): the time the bytes reached the socket, whatever the event loop
# was doing then. The option's number is 35 on the 64-bit architectures listed; elsewhere reads are stamped when read.
SO_TIMESTAMPNS = 35
KERNEL_STAMPS = platform.system() == "Linux" and platform.machine() in ("x86_64", "aarch64", "arm64") and \
    struct.calcsize("P") == 8 and os.environ.get("LLMD_XKS_BENCH_KERNEL_STAMPS", "1") != "0"
ANC_SIZE = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 64

HEAD_LIMIT = 64 << 10  # a response head (or chunk-size line) longer than this is a protocol error

# parser states
HEAD, SIZE, DATA, DATA_END, TRAILER, LENGTH, UNTIL_CLOSE, IDLE = range(8)


def request_head(method, host, port, path, headers):
    """The request bytes up to ``Content-Length: `` (the caller appends the length, a blank line and the body)."""
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    lines = ["%s %s HTTP/1.1" % (method, path or "/"), "Host: %s" % (host if port == 80 else "%s:%d" % (host, port))]
    for name, value in headers.items():
        if name.lower() in ("host", "content-length", "connection", "transfer-encoding"):
            continue
        lines.append("%s: %s" % (name, value))
    return ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")


def parse_head(head):
    """(status, headers dict with lower-case names, keep_alive) of a response head without its blank line."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError("not an HTTP/1.x status line: %r" % lines[0][:100])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError("bad header line: %r" % line[:100])
        key = name.strip().lower().decode("latin-1")
        value = value.strip().decode("latin-1")
        headers[key] = "%s, %s" % (headers[key], value) if key in headers else value
    conn = headers.get("connection", "").lower()
    if parts[0] == b"HTTP/1.0":
        keep_alive = "keep-alive" in conn
    else:
        keep_alive = "close" not in conn
    return status, headers, keep_alive


class Connection(object):
    """One keep-alive connection; at most one request at a time.

    The socket is read by an event-loop reader callback (``add_reader``) rather than an asyncio transport, so each
    read can carry the kernel's receive time (``recvmsg`` with ``SO_TIMESTAMPNS``); ``data_received(data, now)``
    parses what one read brought."""

    __slots__ = ("pool", "sock", "loop", "fd", "closed", "sink", "state", "left", "buf", "keep_alive", "got_bytes",
                 "pc", "pending", "stamps")

    def __init__(self, pool=None):
        self.pool = pool
        self.sock = None
        self.loop = None
        self.fd = -1
        self.closed = False
        self.sink = None
        self.state = IDLE
        self.left = 0
        self.buf = b""
        self.keep_alive = True
        self.got_bytes = False  # anything of the current answer arrived
        self.pc = time.perf_counter
        self.pending = b""  # request bytes the socket did not take at once
        self.stamps = False

    def attach(self, sock, loop):
        """Starts reading the connected non-blocking ``sock`` on ``loop``."""
        self.sock = sock
        self.loop = loop
        self.fd = sock.fileno()
        if KERNEL_STAMPS:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                self.stamps = True
            except OSError:
                self.stamps = False
        loop.add_reader(self.fd, self._readable)

    # --------------------------------------------------------------------------------------------- requests
    def request(self, data, sink):
        """Writes ``data`` (a whole request) and routes the answer to ``sink``."""
        if self.closed:
            sink.fail("closed", "connection closed before the request was sent", self.pc())
            return
        self.sink = sink
        self.state = HEAD
        self.buf = b""
        self.got_bytes = False
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._lost(exc)
            return
        if sent < len(data):
            self.pending = data[sent:]
            self.loop.add_writer(self.fd, self._writable)

    def _writable(self):
        try:
            sent = self.sock.send(self.pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        self.pending = self.pending[sent:]
        if not self.pending:
            self.loop.remove_writer(self.fd)

    def abort(self):
        """Drops the connection at once (timeout): the sink hears nothing more."""
        self.sink = None
        self.close()

    def close(self):
        if self.sock is not None and not self.closed:
            self.loop.remove_reader(self.fd)
            if self.pending:
                self.loop.remove_writer(self.fd)
                self.pending = b""
            self.sock.close()
        self.closed = True
        if self.pool is not None:
            self.pool.discard(self)

    # --------------------------------------------------------------------------------------------- reading
    def _readable(self):
        try:
            if self.stamps:
                data, anc = self.sock.recvmsg(READ_SIZE, ANC_SIZE)[:2]
            else:
                data = self.sock.recv(READ_SIZE)
                anc = None
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(None)
            return
        now = self.pc()
        if anc:
            # CLOCK_REALTIME of the last segment read, moved onto perf_counter's clock; kept only when plausible
            sec, nsec = struct.unpack_from("qq", anc[0][2])
            stamp = sec + nsec * 1e-9 - (time.time() - now)
            if now - 5.0 < stamp < now:
                now = stamp
        self.data_received(data, now)

    def _lost(self, exc):
        """The connection ended (server close, reset): finishes a read-until-close body or fails the exchange."""
        self.close()
        sink = self.sink
        if sink is None:
            return
        self.sink = None
        now = self.pc()
        if self.state == UNTIL_CLOSE:
            sink.done(now)
            return
        where = {HEAD: "before the response head" if not self.got_bytes else "inside the response head",
                 SIZE: "inside the chunked body", DATA: "inside the chunked body", DATA_END: "inside the chunked body",
                 TRAILER: "before the end of the chunked body", LENGTH: "before Content-Length bytes were read"}
        detail = "connection closed %s" % where.get(self.state, "")
        if exc is not None:
            detail += " (%s: %s)" % (type(exc).__name__, exc)
        sink.fail("closed", detail, now)

    def _protocol_error(self, detail):
        sink = self.sink
        self.sink = None
        self.close()
        if sink is not None:
            sink.fail("protocol", detail, self.pc())

    def data_received(self, data, now):
        sink = self.sink
        if sink is None:  # bytes outside any exchange: the connection cannot be trusted any more
            self.close()
            return
        self.got_bytes = True
        if self.buf:
            data = self.buf + data
            self.buf = b""
        state = self.state
        left = self.left
        pos = 0
        n = len(data)
        out = None  # body bytes of this read, handed over once
        while pos < n:
            if state == DATA:
                take = n - pos if n - pos < left else left
                piece = data if (pos == 0 and take == n) else data[pos:pos + take]
                if out is None:
                    out = piece
                else:
                    out += piece
                pos += take
                left -= take
                if not left:
                    state = DATA_END
                    left = 2
            elif state == DATA_END:  # the CRLF after a chunk's data (it may arrive split)
                take = n - pos if n - pos < left else left
                if data[pos:pos + take] != b"\r\n"[2 - left:2 - left + take]:
                    self._protocol_error("chunk data not followed by CRLF")
                    return
                pos += take
                left -= take
                if not left:
                    state = SIZE
            elif state == SIZE or state == TRAILER:
                end = data.find(b"\n", pos)
                if end < 0:
                    if n - pos > HEAD_LIMIT:
                        self._protocol_error("chunk-size line too long")
                        return
                    self.buf = data[pos:]
                    break
                line = data[pos:end].strip()
                pos = end + 1
                if state == TRAILER:
                    if not line:  # end of the message
                        self.state, self.left = IDLE, 0
                        self._complete(sink, out, now, data, pos)
                        return
                    continue
                try:
                    size = int(line.split(b";", 1)[0], 16)
                except ValueError:
                    self._protocol_error("bad chunk size %r" % line[:40])
                    return
                if size < 0:
                    self._protocol_error("bad chunk size %r" % line[:40])
                    return
                if size == 0:
                    state = TRAILER
                else:
                    state = DATA
                    left = size
            elif state == LENGTH:
                take = n - pos if n - pos < left else left
                piece = data if (pos == 0 and take == n) else data[pos:pos + take]
                out = piece if out is None else out + piece
                pos += take
                left -= take
                if not left:
                    self.state, self.left = IDLE, 0
                    self._complete(sink, out, now, data, pos)
                    return
            elif state == UNTIL_CLOSE:
                piece = data if pos == 0 else data[pos:]
                out = piece if out is None else out + piece
                pos = n
            elif state == HEAD:
                end = data.find(b"\r\n\r\n", pos)
                if end < 0:
                    if n - pos > HEAD_LIMIT:
                        self._protocol_error("response head longer than %d bytes" % HEAD_LIMIT)
                        return
                    self.buf = data[pos:]
                    break
                try:
                    status, headers, keep_alive = parse_head(data[pos:end])
                except ValueError as exc:
                    self._protocol_error(str(exc))
                    return
                pos = end + 4
                if 100 <= status < 200:  # interim answer (100 Continue): the real one follows
                    continue
                self.keep_alive = keep_alive
                sink.head(status, headers)
                if self.sink is not sink:  # the sink gave up (it aborted the connection)
                    return
                coding = headers.get("transfer-encoding", "").lower()
                if status == 204 or status == 304:
                    state, left = IDLE, 0
                elif coding:
                    if not coding.endswith("chunked"):
                        self._protocol_error("unsupported Transfer-Encoding %r" % coding)
                        return
                    state = SIZE
                elif "content-length" in headers:
                    try:
                        left = int(headers["content-length"])
                    except ValueError:
                        self._protocol_error("bad Content-Length %r" % headers["content-length"])
                        return
                    state = LENGTH if left > 0 else IDLE
                else:
                    state = UNTIL_CLOSE
                    self.keep_alive = False
                if state == IDLE:
                    self.state, self.left = IDLE, 0
                    self._complete(sink, out, now, data, pos)
                    return
            else:
                self._protocol_error("unexpected state")
                return
        self.state = state
        self.left = left
        if out is not None:
            sink.body(out, now)

    def _complete(self, sink, out, now, data, pos):
        """The answer is complete: hand over the last body bytes, give the connection back, tell the sink."""
        if out is not None:
            sink.body(out, now)
        self.sink = None
        if pos < len(data) or not self.keep_alive or self.closed:
            self.close()  # bytes after the answer (no pipelining here) or the server wants to close
        elif self.pool is not None:
            self.pool.release(self)
        sink.done(now)


class Pool(object):
    """Keep-alive connections to one ``host:port`` (no limit: the load profile decides the concurrency).

    ``take()`` returns an idle connection or None (no coroutine on the hot path); ``connect()`` opens a new one.
    The most recently released connection is reused first."""

    def __init__(self, host, port, connect_timeout=30.0):
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.idle = []
        self.open = set()
        self.addresses = None  # resolved once, like aiohttp's DNS cache

    def take(self):
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def connect(self, timeout=None):
        loop = asyncio.get_running_loop()
        limit = self.connect_timeout if timeout is None else min(timeout, self.connect_timeout)
        return await asyncio.wait_for(self._connect(loop), limit)

    async def _connect(self, loop):
        if not self.addresses:
            self.addresses = await loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        error = None
        for family, kind, proto, dummy, address in self.addresses:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.sock_connect(sock, address)
            except BaseException as exc:
                sock.close()
                if not isinstance(exc, OSError):
                    raise
                error = exc
                continue
            conn = Connection(self)
            conn.attach(sock, loop)
            self.open.add(conn)
            return conn
        raise error or OSError("no address for %s" % self.host)

    def release(self, conn):
        if not conn.closed:
            self.idle.append(conn)

    def discard(self, conn):
        self.open.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)

    def close(self):
        for conn in list(self.open):
            conn.sink = None
            conn.close()
        self.open.clear()
        del self.idle[:]
