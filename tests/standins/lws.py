"""Stand-in for the LeaderWorkerSet controller (kubernetes-sigs/lws v0.8.0), controllers.md §4.

Why not the real one: LWS depends on its pod mutating webhook (it sets the group/worker index labels
and env the controller relies on) and serving that webhook from the host needs URL-based webhook
configurations and our own serving certificates; with webhooks off LWS is not functional.

What this stand-in does, for LWS ``L`` in namespace ``N`` (size ``S``, replicas ``R``):
* headless Service ``L`` (owner: the LWS);
* leader StatefulSet ``L`` (replicas R, pod template = leaderTemplate or workerTemplate, labels
  ``leaderworkerset.sigs.k8s.io/name``, ``worker-index: "0"``, ``template-revision-hash``; owner: LWS);
* for every leader Pod ``L-<g>`` that exists, when S > 1, a worker StatefulSet ``L-<g>`` (replicas S-1,
  ``ordinals.start: 1`` so workers are ``L-<g>-1 .. L-<g>-<S-1>``, workerTemplate, labels incl.
  ``group-index``/``group-key``; owner: the leader Pod, as upstream), so
  deleting a group's leader cascades to its workers through the real garbage collector;
* what the webhook would add to pods later: ``group-index``/``worker-index`` labels (patched onto
  pods from the StatefulSet ``apps.kubernetes.io/pod-index`` label), ``LWS_LEADER_ADDRESS``,
  ``LWS_GROUP_SIZE`` env in the worker template;
* ``status``: ``replicas``, ``readyReplicas`` (groups whose leader Pod is Ready and whose worker
  StatefulSet has S-1 ready replicas, both as computed by the real kube-controller-manager from kwok's
  Running pods), ``updatedReplicas``, ``hpaPodSelector`` and conditions ``Available``
  (``AllGroupsReady``) / ``Progressing`` (``GroupsProgressing``), only-True-added like upstream.
"""
from __future__ import annotations

import copy
import hashlib
import json

from .conditions import cond, find, merge_conditions
from .kube import path_for
from .loop import Controller, owner_ref

API = "leaderworkerset.x-k8s.io/v1"
P = "leaderworkerset.sigs.k8s.io/"
L_NAME, L_WORKER, L_GROUP, L_GKEY, L_HASH = (P + "name", P + "worker-index", P + "group-index",
                                             P + "group-key", P + "template-revision-hash")
A_SIZE, A_REPLICAS, A_LEADER = P + "size", P + "replicas", P + "leader-name"
MANAGER = "lws-controller-standin"


def _sha(s: str, n: int = 40) -> str:
    return hashlib.sha1(s.encode()).hexdigest()[:n]


def _pod_ready(pod) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def _add_env(template: dict, env: list) -> None:
    for c in template.get("spec", {}).get("containers", []):
        names = {e["name"] for e in c.get("env", [])}
        c.setdefault("env", []).extend(e for e in env if e["name"] not in names)


class LWSController(Controller):
    name = "lws"

    def __init__(self, kube, inf):
        super().__init__(kube)
        self.lws = inf.get(API, "leaderworkersets", optional=True)
        self.sts = inf.get("apps/v1", "statefulsets", label_selector=L_NAME)
        self.pods = inf.get("v1", "pods", label_selector=L_NAME)
        self.lws.add_handler(lambda e, o: self.enqueue(("LWS",) + (o["metadata"]["namespace"], o["metadata"]["name"])))
        self.sts.add_handler(self._on_child)
        self.pods.add_handler(self._on_pod)

    def _on_child(self, _etype, obj):
        lname = obj["metadata"].get("labels", {}).get(L_NAME)
        if lname:
            self.enqueue(("LWS", obj["metadata"]["namespace"], lname))

    def _on_pod(self, etype, pod):
        self._on_child(etype, pod)
        if etype != "DELETED":
            self.enqueue(("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def reconcile(self, key):
        kind, ns, name = key
        if kind == "Pod":
            return self._label_pod(ns, name)
        return self._reconcile_lws(ns, name)

    # ------------------------------------------------------------------ the webhook's pod labels
    def _label_pod(self, ns, name):
        pod = self.pods.get(ns, name)
        if not pod or pod["metadata"].get("deletionTimestamp"):
            return None
        labels = pod["metadata"].get("labels", {})
        idx = labels.get("apps.kubernetes.io/pod-index")
        if idx is None:
            return None
        want = {}
        if labels.get(L_WORKER) == "0":  # leader pod: group index = its ordinal
            want[L_GROUP] = idx
            want[L_GKEY] = _sha(f"{ns}/{labels[L_NAME]}-{idx}")
        elif L_GROUP in labels and L_WORKER not in labels:  # worker pod: its ordinal (workers start at 1)
            want[L_WORKER] = idx
        want = {k: v for k, v in want.items() if labels.get(k) != v}
        if want:
            self.kube.merge_patch(path_for("v1", "pods", ns, name), {"metadata": {"labels": want}})
        return None

    # ---------------------------------------------------------------------------------- the LWS
    def _reconcile_lws(self, ns, name):
        lws = self.lws.get(ns, name)
        if not lws or lws["metadata"].get("deletionTimestamp"):
            return None
        spec = lws["spec"]
        replicas = spec.get("replicas", 1)
        lwt = spec.get("leaderWorkerTemplate") or {}
        size = lwt.get("size", 1)
        worker_tpl = copy.deepcopy(lwt.get("workerTemplate") or {})
        leader_tpl = copy.deepcopy(lwt.get("leaderTemplate") or worker_tpl)
        revision = _sha(json.dumps([leader_tpl, worker_tpl, size], sort_keys=True), 10)
        owner = owner_ref(lws)

        # headless service
        self.kube.apply(path_for("v1", "services", ns, name), {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": {L_NAME: name}, "ownerReferences": [owner]},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": {L_NAME: name}}},
            manager=MANAGER)

        # leader statefulset
        lt = copy.deepcopy(leader_tpl)
        lmeta = lt.setdefault("metadata", {})
        lmeta.setdefault("labels", {}).update({L_NAME: name, L_WORKER: "0", L_HASH: revision})
        lmeta.setdefault("annotations", {})[A_SIZE] = str(size)
        _add_env(lt, [{"name": "LWS_GROUP_SIZE", "value": str(size)}])
        self._apply_sts(ns, name, owner, replicas, {L_NAME: name, L_WORKER: "0"}, lt,
                        {L_NAME: name, L_HASH: revision}, {A_REPLICAS: str(replicas)}, name)

        # worker statefulsets, one per existing leader pod
        leaders = {p["metadata"]["name"]: p for p in self.pods.list(ns)
                   if p["metadata"].get("labels", {}).get(L_NAME) == name
                   and p["metadata"]["labels"].get(L_WORKER) == "0"}
        wanted = set()
        if size > 1:
            for g in range(replicas):
                leader = leaders.get(f"{name}-{g}")
                if not leader or leader["metadata"].get("deletionTimestamp"):
                    continue
                sts_name = f"{name}-{g}"
                wanted.add(sts_name)
                gkey = _sha(f"{ns}/{name}-{g}")
                wt = copy.deepcopy(worker_tpl)
                wmeta = wt.setdefault("metadata", {})
                wmeta.setdefault("labels", {}).update({L_NAME: name, L_GROUP: str(g), L_GKEY: gkey, L_HASH: revision})
                wmeta.setdefault("annotations", {}).update({A_SIZE: str(size), A_LEADER: leader["metadata"]["name"]})
                _add_env(wt, [{"name": "LWS_LEADER_ADDRESS", "value": f"{name}-{g}.{name}.{ns}"},
                              {"name": "LWS_GROUP_SIZE", "value": str(size)}])
                pod_owner = {"apiVersion": "v1", "kind": "Pod", "name": leader["metadata"]["name"],
                             "uid": leader["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
                self._apply_sts(ns, sts_name, pod_owner, size - 1, {L_NAME: name, L_GKEY: gkey}, wt,
                                {L_NAME: name, L_GROUP: str(g), L_GKEY: gkey, L_HASH: revision}, {}, name,
                                start_ordinal=1)
        for s in self.sts.list(ns):
            sname = s["metadata"]["name"]
            if (s["metadata"].get("labels", {}).get(L_NAME) == name and sname != name and sname not in wanted
                    and not s["metadata"].get("deletionTimestamp")):
                self.kube.delete(path_for("apps/v1", "statefulsets", ns, sname))

        # status
        ready = 0
        for g in range(replicas):
            leader = leaders.get(f"{name}-{g}")
            if not leader or not _pod_ready(leader):
                continue
            if size > 1:
                w = self.sts.get(ns, f"{name}-{g}")
                if not w or (w.get("status") or {}).get("readyReplicas", 0) < size - 1:
                    continue
            ready += 1
        leader_sts = self.sts.get(ns, name)
        current = (leader_sts or {}).get("status", {}).get("replicas", 0)
        gen = lws["metadata"].get("generation")
        old = lws.get("status") or {}
        old_conds = old.get("conditions") or []
        if ready == replicas:
            new = [cond("Available", True, "AllGroupsReady", "All replicas are ready", gen)]
            if find(old_conds, "Progressing"):
                new.append(cond("Progressing", False, "GroupsProgressing", "Replicas are progressing", gen))
        else:
            new = [cond("Progressing", True, "GroupsProgressing", "Replicas are progressing", gen)]
            if find(old_conds, "Available"):
                new.append(cond("Available", False, "AllGroupsReady", "All replicas are ready", gen))
        new.sort(key=lambda c: c["type"])
        status = {"replicas": current, "readyReplicas": ready, "updatedReplicas": ready,
                  "hpaPodSelector": f"{L_NAME}={name},{L_WORKER}=0",
                  "conditions": merge_conditions(old_conds, new)}
        if {k: old.get(k) for k in status} != status:
            self.kube.merge_patch(path_for(API, "leaderworkersets", ns, name, "status"), {"status": status})
        return None

    def _apply_sts(self, ns, sts_name, owner, replicas, selector, template, labels, annotations, service,
                   start_ordinal=0):
        body = {"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": {"name": sts_name, "namespace": ns, "labels": labels, "annotations": annotations,
                             "ownerReferences": [owner]},
                "spec": {"replicas": replicas, "serviceName": service, "podManagementPolicy": "Parallel",
                         "selector": {"matchLabels": selector}, "template": template}}
        if start_ordinal:
            body["spec"]["ordinals"] = {"start": start_ordinal}
        self.kube.apply(path_for("apps/v1", "statefulsets", ns, sts_name), body, manager=MANAGER)
