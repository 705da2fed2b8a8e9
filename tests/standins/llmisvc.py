"""Stand-in for the KServe LLMInferenceService controller (``llmisvc-controller-manager``, KServe v0.20),
following controllers.md §1.3-1.7 and §7.

Why not the real one: the KServe llmisvc controller needs its webhooks (conversion, defaulting,
validation) served with certificates the apiserver trusts, and building it pulls in the whole KServe
module graph (a very large build on 2 cores). So this stand-in reproduces what the tests and the
collection rely on, driven by the *real* objects in the cluster:

* finalizer ``serving.kserve.io/llmisvc-finalizer`` (on delete: remove the EPP ClusterRoleBinding, drop
  the finalizer; the real kube-controller-manager garbage collector deletes the owned children);
* ConfigMap ``kserve/inferenceservice-config`` is read on every reconcile (missing: no status at all);
* preset resolution (well-known ``kserve-config-llm-*`` configs + ``spec.baseRefs``, namespace first,
  then ``kserve``; missing => ``PresetsCombined=False/ConfigNotFound``), strategic merge, Go-template
  expansion of the presets and the post-processing of §1.4;
* children with controller ownerReferences and the §1.5 labels: Deployment ``<n>-kserve`` (or
  LeaderWorkerSet ``<n>-kserve-mn`` when ``spec.worker`` is set; prefill variants too), Service
  ``<n>-kserve-workload-svc``, Secret ``<n>-kserve-self-signed-certs``, HTTPRoute ``<n>-kserve-route``,
  EPP Deployment ``<n>-kserve-router-scheduler`` + Service ``<n>-epp-service`` + ServiceAccount/Role/
  RoleBinding, InferencePool ``<n>-inference-pool`` (v1, and x-k8s.io v1alpha2 if that CRD is served);
  the v0.17+ InferencePool backendRef group quirk and its migration on ``InvalidKind``;
* status via the v1alpha2 status subresource: knative conditions derived from the real child status
  (Deployment ``Available`` as computed by kube-controller-manager from kwok-Ready pods, LWS status,
  HTTPRoute ``status.parents``, InferencePool ``status.parents``, Gateway ``Programmed``), rollups,
  ``observedGeneration``, ``url``/``addresses`` from the Gateway's ``status.addresses``, ``router``,
  ``workloads``, ``appliedConfigs``, ``annotations``; ``serving.kserve.io/stop`` handling.

Not imitated: webhooks (defaulting/validation/conversion), scaling (WVA/HPA/KEDA), routing sidecar RBAC,
LoRA, tracing specifics, OpenShift/ODH extras, CA-bundle copying.
"""
from __future__ import annotations

import copy
import datetime
import ipaddress
import json
import logging

import yaml

from . import gotemplate, smp
from .conditions import find, is_true
from .kube import ApiException, now, path_for
from .loop import Controller, owner_keys, owner_ref

log = logging.getLogger("standins.llmisvc")

API = "serving.kserve.io/v1alpha2"
KIND = "LLMInferenceService"
FINALIZER = "serving.kserve.io/llmisvc-finalizer"
SYSTEM_NS = "kserve"
MANAGER = "llmisvc-controller"
GW_GROUP = "gateway.networking.k8s.io"
GW_V1 = "gateway.networking.k8s.io/v1"
POOL_V1 = "inference.networking.k8s.io/v1"
XPOOL = "inference.networking.x-k8s.io/v1alpha2"
LWS_API = "leaderworkerset.x-k8s.io/v1"
PART_OF = "app.kubernetes.io/part-of"
SELECTOR = f"{PART_OF}=llminferenceservice"
STOP = "serving.kserve.io/stop"
MIGRATED = "serving.kserve.io/inference-pool-migrated"
MBR_ANNOTATION = "serving.kserve.io/model-based-routing-enabled"
WELL_KNOWN = ["kserve-config-llm-template", "kserve-config-llm-decode-template", "kserve-config-llm-prefill-template",
              "kserve-config-llm-worker-data-parallel", "kserve-config-llm-decode-worker-data-parallel",
              "kserve-config-llm-prefill-worker-data-parallel", "kserve-config-llm-scheduler",
              "kserve-config-llm-scheduler-latency-predictor", "kserve-config-llm-router-route",
              "kserve-config-llm-tracing"]
COPIED_ANNOTATION_PREFIXES = ("prometheus.io/", "k8s.v1.cni.cncf.io", "kueue.x-k8s.io")
EPP_PORT_NAMES = ("grpc", "grpc-health", "metrics", "zmq")
STORAGE_URI_SCHEMES = ("hf://", "s3://", "gs://", "https://", "http://")


class PresetNotFound(Exception):
    pass


def child(n: str, suffix: str) -> str:
    return gotemplate.child_name(n, suffix)


def knative(ctype: str, ok: bool | None, reason: str = "", message: str = "", severity: bool = True) -> dict:
    c = {"type": ctype, "status": "Unknown" if ok is None else ("True" if ok else "False")}
    if severity:
        c["severity"] = "Info"
    if ok is not True:
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
    return c


class LLMISVCController(Controller):
    name = "llmisvc"

    def __init__(self, kube, inf):
        super().__init__(kube)
        self.svcs = inf.get(API, "llminferenceservices", optional=True)
        self.configs = inf.get(API, "llminferenceserviceconfigs", optional=True)
        self.deploys = inf.get("apps/v1", "deployments", SELECTOR)
        self.lwss = inf.get(LWS_API, "leaderworkersets", SELECTOR, optional=True)
        self.pools = inf.get(POOL_V1, "inferencepools", optional=True)
        self.xpools = inf.get(XPOOL, "inferencepools", optional=True)
        self.routes = inf.get(GW_V1, "httproutes")
        self.services = inf.get("v1", "services")
        self.gateways = inf.get(GW_V1, "gateways")
        self.gwclasses = inf.get(GW_V1, "gatewayclasses")
        self.svcs.add_handler(lambda e, o: self.enqueue((o["metadata"]["namespace"], o["metadata"]["name"])))
        for i in (self.deploys, self.lwss, self.pools, self.xpools, self.routes, self.services):
            i.add_handler(self._on_child)
        self.gateways.add_handler(lambda e, o: self._enqueue_all())
        self.configs.add_handler(self._on_config)
        self._last_written: dict[tuple, tuple] = {}

    # --------------------------------------------------------------------------------- events
    def _on_child(self, _etype, obj):
        if obj["metadata"].get("labels", {}).get(PART_OF) == "llminferenceservice":
            for k in owner_keys(obj, KIND):
                self.enqueue(k)

    def _enqueue_all(self, namespace=None):
        for o in self.svcs.list(namespace):
            self.enqueue((o["metadata"]["namespace"], o["metadata"]["name"]))

    def _on_config(self, _etype, cfg):
        ns = cfg["metadata"]["namespace"]
        self._enqueue_all(None if ns == SYSTEM_NS else ns)

    # ------------------------------------------------------------------------------ reconcile
    def reconcile(self, key):
        ns, name = key
        obj = self.svcs.get(ns, name)
        if not obj:
            return None
        meta = obj["metadata"]
        path = path_for(API, "llminferenceservices", ns, name)
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if FINALIZER in finalizers:
                self.kube.delete(path_for("rbac.authorization.k8s.io/v1", "clusterrolebindings", None,
                                          child(ns, f"-{name}-epp-auth-rb")))
                self.kube.json_patch(path, [
                    {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                    {"op": "replace", "path": "/metadata/finalizers", "value": [f for f in finalizers if f != FINALIZER]}])
            return None
        if FINALIZER not in finalizers:
            self.kube.merge_patch(path, {"metadata": {"finalizers": finalizers + [FINALIZER]}})
            return None  # the update event brings us back

        cm = self.kube.get(path_for("v1", "configmaps", SYSTEM_NS, "inferenceservice-config"))
        if not cm:
            self.log.error("%s/%s: ConfigMap %s/inferenceservice-config not found", ns, name, SYSTEM_NS)
            return 10.0
        ingress = json.loads((cm.get("data") or {}).get("ingress") or "{}")
        gw_ns, _sep, gw_name = (ingress.get("kserveIngressGateway") or "kserve/kserve-ingress-gateway").rpartition("/")
        gconf = {"IngressGatewayName": gw_name, "IngressGatewayNamespace": gw_ns or SYSTEM_NS,
                 "EnableTLS": bool(ingress.get("enableLLMInferenceServiceTLS")),
                 "ModelBasedRoutingHeaderName": ingress.get("modelBasedRoutingHeaderName") or "X-Gateway-Model-Name",
                 "InferencePoolNamespacedName": f"{ns}/{child(name, '-inference-pool')}",
                 "UrlScheme": ingress.get("urlScheme") or "http",
                 "ModelBasedRoutingMode": ingress.get("modelBasedRoutingMode") or "enabled"}
        storage_cfg = json.loads((cm.get("data") or {}).get("storageInitializer") or "{}")

        spec = copy.deepcopy(obj.get("spec") or {})
        spec.setdefault("model", {}).setdefault("name", name)
        status_base = {"observedGeneration": meta.get("generation"),
                       "annotations": {f"serving.kserve.io/config-{n.removeprefix('kserve-config-')}": n
                                       for n in WELL_KNOWN}}
        try:
            merged, applied = self._combine(ns, name, obj, spec, gconf)
        except PresetNotFound as exc:
            conds = [knative("PresetsCombined", False, "ConfigNotFound", str(exc)),
                     knative("Ready", None, severity=False), knative("RouterReady", None, severity=False),
                     knative("WorkloadsReady", None, severity=False)]
            self._write_status(obj, dict(status_base, conditions=conds))
            return None
        except Exception as exc:  # noqa: BLE001 - merge/validation problems
            self.log.exception("combine presets for %s/%s", ns, name)
            conds = [knative("PresetsCombined", False, "CombineBaseError", str(exc)),
                     knative("Ready", None, severity=False), knative("RouterReady", None, severity=False),
                     knative("WorkloadsReady", None, severity=False)]
            self._write_status(obj, dict(status_base, conditions=conds))
            return None
        status_base["appliedConfigs"] = applied
        stopped = (meta.get("annotations") or {}).get(STOP) == "true"

        desired = self._desired_children(obj, merged, gconf, storage_cfg, stopped)
        self._sync_children(obj, desired)
        status = self._status(obj, merged, gconf, desired, stopped)
        status.update(status_base)
        self._write_status(obj, status)
        self._maybe_migrate_pool_group(obj, desired)
        return None

    # ------------------------------------------------------------------------------- presets
    def _find_config(self, ns, cname):
        for where in (ns, SYSTEM_NS):
            cfg = self.configs.get(where, cname)
            if cfg:
                return cfg, where
        return None, None

    def _combine(self, ns, name, obj, spec, gconf):
        router = spec.get("router") or {}
        # what the user's baseRefs enable is considered too
        base = {}
        for ref in spec.get("baseRefs") or []:
            cfg = self._find_config(ns, ref["name"])[0]
            if cfg:
                base = smp.merge(base, cfg.get("spec") or {})
        view = smp.merge(base, spec)
        router = view.get("router") or {}
        refs = []
        sched = router.get("scheduler")
        if sched is not None and not ((sched.get("pool") or {}).get("ref")):
            refs.append("kserve-config-llm-scheduler")
            if "predicted-latency-producer" in json.dumps(sched.get("config") or {}):
                refs.append("kserve-config-llm-scheduler-latency-predictor")
        route = router.get("route")
        if route is not None and not ((route.get("http") or {}).get("refs")):
            refs.append("kserve-config-llm-router-route")
        if view.get("tracing") is not None:
            refs.append("kserve-config-llm-tracing")

        def workload_ref(ws, role):
            par = ws.get("parallelism") or {}
            prefix = "kserve-config-llm-" + (f"{role}-" if role else "")
            if ws.get("worker") is None:
                return prefix + "template"
            if par.get("pipeline"):
                return prefix + "worker-pipeline-parallel"
            return prefix + "worker-data-parallel"

        if view.get("prefill") is None:
            refs.append(workload_ref(view, ""))
        else:
            refs.append(workload_ref(view["prefill"], "prefill"))
            refs.append(workload_ref(view, "decode"))
        merged, applied = {}, []
        for cname in refs:
            cfg, where = self._find_config(ns, cname)
            if not cfg:
                raise PresetNotFound(f'failed to get LLMInferenceServiceConfig "{cname}" from namespaces '
                                     f'[{ns} {SYSTEM_NS}]: not found')
            merged = smp.merge(merged, cfg.get("spec") or {})
            applied.append({"name": cname, "namespace": where, "source": "Preset"})
        for ref in spec.get("baseRefs") or []:
            cfg, where = self._find_config(ns, ref["name"])
            if not cfg:
                raise PresetNotFound(f'failed to get LLMInferenceServiceConfig "{ref["name"]}" from namespaces '
                                     f'[{ns} {SYSTEM_NS}]: not found')
            merged = smp.merge(merged, cfg.get("spec") or {})
            applied.append({"name": ref["name"], "namespace": where, "source": "UserRef"})
        merged = smp.merge(merged, spec)
        merged.pop("baseRefs", None)
        data = {"metadata": obj["metadata"], "spec": spec, "GlobalConfig": gconf}
        merged = gotemplate.render_tree(merged, data)
        self._post_process(ns, name, merged, gconf)
        return merged, applied

    def _post_process(self, ns, name, merged, gconf):
        router = merged.get("router") or {}
        sched = router.get("scheduler")
        route_spec = ((router.get("route") or {}).get("http") or {}).get("spec")
        workload_labels = {"app.kubernetes.io/name": name, PART_OF: "llminferenceservice",
                           "kserve.io/component": "workload"}
        if sched is not None:
            pool_spec = ((sched.get("pool") or {}).get("spec"))
            if pool_spec is not None:
                sel = pool_spec.setdefault("selector", {})
                if not sel.get("matchLabels"):
                    sel["matchLabels"] = dict(workload_labels)
                epp = pool_spec.setdefault("endpointPickerRef", {})
                epp.setdefault("port", {"number": 9002})
            tpl = sched.get("template")
            if tpl is not None and not tpl.get("serviceAccountName"):
                tpl["serviceAccountName"] = child(name, "-epp-sa")
            cref = (sched.get("config") or {}).get("ref")
            if cref:
                cm_ns = SYSTEM_NS if cref["name"].startswith("config-scheduler-") else ns
                cm = self.kube.get(path_for("v1", "configmaps", cm_ns, cref["name"]))
                text = ((cm or {}).get("data") or {}).get(cref.get("key") or "epp")
                if text is None:
                    raise ValueError(f"scheduler config ConfigMap {cm_ns}/{cref['name']} key "
                                     f"{cref.get('key') or 'epp'} not found")
                sched["config"] = {"inline": yaml.safe_load(text)}
        if route_spec is not None:
            grefs = (router.get("gateway") or {}).get("refs")
            if grefs:
                route_spec["parentRefs"] = [
                    {k: v for k, v in {"group": GW_GROUP, "kind": "Gateway", "name": g["name"],
                                       "namespace": g.get("namespace") or ns,
                                       "sectionName": g.get("sectionName")}.items() if v}
                    for g in grefs]
            pool_ref = ((sched or {}).get("pool") or {}).get("ref")
            for rule in route_spec.get("rules") or []:
                for b in rule.get("backendRefs") or []:
                    if b.get("kind") != "InferencePool":
                        continue
                    if sched is None:
                        b.update({"group": "", "kind": "Service", "name": child(name, "-kserve-workload-svc")})
                    elif pool_ref:
                        b["name"] = pool_ref["name"]
            mbr_on = (gconf["ModelBasedRoutingMode"] != "disabled"
                      and (merged.get("annotations") or {}).get(MBR_ANNOTATION) == "true")
            if not mbr_on:
                route_spec["rules"] = [r for r in route_spec.get("rules") or []
                                       if not all(m.get("headers") for m in r.get("matches") or [{}])]

    # ------------------------------------------------------------------------------ children
    def _labels(self, name, component, extra=None):
        labels = {PART_OF: "llminferenceservice", "app.kubernetes.io/name": name,
                  "app.kubernetes.io/component": component}
        labels.update(extra or {})
        return labels

    def _meta(self, obj, name, labels, annotations=None):
        m = {"name": name, "namespace": obj["metadata"]["namespace"], "labels": labels,
             "ownerReferences": [owner_ref(obj)]}
        if annotations:
            m["annotations"] = annotations
        return m

    def _copied_annotations(self, obj):
        return {k: v for k, v in (obj["metadata"].get("annotations") or {}).items()
                if k.startswith(COPIED_ANNOTATION_PREFIXES)}

    def _pod_spec(self, obj, merged, podspec, storage_cfg):
        spec = copy.deepcopy(podspec or {})
        uri = (merged.get("model") or {}).get("uri", "")
        if (merged.get("storageInitializer") or {}).get("enabled", True) and uri.startswith(STORAGE_URI_SCHEMES):
            vol = "kserve-provision-location"
            spec.setdefault("volumes", [])
            if not any(v.get("name") == vol for v in spec["volumes"]):
                spec["volumes"].append({"name": vol, "emptyDir": {}})
            inits = spec.setdefault("initContainers", [])
            if not any(c.get("name") == "storage-initializer" for c in inits):
                inits.insert(0, {
                    "name": "storage-initializer",
                    "image": storage_cfg.get("image") or "kserve/storage-initializer:v0.20.0",
                    "args": [uri, "/mnt/models"],
                    "resources": {"requests": {"cpu": storage_cfg.get("cpuRequest", "100m"),
                                               "memory": storage_cfg.get("memoryRequest", "100Mi")},
                                  "limits": {"cpu": storage_cfg.get("cpuLimit", "1"),
                                             "memory": storage_cfg.get("memoryLimit", "1Gi")}},
                    "volumeMounts": [{"name": vol, "mountPath": "/mnt/models"}],
                    "terminationMessagePolicy": "FallbackToLogsOnError"})
            for c in spec.get("containers") or []:
                if c.get("name") == "main":
                    mounts = c.setdefault("volumeMounts", [])
                    if not any(m.get("mountPath") == "/mnt/models" for m in mounts):
                        mounts.append({"name": vol, "mountPath": "/mnt/models", "readOnly": True})
        return spec

    def _template(self, obj, merged, podspec, labels, storage_cfg, ws=None):
        ws = ws or merged
        pod_labels = dict(labels)
        pod_labels.update(ws.get("labels") or {})
        ann = dict(self._copied_annotations(obj))
        ann.update(ws.get("annotations") or {})
        meta = {"labels": pod_labels}
        if ann:
            meta["annotations"] = ann
        return {"metadata": meta, "spec": self._pod_spec(obj, merged, podspec, storage_cfg)}

    def _workload(self, obj, merged, ws, role, storage_cfg, desired):
        """Deployment or LWS for the decode/main (role '') or prefill workload ``ws``."""
        name = obj["metadata"]["name"]
        sfx = "-prefill" if role == "prefill" else ""
        llmd_role = "prefill" if role == "prefill" else ("decode" if merged.get("prefill") is not None else "both")
        wlabels = self._labels(name, f"llminferenceservice-workload{sfx}",
                               {"kserve.io/component": "workload", "llm-d.ai/role": llmd_role})
        dep_name, lws_name = child(name, f"-kserve{sfx}"), child(name, f"-kserve-mn{sfx}")
        if ws.get("worker") is None:
            tpl = self._template(obj, merged, ws.get("template"), wlabels, storage_cfg, ws)
            dspec = {"selector": {"matchLabels": wlabels}, "template": tpl}
            if ws.get("replicas") is not None:
                dspec["replicas"] = ws["replicas"]
            desired[("apps/v1", "deployments", dep_name)] = {
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": self._meta(obj, dep_name, wlabels, self._copied_annotations(obj) or None),
                "spec": dspec}
            return ("Deployment", dep_name)
        par = ws.get("parallelism") or {}
        size = par["pipeline"] if par.get("pipeline") else max(1, int(par.get("data") or 1) // int(par.get("dataLocal") or 1))
        has_leader = ws.get("template") is not None
        worker_labels = self._labels(name, f"llminferenceservice-workload-worker{sfx}",
                                     {"kserve.io/component": "workload"})
        if not has_leader:
            worker_labels["llm-d.ai/role"] = llmd_role
        leader_labels = self._labels(name, f"llminferenceservice-workload-leader{sfx}",
                                     {"kserve.io/component": "workload", "llm-d.ai/role": llmd_role})
        lwt = {"size": size, "restartPolicy": "RecreateGroupOnPodRestart",
               "workerTemplate": self._template(obj, merged, ws["worker"], worker_labels, storage_cfg, ws)}
        if has_leader:
            lwt["leaderTemplate"] = self._template(obj, merged, ws["template"], leader_labels, storage_cfg, ws)
        if role == "prefill" and not par.get("pipeline"):
            lwt["subGroupPolicy"] = {"subGroupSize": size}
        for t in ("workerTemplate", "leaderTemplate"):
            if t in lwt and not lwt[t]["spec"].get("serviceAccountName"):
                lwt[t]["spec"]["serviceAccountName"] = lws_name
        lspec = {"leaderWorkerTemplate": lwt, "startupPolicy": "LeaderCreated",
                 "rolloutStrategy": {"type": "RollingUpdate"}}
        if ws.get("replicas") is not None:
            lspec["replicas"] = ws["replicas"]
        desired[(LWS_API, "leaderworkersets", lws_name)] = {
            "apiVersion": LWS_API, "kind": "LeaderWorkerSet",
            "metadata": self._meta(obj, lws_name, worker_labels, self._copied_annotations(obj) or None),
            "spec": lspec}
        desired[("v1", "serviceaccounts", lws_name)] = {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": self._meta(obj, lws_name, wlabels)}
        return ("LeaderWorkerSet", lws_name)

    def _desired_children(self, obj, merged, gconf, storage_cfg, stopped):
        """-> {(apiVersion, plural, name): object}. Also records which workload kinds are in use."""
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        desired = {}
        wl_labels = self._labels(name, "llminferenceservice-workload")
        secret_name = child(name, "-kserve-self-signed-certs")
        desired[("v1", "secrets", secret_name)] = ("ensure-secret", secret_name, wl_labels)
        if stopped:
            return desired
        router = merged.get("router") or {}
        self._workloads = {"main": self._workload(obj, merged, merged, "", storage_cfg, desired)}
        if merged.get("prefill") is not None:
            self._workloads["prefill"] = self._workload(obj, merged, merged["prefill"], "prefill", storage_cfg, desired)
        tls = gconf["EnableTLS"]
        svc = child(name, "-kserve-workload-svc")
        desired[("v1", "services", svc)] = {
            "apiVersion": "v1", "kind": "Service", "metadata": self._meta(obj, svc, wl_labels),
            "spec": {"type": "ClusterIP",
                     "ports": [{"name": "https" if tls else "http", "port": 8000, "targetPort": 8000,
                                "protocol": "TCP", "appProtocol": "https" if tls else "http"}],
                     "selector": {PART_OF: "llminferenceservice", "app.kubernetes.io/name": name,
                                  "kserve.io/component": "workload"}}}
        route = router.get("route")
        route_spec = ((route or {}).get("http") or {}).get("spec")
        if route is not None and route_spec is not None and not (route.get("http") or {}).get("refs"):
            rname = child(name, "-kserve-route")
            rlabels = self._labels(name, "llminferenceservice-router")
            if route.get("group"):
                rlabels["serving.kserve.io/routing-group"] = route["group"]
            spec = copy.deepcopy(route_spec)
            migrated = (obj["metadata"].get("annotations") or {}).get(MIGRATED) == "v1"
            if not migrated and self._xpool_served():
                for rule in spec.get("rules") or []:
                    for b in rule.get("backendRefs") or []:
                        if b.get("kind") == "InferencePool" and b.get("group") == "inference.networking.k8s.io":
                            b["group"] = "inference.networking.x-k8s.io"
            desired[(GW_V1, "httproutes", rname)] = {
                "apiVersion": GW_V1, "kind": "HTTPRoute", "metadata": self._meta(obj, rname, rlabels), "spec": spec}
        sched = router.get("scheduler")
        if sched is not None and not (sched.get("pool") or {}).get("ref") and sched.get("template") is not None:
            self._scheduler(obj, sched, desired)
        return desired

    def _xpool_served(self) -> bool:
        if not hasattr(self, "_xpool_cache"):
            try:
                self._xpool_cache = self.kube.served(XPOOL, "inferencepools")
            except ApiException:
                return False
        return self._xpool_cache

    def _scheduler(self, obj, sched, desired):
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        labels = self._labels(name, "llminferenceservice-router-scheduler")
        pool_spec = copy.deepcopy((sched.get("pool") or {}).get("spec") or {})
        epp_name = (pool_spec.get("endpointPickerRef") or {}).get("name") or child(name, "-epp-service")
        tpl = copy.deepcopy(sched["template"])
        replicas = sched.get("replicas") or 1
        inline = (sched.get("config") or {}).get("inline")
        for c in tpl.get("containers") or []:
            if c.get("name") == "main":
                args = c.setdefault("args", [])
                if inline is not None and "--config-text" not in args:
                    args += ["--config-text", yaml.safe_dump(inline, sort_keys=False)]
                if replicas > 1 and "--ha-enable-leader-election" not in args:
                    args.append("--ha-enable-leader-election")
        pod_meta = {"labels": dict(labels, **(sched.get("labels") or {}))}
        if sched.get("annotations"):
            pod_meta["annotations"] = dict(sched["annotations"])
        dname = child(name, "-kserve-router-scheduler")
        desired[("apps/v1", "deployments", dname)] = {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": self._meta(obj, dname, labels),
            "spec": {"replicas": replicas, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": labels},
                     "template": {"metadata": pod_meta, "spec": tpl}}}
        main = next((c for c in tpl.get("containers") or [] if c.get("name") == "main"), {})
        ports = sorted(({"name": p["name"], "port": p["containerPort"], "targetPort": p["name"], "protocol": "TCP"}
                        for p in main.get("ports") or [] if p.get("name") in EPP_PORT_NAMES), key=lambda p: p["name"])
        desired[("v1", "services", epp_name)] = {
            "apiVersion": "v1", "kind": "Service", "metadata": self._meta(obj, epp_name, labels),
            "spec": {"type": "ClusterIP", "ports": ports, "selector": labels}}
        pname = child(name, "-inference-pool")
        desired[(POOL_V1, "inferencepools", pname)] = {
            "apiVersion": POOL_V1, "kind": "InferencePool", "metadata": self._meta(obj, pname, labels),
            "spec": pool_spec}
        if self._xpool_served():
            epp = pool_spec.get("endpointPickerRef") or {}
            xspec = {"targetPortNumber": ((pool_spec.get("targetPorts") or [{}])[0]).get("number", 8000),
                     "selector": (pool_spec.get("selector") or {}).get("matchLabels") or {},
                     "extensionRef": {"name": epp_name, "portNumber": (epp.get("port") or {}).get("number", 9002),
                                      "failureMode": epp.get("failureMode", "FailClose")}}
            desired[(XPOOL, "inferencepools", pname)] = {
                "apiVersion": XPOOL, "kind": "InferencePool", "metadata": self._meta(obj, pname, labels),
                "spec": xspec}
        sa = tpl.get("serviceAccountName") or child(name, "-epp-sa")
        desired[("v1", "serviceaccounts", sa)] = {
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": self._meta(obj, sa, labels)}
        role = child(name, "-epp-role")
        ro = ["get", "list", "watch"]
        desired[("rbac.authorization.k8s.io/v1", "roles", role)] = {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self._meta(obj, role, labels),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ro},
                      {"apiGroups": ["inference.networking.k8s.io", "inference.networking.x-k8s.io"],
                       "resources": ["inferencepools", "inferenceobjectives", "inferencemodels",
                                     "inferencemodelrewrites", "inferencepoolimports"], "verbs": ro},
                      {"apiGroups": ["llm-d.ai"], "resources": ["inferenceobjectives", "inferencemodelrewrites"],
                       "verbs": ro},
                      {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ro},
                      {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]}]}
        rb = child(name, "-epp-rb")
        desired[("rbac.authorization.k8s.io/v1", "rolebindings", rb)] = {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": self._meta(obj, rb, labels),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]}
        crb = child(ns, f"-{name}-epp-auth-rb")
        desired[("rbac.authorization.k8s.io/v1", "clusterrolebindings", crb)] = {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": crb, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]}

    def _sync_children(self, obj, desired):
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        order = ["secrets", "serviceaccounts", "roles", "rolebindings", "clusterrolebindings", "services",
                 "deployments", "leaderworkersets", "inferencepools", "httproutes"]
        items = sorted(desired.items(), key=lambda kv: order.index(kv[0][1]) if kv[0][1] in order else 99)
        for (api_version, plural, cname), body in items:
            if isinstance(body, tuple):  # the self-signed certificate Secret: create once
                self._ensure_secret(obj, cname, body[2])
                continue
            cluster_scoped = plural == "clusterrolebindings"
            existed = self._cached(api_version, plural, ns, cname)
            self.kube.apply(path_for(api_version, plural, None if cluster_scoped else ns, cname), body, MANAGER)
            if existed is False:
                self.kube.event(obj, "Normal", "Created", f"Created {body['kind']} {cname}", MANAGER)
        # delete children of ours that are no longer wanted (topology change, router removed, stopped)
        wanted = set(desired)
        for api_version, plural, informer in (("apps/v1", "deployments", self.deploys),
                                              (LWS_API, "leaderworkersets", self.lwss),
                                              (GW_V1, "httproutes", self.routes),
                                              (POOL_V1, "inferencepools", self.pools),
                                              (XPOOL, "inferencepools", self.xpools),
                                              ("v1", "services", self.services)):
            for o in informer.list(ns):
                if (ns, name) in owner_keys(o, KIND) and (api_version, plural, o["metadata"]["name"]) not in wanted \
                        and not o["metadata"].get("deletionTimestamp"):
                    if self.kube.delete(path_for(api_version, plural, ns, o["metadata"]["name"])):
                        self.kube.event(obj, "Normal", "Deleted", f"Deleted {o.get('kind')} {o['metadata']['name']}",
                                        MANAGER)

    def _cached(self, api_version, plural, ns, name):
        """True/False if we can tell from an informer whether the object exists; None otherwise."""
        informer = {("apps/v1", "deployments"): self.deploys, (LWS_API, "leaderworkersets"): self.lwss,
                    (GW_V1, "httproutes"): self.routes, (POOL_V1, "inferencepools"): self.pools,
                    ("v1", "services"): self.services}.get((api_version, plural))
        if informer is None:
            return None
        return informer.get(ns, name) is not None

    def _ensure_secret(self, obj, name, labels):
        ns = obj["metadata"]["namespace"]
        if self.kube.get(path_for("v1", "secrets", ns, name)):
            return
        crt, key, expiry = _self_signed(f"{obj['metadata']['name']}.{ns}.svc")
        body = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                "metadata": dict(self._meta(obj, name, labels), annotations={"certificates.kserve.io/expiration": expiry}),
                "stringData": {"tls.crt": crt, "tls.key": key, "ca.crt": crt}}
        try:
            self.kube.create(path_for("v1", "secrets", ns), body)
        except ApiException as exc:
            if exc.status != 409:
                raise

    # -------------------------------------------------------------------------------- status
    def _deployment_cond(self, d, ctype, epp=False):
        if d is None:
            return knative(ctype, False, "Progressing", "Deployment rollout in progress" if epp else "")
        st = d.get("status") or {}
        if epp and (st.get("availableReplicas") or 0) > 0:
            return knative(ctype, True)
        prog = find(st.get("conditions"), "Progressing")
        if prog and prog.get("status") == "False":
            return knative(ctype, False, prog.get("reason", ""), prog.get("message", ""))
        av = find(st.get("conditions"), "Available")
        if av and av.get("status") == "True":
            return knative(ctype, True)
        if av:
            return knative(ctype, False, av.get("reason", ""), av.get("message", ""))
        return knative(ctype, False, "Progressing", "Deployment rollout in progress" if epp else "")

    def _lws_cond(self, lws, ctype):
        av = find(((lws or {}).get("status") or {}).get("conditions"), "Available")
        if av and av.get("status") == "True":
            return knative(ctype, True)
        if av:
            return knative(ctype, False, av.get("reason", ""), av.get("message", ""))
        return knative(ctype, False, "Progressing", "LWS is progressing")

    @staticmethod
    def _route_parent_matches(status_ref, spec_ref, route_ns):
        def norm(r):
            return (r.get("group") or GW_GROUP, r.get("kind") or "Gateway", r.get("namespace") or route_ns,
                    r.get("name"), r.get("sectionName"), r.get("port"))
        return norm(status_ref) == norm(spec_ref)

    def _route_ready(self, route):
        """controllers.md §1.6 IsHTTPRouteReady -> (ok, detail)."""
        ns, gen = route["metadata"]["namespace"], route["metadata"].get("generation", 0)
        parents = (route.get("status") or {}).get("parents") or []
        problems = []
        for ref in route["spec"].get("parentRefs") or []:
            entry = next((p for p in parents if self._route_parent_matches(p.get("parentRef", {}), ref, ns)
                          and find(p.get("conditions"), "Accepted")), None)
            if not entry:
                problems.append(f"parent {ref.get('namespace') or ns}/{ref['name']} has no status")
                continue
            for ctype in ("Accepted", "ResolvedRefs"):
                c = find(entry.get("conditions"), ctype)
                if not c or c.get("status") != "True":
                    problems.append(f"{ctype}={c.get('status') if c else 'Unknown'}"
                                    + (f" (reason {c.get('reason')}: {c.get('message', '')})" if c else ""))
                elif c.get("observedGeneration") and c["observedGeneration"] < gen:
                    problems.append(f"{ctype} stale (observedGeneration {c['observedGeneration']} < {gen})")
        return (not problems), "; ".join(problems)

    def _pool_ready(self, pool, gateways, x=False):
        if not pool:
            return False
        ns, gen = pool["metadata"]["namespace"], pool["metadata"].get("generation", 0)
        st = pool.get("status") or {}
        parents = st.get("parent" if x else "parents") or []
        for gns, gname in gateways:
            ok = False
            for p in parents:
                ref = p.get("parentRef") or {}
                if ref.get("name") == gname and (ref.get("namespace") or ns) == gns:
                    c = find(p.get("conditions"), "Accepted")
                    if c and c.get("status") == "True" and not (
                            (c.get("observedGeneration") or 0) and c["observedGeneration"] < gen):
                        ok = True
            if not ok:
                return False
        return True

    def _status(self, obj, merged, gconf, desired, stopped):
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        router = merged.get("router") or {}
        conds = [knative("PresetsCombined", True)]
        sub_w, sub_r = [], []
        has_worker = merged.get("worker") is not None
        prefill = merged.get("prefill")
        route = router.get("route")
        sched = router.get("scheduler")
        grefs = (router.get("gateway") or {}).get("refs") or []
        managed_sched = sched is not None and not (sched.get("pool") or {}).get("ref") and sched.get("template") is not None
        wnames = ["WorkerWorkloadReady" if has_worker else "MainWorkloadReady"]
        if prefill is not None:
            wnames.append("PrefillWorkerWorkloadReady" if prefill.get("worker") is not None else "PrefillWorkloadReady")
        rnames = (["GatewaysReady"] if grefs else []) + (["HTTPRoutesReady"] if route is not None else []) + \
                 (["InferencePoolReady"] if sched is not None else []) + (["SchedulerWorkloadReady"] if managed_sched else [])
        if stopped:
            for t in wnames + rnames:
                conds.append(knative(t, False, "Stopped", "Service is stopped"))
            conds += [knative("WorkloadsReady", False, "Stopped", "Service is stopped", severity=False),
                      knative("RouterReady", False, "Stopped", "Service is stopped", severity=False),
                      knative("Ready", False, "Stopped", "Service is stopped", severity=False)]
            return {"conditions": conds, "url": None, "addresses": None, "router": None, "workloads": None}

        workloads = {}
        for role, ctype in zip(("main", "prefill"), wnames):
            kind, wname = self._workloads[role]
            key = "primary" if role == "main" else "prefill"
            if kind == "Deployment":
                d = self.deploys.get(ns, wname)
                sub_w.append(self._deployment_cond(d, ctype))
                ready = ((d or {}).get("status") or {}).get("availableReplicas") or 0
                workloads[key] = {"apiGroup": "apps", "kind": "Deployment", "name": wname, "readyReplicas": ready}
            else:
                lws = self.lwss.get(ns, wname)
                sub_w.append(self._lws_cond(lws, ctype))
                ready = ((lws or {}).get("status") or {}).get("readyReplicas") or 0
                workloads[key] = {"apiGroup": "leaderworkerset.x-k8s.io", "kind": "LeaderWorkerSet", "name": wname,
                                  "readyReplicas": ready}
        workloads["service"] = {"kind": "Service", "name": child(name, "-kserve-workload-svc")}

        route_objs, gateways = [], []
        router_status = None
        if grefs:
            problems = []
            for g in grefs:
                gw = self.gateways.get(g.get("namespace") or ns, g["name"])
                if not gw:
                    problems.append(("RefsInvalid", f"Gateway {g.get('namespace') or ns}/{g['name']} does not exist"))
                elif not is_true((gw.get("status") or {}).get("conditions"), "Programmed"):
                    problems.append(("GatewaysNotReady", f"Gateway {g.get('namespace') or ns}/{g['name']} is not programmed"))
            sub_r.append(knative("GatewaysReady", not problems, *(problems[0] if problems else ("", ""))))
        if route is not None:
            rname = child(name, "-kserve-route")
            want = desired.get((GW_V1, "httproutes", rname))
            live = self.routes.get(ns, rname)
            refs = (route.get("http") or {}).get("refs") or []
            route_objs = [live] if want and live else [self.routes.get(ns, r["name"]) for r in refs]
            route_objs = [r for r in route_objs if r]
            missing_gw = None
            for r in [want] if want else route_objs:
                for p in r["spec"].get("parentRefs") or []:
                    gkey = (p.get("namespace") or ns, p["name"])
                    if gkey not in gateways:
                        gateways.append(gkey)
                    if not self.gateways.get(*gkey) and not missing_gw:
                        missing_gw = f"Managed HTTPRoute references non-existent Gateway {gkey[0]}/{gkey[1]}"
            if missing_gw:
                sub_r.append(knative("HTTPRoutesReady", False, "RefsInvalid", missing_gw))
            else:
                details = []
                for r in route_objs:
                    ok, why = self._route_ready(r)
                    if not ok:
                        details.append(f"{r['metadata']['namespace']}/{r['metadata']['name']}: {why}")
                sub_r.append(knative("HTTPRoutesReady", not details, "HTTPRoutesNotReady", "; ".join(details)))
            router_status = {"gateways": [
                {"group": GW_GROUP, "kind": "Gateway", "name": g[1], "namespace": g[0],
                 "httpRoutes": [{"group": GW_GROUP, "kind": "HTTPRoute", "name": r["metadata"]["name"],
                                 "namespace": r["metadata"]["namespace"]} for r in route_objs]} for g in gateways]}
        if sched is not None:
            pref = (sched.get("pool") or {}).get("ref")
            pname = pref["name"] if pref else child(name, "-inference-pool")
            if not gateways:
                sub_r.append(knative("InferencePoolReady", False, "WaitingForGateway",
                                     "No Gateway found for the InferencePool"))
            else:
                ok = self._pool_ready(self.pools.get(ns, pname), gateways) or (
                    not pref and self._pool_ready(self.xpools.get(ns, pname), gateways, x=True))
                sub_r.append(knative("InferencePoolReady", ok, "InferencePoolNotReady",
                                     f"InferencePool {ns}/{pname} is not accepted by all Gateways" if not ok else ""))
            if router_status is not None:
                router_status["scheduler"] = {
                    "inferencePool": {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pname},
                    "service": {"group": "", "kind": "Service", "name": child(name, "-epp-service")}}
        if managed_sched:
            ename = child(name, "-kserve-router-scheduler")
            d = self.deploys.get(ns, ename)
            sub_r.append(self._deployment_cond(d, "SchedulerWorkloadReady", epp=True))
            workloads["scheduler"] = {"apiGroup": "apps", "kind": "Deployment", "name": ename,
                                      "readyReplicas": ((d or {}).get("status") or {}).get("availableReplicas") or 0}

        def rollup(ctype, subs):
            bad = next((c for c in subs if c["status"] != "True"), None)
            if bad is None:
                return knative(ctype, True, severity=False)
            return knative(ctype, False if bad["status"] == "False" else None, bad.get("reason", ""),
                           bad.get("message", ""), severity=False)

        wr, rr = rollup("WorkloadsReady", sub_w), rollup("RouterReady", sub_r)
        ready = rollup("Ready", [wr, rr])
        conds += sub_w + sub_r + [wr, rr, ready]
        addresses, url = self._addresses(ns, name, merged, route_objs, gconf)
        return {"conditions": conds, "url": url, "addresses": addresses, "router": router_status,
                "workloads": workloads}

    # --------------------------------------------------------------------------------- URLs
    def _addresses(self, ns, name, merged, route_objs, gconf):
        model = (merged.get("model") or {}).get("name") or name
        models_all = [{"name": f"publishers/{ns}/models/{model}"}, {"name": model}]
        if not route_objs:
            if (merged.get("router") or {}).get("route") is None:
                scheme = "https" if gconf["EnableTLS"] else "http"
                return [{"url": f"{scheme}://{child(name, '-kserve-workload-svc')}.{ns}.svc.cluster.local"}], None
            return None, None
        found = {}
        for r in route_objs:
            paths = self._bucket_paths(r, ns, name)
            if not paths:
                continue
            for p in r["spec"].get("parentRefs") or []:
                gw = self.gateways.get(p.get("namespace") or ns, p["name"])
                if not gw or not self.gwclasses.get("", gw["spec"].get("gatewayClassName", "")):
                    continue
                gns, gname = gw["metadata"]["namespace"], gw["metadata"]["name"]
                origin = {"group": GW_GROUP, "kind": "Gateway", "name": gname, "namespace": gns}
                listeners = [lst for lst in gw["spec"].get("listeners") or []
                             if (lst["name"] == p["sectionName"] if p.get("sectionName")
                                 else lst.get("protocol") in ("HTTP", "HTTPS", "TLS"))]
                backing = next((s for s in self.services.list(gns)
                                if s["metadata"].get("labels", {}).get("gateway.networking.k8s.io/gateway-name") == gname),
                               None) or self.services.get(gns, gname)
                for lst in listeners:
                    scheme = "https" if lst.get("protocol") in ("HTTPS", "TLS") else "http"
                    port = "" if lst["port"] in (80, 443) else f":{lst['port']}"
                    hosts = [h for h in r["spec"].get("hostnames") or [] if "*" not in h]
                    if not hosts and lst.get("hostname") and "*" not in lst["hostname"]:
                        hosts = [lst["hostname"]]
                    if not hosts:
                        hosts = [a["value"] for a in (gw.get("status") or {}).get("addresses") or []]
                    for bucket, path in paths.items():
                        for h in hosts:
                            u = f"{scheme}://{h}{port}{path}"
                            kind = "gateway-external" if _external(h) else "internal"
                            found[u] = (kind, bucket, origin)
                        if backing and any(sp.get("port") == lst["port"] for sp in backing["spec"].get("ports") or []):
                            u = f"{scheme}://{backing['metadata']['name']}.{gns}.svc.cluster.local{port}{path}"
                            found[u] = ("gateway-internal", bucket, origin)
        addresses = []
        for u in sorted(found):
            kind, bucket, origin = found[u]
            mr = bucket == "model-routing"
            addresses.append({"name": kind + ("-model-routing" if mr else ""), "url": u, "origin": origin,
                              "models": models_all[:1] if mr else models_all})
        prefix = f"/{ns}/{name}"
        urls = [a["url"] for a in addresses]
        ext = [a["url"] for a in addresses if a["name"] == "gateway-external" and _path(a["url"]).startswith(prefix)]
        if ext:
            url = ext[0]
        else:
            cand = [u for u in urls if _path(u).startswith(prefix)]
            pref = [u for u in cand if u.startswith(gconf["UrlScheme"] + "://")]
            url = (pref or cand or [None])[0]
        return addresses or None, url

    @staticmethod
    def _bucket_paths(route, ns, name):
        """Shallowest Service-backed path per bucket (path-based, publisher, model-routing)."""
        out = {}
        for rule in route["spec"].get("rules") or []:
            if not any(b.get("kind", "Service") == "Service" and not b.get("group") for b in rule.get("backendRefs") or []):
                continue
            for m in rule.get("matches") or [{}]:
                value = (m.get("path") or {}).get("value", "/")
                if value.startswith(f"/{ns}/{name}"):
                    bucket = "path"
                elif value.startswith("/publishers/"):
                    bucket = "publisher"
                elif m.get("headers"):
                    bucket = "model-routing"
                else:
                    bucket = "path"
                if bucket == "model-routing":
                    value = "/"
                if bucket not in out or len(value) < len(out[bucket]):
                    out[bucket] = value
        return out

    # ---------------------------------------------------------------------------- writing
    def _write_status(self, obj, status):
        old = obj.get("status") or {}
        conds = []
        prev = {c.get("type"): c for c in old.get("conditions") or []}
        for c in sorted(status.get("conditions") or [], key=lambda c: c["type"]):
            p = prev.get(c["type"])
            c["lastTransitionTime"] = p["lastTransitionTime"] if p and p.get("status") == c["status"] \
                and p.get("lastTransitionTime") else now()
            conds.append(c)
        status["conditions"] = conds
        new = {k: v for k, v in status.items() if v is not None}
        if new == {k: v for k, v in old.items() if k in new} and not any(k not in new for k in old):
            return
        # the apiserver may prune/default what we write; don't rewrite the same thing forever
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        sig = (json.dumps(new, sort_keys=True), json.dumps(old, sort_keys=True))
        if self._last_written.get(key) == sig:
            return
        patch = dict(new)
        for k in old:
            if k not in new:
                patch[k] = None
        m = obj["metadata"]
        stored = self.kube.merge_patch(path_for(API, "llminferenceservices", m["namespace"], m["name"], "status"),
                                       {"status": patch})
        self._last_written[key] = (sig[0], json.dumps((stored or {}).get("status") or {}, sort_keys=True))
        was = (prev.get("Ready") or {}).get("status")
        now_ready = next((c["status"] for c in conds if c["type"] == "Ready"), None)
        if was != now_ready and now_ready in ("True", "False"):
            if now_ready == "True":
                self.kube.event(obj, "Normal", "LLMInferenceServiceReady", "LLMInferenceService is ready", MANAGER)
            else:
                r = next(c for c in conds if c["type"] == "Ready")
                self.kube.event(obj, "Warning", "LLMInferenceServiceNotReady",
                                f"{r.get('reason', '')}: {r.get('message', '')}", MANAGER)

    def _maybe_migrate_pool_group(self, obj, desired):
        """v0.17+ quirk: move backendRefs to inference.networking.k8s.io once the gateway says InvalidKind
        for the x-k8s.io pool (Istio) or ResolvedRefs=True for a v1 backend."""
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        if (obj["metadata"].get("annotations") or {}).get(MIGRATED) == "v1":
            return
        route = self.routes.get(ns, child(name, "-kserve-route"))
        if not route:
            return
        groups = {b.get("group") for r in route["spec"].get("rules") or [] for b in r.get("backendRefs") or []
                  if b.get("kind") == "InferencePool"}
        for p in (route.get("status") or {}).get("parents") or []:
            c = find(p.get("conditions"), "ResolvedRefs")
            if not c:
                continue
            if (c.get("status") == "False" and c.get("reason") == "InvalidKind"
                    and "inference.networking.x-k8s.io" in groups) or (
                    c.get("status") == "True" and "inference.networking.k8s.io" in groups):
                self.kube.merge_patch(path_for(API, "llminferenceservices", ns, name),
                                      {"metadata": {"annotations": {MIGRATED: "v1"}}})
                return


def _path(url: str) -> str:
    rest = url.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def _external(host: str) -> bool:
    if host.endswith((".local", ".internal", ".cluster.local")) or host == "localhost":
        return False
    try:
        ip = ipaddress.ip_address(host)
        return not (ip.is_private and not _is_documentation(ip)) and not ip.is_loopback
    except ValueError:
        return True


def _is_documentation(ip) -> bool:
    return any(ip in ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def _self_signed(cn: str):
    """-> (cert PEM, key PEM, expiry RFC3339). ECDSA P-256 to stay fast."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.datetime.now(datetime.timezone.utc)
    end = start + datetime.timedelta(days=3650)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn), x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            end.strftime("%Y-%m-%dT%H:%M:%SZ"))
