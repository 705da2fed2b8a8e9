# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Our llm-d values against the llm-d guides' own, both rendered by the real charts (helm template, no cluster).

Each pattern's releases are rendered with the values ``pattern_plan`` produces and with the values of the guide the
pattern follows (shared/charts/guides), through the same pinned chart. The objects may differ only in the fields
docs/llm-d.md lists (model, accelerator resources/selectors/tolerations, replicas, parallelism, names, labels, and
the per-pattern scheduling); any other difference fails with its path. ``LLMD_XKS_PRINT_DIFFERENCES=1`` prints the
differences per pattern (the table in docs/llm-d.md).
"""

import copy
import os
import re
import subprocess
import tempfile

import pytest
import yaml

from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan
from ansible_task import REPO, charts_dir

pytestmark = pytest.mark.integration

CHARTS = charts_dir()
GUIDES = os.path.join(CHARTS, "guides")
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
APIS = ["v1", "apps/v1", "gateway.networking.k8s.io/v1", "inference.networking.k8s.io/v1",
        "leaderworkerset.x-k8s.io/v1", "networking.gke.io/v1", "monitoring.coreos.com/v1", "monitoring.googleapis.com/v1"]


def helm():
    proc = subprocess.run(["bash", os.path.join(REPO, "tools", "tool-path.sh"), "helm"], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.fail("helm is not built: run tools/build.sh helm (%s)" % proc.stderr.strip())
    return proc.stdout.strip()


def template(chart, values, release="rel", namespace="llm"):
    """Objects rendered by ``helm template`` keyed by kind (names differ by design and are compared separately)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
    try:
        proc = subprocess.run([helm(), "template", release, chart, "--namespace", namespace, "-f", handle.name],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        os.unlink(handle.name)
    assert proc.returncode == 0, proc.stderr
    objects = {}
    for doc in yaml.safe_load_all(proc.stdout):
        if isinstance(doc, dict) and doc:
            objects.setdefault(doc["kind"], []).append(doc)
    return objects


def guide(path):
    with open(os.path.join(GUIDES, path)) as handle:
        return yaml.safe_load(handle)


def differences(a, b, path=""):
    """The paths at which two parsed objects differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += differences(a.get(key, "<absent>"), b.get(key, "<absent>"), "%s.%s" % (path, key))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [path + "[]"]
        out = []
        for index, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, "%s[%d]" % (path, index))
        return out
    if isinstance(a, str) and isinstance(b, str) and path.endswith(".yaml") and "\n" in a + b:
        return differences(yaml.safe_load(a), yaml.safe_load(b), path)  # EPP config files in ConfigMaps
    return [] if a == b else [path]


def rendered_pair(chart_folder, ours, theirs):
    chart = os.path.join(CHARTS, chart_folder)
    return template(chart, ours), template(chart, theirs)


def assert_only(found, allowed, what):
    unexpected = [p for p in found if not any(re.match(pattern + "$", p) for pattern in allowed)]
    assert not unexpected, "%s differs from the guide outside the documented fields: %s" % (what, unexpected)
    if os.environ.get("LLMD_XKS_PRINT_DIFFERENCES"):
        print("\n%s:\n  %s" % (what, "\n  ".join(sorted(set(re.sub(r"\[\d+\]", "[]", p) for p in found)))))


def render(pattern, accelerator, **extra):
    models = [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}]
    if pattern == 4:
        models = [{"name": "moe", "id": "deepseek-ai/DeepSeek-V2-Lite"}]
    result = plan(dict(dict(stack="gateway_api_llmd", pattern=pattern, namespace="llm", accelerator=accelerator,
                            accelerators=ACCELERATORS, models=models, hf_token_secret="hf-token", hf_secret_exists=True,
                            gateway={"name": "inference-gateway", "namespace": "llm",
                                     "class_name": "gke-l7-regional-external-managed"},
                            capabilities={"api_versions": APIS}, charts_dir=CHARTS), **extra))
    assert result.errors == [], result.errors
    return dict((r["name"], r["values"][0]) for r in result.helmfile["definition"]["releases"])


# documented differences of the model-server objects (docs/llm-d.md, "What differs from the guides")
MODEL_SERVER = [
    r"\.metadata\.name", r"\.spec\.replicas", r"\.spec\.selector\.matchLabels\..*", r"\.spec\.template\.metadata\.labels\..*",
    r"\.spec\.template\.spec\.serviceAccountName", r"\.spec\.template\.spec\.(nodeSelector|tolerations).*",
    r"\.spec\.template\.spec\.containers\[0\]\.(image|args|resources|env).*",
    r"\.spec\.template\.spec\.volumes\[\d+\]\.emptyDir\.sizeLimit",
    # the guide's TPU values ask TP 8 of 4 chips, which the chart flags (llm-d.ai/accelerator-warning); ours match
    r"\.metadata\.annotations",
]
POD_MONITOR = [r"\.metadata\.name", r"\.spec\.selector\.matchLabels\..*"]
ENDPOINT_PICKER = [
    r"\.metadata\.name", r"\.metadata\.labels\..*", r"\.metadata\.annotations\..*", r"\.spec\.selector\.matchLabels\..*",
    r"\.spec\.template\.metadata\.labels\..*", r"\.spec\.template\.spec\.serviceAccountName",
    r"\.spec\.template\.spec\.containers\[\d+\]\.(image|args)(\[\d+\])?", r"\.spec\.template\.spec\.volumes\[\d+\]\.configMap\.name",
    r"\.spec\.(selector|endpointPickerRef)\..*", r"\.(roleRef|subjects\[\d+\])\.name", r"\.spec\.selector\.inferencepool",
    r"\.spec\.endpoints\[\d+\]\.(authorization|bearerTokenSecret).*", r"\.subjects\[\d+\]\.namespace",
]


def compare_model_server(ours, theirs, what, kind="Deployment"):
    mine, guide_objects = rendered_pair("llm-d-modelservice-v0.4.12", ours, theirs)
    assert sorted(mine) == sorted(guide_objects), (what, sorted(mine), sorted(guide_objects))
    found = differences(mine[kind][0], guide_objects[kind][0])
    if "PodMonitor" in mine:
        found += differences(mine["PodMonitor"][0], guide_objects["PodMonitor"][0])
    assert_only(found, MODEL_SERVER + POD_MONITOR, what)
    return mine[kind][0]


def compare_endpoint_picker(ours, theirs, what, extra_allowed=()):
    theirs = copy.deepcopy(theirs)
    # the guides' helmfiles set the provider per environment: the same as ours
    theirs["provider"] = dict(theirs.get("provider") or {}, name=ours["provider"]["name"])
    sidecar = theirs["inferenceExtension"].get("sidecar") or {}
    if sidecar.get("enabled"):  # written for chart v1.3, which had no sidecar ConfigMap; v1.5 needs its name
        sidecar["configMap"] = ours["inferenceExtension"]["sidecar"]["configMap"]
    mine, guide_objects = rendered_pair("inferencepool-v1.5.0", ours, theirs)
    assert sorted(mine) == sorted(guide_objects), (what, sorted(mine), sorted(guide_objects))
    found = []
    for kind in sorted(guide_objects):
        for index, obj in enumerate(guide_objects[kind]):
            found += ["%s%s" % (kind, p) for p in differences(mine[kind][index], obj)]
    allowed = ["[A-Za-z]+" + p for p in ENDPOINT_PICKER] + list(extra_allowed)
    assert_only(found, allowed, what)
    return mine


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("accelerator, guide_file", [("nvidia-l4", "ms-values.yaml"), ("tpu-v6e-4t", "ms-values_tpu.yaml")])
def test_pattern1_is_the_inference_scheduling_guide_with_one_replica(accelerator, guide_file):
    values = render(1, accelerator)
    decode = compare_model_server(values["pattern1-qwen-ms"], guide("inference-scheduling/" + guide_file),
                                  "pattern 1 model server on %s" % accelerator)
    vllm = container(decode)
    # the chart names the model: vllm serve <id> ... --served-model-name <name>
    assert vllm["command"] == ["vllm", "serve"] and vllm["args"][0] == "Qwen/Qwen3-0.6B"
    assert vllm["args"][vllm["args"].index("--served-model-name") + 1] == "Qwen/Qwen3-0.6B"
    assert decode["spec"]["replicas"] == 1
    resource = ACCELERATORS[accelerator]["resource_name"]
    assert vllm["resources"]["limits"][resource] in (1, "1", 4, "4")
    compare_endpoint_picker(values["pattern1-qwen"], guide("inference-scheduling/gaie-values.yaml"),
                            "pattern 1 endpoint picker on %s" % accelerator)


def test_pattern3_approximate_only_adds_the_prefix_block_size_and_weights():
    values = render(3, "nvidia-l4", replicas=2, scheduler={"block_size": 32})
    decode = compare_model_server(values["pattern3-qwen-ms"], guide("inference-scheduling/ms-values.yaml"),
                                  "pattern 3 (approximate) model server")
    assert "--block-size=32" in container(decode)["args"]
    mine = compare_endpoint_picker(values["pattern3-qwen"], guide("inference-scheduling/gaie-values.yaml"),
                                   "pattern 3 (approximate) endpoint picker",
                                   extra_allowed=[r"ConfigMap\.data\.prefix-cache-config\.yaml"])
    config = yaml.safe_load(mine["ConfigMap"][0]["data"]["prefix-cache-config.yaml"])
    assert config["plugins"][0] == {"type": "approx-prefix-cache-producer",
                                    "parameters": {"blockSizeTokens": 32, "autoTune": False}}
    assert "--config-file" in container(mine["Deployment"][0])["args"]


def test_pattern3_precise_follows_the_precise_prefix_cache_guide():
    values = render(3, "nvidia-l4", replicas=2, scheduler={"prefix_cache": "precise"})
    # the guide launches vLLM through /bin/sh -c; ours passes the same flags as arguments (modelCommand vllmServe)
    mine, theirs = rendered_pair("llm-d-modelservice-v0.4.12", values["pattern3-qwen-ms"],
                                 guide("precise-prefix-cache-aware/ms-values.yaml"))
    script = container(theirs["Deployment"][0])["args"][0]
    args = container(mine["Deployment"][0])["args"]
    for flag in ("--block-size", "--prefix-caching-hash-algo", "--kv-events-config"):
        assert flag in script and any(a.startswith(flag) for a in args), flag
    assert "sha256_cbor" in " ".join(args) and "kv@$(POD_IP)@" in " ".join(args)
    env = set(e["name"] for e in container(mine["Deployment"][0])["env"])
    assert {"NAMESPACE", "POD_IP", "PYTHONHASHSEED"} <= env
    compare_endpoint_picker(values["pattern3-qwen"], guide("precise-prefix-cache-aware/gaie-values.yaml"),
                            "pattern 3 (precise) endpoint picker",
                            extra_allowed=[r"ConfigMap\.data\.precise-prefix-cache-config\.yaml\..*",
                                           r"Deployment\.spec\.template\.spec\.containers\[\d+\]\.env\[\d+\]\.valueFrom"
                                           r"\.secretKeyRef\.name"])


def test_pattern4_launches_like_the_wide_ep_guide():
    values = render(4, "nvidia-h100-80gb")
    mine = template(os.path.join(CHARTS, "llm-d-modelservice-v0.4.12"), values["pattern4-moe-ms"])
    [lws] = mine["LeaderWorkerSet"]
    with open(os.path.join(GUIDES, "wide-ep-lws", "decode.condensed.yaml")) as handle:
        theirs = yaml.safe_load(handle)
    template_spec = lws["spec"]["leaderWorkerTemplate"]
    assert "leaderTemplate" not in template_spec and template_spec["size"] == theirs["spec"]["leaderWorkerTemplate"]["size"]
    ours_vllm = template_spec["workerTemplate"]["spec"]["containers"][0]
    guide_vllm = theirs["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]
    assert ours_vllm["command"] == guide_vllm["command"]
    script, guide_script = ours_vllm["args"][0], guide_vllm["args"][0]
    for line in guide_script.splitlines()[:2]:  # shm clean-up and the start rank computed by the shell
        assert line in script
    for flag in ("--data-parallel-hybrid-lb", "--enable-expert-parallel", "--data-parallel-address ${LWS_LEADER_ADDRESS}",
                 "--data-parallel-size $((LWS_GROUP_SIZE * DP_SIZE_LOCAL))", "--data-parallel-start-rank $START_RANK"):
        assert flag in script and flag in guide_script, flag
    env = dict((e["name"], e.get("value")) for e in ours_vllm["env"])
    assert env["DP_SIZE_LOCAL"] == "8" and env["TP_SIZE"] == "1"  # what the script reads, set by the chart
    assert ours_vllm["resources"]["limits"]["nvidia.com/gpu"] in (8, "8")
    assert ours_vllm["readinessProbe"]["httpGet"]["path"] == guide_vllm["readinessProbe"]["httpGet"]["path"]
    compare_endpoint_picker(values["pattern4-moe"], guide("wide-ep-lws/inferencepool.values.yaml"),
                            "pattern 4 endpoint picker",
                            extra_allowed=[r"ConfigMap\.data\..*", r"DestinationRule.*"])


def test_bad_chart_values_are_refused_by_the_chart_schema():
    values = render(1, "cpu-sim")["pattern1-qwen-ms"]
    values["decode"]["replicas"] = "many"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
    proc = subprocess.run([helm(), "template", "r", os.path.join(CHARTS, "llm-d-modelservice-v0.4.12"), "-f", handle.name],
                          capture_output=True, text=True, timeout=120, check=False)
    os.unlink(handle.name)
    assert proc.returncode != 0 and "replicas" in proc.stderr
