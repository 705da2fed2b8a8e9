# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Change detection: the applied-hash annotation and the comparison with the live object."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json

from ansible_collections.llmd.xks.plugins.module_utils._apply import normalize
from ansible_collections.llmd.xks.plugins.module_utils._diff import APPLIED_HASH, body_hash, is_unchanged, with_hash


def secret(token):
    return normalize({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": {"name": "hf-token", "namespace": "llm-d", "labels": {"app.kubernetes.io/managed-by": "llmd.xks"}},
                      "stringData": {"token": token, "HF_TOKEN": token}})


def live(stamped):
    """What the API server returns: our body plus fields of its own."""
    obj = json.loads(json.dumps(stamped))
    obj["metadata"].update(uid="0a1b", resourceVersion="42", creationTimestamp="2026-12-03T00:00:00Z")
    return obj


def test_a_secrets_hash_does_not_depend_on_its_values():
    assert body_hash(secret("hf_guess_one")) == body_hash(secret("hf_guess_two"))
    annotation = with_hash(secret("hf_real"))["metadata"]["annotations"][APPLIED_HASH]
    for candidate in ("hf_real", base64.b64encode(b"hf_real").decode()):
        assert candidate not in annotation
        assert hashlib.sha256(candidate.encode()).hexdigest()[:32] != annotation


def test_a_changed_token_is_still_a_change_and_the_same_token_is_not():
    applied = live(with_hash(secret("hf_old")))
    assert is_unchanged(with_hash(secret("hf_old")), applied)
    assert not is_unchanged(with_hash(secret("hf_new")), applied)


def test_other_kinds_hash_their_whole_body():
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    changed = dict(config, data={"a": "2"})
    assert body_hash(config) != body_hash(changed)
    assert not is_unchanged(with_hash(changed), live(with_hash(config)))
