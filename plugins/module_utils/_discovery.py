# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: map apiVersion/kind to a REST path.

Common kinds are known without asking the server; anything else costs one discovery request per
group/version, cached for the rest of the task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._resources import TYPED, MissingCRDError, ResourceType

_CLUSTER_SCOPED = object()

KNOWN = {
    ("v1", "Namespace"): ("namespaces", False),
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "Service"): ("services", True),
    ("v1", "Pod"): ("pods", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("apps/v1", "StatefulSet"): ("statefulsets", True),
    ("apps/v1", "DaemonSet"): ("daemonsets", True),
    ("batch/v1", "Job"): ("jobs", True),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): ("customresourcedefinitions", False),
    ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
}

# Applied in this order (unknown kinds go just before the workloads' consumers); deleted in reverse.
ORDER = ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
         "RoleBinding", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet",
         "DaemonSet", "LeaderWorkerSet", "Job"]


def order_key(kind):
    return ORDER.index(kind) if kind in ORDER else len(ORDER)


class Resolver(object):
    def __init__(self, client):
        self.client = client
        self._groups = {}

    def _discover(self, api_version):
        if api_version not in self._groups:
            path = "/api/v1" if api_version == "v1" else "/apis/" + api_version
            try:
                listing = self.client.get(path)
                self._groups[api_version] = dict(
                    (r["kind"], (r["name"], r.get("namespaced", True)))
                    for r in listing.get("resources", []) if "/" not in r["name"]
                )
            except ApiError as exc:
                if exc.status != 404:
                    raise
                self._groups[api_version] = {}
        return self._groups[api_version]

    def forget(self, api_version):
        self._groups.pop(api_version, None)

    def resolve(self, api_version, kind):
        known = KNOWN.get((api_version, kind))
        if known is None:
            typed = TYPED.get(kind)
            found = self._discover(api_version).get(kind)
            if found is None:
                component = typed.component if typed else None
                raise MissingCRDError(ResourceType(kind, kind.lower() + "s", [api_version], component=component),
                                      [api_version])
            known = found
        plural, namespaced = known
        return ResourceType(kind, plural, [api_version], namespaced=namespaced,
                            component=TYPED[kind].component if kind in TYPED else None)
