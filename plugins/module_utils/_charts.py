# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the Helm charts of the Gateway API/llm-d stack, pinned in one table.

Every chart the ``gateway_api_llmd`` stack installs comes from here, with the platform versions it was
released against. ``chart_source`` turns a row into what a helmfile release needs: the upstream repository
(or OCI registry) by version, or, when ``charts_dir`` is given, the local folder ``<charts_dir>/<folder>``
(the layout of the project's ``shared/charts``, where tests point the collection).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# The platform the charts below were released against (GIE v1.5.0 ships InferencePool v1 only).
PLATFORM = {
    "gateway_api": "v1.5.1",
    "inference_extension": "v1.5.0",
    "inference_pool_api": "inference.networking.k8s.io/v1",
    "kserve": "v0.20.0",
    "lws": "v0.8.0",
}

CHARTS = {
    "modelservice": {
        "name": "llm-d-modelservice", "version": "v0.4.12",
        "repository": "https://llm-d-incubation.github.io/llm-d-modelservice/", "oci": False,
        "what": "vLLM decode/prefill Deployments or LeaderWorkerSets, routing sidecar, PodMonitor",
    },
    "inferencepool": {
        "name": "inferencepool", "version": "v1.5.0",
        "repository": "registry.k8s.io/gateway-api-inference-extension/charts", "oci": True,
        "what": "InferencePool (v1), endpoint picker Deployment/Service/ConfigMap/RBAC, provider policies",
    },
    "body_based_routing": {
        "name": "body-based-routing", "version": "v1.5.0",
        "repository": "registry.k8s.io/gateway-api-inference-extension/charts", "oci": True,
        "what": "the body-based router (model name from the request body into a header) and its gateway wiring",
    },
    "infra": {
        "name": "llm-d-infra", "version": "v1.4.0",
        "repository": "https://llm-d-incubation.github.io/llm-d-infra/", "oci": False,
        "what": "the inference Gateway and its provider configuration",
    },
}


def folder(key, chart=None):
    chart = chart or CHARTS[key]
    return "%s-%s" % (chart["name"], chart["version"])


def chart_table(overrides=None):
    """CHARTS with the user's per-chart overrides (``llmd_xks_charts``: {key: {version, repository, oci}})."""
    table = {}
    for key, row in CHARTS.items():
        table[key] = dict(row, **dict((k, v) for k, v in ((overrides or {}).get(key) or {}).items() if v is not None))
    return table


def repository_name(key):
    return "llmd-xks-" + key.replace("_", "-")


def chart_source(key, charts_dir=None, overrides=None):
    """(chart reference, version or None, helmfile repository entry or None) for one chart."""
    row = chart_table(overrides)[key]
    if charts_dir:
        return os.path.join(os.path.abspath(os.path.expanduser(charts_dir)), folder(key, row)), None, None
    repo = {"name": repository_name(key), "url": row["repository"]}
    if row.get("oci"):
        repo["oci"] = True
    return "%s/%s" % (repo["name"], row["name"]), row["version"], repo


def missing_local_charts(keys, charts_dir, overrides=None):
    """The local chart folders that do not exist (each with a Chart.yaml)."""
    table = chart_table(overrides)
    root = os.path.abspath(os.path.expanduser(charts_dir))
    return [os.path.join(root, folder(key, table[key])) for key in keys
            if not os.path.isfile(os.path.join(root, folder(key, table[key]), "Chart.yaml"))]
