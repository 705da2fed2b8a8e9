"""Unit tests for the pure parts of the controller stand-ins (no cluster needed)."""
import glob
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.standins import gotemplate, smp  # noqa: E402
from tests.standins.llmisvc import LLMISVCController, _external  # noqa: E402

_SHARED = os.environ.get("LLMD_XKS_SHARED") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
if not os.path.isdir(_SHARED):
    _SHARED = "/work/shared"
PRESETS = os.environ.get("LLMD_XKS_KSERVE_PRESETS_DIR", os.path.join(_SHARED, "kserve-presets", "v0.20.0"))
DATA = {"metadata": {"name": "qwen", "namespace": "llm"},
        "spec": {"model": {"name": "qwen"}, "parallelism": {"tensor": 4}},
        "GlobalConfig": {"IngressGatewayName": "kserve-ingress-gateway", "IngressGatewayNamespace": "kserve",
                         "EnableTLS": False, "ModelBasedRoutingHeaderName": "X-Gateway-Model-Name",
                         "InferencePoolNamespacedName": "llm/qwen-inference-pool"}}


@pytest.mark.parametrize("text,want", [
    ("{{ .ObjectMeta.Name }}/{{ .ObjectMeta.Namespace }}", "qwen/llm"),
    ("{{ ChildName .ObjectMeta.Name `-inference-pool` }}", "qwen-inference-pool"),
    ("a {{- if .Spec.Parallelism.Tensor -}} --tp {{ .Spec.Parallelism.Tensor }}{{- end }} b", "a--tp 4 b"),
    ("{{ or .Spec.Parallelism.Data 1 }}", "1"),
    ("{{ if .GlobalConfig.EnableTLS }}https{{else}}http{{- end }}", "http"),
    ("{{- if and .Spec.Prefill .Spec.Prefill.Parallelism }}x{{- end }}", ""),
    ("{{ shutdownTimeout nil 15 }}", "15"),
    ("no template", "no template"),
])
def test_gotemplate(text, want):
    assert gotemplate.render(text, DATA) == want


def test_child_name_is_knative_compatible():
    assert gotemplate.child_name("qwen", "-kserve") == "qwen-kserve"
    long = gotemplate.child_name("a" * 60, "-inference-pool")
    assert len(long) == 63 and long.endswith("-inference-pool")


@pytest.mark.skipif(not os.path.isdir(PRESETS), reason="KServe presets not available")
def test_every_shipped_preset_renders():
    for path in glob.glob(os.path.join(PRESETS, "*.yaml")):
        spec = gotemplate.render_tree(yaml.safe_load(open(path))["spec"], DATA)
        text = yaml.safe_dump(spec)
        assert "{{" not in text and "<no value>" not in text, path


def test_strategic_merge_by_name_and_replace():
    base = {"template": {"containers": [{"name": "main", "image": "a", "env": [{"name": "A", "value": "1"}]},
                                        {"name": "side", "image": "s"}],
                         "tolerations": [{"key": "x"}]}}
    patch = {"template": {"containers": [{"name": "main", "env": [{"name": "B", "value": "2"}],
                                          "resources": {"limits": {"google.com/tpu": "4"}}}],
                          "tolerations": [{"key": "y"}], "nodeSelector": {"a": "b"}}}
    out = smp.merge(base, patch)
    main = out["template"]["containers"][0]
    assert main["image"] == "a" and [e["name"] for e in main["env"]] == ["A", "B"]
    assert main["resources"]["limits"]["google.com/tpu"] == "4"
    assert out["template"]["containers"][1]["name"] == "side"
    assert out["template"]["tolerations"] == [{"key": "y"}]  # no merge key: replaced
    assert out["template"]["nodeSelector"] == {"a": "b"}
    assert base["template"]["containers"][0].get("resources") is None  # inputs untouched


def test_url_buckets_of_the_managed_route():
    route = {"spec": {"rules": [
        {"backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "p"}],
         "matches": [{"path": {"type": "PathPrefix", "value": "/llm/qwen/v1/completions"}}]},
        {"backendRefs": [{"kind": "Service", "name": "svc"}],
         "matches": [{"path": {"type": "PathPrefix", "value": "/llm/qwen"}}]},
        {"backendRefs": [{"kind": "Service", "name": "svc"}],
         "matches": [{"path": {"type": "PathPrefix", "value": "/publishers/llm/models/qwen"}}]},
        {"backendRefs": [{"kind": "Service", "name": "svc"}],
         "matches": [{"headers": [{"name": "X-Gateway-Model-Name", "value": "publishers/llm/models/qwen"}]}]},
    ]}}
    assert LLMISVCController._bucket_paths(route, "llm", "qwen") == {
        "path": "/llm/qwen", "publisher": "/publishers/llm/models/qwen", "model-routing": "/"}


@pytest.mark.parametrize("host,external", [("203.0.113.10", True), ("10.0.0.1", False), ("127.0.0.1", False),
                                           ("gw.kserve.svc.cluster.local", False), ("example.com", True)])
def test_external_hosts(host, external):
    assert _external(host) is external
