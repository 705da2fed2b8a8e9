"""Stand-in for the sail-operator (sailoperator.io/v1 Istio, IstioCNI), controllers.md §5.

The real operator Helm-installs istiod / the CNI DaemonSet, which cannot run on a kwok cluster (no
containers). This stand-in only writes the status the operator writes once istiod is ready:
``Reconciled=True``, ``Ready=True``, ``DependenciesHealthy=True`` (Istio), ``state: Healthy``,
``observedGeneration``, and for Istio ``activeRevisionName`` / ``revisions``.
"""
from __future__ import annotations

from .conditions import cond, merge_conditions
from .kube import path_for
from .loop import Controller

API = "sailoperator.io/v1"


class IstioController(Controller):
    name = "istio"

    def __init__(self, kube, inf):
        super().__init__(kube)
        self.istios = inf.get(API, "istios", optional=True)
        self.cnis = inf.get(API, "istiocnis", optional=True)
        self.istios.add_handler(lambda e, o: e != "DELETED" and self.enqueue(("istios", o["metadata"]["name"])))
        self.cnis.add_handler(lambda e, o: e != "DELETED" and self.enqueue(("istiocnis", o["metadata"]["name"])))

    def reconcile(self, key):
        plural, name = key
        obj = (self.istios if plural == "istios" else self.cnis).get("", name)
        if not obj or obj["metadata"].get("deletionTimestamp"):
            return None
        old = obj.get("status") or {}
        conds = [cond("Reconciled", True, "Reconciled"), cond("Ready", True, "Ready")]
        if plural == "istios":
            conds.append(cond("DependenciesHealthy", True, "Healthy"))
        for c in conds:
            del c["message"]
        status = {"observedGeneration": obj["metadata"].get("generation"),
                  "conditions": merge_conditions(old.get("conditions"), conds), "state": "Healthy"}
        if plural == "istios":
            status["activeRevisionName"] = name
            status["revisions"] = {"total": 1, "ready": 1, "inUse": 1}
        if {k: old.get(k) for k in status} != status:
            self.kube.merge_patch(path_for(API, plural, None, name, "status"), {"status": status})
        return None
