"""The subset of Kubernetes strategic-merge-patch that KServe's preset merging relies on.

Maps merge recursively; lists of known PodSpec types merge by their patchMergeKey, every other list is
replaced (Gateway API and InferencePool types carry no patch strategy, so they replace too).
"""
from __future__ import annotations

import copy

MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "imagePullSecrets": "name", "hostAliases": "ip", "resourceClaims": "name",
    "ports": "containerPort",
}


def merge(base, patch, key: str | None = None):
    """Return ``base`` strategically merged with ``patch`` (neither is modified)."""
    if patch is None:
        return copy.deepcopy(base)
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        mk = MERGE_KEYS[key]
        if not all(isinstance(i, dict) and mk in i for i in base + patch):
            return copy.deepcopy(patch)
        out = [copy.deepcopy(i) for i in base]
        index = {i[mk]: n for n, i in enumerate(out)}
        for item in patch:
            if item[mk] in index:
                out[index[item[mk]]] = merge(out[index[item[mk]]], item, None)
            else:
                index[item[mk]] = len(out)
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)
