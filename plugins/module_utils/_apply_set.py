# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: apply a whole set of manifests in one task.

Order: every type is resolved before the first write (a missing CRD fails the task with nothing
applied); then changed objects are validated with a server-side dry run, all of them, before the
first real write; then the set is applied in dependency order (namespaces and CRDs first), pruned
by its label, and waited for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.llmd.xks.plugins.module_utils._apply import apply_known, ensure_absent, ensure_present, normalize
from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._diff import is_unchanged, with_hash
from ansible_collections.llmd.xks.plugins.module_utils._discovery import Resolver, order_key
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError
from ansible_collections.llmd.xks.plugins.module_utils._wait import condition_ready, predicate_for, wait_for, workload_pod_problems

SET_LABEL = "llmd.xks/apply-set"
MASK = "********"


class SetError(Exception):
    pass


def load_definitions(definitions, src):
    import yaml

    docs = []
    if isinstance(definitions, str):
        docs.extend(yaml.safe_load_all(definitions))
    elif isinstance(definitions, dict):
        docs.append(definitions)
    elif definitions:
        for item in definitions:
            docs.extend(yaml.safe_load_all(item) if isinstance(item, str) else [item])
    if src:
        files = [src]
        if os.path.isdir(src):
            files = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith((".yaml", ".yml", ".json")))
        for path in files:
            with open(path, "rb") as handle:
                docs.extend(yaml.safe_load_all(to_text(handle.read())))
    flat = []
    for doc in docs:
        if not doc:
            continue
        if not isinstance(doc, dict):
            raise SetError("definitions: every document must be a mapping, got %r" % (doc,))
        if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
            flat.extend(copy.deepcopy(doc["items"]))
        else:
            flat.append(copy.deepcopy(doc))
    return flat


def check_definitions(objects):
    errors, seen = [], set()
    for i, obj in enumerate(objects):
        meta = obj.get("metadata") or {}
        for field, value in (("apiVersion", obj.get("apiVersion")), ("kind", obj.get("kind")), ("metadata.name", meta.get("name"))):
            if not value:
                errors.append("definitions[%d].%s: missing. Every object needs apiVersion, kind and metadata.name" % (i, field))
        key = (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))
        if key in seen:
            errors.append("definitions[%d]: %s %s appears twice. Keep one" % (i, obj.get("kind"), meta.get("name")))
        seen.add(key)
    return errors


def masked(obj):
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for field in ("data", "stringData"):
        if isinstance(out.get(field), dict):  # both keys and values of a Secret are hidden behind the mask
            out[field] = dict((k, MASK) for k in out[field])
    return out


def _crd_kinds(objects):
    kinds = {}
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            for version in spec.get("versions") or []:
                kinds[("%s/%s" % (spec.get("group"), version.get("name")), (spec.get("names") or {}).get("kind"))] = obj["metadata"]["name"]
    return kinds


class ApplySet(object):
    def __init__(self, client, objects, namespace=None, set_name=None, check_mode=False, force_conflicts=False):
        self.client = client
        self.objects = objects
        self.namespace = namespace
        self.set_name = set_name
        self.check_mode = check_mode
        self.force_conflicts = force_conflicts
        self.resolver = Resolver(client)
        self.results = []
        self.warnings = []

    def _key(self, obj):
        meta = obj["metadata"]
        return "%s %s%s" % (obj["kind"], meta.get("namespace") + "/" if meta.get("namespace") else "", meta["name"])

    def _prepare(self):
        """Resolve every type and fill in namespaces and the set label; no writes."""
        defined_by_set = _crd_kinds(self.objects)
        plan, missing = [], []
        for obj in self.objects:
            try:
                rtype = self.resolver.resolve(obj["apiVersion"], obj["kind"])
            except MissingCRDError as exc:
                if (obj["apiVersion"], obj["kind"]) in defined_by_set:
                    rtype = None  # its CRD is part of this set; resolved after the CRD is established
                else:
                    missing.append(str(exc))
                    continue
            meta = obj.setdefault("metadata", {})
            if rtype is None or rtype.namespaced:
                meta.setdefault("namespace", self.namespace or "default")
            else:
                meta.pop("namespace", None)
            if self.set_name:
                meta.setdefault("labels", {})[SET_LABEL] = self.set_name
            plan.append((obj, rtype))
        if missing:
            raise SetError("Nothing was applied: " + "; ".join(sorted(set(missing))))
        plan.sort(key=lambda item: order_key(item[0]["kind"]))
        return plan

    def _read_and_validate(self, plan, atomic):
        """Read every object once; dry-run the ones that would change, all before the first real write."""
        live, errors = {}, []
        for obj, rtype in plan:
            if rtype is None:
                continue
            meta = obj["metadata"]
            path = rtype.path(obj["apiVersion"], meta.get("namespace"), meta["name"])
            live[path] = current = self.client.get_or_none(path)
            if not atomic or self.check_mode or is_unchanged(with_hash(normalize(obj)), current):
                continue
            try:
                self.client.apply(path, with_hash(normalize(obj)), dry_run=True, force_conflicts=self.force_conflicts)
            except ApiError as exc:
                if exc.is_namespace_missing:
                    continue  # the namespace is created by this set
                errors.append("%s: %s" % (self._key(obj), exc.message))
        if errors:
            raise SetError("Nothing was applied; the API server rejected: " + "; ".join(errors))
        return live

    def _wait_crd(self, name, timeout=60):
        crd_type = self.resolver.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        wait_for(self.client, crd_type, "apiextensions.k8s.io/v1", None, name, condition_ready("Established"), timeout)

    def present(self, atomic=True):
        plan = self._prepare()
        live = self._read_and_validate(plan, atomic and len(plan) > 1)
        defined_by_set = _crd_kinds(self.objects)
        for obj, rtype in plan:
            if rtype is None:
                if self.check_mode:
                    self.results.append(dict(key=self._key(obj), action="created", changed=True))
                    continue
                self._wait_crd(defined_by_set[(obj["apiVersion"], obj["kind"])])
                self.resolver.forget(obj["apiVersion"])
                rtype = self.resolver.resolve(obj["apiVersion"], obj["kind"])
            meta = obj["metadata"]
            path = rtype.path(obj["apiVersion"], meta.get("namespace"), meta["name"])
            if path in live:
                outcome = apply_known(self.client, rtype, obj["apiVersion"], meta.get("namespace"), meta["name"], obj,
                                      live[path], self.check_mode, self.force_conflicts)
            else:
                outcome = ensure_present(self.client, rtype, meta.get("namespace"), meta["name"], lambda _v, o=obj: o,
                                         self.check_mode, self.force_conflicts, obj["apiVersion"])
            self.warnings.extend(outcome.warnings)
            self.results.append(dict(key=self._key(obj), kind=obj["kind"], name=meta["name"], api_version=obj["apiVersion"],
                                     namespace=meta.get("namespace"), action=outcome.action, changed=outcome.changed,
                                     diff=outcome.diff and dict((k, masked(v)) for k, v in outcome.diff.items()),
                                     rtype=rtype, object=outcome.object))
        return self.results

    def _record_path(self):
        return "/api/v1/namespaces/%s/configmaps/llmd-xks-set-%s" % (self.namespace or "default", self.set_name)

    def _read_record(self):
        """The set's record: which kinds and namespaces it has held, so a kind that left the set is pruned too."""
        record = self.client.get_or_none(self._record_path()) or {}
        data = record.get("data") or {}
        kinds = [line.split(" ", 1) for line in (data.get("kinds") or "").splitlines() if " " in line]
        namespaces = [n for n in (data.get("namespaces") or "").splitlines() if n]
        return record, kinds, namespaces

    def _write_record(self, record, kinds, namespaces):
        data = {"kinds": "\n".join("%s %s" % k for k in sorted(kinds)), "namespaces": "\n".join(sorted(namespaces))}
        if record.get("data") == data or self.check_mode:
            return
        body = {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
                "metadata": {"name": "llmd-xks-set-%s" % self.set_name, "namespace": self.namespace or "default",
                             "labels": {"app.kubernetes.io/managed-by": "llmd.xks"}}}
        try:
            self.client.apply(self._record_path(), body, force_conflicts=True)
        except ApiError as exc:
            self.warnings.append("could not record the kinds of set %s: %s" % (self.set_name, exc.message))

    def prune(self):
        if not self.set_name:
            raise SetError("set_name: required with prune=true. Name the set so its objects can be found")
        wanted = set(r["key"] for r in self.results)
        record, previous_kinds, previous_namespaces = self._read_record()
        types, pruned = {}, []
        for api_version, kind in previous_kinds:
            try:
                types[(api_version, kind)] = self.resolver.resolve(api_version, kind)
            except MissingCRDError:
                continue  # the CRD went away, and its objects with it
        for result in self.results:
            if result.get("rtype") is not None:
                types[(result["api_version"], result["kind"])] = result["rtype"]
        current_namespaces = set(o["metadata"].get("namespace") for o in self.objects if o["metadata"].get("namespace"))
        namespaces = current_namespaces | set(previous_namespaces)
        for (api_version, kind), rtype in sorted(types.items(), key=lambda i: -order_key(i[0][1])):
            for namespace in (sorted(namespaces) if rtype.namespaced else [None]):
                listing = self.client.list(rtype.path(api_version, namespace), label_selector="%s=%s" % (SET_LABEL, self.set_name))
                for item in listing.get("items", []):
                    item.update(apiVersion=api_version, kind=kind)
                    key = self._key(item)
                    if key in wanted or item["metadata"].get("deletionTimestamp"):
                        continue
                    outcome = ensure_absent(self.client, rtype, item["metadata"].get("namespace"), item["metadata"]["name"],
                                            self.check_mode, api_version)
                    pruned.append(key)
                    self.results.append(dict(key=key, kind=kind, name=item["metadata"]["name"], api_version=api_version,
                                             namespace=item["metadata"].get("namespace"), action="pruned",
                                             changed=outcome.changed, rtype=rtype))
        current_kinds = set((r["api_version"], r["kind"]) for r in self.results if r["action"] != "pruned" and r.get("rtype"))
        self._write_record(record, current_kinds, current_namespaces)
        return pruned

    def absent(self):
        objects = []
        for obj in self.objects:
            try:
                rtype = self.resolver.resolve(obj["apiVersion"], obj["kind"])
            except MissingCRDError as exc:
                self.warnings.append("%s; nothing to delete" % exc)
                continue
            meta = obj.setdefault("metadata", {})
            if rtype.namespaced:
                meta.setdefault("namespace", self.namespace or "default")
            objects.append((obj, rtype))
        objects.sort(key=lambda item: -order_key(item[0]["kind"]))
        for obj, rtype in objects:
            meta = obj["metadata"]
            outcome = ensure_absent(self.client, rtype, meta.get("namespace"), meta["name"], self.check_mode, obj["apiVersion"])
            self.results.append(dict(key=self._key(obj), kind=obj["kind"], name=meta["name"], api_version=obj["apiVersion"],
                                     namespace=meta.get("namespace"), action=outcome.action, changed=outcome.changed, rtype=rtype))
        if self.set_name and self.client.get_or_none(self._record_path()) is not None:
            self.client.delete(self._record_path(), dry_run=self.check_mode)
        return self.results

    def wait(self, timeout):
        import time

        deadline = time.monotonic() + timeout
        for result in list(self.results):
            if result["action"] in ("pruned", "deleted", "absent") or result.get("rtype") is None:
                continue
            predicate = predicate_for(result["kind"])
            rtype = result["rtype"]
            wait_for(self.client, rtype, rtype.versions[0], result.get("namespace"), result["name"], predicate,
                     max(1, deadline - time.monotonic()), diagnose=self._diagnose, initial=result.get("object"))

    def _diagnose(self, obj):
        return workload_pod_problems(self.client, obj)


def public_results(results):
    return [dict((k, v) for k, v in r.items() if k not in ("rtype", "object") and v is not None) for r in results]
