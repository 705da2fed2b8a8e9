# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Each platform role against the local cluster: converges, a second run changes nothing, check mode changes
nothing. Sources point at the upstream CRD copies and the small fixtures under tests/fixtures/platform."""

import os

import pytest

import platform_run
from platform_run import local_sources, run_playbook

pytestmark = pytest.mark.integration

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


kubeconfig = platform_run.kubeconfig


def converge_twice_and_check(kubeconfig, roles, extra_vars):
    first = run_playbook(kubeconfig, roles=roles, extra_vars=extra_vars)
    assert not first.failed, first.explain()
    second = run_playbook(kubeconfig, roles=roles, extra_vars=extra_vars)
    assert not second.failed and second.changed == 0, second.explain()
    check = run_playbook(kubeconfig, roles=roles, extra_vars=extra_vars, check=True)
    assert not check.failed and check.changed == 0, check.explain()
    return first, second


def test_gateway_api(kubeconfig):
    converge_twice_and_check(kubeconfig, ["gateway_api"], local_sources())


def test_gateway_api_refuses_experimental_on_gke_135(kubeconfig):
    run = run_playbook(kubeconfig, roles=["gateway_api"], extra_vars=dict(
        local_sources(), gateway_api_channel="experimental", gateway_api_cluster_version="v1.35.2-gke.1000"))
    assert run.failed and "rejects the experimental Gateway API CRDs" in run.stdout, run.explain()


def test_cert_manager(kubeconfig):
    converge_twice_and_check(kubeconfig, ["cert_manager"], local_sources())


def test_lws(kubeconfig):
    converge_twice_and_check(kubeconfig, ["lws"], local_sources())


def test_kserve(kubeconfig):
    converge_twice_and_check(kubeconfig, ["kserve"], local_sources())


def remove_unmanaged_sail_operator(kubeconfig):
    """The manifests test and the chart install (platform tests) share sail-operator/sail-operator: helm refuses to
    adopt a Deployment it did not create, so switching methods starts from a clean namespace, as a user would."""
    from kubernetes import client, config

    apps = client.AppsV1Api(config.new_client_from_config(kubeconfig))
    try:
        deployment = apps.read_namespaced_deployment("sail-operator", "sail-operator")
    except client.exceptions.ApiException as exc:
        if exc.status == 404:
            return
        raise
    if (deployment.metadata.labels or {}).get("app.kubernetes.io/managed-by") != "Helm":
        apps.delete_namespaced_deployment("sail-operator", "sail-operator")


def test_ossm_from_manifests_with_cni_and_injection_labels(kubeconfig):
    from kubernetes import client, config

    extra = dict(local_sources(), ossm_operator_install="manifests",
                 ossm_operator_manifests=[os.path.join(REPO, "tests", "fixtures", "platform", "sail-operator.yaml")],
                 ossm_cni_enabled=True, ossm_cni_namespace="kube-system", ossm_cni_bin_dir="/home/kubernetes/bin",
                 ossm_injection_namespaces=["llmd-xks-injection-test"], ossm_sidecar_injection="disabled")
    converge_twice_and_check(kubeconfig, ["ossm"], extra)
    api = client.CustomObjectsApi(config.new_client_from_config(kubeconfig))
    istio = api.get_cluster_custom_object("sailoperator.io", "v1", "istios", "default")
    assert istio["spec"]["values"]["pilot"]["env"]["ENABLE_GATEWAY_API_INFERENCE_EXTENSION"] == "true"
    assert istio["spec"]["values"]["pilot"]["cni"]["enabled"] is True
    cni = api.get_cluster_custom_object("sailoperator.io", "v1", "istiocnis", "default")
    assert cni["spec"]["namespace"] == "kube-system" and cni["spec"]["values"]["cni"]["cniBinDir"] == "/home/kubernetes/bin"
    core = client.CoreV1Api(config.new_client_from_config(kubeconfig))
    assert core.read_namespace("llmd-xks-injection-test").metadata.labels["istio-injection"] == "disabled"
    remove_unmanaged_sail_operator(kubeconfig)


def test_ossm_refuses_an_istio_without_inference_pool_v1(kubeconfig):
    run = run_playbook(kubeconfig, roles=["ossm"], extra_vars=dict(local_sources(), ossm_istio_version="v1.26.6"))
    assert run.failed and "from Istio 1.28 on" in run.stdout, run.explain()


def test_lws_from_an_url_source(kubeconfig, tmp_path):
    """URL sources are downloaded once into the role's download directory, then applied like local ones."""
    import functools
    import http.server
    import threading

    serve = tmp_path / "www"
    serve.mkdir()
    bundle = open(os.path.join(platform_run.SHARED, "crds", "lws", "leaderworkerset.x-k8s.io_leaderworkersets.yaml")).read()
    bundle += "\n---\n" + open(os.path.join(platform_run.FIXTURES, "lws.yaml")).read()
    (serve / "manifests.yaml").write_text(bundle)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(serve))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/v0.8.0/manifests.yaml" % server.server_address[1]
        (serve / "v0.8.0").mkdir()
        (serve / "v0.8.0" / "manifests.yaml").write_text(bundle)
        extra = dict(local_sources(), lws_manifests=[url], lws_download_dir=str(tmp_path / "downloads"))
        converge_twice_and_check(kubeconfig, ["lws"], extra)
        assert (tmp_path / "downloads" / "manifests.yaml").read_text() == bundle
    finally:
        server.shutdown()
