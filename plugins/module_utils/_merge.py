# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: small helpers to build object bodies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


def deep_merge(base, override):
    """Mappings merge recursively; anything else in ``override`` replaces the value in ``base``."""
    result = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def camel(name):
    head, _sep, tail = name.partition("_")
    return head + "".join(part.capitalize() for part in tail.split("_")) if tail else head


def camel_keys(mapping, renames=None):
    """snake_case option keys to camelCase API keys, dropping unset (None) values."""
    renames = renames or {}
    return dict((renames.get(k, camel(k)), v) for k, v in (mapping or {}).items() if v is not None)


def env_list(env):
    return [{"name": str(k), "value": str(v)} for k, v in sorted((env or {}).items())]


def merge_env(existing, env):
    by_name = dict((e["name"], e) for e in existing or [])
    for item in env_list(env):
        by_name[item["name"]] = item
    return [by_name[name] for name in sorted(by_name)]
