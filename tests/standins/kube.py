"""Raw REST access for the stand-in controllers (kubernetes Python client, no discovery)."""
from __future__ import annotations

import json
import logging
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

log = logging.getLogger("standins.kube")

__all__ = ["Kube", "ApiException", "path_for", "now"]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def path_for(api_version: str, plural: str, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
    p = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace:
        p += f"/namespaces/{namespace}"
    p += f"/{plural}"
    if name:
        p += f"/{name}"
    if subresource:
        p += f"/{subresource}"
    return p


class Kube:
    """Thin JSON-in/JSON-out wrapper around ``ApiClient.call_api``."""

    def __init__(self, kubeconfig: str, manager: str = "standins"):
        cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
        cfg.connection_pool_maxsize = 32
        self.api = client.ApiClient(cfg)
        self.manager = manager

    def request(self, method: str, path: str, body=None, query=None, content_type="application/json",
                timeout=30, stream=False):
        """One REST call. Returns decoded JSON (or the raw urllib3 response if ``stream``)."""
        m, url, headers, body, post = self.api.param_serialize(
            method, path, query_params=list((query or {}).items()),
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            body=body, auth_settings=["BearerToken"])
        resp = self.api.call_api(m, url, header_params=headers, body=body, post_params=post,
                                 _request_timeout=timeout)
        if stream and resp.status < 400:
            return resp.response
        raw = resp.read()
        if resp.status >= 400:
            raise ApiException(status=resp.status, reason=resp.reason, body=raw.decode("utf-8", "replace"))
        return json.loads(raw) if raw else None

    def get(self, path: str):
        try:
            return self.request("GET", path)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, path: str, label_selector: str | None = None):
        q = {"labelSelector": label_selector} if label_selector else None
        return self.request("GET", path, query=q)

    def apply(self, path: str, body: dict, manager: str | None = None):
        return self.request("PATCH", path, body, {"fieldManager": manager or self.manager, "force": "true"},
                            "application/apply-patch+yaml")

    def merge_patch(self, path: str, body: dict):
        return self.request("PATCH", path, body, {"fieldManager": self.manager},
                            "application/merge-patch+json")

    def json_patch(self, path: str, ops: list):
        return self.request("PATCH", path, ops, {"fieldManager": self.manager}, "application/json-patch+json")

    def create(self, path: str, body: dict):
        return self.request("POST", path, body, {"fieldManager": self.manager})

    def delete(self, path: str, propagation: str = "Background") -> bool:
        try:
            self.request("DELETE", path, {"kind": "DeleteOptions", "apiVersion": "v1",
                                          "propagationPolicy": propagation})
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    def served(self, api_version: str, plural: str) -> bool:
        try:
            self.request("GET", path_for(api_version, plural), query={"limit": "1"})
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    def event(self, obj: dict, etype: str, reason: str, message: str, component: str) -> None:
        """Record a core/v1 Event on ``obj`` (best effort)."""
        meta = obj["metadata"]
        ns = meta.get("namespace") or "default"
        ts = now()
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": ns},
            "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                               "name": meta["name"], "namespace": ns, "uid": meta.get("uid"),
                               "resourceVersion": meta.get("resourceVersion")},
            "type": etype, "reason": reason, "message": message,
            "source": {"component": component}, "reportingComponent": component,
            "firstTimestamp": ts, "lastTimestamp": ts, "count": 1,
        }
        try:
            self.create(path_for("v1", "events", ns), body)
        except ApiException as exc:  # events are informational
            log.debug("event %s/%s %s failed: %s", ns, meta["name"], reason, exc.reason)
