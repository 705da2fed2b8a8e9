# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the run loop shared by the typed resource modules.

validate (no API call) -> one GET + server-side apply (or delete) -> optional watch-based wait.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.llmd.xks.plugins.module_utils._apply import ApplyError, ensure_absent, ensure_present
from ansible_collections.llmd.xks.plugins.module_utils._client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    ApiError,
    KubeClient,
    UnreachableError,
)
from ansible_collections.llmd.xks.plugins.module_utils._kubernetes_core import (
    KubeconfigMissing,
    api_client,
    auth_argument_spec,
    missing_dependency_message,
)
from ansible_collections.llmd.xks.plugins.module_utils._resources import MissingCRDError
from ansible_collections.llmd.xks.plugins.module_utils._wait import WaitTimeout, wait_for


def connection_argument_spec():
    spec = auth_argument_spec()
    spec["request_timeout"] = dict(type="int", default=DEFAULT_REQUEST_TIMEOUT,
                                   fallback=(env_fallback, ["LLMD_XKS_REQUEST_TIMEOUT"]))
    spec["connect_timeout"] = dict(type="int", default=DEFAULT_CONNECT_TIMEOUT,
                                   fallback=(env_fallback, ["LLMD_XKS_CONNECT_TIMEOUT"]))
    return spec


def timeout_errors(params):
    errors = []
    for option in ("request_timeout", "connect_timeout"):
        if option in params and params[option] is not None and params[option] < 1:
            errors.append("%s: %r is not a number of seconds. Use a whole number of at least 1 (environment LLMD_XKS_%s)"
                          % (option, params[option], option.upper()))
    return errors


def resource_argument_spec(wait_timeout=600):
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        api_version=dict(type="str"),
        labels=dict(type="dict", default={}),
        annotations=dict(type="dict", default={}),
        force_conflicts=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=wait_timeout),
    )
    return spec


def metadata(params, extra_labels=None):
    meta = {"name": params["name"], "namespace": params["namespace"]}
    labels = dict(extra_labels or {})
    labels.update(params.get("labels") or {})
    if labels:
        meta["labels"] = labels
    if params.get("annotations"):
        meta["annotations"] = dict(params["annotations"])
    return meta


def new_module(argument_spec, **kwargs):
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)
    msg, exc = missing_dependency_message()
    if msg:
        module.fail_json(msg=msg, exception=exc)
    return module


def fail_on_invalid(module, errors):
    if errors:
        module.fail_json(msg="Invalid arguments, nothing was sent to the cluster: " + "; ".join(errors), errors=errors)


def connect(module):
    return _connector(module)


def _connect(module):
    fail_on_invalid(module, timeout_errors(module.params))
    try:
        return KubeClient(api_client(module.params), request_timeout=module.params.get("request_timeout") or DEFAULT_REQUEST_TIMEOUT,
                          connect_timeout=module.params.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT)
    except KubeconfigMissing as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # kubeconfig parsing raises many types
        module.fail_json(msg="Cannot configure the Kubernetes client: %s. Set kubeconfig/context or K8S_AUTH_KUBECONFIG." % exc)


_connector = _connect  # replaced by the unit tests' in-memory API


class ResourceRunner(object):
    """Runs one typed resource module. ``build(params, api_version)`` returns the object body."""

    def __init__(self, module, rtype, build, predicate, diagnose=None, summarize=None):
        self.module = module
        self.rtype = rtype
        self.build = build
        self.predicate = predicate
        self.diagnose = diagnose
        self.summarize = summarize or (lambda obj: {})

    def run(self):
        module, params = self.module, self.module.params
        client = connect(module)
        result = dict(changed=False, api_requests=0)
        try:
            if params["state"] == "absent":
                outcome = ensure_absent(client, self.rtype, params["namespace"], params["name"],
                                        module.check_mode, params.get("api_version"))
            else:
                outcome = ensure_present(client, self.rtype, params["namespace"], params["name"],
                                         lambda version: self.build(params, version), module.check_mode,
                                         params["force_conflicts"], params.get("api_version"))
            for warning in outcome.warnings:
                module.warn(warning)
            result.update(changed=outcome.changed, action=outcome.action, api_version=outcome.api_version,
                          resource=outcome.object or {})
            if module._diff and outcome.diff is not None:
                result["diff"] = outcome.diff
            obj = outcome.object
            if params["state"] == "present" and params["wait"] and not module.check_mode and outcome.api_version:
                diagnose = (lambda o: self.diagnose(client, o)) if self.diagnose else None
                obj = wait_for(client, self.rtype, outcome.api_version, params["namespace"], params["name"],
                               self.predicate, params["wait_timeout"], diagnose, initial=outcome.object)
                result["resource"] = obj
            if obj and params["state"] == "present":
                result.update(self.summarize(obj))
        except WaitTimeout as exc:
            result.update(self.summarize(exc.object or {}))
            result.update(api_requests=client.requests, resource=exc.object, reason=exc.verdict.reason)
            module.fail_json(msg=str(exc), **result)
        except (MissingCRDError, ApplyError, UnreachableError) as exc:
            module.fail_json(msg=str(exc), api_requests=client.requests)
        except ApiError as exc:
            module.fail_json(msg="Kubernetes API error: %s" % exc, status=exc.status, api_requests=client.requests)
        result["api_requests"] = client.requests
        module.exit_json(**result)
