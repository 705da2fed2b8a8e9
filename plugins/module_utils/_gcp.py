# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: a small Google Cloud REST client.

* Credentials are taken like the google.cloud modules take them (``auth_kind`` application /
  serviceaccount / machineaccount / accesstoken, ``GCP_*`` environment fallbacks), so AWX's GCP
  credential works unchanged.
* Requests go through a *transport* (``send(method, url, params, body) -> (status, body)``), google-auth's
  ``AuthorizedSession``. URLs are the public ``https://SERVICE.googleapis.com/...`` ones (as in every ``selfLink``);
  the ``api_endpoint`` option sends them elsewhere (a Private Service Connect endpoint, an emulator).
* 429 and 5xx are retried with exponential backoff; long-running operations are polled to DONE.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

from ansible.module_utils.basic import env_fallback

ENDPOINT_ENV = "LLMD_XKS_GCP_API_ENDPOINT"
PUBLIC_URL = re.compile(r"^https://([a-z0-9-]+)\.googleapis\.com(?=/|$)")
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
COMPUTE = "https://compute.googleapis.com/compute/v1"
CONTAINER = "https://container.googleapis.com/v1"
TPU = "https://tpu.googleapis.com/v2"
CRM = "https://cloudresourcemanager.googleapis.com/v1"
SERVICEUSAGE = "https://serviceusage.googleapis.com/v1"

STOCKOUT_PATTERNS = re.compile(
    r"ZONE_RESOURCE_POOL_EXHAUSTED|STOCKOUT|does not have enough resources|Insufficient capacity|"
    r"no more capacity|out of capacity|no more resources", re.I)
# GKE refuses a change while another operation runs on the cluster; it is worth waiting for, not an error.
BUSY_PATTERNS = re.compile(r"incompatible operation|operation .* is (already )?in progress|is currently (upgrading|updating|creating)", re.I)
SERVICE_DISABLED_PATTERNS = re.compile(r"accessNotConfigured|SERVICE_DISABLED|has not been used in project .* or it is disabled", re.I)
QUOTA_PATTERNS = re.compile(r"QUOTA_EXCEEDED|Quota .* exceeded|quota exceeded", re.I)


def auth_argument_spec():
    """The options of the google.cloud.gcp documentation fragment, with the same env fallbacks."""
    return dict(
        project=dict(type="str", fallback=(env_fallback, ["GCP_PROJECT"])),
        auth_kind=dict(type="str", required=True, fallback=(env_fallback, ["GCP_AUTH_KIND"]),
                       choices=["machineaccount", "serviceaccount", "accesstoken", "application"]),
        service_account_email=dict(type="str", fallback=(env_fallback, ["GCP_SERVICE_ACCOUNT_EMAIL"])),
        service_account_file=dict(type="path", fallback=(env_fallback, ["GCP_SERVICE_ACCOUNT_FILE"])),
        service_account_contents=dict(type="jsonarg", no_log=True, fallback=(env_fallback, ["GCP_SERVICE_ACCOUNT_CONTENTS"])),
        access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["GCP_ACCESS_TOKEN"])),
        scopes=dict(type="list", elements="str", fallback=(env_fallback, ["GCP_SCOPES"])),
        env_type=dict(type="str", fallback=(env_fallback, ["GCP_ENV_TYPE"])),
        api_endpoint=dict(type="str", fallback=(env_fallback, [ENDPOINT_ENV])),
    )


def endpoint_error(endpoint):
    """Why an ``api_endpoint`` value cannot be used, or None."""
    if not endpoint:
        return None
    if not re.match(r"^https?://[^/]", endpoint) or endpoint.count("{service}") != 1:
        return ("api_endpoint (or %s): %r must be an http(s) URL with {service} where the API's name goes, e.g. "
                "https://{service}-myendpoint.p.googleapis.com or http://127.0.0.1:8085/{service}" % (ENDPOINT_ENV, endpoint))
    return None


def endpoint_url(url, endpoint):
    """``url`` (https://SERVICE.googleapis.com/rest) sent to ``endpoint`` ({service} replaced); others unchanged."""
    if not endpoint:
        return url
    match = PUBLIC_URL.match(url)
    if not match:
        return url
    return endpoint.replace("{service}", match.group(1)).rstrip("/") + url[match.end():]


AUTH_MUTUALLY_EXCLUSIVE = [["service_account_email", "service_account_file", "service_account_contents"]]


class GcpError(Exception):
    """An API error with the HTTP status, the Google error ``reason``/``status`` and the message."""

    def __init__(self, status, message, reason=None, url=None, method=None, body=None):
        super(GcpError, self).__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.url = url
        self.method = method
        self.body = body

    @property
    def is_stockout(self):
        return bool(STOCKOUT_PATTERNS.search(self.message or "") or STOCKOUT_PATTERNS.search(self.reason or ""))

    @property
    def is_quota(self):
        return bool(QUOTA_PATTERNS.search(self.message or "") or QUOTA_PATTERNS.search(self.reason or ""))

    @property
    def is_service_disabled(self):
        """403 because the API is not enabled in the project (reason accessNotConfigured / SERVICE_DISABLED)."""
        return self.status == 403 and bool(SERVICE_DISABLED_PATTERNS.search(self.reason or "")
                                           or SERVICE_DISABLED_PATTERNS.search(self.message or ""))

    @property
    def is_permission(self):
        return self.status == 403 and not self.is_quota and not self.is_service_disabled

    def __str__(self):
        hint = ""
        if self.is_service_disabled:
            service = re.search(r"([a-z0-9-]+\.googleapis\.com)", self.message or "")
            hint = " (enable it: gcloud services enable %s)" % (service.group(1) if service else "<api>.googleapis.com")
        return "%s %s: HTTP %s %s%s%s" % (self.method or "", self.url or "", self.status,
                                          ("%s: " % self.reason) if self.reason else "", self.message, hint)


class CredentialError(Exception):
    pass


def _error_from_body(status, body, method, url):
    err = (body or {}).get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        reason = err.get("status")
        details = err.get("errors") or []
        if details and isinstance(details[0], dict) and details[0].get("reason"):
            reason = details[0]["reason"]
        return GcpError(status, err.get("message") or json.dumps(err), reason, url, method, body)
    return GcpError(status, json.dumps(body) if body else "no body", None, url, method, body)


def operation_error(op):
    """The error of a DONE operation (compute, container, tpu formats), or None."""
    err = op.get("error")
    if isinstance(err, dict):
        if err.get("errors"):  # compute: {"errors": [{"code", "message"}]}
            first = err["errors"][0]
            return GcpError(409, "; ".join(e.get("message", "") for e in err["errors"]), first.get("code"))
        return GcpError(err.get("code") or 500, err.get("message") or json.dumps(err), err.get("status"))
    if op.get("statusMessage") and op.get("status") == "DONE" and op.get("error") is None \
            and (op.get("statusMessage") or "").lower().startswith(("error", "failed")):
        return GcpError(500, op["statusMessage"])  # container: a failed operation only has a statusMessage
    return None


class RequestsTransport(object):
    """google-auth's AuthorizedSession (requests) under the given credentials."""

    def __init__(self, credentials, timeout=60, user_agent="llmd-xks", endpoint=None):
        from google.auth.transport.requests import AuthorizedSession

        self.session = AuthorizedSession(credentials)
        self.timeout = timeout
        self.user_agent = user_agent
        self.endpoint = endpoint

    def send(self, method, url, params=None, body=None):
        response = self.session.request(method, endpoint_url(url, self.endpoint), params=params, json=body, timeout=self.timeout,
                                        headers={"User-Agent": self.user_agent})
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {"error": {"message": response.text[:500]}}
        return response.status_code, data


def credentials(params):
    """google-auth credentials from the module's auth options (the google.cloud rules)."""
    try:
        import google.auth
        import google.auth.compute_engine
        from google.oauth2 import credentials as oauth2
        from google.oauth2 import service_account
    except ImportError:
        raise CredentialError("The google-auth and requests Python packages are required (pip install -r requirements.txt).")
    scopes = params.get("scopes") or [CLOUD_PLATFORM]
    kind = params["auth_kind"]
    if params.get("access_token") and kind != "accesstoken":
        raise CredentialError("access_token requires auth_kind: accesstoken.")
    if (params.get("service_account_file") or params.get("service_account_contents")) and kind != "serviceaccount":
        raise CredentialError("service_account_file/service_account_contents require auth_kind: serviceaccount.")
    if params.get("service_account_email") and kind != "machineaccount":
        raise CredentialError("service_account_email requires auth_kind: machineaccount.")
    if kind == "application":
        try:
            creds, dummy = google.auth.default(scopes=scopes)
        except Exception as exc:  # DefaultCredentialsError
            raise CredentialError("No application default credentials: %s. Run `gcloud auth application-default login` "
                                  "or use auth_kind: serviceaccount." % exc)
        return creds
    if kind == "serviceaccount":
        if params.get("service_account_file"):
            path = os.path.realpath(os.path.expanduser(params["service_account_file"]))
            try:
                creds = service_account.Credentials.from_service_account_file(path)
            except (OSError, ValueError) as exc:
                raise CredentialError("Cannot read service_account_file %s: %s" % (path, exc))
        elif params.get("service_account_contents"):
            contents = params["service_account_contents"]
            try:
                info = json.loads(contents) if isinstance(contents, str) else contents
                creds = service_account.Credentials.from_service_account_info(info)
            except ValueError as exc:
                raise CredentialError("service_account_contents is not a service account key: %s" % exc)
        else:
            raise CredentialError("auth_kind: serviceaccount needs service_account_file or service_account_contents "
                                  "(or GCP_SERVICE_ACCOUNT_FILE / GCP_SERVICE_ACCOUNT_CONTENTS).")
        return creds.with_scopes(scopes)
    if kind == "machineaccount":
        return google.auth.compute_engine.Credentials(params.get("service_account_email") or "default")
    if not params.get("access_token"):
        raise CredentialError("auth_kind: accesstoken needs access_token (or GCP_ACCESS_TOKEN).")
    return oauth2.Credentials(params["access_token"], scopes=scopes)


class GcpClient(object):
    """JSON over a transport, with retries on 429/5xx and operation polling."""

    RETRY_STATUS = (429, 500, 502, 503, 504)
    BUSY_WAIT = 30
    BUSY_RETRIES = 20

    def __init__(self, transport, retries=5, backoff=1.0, sleep=None, clock=None):
        self.transport = transport
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep or time.sleep
        self.clock = clock or time.time
        self.requests = 0

    def request(self, method, url, params=None, body=None):
        for attempt in range(self.BUSY_RETRIES + 1):
            try:
                return self._request(method, url, params, body)
            except GcpError as exc:
                if method == "GET" or exc.status not in (400, 409) or not BUSY_PATTERNS.search(exc.message or "") \
                        or attempt == self.BUSY_RETRIES:
                    raise
                self.sleep(self.BUSY_WAIT)

    def _request(self, method, url, params, body):
        delay = self.backoff
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                status, data = self.transport.send(method, url, params=params, body=body)
            except (OSError, IOError) as exc:  # requests' ConnectionError/Timeout derive from IOError
                if attempt == self.retries:
                    raise GcpError(0, "cannot reach %s: %s" % (url, exc), "UNREACHABLE", url, method)
                self.sleep(delay)
                delay *= 2
                continue
            if status < 400:
                return data
            if status in self.RETRY_STATUS and attempt < self.retries:
                self.sleep(delay)
                delay *= 2
                continue
            raise _error_from_body(status, data, method, url)
        raise GcpError(0, "unreachable", None, url, method)  # pragma: no cover

    def get(self, url, params=None):
        return self.request("GET", url, params=params)

    def get_or_none(self, url):
        try:
            return self.get(url)
        except GcpError as exc:
            if exc.status == 404:
                return None
            raise

    def post(self, url, body=None, params=None):
        return self.request("POST", url, params=params, body=body)

    def delete(self, url):
        return self.request("DELETE", url)

    def list(self, url, key="items", params=None):
        params = dict(params or {})
        items = []
        while True:
            page = self.get(url, params=params)
            found = page.get(key) or []
            items.extend(found.values() if isinstance(found, dict) else found)
            if not page.get("nextPageToken"):
                return items
            params["pageToken"] = page["nextPageToken"]

    def wait(self, op, timeout=900, interval=5, on_poll=None):
        """Polls an operation until DONE; returns it, or raises its error / GcpError(TIMEOUT).

        Works for compute (``selfLink``), container (``selfLink``, ``status: DONE``) and TPU
        (``name`` + ``done``) operations. ``on_poll(op)`` may raise to stop early (stockout checks).
        """
        deadline = self.clock() + timeout
        while True:
            done = op.get("status") == "DONE" or op.get("done") is True
            if done:
                error = operation_error(op)
                if error is not None:
                    raise error
                return op
            if on_poll is not None:
                on_poll(op)
            if self.clock() >= deadline:
                raise GcpError(0, "operation %s not done after %ss" % (op.get("name"), timeout), "TIMEOUT",
                               op.get("selfLink") or op.get("name"))
            self.sleep(interval)
            op = self.get(operation_url(op))


def operation_url(op):
    if op.get("selfLink"):
        return op["selfLink"]
    name = op.get("name", "")
    if name.startswith("projects/") and "/locations/" in name:
        return "%s/%s" % (TPU, name)
    raise GcpError(0, "operation without selfLink: %s" % name)


def connect(module):
    """A GcpClient for a module, with the credentials and endpoint of its options."""
    problem = endpoint_error(module.params.get("api_endpoint"))
    if problem:
        module.fail_json(msg=problem + "; nothing was sent to GCP")
    try:
        creds = credentials(module.params)
    except CredentialError as exc:
        module.fail_json(msg="GCP credentials: %s" % exc)
    user_agent = "llmd-xks" + ("-%s" % module.params["env_type"] if module.params.get("env_type") else "")
    return GcpClient(RequestsTransport(creds, user_agent=user_agent, endpoint=module.params.get("api_endpoint")))


def region_of(zone):
    return zone.rsplit("-", 1)[0]
