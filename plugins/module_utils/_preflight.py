# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the cluster-side preflight checks.

``gather(client, inputs)`` reads what the checks need (a fixed, small set of GETs) into a snapshot;
``evaluate(snapshot, inputs)`` turns the snapshot into rows ``{id, check, status, detail, fix, failure}``
without any API call, so the check logic is unit-tested on plain dicts. ``failure`` names the entry of
the seed inventory (section 6, or 3.4 for the original preflight script) the row detects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.llmd.xks.plugins.module_utils._client import ApiError
from ansible_collections.llmd.xks.plugins.module_utils._patterns import (
    GKE_GATEWAY_STACKS,
    INFERENCE_V1,
    INFERENCE_V1ALPHA2,
    ISTIO_MIN_FOR_V1_POOL,
    KSERVE_STACKS,
    STACKS,
)

STATUSES = ("pass", "warn", "fail")
GATEWAY_V1 = "gateway.networking.k8s.io/v1"
GATEWAY_OLDER = ("gateway.networking.k8s.io/v1beta1", "gateway.networking.k8s.io/v1alpha2")
LWS_V1 = "leaderworkerset.x-k8s.io/v1"
CERT_MANAGER_V1 = "cert-manager.io/v1"
SAIL_V1 = "sailoperator.io/v1"
KSERVE_VERSIONS = ("serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1")
# Group/versions whose resource lists the checks read (one discovery GET each, only when served).
DISCOVERED = (GATEWAY_V1,) + GATEWAY_OLDER + (INFERENCE_V1, INFERENCE_V1ALPHA2, LWS_V1, CERT_MANAGER_V1, SAIL_V1) + KSERVE_VERSIONS
GATEWAY_CRD = "gateways.gateway.networking.k8s.io"
CHANNEL_ANNOTATION = "gateway.networking.k8s.io/channel"
BUNDLE_ANNOTATION = "gateway.networking.k8s.io/bundle-version"
# GatewayClasses GKE's Inference Gateway supports: only the regional ones route to an InferencePool.
GKE_REGIONAL_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
DEFAULT_CLASS = {"istio_kserve": "istio", "gateway_api_llmd": "gke-l7-regional-external-managed",
                 "kserve_gke_gateway": "gke-l7-regional-external-managed"}
ACCELERATOR_RESOURCES = ("google.com/tpu", "nvidia.com/gpu", "amd.com/gpu")
ACCELERATOR_LABELS = ("cloud.google.com/gke-tpu-accelerator", "cloud.google.com/gke-accelerator", "nvidia.com/gpu.present")
ROUTE_PRESET = "kserve-config-llm-router-route"
TEMPLATE_PRESET = "kserve-config-llm-template"
PLATFORMS = ("auto", "gke", "openshift", "kubernetes")


def version_tuple(text):
    numbers = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in numbers[:3]) if numbers else None


def _conditions(obj):
    return dict((c.get("type"), c) for c in ((obj or {}).get("status") or {}).get("conditions") or [])


def _is_true(obj, ctype):
    return (_conditions(obj).get(ctype) or {}).get("status") == "True"


# ------------------------------------------------------------------------------------------ gather
def _get(client, path):
    """GET that returns None for a missing object or type (404) and re-raises anything else."""
    try:
        return client.get(path)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def _istiod_image_version(deployments):
    """(tag, "namespace/name", env) of the first istiod container whose image tag is a version."""
    for deployment in (deployments or {}).get("items") or []:
        for container in ((deployment.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []:
            image = container.get("image") or ""
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            if version_tuple(tag):
                env = dict((e.get("name"), e.get("value")) for e in container.get("env") or [])
                return tag, "%s/%s" % (deployment["metadata"].get("namespace"), deployment["metadata"]["name"]), env
    return None, None, None


def gather(client, inputs):
    """Read the cluster state the checks need. Returns a plain dict (see evaluate)."""
    snap = {"version": (client.get("/version") or {}).get("gitVersion", "")}
    served = ["v1"]
    for group in (client.get("/apis") or {}).get("groups", []):
        served.extend(v["groupVersion"] for v in group.get("versions", []))
    snap["api_versions"] = sorted(set(served))
    snap["resources"] = {}
    for gv in DISCOVERED:
        if gv in served:
            listing = _get(client, "/apis/" + gv) or {}
            snap["resources"][gv] = sorted(r["name"] for r in listing.get("resources", []) if "/" not in r["name"])
    snap["nodes"] = (client.get("/api/v1/nodes") or {}).get("items", [])
    if GATEWAY_V1 in served:
        crd = _get(client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + GATEWAY_CRD) or {}
        snap["gateway_crd_annotations"] = (crd.get("metadata") or {}).get("annotations") or {}
        snap["gatewayclass"] = _get(client, "/apis/%s/gatewayclasses/%s" % (GATEWAY_V1, inputs["gateway_class"]))
        gateway = inputs.get("gateway") or {}
        if gateway.get("name") and not gateway.get("create"):
            snap["gateway"] = _get(client, "/apis/%s/namespaces/%s/gateways/%s" % (
                GATEWAY_V1, gateway.get("namespace") or inputs["namespace"], gateway["name"]))
    if inputs["stack"] == "istio_kserve":
        if SAIL_V1 in served:
            snap["istios"] = (_get(client, "/apis/%s/istios" % SAIL_V1) or {}).get("items", [])
        snap["istiod"] = _get(client, "/apis/apps/v1/deployments?labelSelector=app%3Distiod") or {}
    if inputs["stack"] in KSERVE_STACKS:
        kserve_gv = next((gv for gv in KSERVE_VERSIONS if gv in served), None)
        if kserve_gv and "llminferenceserviceconfigs" in snap["resources"].get(kserve_gv, []):
            snap["kserve_configs"] = (_get(client, "/apis/%s/llminferenceserviceconfigs" % kserve_gv) or {}).get("items", [])
        if CERT_MANAGER_V1 in served and inputs.get("cert_manager_issuer"):
            snap["cluster_issuer"] = _get(client, "/apis/%s/clusterissuers/%s" % (CERT_MANAGER_V1, inputs["cert_manager_issuer"]))
    snap["namespace"] = _get(client, "/api/v1/namespaces/" + inputs["namespace"])
    if snap["namespace"] and inputs.get("hf_token_secret"):
        secret = _get(client, "/api/v1/namespaces/%s/secrets/%s" % (inputs["namespace"], inputs["hf_token_secret"]))
        # only the key names leave this function, never the values
        snap["hf_secret_keys"] = sorted((secret.get("data") or {}).keys()) if secret is not None else None
    return snap


# --------------------------------------------------------------------------------------- evaluate
class Report(object):
    def __init__(self):
        self.rows = []

    def add(self, row_id, check, status, detail, fix, failure):
        if status not in STATUSES:
            raise ValueError("status %r is not one of %s" % (status, STATUSES))
        self.rows.append({"id": row_id, "check": check, "status": status, "detail": detail,
                          "fix": fix if status != "pass" else "", "failure": failure})


def detect_platform(snap, requested):
    if requested and requested != "auto":
        return requested
    served = snap.get("api_versions") or []
    if "config.openshift.io/v1" in served or "route.openshift.io/v1" in served:
        return "openshift"
    if "-gke." in (snap.get("version") or "") or any(
            "cloud.google.com/gke-nodepool" in ((n.get("metadata") or {}).get("labels") or {}) for n in snap.get("nodes") or []):
        return "gke"
    return "kubernetes"


def _has(snap, gv, resource):
    return resource in (snap.get("resources") or {}).get(gv, [])


def _node_ready(node):
    return _is_true(node, "Ready")


def _blocking_taints(node):
    return [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]


def _is_accelerator_node(node):
    labels = (node.get("metadata") or {}).get("labels") or {}
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    return any(k in labels for k in ACCELERATOR_LABELS) or any(_quantity(allocatable.get(r, 0)) > 0
                                                               for r in ACCELERATOR_RESOURCES)


def _quantity(value):
    try:
        return int(str(value))
    except ValueError:
        return 0


class Evaluator(object):
    def __init__(self, snap, inputs):
        self.snap = snap
        self.inputs = inputs
        self.stack = inputs["stack"]
        self.platform = detect_platform(snap, inputs.get("platform"))
        self.profile = (inputs.get("accelerators") or {}).get(inputs.get("accelerator")) or {}
        self.report = Report()
        self.add = self.report.add

    def run(self):
        self.kubernetes()
        self.gateway_api()
        self.gatewayclass()
        self.gateway()
        self.inference_pool()
        if self.stack == "istio_kserve":
            self.istio()
        if self.stack in KSERVE_STACKS:
            self.kserve()
            self.cert_manager()
        self.lws()
        self.cpu_pool()
        self.accelerator()
        self.namespace_and_secret()
        return self.report.rows

    # -------------------------------------------------------------------------------- API + CRDs
    def kubernetes(self):
        self.add("kubernetes", "Kubernetes API and platform", "pass",
                 "%s, platform %s, %d nodes" % (self.snap.get("version") or "?", self.platform, len(self.snap.get("nodes") or [])),
                 "", "seed §3.4 (cluster checks)")

    def gateway_api(self):
        missing = [r for r in ("gatewayclasses", "gateways") if not _has(self.snap, GATEWAY_V1, r)]
        route_versions = dict((kind, [gv.rsplit("/", 1)[1] for gv in (GATEWAY_V1,) + GATEWAY_OLDER if _has(self.snap, gv, kind)])
                              for kind in ("httproutes", "grpcroutes"))
        if not route_versions["httproutes"]:
            missing.append("httproutes")
        if missing:
            fix = ("enable it on the cluster: gcloud container clusters update CLUSTER --gateway-api=standard"
                   if self.platform == "gke" and self.stack in GKE_GATEWAY_STACKS
                   else "run playbooks/platform.yml --tags gateway_api (role llmd.xks.gateway_api)")
            self.add("gateway-api-crds", "Gateway API CRDs (%s)" % GATEWAY_V1, "fail",
                     "not served: %s" % ", ".join(missing), fix, "seed §6.11, §6.15")
            return
        annotations = self.snap.get("gateway_crd_annotations") or {}
        bundle = annotations.get(BUNDLE_ANNOTATION, "unknown")
        self.add("gateway-api-crds", "Gateway API CRDs (%s)" % GATEWAY_V1, "pass",
                 "GatewayClass, Gateway, HTTPRoute served; bundle %s" % bundle, "", "seed §6.11, §6.15")
        channel = annotations.get(CHANNEL_ANNOTATION, "")
        if channel == "experimental":
            gke_blocked = self.platform == "gke" and (version_tuple(self.snap.get("version")) or (0,)) >= (1, 35)
            self.add("gateway-api-channel", "Gateway API release channel", "fail" if gke_blocked else "warn",
                     "experimental channel installed (bundle %s)%s" % (
                         bundle, "; GKE >= 1.35 forbids it with a ValidatingAdmissionPolicy" if gke_blocked else ""),
                     "install the standard channel (gateway_api_channel: standard); the stacks need no experimental "
                     "kind", "seed §6.26")
        else:
            self.add("gateway-api-channel", "Gateway API release channel", "pass" if channel == "standard" else "warn",
                     "%s (bundle %s)" % (channel or "no channel annotation", bundle),
                     "the CRDs carry no %s annotation: install a released bundle" % CHANNEL_ANNOTATION, "seed §6.26")
        detail = "HTTPRoute at %s; GRPCRoute %s" % (
            ", ".join(route_versions["httproutes"]),
            "at " + ", ".join(route_versions["grpcroutes"]) if route_versions["grpcroutes"] else "not installed (unused)")
        at_v1 = "v1" in route_versions["httproutes"]
        self.add("gateway-api-routes", "HTTPRoute API version", "pass" if at_v1 else "fail", detail,
                 "HTTPRoute must be served at %s (Gateway API >= v1.0): install the standard bundle of role "
                 "llmd.xks.gateway_api" % GATEWAY_V1, "seed §6.15, §6.26")

    def gatewayclass(self):
        name = self.inputs["gateway_class"]
        if not _has(self.snap, GATEWAY_V1, "gatewayclasses"):
            return
        gc = self.snap.get("gatewayclass")
        if gc is None:
            fix = ("enable the GKE Gateway API (--gateway-api=standard) and the HttpLoadBalancing addon; the classes "
                   "can take 30-45 minutes to appear" if self.platform == "gke" and name.startswith("gke-")
                   else "install the gateway controller of the stack (playbooks/platform.yml), or set "
                        "llmd_xks_gateway.class_name to an installed class")
            self.add("gatewayclass", "GatewayClass %s" % name, "fail", "GatewayClass %s does not exist" % name, fix,
                     "seed §6.11")
        elif not _is_true(gc, "Accepted"):
            cond = _conditions(gc).get("Accepted") or {}
            self.add("gatewayclass", "GatewayClass %s" % name, "fail",
                     "not Accepted (controller %s: %s)" % (gc.get("spec", {}).get("controllerName"),
                                                           cond.get("reason") or "no status from a controller"),
                     "start the controller %s, or pick an accepted class" % gc.get("spec", {}).get("controllerName"),
                     "seed §6.11")
        else:
            self.add("gatewayclass", "GatewayClass %s" % name, "pass",
                     "Accepted (controller %s)" % gc.get("spec", {}).get("controllerName"), "", "seed §6.11")
        if self.platform == "gke" and self.stack in GKE_GATEWAY_STACKS:
            regional = name in GKE_REGIONAL_CLASSES
            self.add("gatewayclass-regional", "GKE class routes to InferencePool", "pass" if regional else "fail",
                     "%s is %sa regional class" % (name, "" if regional else "not "),
                     "use gke-l7-regional-external-managed or gke-l7-rilb: with a global class the gateway gets an IP "
                     "but the pool's backends never become healthy", "seed §6.12")

    def gateway(self):
        gateway = self.inputs.get("gateway") or {}
        if not gateway.get("name") or gateway.get("create") or not _has(self.snap, GATEWAY_V1, "gateways"):
            return
        where = "%s/%s" % (gateway.get("namespace") or self.inputs["namespace"], gateway["name"])
        gw = self.snap.get("gateway")
        if gw is None:
            self.add("gateway", "Existing Gateway %s" % where, "fail", "not found (llmd_xks_gateway.create is false)",
                     "create the Gateway or set llmd_xks_gateway.create: true", "seed §6.15")
        elif not _is_true(gw, "Programmed"):
            self.add("gateway", "Existing Gateway %s" % where, "warn", "not Programmed yet",
                     "check the gateway controller and its LoadBalancer address (forwarding-rule quota on GKE)",
                     "seed §6.6, §6.15")
        else:
            self.add("gateway", "Existing Gateway %s" % where, "pass", "Programmed", "", "seed §6.15")

    def inference_pool(self):
        v1 = _has(self.snap, INFERENCE_V1, "inferencepools")
        alpha = _has(self.snap, INFERENCE_V1ALPHA2, "inferencepools")
        served = [gv for gv, ok in ((INFERENCE_V1, v1), (INFERENCE_V1ALPHA2, alpha)) if ok]
        self.add("inference-pool-api", "Inference Extension CRDs (InferencePool)", "pass" if served else "fail",
                 "InferencePool served at %s" % ", ".join(served) if served else "no InferencePool API is served",
                 "install the Gateway API Inference Extension CRDs (role llmd.xks.gateway_api)", "seed §6.25")

    def _istio_version(self):
        for istio in self.snap.get("istios") or []:
            version = (istio.get("status") or {}).get("version") or (istio.get("spec") or {}).get("version")
            if version:
                env = (((istio.get("spec") or {}).get("values") or {}).get("pilot") or {}).get("env") or {}
                return version, "Istio %s" % istio["metadata"]["name"], env
        tag, where, env = _istiod_image_version(self.snap.get("istiod"))
        return tag, ("istiod image (%s)" % where if where else None), env

    def istio(self):
        version, source, env = self._istio_version()
        check = "Istio version vs InferencePool API"
        if not version:
            self.add("istio-inference-pool", check, "fail", "no Istio found (no sail Istio resource, no istiod Deployment)",
                     "install Istio >= %d.%d: playbooks/platform.yml --tags ossm (sail-operator), on OpenShift OSSM 3 "
                     "from OLM" % ISTIO_MIN_FOR_V1_POOL, "seed §6.25")
            return
        istio = version_tuple(version)[:2]
        v1 = _has(self.snap, INFERENCE_V1, "inferencepools")
        minimum = "%d.%d" % ISTIO_MIN_FOR_V1_POOL
        if istio >= ISTIO_MIN_FOR_V1_POOL and v1:
            self.add("istio-inference-pool", check, "pass", "Istio %s (%s) routes to %s, which is served" % (
                version, source, INFERENCE_V1), "", "seed §6.25")
        elif istio >= ISTIO_MIN_FOR_V1_POOL:
            self.add("istio-inference-pool", check, "fail", "Istio %s routes only to %s, which is not served" % (
                version, INFERENCE_V1), "install the v1 Inference Extension CRDs (role llmd.xks.gateway_api)", "seed §6.25")
        else:
            self.add("istio-inference-pool", check, "fail", "Istio %s (%s) is older than %s and cannot route to %s" % (
                version, source, minimum, INFERENCE_V1),
                "upgrade to Istio >= %s (ossm_istio_version), or pin KServe and the pools to %s" % (
                    minimum, INFERENCE_V1ALPHA2), "seed §6.25")
        if env is not None:
            enabled = str(env.get("ENABLE_GATEWAY_API_INFERENCE_EXTENSION", "")).lower() == "true"
            self.add("istio-inference-extension", "istiod Inference Extension support", "pass" if enabled else "fail",
                     "%s %s pilot env ENABLE_GATEWAY_API_INFERENCE_EXTENSION=true" % (source, "sets" if enabled else "lacks"),
                     "set spec.values.pilot.env.ENABLE_GATEWAY_API_INFERENCE_EXTENSION: 'true' (role llmd.xks.ossm does); "
                     "without it istiod rejects InferencePool backends", "seed §6.25")

    def kserve(self):
        gv = next((v for v in KSERVE_VERSIONS if _has(self.snap, v, "llminferenceservices")), None)
        if not gv:
            self.add("kserve-crds", "KServe LLMInferenceService CRDs", "fail", "LLMInferenceService is not served",
                     "run playbooks/platform.yml --tags cert_manager,kserve (the upstream v0.15 manifests lack it)",
                     "seed §6.20, §6.22")
            return
        configs = _has(self.snap, gv, "llminferenceserviceconfigs")
        self.add("kserve-crds", "KServe LLMInferenceService CRDs", "pass" if configs else "fail",
                 "LLMInferenceService at %s%s" % (gv, "" if configs else "; LLMInferenceServiceConfig not served"),
                 "install the KServe LLMISVC CRDs (role llmd.xks.kserve)", "seed §6.20, §6.22")
        presets = dict((c["metadata"]["name"], c) for c in self.snap.get("kserve_configs") or [])
        namespaces = sorted(set(c["metadata"].get("namespace", "") for c in presets.values()))
        if TEMPLATE_PRESET in presets:
            self.add("kserve-presets", "KServe well-known presets", "pass",
                     "%d LLMInferenceServiceConfigs in %s" % (len(presets), ", ".join(namespaces)), "", "seed §6.20")
        else:
            self.add("kserve-presets", "KServe well-known presets", "fail",
                     "%s not found in any namespace" % TEMPLATE_PRESET,
                     "install the presets into the controller's namespace (kserve upstream, opendatahub on OpenShift AI; "
                     "role llmd.xks.kserve)", "seed §6.20")
        if self.stack == "kserve_gke_gateway" and ROUTE_PRESET in presets:
            rules = ((((presets[ROUTE_PRESET].get("spec") or {}).get("router") or {}).get("route") or {}).get("http") or {})
            rules = (rules.get("spec") or {}).get("rules") or []
            timed = any("timeouts" in (rule or {}) for rule in rules)
            self.add("kserve-route-timeouts", "KServe route without timeouts (GKE)", "fail" if timed else "pass",
                     "%s %s HTTPRoute timeouts" % (ROUTE_PRESET, "sets" if timed else "has no"),
                     "GKE rejects them (GWCER104): run the kserve role with kserve_remove_route_timeouts: true and "
                     "recreate the services; use GCPBackendPolicy timeoutSec instead", "seed §6.17")

    def cert_manager(self):
        missing = [r for r in ("certificates", "issuers", "clusterissuers") if not _has(self.snap, CERT_MANAGER_V1, r)]
        if missing:
            self.add("cert-manager", "cert-manager CRDs and CA issuer", "fail", "not served: %s" % ", ".join(missing),
                     "run playbooks/platform.yml --tags cert_manager before KServe (its webhook needs the certificates)",
                     "seed §6.22")
            return
        issuer_name = self.inputs.get("cert_manager_issuer")
        issuer = self.snap.get("cluster_issuer")
        if not issuer_name:
            status, detail = "pass", "CRDs served"
        elif issuer is None:
            status, detail = "warn", "CRDs served; ClusterIssuer %s does not exist" % issuer_name
        elif not _is_true(issuer, "Ready"):
            status, detail = "warn", "ClusterIssuer %s is not Ready" % issuer_name
        else:
            status, detail = "pass", "CRDs served; ClusterIssuer %s Ready" % issuer_name
        self.add("cert-manager", "cert-manager CRDs and CA issuer", status, detail,
                 "run playbooks/platform.yml --tags cert_manager (creates the RSA CA issuer KServe uses) and wait for Ready",
                 "seed §6.22")

    def lws(self):
        served = _has(self.snap, LWS_V1, "leaderworkersets")
        needed = int(self.inputs.get("pattern") or 1) == 4 or int(self.profile.get("hosts") or 1) > 1
        status = "pass" if served else ("fail" if needed else "warn")
        self.add("lws-crd", "LeaderWorkerSet CRD", status,
                 "leaderworkersets served at %s" % LWS_V1 if served else
                 "LeaderWorkerSet is not served%s" % (" and pattern 4 / multi-host needs it" if needed else ""),
                 "run playbooks/platform.yml --tags lws (KServe references it even for single-node services)", "seed §6.24")

    # ------------------------------------------------------------------------------------- nodes
    def cpu_pool(self):
        nodes = [n for n in self.snap.get("nodes") or []
                 if _node_ready(n) and not (n.get("spec") or {}).get("unschedulable") and not _blocking_taints(n)
                 and not _is_accelerator_node(n)]
        pools = sorted(set(((n.get("metadata") or {}).get("labels") or {}).get("cloud.google.com/gke-nodepool", "-")
                           for n in nodes))
        self.add("cpu-pool", "CPU nodes for system pods", "pass" if nodes else "fail",
                 "%d schedulable, untainted nodes without accelerators (pools %s)" % (len(nodes), ", ".join(pools)) if nodes else
                 "no Ready, schedulable node without accelerators and NoSchedule/NoExecute taints: EPP, gateway and "
                 "controllers have nowhere to run",
                 "add a CPU node pool (never scale default-pool to 0 while system pods need it)", "seed §6.5")

    def _accelerator_nodes(self):
        labels = self.profile.get("node_labels") or {}
        return [n for n in self.snap.get("nodes") or []
                if all(((n.get("metadata") or {}).get("labels") or {}).get(k) == str(v) for k, v in labels.items())]

    def accelerator(self):
        name = self.inputs.get("accelerator")
        if not self.profile:
            self.add("accelerator-nodes", "Accelerator profile %s" % name, "fail", "unknown profile",
                     "use a key of llmd_xks_accelerators (playbooks/vars/accelerators.yml)", "seed §3.1")
            return
        if self.profile.get("kind") == "cpu" or not self.profile.get("resource_name"):
            self.add("accelerator-nodes", "Accelerator nodes (%s)" % name, "pass", "CPU profile: no accelerator needed",
                     "", "seed §6.4")
            return
        labels = self.profile.get("node_labels") or {}
        label_text = ", ".join("%s=%s" % kv for kv in sorted(labels.items()))
        nodes = self._accelerator_nodes()
        hosts = int(self.profile.get("hosts") or 1)
        if not nodes:
            topology = ", topology %s" % self.profile["topology"] if self.profile.get("topology") else ""
            self.add("accelerator-nodes", "Accelerator nodes (%s)" % name, "fail", "no node labelled %s" % label_text,
                     "create the node pool (playbooks/provision.yml) with machine type %s%s; on other platforms adjust the "
                     "profile's node_labels" % (self.profile.get("machine_type"), topology), "seed §6.3, §6.4")
            return
        self.add("accelerator-nodes", "Accelerator nodes (%s)" % name, "pass" if len(nodes) >= hosts else "fail",
                 "%d nodes labelled %s%s" % (len(nodes), label_text, "; the slice needs %d hosts" % hosts if hosts > 1 else ""),
                 "scale the pool to at least %d nodes" % hosts, "seed §6.3, §6.4")
        wanted = [(t["key"], str(t.get("value", "")), t["effect"]) for t in self.profile.get("taints") or []]
        untainted = [n["metadata"]["name"] for n in nodes
                     if not all(any((t.get("key"), str(t.get("value", "")), t.get("effect")) == w
                                    for t in (n.get("spec") or {}).get("taints") or []) for w in wanted)]
        self.add("accelerator-taints", "Accelerator node taints", "warn" if untainted else "pass",
                 "%s without %s" % (", ".join(untainted), ", ".join("%s=%s:%s" % w for w in wanted)) if untainted else
                 "every node has %s" % (", ".join("%s=%s:%s" % w for w in wanted) or "no taint (none expected)"),
                 "taint the pool (--node-taints) so system pods stay off accelerator nodes; model pods tolerate it",
                 "seed §6.4, §6.5")
        resource, chips = self.profile["resource_name"], int(self.profile.get("chips_per_host") or 1)
        short = [(n["metadata"]["name"], _quantity(((n.get("status") or {}).get("allocatable") or {}).get(resource, 0)))
                 for n in nodes]
        short = [(node, got) for node, got in short if got < chips]
        fix = ("wait for GKE to register the TPU (up to 5 minutes), then check the node's device plugin"
               if self.profile.get("kind") == "tpu" else
               "install the NVIDIA device plugin / GPU operator (on GKE 1.34+ with RHAIIS images: the GPU operator with "
               "driver.enabled=false and CDI, nodes labelled gke-no-default-nvidia-gpu-device-plugin=true)")
        self.add("accelerator-allocatable", "Allocatable %s" % resource, "fail" if short else "pass",
                 ", ".join("%s has %d" % s for s in short) + " (need %d per node)" % chips if short else
                 "%d per node on %d nodes" % (chips, len(nodes)), fix, "seed §6.4, §6.10")

    # ---------------------------------------------------------------------------- namespace/secret
    def namespace_and_secret(self):
        ns = self.inputs["namespace"]
        exists = self.snap.get("namespace") is not None
        self.add("namespace", "Namespace %s" % ns, "pass" if exists else "warn",
                 "exists" if exists else "does not exist yet (the pattern role creates it)",
                 "nothing to do, or create it with its labels beforehand", "seed §3.4 (preflight-check.sh)")
        if exists and self.stack == "istio_kserve":
            labels = (self.snap["namespace"].get("metadata") or {}).get("labels") or {}
            injected = labels.get("istio-injection") == "enabled" or bool(labels.get("istio.io/rev"))
            self.add("sidecar-injection", "Istio sidecar injection in %s" % ns, "warn" if injected else "pass",
                     "namespace labelled for sidecar injection (%s)" % ", ".join(
                         "%s=%s" % kv for kv in sorted(labels.items()) if kv[0] in ("istio-injection", "istio.io/rev"))
                     if injected else "no sidecar injection label",
                     "remove the label (ossm_sidecar_injection: disabled): sidecars on EPP and vLLM with app-level TLS "
                     "double-encrypt, and ext_proc then gets no calls", "seed §6.32")
        secret = self.inputs.get("hf_token_secret")
        if not secret:
            return
        keys = self.snap.get("hf_secret_keys")
        check = "Hugging Face token Secret %s/%s" % (ns, secret)
        needs = self.profile.get("kind") not in (None, "cpu")
        if keys is not None and ("HF_TOKEN" in keys or "token" in keys):
            self.add("hf-token-secret", check, "pass", "keys %s" % ", ".join(keys), "", "seed §3.4 (preflight-check.sh)")
        elif keys is not None:
            self.add("hf-token-secret", check, "fail", "exists without key HF_TOKEN or token (keys: %s)" % (", ".join(keys) or "none"),
                     "recreate it with key HF_TOKEN (or set llmd_xks_hf_token)", "seed §3.4 (preflight-check.sh)")
        elif self.inputs.get("hf_token_provided"):
            self.add("hf-token-secret", check, "pass", "absent; llmd_xks_hf_token is set, the pattern role creates it", "",
                     "seed §3.4 (preflight-check.sh)")
        else:
            self.add("hf-token-secret", check, "fail" if needs else "warn",
                     "absent and llmd_xks_hf_token is not set",
                     "kubectl -n %s create secret generic %s --from-literal=HF_TOKEN=... or set llmd_xks_hf_token from a vault"
                     % (ns, secret), "seed §3.4 (preflight-check.sh)")


def evaluate(snap, inputs):
    return Evaluator(snap, inputs).run()


def validate_inputs(inputs):
    errors = []
    if inputs.get("stack") not in STACKS:
        errors.append("stack: %r is not a stack. Use one of %s" % (inputs.get("stack"), ", ".join(STACKS)))
    if inputs.get("accelerator") not in (inputs.get("accelerators") or {}):
        errors.append("accelerator: %r is not a profile of accelerators (playbooks/vars/accelerators.yml): %s" % (
            inputs.get("accelerator"), ", ".join(sorted(inputs.get("accelerators") or {}))))
    return errors


def validate_rows(rows):
    """Rows from other modules (e.g. GCP) must have the same shape."""
    errors = []
    for index, row in enumerate(rows):
        missing = [k for k in ("id", "check", "status", "detail") if k not in (row or {})]
        if missing:
            errors.append("extra_checks[%d]: missing %s" % (index, ", ".join(missing)))
        elif row["status"] not in STATUSES:
            errors.append("extra_checks[%d].status: %r is not one of %s" % (index, row["status"], ", ".join(STATUSES)))
    return errors


def summarize(rows):
    return dict((s, sum(1 for r in rows if r["status"] == s)) for s in STATUSES)


def table(rows):
    """Aligned text lines: STATUS | ID | CHECK | DETAIL | SEED, then the fix of every row that is not a pass."""
    columns = [("status", "STATUS"), ("id", "ID"), ("check", "CHECK"), ("detail", "DETAIL"), ("failure", "SEED")]
    keys = [key for key, title in columns]
    cells = [[title for key, title in columns]] + [
        [str(r.get(key) or "").upper() if key == "status" else str(r.get(key) or "") for key in keys] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]

    def fmt(line):
        return " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()

    lines = [fmt(cells[0]), "-+-".join("-" * w for w in widths)]
    lines.extend(fmt(line) for line in cells[1:])
    fixes = [r for r in rows if r["status"] != "pass" and r.get("fix")]
    if fixes:
        lines.append("")
        lines.append("Fixes:")
        id_width = max(len(r["id"]) for r in fixes)
        lines.extend("  %s  %s: %s" % (r["status"].upper().ljust(4), r["id"].ljust(id_width), r["fix"]) for r in fixes)
    return lines
