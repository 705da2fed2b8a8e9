# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The pattern engine: every stack x pattern x accelerator renders schema-valid objects; bad input is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.llmd.xks.plugins.module_utils import _llmisvc
from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]

ALL_APIS = ["v1", "apps/v1", "gateway.networking.k8s.io/v1", "inference.networking.k8s.io/v1",
            "serving.kserve.io/v1alpha2", "leaderworkerset.x-k8s.io/v1", "networking.gke.io/v1"]
MODELS = {
    "tpu": [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct"}, {"name": "phi", "id": "microsoft/Phi-3-mini-4k-instruct"}],
    "gpu": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}, {"name": "gemma", "id": "google/gemma-2b-it"}],
    "cpu": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}, {"name": "phi", "id": "microsoft/Phi-3-mini-4k-instruct"}],
    "moe": [{"name": "moe", "id": "deepseek-ai/DeepSeek-V2-Lite"}],
}


def inputs(stack, pattern, accelerator, **extra):
    kind = ACCELERATORS[accelerator]["kind"]
    models = MODELS["moe"] if pattern == 4 else MODELS[kind][:2 if pattern == 2 else 1]
    # llm-d's body-based routing attaches to a Gateway of its own namespace
    gateway_namespace = "llm" if (stack, pattern) == ("gateway_api_llmd", 2) else "gw"
    base = dict(stack=stack, pattern=pattern, namespace="llm", accelerator=accelerator, accelerators=ACCELERATORS,
                models=copy.deepcopy(models), gateway={"name": "inference-gateway", "namespace": gateway_namespace},
                hf_token_secret="hf-token", hf_secret_exists=True, capabilities={"api_versions": ALL_APIS})
    base.update(extra)
    return base


def supported(pattern, accelerator):
    profile = ACCELERATORS[accelerator]
    if pattern != 4:
        return True
    return profile["kind"] == "cpu" or (profile["kind"] == "gpu" and profile["chips_per_host"] >= 8) or bool(profile.get("hosts"))


MATRIX = [(s, p, a) for s in ("istio_kserve", "gateway_api_llmd", "kserve_gke_gateway") for p in (1, 2, 3, 4)
          for a in sorted(ACCELERATORS)]


@pytest.mark.parametrize("stack, pattern, accelerator", MATRIX)
def test_rendering_matrix_is_schema_valid(crd_schemas, stack, pattern, accelerator):
    result = plan(inputs(stack, pattern, accelerator))
    if not supported(pattern, accelerator):
        assert any(e.startswith("llmd_xks_accelerator:") for e in result.errors), result.errors
        return
    assert result.errors == []
    for service in result.services:
        params = ArgumentSpecValidator(_llmisvc.argument_spec()).validate(dict(service))
        assert not params.error_messages, params.error_messages
        assert _llmisvc.validate(params.validated_parameters) == []
        body = _llmisvc.build(params.validated_parameters, "serving.kserve.io/v1alpha2")
        assert crd_schemas.errors(body) == [], (service["name"], crd_schemas.errors(body))
    for manifest in result.manifests:
        if "/" in manifest["apiVersion"] and not manifest["apiVersion"].startswith(("apps/", "rbac.", "networking.k8s.io/")):
            assert crd_schemas.errors(manifest) == [], (manifest["kind"], crd_schemas.errors(manifest))
    assert result.summary["models"] and result.summary["http_routes"]
    if stack == "gateway_api_llmd":
        names = sorted(releases(result))
        pools = result.summary["inference_pools"]
        assert names == sorted(pools + [p + "-ms" for p in pools] + (["pattern2-bbr"] if pattern == 2 else []))
        kinds = sorted(m["kind"] for m in result.manifests)
        policies = ["GCPBackendPolicy", "HealthCheckPolicy"] * len(pools)
        assert kinds == sorted(["ConfigMap"] * (2 if pattern == 2 else 0) + ["HTTPRoute"] + policies)


def releases(result):
    """{release name: its values} of the llm-d helmfile."""
    return dict((r["name"], r["values"][0]) for r in result.helmfile["definition"]["releases"])


def labels_of(result):
    found = []
    for manifest in result.manifests:
        found.append(manifest["metadata"].get("labels") or {})
        template = (manifest.get("spec") or {}).get("template") or {}
        found.append((template.get("metadata") or {}).get("labels") or {})
    for service in result.services:
        found.append(service.get("labels") or {})
    for values in releases(result).values() if result.helmfile else []:
        found.append((values.get("modelArtifacts") or {}).get("labels") or {})
        found.append(((values.get("inferencePool") or {}).get("modelServers") or {}).get("matchLabels") or {})
    return found


@pytest.mark.parametrize("stack", ["istio_kserve", "gateway_api_llmd"])
def test_no_label_value_carries_a_slash(stack):
    result = plan(inputs(stack, 2, "tpu-v6e-4t"))
    for labels in labels_of(result):
        assert all("/" not in str(v) for v in labels.values()), labels


def test_tpu_pods_request_every_chip_and_land_on_the_topology():
    result = plan(inputs("gateway_api_llmd", 1, "tpu-v6e-4t"))
    decode = releases(result)["pattern1-qwen-ms"]["decode"]
    container = decode["containers"][0]
    assert container["resources"]["limits"]["google.com/tpu"] == 4 and decode["parallelism"]["tensor"] == 4
    assert decode["extraConfig"]["nodeSelector"] == {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
                                                     "cloud.google.com/gke-tpu-topology": "2x2"}
    assert decode["extraConfig"]["tolerations"] == [{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert {"name": "TPU_CHIPS_PER_HOST_BOUNDS", "value": "2,2,1"} in container["env"]
    # the guide's tpu7x/FP8-only flags are dropped, the rest kept
    assert "--max-num-seqs=128" in container["args"] and not any(a.startswith("--kv-cache-dtype") for a in container["args"])
    assert container["modelCommand"] == "vllmServe" and container["image"] == "vllm/vllm-tpu:v0.11.1"


def test_llmd_values_reference_the_token_secret_and_never_hold_a_token():
    result = plan(inputs("gateway_api_llmd", 3, "nvidia-l4", hf_token_secret="my-hf", hf_token_provided=True,
                         scheduler={"prefix_cache": "precise"}))
    assert result.errors == []
    values = releases(result)
    assert values["pattern3-qwen-ms"]["modelArtifacts"]["authSecretName"] == "my-hf"
    env = values["pattern3-qwen"]["inferenceExtension"]["env"]
    assert env == [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "my-hf", "key": "HF_TOKEN"}}}]
    assert "hf_token" not in str(result.helmfile) and "value': 'hf_" not in str(result.helmfile)


def test_pattern3_on_llmd_keeps_the_block_size_equal_and_the_weights_given():
    result = plan(inputs("gateway_api_llmd", 3, "nvidia-l4", scheduler={"block_size": 32, "prefix_cache_weight": 5}))
    values = releases(result)
    args = values["pattern3-qwen-ms"]["decode"]["containers"][0]["args"]
    assert "--block-size=32" in args and "--enable-prefix-caching" in args
    epp = values["pattern3-qwen"]["inferenceExtension"]
    config = yaml.safe_load(epp["pluginsCustomConfig"][epp["pluginsConfigFile"]])
    producer = [p for p in config["plugins"] if p["type"] == "approx-prefix-cache-producer"][0]
    assert producer["parameters"]["blockSizeTokens"] == 32
    weights = dict((p["pluginRef"], p.get("weight")) for p in config["schedulingProfiles"][0]["plugins"])
    assert weights["prefix-cache-scorer"] == 5 and weights["queue-scorer"] == 2.0
    assert epp["image"] == {"registry": "registry.k8s.io", "repository": "gateway-api-inference-extension/epp",
                            "tag": "v1.5.0", "pullPolicy": "Always"}

    precise = releases(plan(inputs("gateway_api_llmd", 3, "nvidia-l4",
                                   scheduler={"block_size": 32, "prefix_cache": "precise"})))
    epp = precise["pattern3-qwen"]["inferenceExtension"]
    config = yaml.safe_load(epp["pluginsCustomConfig"][epp["pluginsConfigFile"]])
    scorer = [p for p in config["plugins"] if p["type"] == "precise-prefix-cache-scorer"][0]["parameters"]
    assert scorer["tokenProcessorConfig"]["blockSize"] == 32 and scorer["indexerConfig"]["tokenizersPoolConfig"][
        "modelName"] == "Qwen/Qwen3-0.6B"
    args = precise["pattern3-qwen-ms"]["decode"]["containers"][0]["args"]
    events = [a for a in args if a.startswith("--kv-events-config=")][0]
    assert "tcp://pattern3-qwen-epp.$(NAMESPACE).svc.cluster.local:5557" in events and "--block-size=32" in args


def test_pattern3_block_size_is_the_same_for_vllm_and_the_scorer():
    result = plan(inputs("istio_kserve", 3, "nvidia-l4", scheduler={"block_size": 32, "prefix_cache_weight": 5}))
    service = result.services[0]
    assert service["replicas"] == 3
    assert "--block-size=32" in service["container"]["args"] and "--enable-prefix-caching" in service["container"]["args"]
    config = service["router"]["scheduler"]["config"]
    producer = [p for p in config["plugins"] if p["type"] == "approx-prefix-cache-producer"][0]
    assert producer["parameters"]["blockSizeTokens"] == 32
    weights = dict((p["pluginRef"], p.get("weight")) for p in config["schedulingProfiles"][0]["plugins"])
    assert weights["prefix-cache-scorer"] == 5


def test_pattern2_has_one_pool_and_epp_per_model_and_header_routes():
    result = plan(inputs("gateway_api_llmd", 2, "nvidia-l4"))
    values = releases(result)
    assert sorted(values) == ["pattern2-bbr", "pattern2-gemma", "pattern2-gemma-ms", "pattern2-qwen", "pattern2-qwen-ms"]
    assert values["pattern2-bbr"] == {"bbr": {"name": "pattern2-bbr"}, "provider": {"name": "gke"},
                                      "inferenceGateway": {"name": "inference-gateway"}}
    selectors = [values[p]["inferencePool"]["modelServers"]["matchLabels"] for p in ("pattern2-qwen", "pattern2-gemma")]
    pods = [values[p + "-ms"]["modelArtifacts"]["labels"] for p in ("pattern2-qwen", "pattern2-gemma")]
    # each pool selects its own model's pods only
    assert all(set(sel.items()) <= set(pod.items()) for sel, pod in zip(selectors, pods))
    assert not set(selectors[0].items()) <= set(pods[1].items())
    route = [m for m in result.manifests if m["kind"] == "HTTPRoute"][0]
    headers = [r["matches"][0]["headers"][0] for r in route["spec"]["rules"]]
    assert [h["value"] for h in headers] == ["Qwen/Qwen3-0.6B", "google/gemma-2b-it"]
    assert all("port" not in b for r in route["spec"]["rules"] for b in r["backendRefs"])
    allowlists = [m for m in result.manifests if m["metadata"]["name"].endswith("-allowlist")]
    assert len(allowlists) == 2
    assert all(m["metadata"]["labels"]["inference.networking.k8s.io/bbr-managed"] == "true" for m in allowlists)


def test_pattern4_is_a_leader_worker_set_with_data_and_expert_parallelism():
    result = plan(inputs("gateway_api_llmd", 4, "nvidia-h100-80gb"))
    values = releases(result)["pattern4-moe-ms"]
    decode = values["decode"]
    assert values["multinode"] is True
    assert decode["parallelism"] == {"tensor": 1, "data": 16, "dataLocal": 8, "workers": 2}
    container = decode["containers"][0]
    # the start rank is computed by a shell, as the wide-EP guide does; Kubernetes would not expand $(( ))
    assert container["command"] == ["/bin/bash", "-c"] and container["modelCommand"] == "custom"
    script = container["args"][0]
    assert "START_RANK=$(( ${LWS_WORKER_INDEX:-0} * DP_SIZE_LOCAL ))" in script
    assert "exec vllm serve deepseek-ai/DeepSeek-V2-Lite " in script and "--enable-expert-parallel" in script
    assert "--served-model-name deepseek-ai/DeepSeek-V2-Lite" in script
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 8
    assert result.summary["workloads"] == ["LeaderWorkerSet/pattern4-moe-decode"]
    kserve = plan(inputs("istio_kserve", 4, "nvidia-h100-80gb")).services[0]
    assert kserve["parallelism"] == {"tensor": 1, "data": 16, "data_local": 8, "expert": True} and kserve["worker"] == {}


def test_llmd_derived_names_and_chart_inputs_are_checked_before_anything(tmp_path):
    long = plan(inputs("gateway_api_llmd", 1, "cpu-sim", release="r" * 30, models=[{"name": "m" * 12, "id": "Qwen/Qwen3-0.6B"}]))
    assert any(e.startswith("llmd_xks_release:") and "llmd_xks_models[0].name" in e and "40" in e for e in long.errors)
    mode = plan(inputs("gateway_api_llmd", 3, "cpu-sim", scheduler={"prefix_cache": "exact"}))
    assert any(e.startswith("llmd_xks_scheduler.prefix_cache:") for e in mode.errors)
    missing = plan(inputs("gateway_api_llmd", 1, "cpu-sim", charts_dir=str(tmp_path)))
    assert sum(e.startswith("llmd_xks_charts_dir:") for e in missing.errors) == 2  # inferencepool and modelservice
    gateway = plan(inputs("gateway_api_llmd", 2, "cpu-sim", gateway={"name": "g", "namespace": "other"}))
    assert any(e.startswith("llmd_xks_gateway.namespace:") for e in gateway.errors)
    infra = plan(inputs("gateway_api_llmd", 1, "cpu-sim", gateway={"name": "g", "namespace": "llm", "create": True,
                                                                   "class_name": "gke-l7-rilb"}))
    assert any(e.startswith("llmd_xks_gateway.class_name:") for e in infra.errors)
    values = plan(inputs("gateway_api_llmd", 1, "cpu-sim", chart_values={"vllm": {}}))
    assert any(e.startswith("llmd_xks_chart_values:") for e in values.errors)
    old_pools = plan(inputs("gateway_api_llmd", 1, "cpu-sim", capabilities={"api_versions": [
        a for a in ALL_APIS if a != "inference.networking.k8s.io/v1"] + ["inference.networking.x-k8s.io/v1alpha2"]}))
    assert any("inference.networking.k8s.io/v1" in e and e.startswith("llmd_xks_stack:") for e in old_pools.errors)


def test_llmd_charts_come_from_upstream_by_version_or_from_a_local_folder(tmp_path):
    upstream = plan(inputs("gateway_api_llmd", 2, "cpu-sim")).helmfile
    assert upstream["skip_deps"] is False
    repos = dict((r["name"], r) for r in upstream["definition"]["repositories"])
    charts = dict((r["name"], (r["chart"], r.get("version"))) for r in upstream["definition"]["releases"])
    assert charts["pattern2-qwen"] == ("llmd-xks-inferencepool/inferencepool", "v1.5.0")
    assert repos["llmd-xks-inferencepool"] == {"name": "llmd-xks-inferencepool", "oci": True,
                                               "url": "registry.k8s.io/gateway-api-inference-extension/charts"}
    assert charts["pattern2-qwen-ms"] == ("llmd-xks-modelservice/llm-d-modelservice", "v0.4.12")
    assert charts["pattern2-bbr"] == ("llmd-xks-body-based-routing/body-based-routing", "v1.5.0")
    for name in ("inferencepool-v1.5.0", "llm-d-modelservice-v0.4.12", "body-based-routing-v1.5.0"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Chart.yaml").write_text("name: x\n")
    local = plan(inputs("gateway_api_llmd", 2, "cpu-sim", charts_dir=str(tmp_path))).helmfile
    assert local["skip_deps"] is True and "repositories" not in local["definition"]
    assert [r["chart"] for r in local["definition"]["releases"]][:2] == [
        str(tmp_path / "inferencepool-v1.5.0"), str(tmp_path / "llm-d-modelservice-v0.4.12")]
    assert all("version" not in r for r in local["definition"]["releases"])


def test_gke_stacks_get_health_check_policies_on_the_pool():
    result = plan(inputs("kserve_gke_gateway", 1, "tpu-v6e-4t"))
    policy = [m for m in result.manifests if m["kind"] == "HealthCheckPolicy"][0]
    assert policy["spec"]["targetRef"] == {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "qwen-inference-pool"}


@pytest.mark.parametrize("override, variable", [
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "tensor_parallel": 2}]), "llmd_xks_models[0].tensor_parallel"),
    (dict(models=[{"name": "llama", "id": "meta-llama/Llama-3.1-70B-Instruct", "params_billion": 70}]), "llmd_xks_models[0].id"),
    (dict(models=[{"name": "qwen", "id": "Qwen2.5-3B"}]), "llmd_xks_models[0].id"),
    (dict(models=[{"name": "Qwen_3", "id": "Qwen/Qwen3-0.6B"}]), "llmd_xks_models[0].name"),
    (dict(hf_secret_exists=False), "llmd_xks_hf_token"),
    (dict(accelerator="tpu-v9"), "llmd_xks_accelerator"),
    (dict(capabilities={"api_versions": ["v1", "gateway.networking.k8s.io/v1", "inference.networking.k8s.io/v1"]}), "llmd_xks_stack"),
    (dict(capabilities={"api_versions": ALL_APIS, "istio_version": "v1.26.2"}), "llmd_xks_istio_version"),
    (dict(scheduler={"block_size": 100}), "llmd_xks_scheduler.block_size"),
])
def test_bad_input_names_the_variable(override, variable):
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), **override))
    assert any(e.startswith(variable + ":") for e in result.errors), result.errors
    assert result.services == [] and result.manifests == []


def test_pattern4_without_lws_crd():
    apis = [a for a in ALL_APIS if not a.startswith("leaderworkerset")]
    result = plan(inputs("gateway_api_llmd", 4, "nvidia-h100-80gb", capabilities={"api_versions": apis}))
    assert any(e.startswith("llmd_xks_pattern:") and "LeaderWorkerSet" in e for e in result.errors)


def test_pattern4_on_a_single_gpu_node_is_refused():
    result = plan(inputs("gateway_api_llmd", 4, "nvidia-t4"))
    assert any("8-GPU nodes" in e for e in result.errors)


def test_model_too_big_for_t4():
    result = plan(dict(inputs("gateway_api_llmd", 1, "nvidia-t4"), models=[{"name": "m", "id": "mistralai/Mistral-7B-Instruct-v0.3"}]))
    assert any(e.startswith("llmd_xks_models[0].id:") and "GiB" in e for e in result.errors)


def test_pattern1_with_two_models_is_refused():
    result = plan(dict(inputs("gateway_api_llmd", 1, "cpu-sim"), models=MODELS["cpu"]))
    assert any(e.startswith("llmd_xks_models:") and "pattern 2" in e for e in result.errors)


def test_cpu_simulator_needs_no_token_or_accelerator():
    result = plan(inputs("gateway_api_llmd", 1, "cpu-sim", hf_secret_exists=False))
    assert result.errors == []
    values = releases(result)["pattern1-qwen-ms"]
    container = values["decode"]["containers"][0]
    assert "authSecretName" not in values["modelArtifacts"] and values["accelerator"] == {"type": "cpu"}
    assert not any(k.endswith(("/gpu", "/tpu")) for k in container["resources"]["limits"])
    assert "extraConfig" not in values["decode"] and container["image"].startswith("ghcr.io/llm-d/llm-d-inference-sim:")


@pytest.mark.parametrize("inventory", ["local", "gke-tpu", "gke-gpu", "openshift-example"])
@pytest.mark.parametrize("pattern", [1, 3])
def test_every_inventory_renders_a_valid_plan(inventory, pattern):
    group_vars = {}
    folder = os.path.join(REPO, "inventories", inventory, "group_vars", "all")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as handle:
            group_vars.update(yaml.safe_load(handle) or {})
    result = plan(dict(stack=group_vars["llmd_xks_stack"], pattern=pattern, namespace=group_vars["llmd_xks_namespace"],
                       accelerator=group_vars["llmd_xks_accelerator"], accelerators=ACCELERATORS,
                       models=group_vars["llmd_xks_models"], gateway=group_vars.get("llmd_xks_gateway"),
                       scheduler=group_vars.get("llmd_xks_scheduler"), hf_token_secret="hf-token", hf_secret_exists=True))
    assert result.errors == []


def test_pattern4_on_a_multi_host_tpu_slice_is_one_pod_per_host():
    result = plan(inputs("gateway_api_llmd", 4, "tpu-v6e-16"))
    assert result.errors == []
    decode = releases(result)["pattern4-moe-ms"]["decode"]
    assert decode["parallelism"]["workers"] == 4 and decode["parallelism"]["data"] == 16
    assert decode["containers"][0]["resources"]["limits"]["google.com/tpu"] == 4
    assert decode["extraConfig"]["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "4x4"


def test_llmd_creates_the_gateway_with_llm_d_infra_unless_another_stack_made_it():
    gateway = {"name": "gw", "namespace": "llm", "create": True, "class_name": "istio"}
    fresh = plan(inputs("gateway_api_llmd", 1, "cpu-sim", gateway=gateway))
    [infra] = fresh.gateway_helmfile["definition"]["releases"]
    assert (infra["name"], infra["namespace"]) == ("gw-infra", "llm")
    listeners = infra["values"][0]["gateway"]["listeners"]
    assert listeners == [{"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]
    ours = {"metadata": {"name": "gw", "annotations": {"meta.helm.sh/release-name": "gw-infra"}}}
    assert plan(inputs("gateway_api_llmd", 1, "cpu-sim", gateway=gateway, live_gateway=ours)).gateway_helmfile
    theirs = {"metadata": {"name": "gw", "labels": {"llmd.xks/apply-set": "llmd-xks-gateway-gw"}}}
    assert plan(inputs("gateway_api_llmd", 1, "cpu-sim", gateway=gateway, live_gateway=theirs)).gateway_helmfile is None


# ------------------------------------------------------------------ whole validation before any write (issue 16)
def custom_profile(**changes):
    profile = copy.deepcopy(ACCELERATORS["tpu-v6e-4t"])
    profile.update(changes)
    return dict(ACCELERATORS, custom=profile)


@pytest.mark.parametrize("override, variable, fragment", [
    (dict(models=[{"name": "qwen\n", "id": "Qwen/Qwen2.5-3B-Instruct"}]), "llmd_xks_models[0].name", "control character"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct\n"}]), "llmd_xks_models[0].id", "control character"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "uri": "hf://Qwen/Qwen2.5-3B-Instruct\n"}]),
     "llmd_xks_models[0].uri", "control character"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "uri": "hf://Qwen/Qwen2.5 3B"}]),
     "llmd_xks_models[0].uri", "not a model location"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "served_name": "x\nkind: Secret"}]),
     "llmd_xks_models[0].served_name", "control character"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "served_name": "my model"}]),
     "llmd_xks_models[0].served_name", "not a model name clients can send"),
    (dict(models=[{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "extra_args": ["--seed=1\n"]}]),
     "llmd_xks_models[0].extra_args", "control character"),
    (dict(namespace="llm\n"), "llmd_xks_namespace", "not a valid name"),
    (dict(release="r1\n"), "llmd_xks_release", "not a valid name"),
    (dict(gateway={"name": "gw\n", "namespace": "gw"}), "llmd_xks_gateway.name", "not a valid name"),
    (dict(accelerator="custom", accelerators=custom_profile(node_labels={"cloud.google.com/gke-tpu-topology": "2x2/x"})),
     "llmd_xks_accelerators.custom.node_labels", "'/' is not allowed in label values"),
    (dict(accelerator="custom", accelerators=custom_profile(taints=[{"key": "bad key", "effect": "NoSchedule"}])),
     "llmd_xks_accelerators.custom.taints[0].key", "not a taint key"),
])
def test_whole_input_checks_name_the_playbook_variable(override, variable, fragment):
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), **override))
    matching = [e for e in result.errors if e.startswith(variable + ":")]
    assert len(matching) == 1 and fragment in matching[0], result.errors
    assert result.services == [] and result.manifests == []


def test_a_plain_served_name_is_accepted():
    models = [{"name": "qwen", "id": "Qwen/Qwen2.5-3B-Instruct", "served_name": "Qwen/Qwen2.5-3B-Instruct:v1"}]
    assert plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), models=models)).errors == []


@pytest.mark.parametrize("stack, pattern, lengths, variables, derived", [
    # each name is valid alone (release <= 40, model <= 40); 30 + 1 + 30 = 61 for the service, its policy adds 22
    ("istio_kserve", 2, (30, 30), "llmd_xks_release / llmd_xks_models[0].name", "-allow-gateway-to-vllm"),
    ("istio_kserve", 2, (40, 40), "llmd_xks_release / llmd_xks_models[0].name", "LLMInferenceService name"),
    ("kserve_gke_gateway", 2, (30, 30), "llmd_xks_release / llmd_xks_models[0].name", "-inference-pool"),
    ("gateway_api_llmd", 1, (30, 30), "llmd_xks_release / llmd_xks_models[0].name", "-epp"),
])
def test_derived_names_over_63_characters_name_the_variables(stack, pattern, lengths, variables, derived):
    release, name = lengths
    models = [{"name": "m" * name, "id": "Qwen/Qwen2.5-3B-Instruct"}, {"name": "n" * name, "id": "Qwen/Qwen2.5-3B-Instruct"}]
    result = plan(dict(inputs(stack, pattern, "tpu-v6e-4t"), release="r" * release, models=models[:2 if pattern == 2 else 1]))
    matching = [e for e in result.errors if e.startswith(variables + ":") and derived in e]
    assert matching, result.errors
    assert "over the limit of 63" in matching[0] and "Shorten" in matching[0]
    assert result.services == [] and result.manifests == []


@pytest.mark.parametrize("stack", ["istio_kserve", "kserve_gke_gateway", "gateway_api_llmd"])
def test_every_rendered_name_and_label_value_fits_when_the_derived_names_do(stack):
    """derived_names() is complete: at the longest inputs it accepts, nothing rendered is over 63 characters."""
    for pattern in (1, 2, 3):
        width = 63 - len("-allow-gateway-to-vllm") if stack == "istio_kserve" and pattern != 2 else 40
        for name_length in range(1, 41):
            models = [{"name": "m" * name_length, "id": "Qwen/Qwen2.5-3B-Instruct"},
                      {"name": "n" * name_length, "id": "Qwen/Qwen2.5-3B-Instruct"}][:2 if pattern == 2 else 1]
            result = plan(dict(inputs(stack, pattern, "tpu-v6e-4t"), release="r" * min(40, width), models=models))
            if result.errors:
                # the llm-d stack's pool name has the inferencepool chart's own, lower limit (LlmdRenderer.validate)
                assert all("over the limit of 63" in e or "the inferencepool chart allows" in e for e in result.errors), \
                    result.errors
                continue
            for obj in result.manifests + [dict(metadata=dict(name=s["name"], labels=s["labels"])) for s in result.services]:
                assert len(obj["metadata"]["name"]) <= 63, obj["metadata"]["name"]
                for value in (obj["metadata"].get("labels") or {}).values():
                    assert len(value) <= 63, value


def test_gateway_namespace_that_does_not_exist_is_refused():
    caps = {"api_versions": ALL_APIS, "gateway_namespace_exists": False, "gateway_exists": False}
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), capabilities=caps))
    assert [e for e in result.errors if e.startswith("llmd_xks_gateway.namespace:") and "'gw' of Gateway inference-gateway "
            "does not exist" in e], result.errors


def test_gateway_in_the_pattern_namespace_is_created_with_it():
    caps = {"api_versions": ALL_APIS, "gateway_namespace_exists": False, "gateway_exists": False}
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), capabilities=caps,
                       gateway={"name": "inference-gateway", "namespace": "llm", "create": True}))
    assert result.errors == [] and result.warnings == []


def test_missing_gateway_that_is_not_created_is_a_warning():
    caps = {"api_versions": ALL_APIS, "gateway_namespace_exists": True, "gateway_exists": False}
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), capabilities=caps))
    assert result.errors == [] and any("Gateway gw/inference-gateway does not exist" in w for w in result.warnings)


PATTERN1_QWEN = {"name": "qwen", "release": "pattern1", "pattern": "1", "stack": "istio_kserve"}


def test_a_second_pattern_with_the_same_model_name_in_one_namespace_is_refused():
    caps = {"api_versions": ALL_APIS, "llm_inference_services": [PATTERN1_QWEN]}
    result = plan(dict(inputs("istio_kserve", 3, "tpu-v6e-4t"), capabilities=caps))
    assert result.services == []
    [error] = [e for e in result.errors if e.startswith("llmd_xks_models[0].name:")]
    assert "LLMInferenceService llm/qwen already exists and belongs to release pattern1 (pattern 1" in error
    assert "release pattern3 (pattern 3) would take it over" in error


def test_same_release_redeploys_and_the_migration_may_adopt():
    caps = {"api_versions": ALL_APIS, "llm_inference_services": [PATTERN1_QWEN]}
    assert plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), capabilities=caps)).errors == []
    assert plan(dict(inputs("istio_kserve", 3, "tpu-v6e-4t"), capabilities=caps, adopt_releases=["pattern1"])).errors == []
    other_name = dict(inputs("istio_kserve", 3, "tpu-v6e-4t"), capabilities=caps,
                      models=[{"name": "qwen3", "id": "Qwen/Qwen2.5-3B-Instruct"}])
    assert plan(other_name).errors == []


def test_removal_leaves_another_releases_service_alone():
    caps = {"llm_inference_services": [dict(PATTERN1_QWEN, release="pattern3", pattern="3")]}
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), capabilities=caps, state="absent"))
    assert result.errors == [] and result.services == []
    assert not [m for m in result.manifests if m["metadata"]["name"].startswith("qwen-")]
    assert any("belongs to release pattern3" in w for w in result.warnings)


def test_unknown_stack_names_the_playbook_variable():
    result = plan(dict(inputs("istio_kserve", 1, "tpu-v6e-4t"), stack="istio"))
    assert any(e.startswith("llmd_xks_stack:") for e in result.errors), result.errors


def test_llmd_chart_values_merge_over_the_rendered_values():
    extra = {"modelservice": {"decode": {"replicas": 5, "containers": [{"name": "other", "image": "i"}]}}}
    values = releases(plan(inputs("gateway_api_llmd", 1, "cpu-sim", chart_values=extra)))["pattern1-qwen-ms"]
    assert values["decode"]["replicas"] == 5 and values["decode"]["containers"] == [{"name": "other", "image": "i"}]
    assert values["decode"]["create"] is True  # mappings merge, lists and scalars replace
