# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# PRIVATE to the llmd.xks collection: do not use outside of it.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Options of the modules that call the GCP REST APIs (besides google.cloud.gcp).
    DOCUMENTATION = r"""
options:
  api_endpoint:
    description:
      - Send the requests to this base URL instead of C(https://SERVICE.googleapis.com), with C({service}) where the
        API's name goes (C(compute), C(container), C(tpu), C(cloudresourcemanager), C(serviceusage)).
      - For a Private Service Connect endpoint, C(https://{service}-myendpoint.p.googleapis.com); for a local emulator,
        C(http://127.0.0.1:8085/{service}). Links the API returns (C(selfLink)) are sent there too.
      - Default from the environment variable E(LLMD_XKS_GCP_API_ENDPOINT); unset means the public endpoints.
    type: str
"""
