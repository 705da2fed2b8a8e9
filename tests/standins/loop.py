"""The small shared reconcile machinery: informers (list+watch caches) and work-queue controllers.

An ``Informer`` lists a resource, keeps a cache keyed by (namespace, name) and streams a watch,
calling its handlers on every ADDED/MODIFIED/DELETED event. It re-lists on watch errors/expiry.
A ``Controller`` owns a de-duplicating queue of keys and one worker thread that calls
``reconcile(key)``; failures are retried with backoff, and ``requeue_after`` schedules a retry.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Callable

from .kube import ApiException, Kube, path_for

log = logging.getLogger("standins.loop")


def key_of(obj: dict) -> tuple:
    m = obj["metadata"]
    return (m.get("namespace") or "", m["name"])


class Informer:
    def __init__(self, kube: Kube, api_version: str, plural: str, label_selector: str | None = None,
                 optional: bool = False):
        self.kube, self.api_version, self.plural = kube, api_version, plural
        self.label_selector = label_selector
        self.optional = optional  # the resource may not be served (CRD absent): keep retrying quietly
        self.cache: dict[tuple, dict] = {}
        self.handlers: list[Callable[[str, dict], None]] = []
        self.synced = threading.Event()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.name = f"{plural}.{api_version}" + (f"[{label_selector}]" if label_selector else "")

    def add_handler(self, fn: Callable[[str, dict], None]) -> None:
        self.handlers.append(fn)

    def get(self, namespace: str, name: str) -> dict | None:
        with self.lock:
            return self.cache.get((namespace or "", name))

    def list(self, namespace: str | None = None) -> list[dict]:
        with self.lock:
            return [o for k, o in self.cache.items() if namespace is None or k[0] == namespace]

    def _dispatch(self, etype: str, obj: dict) -> None:
        for fn in self.handlers:
            try:
                fn(etype, obj)
            except Exception:  # noqa: BLE001 - a handler bug must not kill the informer
                log.exception("handler for %s failed", self.name)

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"informer-{self.plural}", daemon=True).start()

    def _run(self) -> None:
        path = path_for(self.api_version, self.plural)
        while not self.stopping.is_set():
            try:
                listing = self.kube.list(path, self.label_selector)
            except ApiException as exc:
                if exc.status == 404 and self.optional:
                    self.synced.set()
                    time.sleep(5)
                    continue
                log.warning("list %s failed: %s", self.name, exc.reason)
                time.sleep(1)
                continue
            except Exception as exc:  # noqa: BLE001 - connection refused during shutdown etc.
                log.warning("list %s failed: %s", self.name, exc)
                time.sleep(1)
                continue
            rv = listing["metadata"]["resourceVersion"]
            fresh = {}
            kind = listing.get("kind", "").removesuffix("List")
            for item in listing.get("items", []):
                item.setdefault("apiVersion", self.api_version)
                item.setdefault("kind", kind)
                fresh[key_of(item)] = item
            with self.lock:
                gone = [o for k, o in self.cache.items() if k not in fresh]
                self.cache = fresh
            for o in gone:
                self._dispatch("DELETED", o)
            for o in fresh.values():
                self._dispatch("ADDED", o)
            self.synced.set()
            # watch; a watch that merely timed out resumes from the last resourceVersion seen,
            # an expired one (410 Gone) or a broken connection falls back to a fresh list
            while rv and not self.stopping.is_set():
                try:
                    rv = self._watch(path, rv)
                except Exception as exc:  # noqa: BLE001
                    if not self.stopping.is_set():
                        log.debug("watch %s ended: %s", self.name, exc)
                        time.sleep(0.2)
                    rv = None

    def _watch(self, path: str, rv: str) -> str | None:
        """Stream events from ``rv``; returns the resourceVersion to resume from, None to re-list."""
        query = {"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true",
                 "timeoutSeconds": os.environ.get("LLMD_XKS_STANDINS_WATCH_TIMEOUT", "240")}
        if self.label_selector:
            query["labelSelector"] = self.label_selector
        resp = self.kube.request("GET", path, query=query, stream=True, timeout=(10, 300))
        try:
            buf = b""
            for chunk in resp.stream(4096, decode_content=False):
                if self.stopping.is_set():
                    return None
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    ev = json.loads(line)
                    etype, obj = ev["type"], ev["object"]
                    if etype == "ERROR":
                        return None  # e.g. 410 Gone: re-list
                    rv = obj.get("metadata", {}).get("resourceVersion") or rv
                    if etype == "BOOKMARK":
                        continue
                    with self.lock:
                        if etype == "DELETED":
                            self.cache.pop(key_of(obj), None)
                        else:
                            self.cache[key_of(obj)] = obj
                    self._dispatch(etype, obj)
        finally:
            resp.release_conn()
        return rv


class Controller:
    name = "controller"

    def __init__(self, kube: Kube):
        self.kube = kube
        self._queue: dict[tuple, float] = {}  # key -> not-before time
        self._cv = threading.Condition()
        self._failures: dict[tuple, int] = {}
        self.log = logging.getLogger(f"standins.{self.name}")

    def enqueue(self, key: tuple, after: float = 0.0) -> None:
        t = time.time() + after
        with self._cv:
            cur = self._queue.get(key)
            if cur is None or t < cur:
                self._queue[key] = t
                self._cv.notify()

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"ctrl-{self.name}", daemon=True).start()

    def _next(self) -> tuple:
        with self._cv:
            while True:
                now = time.time()
                due = [(t, k) for k, t in self._queue.items() if t <= now]
                if due:
                    key = min(due)[1]
                    del self._queue[key]
                    return key
                wait = min(self._queue.values()) - now if self._queue else 5.0
                self._cv.wait(timeout=max(0.01, min(wait, 5.0)))

    def _run(self) -> None:
        while True:
            key = self._next()
            try:
                after = self.reconcile(key)
                self._failures.pop(key, None)
                if after:
                    self.enqueue(key, after)
            except ApiException as exc:
                body = exc.body if isinstance(exc.body, str) else ""
                if exc.status == 404 or (exc.status == 403 and "being terminated" in body):
                    # the object or its namespace is going away; the watch brings any news
                    self.log.debug("reconcile %s: %s %s (namespace/object going away)", key, exc.status, exc.reason)
                    self._failures.pop(key, None)
                    continue
                n = self._failures[key] = self._failures.get(key, 0) + 1
                lvl = logging.DEBUG if exc.status == 409 else logging.WARNING
                self.log.log(lvl, "reconcile %s: %s %s %s", key, exc.status, exc.reason,
                             (exc.body or "")[:300] if isinstance(exc.body, (str, bytes)) else "")
                self.enqueue(key, min(0.1 * 2 ** n, 10.0))
            except Exception:  # noqa: BLE001
                n = self._failures[key] = self._failures.get(key, 0) + 1
                self.log.exception("reconcile %s failed", key)
                self.enqueue(key, min(0.2 * 2 ** n, 30.0))

    def reconcile(self, key: tuple) -> float | None:  # pragma: no cover - abstract
        raise NotImplementedError


def owner_keys(obj: dict, kind: str) -> list[tuple]:
    """Keys of the owners of ``obj`` with the given kind (same namespace)."""
    ns = obj["metadata"].get("namespace") or ""
    return [(ns, r["name"]) for r in obj["metadata"].get("ownerReferences", []) if r.get("kind") == kind]


def condition(obj: dict | None, ctype: str) -> dict | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def owner_ref(owner: dict, controller: bool = True) -> dict:
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": controller, "blockOwnerDeletion": True}
