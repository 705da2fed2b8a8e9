"""Tiny raw-REST helpers on top of the kubernetes Python client (no discovery round-trips)."""
from __future__ import annotations

import json

from kubernetes import client, config
from kubernetes.client.rest import ApiException

FIELD_MANAGER = "llmd-xks-localcluster"


def api_client(kubeconfig: str) -> client.ApiClient:
    cfg = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    cfg.connection_pool_maxsize = 16
    return client.ApiClient(cfg)


def resource_path(api_version: str, plural: str, name: str | None = None, namespace: str | None = None,
                  subresource: str | None = None) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    if name:
        base += f"/{name}"
    if subresource:
        base += f"/{subresource}"
    return base


def request(api: client.ApiClient, method: str, path: str, body=None, query=None, content_type="application/json",
            timeout=60):
    """One REST call; returns the decoded JSON body. Raises ApiException on HTTP errors."""
    m, url, headers, body, post = api.param_serialize(
        method, path, query_params=list((query or {}).items()),
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body, auth_settings=["BearerToken"])
    resp = api.call_api(m, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout)
    raw = resp.read()
    if resp.status >= 400:
        raise ApiException(status=resp.status, reason=resp.reason, body=raw.decode("utf-8", "replace"))
    return json.loads(raw) if raw else None


def apply(api: client.ApiClient, path: str, body: dict, manager: str = FIELD_MANAGER):
    """Server-side apply ``body`` at ``path`` (the object's own URL)."""
    return request(api, "PATCH", path, body, {"fieldManager": manager, "force": "true"},
                   "application/apply-patch+yaml")


def get(api: client.ApiClient, path: str):
    try:
        return request(api, "GET", path)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


PLURALS = {}  # kind -> plural, filled lazily for the few kinds bootstrap applies


def plural_of(kind: str) -> str:
    if kind in PLURALS:
        return PLURALS[kind]
    low = kind.lower()
    if low.endswith("s"):
        return low + "es"
    if low.endswith("y") and low[-2:-1] not in "aeiou":
        return low[:-1] + "ies"
    return low + "s"


def apply_object(api: client.ApiClient, obj: dict, namespace: str | None = None):
    meta = obj["metadata"]
    ns = meta.get("namespace") or namespace
    if ns:
        meta["namespace"] = ns
    path = resource_path(obj["apiVersion"], plural_of(obj["kind"]), meta["name"], ns)
    return apply(api, path, obj)
