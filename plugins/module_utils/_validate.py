# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: input checks that run before any API call.

Each check returns a list of messages of the form '<option>: <what is wrong>. <how to fix it>'.
Every pattern is anchored with \\A and \\Z: '$' would also accept a trailing newline.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DNS_LABEL = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
LABEL_VALUE = re.compile(r"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
LABEL_NAME = re.compile(r"\A([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")
MODEL_URI = re.compile(r"\A(hf|s3|gs|pvc|oci|https?)://\S+\Z")
HF_MODEL_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# What vLLM answers to and clients send as "model": no whitespace, no control characters, no quotes.
SERVED_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,252}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def dns_label(option, value, max_length=63):
    if value is None:
        return []
    if len(value) > max_length or not DNS_LABEL.match(value):
        return ["%s: %r is not a valid name. Use at most %d lower-case letters, digits and '-', starting and ending "
                "with a letter or digit" % (option, value, max_length)]
    return []


def dns_subdomain(option, value):
    if value is None:
        return []
    if len(value) > 253 or not DNS_SUBDOMAIN.match(value):
        return ["%s: %r is not a valid name. Use lower-case letters, digits, '-' and '.'" % (option, value)]
    return []


def labels(option, mapping):
    errors = []
    for key, value in (mapping or {}).items():
        if not LABEL_NAME.match(str(key)) or len(str(key).rpartition("/")[2]) > 63:
            errors.append("%s: label key %r is invalid. Use an optional DNS prefix and '/', then at most 63 "
                          "letters, digits, '-', '_' or '.'" % (option, key))
        text = "" if value is None else str(value)
        if len(text) > 63 or not LABEL_VALUE.match(text):
            hint = " ('/' is not allowed in label values: replace it, e.g. with '-' or '.')" if "/" in text else ""
            errors.append("%s: label value %r for %r is invalid%s. Use at most 63 letters, digits, '-', '_' or '.'"
                          % (option, text, key, hint))
    return errors


def positive(option, value, minimum=1, maximum=None):
    if value is None:
        return []
    if value < minimum or (maximum is not None and value > maximum):
        bound = "between %d and %d" % (minimum, maximum) if maximum is not None else "at least %d" % minimum
        return ["%s: %r is out of range. Use a whole number %s" % (option, value, bound)]
    return []


def port(option, value):
    return positive(option, value, 1, 65535)


def model_uri(option, value):
    if value is None:
        return []
    if not MODEL_URI.match(value):
        return ["%s: %r is not a model location. Use hf://<organisation>/<model>, s3://, gs://, pvc://, oci:// or "
                "https://" % (option, value)]
    if value.startswith("hf://"):
        model_id = value[len("hf://"):].rstrip("/")
        if not HF_MODEL_ID.match(model_id):
            return ["%s: %r has no organisation. Hugging Face ids are <organisation>/<model>, e.g. "
                    "hf://Qwen/Qwen3-0.6B" % (option, value)]
    return []


def model_id(option, value):
    """A Hugging Face model id as served (e.g. 'Qwen/Qwen3-0.6B')."""
    if value is None:
        return []
    if not HF_MODEL_ID.match(value):
        return ["%s: %r is not <organisation>/<model>. Use the full Hugging Face id, e.g. Qwen/Qwen3-0.6B" % (option, value)]
    return []


def served_name(option, value):
    if value is None:
        return []
    if not isinstance(value, str) or not SERVED_NAME.match(value):
        return ["%s: %r is not a model name clients can send. Use at most 253 letters, digits and '.', '_', ':', '/', '@', "
                "'+', '-', starting with a letter or digit (e.g. Qwen/Qwen3-0.6B)" % (option, value)]
    return []


def no_control_characters(option, value):
    """Strings that end up in object specs or container arguments: no newline, tab or other control character."""
    if isinstance(value, str) and CONTROL.search(value):
        return ["%s: %r contains a control character (newline, tab, ...). Remove it; check the variable for a trailing "
                "newline from a YAML block scalar or a file lookup" % (option, value)]
    return []


def derived_length(variables, what, value, limit=63):
    """A name or label value built from several inputs (e.g. '<release>-<model>-epp')."""
    if len(value) <= limit:
        return []
    return ["%s: the derived %s %r is %d characters, over the limit of %d. Shorten %s by at least %d characters in total"
            % (" / ".join(variables), what, value, len(value), limit, " or ".join(variables), len(value) - limit)]
