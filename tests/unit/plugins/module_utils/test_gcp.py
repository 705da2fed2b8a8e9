# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _gcp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gcp_replay import ReplayTransport  # noqa: E402  pylint: disable=wrong-import-position

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "gcp")
K = "https://container.googleapis.com/v1/projects/my-project/locations/europe-west4-a"


def load(*names):
    items = []
    for name in names:
        with open(os.path.join(FIXTURES, name)) as handle:
            items.extend(json.load(handle))
    return ReplayTransport(items)


def test_retries_429_and_5xx_then_polls_the_operation():
    transport = load("operation_polling.json")
    sleeps = []
    client = _gcp.GcpClient(transport, sleep=sleeps.append)
    op = client.post(K + "/clusters", {"cluster": {"name": "llmd-tpu"}})
    done = client.wait(op, interval=7)
    assert done["targetLink"].endswith("/clusters/llmd-tpu")
    assert sleeps == [1.0, 2.0, 7, 7]            # backoff 1 s, 2 s, then two polls
    assert client.requests == 5 and transport.unused() == []


def test_retries_give_up_with_the_error():
    transport = ReplayTransport([{"method": "GET", "url": "u", "status": 503, "repeat": True,
                                  "body": {"error": {"code": 503, "message": "backend down", "status": "UNAVAILABLE"}}}])
    client = _gcp.GcpClient(transport, retries=2, sleep=lambda s: None)
    with pytest.raises(_gcp.GcpError) as caught:
        client.get("u")
    assert caught.value.status == 503 and caught.value.reason == "UNAVAILABLE" and client.requests == 3


def test_a_busy_cluster_is_waited_for():
    busy = {"error": {"code": 400, "status": "FAILED_PRECONDITION",
                      "message": "Cluster is running incompatible operation operation-1700000000000-abc."}}
    transport = ReplayTransport([{"method": "PUT", "url": "c", "status": 400, "body": busy},
                                 {"method": "PUT", "url": "c", "body": {"name": "op", "status": "DONE"}}])
    sleeps = []
    assert _gcp.GcpClient(transport, sleep=sleeps.append).request("PUT", "c", body={})["status"] == "DONE"
    assert sleeps == [30]
    invalid = {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "Could not find TPU topology 2x2x1"}}
    transport = ReplayTransport([{"method": "PUT", "url": "c", "status": 400, "body": invalid}])
    with pytest.raises(_gcp.GcpError, match="Could not find TPU topology"):
        _gcp.GcpClient(transport, sleep=sleeps.append).request("PUT", "c", body={})


def test_operation_error_and_timeout():
    stockout = {"status": "DONE", "name": "op", "error": {"errors": [{"code": "ZONE_RESOURCE_POOL_EXHAUSTED", "message": "no"}]}}
    client = _gcp.GcpClient(ReplayTransport([]), sleep=lambda s: None)
    with pytest.raises(_gcp.GcpError) as caught:
        client.wait(stockout)
    assert caught.value.is_stockout
    now = [0]
    running = {"status": "RUNNING", "name": "op", "selfLink": "https://x/op"}
    transport = ReplayTransport([{"method": "GET", "url": "https://x/op", "repeat": True, "body": running}])
    client = _gcp.GcpClient(transport, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    with pytest.raises(_gcp.GcpError) as caught:
        client.wait(running, timeout=30, interval=10)
    assert caught.value.reason == "TIMEOUT" and now[0] == 30


def test_tpu_operation_url():
    assert _gcp.operation_url({"name": "projects/p/locations/z/operations/o"}) == "https://tpu.googleapis.com/v2/projects/p/locations/z/operations/o"


def test_replay_rejects_an_unexpected_request():
    transport = ReplayTransport([{"method": "GET", "url": "a", "body": {}}])
    with pytest.raises(AssertionError, match="No recorded response for DELETE a"):
        transport.send("DELETE", "a")
    transport.send("GET", "a")
    with pytest.raises(AssertionError):
        transport.send("GET", "a")       # used once unless "repeat"


def test_replay_from_dir(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"method": "GET", "url": "a", "body": {"x": 1}}))
    (tmp_path / "two.json").write_text(json.dumps([{"method": "GET", "url": "b", "query": {"filter": "f"}, "body": {"y": 2}}]))
    transport = ReplayTransport.from_dir(str(tmp_path))
    assert transport.send("GET", "a") == (200, {"x": 1})
    with pytest.raises(AssertionError):
        transport.send("GET", "b", params={"filter": "other"})
    assert transport.send("GET", "b", params={"filter": "f"}) == (200, {"y": 2})


def test_list_follows_pages():
    transport = ReplayTransport([
        {"method": "GET", "url": "l", "body": {"items": [1], "nextPageToken": "t"}},
        {"method": "GET", "url": "l", "query": {"pageToken": "t"}, "body": {"items": [2]}},
    ])
    assert _gcp.GcpClient(transport).list("l") == [1, 2]


@pytest.mark.parametrize("params, message", [
    ({"auth_kind": "serviceaccount"}, "needs service_account_file"),
    ({"auth_kind": "accesstoken"}, "needs access_token"),
    ({"auth_kind": "application", "access_token": "t"}, "access_token requires auth_kind: accesstoken"),
    ({"auth_kind": "serviceaccount", "service_account_contents": "{not json"}, "not a service account key"),
])
def test_credential_errors(params, message):
    with pytest.raises(_gcp.CredentialError, match=message):
        _gcp.credentials(params)


def test_access_token_credentials():
    creds = _gcp.credentials({"auth_kind": "accesstoken", "access_token": "ya29.token"})
    assert creds.token == "ya29.token"


def test_auth_spec_matches_google_cloud():
    spec = _gcp.auth_argument_spec()
    assert spec["auth_kind"]["fallback"][1] == ["GCP_AUTH_KIND"] and spec["service_account_contents"]["no_log"]
    assert spec["access_token"]["no_log"] and spec["service_account_file"]["type"] == "path"


def test_api_endpoint_rewrites_public_urls_and_links():
    psc = "https://{service}-myendpoint.p.googleapis.com"
    assert _gcp.endpoint_url("https://compute.googleapis.com/compute/v1/projects/p/regions/r", psc) == \
        "https://compute-myendpoint.p.googleapis.com/compute/v1/projects/p/regions/r"
    assert _gcp.endpoint_url("https://container.googleapis.com/v1/projects/p", "http://127.0.0.1:8085/{service}/") == \
        "http://127.0.0.1:8085/container/v1/projects/p"
    assert _gcp.endpoint_url("https://example.com/x", psc) == "https://example.com/x"       # not a Google API URL
    assert _gcp.endpoint_url("https://compute.googleapis.com/compute/v1", None) == "https://compute.googleapis.com/compute/v1"


@pytest.mark.parametrize("value", ["127.0.0.1:8085", "http://127.0.0.1:8085", "ftp://{service}.x", "http://{service}/{service}"])
def test_api_endpoint_errors_name_the_option(value):
    assert "api_endpoint (or LLMD_XKS_GCP_API_ENDPOINT)" in _gcp.endpoint_error(value)


def test_requests_transport_sends_to_the_endpoint(monkeypatch):
    sent = []

    class Session(object):
        def __init__(self, creds):
            pass

        def request(self, method, url, **kwargs):
            sent.append((method, url, kwargs["params"]))
            return type("R", (), {"status_code": 200, "content": b"{}", "json": lambda self: {}})()

    import google.auth.transport.requests as requests_transport
    monkeypatch.setattr(requests_transport, "AuthorizedSession", Session)
    transport = _gcp.RequestsTransport(None, endpoint="http://127.0.0.1:1/{service}")
    assert transport.send("GET", "https://tpu.googleapis.com/v2/projects/p/locations/z/nodes", params={"a": 1}) == (200, {})
    assert sent == [("GET", "http://127.0.0.1:1/tpu/v2/projects/p/locations/z/nodes", {"a": 1})]


def test_a_disabled_api_is_not_a_permission_problem():
    body = {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": (
        "Cloud TPU API has not been used in project 123 before or it is disabled. Enable it by visiting "
        "https://console.developers.google.com/apis/api/tpu.googleapis.com/overview?project=123 then retry."),
        "errors": [{"reason": "accessNotConfigured", "message": "x"}]}}
    client = _gcp.GcpClient(ReplayTransport([{"method": "GET", "url": "u", "status": 403, "body": body}]))
    with pytest.raises(_gcp.GcpError) as caught:
        client.get("u")
    assert caught.value.is_service_disabled and not caught.value.is_permission
    assert "gcloud services enable tpu.googleapis.com" in str(caught.value)
