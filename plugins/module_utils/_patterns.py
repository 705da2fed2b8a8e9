# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: what each pattern deploys on each stack, per accelerator.

``plan(inputs)`` checks the inputs (no cluster access; facts about the cluster come in as
``capabilities``) and renders:

* ``services``: arguments for ``llmd.xks.llm_inference_service`` (KServe stacks);
* ``manifests``: objects for ``llmd.xks.apply_set`` (model servers, endpoint pickers, pools, routes,
  policies, allowlists) in one set per pattern, so teardown removes exactly what was created;
* ``summary``: models, pools, routes, gateway and the pods expected per node pool.

Error messages name the playbook variable (``llmd_xks_*``) and the fix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.llmd.xks.plugins.module_utils import _validate as check
from ansible_collections.llmd.xks.plugins.module_utils._llmd import LlmdRenderer

STACKS = ("istio_kserve", "gateway_api_llmd", "kserve_gke_gateway")
KSERVE_STACKS = ("istio_kserve", "kserve_gke_gateway")
GKE_GATEWAY_STACKS = ("gateway_api_llmd", "kserve_gke_gateway")
# Short stack names for object names; every object also carries the full name in STACK_LABEL.
STACK_SHORT = {"istio_kserve": "istio", "gateway_api_llmd": "llmd", "kserve_gke_gateway": "gke"}
STACK_LABEL = "llmd.xks/stack"
RELEASE_LABEL = "llmd.xks/release"
PATTERN_LABEL = "llmd.xks/pattern"
BBR_LABEL = "inference.networking.k8s.io/bbr-managed"
INFERENCE_V1 = "inference.networking.k8s.io/v1"
INFERENCE_V1ALPHA2 = "inference.networking.x-k8s.io/v1alpha2"
LWS_API = "leaderworkerset.x-k8s.io/v1"
KSERVE_APIS = ("serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1")
ISTIO_MIN_FOR_V1_POOL = (1, 28)
WEIGHT_BYTES = 2.0  # bf16/fp16 weights
MEMORY_HEADROOM = 0.85  # weights may use at most this share of the accelerator memory (KV cache needs the rest)

# Parameter counts (billions) of models the project has run; others can pass params_billion.
KNOWN_MODEL_SIZES = {
    "google/gemma-2b-it": 2.5, "qwen/qwen2.5-3b-instruct": 3.1, "qwen/qwen3-0.6b": 0.6,
    "microsoft/phi-3-mini-4k-instruct": 3.8, "mistralai/mixtral-8x7b-instruct-v0.1": 46.7,
    "deepseek-ai/deepseek-v2-lite": 15.7, "mistralai/mistral-7b-instruct-v0.3": 7.2,
}

DEFAULT_IMAGES = {
    "tpu": "vllm/vllm-tpu:v0.11.1",
    "gpu": "vllm/vllm-openai:v0.11.0",
    "cpu": "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1",
}


class Plan(object):
    def __init__(self):
        self.errors = []
        self.warnings = []
        self.services = []
        self.manifests = []
        self.helmfile = None
        self.gateway_helmfile = None
        self.summary = {}


def _var(name):
    return "llmd_xks_" + name


def label_value(text):
    """A label-safe form of a model id ('Qwen/Qwen2.5-3B' -> 'qwen-qwen2.5-3b')."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.").lower()
    return value[:63].rstrip("-_.")


def _version_tuple(text):
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers[:2]) if numbers else None


def _served(capabilities, api):
    served = capabilities.get("api_versions")
    return served is None or api in served


class PatternPlanner(object):
    """Builds a Plan from the validated inputs (the pattern_plan module's options)."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.plan = Plan()
        self.profile = (inputs.get("accelerators") or {}).get(inputs.get("accelerator")) or {}
        self.kind = self.profile.get("kind")
        self.stack = inputs.get("stack")
        self.pattern = inputs.get("pattern")
        self.namespace = inputs.get("namespace")
        self.release = inputs.get("release") or "pattern%s" % self.pattern
        self.capabilities = inputs.get("capabilities") or {}
        self.images = dict(DEFAULT_IMAGES, **dict((k, v) for k, v in (inputs.get("images") or {}).items() if v))
        self.scheduler = dict(dict(prefix_cache_weight=3.0, queue_weight=2.0, kv_cache_weight=2.0, block_size=64),
                              **dict((k, v) for k, v in (inputs.get("scheduler") or {}).items() if v is not None))
        self.gateway = dict(dict(name="inference-gateway", namespace=self.namespace), **dict(
            (k, v) for k, v in (inputs.get("gateway") or {}).items() if v))
        # the stack is part of the set name, so two stacks of one release can run side by side (migration)
        self.set_name = "llmd-xks-%s-%s" % (self.release, STACK_SHORT.get(self.stack, "x"))
        self.extra_gateways = [dict(name=g["name"], namespace=g.get("namespace") or self.namespace)
                               for g in inputs.get("extra_gateways") or []]
        # the llm-d stack's inferencepool chart creates v1 InferencePools only
        self.pool_api = INFERENCE_V1 if self.stack == "gateway_api_llmd" or _served(self.capabilities, INFERENCE_V1) \
            else INFERENCE_V1ALPHA2

    # ------------------------------------------------------------------------------------ checks
    def error(self, variable, text):
        self.plan.errors.append("%s: %s" % (variable, text))

    def validate(self):
        inputs, profile = self.inputs, self.profile
        if self.stack not in STACKS:
            self.error(_var("stack"), "%r is not a stack. Use one of %s" % (self.stack, ", ".join(STACKS)))
        if self.pattern not in (1, 2, 3, 4):
            self.error(_var("pattern"), "%r is not a pattern. Use 1, 2, 3 or 4" % (self.pattern,))
        if not profile:
            self.error(_var("accelerator"), "%r is not a profile in llmd_xks_accelerators. Use one of %s"
                       % (inputs.get("accelerator"), ", ".join(sorted(inputs.get("accelerators") or {}))))
            return
        for message in check.dns_label(_var("namespace"), self.namespace) + check.dns_label(_var("release"), self.release, 40):
            self.plan.errors.append(message)
        self._validate_profile()
        self._validate_gateway()
        models = inputs.get("models") or []
        if not models:
            self.error(_var("models"), "no model given. Add at least one, e.g. [{name: qwen, id: Qwen/Qwen3-0.6B}]")
        if self.pattern != 2 and len(models) > 1:
            self.error(_var("models"), "pattern %s serves one model, %d were given. Use pattern 2 for several models, "
                       "or keep one" % (self.pattern, len(models)))
        if self.pattern == 2 and len(models) < 2:
            self.error(_var("models"), "pattern 2 (multi-model) needs at least two models")
        names = set()
        for index, model in enumerate(models):
            self._validate_model(index, model)
            if model.get("name") in names:
                self.error(_var("models[%d].name" % index), "%r is used twice. Give every model its own name" % model["name"])
            names.add(model.get("name"))
        replicas = self._replicas()
        if replicas is not None and replicas < 1:
            self.error(_var("replicas"), "must be at least 1")
        if self.pattern == 3 and replicas is not None and replicas < 2:
            self.plan.warnings.append("%s: pattern 3 with one replica has no cache-aware routing to do" % _var("replicas"))
        block_size = self.scheduler.get("block_size")
        if block_size not in (8, 16, 32, 64, 128, 256):
            self.error(_var("scheduler.block_size"), "%r is not a vLLM block size. Use 16, 32, 64 or 128; the same value "
                       "is given to vLLM (--block-size) and to the prefix-cache scorer" % (block_size,))
        if self.pattern == 4:
            self._validate_moe()
        self._validate_derived_names()
        if self.stack == "gateway_api_llmd":
            LlmdRenderer(self).validate()
        # facts about the cluster last: the inputs alone are checked whole first
        self._validate_capabilities()
        self._validate_secret(models)
        self._validate_cluster_objects()

    def _validate_model(self, index, model):
        where = _var("models[%d]" % index)
        dirty = set()
        for key in sorted(model):
            for value in model[key] if isinstance(model[key], list) else [model[key]]:
                found = check.no_control_characters("%s.%s" % (where, key), value)
                if found and key not in dirty:
                    dirty.add(key)
                    self.plan.errors.extend(found)
        model = dict((k, v) for k, v in model.items() if k not in dirty)  # one message per field
        if "name" in dirty or "id" in dirty:
            return
        self.plan.errors.extend(check.dns_label(where + ".name", model.get("name"), 40))
        self.plan.errors.extend(check.served_name(where + ".served_name", model.get("served_name")))
        if not model.get("name"):
            self.error(where + ".name", "required. A short DNS name such as 'qwen'")
        if not model.get("id"):
            self.error(where + ".id", "required. The Hugging Face id, e.g. Qwen/Qwen3-0.6B")
        else:
            self.plan.errors.extend(check.model_id(where + ".id", model["id"]))
        if model.get("uri"):
            self.plan.errors.extend(check.model_uri(where + ".uri", model["uri"]))
        if self.kind == "cpu":
            return
        chips = self.profile.get("chips_per_host") or 0
        tensor = model.get("tensor_parallel") or self._default_tensor_parallel()
        if self.kind == "tpu" and tensor != chips and self.pattern != 4:
            self.error(where + ".tensor_parallel", "%s on %s, which has %d chips per host; a TPU pod must use every chip "
                       "of its host. Set tensor_parallel: %d, or pick a profile with %d chips"
                       % (tensor, self.inputs.get("accelerator"), chips, chips, tensor))
        elif self.kind == "gpu" and tensor > chips and self.pattern != 4:
            self.error(where + ".tensor_parallel", "%s but %s has %d GPU(s) per node. Lower tensor_parallel to %d or pick "
                       "a larger machine" % (tensor, self.inputs.get("accelerator"), chips, chips))
        size = model.get("params_billion") or self.known_size(model)
        if size:
            need = size * WEIGHT_BYTES
            # pattern 4 shards the experts over every rank of the group (expert parallelism)
            pod_chips = tensor if self.pattern != 4 else self._moe()["data"] * self._moe()["tensor"]
            have = pod_chips * (self.profile.get("hbm_gib_per_chip") or 0) * MEMORY_HEADROOM
            if need > have:
                self.error(where + ".id", "%s needs about %.0f GiB for its weights but %d x %s offers %.0f GiB usable. Pick a "
                           "larger accelerator, more tensor parallelism, or a smaller model"
                           % (model["id"], need, pod_chips, self.inputs.get("accelerator"), have))

    def _validate_profile(self):
        """A custom profile's labels and taints end up in every pod's nodeSelector and tolerations."""
        where = "%s.%s" % (_var("accelerators"), self.inputs.get("accelerator"))
        self.plan.errors.extend(check.labels(where + ".node_labels", self.profile.get("node_labels") or {}))
        for index, taint in enumerate(self.profile.get("taints") or []):
            key = taint.get("key") if isinstance(taint, dict) else None
            if not key or check.labels("x", {key: ""}):
                self.error("%s.taints[%d].key" % (where, index), "%r is not a taint key. Use an optional DNS prefix and '/', "
                           "then at most 63 letters, digits, '-', '_' or '.'" % (key,))
            elif taint.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
                self.error("%s.taints[%d].effect" % (where, index), "%r is not a taint effect. Use NoSchedule, "
                           "PreferNoSchedule or NoExecute" % (taint.get("effect"),))
        for key, value in sorted((self.profile.get("env") or {}).items()):
            self.plan.errors.extend(check.no_control_characters("%s.env.%s" % (where, key), str(value)))

    def _validate_gateway(self):
        given = self.inputs.get("gateway") or {}
        self.plan.errors.extend(check.dns_label(_var("gateway.name"), given.get("name")))
        self.plan.errors.extend(check.dns_label(_var("gateway.namespace"), given.get("namespace")))
        self.plan.errors.extend(check.dns_subdomain(_var("gateway.class_name"), given.get("class_name")))
        self.plan.errors.extend(check.dns_subdomain(_var("hf_token_secret"), self.inputs.get("hf_token_secret")))
        for kind, image in sorted((self.inputs.get("images") or {}).items()):
            self.plan.errors.extend(check.no_control_characters(_var("images.%s" % kind), image))

    def derived_names(self):
        """(variables it comes from, what it is, value) for every name and label value built from several inputs.

        Each must fit in 63 characters (a DNS label or a label value). The KServe stacks' list is complete; the
        llm-d stack's names are listed by its renderer's naming rule.
        """
        release = _var("release")
        found = [((release,), "apply-set label value (llmd.xks/set)", self.set_name + "-paths")]
        for index, model in enumerate(self.inputs.get("models") or []):
            if not model.get("name"):
                continue
            model_var = _var("models[%d].name" % index)
            both = (release, model_var)
            if self.stack in KSERVE_STACKS:
                name = self._kserve_name(model)
                source = both if self.pattern == 2 else (model_var,)
                found.append((source, "LLMInferenceService name (also the app.kubernetes.io/name label)", name))
                if self.stack == "istio_kserve" and self.inputs.get("network_policies", True):
                    found.append((source, "NetworkPolicy name", name + "-allow-gateway-to-vllm"))
                    found.append((source, "NetworkPolicy name", name + "-allow-gateway-to-epp"))
                if self.stack == "kserve_gke_gateway":
                    found.append((source, "HealthCheckPolicy/GCPBackendPolicy name", name + "-inference-pool"))
                if self.pattern == 2:
                    found.append((both, "allowlist ConfigMap name", "%s-%s-allowlist" % (self.release, model["name"])))
            else:
                pool = "%s-%s" % (self.release, model["name"])
                found.append((both, "InferencePool name and llmd.xks/pool label value", pool))
                found.append((both, "endpoint picker name", pool + "-epp"))
                if self.pattern == 2:
                    found.append((both, "allowlist ConfigMap name", pool + "-allowlist"))
                    found.append(((release,), "body-based routing release name", self.release + "-bbr"))
        return found

    def _validate_derived_names(self):
        seen = set()
        for variables, what, value in self.derived_names():
            for message in check.derived_length(variables, what, value):
                if message not in seen:
                    seen.add(message)
                    self.plan.errors.append(message)

    def _validate_cluster_objects(self):
        """What the cluster holds: the gateway's namespace, the Gateway, LLMInferenceServices of other releases."""
        caps = self.capabilities
        gateway = self.gateway
        own_namespace = gateway["namespace"] == self.namespace
        creates = bool((self.inputs.get("gateway") or {}).get("create"))
        if caps.get("gateway_namespace_exists") is False and not own_namespace:
            self.error(_var("gateway.namespace"), "namespace %r of Gateway %s does not exist. Create it, or name the "
                       "namespace of an existing Gateway" % (gateway["namespace"], gateway["name"]))
        elif caps.get("gateway_exists") is False and not creates:
            self.plan.warnings.append("%s: Gateway %s/%s does not exist yet, so the routes will not be accepted until it "
                                      "does. Create it, or set llmd_xks_gateway.create: true"
                                      % (_var("gateway"), gateway["namespace"], gateway["name"]))
        if self.stack not in KSERVE_STACKS or self.inputs.get("state") == "absent":
            return
        for index, model in enumerate(self.inputs.get("models") or []):
            other = self._other_owner(model)
            if other is None:
                continue
            owner = ("release %s (pattern %s, stack %s)" % (other["release"], other.get("pattern") or "?", other.get("stack") or "?")
                     if other.get("release") else "no llmd.xks release (it was not deployed by this collection)")
            self.error(_var("models[%d].name" % index), "LLMInferenceService %s/%s already exists and belongs to %s; release "
                       "%s (pattern %s) would take it over, and removing either would remove both. Deploy into another "
                       "namespace (llmd_xks_namespace), give the model another name, remove the other first "
                       "(llmd_xks_state=absent), or move it with playbooks/migrate.yml"
                       % (self.namespace, self._kserve_name(model), owner, self.release, self.pattern))

    def _other_owner(self, model):
        """The live LLMInferenceService of this model's name if it belongs to another release, else None."""
        if not model.get("name"):
            return None
        adopt = set(self.inputs.get("adopt_releases") or [])
        live = dict((s.get("name"), s) for s in self.capabilities.get("llm_inference_services") or [])
        other = live.get(self._kserve_name(model))
        if other is None or other.get("release") == self.release or other.get("release") in adopt:
            return None
        return other

    def _keep_own_services(self):
        """On removal, leave alone what another release owns under the same name."""
        for model in self.inputs["models"]:
            other = self._other_owner(model)
            if other is None:
                continue
            name = self._kserve_name(model)
            self.plan.warnings.append("LLMInferenceService %s/%s belongs to release %s, not %s: left in place with its "
                                      "policies" % (self.namespace, name, other.get("release") or "(none)", self.release))
            owned = (name, name + "-allow-gateway-to-vllm", name + "-allow-gateway-to-epp", name + "-inference-pool")
            self.plan.services = [s for s in self.plan.services if s["name"] != name]
            self.plan.manifests = [m for m in self.plan.manifests if m["metadata"]["name"] not in owned]

    def _kserve_name(self, model):
        return "%s-%s" % (self.release, model["name"]) if self.pattern == 2 else model["name"]

    def _validate_capabilities(self):
        caps = self.capabilities
        if caps.get("api_versions") is None:
            return
        if self.stack in KSERVE_STACKS and not any(api in caps["api_versions"] for api in KSERVE_APIS):
            self.error(_var("stack"), "%s needs KServe's LLMInferenceService API, which the cluster does not serve. Run "
                       "playbooks/platform.yml for this stack first" % self.stack)
        if not any(api in caps["api_versions"] for api in (INFERENCE_V1, INFERENCE_V1ALPHA2)):
            self.error(_var("stack"), "the cluster serves no InferencePool API. Install the Gateway API Inference Extension "
                       "CRDs (role llmd.xks.gateway_api)")
        if "gateway.networking.k8s.io/v1" not in caps["api_versions"]:
            self.error(_var("stack"), "the cluster does not serve the Gateway API. Install it (role llmd.xks.gateway_api; "
                       "on GKE enable it with --gateway-api=standard)")
        if self.pattern == 4 and LWS_API not in caps["api_versions"]:
            self.error(_var("pattern"), "pattern 4 runs on LeaderWorkerSet, whose CRD is not installed. Install it (role "
                       "llmd.xks.lws) and re-run")
        istio = _version_tuple(caps.get("istio_version"))
        if self.stack == "istio_kserve" and istio:
            if istio < ISTIO_MIN_FOR_V1_POOL and self.pool_api == INFERENCE_V1:
                self.error(_var("istio_version"), "Istio %s does not support InferencePool %s. Use Istio >= %d.%d (OSSM >= "
                           "3.2) or the v1alpha2 API" % (caps["istio_version"], INFERENCE_V1, ISTIO_MIN_FOR_V1_POOL[0],
                                                         ISTIO_MIN_FOR_V1_POOL[1]))
            if istio >= ISTIO_MIN_FOR_V1_POOL and self.pool_api != INFERENCE_V1:
                self.error(_var("istio_version"), "Istio %s routes only to InferencePool %s, which the cluster does not "
                           "serve. Install the v1 Inference Extension CRDs" % (caps["istio_version"], INFERENCE_V1))

    def _validate_secret(self, models):
        needs_token = self.kind != "cpu" and any(str(m.get("uri") or "hf://").startswith("hf://") for m in models)
        if needs_token and not self.inputs.get("hf_token_provided") and not self.inputs.get("hf_secret_exists"):
            self.error(_var("hf_token"), "models are downloaded from Hugging Face but no token is set and Secret %s/%s does "
                       "not exist. Set llmd_xks_hf_token (from a vault) or create the Secret with key HF_TOKEN"
                       % (self.namespace, self.inputs.get("hf_token_secret")))

    def _validate_moe(self):
        moe = self.inputs.get("moe") or {}
        if self.kind == "gpu" and (self.profile.get("chips_per_host") or 0) < 8:
            self.error(_var("accelerator"), "pattern 4 (MoE, multi-node) needs 8-GPU nodes such as nvidia-h100-80gb; %s has "
                       "%d GPU(s) per node" % (self.inputs.get("accelerator"), self.profile.get("chips_per_host") or 0))
        if self.kind == "tpu" and not self.profile.get("hosts"):
            self.error(_var("accelerator"), "pattern 4 on TPU needs a multi-host slice profile (with 'hosts' > 1); %s is a "
                       "single host. Use a multi-host TPU profile or nvidia-h100-80gb" % self.inputs.get("accelerator"))
        nodes = self._moe()["nodes"]
        local = moe.get("data_local") or self._chips() or 1
        data = moe.get("data_parallel") or local * nodes
        if data != local * nodes:
            self.error(_var("moe.data_parallel"), "%d must equal data_local (%d) x nodes (%d)" % (data, local, nodes))
        if self.kind in ("gpu", "tpu") and local > self._chips():
            self.error(_var("moe.data_local"), "%d ranks per node but the node has %d accelerators" % (local, self._chips()))

    # --------------------------------------------------------------------------------- rendering
    def capabilities_serve(self, api):
        return _served(self.capabilities, api)

    @staticmethod
    def known_size(model):
        return KNOWN_MODEL_SIZES.get(str(model.get("id", "")).lower())

    def _chips(self):
        return self.profile.get("chips_per_host") or 0

    def _default_tensor_parallel(self):
        if self.kind == "tpu":
            return self._chips()
        return 1

    def _replicas(self):
        given = self.inputs.get("replicas")
        if given is not None:
            return given
        return 3 if self.pattern == 3 else 1

    def _accelerator(self, count):
        if self.kind == "cpu" or not self.profile.get("resource_name"):
            return None
        return dict(
            resource_name=self.profile["resource_name"], count=count,
            node_selector=dict(self.profile.get("node_labels") or {}),
            tolerations=[{"key": t["key"], "operator": "Exists", "effect": t["effect"]} for t in self.profile.get("taints") or []],
            env=dict((k, str(v)) for k, v in (self.profile.get("env") or {}).items()),
        )

    def _served_name(self, model):
        return model.get("served_name") or model["id"]

    def _vllm_args(self, model):
        args = ["--served-model-name=%s" % self._served_name(model), "--port=8000", "--disable-uvicorn-access-log"]
        if self.kind == "cpu":
            return ["--model=%s" % model["id"], "--port=8000", "--served-model-name=%s" % self._served_name(model)]
        max_len = model.get("max_model_len") or self.profile.get("max_model_len") or 4096
        args.append("--max-model-len=%d" % max_len)
        if self.kind == "gpu":
            args.append("--gpu-memory-utilization=%s" % (model.get("gpu_memory_utilization") or
                                                         self.profile.get("gpu_memory_utilization") or 0.9))
        tensor = model.get("tensor_parallel") or self._default_tensor_parallel()
        if tensor > 1:
            args.append("--tensor-parallel-size=%d" % tensor)
        if self.pattern == 3:
            args += ["--enable-prefix-caching", "--block-size=%d" % self.scheduler["block_size"]]
        return args + list(model.get("extra_args") or [])

    def _image(self, model):
        return model.get("image") or self.images[self.kind]

    def endpoint_picker_config(self):
        """EndpointPickerConfig; for pattern 3 the prefix scorer's block size equals vLLM's --block-size."""
        scorers = [("queue-scorer", self.scheduler["queue_weight"]), ("kv-cache-utilization-scorer", self.scheduler["kv_cache_weight"])]
        plugins = [{"type": "queue-scorer"}, {"type": "kv-cache-utilization-scorer"}]
        if self.pattern == 3:
            plugins.insert(0, {"type": "approx-prefix-cache-producer", "parameters": {
                "blockSizeTokens": self.scheduler["block_size"], "autoTune": False}})
            plugins.insert(1, {"type": "prefix-cache-scorer"})
            scorers.insert(0, ("prefix-cache-scorer", self.scheduler["prefix_cache_weight"]))
        plugins.append({"type": "max-score-picker"})
        profile_plugins = [{"pluginRef": name, "weight": weight} for name, weight in scorers]
        profile_plugins.append({"pluginRef": "max-score-picker"})
        return {"apiVersion": "inference.networking.x-k8s.io/v1alpha1", "kind": "EndpointPickerConfig",
                "plugins": plugins, "schedulingProfiles": [{"name": "default", "plugins": profile_plugins}]}

    def _common_labels(self, model=None):
        labels = {"app.kubernetes.io/part-of": "llmd-xks", PATTERN_LABEL: str(self.pattern),
                  RELEASE_LABEL: self.release, STACK_LABEL: self.stack}
        if model:
            labels["llmd.xks/model"] = model["name"]
        return labels

    # KServe stacks ------------------------------------------------------------------------------
    def render_kserve(self):
        models = self.inputs["models"]
        for model in models:
            name = self._kserve_name(model)
            tensor = model.get("tensor_parallel") or self._default_tensor_parallel()
            count = self._chips() if self.kind == "tpu" else tensor
            service = dict(
                name=name, namespace=self.namespace, labels=self._common_labels(model),
                model=dict(uri=model.get("uri") or "hf://%s" % model["id"], name=self._served_name(model)),
                replicas=self._replicas() if self.pattern != 4 else 1,
                container=dict(image=self._image(model), args=self._vllm_args(model)),
                accelerator=self._accelerator(count),
                router=dict(route={}, gateway_refs=self._gateway_refs(),
                            scheduler=dict(config=self.endpoint_picker_config())),
            )
            if self.kind == "tpu" or self.kind == "gpu":
                service["parallelism"] = dict(tensor=tensor)
            if self.kind == "cpu":
                service["template"] = {"containers": [{"name": "main", "command": ["/app/llm-d-inference-sim"]}]}
            else:
                service["template"] = {"containers": [{"name": "main", "env": [{"name": "HF_TOKEN", "valueFrom": {
                    "secretKeyRef": {"name": self.inputs.get("hf_token_secret"), "key": "HF_TOKEN"}}}]}]}
            if self.pattern == 4:
                moe = self._moe()
                service["parallelism"] = dict(tensor=moe["tensor"], data=moe["data"], data_local=moe["local"], expert=True)
                service["worker"] = {}
                service["accelerator"] = self._accelerator(self._chips())
            self.plan.services.append(service)
            if self.pattern == 2:
                self.plan.manifests.append(self._allowlist(model))
            if self.stack == "kserve_gke_gateway":
                self.plan.manifests.extend(self._gke_policies(name + "-inference-pool", model))
            if self.stack == "istio_kserve" and self.inputs.get("network_policies", True):
                self.plan.manifests.extend(self._network_policies(name))
        self.plan.summary.update(
            http_routes=[s["name"] + "-kserve-route" for s in self.plan.services],
            inference_pools=[s["name"] + "-inference-pool" for s in self.plan.services],
            workloads=[s["name"] + ("-kserve-mn" if self.pattern == 4 else "-kserve") for s in self.plan.services],
            endpoint_paths=["/%s/%s/v1/completions" % (self.namespace, s["name"]) for s in self.plan.services],
        )

    def _gateway_refs(self):
        own = dict(name=self.gateway["name"], namespace=self.gateway["namespace"])
        return [own] + [g for g in self.extra_gateways if g != own]

    def _moe(self):
        moe = self.inputs.get("moe") or {}
        nodes = moe.get("nodes") or self.profile.get("hosts") or 2
        local = moe.get("data_local") or self._chips() or 1
        return {"nodes": nodes, "local": local, "data": moe.get("data_parallel") or local * nodes,
                "tensor": moe.get("tensor_parallel") or 1}

    def _allowlist(self, model):
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "%s-%s-allowlist" % (self.release, model["name"]), "namespace": self.namespace,
                             "labels": dict(self._common_labels(model), **{BBR_LABEL: "true"})},
                "data": {"baseModel": self._served_name(model), "adapters": ""}}

    def _gke_policies(self, pool, model=None):
        target = {"group": self.pool_api.split("/", 1)[0], "kind": "InferencePool", "name": pool}
        labels = self._common_labels(model)
        return [
            {"apiVersion": "networking.gke.io/v1", "kind": "HealthCheckPolicy",
             "metadata": {"name": pool, "namespace": self.namespace, "labels": labels},
             "spec": {"targetRef": target, "default": {
                 "checkIntervalSec": 15, "timeoutSec": 15, "healthyThreshold": 1, "unhealthyThreshold": 2,
                 "logConfig": {"enabled": True},
                 "config": {"type": "HTTP", "httpHealthCheck": {
                     "portSpecification": "USE_FIXED_PORT", "port": 8000, "requestPath": "/health"}}}}},
            {"apiVersion": "networking.gke.io/v1", "kind": "GCPBackendPolicy",
             "metadata": {"name": pool, "namespace": self.namespace, "labels": labels},
             "spec": {"targetRef": target, "default": {"timeoutSec": 300, "logging": {"enabled": True}}}},
        ]

    def _network_policies(self, name):
        selector = {"matchLabels": {"app.kubernetes.io/name": name, "kserve.io/component": "workload"}}
        epp = {"matchLabels": {"app.kubernetes.io/name": name,
                               "app.kubernetes.io/component": "llminferenceservice-router-scheduler"}}
        gateway_peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": self.gateway["namespace"]}},
                        "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": self.gateway["name"]}}}
        same_ns = {"podSelector": {}}
        labels = self._common_labels()
        return [
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": name + "-allow-gateway-to-vllm", "namespace": self.namespace, "labels": labels},
             "spec": {"podSelector": selector, "policyTypes": ["Ingress"], "ingress": [
                 {"from": [gateway_peer, same_ns], "ports": [{"protocol": "TCP", "port": 8000}]}]}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": name + "-allow-gateway-to-epp", "namespace": self.namespace, "labels": labels},
             "spec": {"podSelector": epp, "policyTypes": ["Ingress"], "ingress": [
                 {"from": [gateway_peer], "ports": [{"protocol": "TCP", "port": p} for p in (9002, 9003, 9090)]}]}},
        ]

    def build(self):
        self.validate()
        if self.plan.errors:
            return self.plan
        if self.stack in KSERVE_STACKS:
            self.render_kserve()
            if self.inputs.get("state") == "absent":
                self._keep_own_services()
        else:
            LlmdRenderer(self).render()
        pods = self._replicas() if self.pattern != 4 else self._moe()["nodes"]
        self.plan.summary.update(
            stack=self.stack, pattern=self.pattern, namespace=self.namespace, release=self.release, set_name=self.set_name,
            accelerator=self.inputs.get("accelerator"), pool_api=self.pool_api,
            gateway="%s/%s" % (self.gateway["namespace"], self.gateway["name"]),
            models=[{"name": m["name"], "id": m["id"], "served_name": self._served_name(m)} for m in self.inputs["models"]],
            expected_pods={"accelerator": self.inputs.get("accelerator"), "per_model": pods,
                           "total": pods * len(self.inputs["models"])},
            node_labels=dict(self.profile.get("node_labels") or {}),
        )
        for manifest in self.plan.manifests:
            manifest["metadata"].setdefault("namespace", self.namespace)
        return self.plan


def plan(inputs):
    return PatternPlanner(copy.deepcopy(inputs)).build()
