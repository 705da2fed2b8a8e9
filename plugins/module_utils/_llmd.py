# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the Gateway API/llm-d stack as a helmfile of the real llm-d charts.

``LlmdRenderer(planner).render()`` fills the planner's Plan with:

* ``helmfile``: the content of a helmfile (repositories and releases with inline values) that
  ``llmd.xks.helmfile`` applies: per model one ``inferencepool`` release (InferencePool, endpoint picker, its RBAC)
  and one ``llm-d-modelservice`` release (vLLM decode Deployment, or LeaderWorkerSet for pattern 4), plus one
  ``body-based-routing`` release for pattern 2;
* ``gateway_helmfile``: the ``llm-d-infra`` release that creates the Gateway (only with ``gateway.create``), kept
  apart so that removing one pattern never removes a Gateway other patterns use;
* ``manifests``: what the stack creates by hand, the HTTPRoute (and pattern 2's model allowlists).

Values start from the llm-d guides' own (``_llmd_guides``) and override only the fields ``docs/llm-d.md``
lists. No secret goes into values: the Hugging Face token is referenced by its Secret's name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import math
import re

from ansible_collections.llmd.xks.plugins.module_utils import _charts as charts
from ansible_collections.llmd.xks.plugins.module_utils import _llmd_guides as guides
from ansible_collections.llmd.xks.plugins.module_utils._merge import deep_merge

POOL_LABEL = "llmd.xks/pool"
MODEL_HEADER = "X-Gateway-Model-Name"
POOL_GROUP = "inference.networking.k8s.io"
POOL_NAME_MAX = 40  # the inferencepool chart truncates the endpoint picker's name ("<pool>-epp") at 40 + 4
VLLM_PORT = 8000
RESOURCE_SHARE = 0.8  # of the node's CPU and memory a model server may request, split by accelerators used
INFRA_CLASSES = ("istio", "gke-l7-regional-external-managed", "kgateway", "agentgateway", "agentgateway-v2",
                 "data-science-gateway-class")
INFRA_PROVIDERS = {"gke-l7-regional-external-managed": "gke-l7-regional-external-managed", "kgateway": "agentgateway",
                   "agentgateway": "agentgateway", "agentgateway-v2": "agentgateway"}
PREFIX_CACHE_MODES = ("approximate", "precise")
# the image of each guide's model server, by accelerator kind (TPU: the v6e image, the guide's is for tpu7x)
GUIDE_IMAGES = {"gpu": "ghcr.io/llm-d/llm-d-cuda:v0.5.0", "tpu": "vllm/vllm-tpu:v0.11.1",
                "cpu": "ghcr.io/llm-d/llm-d-inference-sim:v0.6.1"}
# the inferencepool chart's own endpoint picker: the guides' llm-d-inference-scheduler v0.5.0 predates the v1.5
# chart's default plugins (core-metrics-extractor); llm-d's scheduler is kept where a guide needs its plugins
GIE_EPP_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
LLMD_EPP_IMAGE = "ghcr.io/llm-d/llm-d-inference-scheduler:v0.5.0"
# TPU args of the guide that are specific to its FP8 model on tpu7x
TPU_GUIDE_ONLY_ARGS = ("--kv-cache-dtype=", "--max-num-batched-tokens=")


def pool_name(release, model):
    return "%s-%s" % (release, model["name"])


def provider_of(gateway_class):
    gateway_class = gateway_class or ""
    if gateway_class.startswith("gke-"):
        return "gke"
    if gateway_class in ("istio", "data-science-gateway-class", "openshift-default"):
        return "istio"
    return "none"


def image_parts(reference):
    """'registry/repo/name:tag' -> {registry, repository, tag} as the v1.5 GIE charts read an image."""
    name, tag = reference.rsplit(":", 1) if ":" in reference.rpartition("/")[2] else (reference, "latest")
    registry, repository = name.split("/", 1) if "/" in name else ("docker.io", name)
    return {"registry": registry, "repository": repository, "tag": tag}


def _gib(quantity):
    match = re.match(r"^(\d+(?:\.\d+)?)(Gi|Ti|Mi)?$", str(quantity or ""))
    if not match:
        return None
    factor = {"Ti": 1024.0, "Gi": 1.0, "Mi": 1.0 / 1024, None: 1.0 / 1024 ** 3}[match.group(2)]
    return float(match.group(1)) * factor


def _with_flag(args, flag, value):
    """args with ``--flag=value`` replacing any earlier ``--flag`` (both spellings)."""
    kept = [a for a in args if not (a == flag or a.startswith(flag + "="))]
    return kept + ["%s=%s" % (flag, value)]


class LlmdRenderer(object):
    def __init__(self, planner):
        self.p = planner
        self.inputs = planner.inputs
        self.plan = planner.plan
        self.release = planner.release
        self.namespace = planner.namespace
        self.gateway = planner.gateway
        self.provider = provider_of(self.gateway.get("class_name") or "gke-l7-regional-external-managed")
        self.charts_dir = self.inputs.get("charts_dir")
        self.chart_overrides = self.inputs.get("charts") or {}
        self.extra_values = self.inputs.get("chart_values") or {}
        self.user_images = dict((k, v) for k, v in (self.inputs.get("images") or {}).items() if v)
        self.prefix_mode = planner.scheduler.get("prefix_cache") or "approximate"

    # ------------------------------------------------------------------------------------- checks
    def validate(self):
        error = self.p.error
        for index, model in enumerate(self.inputs.get("models") or []):
            if model.get("name") and len(pool_name(self.release, model)) > POOL_NAME_MAX:
                error("llmd_xks_release", "%r with model name %r (llmd_xks_models[%d].name) gives the InferencePool name %r "
                      "(%d characters); the inferencepool chart allows %d. Shorten llmd_xks_release or the model name"
                      % (self.release, model["name"], index, pool_name(self.release, model),
                         len(pool_name(self.release, model)), POOL_NAME_MAX))
        if self.prefix_mode not in PREFIX_CACHE_MODES:
            error("llmd_xks_scheduler.prefix_cache", "%r is not a prefix-cache mode. Use approximate (the endpoint "
                  "picker's own index) or precise (vLLM's KV-cache events)" % (self.prefix_mode,))
        served = self.p.capabilities.get("api_versions")
        if served is not None and charts.PLATFORM["inference_pool_api"] not in served:
            error("llmd_xks_stack", "gateway_api_llmd installs the inferencepool chart %s, which creates InferencePool %s; "
                  "the cluster does not serve it. Install the Inference Extension %s CRDs (role llmd.xks.gateway_api)"
                  % (charts.CHARTS["inferencepool"]["version"], charts.PLATFORM["inference_pool_api"],
                     charts.PLATFORM["inference_extension"]))
        if self.p.pattern == 2 and self.gateway["namespace"] != self.namespace:
            error("llmd_xks_gateway.namespace", "pattern 2 on gateway_api_llmd attaches body-based routing to the Gateway "
                  "from the models' namespace; %r is not %r. Put the Gateway in llmd_xks_namespace"
                  % (self.gateway["namespace"], self.namespace))
        if self.gateway.get("create") and (self.gateway.get("class_name") or "") not in INFRA_CLASSES:
            error("llmd_xks_gateway.class_name", "%r: the llm-d-infra chart creates Gateways of the classes %s. Use one "
                  "of them, or create the Gateway yourself and set llmd_xks_gateway.create: false"
                  % (self.gateway.get("class_name"), ", ".join(INFRA_CLASSES)))
        unknown = sorted(set(self.extra_values) - set(charts.CHARTS))
        if unknown:
            error("llmd_xks_chart_values", "%s: not a chart of the stack. Use the keys %s"
                  % (", ".join(unknown), ", ".join(sorted(charts.CHARTS))))
        if self.charts_dir:
            for path in charts.missing_local_charts(self._chart_keys(), self.charts_dir, self.chart_overrides):
                error("llmd_xks_charts_dir", "%s has no Chart.yaml. Point llmd_xks_charts_dir at a folder with one "
                      "<chart>-<version> folder per chart (as the project's shared/charts), or unset it to use the "
                      "upstream chart repositories" % path)

    def _chart_keys(self):
        keys = ["inferencepool", "modelservice"]
        if self.p.pattern == 2:
            keys.append("body_based_routing")
        if self._creates_gateway():
            keys.append("infra")
        return keys

    def infra_release(self):
        return self.gateway["name"] + "-infra"

    def _creates_gateway(self):
        """gateway.create, unless a Gateway of that name exists that our llm-d-infra release did not make (another
        stack's, or the user's): that one is used as it is."""
        if not self.gateway.get("create"):
            return False
        live = self.inputs.get("live_gateway") or {}
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        return not live or annotations.get("meta.helm.sh/release-name") == self.infra_release()

    # ---------------------------------------------------------------------------------- rendering
    def render(self):
        releases, rules = [], []
        for model in self.inputs["models"]:
            pool = pool_name(self.release, model)
            releases.append(self._release("inferencepool", pool, self.inferencepool_values(model, pool), "pool"))
            if self.provider == "gke":
                self.plan.manifests.extend(self.p._gke_policies(pool, model))
            releases.append(self._release("modelservice", pool + "-ms", self.modelservice_values(model, pool),
                                          "modelservice"))
            rule = {"backendRefs": [{"group": POOL_GROUP, "kind": "InferencePool", "name": pool}],
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}
            if self.p.pattern == 2:
                rule["matches"][0]["headers"] = [{"type": "Exact", "name": MODEL_HEADER, "value": self.p._served_name(model)}]
                self.plan.manifests.append(self.p._allowlist(model))
            rules.append(rule)
        if self.p.pattern == 2:
            releases.append(self._release("body_based_routing", self.release + "-bbr", self.bbr_values(), "routing"))
        self.plan.manifests.append(self._route(rules))
        self.plan.helmfile = self._helmfile(releases)
        if self._creates_gateway():
            infra = self._release("infra", self.infra_release(), self.infra_values(), "gateway",
                                  namespace=self.gateway["namespace"])
            self.plan.gateway_helmfile = self._helmfile([infra])
        pools = [pool_name(self.release, m) for m in self.inputs["models"]]
        workload_kind = "LeaderWorkerSet" if self.p.pattern == 4 else "Deployment"
        workload_api = "leaderworkerset.x-k8s.io/v1" if self.p.pattern == 4 else "apps/v1"
        # our own wait after helm: on a timeout it names the objects and why their pods are not ready
        self.plan.summary["wait_for"] = [
            {"api_version": workload_api, "kind": workload_kind, "name": p + "-decode", "namespace": self.namespace}
            for p in pools] + [
            {"api_version": "apps/v1", "kind": "Deployment", "name": p + "-epp", "namespace": self.namespace} for p in pools]
        self.plan.summary.update(
            http_routes=[self.release], inference_pools=pools, endpoint_pickers=[p + "-epp" for p in pools],
            workloads=["%s/%s-decode" % (workload_kind, p) for p in pools],
            releases=[r["name"] for r in releases], endpoint_paths=["/v1/completions"],
            charts=dict((key, dict(zip(("chart", "version"), charts.chart_source(key, self.charts_dir, self.chart_overrides))))
                        for key in self._chart_keys()),
        )

    def _release(self, key, name, values, component, namespace=None):
        chart, version, repo = charts.chart_source(key, self.charts_dir, self.chart_overrides)
        values = deep_merge(values, self.extra_values.get(key))
        labels = {"llmd-xks-component": component}
        if component != "gateway":  # the Gateway's release is shared by every pattern
            labels["llmd-xks-release"] = self.release
        release = {"name": name, "namespace": namespace or self.namespace, "chart": chart, "labels": labels,
                   "values": [values]}
        if version:
            release["version"] = version
        return dict(release, _repository=repo)

    def _helmfile(self, releases):
        repositories = []
        for release in releases:
            repo = release.pop("_repository", None)
            if repo and repo not in repositories:
                repositories.append(repo)
        doc = {"releases": releases}
        if repositories:
            doc["repositories"] = repositories
        return {"definition": doc, "skip_deps": not repositories}

    def _labels(self, model=None):
        return dict(self.p._common_labels(model))

    def _pool_selector(self, pool, guide):
        return {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": guide, POOL_LABEL: pool,
                "llmd.xks/release": self.release}

    def _guide(self):
        if self.p.pattern == 4:
            return "wide-ep-lws"
        if self.p.pattern == 3 and self.prefix_mode == "precise":
            return "precise-prefix-cache-aware"
        return "inference-scheduling"

    # model servers ----------------------------------------------------------------------------------
    def modelservice_values(self, model, pool):
        kind = self.p.kind
        guide = self._guide()
        if guide == "precise-prefix-cache-aware":
            values = guides.values("PRECISE_PREFIX_MS")
        else:
            values = guides.values("INFERENCE_SCHEDULING_MS_TPU" if kind == "tpu" else "INFERENCE_SCHEDULING_MS_GPU")
        values["fullnameOverride"] = pool
        artifacts = values["modelArtifacts"]
        artifacts["uri"] = model.get("uri") or "hf://%s" % model["id"]
        artifacts["name"] = self.p._served_name(model)
        artifacts["size"] = self._model_volume(model)
        if kind == "cpu":
            artifacts.pop("authSecretName", None)
        else:
            artifacts["authSecretName"] = self.inputs.get("hf_token_secret")
        labels = dict(artifacts.get("labels") or {}, **self._pool_selector(pool, guide))
        labels["llm-d.ai/model"] = re.sub(r"[^A-Za-z0-9_.-]", "-", model["id"].rpartition("/")[2])[:63].strip("-_.")
        labels.update(self._labels(model))
        artifacts["labels"] = labels
        values["accelerator"] = {"type": {"tpu": "google", "gpu": "nvidia"}.get(kind, "cpu")}
        decode = values["decode"]
        decode["replicas"] = 1 if self.p.pattern == 4 else self.p._replicas()
        container = decode["containers"][0]
        container["image"] = model.get("image") or self.user_images.get(kind) or GUIDE_IMAGES[kind]
        env = [{"name": k, "value": str(v)} for k, v in sorted((self.p.profile.get("env") or {}).items())]
        if self.p.pattern == 4:
            self._multinode(values, model)
        else:
            tensor = model.get("tensor_parallel") or self.p._default_tensor_parallel()
            decode["parallelism"] = {"tensor": tensor, "data": 1}
            if guide == "precise-prefix-cache-aware":
                self._precise_model_server(container, model, pool)
            elif kind == "cpu":
                container["modelCommand"] = "imageDefault"
                container["args"] = []
            else:
                container["args"] = self._vllm_args(container["args"], model)
        if env:
            container["env"] = list(container.get("env") or []) + env
        if kind == "cpu":
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                container.pop(probe, None)
        container["resources"] = self._resources(container.get("resources") or {}, model)
        accelerator = self.p._accelerator(self.p._chips())
        extra = decode.setdefault("extraConfig", {})
        extra.pop("nodeSelector", None)
        if accelerator:
            if accelerator["node_selector"]:
                extra["nodeSelector"] = accelerator["node_selector"]
            if accelerator["tolerations"]:
                extra["tolerations"] = accelerator["tolerations"]
        if not extra:
            decode.pop("extraConfig")
        if not self.p.capabilities_serve("monitoring.coreos.com/v1"):
            decode["monitoring"]["podmonitor"]["enabled"] = False
        return values

    def _vllm_args(self, guide_args, model):
        kind = self.p.kind
        args = [a for a in guide_args if not (kind == "tpu" and a.startswith(TPU_GUIDE_ONLY_ARGS))]
        if "--disable-uvicorn-access-log" not in args:
            args.insert(0, "--disable-uvicorn-access-log")
        args = _with_flag(args, "--max-model-len", model.get("max_model_len") or self.p.profile.get("max_model_len") or 4096)
        utilisation = model.get("gpu_memory_utilization") or self.p.profile.get("gpu_memory_utilization")
        if kind == "gpu" or utilisation:
            args = _with_flag(args, "--gpu-memory-utilization", utilisation or 0.9)
        if self.p.pattern == 3:
            args = _with_flag(args, "--block-size", self.p.scheduler["block_size"]) + ["--enable-prefix-caching"]
        return args + list(model.get("extra_args") or [])

    def _precise_model_server(self, container, model, pool):
        """The guide's vLLM launch with KV-cache events to this pool's endpoint picker, as an argument list."""
        events = {"enable_kv_cache_events": True, "publisher": "zmq",
                  "endpoint": "tcp://%s-epp.$(NAMESPACE).svc.cluster.local:5557" % pool,
                  "topic": "kv@$(POD_IP)@%s" % self.p._served_name(model)}
        container["modelCommand"] = "vllmServe"
        container.pop("command", None)
        args = self._vllm_args(["--prefix-caching-hash-algo=sha256_cbor"], model)
        container["args"] = [a for a in args if a != "--enable-prefix-caching"] + [
            "--kv-events-config=%s" % json.dumps(events, sort_keys=True, separators=(",", ":"))]
        container["env"] = [e for e in container["env"] if e["name"] not in ("GAIE_RELEASE_NAME_POSTFIX", "VLLM_LOGGING_LEVEL")]
        container["ports"] = [{"containerPort": VLLM_PORT, "name": "vllm", "protocol": "TCP"}]

    def _multinode(self, values, model):
        """Pattern 4 as the wide-EP/LWS guide launches it: one LeaderWorkerSet group, every pod a DP slice."""
        moe = self.p._moe()
        values["multinode"] = True
        decode = values["decode"]
        decode["parallelism"] = {"tensor": moe["tensor"], "data": moe["data"], "dataLocal": moe["local"],
                                 "workers": moe["nodes"]}
        container = decode["containers"][0]
        container["modelCommand"] = "custom"
        container["command"] = ["/bin/bash", "-c"]
        launch = guides.WIDE_EP_LAUNCH % {"model": model["id"], "port": VLLM_PORT}
        extra = ["--served-model-name", self.p._served_name(model), "--max-model-len",
                 str(model.get("max_model_len") or self.p.profile.get("max_model_len") or 4096)]
        extra += list(model.get("extra_args") or [])
        container["args"] = [launch + " \\\n  " + " ".join(_shell_quote(a) for a in extra)]
        container["volumeMounts"] = [m for m in container["volumeMounts"] if m["name"] != "shm"] + [
            {"name": "dshm", "mountPath": "/dev/shm"}]
        decode["volumes"] = [v for v in decode["volumes"] if v["name"] != "shm"] + [
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}]
        container["startupProbe"] = {"httpGet": {"path": "/health", "port": "vllm"}, "periodSeconds": 1,
                                     "failureThreshold": 2700}
        container["livenessProbe"] = {"httpGet": {"path": "/health", "port": "vllm"}, "periodSeconds": 30,
                                      "failureThreshold": 3}
        container["readinessProbe"] = {"httpGet": {"path": "/v1/models", "port": "vllm"}, "periodSeconds": 10,
                                       "failureThreshold": 3}

    def _model_volume(self, model):
        size = model.get("params_billion") or self.p.known_size(model)
        return "%dGi" % max(10, int(math.ceil(size * 2.4))) if size else "20Gi"

    def _resources(self, guide_resources, model):
        """The guide's CPU/memory capped at this pod's share of the node, and the accelerator count; the CPU simulator
        asks for nothing (the guide's figures are a GPU server's, and would crowd the nodes the pickers need)."""
        if self.p.kind == "cpu":
            return {"limits": {}, "requests": {}}
        profile = self.p.profile
        chips = self.p._chips()
        if self.p.pattern == 4 or self.p.kind == "tpu" or not chips:
            used = chips or 1
        else:
            used = model.get("tensor_parallel") or 1
        share = RESOURCE_SHARE * used / float(chips or 1)
        caps = {"cpu": (profile.get("node_cpu") or 0) * share, "memory": (_gib(profile.get("node_memory")) or 0) * share}
        out = {}
        for side in ("limits", "requests"):
            wanted = dict(guide_resources.get(side) or {})
            for key in ("cpu", "memory"):
                guide_value = _gib(wanted.get(key)) if key == "memory" else _number(wanted.get(key))
                if guide_value is None:
                    continue
                value = min(guide_value, caps[key]) if caps[key] else guide_value
                wanted[key] = "%dGi" % max(1, int(value)) if key == "memory" else str(max(1, int(value)))
            for key in list(wanted):
                if key not in ("cpu", "memory"):
                    del wanted[key]
            if self.p.kind in ("gpu", "tpu") and profile.get("resource_name"):
                wanted[profile["resource_name"]] = chips if (self.p.pattern == 4 or self.p.kind == "tpu") else used
            out[side] = wanted
        return out

    # endpoint pickers -------------------------------------------------------------------------------
    def inferencepool_values(self, model, pool):
        guide = self._guide()
        values = guides.values({"wide-ep-lws": "WIDE_EP_GAIE", "precise-prefix-cache-aware": "PRECISE_PREFIX_GAIE"}.get(
            guide, "INFERENCE_SCHEDULING_GAIE"))
        epp = values["inferenceExtension"]
        default_image = LLMD_EPP_IMAGE if guide == "precise-prefix-cache-aware" else GIE_EPP_IMAGE
        image = image_parts(self.user_images.get("epp") or default_image)
        if "pullPolicy" in epp.get("image", {}):
            image["pullPolicy"] = epp["image"]["pullPolicy"]
        epp["image"] = image
        epp["monitoring"]["prometheus"]["auth"]["secretName"] = pool + "-metrics-reader"
        # GKE's provider scrapes with Managed Prometheus (PodMonitoring), every other with a ServiceMonitor
        monitoring_api = "monitoring.googleapis.com/v1" if self.provider == "gke" else "monitoring.coreos.com/v1"
        if not self.p.capabilities_serve(monitoring_api):
            epp["monitoring"]["prometheus"]["enabled"] = False
        if (epp.get("sidecar") or {}).get("enabled"):
            # the v1.5 chart renders a ConfigMap for an enabled sidecar and needs its name (the guide predates it)
            epp["sidecar"].setdefault("configMap", {"name": pool + "-epp-sidecar", "data": {}})
        if guide == "precise-prefix-cache-aware":
            config = copy.deepcopy(epp["pluginsCustomConfig"]["precise-prefix-cache-config.yaml"])
            scorer = config["plugins"][1]["parameters"]
            scorer["tokenProcessorConfig"]["blockSize"] = self.p.scheduler["block_size"]
            scorer["indexerConfig"]["tokenizersPoolConfig"]["modelName"] = model["id"]
            self._weights(config, {"precise-prefix-cache-scorer": "prefix_cache_weight"})
            epp["pluginsCustomConfig"] = {"precise-prefix-cache-config.yaml": _yaml_text(config)}
            epp["env"] = [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {
                "name": self.inputs.get("hf_token_secret"), "key": "HF_TOKEN"}}}]
        elif self.p.pattern == 3:
            epp["pluginsConfigFile"] = "prefix-cache-config.yaml"
            epp["pluginsCustomConfig"] = {"prefix-cache-config.yaml": _yaml_text(self.approximate_prefix_config())}
        else:
            epp.pop("pluginsCustomConfig", None)
            epp["pluginsConfigFile"] = "default-plugins.yaml"
        pool_values = values["inferencePool"]
        pool_values.setdefault("targetPorts", [{"number": VLLM_PORT}])
        pool_values["modelServers"] = {"matchLabels": self._pool_selector(pool, guide)}
        # GIE v1.5.0's GKE HealthCheckPolicy has no portSpecification, which the GKE CRD's validation requires (the API
        # server rejects it): on GKE the policies are ours, as on the KServe GKE stack
        values["provider"] = {"name": "none" if self.provider == "gke" else self.provider}
        return values

    def approximate_prefix_config(self):
        """The chart's default plugins, with the prefix producer's block size equal to vLLM's --block-size."""
        block = self.p.scheduler["block_size"]
        return {
            "apiVersion": "inference.networking.x-k8s.io/v1alpha1", "kind": "EndpointPickerConfig",
            "plugins": [
                {"type": "approx-prefix-cache-producer", "parameters": {"blockSizeTokens": block, "autoTune": False}},
                {"type": "prefix-cache-scorer"}, {"type": "queue-scorer"}, {"type": "kv-cache-utilization-scorer"},
                {"type": "metrics-data-source", "parameters": {"scheme": "http", "path": "/metrics", "insecureSkipVerify": True}},
                {"type": "core-metrics-extractor"}, {"type": "max-score-picker"}],
            "schedulingProfiles": [{"name": "default", "plugins": [
                {"pluginRef": "prefix-cache-scorer", "weight": self.p.scheduler["prefix_cache_weight"]},
                {"pluginRef": "queue-scorer", "weight": self.p.scheduler["queue_weight"]},
                {"pluginRef": "kv-cache-utilization-scorer", "weight": self.p.scheduler["kv_cache_weight"]},
                {"pluginRef": "max-score-picker"}]}],
        }

    def _weights(self, config, renamed):
        names = dict({"queue-scorer": "queue_weight", "kv-cache-utilization-scorer": "kv_cache_weight"}, **renamed)
        for profile in config["schedulingProfiles"]:
            for entry in profile["plugins"]:
                if entry["pluginRef"] in names:
                    entry["weight"] = self.p.scheduler[names[entry["pluginRef"]]]

    # pattern 2 and the gateway ----------------------------------------------------------------------
    def bbr_values(self):
        return {"bbr": {"name": self.release + "-bbr"}, "provider": {"name": self.provider},
                "inferenceGateway": {"name": self.gateway["name"]}}

    def infra_values(self):
        # the listener the KServe stacks' Gateway has, so that both stacks can share one Gateway (migration)
        gateway_class = self.gateway.get("class_name") or "gke-l7-regional-external-managed"
        gateway = {"fullnameOverride": self.gateway["name"], "gatewayClassName": gateway_class,
                   # the chart defaults gateway.provider to istio whatever the class: name it
                   "provider": INFRA_PROVIDERS.get(gateway_class, "istio"),
                   "labels": {"app.kubernetes.io/part-of": "llmd-xks"},
                   "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                  "allowedRoutes": {"namespaces": {"from": "All"}}}]}
        if not self.p.capabilities_serve("telemetry.istio.io/v1"):
            gateway["gatewayParameters"] = {"istio": {"accessLogging": False}}  # its Telemetry object needs that CRD
        return {"gateway": gateway}

    def _route(self, rules):
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": self.release, "namespace": self.namespace, "labels": self._labels()},
                "spec": {"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                         "name": self.gateway["name"], "namespace": self.gateway["namespace"]}],
                         "rules": rules}}


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _yaml_text(document):
    return json.dumps(document, indent=2, sort_keys=False) + "\n"  # JSON is YAML; the chart passes it verbatim


def _shell_quote(text):
    text = str(text)
    if re.match(r"^[A-Za-z0-9_./:=+-]+$", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"
