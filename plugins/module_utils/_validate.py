# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: input checks that run before any API call.

Each check returns a list of messages of the form '<option>: <what is wrong>. <how to fix it>'.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
MODEL_URI = re.compile(r"^(hf|s3|gs|pvc|oci|https?)://\S+$")
HF_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


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
