# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: how to move a deployed pattern to another stack or pattern.

``plan_migration(source, target, deployed)`` takes the renderings of the source and the target
(the ``pattern_plan`` results) and what ``stack_info`` found, and decides, without cluster access:

* whether there is anything to do (``noop``), or whether a previous run already finished (``done``);
* the objects the target shares with the source (same kind and name, updated in place: their live
  spec is snapshotted for a rollback), and the KServe gateways both must stay on during the change;
* how traffic moves: ``weights`` (our own HTTPRoute on a gateway both stacks use gets weighted
  backendRefs in steps) or ``switch`` (both serve side by side, then the source is removed);
* what removing the source deletes (its objects and chart releases minus the target's) and what a
  rollback deletes (the target's objects and chart releases minus the source's).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

KSERVE_STACKS = ("istio_kserve", "kserve_gke_gateway")
INFERENCE_GROUPS = ("inference.networking.k8s.io", "inference.networking.x-k8s.io")
COMPAT_SUFFIX = "-paths"


class MigrationError(Exception):
    pass


def _key(manifest):
    group = manifest["apiVersion"].split("/", 1)[0] if "/" in manifest["apiVersion"] else ""
    if group in INFERENCE_GROUPS:
        group = "inference"  # one logical kind across the two API groups
    return (group, manifest["kind"], manifest["metadata"].get("namespace"), manifest["metadata"]["name"])


def _find(deployed, stack, release):
    for entry in deployed or []:
        if entry.get("stack") == stack and entry.get("release") == release:
            return entry
    return None


def _gateway_key(summary):
    return summary.get("gateway")


def _route(plan):
    for manifest in plan.get("manifests") or []:
        if manifest["kind"] == "HTTPRoute" and manifest["metadata"]["name"] == plan["summary"]["release"]:
            return manifest
    return None


def weighted_route(source_route, source_release, target_release, weight):
    """The source's HTTPRoute with each rule split between the source pool and the target pool of the same model."""
    route = copy.deepcopy(source_route)
    for rule in route["spec"]["rules"]:
        refs = []
        for ref in rule.get("backendRefs") or []:
            if ref.get("kind") != "InferencePool" or not ref["name"].startswith(source_release + "-"):
                refs.append(ref)
                continue
            model = ref["name"][len(source_release) + 1:]
            refs.append(dict(ref, weight=100 - weight))
            refs.append(dict(ref, name="%s-%s" % (target_release, model), weight=weight))
        rule["backendRefs"] = refs
    return route


def compat_routes(source, target):
    """KServe -> llm-d: routes on the target that keep KServe's URL shape (/<namespace>/<name>/v1/...) working."""
    routes = []
    target_route = _route(target)
    if target_route is None:
        return routes
    namespace = target["summary"]["namespace"]
    for service, model in zip(source.get("services") or [], source["summary"]["models"]):
        pool = "%s-%s" % (target["summary"]["release"], model["name"])
        backend = None
        for rule in target_route["spec"]["rules"]:
            for ref in rule.get("backendRefs") or []:
                if ref.get("name") == pool:
                    backend = dict(ref)
        if backend is None:
            continue
        prefix = "/%s/%s" % (namespace, service["name"])
        routes.append({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "%s%s" % (pool, COMPAT_SUFFIX), "namespace": namespace,
                         "labels": dict(target_route["metadata"].get("labels") or {})},
            "spec": {"parentRefs": copy.deepcopy(target_route["spec"]["parentRefs"]), "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": prefix + "/"}}],
                "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {
                    "type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}],
                "backendRefs": [backend]}]},
        })
    return routes


def plan_migration(source, target, deployed, weight_steps=(50, 100), keep_paths=True):
    src, tgt = source["summary"], target["summary"]
    result = {
        "noop": False, "done": False, "shift": "switch", "weight_steps": [], "weighted_routes": [],
        "in_place_services": [], "in_place_manifests": [], "extra_gateways": [],
        "remove_services": [], "remove_manifests": [], "rollback_services": [], "rollback_manifests": [],
        "compat_routes": [], "source_set": src["set_name"], "target_set": tgt["set_name"],
        "compat_set": tgt["set_name"] + COMPAT_SUFFIX,
        "source": {"stack": src["stack"], "pattern": src["pattern"], "release": src["release"], "gateway": src["gateway"]},
        "target": {"stack": tgt["stack"], "pattern": tgt["pattern"], "release": tgt["release"], "gateway": tgt["gateway"]},
    }
    if (src["stack"], src["pattern"], src["release"], src["gateway"]) == (tgt["stack"], tgt["pattern"], tgt["release"], tgt["gateway"]):
        result["noop"] = True
        result["reason"] = "source and target are the same (%s, pattern %s, release %s)" % (src["stack"], src["pattern"], src["release"])
        return result
    if src["namespace"] != tgt["namespace"]:
        raise MigrationError("namespace: the source (%s) and the target (%s) must be in one namespace; a migration moves a "
                             "pattern between stacks inside its namespace" % (src["namespace"], tgt["namespace"]))
    source_live = _find(deployed, src["stack"], src["release"])
    target_live = _find(deployed, tgt["stack"], tgt["release"])
    same_release_and_stack = (src["stack"], src["release"]) == (tgt["stack"], tgt["release"])
    if same_release_and_stack:
        source_live = target_live = source_live
    if source_live is None and target_live is None:
        values = (src["stack"], src["release"], src["namespace"], tgt["stack"], tgt["release"], src["pattern"])
        raise MigrationError(
            "migrate_from: no %s deployment of release %s in namespace %s, and no %s deployment of release %s either; "
            "nothing to migrate. Deploy the source with playbooks/pattern%s.yml, or correct migrate_from / "
            "migrate_from_pattern / llmd_xks_release" % values)
    if source_live is None and target_live is not None and not same_release_and_stack:
        # an earlier run removed the source already; converging the target finishes the job
        result["done"] = True

    source_services = dict((s["name"], s) for s in source.get("services") or [])
    target_services = dict((s["name"], s) for s in target.get("services") or [])
    source_manifests = dict((_key(m), m) for m in source.get("manifests") or [])
    target_manifests = dict((_key(m), m) for m in target.get("manifests") or [])

    result["in_place_services"] = sorted(set(source_services) & set(target_services))
    result["in_place_manifests"] = [source_manifests[k] for k in sorted(set(source_manifests) & set(target_manifests))]
    result["remove_services"] = [source_services[n] for n in sorted(set(source_services) - set(target_services))]
    result["remove_manifests"] = [source_manifests[k] for k in sorted(set(source_manifests) - set(target_manifests))]
    result["rollback_services"] = [target_services[n] for n in sorted(set(target_services) - set(source_services))]
    result["rollback_manifests"] = [target_manifests[k] for k in sorted(set(target_manifests) - set(source_manifests))]

    if result["in_place_services"] and _gateway_key(src) != _gateway_key(tgt):
        namespace, name = src["gateway"].split("/", 1)
        result["extra_gateways"] = [{"name": name, "namespace": namespace}]

    source_route, target_route = _route(source), _route(target)
    if (source_route is not None and target_route is not None and src["release"] != tgt["release"]
            and _gateway_key(src) == _gateway_key(tgt)):
        steps = sorted(set(int(w) for w in weight_steps if 0 < int(w) <= 100)) or [100]
        result["shift"] = "weights"
        result["weight_steps"] = steps
        result["weighted_routes"] = [weighted_route(source_route, src["release"], tgt["release"], w) for w in steps]
    if keep_paths and src["stack"] in KSERVE_STACKS and tgt["stack"] not in KSERVE_STACKS:
        result["compat_routes"] = compat_routes(source, target)
    result["remove_helmfile"] = helmfile_of(source, target)
    result["rollback_helmfile"] = helmfile_of(target, source)
    return result


def _releases(plan):
    return ((plan.get("helmfile") or {}).get("definition") or {}).get("releases") or []


def helmfile_of(plan, other):
    """The helmfile of ``plan``'s chart releases that ``other`` does not declare (None when there are none)."""
    keep = set((r["namespace"], r["name"]) for r in _releases(other))
    releases = [r for r in _releases(plan) if (r["namespace"], r["name"]) not in keep]
    if not releases:
        return None
    definition = dict(plan["helmfile"]["definition"], releases=releases)
    return {"definition": definition, "skip_deps": plan["helmfile"]["skip_deps"]}
