# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: ensure an object is present or absent.

present: one GET (which also negotiates the API version), then a server-side apply with field
manager ``llmd.xks`` only when something we own differs. Check mode sends the same apply as a
server-side dry run, so schema and admission errors still surface.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._diff import is_unchanged, owned_diff, with_hash
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError, negotiate


class ApplyResult(object):
    def __init__(self, action, api_version, obj=None, diff=None, warnings=None):
        self.action = action  # created | updated | unchanged | deleted | absent
        self.api_version = api_version
        self.object = obj
        self.diff = diff
        self.warnings = warnings or []

    @property
    def changed(self):
        return self.action in ("created", "updated", "deleted")


def conflict_message(exc, kind, name):
    return (
        "Server-side apply of %s %s conflicts with fields owned by another manager: %s. "
        "Set force_conflicts=true to take ownership, or stop the other tool from managing these fields."
        % (kind, name, exc.message)
    )


def ensure_present(client, rtype, namespace, name, build, check_mode=False, force_conflicts=False, api_version=None):
    """``build(api_version)`` returns the full body for the negotiated version."""
    try:
        version, live = negotiate(client, rtype, namespace, name, api_version)
    except MissingCRDError as exc:
        if check_mode:
            body = build(rtype.versions[0] if not api_version else api_version)
            return ApplyResult("created", None, body, {"before": {}, "after": body}, ["%s (check mode: would create)" % exc])
        raise
    return apply_known(client, rtype, version, namespace, name, build(version), live, check_mode, force_conflicts)


def normalize(body):
    """What the API server will store: no status (a subresource we never own); a Secret's stringData as data."""
    if "status" in body:
        body = dict(body)
        body.pop("status")
    if body.get("kind") != "Secret" or not body.get("stringData"):
        return body
    body = dict(body)
    data = dict(body.get("data") or {})
    for key, value in body.pop("stringData").items():
        data[key] = base64.b64encode(to_bytes(value)).decode("ascii")
    body["data"] = data
    return body


def apply_known(client, rtype, version, namespace, name, body, live, check_mode=False, force_conflicts=False):
    """Apply ``body`` given the ``live`` object already read (None when absent)."""
    stamped = with_hash(normalize(body))
    if is_unchanged(stamped, live):
        return ApplyResult("unchanged", version, live)
    diff = owned_diff(stamped, live)
    action = "updated" if live is not None else "created"
    path = rtype.path(version, namespace, name)
    try:
        result = client.apply(path, stamped, dry_run=check_mode, force_conflicts=force_conflicts)
    except ApiError as exc:
        if exc.status == 409:
            raise ApplyError(conflict_message(exc, rtype.kind, name), exc)
        if check_mode and exc.is_namespace_missing:
            return ApplyResult(action, version, stamped, diff,
                               ["namespace %s does not exist yet (check mode: would create the object in it)" % namespace])
        raise ApplyError("%s %s/%s was rejected by the API server: %s" % (rtype.kind, namespace or "", name, exc.message), exc)
    return ApplyResult(action, version, result, diff)


def ensure_absent(client, rtype, namespace, name, check_mode=False, api_version=None):
    try:
        version, live = negotiate(client, rtype, namespace, name, api_version)
    except MissingCRDError as exc:
        return ApplyResult("absent", None, warnings=["%s; nothing to delete" % exc])
    if live is None:
        return ApplyResult("absent", version)
    if live.get("metadata", {}).get("deletionTimestamp"):
        return ApplyResult("absent", version, live, warnings=["%s %s is already being deleted" % (rtype.kind, name)])
    try:
        client.delete(rtype.path(version, namespace, name), dry_run=check_mode)
    except ApiError as exc:
        if exc.status == 404:
            return ApplyResult("absent", version)
        raise
    return ApplyResult("deleted", version, live, {"before": live, "after": {}})


class ApplyError(Exception):
    def __init__(self, message, cause=None):
        super(ApplyError, self).__init__(message)
        self.cause = cause
