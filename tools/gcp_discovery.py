# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Google's discovery documents as the contract of the GCP requests the collection sends.

The documents are the JSON files google-api-python-client ships in ``googleapiclient/discovery_cache/documents``
(the package is located, never imported: only the JSON is used). ``Contract.check_request`` finds the API method a
request (HTTP method and URL) calls and checks its path parameters (``pattern``), query parameters (known, typed,
enums, required) and body (every field known to the request schema, of the right type, enum values allowed);
``Contract.check_response`` checks a body against the method's response schema. Both return a ``Checked`` with the
method id, the problems (each naming the field) and the number of rules applied.
"""

import importlib.util
import json
import os
import re
from urllib.parse import parse_qs, urlsplit

# the APIs the collection calls (modules, google.cloud modules of provision.yml)
APIS = ("container.v1", "compute.v1", "tpu.v2", "cloudresourcemanager.v1", "serviceusage.v1", "iam.v1")
# Enum values the API returns that its document does not list yet (responses only; requests stay strict).
# compute.v1 lists PREEMPTIBLE_ and COMMITTED_NVIDIA_H100_GPUS but not the regional NVIDIA_H100_GPUS quota itself,
# which compute.regions.get does return (and which A3 node pools consume).
RESPONSE_ENUM_EXTENSIONS = {"compute.v1 Quota.metric": ("NVIDIA_H100_GPUS", "NVIDIA_H100_MEGA_GPUS")}


def documents_dir():
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("google-api-python-client is not installed (requirements-dev.txt pins it for its discovery documents)")
    return os.path.join(list(spec.submodule_search_locations)[0], "discovery_cache", "documents")


def _methods(resources):
    for resource in (resources or {}).values():
        for method in (resource.get("methods") or {}).values():
            yield method
        for method in _methods(resource.get("resources")):
            yield method


def _template_regex(template, plus=".+"):
    out, pos = [], 0
    for match in re.finditer(r"\{(\+?)([^}]+)\}", template):
        out.append(re.escape(template[pos:match.start()]))
        name = re.sub(r"\W", "_", match.group(2))
        out.append("(?P<%s>%s)" % (name, plus if match.group(1) else "[^/:]+"))
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out) + "$")


class Checked(object):
    def __init__(self, method_id=None):
        self.method_id = method_id
        self.problems = []
        self.rules = 0

    @property
    def ok(self):
        return not self.problems

    def __repr__(self):
        return "Checked(%s, rules=%d, problems=%r)" % (self.method_id, self.rules, self.problems)


class Method(object):
    def __init__(self, api, raw):
        self.api = api
        self.raw = raw
        self.id = raw["id"]
        self.http = raw["httpMethod"]
        template = raw.get("flatPath") or raw["path"]
        self.flat = _template_regex(template)
        self.path = _template_regex(raw["path"])
        self.literal = len(re.sub(r"\{[^}]+\}", "", template))
        self.parameters = raw.get("parameters") or {}
        self.request = (raw.get("request") or {}).get("$ref")
        self.response = (raw.get("response") or {}).get("$ref")


class Api(object):
    def __init__(self, doc):
        self.doc = doc
        self.name = "%s.%s" % (doc["name"], doc["version"])
        self.root = doc["rootUrl"] + doc["servicePath"]
        self.host = urlsplit(doc["rootUrl"]).netloc
        self.service_path = doc["servicePath"]
        self.schemas = doc["schemas"]
        self.global_parameters = doc.get("parameters") or {}
        self.methods = [Method(self, m) for m in _methods(doc.get("resources"))]
        self.by_id = dict((m.id, m) for m in self.methods)


class Contract(object):
    def __init__(self, apis=APIS, directory=None):
        directory = directory or documents_dir()
        self.apis = []
        for name in apis:
            with open(os.path.join(directory, name + ".json")) as handle:
                self.apis.append(Api(json.load(handle)))

    def revisions(self):
        return dict((api.name, api.doc.get("revision")) for api in self.apis)

    def method(self, http_method, url):
        """(Method, path-parameter dict), or raises ValueError saying why no method matches."""
        parts = urlsplit(url)
        candidates = [api for api in self.apis if api.host == parts.netloc and parts.path.lstrip("/").startswith(api.service_path)]
        if not candidates:
            raise ValueError("%s %s: no discovery document for host %s" % (http_method, url, parts.netloc))
        found, other_verbs = [], []
        for api in candidates:
            rest = parts.path.lstrip("/")[len(api.service_path):]
            for method in api.methods:
                if method.flat.match(rest):
                    (found if method.http == http_method else other_verbs).append((method, rest))
        if not found:
            if other_verbs:
                raise ValueError("%s %s: the path only takes %s (%s)" % (
                    http_method, parts.path, ", ".join(sorted(set(m.http for m, r in other_verbs))),
                    ", ".join(sorted(set(m.id for m, r in other_verbs)))))
            raise ValueError("%s %s: no method of %s has this path" % (http_method, parts.path, "/".join(a.name for a in candidates)))
        method, rest = max(found, key=lambda item: item[0].literal)
        match = method.path.match(rest)
        return method, (match.groupdict() if match else {})

    # requests ---------------------------------------------------------------------------------------
    def check_request(self, http_method, url, params=None, body=None):
        try:
            method, path_values = self.method(http_method, url)
        except ValueError as exc:
            checked = Checked()
            checked.problems.append(str(exc))
            return checked
        checked = Checked(method.id)
        checked.rules += 1  # the method and path exist
        query = dict(params or {})
        query.update((k, v[0] if len(v) == 1 else v) for k, v in _query_of(url).items())
        for name, spec in sorted(method.parameters.items()):
            location = spec.get("location")
            if location == "path":
                value = path_values.get(re.sub(r"\W", "_", name))
                checked.rules += 1
                if value is None:
                    checked.problems.append("%s: path parameter %s is missing" % (method.id, name))
                elif spec.get("pattern") and not re.match(spec["pattern"], value):
                    checked.problems.append("%s: path parameter %s=%r does not match %s" % (method.id, name, value, spec["pattern"]))
            elif location == "query" and spec.get("required"):
                checked.rules += 1
                if name not in query:
                    checked.problems.append("%s: required query parameter %s is missing" % (method.id, name))
        for name, value in sorted(query.items()):
            spec = method.parameters.get(name) or method.api.global_parameters.get(name)
            checked.rules += 1
            if spec is None or spec.get("location") not in (None, "query"):
                checked.problems.append("%s: unknown query parameter %s (known: %s)" % (
                    method.id, name, ", ".join(sorted(n for n, s in method.parameters.items() if s.get("location") == "query"))))
                continue
            self._value(method.api, value, dict(spec, type=spec.get("type", "string")), "query %s" % name, checked, query=True)
        checked.rules += 1
        if method.request is None:
            if body not in (None, {}):
                checked.problems.append("%s: takes no request body, got one with %s" % (method.id, ", ".join(sorted(body))))
        elif body is None:
            checked.problems.append("%s: needs a %s request body" % (method.id, method.request))
        else:
            self._value(method.api, body, {"$ref": method.request}, "body", checked)
        return checked

    # responses --------------------------------------------------------------------------------------
    def check_response(self, http_method, url, body, status=200):
        try:
            method, dummy = self.method(http_method, url)
        except ValueError as exc:
            checked = Checked()
            checked.problems.append(str(exc))
            return checked
        checked = Checked(method.id)
        if status >= 400:
            self._error(body, checked)
        elif method.response is None:
            checked.rules += 1
            if body not in (None, {}):
                checked.problems.append("%s: has no response body, the recording has %s" % (method.id, ", ".join(sorted(body))))
        else:
            self._value(method.api, body, {"$ref": method.response}, "response", checked, extensions=RESPONSE_ENUM_EXTENSIONS)
        return checked

    @staticmethod
    def _error(body, checked):
        """Google's JSON error shape (google.rpc.Status in the v2 error format); the documents do not describe it."""
        checked.rules += 1
        err = (body or {}).get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict) or not isinstance(err.get("code"), int) or not isinstance(err.get("message"), str):
            checked.problems.append("error response: needs error.code (int) and error.message (str), got %r" % (body,))
            return
        unknown = set(err) - {"code", "message", "status", "errors", "details"}
        if unknown:
            checked.problems.append("error response: unknown fields %s" % ", ".join(sorted(unknown)))

    def _value(self, api, value, spec, where, checked, query=False, extensions=None, owner=None):
        checked.rules += 1
        if value is None:
            return  # the JSON mapping reads null as the field's default
        ref = spec.get("$ref")
        if ref:
            schema = api.schemas.get(ref)
            if schema is None:
                checked.problems.append("%s: schema %s is not in %s" % (where, ref, api.name))
                return
            spec = dict(schema, **dict((k, v) for k, v in spec.items() if k != "$ref"))
        kind = spec.get("type")
        if kind == "any" or kind is None and not spec.get("properties"):
            return
        if spec.get("repeated") and query and isinstance(value, list):
            for index, item in enumerate(value):
                self._value(api, item, dict(spec, repeated=False), "%s[%d]" % (where, index), checked, query, extensions, owner)
            return
        if kind == "object":
            if not isinstance(value, dict):
                checked.problems.append("%s: must be an object, got %s" % (where, type(value).__name__))
                return
            properties = spec.get("properties") or {}
            extra = spec.get("additionalProperties")
            for key, item in sorted(value.items()):
                if key in properties:
                    self._value(api, item, properties[key], "%s.%s" % (where, key), checked, query, extensions,
                                "%s %s.%s" % (api.name, spec.get("id"), key))
                elif extra is not None:
                    self._value(api, item, extra, "%s[%s]" % (where, key), checked, query, extensions, owner)
                else:
                    checked.rules += 1
                    checked.problems.append("%s.%s: unknown field of %s (known: %s)" % (
                        where, key, spec.get("id", "the object"), ", ".join(sorted(properties))))
            return
        if kind == "array":
            if not isinstance(value, list):
                checked.problems.append("%s: must be a list, got %s" % (where, type(value).__name__))
                return
            for index, item in enumerate(value):
                self._value(api, item, spec.get("items") or {}, "%s[%d]" % (where, index), checked, query, extensions, owner)
            return
        problem = _scalar_problem(value, kind, spec.get("format"), query)
        if problem:
            checked.problems.append("%s: %s" % (where, problem))
            return
        if spec.get("enum"):
            checked.rules += 1
            text = str(value).lower() if kind == "boolean" else value
            if text not in spec["enum"] and text not in (extensions or {}).get(owner, ()):
                checked.problems.append("%s: %r is not one of %s" % (where, value, ", ".join(spec["enum"])))


def _query_of(url):
    return parse_qs(urlsplit(url).query)


def _scalar_problem(value, kind, fmt, query):
    if query and isinstance(value, str):
        if kind == "boolean" and value.lower() not in ("true", "false"):
            return "%r is not a boolean" % value
        if kind == "integer" and not re.match(r"^-?\d+$", value):
            return "%r is not an integer" % value
        return None
    if kind == "string":
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return None  # Google's JSON mapping accepts a number for a 64-bit integer
        if fmt in ("int64", "uint64") and isinstance(value, str) and not re.match(r"^-?\d+$", value):
            return "%r is not a %s" % (value, fmt)
        if not isinstance(value, str):
            return "must be a string%s, got %s %r" % (" (%s)" % fmt if fmt else "", type(value).__name__, value)
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer (%s), got %s %r" % (fmt or "int32", type(value).__name__, value)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number, got %s %r" % (type(value).__name__, value)
    elif kind == "boolean":
        if not isinstance(value, bool):
            return "must be a boolean, got %s %r" % (type(value).__name__, value)
    return None


class ContractTransport(object):
    """Wraps a transport: every request is checked before it is sent and every answer after; problems raise
    AssertionError naming the method and field. ``checked`` keeps each (Checked request, Checked response)."""

    def __init__(self, inner, contract):
        self.inner = inner
        self.contract = contract
        self.checked = []

    def send(self, method, url, params=None, body=None):
        request = self.contract.check_request(method, url, params, body)
        if not request.ok:
            raise AssertionError("request outside the discovery documents: %s" % "; ".join(request.problems))
        status, data = self.inner.send(method, url, params=params, body=body)
        response = self.contract.check_response(method, url, data, status)
        if not response.ok:
            raise AssertionError("response outside %s's schema: %s" % (response.method_id, "; ".join(response.problems)))
        self.checked.append((request, response))
        return status, data

    def __getattr__(self, name):
        return getattr(self.inner, name)
