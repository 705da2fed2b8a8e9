# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""playbooks/preflight.yml against the local cluster: every cluster-side check passes on a prepared
cluster and fails (or warns) when the condition it detects is created for real — a CRD version no longer
served, a tainted CPU pool, a TPU node without chips, an old Istio, an experimental Gateway API bundle...
Every change is undone in ``finally`` (the cluster is shared by the whole session). The failing cases change
cluster-wide state for a few seconds (CRD versions, node taints), so these tests must not run in parallel
(pytest-xdist) with tests that deploy to the same cluster; `make integration` runs them sequentially."""

import contextlib
import copy
import re
import time

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from gcp_scenarios import PERMISSIONS, TPU, FakeGcp, scenario
from playbook import run_playbook
from waiting import wait_for

pytestmark = pytest.mark.integration

ROW = re.compile(r"^\s*(PASS|WARN|FAIL)\s+\| (\S+)\s+\| (.*?)\s+\| (.*?)\s+\| (seed .*)$")
ISTIO = ("sailoperator.io", "v1", "istios")
ISSUER = ("cert-manager.io", "v1", "clusterissuers")
KSERVE = ("serving.kserve.io", "v1alpha2", "llminferenceserviceconfigs")
ALL_CLUSTER_CHECKS = {
    "kubernetes", "gateway-api-crds", "gateway-api-channel", "gateway-api-routes", "gatewayclass", "gateway",
    "inference-pool-api", "istio-inference-pool", "istio-inference-extension", "kserve-crds", "kserve-presets",
    "cert-manager", "lws-crd", "cpu-pool", "accelerator-nodes", "accelerator-taints", "accelerator-allocatable",
    "namespace", "hf-token-secret", "sidecar-injection"}


def preflight(cluster, **extra):
    """Run the playbook; returns (run, {id: (status, detail)})."""
    run = run_playbook(cluster.kubeconfig, "preflight.yml", extra_vars=dict({"llmd_xks_hf_token": ""}, **extra))
    rows = {}
    for line in run.output.splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(2)] = (match.group(1).lower(), match.group(4))
    assert rows, run.output
    return run, rows


def statuses(rows):
    return dict((k, v[0]) for k, v in rows.items())


# ------------------------------------------------------------------------------ reversible changes
def _discovered(group_version, resource):
    group, version = group_version.split("/")
    try:
        listing = client.CustomObjectsApi().get_api_resources(group, version)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return any(r.name == resource for r in listing.resources)


def _wait(predicate, timeout=60):
    wait_for(predicate, timeout, 0.3, what=getattr(predicate, "__name__", "condition"))


@contextlib.contextmanager
def unserved(crd_name, versions):
    """Stop serving some versions of a CRD (a JSON patch, cheap even for 2 MB CRDs), then serve them again."""
    ext = client.ApiextensionsV1Api()
    crd = ext.read_custom_resource_definition(crd_name)
    plural, group = crd.spec.names.plural, crd.spec.group
    indexes = [i for i, v in enumerate(crd.spec.versions) if v.name in versions]

    def serve(value):
        ext.patch_custom_resource_definition(crd_name, [{"op": "replace", "path": "/spec/versions/%d/served" % i,
                                                         "value": value} for i in indexes])
        for version in versions:
            _wait(lambda: _discovered("%s/%s" % (group, version), plural) == value)

    try:
        serve(False)
        yield
    finally:
        serve(True)


@contextlib.contextmanager
def patched_node(name, spec=None, status=None):
    core = client.CoreV1Api()
    before = core.read_node(name)
    try:
        if spec is not None:
            core.patch_node(name, {"spec": spec})
        if status is not None:
            core.patch_node_status(name, {"status": status})
        yield
    finally:
        if spec is not None:
            core.patch_node(name, {"spec": {"taints": client.ApiClient().sanitize_for_serialization(before.spec.taints) or None}})
        if status is not None:
            core.patch_node_status(name, {"status": {"allocatable": before.status.allocatable}})


@contextlib.contextmanager
def cluster_object(group, version, plural, body, status=None):
    """Create a cluster-scoped object, or, when it exists (the platform tests of the same session installed it),
    give it our spec (and status) and put its own back afterwards."""
    custom = client.CustomObjectsApi()
    name = body["metadata"]["name"]
    saved = None
    try:
        custom.create_cluster_custom_object(group, version, plural, body)
    except ApiException as exc:
        if exc.status != 409:
            raise
        saved = custom.get_cluster_custom_object(group, version, plural, name)

    def put(spec, status_value=None):
        current = custom.get_cluster_custom_object(group, version, plural, name)
        current["spec"] = spec
        current = custom.replace_cluster_custom_object(group, version, plural, name, current)
        if status_value is not None:
            current["status"] = status_value
            custom.replace_cluster_custom_object_status(group, version, plural, name, current)

    try:
        if saved is not None:
            put(body["spec"])
        if status is not None:
            custom.patch_cluster_custom_object_status(group, version, plural, name, {"status": status})
        yield
    finally:
        if saved is None:
            custom.delete_cluster_custom_object(group, version, plural, name)
        else:
            put(saved["spec"], saved.get("status", {}) if status is not None else None)


@contextlib.contextmanager
def crd_annotation(crd_name, key, value):
    ext = client.ApiextensionsV1Api()
    before = ext.read_custom_resource_definition(crd_name).metadata.annotations.get(key)
    ext.patch_custom_resource_definition(crd_name, {"metadata": {"annotations": {key: value}}})
    try:
        yield
    finally:
        ext.patch_custom_resource_definition(crd_name, {"metadata": {"annotations": {key: before}}})


@contextlib.contextmanager
def replaced_preset(name, change):
    """Replace (change(obj) -> new body) or delete (change returns None) a KServe preset; restore it."""
    custom = client.CustomObjectsApi()
    saved = custom.get_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], name)
    new = change(copy.deepcopy(saved))
    if new is None:
        custom.delete_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], name)
    else:
        custom.replace_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], name, new)
    try:
        yield
    finally:
        current = None
        try:
            current = custom.get_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], name)
        except ApiException as exc:
            if exc.status != 404:
                raise
        body = dict((k, v) for k, v in saved.items() if k != "status")
        body["metadata"] = {"name": name, "namespace": "kserve", "labels": saved["metadata"].get("labels"),
                            "annotations": saved["metadata"].get("annotations")}
        if current is None:
            custom.create_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], body)
        else:
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            custom.replace_namespaced_custom_object(*KSERVE[:2], "kserve", KSERVE[2], name, body)


def istio(version, inference_extension=True):
    values = {"pilot": {"env": {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}} if inference_extension else {}
    return {"apiVersion": "sailoperator.io/v1", "kind": "Istio", "metadata": {"name": "default"},
            "spec": {"version": version, "namespace": "istio-system", "values": values}}


def hf_secret(namespace, key):
    client.CoreV1Api().create_namespaced_secret(namespace, {"metadata": {"name": "hf-token"},
                                                            "stringData": {key: "not-a-real-token"}})


def pool_nodes(pool):
    return sorted(n.metadata.name for n in client.CoreV1Api().list_node(
        label_selector="cloud.google.com/gke-nodepool=%s" % pool).items)


# ----------------------------------------------------------------------------------------- tests
def test_every_check_passes_on_a_prepared_cluster(cluster, namespace):
    hf_secret(namespace, "HF_TOKEN")
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "opendatahub-ca-issuer"},
              "spec": {"ca": {"secretName": "opendatahub-ca"}}}
    ready = {"conditions": [{"type": "Ready", "status": "True", "reason": "KeyPairVerified", "message": "ok",
                             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    with cluster_object(*ISTIO, istio("v1.30.3")), cluster_object(*ISSUER, issuer, status=ready):
        started = time.monotonic()
        run, rows = preflight(cluster, llmd_xks_namespace=namespace, llmd_xks_pattern=4,
                              llmd_xks_gateway={"name": "kserve-ingress-gateway", "namespace": "kserve", "create": False})
        elapsed = time.monotonic() - started
    assert run.rc == 0, run
    assert set(rows) == ALL_CLUSTER_CHECKS
    assert statuses(rows) == dict((k, "pass") for k in ALL_CLUSTER_CHECKS), rows
    assert "v1.30.3" in rows["istio-inference-pool"][1]
    assert "preflight: %d pass, 0 warn, 0 fail (platform gke)" % len(ALL_CLUSTER_CHECKS) in run.output
    assert elapsed < 30


def test_failures_on_the_istio_stack_are_detected(cluster):
    tpu = pool_nodes("tpu-v6e-pool")
    cpu_taint = {"taints": [{"key": "llmd-xks-test", "value": "preflight", "effect": "NoSchedule"}]}
    unaccepted = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                  "metadata": {"name": "preflight-unaccepted"}, "spec": {"controllerName": "example.com/nobody"}}
    with contextlib.ExitStack() as stack:
        stack.enter_context(crd_annotation("gateways.gateway.networking.k8s.io", "gateway.networking.k8s.io/channel",
                                           "experimental"))
        stack.enter_context(unserved("httproutes.gateway.networking.k8s.io", ["v1"]))
        stack.enter_context(cluster_object("gateway.networking.k8s.io", "v1", "gatewayclasses", unaccepted))
        stack.enter_context(cluster_object(*ISTIO, istio("v1.26.2", inference_extension=False)))
        stack.enter_context(unserved("inferencepools.inference.networking.k8s.io", ["v1"]))
        stack.enter_context(unserved("inferencepools.inference.networking.x-k8s.io", ["v1alpha2"]))
        stack.enter_context(unserved("llminferenceservices.serving.kserve.io", ["v1alpha1", "v1alpha2"]))
        stack.enter_context(unserved("certificates.cert-manager.io", ["v1"]))
        stack.enter_context(unserved("leaderworkersets.leaderworkerset.x-k8s.io", ["v1"]))
        for name in pool_nodes("default-pool"):
            stack.enter_context(patched_node(name, spec=cpu_taint))
        stack.enter_context(patched_node(tpu[0], spec={"taints": None}))
        stack.enter_context(patched_node(tpu[1], status={"allocatable": {"google.com/tpu": "0"}}))
        run, rows = preflight(cluster, llmd_xks_namespace="preflight-no-such-namespace", llmd_xks_pattern=4,
                              llmd_xks_gke_gatewayclass="preflight-unaccepted",
                              llmd_xks_gateway={"name": "no-such-gateway", "namespace": "kserve", "create": False})
    assert run.rc != 0 and "Preflight failed: " in run.output, run
    assert statuses(rows) == {
        "kubernetes": "pass", "gateway-api-crds": "pass",  # HTTPRoute is still served at v1beta1
        "gateway-api-channel": "fail", "gateway-api-routes": "fail", "gatewayclass": "fail", "gateway": "fail",
        "inference-pool-api": "fail", "istio-inference-pool": "fail", "istio-inference-extension": "fail",
        "kserve-crds": "fail", "cert-manager": "fail", "lws-crd": "fail", "cpu-pool": "fail",
        "accelerator-nodes": "pass", "accelerator-taints": "warn", "accelerator-allocatable": "fail",
        "namespace": "warn", "hf-token-secret": "fail"}, rows
    assert "GKE >= 1.35 forbids it" in rows["gateway-api-channel"][1]
    assert "HTTPRoute at v1beta1" in rows["gateway-api-routes"][1]
    assert "Istio v1.26.2 (Istio default) is older than 1.28" in rows["istio-inference-pool"][1]
    assert rows["accelerator-taints"][1].startswith(tpu[0] + " without google.com/tpu=present:NoSchedule")
    assert "%s has 0" % tpu[1] in rows["accelerator-allocatable"][1]
    # everything was restored
    assert _discovered("leaderworkerset.x-k8s.io/v1", "leaderworkersets")
    assert all(not n.spec.taints for n in client.CoreV1Api().list_node(
        label_selector="cloud.google.com/gke-nodepool=default-pool").items)


def test_sidecar_injection_label_warns(cluster, namespace):
    client.CoreV1Api().patch_namespace(namespace, {"metadata": {"labels": {"istio-injection": "enabled"}}})
    run, rows = preflight(cluster, llmd_xks_namespace=namespace, preflight_fail_on_error=False)
    assert run.rc == 0
    assert rows["sidecar-injection"][0] == "warn" and "istio-injection=enabled" in rows["sidecar-injection"][1]


def test_gke_gateway_stack_checks(cluster, namespace):
    # a global class cannot route to an InferencePool; there is no L4 node pool
    run, rows = preflight(cluster, llmd_xks_stack="gateway_api_llmd", llmd_xks_accelerator="nvidia-l4",
                          llmd_xks_gke_gatewayclass="gke-l7-global-external-managed", llmd_xks_namespace=namespace)
    assert run.rc != 0
    found = statuses(rows)
    assert found["gatewayclass"] == "pass" and found["gatewayclass-regional"] == "fail"
    assert found["accelerator-nodes"] == "fail" and "accelerator-taints" not in found
    assert "istio-inference-pool" not in found and "kserve-crds" not in found

    # KServe behind GKE's gateway: the route preset still has timeouts, the template preset is gone, the token
    # Secret lacks its key
    hf_secret(namespace, "wrong-key")
    with replaced_preset("kserve-config-llm-template", lambda obj: None):
        run, rows = preflight(cluster, llmd_xks_stack="kserve_gke_gateway", llmd_xks_namespace=namespace,
                              llmd_xks_gke_gatewayclass="gke-l7-regional-external-managed")
    found = statuses(rows)
    assert run.rc != 0
    assert found["gatewayclass-regional"] == "pass"
    assert (found["kserve-route-timeouts"], found["kserve-presets"], found["hf-token-secret"]) == ("fail", "fail", "fail")

    def without_timeouts(obj):
        for rule in obj["spec"]["router"]["route"]["http"]["spec"]["rules"]:
            rule.pop("timeouts", None)
        return obj

    with replaced_preset("kserve-config-llm-router-route", without_timeouts):
        run, rows = preflight(cluster, llmd_xks_stack="kserve_gke_gateway", llmd_xks_namespace=namespace,
                              llmd_xks_gke_gatewayclass="gke-l7-rilb", llmd_xks_hf_token="set")
    found = statuses(rows)
    assert (found["kserve-route-timeouts"], found["kserve-presets"], found["hf-token-secret"]) == ("pass", "pass", "fail")


def test_gcp_rows_join_the_table(cluster, monkeypatch):
    """With llmd_xks_project set, llmd.xks.gke_preflight_info's rows (answered by the fake GCP endpoint: the caller
    lacks container.clusterRoles.create, the region has no proxy-only subnetwork) are part of the one table."""
    granted = [p for p in PERMISSIONS if not p.startswith("container.clusterRole")]
    with FakeGcp(scenario(TPU, permissions=granted, resources={})) as fake:
        for key, value in fake.module_env().items():
            monkeypatch.setenv(key, value)
        run, rows = preflight(cluster, llmd_xks_project="my-gcp-project", llmd_xks_region="europe-west4",
                              llmd_xks_zone="europe-west4-a",
                              preflight_gcp_args={"only": ["gcp_iam", "gcp_apis", "gcp_proxy_only_subnet"]})
    found = statuses(rows)
    assert (found["gcp_iam"], found["gcp_apis"], found["gcp_proxy_only_subnet"]) == ("fail", "pass", "fail"), rows
    assert "container.clusterRoles.create" in rows["gcp_iam"][1]
    assert found["gatewayclass"] == "pass" and run.rc != 0
    assert "Preflight failed: " in run.output and "gcp_iam" in run.output.split("Preflight failed: ")[1].splitlines()[0]


def test_openshift_inventory_skips_the_gke_checks(cluster):
    run = run_playbook(cluster.kubeconfig, "preflight.yml", inventory="openshift-example",
                       extra_vars={"llmd_xks_stack": "kserve_gke_gateway", "preflight_fail_on_error": False})
    assert run.rc == 0, run
    assert "(platform openshift)" in run.output
    ids = set(match.group(2) for match in map(ROW.match, run.output.splitlines()) if match)
    assert "gatewayclass" in ids and "gatewayclass-regional" not in ids
    assert not [i for i in ids if i.startswith(("gcp", "gke"))]


def test_unreachable_cluster_is_a_clear_failure(cluster, tmp_path):
    with open(cluster.kubeconfig) as handle:
        text = handle.read()
    broken = tmp_path / "kubeconfig"
    broken.write_text(re.sub(r"server: https://127\.0\.0\.1:\d+", "server: https://127.0.0.1:1", text))
    run = run_playbook(str(broken), "preflight.yml")
    assert run.rc != 0 and run.recap.get("failed") == 1
    output = " ".join(run.output.split())
    assert "The Kubernetes API at https://127.0.0.1:1 refused or failed the connection" in output and "K8S_AUTH_KUBECONFIG" in output, output[-2000:]
