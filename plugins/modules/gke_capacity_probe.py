#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gke_capacity_probe
short_description: Check regional quota and probe zones for accelerator capacity before creating GKE node pools
version_added: 0.2.0
description:
  - "Quota: reads the region's quotas (C(compute.regions.get)) and fails when a GPU or CPU metric has less
    left than the pools need (C(NVIDIA_L4_GPUS), C(PREEMPTIBLE_NVIDIA_T4_GPUS), C(CPUS) ...). TPU quota is
    not in the Compute Engine regional quotas for GKE TPU slices: it is checked when a C(TPU) metric of the
    generation is listed there, otherwise reported as not machine-checkable (Cloud console / Cloud Quotas API)."
  - "Probe: GKE retries a node pool on a stockout for about 35 minutes before failing, an instance create fails
    in seconds. For each zone in order, each accelerator pool's machine type (and GPU type) must be offered in
    the zone, then a minimal probe is created: a Compute Engine instance of the pool's machine type with its
    GPUs (10 GB disk, no restart), or a Cloud TPU VM of the slice's size (C(v6e-4) for ct6e-standard-4t). A
    stockout (C(ZONE_RESOURCE_POOL_EXHAUSTED), C(STOCKOUT), C(does not have enough resources) ...) moves on to
    the next zone at once; the first zone where every pool fits is returned."
  - Every probe is deleted synchronously, with retries; one that cannot be deleted fails the task naming the
    resource and the command that deletes it.
  - "Check mode: only the read-only requests (quota, machine and accelerator types) are made; no probe is
    created; the result lists what would be probed."
  - A TPU VM probe shows Cloud TPU capacity, which is close to but not the same as GKE ct6e capacity (seed §6.1).
author:
  - llmd.xks maintainers (@llmd-xks)
extends_documentation_fragment:
  - google.cloud.gcp
  - llmd.xks._gcp
options:
  zones:
    description: Candidate zones, in order of preference, all in one region.
    type: list
    elements: str
    required: true
  node_pools:
    description: The C(node_pools) returned by M(llmd.xks.gke_plan) (C(name), C(kind), C(probe), C(quota)).
    type: list
    elements: dict
    required: true
  network:
    description: Network of the probe instances.
    type: str
    default: default
  probe:
    description: Create probe resources. V(false) checks quota and zone offerings only.
    type: bool
    default: true
  check_quota:
    description: Check the regional quota.
    type: bool
    default: true
  probe_timeout:
    description: Seconds to wait for one probe to be created (a stockout fails well within it).
    type: int
    default: 180
  delete_retries:
    description: Attempts to delete a probe before it is reported as leaked.
    type: int
    default: 3
  delete_retry_delay:
    description: Seconds between delete attempts.
    type: int
    default: 5
attributes:
  check_mode:
    description: Makes only the read-only requests (quota, machine and accelerator types); creates no probe and reports what would be probed.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
"""

EXAMPLES = r"""
- name: Quota and capacity for the planned pools
  llmd.xks.gke_capacity_probe:
    project: my-project
    auth_kind: application
    zones: [europe-west4-a, europe-west4-b]
    node_pools: "{{ plan.node_pools }}"
  register: capacity

- name: Create the cluster in the zone that has capacity
  ansible.builtin.debug:
    msg: "{{ capacity.zone }}"
"""

RETURN = r"""
zone:
  description: The first zone where every probe succeeded (in check mode, where the read-only checks passed).
  returned: success
  type: str
zones:
  description: Per zone, C(status) (V(available), V(stockout), V(unavailable), V(would_probe), V(not_tried)) and C(detail).
  returned: always
  type: list
  elements: dict
quota:
  description: Per metric, C(needed), C(limit), C(usage), C(status) (V(pass), V(fail), V(unknown)) and C(detail).
  returned: always
  type: list
  elements: dict
probes:
  description: Probe resources created, each with C(name), C(zone), C(type), C(result) and C(deleted).
  returned: always
  type: list
  elements: dict
leaked:
  description: Probe resources that could not be deleted, each with C(name), C(zone) and the C(command) that deletes it.
  returned: always
  type: list
  elements: dict
api_requests:
  description: Number of API requests made.
  returned: always
  type: int
"""

import signal
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmd.xks.plugins.module_utils._gcp import (
    AUTH_MUTUALLY_EXCLUSIVE, COMPUTE, TPU, GcpError, auth_argument_spec, connect, region_of)
from ansible_collections.llmd.xks.plugins.module_utils._gke_plan import OWNER_KEY, OWNER_VALUE


NOW = time.time  # the unit tests fix it, so probe names are predictable


def probe_request(project, zone, pool, network, now):
    """The create request of a pool's probe: a Compute Engine instance (GPU) or a Cloud TPU VM, and its record."""
    probe = pool["probe"]
    name = "llmd-xks-probe-%s-%d" % (pool["name"][:30], now)
    labels = {OWNER_KEY: OWNER_VALUE, "llmd-xks-probe": "true"}
    if probe["kind"] == "gpu":
        url = "%s/projects/%s/zones/%s/instances" % (COMPUTE, project, zone)
        body = dict(name=name, machineType="zones/%s/machineTypes/%s" % (zone, probe["machine_type"]), labels=labels,
                    scheduling=dict(onHostMaintenance="TERMINATE", automaticRestart=False),
                    disks=[dict(boot=True, autoDelete=True, initializeParams=dict(
                        sourceImage="projects/debian-cloud/global/images/family/debian-12", diskSizeGb="10"))],
                    networkInterfaces=[dict(network="global/networks/%s" % network)])
        if probe["machine_type"].startswith("n1-"):  # A2/G2/A3 have their GPUs built into the machine type
            body["guestAccelerators"] = [dict(acceleratorType="zones/%s/acceleratorTypes/%s" % (zone, probe["accelerator_type"]),
                                              acceleratorCount=probe["accelerator_count"])]
        record = dict(name=name, zone=zone, type="instance", pool=pool["name"], url="%s/%s" % (url, name),
                      command="gcloud compute instances delete %s --zone %s --project %s --quiet" % (name, zone, project))
        params = None
    else:
        url = "%s/projects/%s/locations/%s/nodes" % (TPU, project, zone)
        body = dict(acceleratorType=probe["accelerator_type"], runtimeVersion=probe["runtime_version"], labels=labels)
        record = dict(name=name, zone=zone, type="tpu-vm", pool=pool["name"], url="%s/%s" % (url, name),
                      command="gcloud compute tpus tpu-vm delete %s --zone %s --project %s --quiet" % (name, zone, project))
        params = {"nodeId": name}
    return dict(method="POST", url=url, params=params, body=body, record=record)


class Interrupted(Exception):
    """SIGTERM (AWX cancelling the job) while probing; SIGINT arrives as KeyboardInterrupt."""


def _interrupt(signum, frame):
    raise Interrupted("signal %d" % signum)


class Stop(Exception):
    """Ends the run with a failure message (quota exhausted, permission denied, leaked probes)."""


class Prober(object):
    def __init__(self, module, client):
        self.module = module
        self.params = module.params
        self.client = client
        self.project = module.params["project"]
        self.probes = []
        self.leaked = []

    # quota ------------------------------------------------------------------------------------------
    def quota(self, region, pools):
        needed, tpu = {}, {}
        for pool in pools:
            for metric, amount in (pool.get("quota") or {}).items():
                needed[metric] = needed.get(metric, 0) + amount
            if pool.get("tpu_quota"):
                gen = pool["tpu_quota"]["generation"]
                tpu[gen] = tpu.get(gen, 0) + pool["tpu_quota"]["chips"]
        if not needed and not tpu:
            return []
        try:
            quotas = dict((q["metric"], q) for q in self.client.get("%s/projects/%s/regions/%s" % (COMPUTE, self.project, region))
                          .get("quotas", []))
        except GcpError as exc:
            raise Stop(self.explain(exc, "read the regional quotas", "compute.regions.get", "roles/compute.viewer"))
        checked = {}
        for metric, amount in needed.items():
            quota = quotas.get(metric)
            if metric.startswith("PREEMPTIBLE_") and (quota is None or not quota["limit"]):
                metric = metric[len("PREEMPTIBLE_"):]  # spot VMs use the regular quota when there is no preemptible one
            checked[metric] = checked.get(metric, 0) + amount
        rows = [self._row(metric, checked[metric], quotas.get(metric), region) for metric in sorted(checked)]
        for gen in sorted(tpu):
            # GKE TPU slices are not always in the Compute Engine regional quotas; use a metric when one is listed.
            found = [q for m, q in sorted(quotas.items()) if "TPU" in m and gen.upper().lstrip("V") in m]
            if found:
                rows.append(self._row(found[0]["metric"], tpu[gen], found[0], region))
            else:
                rows.append(dict(metric="TPU %s chips" % gen, needed=tpu[gen], limit=None, usage=None, status="unknown",
                                 detail="compute.regions.get lists no TPU %s metric in %s: TPU quota is not machine-checkable "
                                        "here; check it in the Cloud console (IAM & Admin > Quotas) or the Cloud Quotas API "
                                        "(seed §6.6)" % (gen, region)))
        return rows

    @staticmethod
    def _row(metric, amount, quota, region):
        if quota is None:
            return dict(metric=metric, needed=amount, limit=0, usage=0, status="fail",
                        detail="%s has no %s quota; request it (IAM & Admin > Quotas) before creating the pool" % (region, metric))
        usage = quota.get("usage", 0)
        ok = quota["limit"] - usage >= amount
        return dict(metric=metric, needed=amount, limit=quota["limit"], usage=usage, status="pass" if ok else "fail",
                    detail="%s in %s: %g of %g used, %g needed" % (metric, region, usage, quota["limit"], amount)
                    + ("" if ok else "; request a quota increase or lower the pool counts"))

    # probes -----------------------------------------------------------------------------------------
    def offered(self, zone, pool):
        probe = pool["probe"]
        try:
            self.client.get("%s/projects/%s/zones/%s/machineTypes/%s" % (COMPUTE, self.project, zone, probe["machine_type"]))
            if probe["kind"] == "gpu":
                self.client.get("%s/projects/%s/zones/%s/acceleratorTypes/%s" % (COMPUTE, self.project, zone, probe["accelerator_type"]))
            else:
                self.client.get("%s/projects/%s/locations/%s/acceleratorTypes/%s" % (TPU, self.project, zone, probe["accelerator_type"]))
        except GcpError as exc:
            if exc.status == 404:
                return "%s does not offer %s" % (zone, exc.url.rsplit("/", 1)[1])
            if exc.is_permission:
                raise Stop(self.explain(exc, "list machine and accelerator types", "compute.machineTypes.get", "roles/compute.viewer"))
            raise
        return None

    def probe(self, zone, pool):
        request = probe_request(self.project, zone, pool, self.params["network"], int(NOW()))
        probe, record, url, body, params = pool["probe"], request["record"], request["url"], request["body"], request["params"]
        self.probes.append(record)
        try:
            self.client.wait(self.client.post(url, body, params=params), timeout=self.params["probe_timeout"], interval=2)
            record["result"] = "available"
            outcome = None
        except (Interrupted, KeyboardInterrupt):
            record["result"] = "interrupted"
            for each in (signal.SIGTERM, signal.SIGINT):  # a second signal must not stop the delete
                signal.signal(each, signal.SIG_IGN)
            self.delete(record)  # a probe created by an interrupted run must not stay and cost money
            raise
        except GcpError as exc:
            if exc.is_stockout:
                record["result"] = "stockout"
                outcome = ("stockout", "%s %s: %s" % (pool["name"], probe["machine_type"], exc.message))
            elif exc.is_quota:
                record["result"] = "quota"
                outcome = ("quota", "%s: quota exceeded: %s" % (pool["name"], exc.message))
            elif exc.is_permission:
                record["result"] = "permission"
                self.delete(record)
                raise Stop(self.explain(exc, "create probe instances", "compute.instances.create / tpu.nodes.create",
                                        "roles/compute.instanceAdmin.v1 and roles/tpu.admin"))
            elif exc.reason == "TIMEOUT":
                record["result"] = "timeout"
                outcome = ("stockout", "%s: probe not running after %ss, treated as no capacity" % (pool["name"], self.params["probe_timeout"]))
            else:
                record["result"] = "error"
                outcome = ("unavailable", "%s: %s" % (pool["name"], exc))
        self.delete(record)
        return outcome

    def delete(self, record):
        """Synchronous delete with retries; a probe that stays is recorded as leaked (never fire-and-forget, seed §6.9)."""
        last = None
        for attempt in range(max(1, self.params["delete_retries"])):
            try:
                op = self.client.delete(record["url"])
                self.client.wait(op, timeout=300, interval=2)
                record["deleted"] = True
                return
            except GcpError as exc:
                if exc.status == 404:
                    record["deleted"] = True
                    return
                last = exc
                if attempt + 1 < self.params["delete_retries"]:
                    self.client.sleep(self.params["delete_retry_delay"])
        record["deleted"] = False
        self.leaked.append(dict(name=record["name"], zone=record["zone"], type=record["type"], command=record["command"],
                                error=str(last)))

    def explain(self, exc, action, permission, role):
        if exc.is_permission:
            return ("Permission denied to %s (%s): the caller lacks %s. Grant %s: gcloud projects add-iam-policy-binding %s "
                    "--member=<user:|serviceAccount:>EMAIL --role=%s"
                    % (action, exc.message, permission, role, self.project, role.split()[0]))
        return "Cannot %s: %s" % (action, exc)


def main():
    spec = auth_argument_spec()
    spec.update(
        zones=dict(type="list", elements="str", required=True),
        node_pools=dict(type="list", elements="dict", required=True),
        network=dict(type="str", default="default"),
        probe=dict(type="bool", default=True),
        check_quota=dict(type="bool", default=True),
        probe_timeout=dict(type="int", default=180),
        delete_retries=dict(type="int", default=3),
        delete_retry_delay=dict(type="int", default=5),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=AUTH_MUTUALLY_EXCLUSIVE)
    params = module.params
    errors = []
    if not params["project"]:
        errors.append("project: set the GCP project (or GCP_PROJECT)")
    if not params["zones"]:
        errors.append("zones: give at least one zone")
    elif len(set(region_of(z) for z in params["zones"])) > 1:
        errors.append("zones: all zones must be in one region (quota is regional)")
    for index, pool in enumerate(params["node_pools"]):
        if "name" not in pool or "kind" not in pool:
            errors.append("node_pools[%d]: pass the node_pools returned by llmd.xks.gke_plan" % index)
    if errors:
        module.fail_json(msg="Invalid arguments, nothing was sent to GCP: " + "; ".join(errors), errors=errors)
    client = connect(module)
    prober = Prober(module, client)
    signal.signal(signal.SIGTERM, _interrupt)
    result = dict(changed=False, zones=[], quota=[], probes=prober.probes, leaked=prober.leaked)
    accelerated = [p for p in params["node_pools"] if p.get("probe")]
    try:
        if params["check_quota"]:
            result["quota"] = prober.quota(region_of(params["zones"][0]), params["node_pools"])
            short = [q for q in result["quota"] if q["status"] == "fail"]
            if short:
                raise Stop("Quota exhausted: " + "; ".join(q["detail"] for q in short))
        chosen = None
        for zone in params["zones"]:
            if chosen is not None:
                result["zones"].append(dict(zone=zone, status="not_tried", detail="an earlier zone has capacity"))
                continue
            reasons = [r for r in (prober.offered(zone, pool) for pool in accelerated) if r]
            if reasons:
                result["zones"].append(dict(zone=zone, status="unavailable", detail="; ".join(reasons)))
                continue
            if module.check_mode or not params["probe"] or not accelerated:
                detail = ", ".join("%s (%s)" % (p["probe"]["machine_type"], p["probe"]["accelerator_type"]) for p in accelerated)
                status = "would_probe" if module.check_mode and params["probe"] and accelerated else "offered"
                result["zones"].append(dict(zone=zone, status=status, detail=("would create probes for " + detail)
                                            if status == "would_probe" else "machine and accelerator types offered"))
                chosen = zone
                continue
            outcome = None
            for pool in accelerated:
                outcome = prober.probe(zone, pool)
                if outcome:
                    break  # fail fast: the zone lacks one pool, go to the next zone
            if prober.leaked:
                break
            if outcome:
                result["zones"].append(dict(zone=zone, status=outcome[0], detail=outcome[1]))
            else:
                result["zones"].append(dict(zone=zone, status="available", detail="every probe ran and was deleted"))
                chosen = zone
        if prober.leaked:
            raise Stop("Probe resources could not be deleted and keep costing money: %s"
                       % "; ".join("%s %s in %s (delete with: %s)" % (l["type"], l["name"], l["zone"], l["command"]) for l in prober.leaked))
        if chosen is None:
            raise Stop("No zone has capacity for the pools: %s. Add zones (llmd_xks_gke_zones) or use another accelerator."
                       % "; ".join("%s: %s %s" % (z["zone"], z["status"], z["detail"]) for z in result["zones"]))
        result["zone"] = chosen
    except Stop as exc:
        result["changed"] = bool(prober.probes)
        module.fail_json(msg=str(exc), api_requests=client.requests, **result)
    except GcpError as exc:
        module.fail_json(msg="GCP API error: %s" % exc, api_requests=client.requests, **result)
    except (Interrupted, KeyboardInterrupt) as exc:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        result["changed"] = bool(prober.probes)
        module.fail_json(msg="Interrupted (%s) while probing; %s" % (
            exc or "SIGINT", "probes deleted: %s" % ", ".join(p["name"] for p in prober.probes if p.get("deleted"))
            if not prober.leaked else "probes NOT deleted: %s" % "; ".join(l["command"] for l in prober.leaked)),
            api_requests=client.requests, **result)
    result["changed"] = bool(prober.probes)
    module.exit_json(api_requests=client.requests, **result)


if __name__ == "__main__":
    main()
