# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""llmd.xks.helmfile against a fake helmfile/helm executable (fake_helmfile.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

import pytest

from ansible_collections.llmd.xks.plugins.modules import helmfile as module

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_helmfile.py")

HELM_DIFF_MISSING = """Comparing release=demo, chart=charts/demo, namespace=apps
in ./helmfile.yaml: command "/bin/helm" exited with non-zero status:

PATH:
  /bin/helm

ARGS:
  0: helm (4 bytes)
  1: diff (4 bytes)

ERROR:
  exit status 1

EXIT STATUS
  1

STDERR:
  Error: unknown command "diff" for "helm"
  Run 'helm --help' for usage.

COMBINED OUTPUT:
  Error: unknown command "diff" for "helm"
  Run 'helm --help' for usage.
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("helmfile", "helm"):
        wrapper = bindir / name
        wrapper.write_text('#!/bin/sh\nexec "%s" "%s" %s "$@"\n' % (sys.executable, FAKE, name))
        wrapper.chmod(0o755)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"declared": [
        {"name": "demo", "namespace": "apps", "chart": "./charts/demo", "labels": "tier:web"},
        {"name": "other", "chart": "./charts/demo", "labels": "tier:db"},
    ], "installed": {}}))
    monkeypatch.setenv("FAKE_HELM_STATE", str(state))
    for name in ("K8S_AUTH_KUBECONFIG", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT",
                 "K8S_AUTH_VERIFY_SSL"):
        monkeypatch.delenv(name, raising=False)
    helmfile = tmp_path / "helmfile.yaml"
    helmfile.write_text("releases:\n- name: demo\n  chart: ./charts/demo\n  values: [values/demo.yaml]\n")
    (tmp_path / "values").mkdir()
    (tmp_path / "values" / "demo.yaml").write_text("replicas: 1\n")

    class Fake(object):
        dir = tmp_path
        file = str(helmfile)
        args = dict(file=str(helmfile), binary_path=str(bindir / "helmfile"), helm_binary=str(bindir / "helm"))

        @staticmethod
        def state():
            return json.loads(state.read_text())

        @staticmethod
        def update(**kwargs):
            data = json.loads(state.read_text())
            data.update(kwargs)
            state.write_text(json.dumps(data))

        @staticmethod
        def subcommands():
            out = []
            for call in json.loads(state.read_text())["calls"]:
                words = [a for a in call["argv"][1:] if not a.startswith("-")]
                out.append(call["argv"][0] + ":" + next((w for w in words if w in (
                    "diff", "apply", "sync", "destroy", "list", "template", "plugin", "get")), "?"))
            return out

    return Fake


def test_install_then_no_change_then_upgrade(fake, run_module):
    """Default engine without the helm-diff plugin: template + helm get manifest, sync of the changed releases."""
    first = run_module(module, dict(fake.args, set={"replicas": 1}))
    assert first["changed"] is True and first["diff_engine"] == "template"
    assert fake.subcommands() == ["helm:plugin", "helm:list", "helmfile:list", "helmfile:template", "helmfile:sync",
                                  "helm:list", "helmfile:list"]
    actions = sorted((c["name"], c["action"]) for c in first["changed_releases"])
    assert actions == [("demo", "install"), ("other", "install")]
    demo = [r for r in first["releases"] if r["name"] == "demo"][0]
    assert demo["status"] == "deployed" and demo["revision"] == 1 and demo["labels"] == {"tier": "web"}
    template = [c for c in first["commands"] if " template " in c][0]
    assert "--skip-deps" in template and "--skip-tests" in template

    again = run_module(module, dict(fake.args, set={"replicas": 1}))
    assert again["changed"] is False and again["changed_releases"] == []
    assert not any(" sync" in c or " apply" in c for c in again["commands"])
    assert "helm:get" in fake.subcommands()

    upgrade = run_module(module, dict(fake.args, set={"replicas": 2}))
    assert upgrade["changed"] is True
    assert [c["reason"] for c in upgrade["changed_releases"]] == ["manifests differ"] * 2
    assert [r["revision"] for r in upgrade["releases"] if r["name"] == "demo"] == [2]


def test_template_engine_syncs_only_the_changed_release(fake, run_module):
    run_module(module, dict(fake.args))
    installed = fake.state()["installed"]
    installed["apps/demo"]["values"] = "edited by hand"
    fake.update(installed=installed)
    result = run_module(module, dict(fake.args))
    assert result["changed"] is True
    assert [(c["namespace"], c["name"]) for c in result["changed_releases"]] == [("apps", "demo")]
    sync = [c.split() for c in result["commands"] if " sync" in c][0]
    assert [sync[i + 1] for i, a in enumerate(sync) if a == "--selector"] == ["name=demo,namespace=apps"]
    revisions = dict((r["name"], r["revision"]) for r in result["releases"])
    assert revisions == {"demo": 2, "other": 1}


def test_template_engine_sees_chart_version_status_and_uninstall(fake, run_module):
    run_module(module, dict(fake.args))
    chart = fake.dir / "charts" / "demo"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.2.0\nappVersion: 1.0.0\n")
    fake.update(chart="demo-0.2.0")
    bumped = run_module(module, dict(fake.args), check_mode=True)
    assert bumped["changed"] is True
    assert [c["reason"] for c in bumped["changed_releases"]] == ["chart demo-0.1.0 -> demo-0.2.0"] * 2
    run_module(module, dict(fake.args))
    assert run_module(module, dict(fake.args))["changed"] is False

    state = fake.state()
    state["installed"]["default/other"]["status"] = "failed"
    state["declared"][0]["installed"] = False
    fake.update(**state)
    result = run_module(module, dict(fake.args), diff=True)
    assert sorted((c["name"], c["action"], c["reason"]) for c in result["changed_releases"]) == [
        ("demo", "uninstall", "not installed by the helmfile"), ("other", "upgrade", "status failed")]
    assert "apps/demo" not in fake.state()["installed"]
    assert "-  name: demo-config" in result["diff"]["prepared"]


def test_check_mode_runs_only_the_comparison_and_diff_mode_returns_it(fake, run_module):
    result = run_module(module, dict(fake.args), check_mode=True, diff=True)
    assert result["changed"] is True
    prepared = result["diff"]["prepared"]
    assert "# apps/demo: install (not installed)" in prepared and "+++ desired apps/demo" in prepared
    assert "+kind: ConfigMap" in prepared and "hook" not in prepared
    assert "helmfile:sync" not in fake.subcommands()
    assert fake.state()["installed"] == {}
    assert all(r["status"] == "absent" for r in result["releases"])


def test_helm_diff_engine_when_the_plugin_is_installed(fake, run_module):
    fake.update(plugins=["diff"])
    first = run_module(module, dict(fake.args, set={"replicas": 1}))
    assert first["changed"] is True and first["diff_engine"] == "helm-diff"
    assert fake.subcommands() == ["helm:plugin", "helmfile:diff", "helmfile:apply", "helm:list", "helmfile:list"]
    assert "--detailed-exitcode" in first["commands"][1] and "changed_releases" not in first
    again = run_module(module, dict(fake.args, set={"replicas": 1}))
    assert again["changed"] is False
    assert not any("apply" in c.split() for c in again["commands"])
    predicted = run_module(module, dict(fake.args, set={"replicas": 2}), check_mode=True, diff=True)
    assert predicted["changed"] is True and "ConfigMap (v1) has changed" in predicted["diff"]["prepared"]
    upgrade = run_module(module, dict(fake.args, set={"replicas": 2}))
    assert [r["revision"] for r in upgrade["releases"] if r["name"] == "demo"] == [2]
    forced = run_module(module, dict(fake.args, diff_engine="template"))
    assert forced["diff_engine"] == "template" and forced["changed"] is True


def test_normalise_manifests():
    from ansible_collections.llmd.xks.plugins.module_utils import _helmfile as h

    a = ("# Source: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {z: '1', a: '2'}\n---\n"
         "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\n"
         "metadata: {name: h, annotations: {helm.sh/hook: test}}\n")
    b = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# comment\napiVersion: v1\nkind: ConfigMap\n"
         "metadata:\n  name: b\ndata:\n  a: '2'\n  z: '1'\n")
    assert h.normalise_manifests(a) == h.normalise_manifests(b)
    assert "hook" not in h.normalise_manifests(a) and h.normalise_manifests("---\n") == ""
    diff = h.unified_diff("", h.normalise_manifests(b), "ns", "rel")
    assert diff.startswith("--- installed ns/rel\n+++ desired ns/rel\n")


def test_arguments_are_passed_through(fake, run_module, tmp_path):
    values = tmp_path / "state.yaml"
    values.write_text("a: 1\n")
    fake.update(plugins=["diff"])
    run_module(module, dict(fake.args, environment="gke", namespace="llm", selectors=["tier=web"], diff_engine="template",
                            values_files=[str(values)], values={"nested": {"x": [1, 2]}},
                            set={"b": "x,y", "flag": True}, kube_context="ctx", kubeconfig="/k/config",
                            helm_plugins="/plugins", env={"RELEASE_NAME_POSTFIX": "p1"}, wait=True,
                            wait_timeout=60, extra_args=["--suppress-secrets"]))
    calls = fake.state()["calls"][1:]  # after helm plugin list
    diff = [c["argv"] for c in calls if "template" in c["argv"]][0]
    for flag, value in (("--environment", "gke"), ("--namespace", "llm"), ("--selector", "tier=web"),
                        ("--kube-context", "ctx"), ("--state-values-file", str(values))):
        assert diff[diff.index(flag) + 1] == value
    assert "b=x\\,y" in diff and "flag=true" in diff
    inline = [diff[i + 1] for i, a in enumerate(diff) if a == "--state-values-file"][1]
    assert not os.path.exists(inline)  # temporary file removed afterwards
    sync = [c["argv"] for c in calls if "sync" in c["argv"]][0]
    assert sync[sync.index("sync"):] == ["sync", "--skip-deps", "--wait", "--timeout", "60", "--suppress-secrets"]
    assert sync[sync.index("--selector") + 1] == "name=demo,namespace=apps"  # the user's selector picked demo
    env = [c for c in calls if "template" in c["argv"]][0]["env"]
    assert env == {"KUBECONFIG": "/k/config", "HELM_PLUGINS": "/plugins", "RELEASE_NAME_POSTFIX": "p1",
                   "HELM_DIFF_COLOR": "false"}
    selected = run_module(module, dict(fake.args, selectors=["tier=web"]))
    assert [r["name"] for r in selected["releases"]] == ["demo"]


def test_k8s_auth_kubeconfig_is_honoured(fake, run_module, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/from/env")
    monkeypatch.setenv("K8S_AUTH_CONTEXT", "envctx")
    run_module(module, dict(fake.args), check_mode=True)
    call = [c for c in fake.state()["calls"] if c["argv"][0] == "helmfile"][0]
    assert call["env"]["KUBECONFIG"] == "/from/env"
    assert call["argv"][call["argv"].index("--kube-context") + 1] == "envctx"


def test_the_bearer_token_credential_reaches_helm_in_its_environment(fake, run_module, monkeypatch):
    """AWX's Kubernetes credential injects K8S_AUTH_HOST/API_KEY/SSL_CA_CERT/VERIFY_SSL and no kubeconfig."""
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("K8S_AUTH_HOST", "https://127.0.0.1:6443")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "sa-token-value")
    monkeypatch.setenv("K8S_AUTH_SSL_CA_CERT", "/private/env/k8s-ca.crt")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "True")
    run_module(module, dict(fake.args), check_mode=True)
    calls = [c for c in fake.state()["calls"] if c["argv"][0] in ("helm", "helmfile")]
    assert calls and all(c["env"]["HELM_KUBEAPISERVER"] == "https://127.0.0.1:6443" and c["env"]["HELM_KUBETOKEN"] ==
                         "sa-token-value" and c["env"]["HELM_KUBECAFILE"] == "/private/env/k8s-ca.crt" for c in calls)
    assert not [c for c in calls if "HELM_KUBEINSECURE_SKIP_TLS_VERIFY" in c["env"] or "sa-token-value" in c["argv"]]
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "False")
    run_module(module, dict(fake.args), check_mode=True)
    assert fake.state()["calls"][-1]["env"]["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] == "true"
    # as in kubernetes.core, the host and token win over K8S_AUTH_KUBECONFIG; the module's own option wins over both
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", "/from/env")
    run_module(module, dict(fake.args), check_mode=True)
    assert fake.state()["calls"][-1]["env"]["KUBECONFIG"] is None
    run_module(module, dict(fake.args, kubeconfig="/k/config"), check_mode=True)
    last = fake.state()["calls"][-1]["env"]
    assert last["KUBECONFIG"] == "/k/config" and "HELM_KUBETOKEN" not in last


def test_sync_command(fake, run_module):
    run_module(module, dict(fake.args, diff_engine="helm-diff"))
    result = run_module(module, dict(fake.args, command="sync", set={"v": 2}, diff_engine="helm-diff"))
    assert result["changed"] and "helmfile:sync" in fake.subcommands()


def test_destroy_only_when_installed(fake, run_module):
    gone = run_module(module, dict(fake.args, state="absent"))
    assert gone["changed"] is False and "helmfile:destroy" not in fake.subcommands()
    run_module(module, dict(fake.args))
    predicted = run_module(module, dict(fake.args, state="absent"), check_mode=True, diff=True)
    assert predicted["changed"] is True and "- release apps/demo" in predicted["diff"]["prepared"]
    assert "helmfile:destroy" not in fake.subcommands()
    result = run_module(module, dict(fake.args, state="absent"))
    assert result["changed"] is True and fake.state()["installed"] == {}
    assert all(r["status"] == "absent" for r in result["releases"])


def test_missing_helm_diff_plugin_is_named(fake, run_module):
    fake.update(fail={"diff": {"rc": 1, "stderr": HELM_DIFF_MISSING}})
    result = run_module(module, dict(fake.args, diff_engine="helm-diff"), expect_failure=True)
    assert result["msg"].startswith("the helm-diff plugin is not installed")
    assert 'unknown command "diff"' in result["msg"] and result["rc"] == 1
    assert "STDERR:" in result["stderr"]


def test_generic_error_is_the_first_error_line(fake, run_module):
    fake.update(fail={"sync": {"rc": 1, "stderr": (
        "Upgrading release=demo, chart=charts/demo\nin ./helmfile.yaml: failed processing release demo: command "
        "\"helm\" exited with non-zero status:\n\nSTDERR:\n  Error: UPGRADE FAILED: cannot patch \"demo\" with kind "
        "Deployment: field is immutable\n")}})
    result = run_module(module, dict(fake.args), expect_failure=True)
    assert result["msg"] == ("helmfile sync failed (release demo) (rc=1): Error: UPGRADE FAILED: cannot patch "
                             "\"demo\" with kind Deployment: field is immutable")


def test_broken_values_file_is_named_before_anything_runs(fake, run_module, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\nb: c: d\n")
    result = run_module(module, dict(fake.args, values_files=[str(broken)]), expect_failure=True)
    assert result["msg"].startswith("values file %s is not valid YAML" % broken)
    assert "calls" not in fake.state()


def test_broken_release_values_file_is_named(fake, run_module):
    (fake.dir / "values" / "demo.yaml").write_text("replicas: [1\n")
    result = run_module(module, dict(fake.args), expect_failure=True)
    assert "values file %s is not valid YAML" % (fake.dir / "values" / "demo.yaml") in result["msg"]


def test_yaml_error_from_helm_is_mapped_to_the_file(fake, run_module, tmp_path, monkeypatch):
    """A YAML error that only helm sees (e.g. a file the preflight does not know) is traced to the file."""
    from ansible_collections.llmd.xks.plugins.module_utils import _helmfile

    broken = tmp_path / "late.yaml"
    broken.write_text("a: [1\n")
    stderr = ("Error: failed to parse /tmp/helmfile1/values: error converting YAML to JSON: yaml: line 1: did not "
              "find expected node content\n")
    fake.update(fail={"template": {"rc": 1, "stderr": stderr}})
    monkeypatch.setattr(_helmfile, "values_files_of_state", lambda path: [str(broken)])
    result = run_module(module, dict(fake.args), expect_failure=True)
    assert result["msg"].startswith("values file %s is not valid YAML: " % broken)


def test_missing_binaries_and_files(fake, run_module, tmp_path):
    result = run_module(module, dict(fake.args, binary_path=str(tmp_path / "nope")), expect_failure=True)
    assert result["msg"] == "binary_path: %s is not an executable file" % (tmp_path / "nope")
    result = run_module(module, dict(fake.args, file=str(tmp_path / "missing.yaml")), expect_failure=True)
    assert "does not exist" in result["msg"]


def test_error_helpers():
    from ansible_collections.llmd.xks.plugins.module_utils import _helmfile as h

    assert h.first_error_line("in x: 1 errors:\nerr 0: no releases found\n") == "no releases found"
    assert h.first_error_line("", "") == "no output"
    assert h.readable_error("diff", 1, "", "Error: Kubernetes cluster unreachable: dial tcp") == \
        "helm cannot reach the cluster: Error: Kubernetes cluster unreachable: dial tcp"
    assert h._labels("a:b,c:d") == {"a": "b", "c": "d"}
    assert h.state_values_set_arg("k", None) == "k=null"


def test_inline_definition_is_written_for_the_run_and_removed(fake, run_module, tmp_path, monkeypatch):
    created = []
    real_mkdtemp = module.tempfile.mkdtemp

    def mkdtemp(**kwargs):
        created.append(real_mkdtemp(**kwargs))
        return created[-1]

    monkeypatch.setattr(module.tempfile, "mkdtemp", mkdtemp)
    definition = {"releases": [{"name": "demo", "namespace": "apps", "chart": "/charts/demo", "values": [{"replicas": 1}]}]}
    args = dict(fake.args, definition=definition)
    args.pop("file")
    result = run_module(module, args)
    assert result["changed"] is True
    written = [c for c in result["commands"] if " template " in c][0].split("--file ")[1].split()[0]
    assert written.startswith(created[0]) and written.endswith("helmfile.yaml")
    assert not os.path.exists(created[0])  # nothing left on the controller


def test_render_only_touches_no_cluster(fake, run_module):
    result = run_module(module, dict(fake.args, render_only=True))
    assert result["changed"] is False and [r["name"] for r in result["rendered"]] == ["demo", "other"]
    assert all(r["objects"] for r in result["rendered"])
    assert fake.subcommands() == ["helmfile:template"]  # no helm list, no helm get, no sync


@pytest.mark.parametrize("definition, message", [
    ({}, "has no releases"),
    ({"releases": [{"name": "x"}]}, "releases[0] needs a name and a chart"),
    ({"releases": [{"name": "x", "chart": "./charts/x"}]}, "is relative"),
])
def test_bad_definition_is_refused_before_anything_runs(fake, run_module, definition, message):
    args = dict(fake.args, definition=definition)
    args.pop("file")
    result = run_module(module, args, expect_failure=True)
    assert message in result["msg"] and result["commands"] == [] and "calls" not in fake.state()


def test_a_hanging_command_is_killed_at_the_command_timeout_naming_it(fake, run_module):
    fake.update(hang={"diff": 30}, plugins=["diff"])
    started = time.monotonic()
    result = run_module(module, dict(fake.args, command_timeout=1), expect_failure=True)
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    assert "helmfile diff did not finish within 1 s and was stopped (option command_timeout" in result["msg"]
    assert "silent or unreachable API server" in result["msg"]
