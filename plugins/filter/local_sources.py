# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: local_sources
short_description: Map manifest sources to local paths, URLs to their download location
version_added: 0.1.0
description:
  - Returns the list of sources with every C(http://) or C(https://) URL replaced by the path it is downloaded to,
    O(download_dir) joined with the last component of the URL path. Local paths are returned unchanged, in order.
options:
  _input:
    description: Sources, local paths or URLs.
    type: list
    elements: str
    required: true
  download_dir:
    description: Directory the URLs are downloaded into.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Apply what the sources hold, downloaded or local
  llmd.xks.apply_set:
    definitions: "{{ query('llmd.xks.manifests', *(lws_manifests | llmd.xks.local_sources(lws_download_dir))) }}"
"""

RETURN = r"""
_value:
  description: Local paths, in the order of the sources.
  type: list
  elements: str
"""

import posixpath

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit


def is_url(source):
    return str(source).startswith(("http://", "https://"))


def local_sources(sources, download_dir):
    out = []
    for source in sources or []:
        if is_url(source):
            out.append(posixpath.join(str(download_dir), posixpath.basename(urlsplit(str(source)).path)))
        else:
            out.append(str(source))
    return out


class FilterModule(object):
    def filters(self):
        return {"local_sources": local_sources}
