# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: change detection and diffs limited to the fields we own.

Every object we apply carries the annotation ``llmd.xks/applied-hash``: a hash of the exact body we
sent. An object is unchanged when that hash matches the new body *and* the live object still holds
every value we set (someone else may have edited an owned field). Server defaults, status and
fields managed by others are never compared, so they cause no noise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json

APPLIED_HASH = "llmd.xks/applied-hash"


def body_hash(body):
    """The hash of what we send, without a Secret's values: an unsalted hash of a body that holds a token would
    confirm a guessed token to whoever reads the annotation. A Secret's values are compared with the live ones
    instead (``contains`` in ``is_unchanged``)."""
    data = copy.deepcopy(body)
    (data.get("metadata", {}).get("annotations") or {}).pop(APPLIED_HASH, None)
    if data.get("kind") == "Secret":
        data.pop("data", None)
        data.pop("stringData", None)
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def with_hash(body):
    stamped = copy.deepcopy(body)
    annotations = stamped.setdefault("metadata", {}).setdefault("annotations", {})
    annotations[APPLIED_HASH] = body_hash(body)
    return stamped


def _equal_scalar(want, have):
    if want == have:
        return True
    # Quantities and ports come back normalised as strings or ints ("4" vs 4).
    if isinstance(want, (int, float, str)) and isinstance(have, (int, float, str)) and not isinstance(want, bool):
        return str(want) == str(have)
    return False


def contains(want, have):
    """True if every value in ``want`` is present and equal in ``have`` (lists element by element)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return False
        return all(contains(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return False
        return all(contains(w, h) for w, h in zip(want, have))
    return _equal_scalar(want, have)


def project(want, have):
    """The part of ``have`` at the paths that ``want`` sets (what a diff should show as 'before')."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return have
        return dict((k, project(v, have[k])) for k, v in want.items() if k in have)
    if isinstance(want, list) and isinstance(have, list):
        return [project(w, h) for w, h in zip(want, have)] + have[len(want):]
    return have


def strip_bookkeeping(body):
    data = copy.deepcopy(body)
    annotations = data.get("metadata", {}).get("annotations")
    if annotations is not None:
        annotations.pop(APPLIED_HASH, None)
        if not annotations:
            data["metadata"].pop("annotations")
    return data


def is_unchanged(desired_stamped, live):
    if live is None:
        return False
    live_hash = ((live.get("metadata") or {}).get("annotations") or {}).get(APPLIED_HASH)
    want_hash = desired_stamped["metadata"]["annotations"][APPLIED_HASH]
    return live_hash == want_hash and contains(strip_bookkeeping(desired_stamped), live)


def owned_diff(desired_stamped, live):
    """A before/after pair restricted to the fields we set."""
    after = strip_bookkeeping(desired_stamped)
    before = strip_bookkeeping(project(after, live)) if live is not None else {}
    return {"before": before, "after": after}
