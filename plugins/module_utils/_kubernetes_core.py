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
import os
import traceback

KUBERNETES_CORE_IMPORT_ERROR = None
try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC as _AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as _core_client
except ImportError:
    _AUTH_ARG_SPEC = {}
    _core_client = None
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


class KubeconfigMissing(Exception):
    pass


def _kubeconfig_in_use(auth, given):
    """The kubeconfig files kubernetes.config would read, and where their path came from ([] if none is read)."""
    if auth.get("host") and (auth.get("api_key") or auth.get("username") or auth.get("cert_file")):
        return [], None
    if isinstance(auth.get("kubeconfig"), dict):
        return [], None
    if auth.get("kubeconfig"):
        source = "option kubeconfig" if given.get("kubeconfig") else "K8S_AUTH_KUBECONFIG"
        return [os.path.expanduser(auth["kubeconfig"])], source
    if os.environ.get("KUBERNETES_SERVICE_HOST") and not auth.get("context"):
        return [], None  # in-cluster configuration
    if os.environ.get("KUBECONFIG"):
        return [os.path.expanduser(p) for p in os.environ["KUBECONFIG"].split(os.pathsep) if p], "KUBECONFIG"
    return [os.path.expanduser("~/.kube/config")], "the default location (no kubeconfig option or K8S_AUTH_KUBECONFIG set)"


def api_client(params):
    """A kubernetes.client.ApiClient from the module's auth options and K8S_AUTH_*, as kubernetes.core builds it.

    kubernetes.core's get_api_client() also builds a discovery client that reads /version, /api and /apis
    without any timeout, so a silent server would hang it; only its configuration and headers are used here.
    """
    import kubernetes

    given = dict((key, params.get(key)) for key in _AUTH_ARG_SPEC if params.get(key) is not None)
    auth = _core_client._create_auth_spec(None, **given)
    paths, source = _kubeconfig_in_use(auth, given)
    if paths and not any(os.path.isfile(path) for path in paths):
        raise KubeconfigMissing("The kubeconfig %s (from %s) does not exist. Point option kubeconfig or K8S_AUTH_KUBECONFIG "
                                "at the cluster's kubeconfig file" % (os.pathsep.join(paths), source))
    configuration = _core_client._create_configuration(auth)
    client = kubernetes.client.ApiClient(configuration)
    for header, value in _core_client._create_headers(None, **given).items():
        _core_client._set_header(client, header, value)
    return client
