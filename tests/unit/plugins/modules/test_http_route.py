# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.modules import http_route as module

PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/llm/httproutes/models"
ARGS = dict(
    name="models", namespace="llm",
    parent_refs=[dict(name="inference-gateway")],
    rules=[
        dict(matches=[dict(path=dict(type="PathPrefix", value="/"),
                           headers=[dict(name="X-Gateway-Model-Name", value="Qwen/Qwen3-0.6B")])],
             backend_refs=[dict(kind="InferencePool", name="qwen")], timeouts=dict(request="300s")),
        dict(backend_refs=[dict(name="fallback", port=8000, weight=10)]),
    ],
)


def test_body(fake_kube, run_module):
    result = run_module(module, ARGS)
    assert result["changed"]
    spec = fake_kube.objects[PATH]["spec"]
    assert spec["parentRefs"] == [{"name": "inference-gateway", "kind": "Gateway", "group": "gateway.networking.k8s.io"}]
    first = spec["rules"][0]
    assert first["backendRefs"] == [{"name": "qwen", "group": "inference.networking.k8s.io", "kind": "InferencePool"}]
    assert first["matches"][0]["headers"] == [{"type": "Exact", "name": "X-Gateway-Model-Name", "value": "Qwen/Qwen3-0.6B"}]
    assert first["timeouts"] == {"request": "300s"}
    assert spec["rules"][1]["backendRefs"] == [{"name": "fallback", "port": 8000, "weight": 10}]


def test_idempotent_and_diff(fake_kube, run_module):
    run_module(module, ARGS)
    assert run_module(module, ARGS)["changed"] is False
    changed = dict(ARGS, hostnames=["llm.example.com"])
    result = run_module(module, changed, diff=True)
    assert result["changed"] and result["diff"]["after"]["spec"]["hostnames"] == ["llm.example.com"]
    assert "hostnames" not in result["diff"]["before"]["spec"]


@pytest.mark.parametrize("rules, option", [
    ([dict(matches=[dict(headers=[dict(name="X-Model")])], backend_refs=[dict(name="a", port=80)])],
     "rules[0].matches[0].headers[0].value"),
    ([dict(backend_refs=[dict(name="svc")])], "rules[0].backend_refs[0].port"),
    ([dict(backend_refs=[dict(name="pool", kind="InferencePool", port=8000)])], "rules[0].backend_refs[0].port"),
    ([dict(matches=[dict(path=dict(value="v1"))], backend_refs=[dict(name="a", port=80)])], "rules[0].matches[0].path.value"),
    ([dict(backend_refs=[])], "rules[0].backend_refs"),
    ([dict(backend_refs=[dict(name="a", port=80, weight=-1)])], "rules[0].backend_refs[0].weight"),
])
def test_bad_input(fake_kube, run_module, rules, option):
    result = run_module(module, dict(ARGS, rules=rules), expect_failure=True)
    assert any(e.startswith(option + ":") for e in result["errors"]), result["errors"]
    assert fake_kube.requests == 0


def test_no_parent_is_an_error(fake_kube, run_module):
    result = run_module(module, dict(ARGS, parent_refs=[]), expect_failure=True)
    assert any(e.startswith("parent_refs:") for e in result["errors"])


def test_check_mode_changes_nothing(fake_kube, run_module):
    result = run_module(module, ARGS, check_mode=True)
    assert result["changed"] and PATH not in fake_kube.objects
    assert fake_kube.calls[-1][2]["dry_run"] is True
