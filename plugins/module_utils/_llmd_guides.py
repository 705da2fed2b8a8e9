# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the values of llm-d's well-lit paths, as the guides ship them.

Transcribed (comments dropped) from github.com/llm-d/llm-d at 126f65d6 (precise-prefix-cache-aware
``ms-kv-events`` at 342afc72): ``guides/inference-scheduling`` (``ms-inference-scheduling/values.yaml``,
``values_tpu.yaml``, ``gaie-inference-scheduling/values.yaml``), ``guides/precise-prefix-cache-aware``
(``gaie-kv-events``, ``ms-kv-events``) and ``guides/wide-ep-lws`` (``manifests/inferencepool.values.yaml``; its
decode ``LeaderWorkerSet`` is a raw manifest, so pattern 4's modelservice values follow its launch script).
The renderer (``_llmd.py``) starts from a deep copy of these and overrides only the fields that
``docs/llm-d.md`` lists; a test renders both through the same chart and compares the objects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

_PROBES = {
    "startupProbe": {"httpGet": {"path": "/v1/models", "port": "vllm"}, "initialDelaySeconds": 15, "periodSeconds": 30,
                     "timeoutSeconds": 5, "failureThreshold": 120},
    "livenessProbe": {"httpGet": {"path": "/health", "port": "vllm"}, "periodSeconds": 10, "timeoutSeconds": 5,
                      "failureThreshold": 3},
    "readinessProbe": {"httpGet": {"path": "/v1/models", "port": "vllm"}, "periodSeconds": 5, "timeoutSeconds": 2,
                       "failureThreshold": 3},
}
_PODMONITOR = {"podmonitor": {"enabled": True, "portName": "vllm", "path": "/metrics", "interval": "30s"}}

INFERENCE_SCHEDULING_MS_GPU = {
    "multinode": False,
    "modelArtifacts": {
        "uri": "hf://Qwen/Qwen3-32B", "name": "Qwen/Qwen3-32B", "size": "80Gi", "authSecretName": "llm-d-hf-token",
        "labels": {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "inference-scheduling",
                   "llm-d.ai/accelerator-variant": "gpu", "llm-d.ai/accelerator-vendor": "nvidia",
                   "llm-d.ai/model": "Qwen3-32B"}},
    "routing": {"proxy": {"enabled": False, "targetPort": 8000}},
    "accelerator": {"type": "nvidia"},
    "decode": {
        "create": True, "parallelism": {"tensor": 2, "data": 1}, "replicas": 8, "monitoring": copy.deepcopy(_PODMONITOR),
        "containers": [dict({
            "name": "vllm", "image": "ghcr.io/llm-d/llm-d-cuda:v0.5.0", "modelCommand": "vllmServe",
            "args": ["--disable-uvicorn-access-log", "--gpu-memory-utilization=0.95"],
            "ports": [{"containerPort": 8000, "name": "vllm", "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "32", "memory": "100Gi"}, "requests": {"cpu": "32", "memory": "100Gi"}},
            "mountModelVolume": True,
            "volumeMounts": [{"name": "metrics-volume", "mountPath": "/.config"}, {"name": "shm", "mountPath": "/dev/shm"},
                             {"name": "torch-compile-cache", "mountPath": "/.cache"}],
        }, **copy.deepcopy(_PROBES))],
        "volumes": [{"name": "metrics-volume", "emptyDir": {}}, {"name": "torch-compile-cache", "emptyDir": {}},
                    {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "20Gi"}}],
    },
    "prefill": {"create": False},
}

INFERENCE_SCHEDULING_MS_TPU = {
    "multinode": False,
    "modelArtifacts": {
        "uri": "hf://Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", "size": "700Gi", "authSecretName": "llm-d-hf-token",
        "name": "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
        "labels": {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "inference-scheduling",
                   "llm-d.ai/hardware-variant": "tpu", "llm-d.ai/hardware-vendor": "google",
                   "llm-d.ai/model": "Qwen3-Coder-480B-A35B-Instruct-FP8"}},
    "routing": {"proxy": {"enabled": False, "targetPort": 8000}},
    "accelerator": {"type": "google"},
    "decode": {
        "parallelism": {"tensor": 8}, "create": True, "replicas": 2,
        "extraConfig": {"nodeSelector": {"cloud.google.com/gke-tpu-topology": "2x2x1",
                                         "cloud.google.com/gke-tpu-accelerator": "tpu7x"}},
        "monitoring": copy.deepcopy(_PODMONITOR),
        "containers": [dict({
            "name": "vllm", "image": "vllm/vllm-tpu:v0.13.2-ironwood", "modelCommand": "vllmServe",
            "args": ["--data-parallel-size=1", "--max-model-len=9216", "--max-num-batched-tokens=1028", "--max-num-seqs=128",
                     "--kv-cache-dtype=fp8", "--async-scheduling", "--gpu-memory-utilization=0.93"],
            "ports": [{"containerPort": 8000, "name": "vllm", "protocol": "TCP"}],
            "resources": {"limits": {"memory": "64Gi", "cpu": "16", "google.com/tpu": 4},
                          "requests": {"memory": "64Gi", "cpu": "16", "google.com/tpu": 4}},
            "mountModelVolume": True,
            "volumeMounts": [{"name": "metrics-volume", "mountPath": "/.config"},
                             {"name": "torch-compile-cache", "mountPath": "/.cache"}],
        }, **dict(copy.deepcopy(_PROBES), startupProbe=dict(_PROBES["startupProbe"], failureThreshold=60)))],
        "volumes": [{"name": "metrics-volume", "emptyDir": {}}, {"name": "torch-compile-cache", "emptyDir": {}}],
    },
    "prefill": {"create": False},
}

INFERENCE_SCHEDULING_GAIE = {
    "inferenceExtension": {
        "replicas": 1,
        "flags": {"kv-cache-usage-percentage-metric": "vllm:kv_cache_usage_perc"},
        "image": {"name": "llm-d-inference-scheduler", "hub": "ghcr.io/llm-d", "tag": "v0.5.0", "pullPolicy": "Always"},
        "extProcPort": 9002,
        "pluginsConfigFile": "default-plugins.yaml",
        "tracing": {"enabled": False},
        "monitoring": {"interval": "10s", "prometheus": {
            "enabled": True, "auth": {"secretName": "inference-scheduling-gateway-sa-metrics-reader-secret"}}},
    },
    "inferencePool": {
        "targetPorts": [{"number": 8000}], "modelServerType": "vllm",
        "modelServers": {"matchLabels": {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "inference-scheduling"}},
    },
}

PRECISE_PREFIX_MS = {
    "multinode": False,
    "modelArtifacts": {"uri": "hf://Qwen/Qwen3-0.6B", "size": "20Gi", "authSecretName": "llm-d-hf-token",
                       "name": "Qwen/Qwen3-0.6B"},
    "routing": {"proxy": {"enabled": False, "targetPort": 8000}},
    "accelerator": {"type": "nvidia"},
    "decode": {
        "create": True, "replicas": 2,
        "monitoring": {"podmonitor": dict(_PODMONITOR["podmonitor"])},
        "containers": [{
            "name": "vllm", "image": "ghcr.io/llm-d/llm-d-cuda:v0.4.0", "modelCommand": "custom",
            "command": ["/bin/sh", "-c"],
            "args": ["vllm serve Qwen/Qwen3-0.6B \\\n--host 0.0.0.0 \\\n--port 8200 \\\n--block-size 64 \\\n"
                     "--prefix-caching-hash-algo sha256_cbor \\\n--kv-events-config \"{\\\"enable_kv_cache_events\\\":true,"
                     "\\\"publisher\\\":\\\"zmq\\\",\\\"endpoint\\\":\\\"tcp://gaie-${GAIE_RELEASE_NAME_POSTFIX}-epp.${NAMESPACE}"
                     ".svc.cluster.local:5557\\\",\\\"topic\\\":\\\"kv@${POD_IP}@Qwen/Qwen3-0.6B\\\"}\"\n"],
            "env": [{"name": "GAIE_RELEASE_NAME_POSTFIX", "value": "kv-events"},
                    {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "PYTHONHASHSEED", "value": "42"},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
                    {"name": "VLLM_LOGGING_LEVEL", "value": "DEBUG"}],
            "ports": [{"containerPort": 8000, "name": "metrics", "protocol": "TCP"}],
            "mountModelVolume": True,
            "volumeMounts": [{"name": "metrics-volume", "mountPath": "/.config"},
                             {"name": "torch-compile-cache", "mountPath": "/.cache"}],
            "startupProbe": {"httpGet": {"path": "/v1/models", "port": 8000}, "initialDelaySeconds": 15,
                             "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 60},
            "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 10, "timeoutSeconds": 5,
                              "failureThreshold": 3},
            "readinessProbe": {"httpGet": {"path": "/v1/models", "port": 8000}, "periodSeconds": 5, "timeoutSeconds": 2,
                               "failureThreshold": 3},
        }],
        "volumes": [{"name": "metrics-volume", "emptyDir": {}}, {"name": "torch-compile-cache", "emptyDir": {}}],
    },
    "prefill": {"create": False},
}

PRECISE_PREFIX_CONFIG = {
    "apiVersion": "inference.networking.x-k8s.io/v1alpha1", "kind": "EndpointPickerConfig",
    "plugins": [
        {"type": "single-profile-handler"},
        {"type": "precise-prefix-cache-scorer", "parameters": {
            "tokenProcessorConfig": {"blockSize": 64},
            "indexerConfig": {"tokenizersPoolConfig": {"modelName": "Qwen/Qwen3-32B", "local": None, "hf": None,
                                                       "uds": {"socketFile": "/tmp/tokenizer/tokenizer-uds.socket"}}},
            "kvEventsConfig": {"topicFilter": "kv@", "concurrency": 4, "discoverPods": False, "zmqEndpoint": "tcp://*:5557"}}},
        {"type": "kv-cache-utilization-scorer"}, {"type": "queue-scorer"}, {"type": "max-score-picker"}],
    "schedulingProfiles": [{"name": "default", "plugins": [
        {"pluginRef": "precise-prefix-cache-scorer", "weight": 3.0}, {"pluginRef": "kv-cache-utilization-scorer", "weight": 2.0},
        {"pluginRef": "queue-scorer", "weight": 2.0}, {"pluginRef": "max-score-picker"}]}],
}

PRECISE_PREFIX_GAIE = {
    "inferenceExtension": {
        "replicas": 1,
        "flags": {"kv-cache-usage-percentage-metric": "vllm:kv_cache_usage_perc", "v": 4},
        "image": {"name": "llm-d-inference-scheduler", "hub": "ghcr.io/llm-d", "tag": "v0.5.0", "pullPolicy": "Always"},
        "extProcPort": 9002,
        "extraContainerPorts": [{"name": "zmq", "containerPort": 5557, "protocol": "TCP"}],
        "extraServicePorts": [{"name": "zmq", "port": 5557, "targetPort": 5557, "protocol": "TCP"}],
        "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "llm-d-hf-token", "key": "HF_TOKEN"}}}],
        "sidecar": {
            "enabled": True, "image": "ghcr.io/llm-d/llm-d-uds-tokenizer:v0.5.1-rc1", "imagePullPolicy": "IfNotPresent",
            "name": "tokenizer-uds",
            "env": [{"name": "TOKENIZERS_DIR", "value": "/tokenizers"}, {"name": "HF_HOME", "value": "/tokenizers"}],
            "volumeMounts": [{"mountPath": "/tokenizers", "name": "tokenizers"},
                             {"mountPath": "/tmp/tokenizer", "name": "tokenizer-uds"}]},
        "volumes": [{"name": "tokenizers", "emptyDir": {}}, {"name": "tokenizer-uds", "emptyDir": {}}],
        "volumeMounts": [{"mountPath": "/tmp/tokenizer", "name": "tokenizer-uds"}],
        "pluginsConfigFile": "precise-prefix-cache-config.yaml",
        "pluginsCustomConfig": {"precise-prefix-cache-config.yaml": PRECISE_PREFIX_CONFIG},
        "tracing": {"enabled": False},
        "monitoring": {"interval": "10s", "prometheus": {
            "enabled": True, "auth": {"secretName": "kv-events-gateway-sa-metrics-reader-secret"}}},
    },
    "inferencePool": {
        "targetPorts": [{"number": 8000}], "modelServerType": "vllm",
        "modelServers": {"matchLabels": {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "precise-prefix-cache-aware"}},
    },
}

# guides/wide-ep-lws/manifests/modelserver/base/decode.yaml launches every pod of the group with this script
# (leader and workers share one template); the NIXL/DBO/EPLB/DeepEP tuning flags that follow it there are H200
# P/D specifics and are left to llmd_xks_models[].extra_args.
WIDE_EP_LAUNCH = (
    "find /dev/shm -type f -delete\n"
    "START_RANK=$(( ${LWS_WORKER_INDEX:-0} * DP_SIZE_LOCAL ))\n"
    "exec vllm serve %(model)s --port %(port)d --trust-remote-code --disable-uvicorn-access-log \\\n"
    "  --data-parallel-hybrid-lb --enable-expert-parallel --tensor-parallel-size $TP_SIZE \\\n"
    "  --data-parallel-size $((LWS_GROUP_SIZE * DP_SIZE_LOCAL)) --data-parallel-size-local $DP_SIZE_LOCAL \\\n"
    "  --data-parallel-address ${LWS_LEADER_ADDRESS} --data-parallel-rpc-port 5555 --data-parallel-start-rank $START_RANK"
)

WIDE_EP_GAIE = {
    "inferenceExtension": {
        "replicas": 1,
        "flags": {"kv-cache-usage-percentage-metric": "vllm:kv_cache_usage_perc", "v": 1},
        "image": {"name": "llm-d-inference-scheduler", "hub": "ghcr.io/llm-d", "tag": "v0.5.0"},
        "extProcPort": 9002,
        "tracing": {"enabled": False},
        "monitoring": {"interval": "10s", "prometheus": {
            "enabled": True, "auth": {"secretName": "wide-ep-gateway-sa-metrics-reader-secret"}}},
    },
    "inferencePool": {"modelServers": {"matchLabels": {
        "llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "wide-ep-lws", "llm-d.ai/model": "DeepSeek-R1-0528"}}},
}


def values(name):
    """A deep copy of one guide's values (the renderer edits it)."""
    return copy.deepcopy(globals()[name])
