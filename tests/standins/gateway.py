"""Stand-in for the Gateway API implementations: Istio (istio.io/gateway-controller) and GKE
(networking.gke.io/gateway). See docs controllers.md §2 (Istio) and §6 (GKE).

Neither can run here: istiod programs Envoy pods (no containers on a kwok cluster) and the GKE
controller is closed source and provisions Google Cloud load balancers. This stand-in only writes the
status those controllers write, from the real objects in the cluster:

* GatewayClass with one of our controllerNames: ``Accepted=True``.
* Gateway of such a class: ``Accepted``/``Programmed=True``, ``status.addresses`` (a fixed documentation
  IP, $LLMD_XKS_GATEWAY_ADDRESS, default 203.0.113.10) and per-listener status with ``attachedRoutes``.
  For Istio also the backing ClusterIP Service ``<gateway>-istio`` (owned by the Gateway), which KServe
  uses for its cluster-internal URLs.
* HTTPRoute: ``status.parents[]`` for every parentRef to such a Gateway: ``Accepted`` (False
  ``NotAllowedByListeners`` / ``NoMatchingParent``), ``ResolvedRefs`` (False ``BackendNotFound``,
  ``InvalidKind`` for ``inference.networking.x-k8s.io`` InferencePools and unknown kinds,
  ``RefNotPermitted`` for cross-namespace refs without a ReferenceGrant), ``observedGeneration``.
  Parent entries of other controllers are kept.
* InferencePool (inference.networking.k8s.io/v1): ``status.parents[]`` per Gateway that accepted an
  HTTPRoute referencing the pool (``Accepted``; ``ResolvedRefs`` checks the endpointPickerRef Service).
"""
from __future__ import annotations

import os

from .conditions import cond, is_true, merge_conditions
from .kube import path_for
from .loop import Controller, owner_ref

GW_GROUP = "gateway.networking.k8s.io"
GW_V1 = "gateway.networking.k8s.io/v1"
POOL_GROUP = "inference.networking.k8s.io"
XPOOL_GROUP = "inference.networking.x-k8s.io"
ISTIO = "istio.io/gateway-controller"
GKE = "networking.gke.io/gateway"
OURS = (ISTIO, GKE)
ADDRESS = os.environ.get("LLMD_XKS_GATEWAY_ADDRESS", "203.0.113.10")


class GatewayController(Controller):
    name = "gateway"

    def __init__(self, kube, inf):
        super().__init__(kube)
        self.classes = inf.get(GW_V1, "gatewayclasses")
        self.gateways = inf.get(GW_V1, "gateways")
        self.routes = inf.get(GW_V1, "httproutes")
        self.pools = inf.get(f"{POOL_GROUP}/v1", "inferencepools", optional=True)
        self.xpools = inf.get(f"{XPOOL_GROUP}/v1alpha2", "inferencepools", optional=True)
        self.services = inf.get("v1", "services")
        self.grants = inf.get(f"{GW_GROUP}/v1beta1", "referencegrants", optional=True)
        self.namespaces = inf.get("v1", "namespaces")
        self.classes.add_handler(self._on_class)
        self.gateways.add_handler(self._on_gateway)
        self.routes.add_handler(self._on_route)
        self.pools.add_handler(self._on_pool)
        self.xpools.add_handler(lambda e, o: self._routes_referencing(o, XPOOL_GROUP, "InferencePool"))
        self.services.add_handler(self._on_service)
        self.grants.add_handler(lambda e, o: [self.enqueue(("HTTPRoute",) + k) for k in self._route_keys()])

    # ------------------------------------------------------------------------------- event fan-out
    def _route_keys(self):
        return [(r["metadata"]["namespace"], r["metadata"]["name"]) for r in self.routes.list()]

    def _on_class(self, _etype, gc):
        self.enqueue(("GatewayClass", "", gc["metadata"]["name"]))
        for gw in self.gateways.list():
            if gw["spec"].get("gatewayClassName") == gc["metadata"]["name"]:
                self.enqueue(("Gateway", gw["metadata"]["namespace"], gw["metadata"]["name"]))

    def _on_gateway(self, _etype, gw):
        ns, name = gw["metadata"]["namespace"], gw["metadata"]["name"]
        self.enqueue(("Gateway", ns, name))
        for r in self.routes.list():
            if any(p[0] == ns and p[1] == name for p in self._parent_keys(r)):
                self.enqueue(("HTTPRoute", r["metadata"]["namespace"], r["metadata"]["name"]))

    def _on_route(self, _etype, r):
        ns = r["metadata"]["namespace"]
        self.enqueue(("HTTPRoute", ns, r["metadata"]["name"]))
        for gns, gname, _ref in self._parent_keys(r):
            self.enqueue(("Gateway", gns, gname))
        for b_ns, group, kind, name in self._backends(r):
            if group == POOL_GROUP and kind == "InferencePool":
                self.enqueue(("InferencePool", b_ns, name))

    def _on_pool(self, _etype, pool):
        self.enqueue(("InferencePool", pool["metadata"]["namespace"], pool["metadata"]["name"]))
        self._routes_referencing(pool, POOL_GROUP, "InferencePool")

    def _on_service(self, _etype, svc):
        self._routes_referencing(svc, "", "Service")
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        for p in self.pools.list(ns):
            if (p["spec"].get("endpointPickerRef") or {}).get("name") == name:
                self.enqueue(("InferencePool", ns, p["metadata"]["name"]))

    def _routes_referencing(self, obj, group, kind):
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        for r in self.routes.list():
            if any(b == (ns, group, kind, name) for b in self._backends(r)):
                self.enqueue(("HTTPRoute", r["metadata"]["namespace"], r["metadata"]["name"]))

    # ------------------------------------------------------------------------------------ helpers
    @staticmethod
    def _parent_keys(route):
        ns = route["metadata"]["namespace"]
        out = []
        for p in route["spec"].get("parentRefs") or []:
            if p.get("group", GW_GROUP) == GW_GROUP and p.get("kind", "Gateway") == "Gateway":
                out.append((p.get("namespace") or ns, p["name"], p))
        return out

    @staticmethod
    def _backends(route):
        ns = route["metadata"]["namespace"]
        out = []
        for rule in route["spec"].get("rules") or []:
            for b in rule.get("backendRefs") or []:
                out.append((b.get("namespace") or ns, b.get("group", ""), b.get("kind", "Service"), b["name"]))
        return out

    def _controller_of(self, gw) -> str | None:
        gc = self.classes.get("", gw["spec"].get("gatewayClassName", ""))
        ctrl = gc and gc["spec"].get("controllerName")
        return ctrl if ctrl in OURS else None

    def _write_status(self, api_version, plural, obj, status) -> bool:
        if (obj.get("status") or {}) == status:
            return False
        m = obj["metadata"]
        body = {"status": status}
        self.kube.merge_patch(path_for(api_version, plural, m.get("namespace"), m["name"], "status"), body)
        return True

    # ---------------------------------------------------------------------------------- reconcile
    def reconcile(self, key):
        kind, ns, name = key
        return getattr(self, f"_reconcile_{kind.lower()}")(ns, name)

    def _reconcile_gatewayclass(self, _ns, name):
        gc = self.classes.get("", name)
        if not gc or gc["spec"].get("controllerName") not in OURS:
            return None
        old = (gc.get("status") or {}).get("conditions")
        conds = merge_conditions(old, [
            cond("Accepted", True, "Accepted", "Handled by the llmd-xks stand-in gateway controller",
                 gc["metadata"].get("generation"))])
        status = dict(gc.get("status") or {})
        status["conditions"] = conds
        self._write_status(GW_V1, "gatewayclasses", gc, status)
        return None

    def _reconcile_gateway(self, ns, name):
        gw = self.gateways.get(ns, name)
        if not gw or gw["metadata"].get("deletionTimestamp"):
            return None
        ctrl = self._controller_of(gw)
        if not ctrl:
            return None
        gen = gw["metadata"].get("generation")
        svc_name = f"{name}-{gw['spec']['gatewayClassName']}"
        listeners = gw["spec"].get("listeners") or []
        if ctrl == ISTIO:
            self._ensure_istio_service(gw, svc_name, listeners)
            ports = ",".join(f"{svc_name}.{ns}.svc.cluster.local:{lst['port']}" for lst in listeners)
            programmed_msg = f"Resource programmed, assigned to service(s) {ports}"
            accepted_msg = "Resource accepted"
        else:
            programmed_msg = accepted_msg = ""
        attached = {lst["name"]: 0 for lst in listeners}
        for r in self.routes.list():
            for p in (r.get("status") or {}).get("parents") or []:
                ref = p.get("parentRef", {})
                if (p.get("controllerName") == ctrl and ref.get("name") == name
                        and (ref.get("namespace") or r["metadata"]["namespace"]) == ns
                        and is_true(p.get("conditions"), "Accepted")):
                    for lname in attached:
                        if not ref.get("sectionName") or ref.get("sectionName") == lname:
                            attached[lname] += 1
        old = gw.get("status") or {}
        old_listeners = {ls["name"]: ls for ls in old.get("listeners") or []}
        lstatus = []
        for lst in listeners:
            kinds = [{"group": GW_GROUP, "kind": "HTTPRoute"}]
            if ctrl == ISTIO:
                kinds.append({"group": GW_GROUP, "kind": "GRPCRoute"})
            msg = "No errors found" if ctrl == ISTIO else ""
            lstatus.append({
                "name": lst["name"], "attachedRoutes": attached[lst["name"]], "supportedKinds": kinds,
                "conditions": merge_conditions((old_listeners.get(lst["name"]) or {}).get("conditions"), [
                    cond("Accepted", True, "Accepted", msg, gen),
                    cond("Conflicted", False, "NoConflicts", msg, gen),
                    cond("Programmed", True, "Programmed", msg, gen),
                    cond("ResolvedRefs", True, "ResolvedRefs", msg, gen)])})
        status = {
            "addresses": [{"type": "IPAddress", "value": ADDRESS}],
            "conditions": merge_conditions(old.get("conditions"), [
                cond("Accepted", True, "Accepted", accepted_msg, gen),
                cond("Programmed", True, "Programmed", programmed_msg, gen)]),
            "listeners": lstatus,
        }
        self._write_status(GW_V1, "gateways", gw, status)
        return None

    def _ensure_istio_service(self, gw, svc_name, listeners):
        ns, name = gw["metadata"]["namespace"], gw["metadata"]["name"]
        ports = [{"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021}]
        ports += [{"name": lst["name"], "port": lst["port"], "protocol": "TCP", "targetPort": lst["port"]}
                  for lst in listeners if lst["port"] != 15021]
        want = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": svc_name, "namespace": ns,
                             "labels": {"gateway.networking.k8s.io/gateway-name": name,
                                        "gateway.istio.io/managed": "istio.io-gateway-controller"},
                             "annotations": {"networking.istio.io/service-type": "ClusterIP"},
                             "ownerReferences": [owner_ref(gw)]},
                "spec": {"type": "ClusterIP", "ports": ports,
                         "selector": {"gateway.networking.k8s.io/gateway-name": name}}}
        have = self.services.get(ns, svc_name)
        if have and [(p["name"], p["port"]) for p in have["spec"].get("ports", [])] == \
                [(p["name"], p["port"]) for p in ports]:
            return
        self.kube.apply(path_for("v1", "services", ns, svc_name), want, manager="istio.io-gateway-controller")

    def _reference_granted(self, from_ns, to_ns, group, kind, name) -> bool:
        for g in self.grants.list(to_ns):
            spec = g.get("spec", {})
            if not any(f.get("group") == GW_GROUP and f.get("kind") == "HTTPRoute" and f.get("namespace") == from_ns
                       for f in spec.get("from", [])):
                continue
            if any(t.get("group", "") == group and t.get("kind") == kind and t.get("name", name) == name
                   for t in spec.get("to", [])):
                return True
        return False

    def _resolved_refs(self, route, ctrl):
        rns = route["metadata"]["namespace"]
        for b_ns, group, kind, name in self._backends(route):
            if b_ns != rns and not self._reference_granted(rns, b_ns, group, kind, name):
                return False, "RefNotPermitted", f"backendRef {name} not accessible to a HTTPRoute in namespace " \
                                                 f"\"{rns}\" (missing a ReferenceGrant?)"
            if group == "" and kind == "Service":
                if not self.services.get(b_ns, name):
                    return False, "BackendNotFound", f"backend({name}.{b_ns}.svc.cluster.local) not found"
            elif group == POOL_GROUP and kind == "InferencePool":
                if not self.pools.get(b_ns, name):
                    return False, "BackendNotFound", f"backend({name}) not found"
            else:
                return False, "InvalidKind", f"referencing unsupported backendRef: group \"{group}\" kind \"{kind}\""
        return True, "ResolvedRefs", "All references resolved" if ctrl == ISTIO else ""

    def _reconcile_httproute(self, ns, name):
        route = self.routes.get(ns, name)
        if not route or route["metadata"].get("deletionTimestamp"):
            return None
        gen = route["metadata"].get("generation")
        old_parents = (route.get("status") or {}).get("parents") or []
        ours, handled = [], set()
        for gns, gname, ref in self._parent_keys(route):
            gw = self.gateways.get(gns, gname)
            ctrl = gw and self._controller_of(gw)
            if not ctrl:
                continue  # no Gateway (yet) or not ours: a real implementation writes nothing either
            accepted = (True, "Accepted", "Route was valid" if ctrl == ISTIO else "")
            listeners = [lst for lst in gw["spec"].get("listeners") or []
                         if (not ref.get("sectionName") or lst["name"] == ref["sectionName"])
                         and (not ref.get("port") or lst["port"] == ref["port"])]
            if not listeners:
                accepted = (False, "NoMatchingParent", f"no listener matches sectionName {ref.get('sectionName')!r}")
            elif not any(self._allowed(lst, gns, ns) for lst in listeners):
                accepted = (False, "NotAllowedByListeners",
                            f"hostnames matched parent hostname \"\", but namespace \"{ns}\" is not allowed by the parent")
            resolved = self._resolved_refs(route, ctrl)
            conds = [cond("Accepted", accepted[0], accepted[1], accepted[2], gen),
                     cond("ResolvedRefs", resolved[0], resolved[1], resolved[2], gen)]
            if ctrl == GKE:
                conds.append(cond("Reconciled", True, "ReconciliationSucceeded", "Reconciliation succeeded", gen))
            prev = next((p for p in old_parents if p.get("controllerName") == ctrl
                         and self._same_ref(p.get("parentRef", {}), ref, ns)), None)
            parent_ref = dict(ref)
            ours.append({"parentRef": parent_ref, "controllerName": ctrl,
                         "conditions": merge_conditions((prev or {}).get("conditions"), conds)})
            handled.add(ctrl)
        others = [p for p in old_parents if p.get("controllerName") not in OURS]
        status = {"parents": others + ours}
        if status["parents"] or old_parents:
            self._write_status(GW_V1, "httproutes", route, status)
        return None

    @staticmethod
    def _same_ref(a, b, route_ns):
        def norm(r):
            return (r.get("group", GW_GROUP), r.get("kind", "Gateway"), r.get("namespace") or route_ns,
                    r["name"], r.get("sectionName"), r.get("port"))
        return norm(a) == norm(b)

    def _allowed(self, listener, gw_ns, route_ns) -> bool:
        if listener.get("protocol") not in ("HTTP", "HTTPS"):
            return False
        frm = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from", "Same")
        if frm == "All":
            return True
        if frm == "Same":
            return gw_ns == route_ns
        if frm == "Selector":
            sel = (((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("selector") or {})
            nsobj = self.namespaces.get("", route_ns)
            labels = (nsobj or {}).get("metadata", {}).get("labels", {})
            return all(labels.get(k) == v for k, v in (sel.get("matchLabels") or {}).items())
        return False

    def _reconcile_inferencepool(self, ns, name):
        pool = self.pools.get(ns, name)
        if not pool or pool["metadata"].get("deletionTimestamp"):
            return None
        gen = pool["metadata"].get("generation")
        epp = pool["spec"].get("endpointPickerRef") or {}
        if epp.get("kind", "Service") != "Service":
            resolved = (False, "InvalidExtensionRef", f"Unsupported ExtensionRef kind {epp.get('kind')}")
        elif not self.services.get(ns, epp.get("name", "")):
            resolved = (False, "InvalidExtensionRef", f"Referenced ExtensionRef not found {epp.get('name')}")
        else:
            resolved = (True, "ResolvedRefs", "Referenced ExtensionRef resolved successfully")
        accepted_by: dict[tuple, bool] = {}
        for r in self.routes.list():
            if (ns, POOL_GROUP, "InferencePool", name) not in self._backends(r):
                continue
            for p in (r.get("status") or {}).get("parents") or []:
                if p.get("controllerName") not in OURS:
                    continue
                ref = p.get("parentRef", {})
                gkey = (ref.get("namespace") or r["metadata"]["namespace"], ref["name"])
                accepted_by[gkey] = accepted_by.get(gkey, False) or is_true(p.get("conditions"), "Accepted")
        old_parents = (pool.get("status") or {}).get("parents") or []
        our_gws = {(g["metadata"]["namespace"], g["metadata"]["name"]) for g in self.gateways.list()
                   if self._controller_of(g)}
        keep = [p for p in old_parents
                if p.get("parentRef", {}).get("kind") != "Status"
                and ((p["parentRef"].get("namespace") or ns), p["parentRef"]["name"]) not in our_gws]
        ours = []
        for (gns, gname), ok in sorted(accepted_by.items()):
            prev = next((p for p in old_parents if p.get("parentRef", {}).get("name") == gname
                         and (p["parentRef"].get("namespace") or ns) == gns), None)
            conds = [cond("Accepted", ok, "Accepted" if ok else "HTTPRouteNotAccepted",
                          "Referenced by an HTTPRoute accepted by the parentRef Gateway" if ok
                          else "Referenced HTTPRoute not accepted by the parentRef Gateway", gen),
                     cond("ResolvedRefs", resolved[0], resolved[1], resolved[2], gen)]
            ours.append({"parentRef": {"group": GW_GROUP, "kind": "Gateway", "namespace": gns, "name": gname},
                         "conditions": merge_conditions((prev or {}).get("conditions"), conds)})
        status = dict(pool.get("status") or {})
        status["parents"] = keep + ours
        if not status["parents"] and not old_parents:
            return None
        self._write_status(f"{POOL_GROUP}/v1", "inferencepools", pool, status)
        return None
