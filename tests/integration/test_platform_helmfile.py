# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""llmd.xks.helmfile with the real helmfile and helm (built from the Go module proxy by tools/build.sh) and no
helm-diff plugin (the proxy refuses it), so the template diff engine, against the local cluster, on the local charts
in tests/charts (helmfile.yaml.gotmpl: releases demo-web and demo-db of the demo chart)."""

import shutil
import pytest

from ansible_task import run_task
from platform_run import CHARTS, require_helm_tools, tool
import platform_run

pytestmark = pytest.mark.integration

kubeconfig = platform_run.kubeconfig


@pytest.fixture
def charts(tmp_path):
    require_helm_tools()
    copy = tmp_path / "charts"
    shutil.copytree(CHARTS, str(copy))
    return copy


def args(charts, namespace, **extra):
    base = dict(file=str(charts / "helmfile.yaml.gotmpl"), namespace=namespace, binary_path=tool("helmfile"),
                helm_binary=tool("helm"), helm_plugins=tool("helm-plugins"))
    base.update(extra)
    return base


def configmap(kubeconfig, namespace, name):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(kubeconfig)).read_namespaced_config_map(name, namespace)


def test_install_reapply_upgrade_destroy(kubeconfig, charts, namespace):
    first = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace))
    assert not first.get("failed"), first
    assert first["changed"] is True and first["diff_engine"] == "template"
    assert sorted(c["action"] for c in first["changed_releases"]) == ["install", "install"]
    by_name = dict((r["name"], r) for r in first["releases"])
    assert by_name["demo-web"]["status"] == "deployed" and by_name["demo-web"]["revision"] == 1
    assert by_name["demo-db"]["labels"]["tier"] == "db" and by_name["demo-db"]["namespace"] == namespace
    assert configmap(kubeconfig, namespace, "demo-db-config").data["message"] == "database"

    again = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace))
    assert again["changed"] is False, again
    assert not any(" sync" in c or " apply" in c for c in again["commands"])

    predicted = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, set={"message": "bonjour"}),
                         check=True, diff=True)
    assert predicted["changed"] is True
    assert [(c["name"], c["reason"]) for c in predicted["changed_releases"]] == [("demo-web", "manifests differ")]
    assert "-  message: hello" in predicted["diff"]["prepared"] and "+  message: bonjour" in predicted["diff"]["prepared"]
    assert configmap(kubeconfig, namespace, "demo-web-config").data["message"] == "hello"

    upgrade = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, set={"message": "bonjour"}))
    assert upgrade["changed"] is True
    by_name = dict((r["name"], r) for r in upgrade["releases"])
    assert by_name["demo-web"]["revision"] == 2 and by_name["demo-db"]["revision"] == 1  # only changes are synced
    assert configmap(kubeconfig, namespace, "demo-web-config").data["message"] == "bonjour"
    settled = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, set={"message": "bonjour"}))
    assert settled["changed"] is False, settled

    web_only = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, selectors=["tier=web"], state="absent"))
    assert web_only["changed"] is True and [r["name"] for r in web_only["releases"]] == ["demo-web"]
    destroy = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, state="absent"))
    assert destroy["changed"] is True and all(r["status"] == "absent" for r in destroy["releases"])
    gone = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, namespace, state="absent"))
    assert gone["changed"] is False


def test_missing_helm_diff_plugin_is_a_clear_error(kubeconfig, charts, tmp_path):
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    result = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, "hf-noplugin", helm_plugins=str(empty),
                                                            diff_engine="helm-diff"))
    assert result.get("failed")
    assert result["msg"].startswith("the helm-diff plugin is not installed: helm said 'Error: unknown command \"diff\"")


def test_broken_release_values_file_is_named(kubeconfig, charts):
    broken = charts / "values" / "db.yaml"
    broken.write_text("message: [unclosed\n")
    result = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, "hf-broken"))
    assert result.get("failed")
    assert result["msg"].startswith("values file %s is not valid YAML: " % broken), result["msg"]


def test_broken_state_values_file_is_named_before_running(kubeconfig, charts, tmp_path):
    broken = tmp_path / "state.yaml"
    broken.write_text("a: b: c\n")
    result = run_task(kubeconfig, "llmd.xks.helmfile", args(charts, "hf-broken", values_files=[str(broken)]))
    assert result.get("failed") and result["commands"] == []
    assert result["msg"].startswith("values file %s is not valid YAML" % broken)
