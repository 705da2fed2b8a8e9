# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The llm-d stack through the real charts, real helm and helmfile, on the local cluster: the Ansible contract.

A first deploy installs the releases; a re-run changes nothing and upgrades no release (no new helm revision);
check mode reports the change it would make and writes nothing; diff mode shows the object-level change; a value the
chart's schema refuses stops the run before anything is written; the Hugging Face token appears in no helm release;
teardown uninstalls the pattern's releases and its route and nothing else.
"""

import base64
import gzip
import time

import pytest
from kubernetes import client

from playbook import run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.budget(180)]

TOKEN = "hf_canary_llmd_chart_test_9f3c2a"


def variables(namespace, **extra):
    base = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": "cpu-sim", "llmd_xks_namespace": namespace,
            "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], "llmd_xks_wait_timeout": 180,
            "llmd_xks_hf_token": TOKEN,
            "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace,
                                 "class_name": "gke-l7-regional-external-managed", "create": True}}
    base.update(extra)
    return base


def helm_releases(namespace):
    """{release: [revisions]} from the release Secrets helm keeps in the namespace."""
    found = {}
    for secret in client.CoreV1Api().list_namespaced_secret(namespace, label_selector="owner=helm").items:
        labels = secret.metadata.labels
        found.setdefault(labels["name"], []).append(int(labels["version"]))
    return dict((k, sorted(v)) for k, v in found.items())


def release_payloads(namespace):
    """The decoded content of every helm release Secret (values, manifests)."""
    out = []
    for secret in client.CoreV1Api().list_namespaced_secret(namespace, label_selector="owner=helm").items:
        raw = base64.b64decode(base64.b64decode(secret.data["release"]))
        out.append(gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode())
    return out


def resource_versions(namespace):
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    objects = apps.list_namespaced_deployment(namespace).items + core.list_namespaced_secret(namespace).items
    objects += core.list_namespaced_config_map(namespace).items
    return dict(("%s/%s" % (type(o).__name__, o.metadata.name), o.metadata.resource_version) for o in objects)


def test_llmd_pattern_follows_the_ansible_contract_on_helm(cluster, namespace):
    first = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=variables(namespace))
    assert first.rc == 0, first
    releases = helm_releases(namespace)
    assert releases == {"inference-gateway-infra": [1], "pattern1-qwen": [1], "pattern1-qwen-ms": [1]}, releases
    decode = client.AppsV1Api().read_namespaced_deployment("pattern1-qwen-decode", namespace)
    assert decode.metadata.labels["helm.sh/chart"] == "llm-d-modelservice-v0.4.12"
    assert decode.status.available_replicas == 1
    assert client.AppsV1Api().read_namespaced_deployment("pattern1-qwen-epp", namespace).status.available_replicas == 1
    # the token is referenced by name, never stored in a release
    payloads = release_payloads(namespace)
    assert payloads and not any(TOKEN in p for p in payloads)
    assert any('"modelArtifacts"' in p and "Qwen/Qwen3-0.6B" in p for p in payloads)  # the values were decoded

    again = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=variables(namespace))
    assert again.rc == 0 and again.changed == 0, again
    assert helm_releases(namespace) == releases  # no helm upgrade ran

    before = resource_versions(namespace)
    check = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=variables(namespace, llmd_xks_replicas=2),
                         check=True, diff=True)
    assert check.rc == 0 and check.changed >= 1, check
    assert "pattern1-qwen-ms" in check.output and "-  replicas: 1" in check.output and "+  replicas: 2" in check.output
    assert resource_versions(namespace) == before and helm_releases(namespace) == releases

    teardown = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=variables(namespace, llmd_xks_state="absent"))
    assert teardown.rc == 0, teardown
    assert helm_releases(namespace) == {"inference-gateway-infra": [1]}  # the shared Gateway's release stays
    routes = client.CustomObjectsApi().list_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes")
    assert routes["items"] == []
    assert client.CoreV1Api().read_namespaced_secret("hf-token", namespace)  # the token Secret stays


def test_a_value_the_chart_refuses_stops_before_anything_is_written(cluster):
    namespace = "it-llmd-bad-values-%d" % (time.time() * 1000 % 100000)
    extra = variables(namespace, llmd_xks_chart_values={"modelservice": {"decode": {"replicas": "many"}}})
    run = run_playbook(cluster.kubeconfig, "pattern1.yml", extra_vars=extra)
    assert run.rc != 0 and "replicas" in run.output, run
    assert "Render the llm-d charts" in run.output
    names = [n.metadata.name for n in client.CoreV1Api().list_namespace().items]
    assert namespace not in names  # not even the namespace was created
