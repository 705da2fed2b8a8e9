# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the only file that imports kubernetes.core.

kubernetes.core gives us authentication exactly as its own modules and AWX's Kubernetes credential
expect it (module options first, then the K8S_AUTH_* environment variables, then in-cluster config,
then the kubeconfig). Everything else (apply, diff, waits) is ours.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import traceback

KUBERNETES_CORE_IMPORT_ERROR = None
try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC as _AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client as _get_api_client
except ImportError:
    _AUTH_ARG_SPEC = {}
    _get_api_client = None
    KUBERNETES_CORE_IMPORT_ERROR = traceback.format_exc()

KUBERNETES_IMPORT_ERROR = None
try:
    import kubernetes  # noqa: F401, pylint: disable=unused-import
except ImportError:
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()


def auth_argument_spec():
    """A deep copy of kubernetes.core's authentication options."""
    return copy.deepcopy(_AUTH_ARG_SPEC)


def auth_option_names():
    return list(_AUTH_ARG_SPEC)


def missing_dependency_message():
    if KUBERNETES_CORE_IMPORT_ERROR:
        return (
            "The kubernetes.core collection (>=6.0.0,<7.0.0) must be installed: "
            "run 'ansible-galaxy collection install -r requirements.yml' or the README's set-up command."
        ), KUBERNETES_CORE_IMPORT_ERROR
    if KUBERNETES_IMPORT_ERROR:
        return (
            "The Python 'kubernetes' library is required on the host that runs the module: "
            "pip install -r requirements.txt."
        ), KUBERNETES_IMPORT_ERROR
    return None, None


def api_client(params):
    """Return a kubernetes.client.ApiClient built from the module's auth options and K8S_AUTH_*."""
    auth = dict((key, params.get(key)) for key in _AUTH_ARG_SPEC if params.get(key) is not None)
    return _get_api_client(**auth).client.client
