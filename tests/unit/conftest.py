# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Unit-test doubles: an in-memory API at the REST layer of our KubeClient, and a module runner.

The fake keeps objects by path, answers GET/PATCH(apply)/DELETE/list like the API server does for
the cases these tests need (404 for missing objects vs. missing types, generation bumps on spec
changes, a server-defaulted field), and counts requests. Real API-server behaviour is covered by
the integration tests against the local control plane.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.llmd.xks.plugins.module_utils import _module
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._merge import deep_merge


class FakeKube(object):
    def __init__(self, served=None):
        # api group/version prefixes the fake serves, e.g. "/apis/serving.kserve.io/v1alpha2"
        self.served = set(served or [])
        self.objects = {}
        self.requests = 0
        self.calls = []
        self.version = 1
        self.reject = None  # callable(body) -> error message or None (simulates schema validation)
        self.host = "https://fake"

    def _served(self, path):
        return any(path.startswith(prefix + "/") or path == prefix for prefix in self.served)

    def _record(self, method, path, **extra):
        self.requests += 1
        self.calls.append((method, path, extra))

    def _missing(self, path):
        if not self._served(path):
            raise ApiError(404, "Not Found", {"reason": "NotFound", "message": "the server could not find the requested resource"})
        name = path.rsplit("/", 1)[1]
        raise ApiError(404, "Not Found", {"reason": "NotFound", "message": "%s not found" % name,
                                          "details": {"name": name, "kind": "x"}})

    def get(self, path, query=None):
        self._record("GET", path)
        if path in self.objects:
            return copy.deepcopy(self.objects[path])
        if self._is_collection(path):
            if not self._served(path):
                self._missing(path)
            return {"items": [copy.deepcopy(o) for p, o in sorted(self.objects.items()) if p.rsplit("/", 1)[0] == path]}
        self._missing(path)

    def _is_collection(self, path):
        return any(p.rsplit("/", 1)[0] == path for p in self.objects) or path.endswith("s")

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as exc:
            if exc.status == 404 and not exc.is_type_missing:
                return None
            raise

    def list(self, path, label_selector=None, field_selector=None):
        listing = self.get(path)
        if label_selector:
            wanted = dict(part.split("=", 1) for part in label_selector.split(","))
            listing["items"] = [o for o in listing["items"]
                                if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())]
        return listing

    def apply(self, path, body, dry_run=False, force_conflicts=False):
        self._record("PATCH", path, dry_run=dry_run)
        if not self._served(path):
            self._missing(path)
        if self.reject and self.reject(body):
            raise ApiError(422, "Unprocessable Entity", {"reason": "Invalid", "message": self.reject(body)})
        live = self.objects.get(path)
        if live is None:
            new = copy.deepcopy(body)
            new["metadata"].update(generation=1, uid="uid-" + body["metadata"]["name"])
            new.setdefault("spec", {}).setdefault("serverDefaulted", "yes")
        else:
            new = deep_merge(live, body)
            if new.get("spec") != live.get("spec"):
                new["metadata"]["generation"] = live["metadata"]["generation"] + 1
        self.version += 1
        new["metadata"]["resourceVersion"] = str(self.version)
        if not dry_run:
            self.objects[path] = new
        return copy.deepcopy(new)

    def delete(self, path, dry_run=False, propagation="Background"):
        self._record("DELETE", path, dry_run=dry_run)
        if path not in self.objects:
            self._missing(path)
        if not dry_run:
            del self.objects[path]
        return {}

    def watch(self, path, resource_version, field_selector=None, label_selector=None, timeout_seconds=30):
        self._record("WATCH", path)
        for event in self.pending_events:
            yield event
        self.pending_events = []

    pending_events = []


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


@pytest.fixture
def fake_kube(monkeypatch):
    fake = FakeKube(served=[
        "/apis/serving.kserve.io/v1alpha2", "/apis/inference.networking.k8s.io/v1",
        "/apis/gateway.networking.k8s.io/v1", "/api/v1", "/apis/apps/v1",
    ])
    monkeypatch.setattr(_module, "connect", lambda module: fake)
    return fake


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with args; returns its result dict (raises ModuleExit on failure)."""

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        kwargs["failed"] = True
        raise ModuleExit(kwargs, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(module, args, check_mode=False, diff=False, expect_failure=False):
        args = dict(args)
        if check_mode:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        with patch_module_args(args), pytest.raises(ModuleExit) as caught:
            module.main()
        assert caught.value.failed == expect_failure, caught.value.result
        return caught.value.result

    return run
