# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""playbooks/platform.yml for each stack against the local cluster: converges, a second run changes nothing
(timed: the no-change figure). Timings go to .cache/platform-timings.json. Check mode is each role's contract and
is run per role in test_platform_roles.py (converge, no-change re-run, check mode), not a third time here."""

import json
import os

import pytest

from platform_run import REPO, local_sources, require_helm_tools, run_playbook
import platform_run
from test_platform_roles import remove_unmanaged_sail_operator

pytestmark = pytest.mark.integration

kubeconfig = platform_run.kubeconfig

PLAYBOOK = os.path.join(REPO, "playbooks", "platform.yml")
TIMINGS = os.path.join(REPO, ".cache", "platform-timings.json")


def stack_vars(stack):
    require_helm_tools()  # the ossm role installs the sail-operator chart with the helmfile module
    return dict(local_sources(), llmd_xks_stack=stack)


def record(stack, seconds):
    data = {}
    if os.path.exists(TIMINGS):
        with open(TIMINGS) as handle:
            data = json.load(handle)
    data[stack] = round(seconds, 1)
    os.makedirs(os.path.dirname(TIMINGS), exist_ok=True)
    with open(TIMINGS, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)


@pytest.mark.budget(300)
@pytest.mark.parametrize("stack", ["istio_kserve", "kserve_gke_gateway", "gateway_api_llmd"])
def test_platform_stack_converges_then_changes_nothing(kubeconfig, stack):
    extra = stack_vars(stack)
    if extra.get("ossm_operator_install", "chart") == "chart":
        remove_unmanaged_sail_operator(kubeconfig)
    first = run_playbook(kubeconfig, playbook=PLAYBOOK, extra_vars=extra)
    assert not first.failed, first.explain()
    second = run_playbook(kubeconfig, playbook=PLAYBOOK, extra_vars=extra)
    assert not second.failed and second.changed == 0, second.explain()
    record(stack, second.elapsed)
    if stack == "kserve_gke_gateway":  # the GKE preset has no route timeouts; put the upstream preset back after
        assert "timeouts" not in json.dumps(_router_route(kubeconfig))
        restore = run_playbook(kubeconfig, roles=["kserve"], extra_vars=local_sources())
        assert not restore.failed and "timeouts" in json.dumps(_router_route(kubeconfig)), restore.explain()


def test_platform_tags_select_one_role(kubeconfig):
    first = run_playbook(kubeconfig, playbook=PLAYBOOK, extra_vars=stack_vars("istio_kserve"), tags="lws")
    assert not first.failed, first.explain()  # installs LWS when this test runs alone
    run = run_playbook(kubeconfig, playbook=PLAYBOOK, extra_vars=stack_vars("istio_kserve"), tags="lws")
    assert not run.failed and run.changed == 0, run.explain()
    assert "llmd.xks.lws : Apply LeaderWorkerSet" in run.stdout
    for role in ("gateway_api", "cert_manager", "ossm", "kserve"):  # not even their argument validation
        assert "llmd.xks.%s :" % role not in run.stdout, run.stdout


def test_platform_rejects_an_unknown_stack(kubeconfig):
    run = run_playbook(kubeconfig, playbook=PLAYBOOK, extra_vars=dict(local_sources(), llmd_xks_stack="nope"))
    assert run.failed and "llmd_xks_stack must be" in run.stdout


def _router_route(kubeconfig):
    from kubernetes import client, config

    api = client.CustomObjectsApi(config.new_client_from_config(kubeconfig))
    preset = api.get_namespaced_custom_object("serving.kserve.io", "v1alpha2", "kserve", "llminferenceserviceconfigs",
                                              "kserve-config-llm-router-route")
    return preset["spec"]["router"]["route"]["http"]["spec"]["rules"]
