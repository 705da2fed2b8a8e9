# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: a thin REST layer over kubernetes.client.ApiClient.

It speaks plain paths so that one read and one server-side apply are all a typed module needs,
with no discovery round trips. It counts the requests it makes (returned as ``api_requests``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

try:
    from urllib.parse import urlencode
except ImportError:  # pragma: no cover
    from urllib import urlencode  # type: ignore

FIELD_MANAGER = "llmd.xks"


class ApiError(Exception):
    """An HTTP error from the API server, with the decoded Status when there is one."""

    def __init__(self, status, reason="", body=None):
        self.status = status
        self.reason = reason
        self.body = body if isinstance(body, dict) else {}
        self.message = self.body.get("message") or reason or str(body)
        super(ApiError, self).__init__("%s %s: %s" % (status, reason, self.message))

    @property
    def status_reason(self):
        return self.body.get("reason", "")

    @property
    def is_type_missing(self):
        """404 for the resource type itself (CRD not installed), not for one object."""
        return self.status == 404 and not (self.body.get("details") or {}).get("name")

    @property
    def is_namespace_missing(self):
        details = self.body.get("details") or {}
        return self.status == 404 and details.get("kind") == "namespaces"


class UnreachableError(Exception):
    pass


DEFAULT_CONNECT_TIMEOUT = 10
DEFAULT_REQUEST_TIMEOUT = 30
TIMEOUT_HINT = ("Check the kubeconfig/context (option kubeconfig or K8S_AUTH_KUBECONFIG) and that the cluster is running "
                "and reachable; the limits are options connect_timeout and request_timeout (environment "
                "LLMD_XKS_CONNECT_TIMEOUT, LLMD_XKS_REQUEST_TIMEOUT)")


# client-go's rule (rest.Request checkWait): a 429 or 5xx that carries Retry-After was not processed
# (a restarting server answers "storage is (re)initializing"), so it is retried after that many
# seconds, at most 10 times.
RETRY_AFTER_STATUS = (429, 500, 502, 503, 504)
RETRY_AFTER_MAX_TRIES = 10
RETRY_AFTER_MAX_SECONDS = 10


def _retry_after(response):
    """Seconds the server asked us to wait before retrying, or None."""
    if response.status not in RETRY_AFTER_STATUS:
        return None
    value = (response.headers or {}).get("Retry-After")
    try:
        return min(max(int(value), 0), RETRY_AFTER_MAX_SECONDS)
    except (TypeError, ValueError):
        return None


class NotJSON(ValueError):
    pass


def _decode(data, strict=False):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        return json.loads(data) if data else {}
    except ValueError:
        if strict:
            raise NotJSON(data)
        return {"message": data}


def _unreachable(host, method, path, exc, connect_timeout, read_timeout):
    """One message naming the server and what failed or timed out."""
    import urllib3

    where = "The Kubernetes API at %s" % host
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        what = "refused or failed the connection for %s %s (%s)" % (method, path, getattr(exc, "reason", None) or exc)
    elif isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        what = "did not accept a connection within %s s (connect timeout) for %s %s" % (connect_timeout, method, path)
    elif isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        what = "accepted the connection but did not answer %s %s within %s s (request timeout)" % (method, path, read_timeout)
    else:
        what = "failed %s %s: %s" % (method, path, exc)
    return UnreachableError("%s %s. %s." % (where, what, TIMEOUT_HINT))


class KubeClient(object):
    """REST calls with request counting. ``api_client`` is a kubernetes.client.ApiClient."""

    def __init__(self, api_client, request_timeout=DEFAULT_REQUEST_TIMEOUT, connect_timeout=DEFAULT_CONNECT_TIMEOUT):
        self.api_client = api_client
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.requests = 0

    @property
    def host(self):
        return self.api_client.configuration.host

    def _headers(self, content_type):
        headers = {"Accept": "application/json", "Content-Type": content_type}
        headers.update(self.api_client.default_headers or {})
        for setting in (self.api_client.configuration.auth_settings() or {}).values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    def request(self, method, path, query=None, body=None, content_type="application/json", stream=False, timeout=None):
        """One HTTP request through the client's TLS-configured connection pool.

        The generated ApiClient.call_api changed its signature across kubernetes releases, so we use
        the pool and the configuration (host, TLS, tokens, exec-plugin refresh) that it built.
        """
        import urllib3

        self.requests += 1
        url = self.host.rstrip("/") + path
        if query:
            url += "?" + urlencode(sorted(query.items()))
        read_timeout = timeout or self.request_timeout
        connect_timeout = min(self.connect_timeout, read_timeout)
        for attempt in range(1, RETRY_AFTER_MAX_TRIES + 1):
            try:
                response = self.api_client.rest_client.pool_manager.request(
                    method, url, body=body, headers=self._headers(content_type), preload_content=not stream,
                    timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout), retries=False,
                )
                if stream and 200 <= response.status <= 299:
                    return response
                data = response.data if not stream else response.read()
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _unreachable(self.host, method, path, exc, connect_timeout, read_timeout)
            wait = _retry_after(response)
            if wait is None or attempt == RETRY_AFTER_MAX_TRIES:
                break
            self.requests += 1
            time.sleep(wait)
        if not 200 <= response.status <= 299:
            raise ApiError(response.status, response.reason, _decode(data))
        try:
            return _decode(data, strict=True)
        except NotJSON:
            raise UnreachableError(
                "The server at %s answered %s %s with %s, not Kubernetes JSON: %r. Check that the kubeconfig's server "
                "(option kubeconfig or K8S_AUTH_KUBECONFIG) is the cluster's API server"
                % (self.host, method, path, response.headers.get("Content-Type") or "no content type", data[:80]))

    def get(self, path, query=None):
        return self.request("GET", path, query=query)

    def get_or_none(self, path):
        try:
            return self.get(path)
        except ApiError as exc:
            if exc.status == 404 and not exc.is_type_missing:
                return None
            raise

    def apply(self, path, body, dry_run=False, force_conflicts=False):
        query = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}
        if force_conflicts:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        return self.request("PATCH", path, query=query, body=json.dumps(body), content_type="application/apply-patch+yaml")

    def delete(self, path, dry_run=False, propagation="Background"):
        query = {"propagationPolicy": propagation}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("DELETE", path, query=query)

    def list(self, path, label_selector=None, field_selector=None):
        query = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        return self.get(path, query=query)

    def watch(self, path, resource_version, field_selector=None, label_selector=None, timeout_seconds=30):
        """Yield watch events ({type, object}) until the server closes the stream."""
        query = {"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": str(int(max(1, timeout_seconds)))}
        if resource_version:
            query["resourceVersion"] = resource_version
        if field_selector:
            query["fieldSelector"] = field_selector
        if label_selector:
            query["labelSelector"] = label_selector
        import urllib3

        raw = self.request("GET", path, query=query, stream=True, timeout=timeout_seconds + 5)
        buffer = b""
        try:
            for chunk in raw.stream(4096, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError):
            return  # the server closed the stream; the caller reads again and re-watches
        finally:
            raw.release_conn()
