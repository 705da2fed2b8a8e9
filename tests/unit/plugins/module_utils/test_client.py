# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""KubeClient against real sockets on 127.0.0.1: a silent listener, a closed port, a server that is not Kubernetes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

import pytest

kubernetes = pytest.importorskip("kubernetes")

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError, KubeClient, UnreachableError  # noqa: E402
from ansible_collections.llmd.xks.plugins.module_utils import _kubernetes_core  # noqa: E402


def client_for(port, **kwargs):
    configuration = kubernetes.client.Configuration()
    configuration.host = "http://127.0.0.1:%d" % port
    return KubeClient(kubernetes.client.ApiClient(configuration), **kwargs)


@pytest.fixture
def silent_port():
    """Accepts TCP connections and never answers (a dead load balancer, a dropped-packet firewall)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except socket.timeout:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture
def html_port():
    """Answers every request with a 200 HTML page, as a web server at the wrong address would."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve():
        while True:
            try:
                conn = listener.accept()[0]
            except OSError:
                return
            conn.recv(65536)
            body = b"<html><body>It works!</body></html>"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (len(body), body))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


def scripted_server(responses):
    """Answers the n-th request with responses[n] (status, headers, body); records each request line."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    seen = []

    def serve():
        for status, headers, body in responses:
            try:
                conn = listener.accept()[0]
            except OSError:
                return
            seen.append(conn.recv(65536).split(b"\r\n", 1)[0].decode())
            extra = "".join("%s: %s\r\n" % item for item in headers.items())
            conn.sendall(("HTTP/1.1 %s X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n"
                          % (status, len(body), extra)).encode() + body)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, seen


STORAGE_INITIALIZING = b'{"kind":"Status","status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","code":429}'


def test_a_restarting_server_is_retried_after_the_time_it_asks_for():
    listener, seen = scripted_server([(429, {"Retry-After": "1"}, STORAGE_INITIALIZING),
                                      (429, {"Retry-After": "0"}, STORAGE_INITIALIZING),
                                      (200, {}, b'{"kind":"NamespaceList","items":[]}')])
    client = client_for(listener.getsockname()[1], request_timeout=5)
    started = time.monotonic()
    assert client.get("/api/v1/namespaces") == {"kind": "NamespaceList", "items": []}
    assert 0.9 <= time.monotonic() - started < 5
    assert seen == ["GET /api/v1/namespaces HTTP/1.1"] * 3 and client.requests == 3
    listener.close()


def test_a_429_without_retry_after_is_an_api_error_at_once():
    listener, seen = scripted_server([(429, {}, STORAGE_INITIALIZING), (200, {}, b"{}")])
    with pytest.raises(ApiError) as raised:
        client_for(listener.getsockname()[1], request_timeout=5).get("/api/v1/namespaces")
    assert raised.value.status == 429 and "storage is (re)initializing" in str(raised.value) and len(seen) == 1
    listener.close()


def test_retries_stop_after_ten_tries():
    listener, seen = scripted_server([(503, {"Retry-After": "0"}, b'{"message":"unavailable"}')] * 11)
    with pytest.raises(ApiError) as raised:
        client_for(listener.getsockname()[1], request_timeout=5).get("/version")
    assert raised.value.status == 503 and len(seen) == 10
    listener.close()


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_silent_server_fails_after_the_request_timeout_naming_server_and_request(silent_port):
    client = client_for(silent_port, request_timeout=1, connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(UnreachableError) as raised:
        client.get("/apis")
    elapsed = time.monotonic() - started
    message = str(raised.value)
    assert "http://127.0.0.1:%d" % silent_port in message
    assert "did not answer GET /apis within 1 s (request timeout)" in message
    assert "LLMD_XKS_REQUEST_TIMEOUT" in message
    assert 0.9 <= elapsed < 5


def test_closed_port_is_refused_at_once():
    port = closed_port()
    started = time.monotonic()
    with pytest.raises(UnreachableError) as raised:
        client_for(port, request_timeout=30).get("/version")
    assert time.monotonic() - started < 5
    assert "127.0.0.1:%d refused or failed the connection for GET /version" % port in str(raised.value)


def test_a_server_that_is_not_kubernetes_is_named(html_port):
    with pytest.raises(UnreachableError) as raised:
        client_for(html_port, request_timeout=5).get("/apis")
    message = str(raised.value)
    assert "answered GET /apis with text/html, not Kubernetes JSON" in message and "It works" in message


def test_missing_kubeconfig_names_its_path(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "kubeconfig"
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    with pytest.raises(_kubernetes_core.KubeconfigMissing) as raised:
        _kubernetes_core.api_client({"kubeconfig": str(missing)})
    assert str(missing) in str(raised.value) and "option kubeconfig" in str(raised.value)
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", str(missing))
    with pytest.raises(_kubernetes_core.KubeconfigMissing) as raised:
        _kubernetes_core.api_client({})
    assert str(missing) in str(raised.value) and "from K8S_AUTH_KUBECONFIG" in str(raised.value)


def test_building_the_client_sends_nothing(tmp_path, silent_port, monkeypatch):
    """kubernetes.core's get_api_client() would run discovery against the silent server; ours only reads the file."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n" % silent_port)
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    started = time.monotonic()
    api = _kubernetes_core.api_client({"kubeconfig": str(kubeconfig)})
    assert time.monotonic() - started < 2
    assert api.configuration.host == "http://127.0.0.1:%d" % silent_port
