# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Unit-test double of the GCP transport: answers from recorded interactions (tests/unit/fixtures/gcp/*.json).

``install(monkeypatch, transport)`` makes ``_gcp.connect`` of every module use it, as the real ``RequestsTransport``
would be used, with no credentials and no sleeping. Where tools/gcp_discovery.py is importable (make units; the
ansible-test units copy leaves tools/ out), every request and answer also goes through the discovery contract.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import sys
import types

from ansible_collections.llmd.xks.plugins.module_utils import _gcp

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
try:
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import gcp_discovery
    CONTRACT = gcp_discovery.Contract()
except (ImportError, RuntimeError):
    gcp_discovery = None


class ReplayTransport(object):
    """Answers from recorded interactions ``{"method", "url", "query"?, "status", "body", "repeat"?}``.

    An interaction matches the first request with the same method and URL (and, if given, whose query
    contains ``query``); it is used once unless ``repeat`` is true. An unmatched request raises
    ``AssertionError`` naming it, so a test never passes against an unexpected call.
    """

    def __init__(self, interactions):
        self.interactions = [dict(i, used=False) for i in interactions]
        self.calls = []

    @classmethod
    def from_dir(cls, path):
        interactions = []
        names = sorted(glob.glob(os.path.join(path, "*.json")))
        if not names:
            raise ValueError("%s: no *.json recordings there" % path)
        for name in names:
            with open(name) as handle:
                data = json.load(handle)
            interactions.extend(data if isinstance(data, list) else data.get("interactions", [data]))
        return cls(interactions)

    def send(self, method, url, params=None, body=None):
        self.calls.append((method, url, params, body))
        for item in self.interactions:
            if item["used"] or item["method"] != method or item["url"] != url:
                continue
            wanted = item.get("query") or {}
            if any(str((params or {}).get(k)) != str(v) for k, v in wanted.items()):
                continue
            if not item.get("repeat"):
                item["used"] = True
            return item.get("status", 200), json.loads(json.dumps(item.get("body", {})))
        raise AssertionError("No recorded response for %s %s %s" % (method, url, params or ""))

    def unused(self):
        return [(i["method"], i["url"]) for i in self.interactions if not i["used"] and not i.get("repeat")]


def install(monkeypatch, transport, contract=True):
    """Every module's connect() gets ``transport`` (held to the discovery contract); returns what was installed."""
    if contract and gcp_discovery is not None:
        transport = gcp_discovery.ContractTransport(transport, CONTRACT)
    monkeypatch.setattr(_gcp, "credentials", lambda params: None)
    monkeypatch.setattr(_gcp, "RequestsTransport", lambda creds, **kwargs: transport)
    monkeypatch.setattr(_gcp, "time", types.SimpleNamespace(sleep=lambda seconds: None, time=_gcp.time.time))
    return transport
