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

    DISCOVERY = {
        "/apis/serving.kserve.io/v1alpha2": [{"name": "llminferenceservices", "kind": "LLMInferenceService", "namespaced": True},
                                             {"name": "llminferenceservices/status", "kind": "LLMInferenceService", "namespaced": True}],
        "/apis/gateway.networking.k8s.io/v1": [{"name": "httproutes", "kind": "HTTPRoute", "namespaced": True},
                                               {"name": "gateways", "kind": "Gateway", "namespaced": True}],
    }

    def get(self, path, query=None):
        self._record("GET", path)
        if path in self.DISCOVERY and path in self.served:
            return {"resources": self.DISCOVERY[path]}
        if path in self.objects:
            return copy.deepcopy(self.objects[path])
        if self._is_collection(path):
            if not self._served(path):
                self._missing(path)
            return {"items": [copy.deepcopy(o) for p, o in sorted(self.objects.items()) if p.rsplit("/", 1)[0] == path]}
        self._missing(path)

    @staticmethod
    def _is_collection(path):
        parts = path.strip("/").split("/")
        rest = parts[2:] if parts[0] == "api" else parts[3:]
        return len(rest) in (1, 3)

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
        events, self.pending_events = self.pending_events, []
        yield from events

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
    monkeypatch.setattr(_module, "_connector", lambda module: fake)
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


def _shared_dir():
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for candidate in (os.environ.get("LLMD_XKS_SHARED"), os.path.join(repo, "..", "shared"), "/work/shared"):
        if candidate and os.path.isdir(os.path.join(candidate, "crds")):
            return os.path.abspath(candidate)
    raise RuntimeError("The upstream CRDs (../shared/crds) were not found; set LLMD_XKS_SHARED to the shared folder")


def _strict(schema):
    """openAPIV3Schema -> JSON schema that rejects unknown fields, like fieldValidation=Strict does."""
    if not isinstance(schema, dict):
        return schema
    out = dict((k, _strict(v) if isinstance(v, dict) else [_strict(i) for i in v] if isinstance(v, list) else v)
               for k, v in schema.items() if not k.startswith("x-kubernetes-"))
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if "format" in out:
        out.pop("format")
    return out


class CRDSchemas(object):
    """Validators for every kind/version of the upstream CRDs in shared/crds."""

    def __init__(self, crd_dir):
        import glob
        import os

        import yaml

        self.validators = {}
        for path in glob.glob(os.path.join(crd_dir, "**", "*.yaml"), recursive=True):
            with open(path) as handle:
                crd = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = _strict(version["schema"]["openAPIV3Schema"])
                schema["properties"]["metadata"] = {"type": "object"}
                self.validators[("%s/%s" % (group, version["name"]), kind)] = schema

    def errors(self, obj):
        import jsonschema

        schema = self.validators.get((obj["apiVersion"], obj["kind"]))
        if schema is None:
            return ["no CRD serves %s %s" % (obj["apiVersion"], obj["kind"])]
        validator = jsonschema.Draft7Validator(schema)
        return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message) for e in validator.iter_errors(obj)]


@pytest.fixture(scope="session")
def crd_schemas():
    import os

    return CRDSchemas(os.path.join(_shared_dir(), "crds"))
