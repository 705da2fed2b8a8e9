#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A fake GCP endpoint on 127.0.0.1 that answers the requests of the GKE provisioning from the discovery documents.

Every request is matched to its API method and checked with tools/gcp_discovery.py: one the documents do not allow is
answered 400 INVALID_ARGUMENT naming the field, as Google does. Every answer is checked against the method's response
schema before it is sent (a fake that drifts from the documents fails loudly with a 500).

Two ways in, both loopback only:
* ``http://127.0.0.1:PORT/{service}/...`` for the modules' ``api_endpoint`` option (LLMD_XKS_GCP_API_ENDPOINT);
* as an HTTPS proxy (``HTTPS_PROXY=http://127.0.0.1:PORT``, ``REQUESTS_CA_BUNDLE=<ca.pem>``) for clients that only
  know the public hosts (the google.cloud modules): CONNECT to ``*.googleapis.com:443`` is answered by this process
  with a certificate of its own test CA; nothing is forwarded anywhere.

What it models (state in memory): compute regions (quotas), machine and accelerator types per zone, instances,
subnetworks, instance group managers, zone/region/global operations; Cloud TPU nodes, accelerator types and
operations; GKE clusters, node pools (create, get, delete, setSize, setAutoscaling, update) and operations;
projects.testIamPermissions; services.list. Errors from the scenario: ZONE_RESOURCE_POOL_EXHAUSTED for a machine
type in a zone (instances.insert) and Cloud TPU "no more capacity" (nodes.create), QUOTA_EXCEEDED, permission
denied for a method, API not enabled (SERVICE_DISABLED), and GCE_STOCKOUT conditions on a node pool. It does not
model billing, IAM policies beyond testIamPermissions, real quota accounting across resources, or GKE's Kubernetes
endpoint (clusters get a placeholder endpoint and CA).

Scenario (JSON): {"project", "regions": {R: {"quotas": [...]}}, "zones": {Z: {"machineTypes": [...],
"acceleratorTypes": [...], "tpuAcceleratorTypes": [...], "stockout": [machine types], "quotaExceeded": [...]}},
"permissions": [granted permissions] (default all asked), "denied": [method ids], "services": [enabled services],
"nodePoolConditions": {pool name: [condition]}, "holdProbe": false}

    python3 tools/gcp_fake.py --scenario s.json [--port 0]        # prints the endpoint and environment, serves until killed
    python3 tools/gcp_fake.py --scenario s.json --record-to out.json -- ansible-playbook ...   # records a run
"""

import argparse
import copy
import datetime
import itertools
import json
import os
import re
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gcp_discovery  # noqa: E402

OWNER = {"llmd-xks-managed-by": "llmd-xks"}


def error(code, status, message, reason=None, details=None):
    body = {"error": {"code": code, "message": message, "status": status}}
    if reason:
        body["error"]["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    if details:
        body["error"]["details"] = details
    return code, body


class Fake(object):
    """The state and the answers; ``handle(method, url, query, body) -> (status, body)`` with public URLs."""

    def __init__(self, scenario, contract=None):
        self.scenario = scenario
        self.contract = contract or gcp_discovery.Contract()
        self.project = scenario.get("project", "my-project")
        self.resources = {}     # public URL -> resource
        self.operations = {}    # public URL -> [operation, polls left, on_done]
        self.log = []           # every interaction, in the recording format of the unit tests
        self.tokens = []        # access tokens issued for service-account keys
        self.lock = threading.RLock()
        self.counter = itertools.count(1)
        self.probe_created = threading.Event()   # a probe exists (tests interrupt a run here)
        self.release = threading.Event()          # holdProbe: its create operation stays RUNNING until set
        for url, resource in (scenario.get("resources") or {}).items():
            self.resources[url] = copy.deepcopy(resource)

    # plumbing ---------------------------------------------------------------------------------------
    def handle(self, method, url, query=None, body=None):
        with self.lock:
            status, answer, method_id = self._handle(method, url, dict(query or {}), body)
            item = {"method": method, "url": url.split("?")[0], "status": status, "body": answer}
            if query:
                item["query"] = dict(query)
            if method_id:
                item["api_method"] = method_id
            self.log.append(item)
        return status, answer

    def _handle(self, method, url, query, body):
        checked = self.contract.check_request(method, url, query, body)
        if not checked.method_id:
            return error(404, "NOT_FOUND", "; ".join(checked.problems)) + (None,)
        if not checked.ok:
            return error(400, "INVALID_ARGUMENT", "Invalid request: " + "; ".join(checked.problems),
                         "invalid") + (checked.method_id,)
        service = urlsplit(url).netloc.split(".")[0] + ".googleapis.com"
        enabled = self.scenario.get("services")
        if enabled is not None and service not in enabled and service != "serviceusage.googleapis.com":
            return error(403, "PERMISSION_DENIED", "%s API has not been used in project %s before or it is disabled. "
                         "Enable it by visiting https://console.developers.google.com/apis/api/%s/overview?project=%s then "
                         "retry." % (service, self.project, service, self.project), "accessNotConfigured",
                         [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
                           "domain": "googleapis.com", "metadata": {"service": service}}]) + (checked.method_id,)
        if checked.method_id in (self.scenario.get("denied") or []):
            permission = checked.method_id.split(".", 1)[0] + "." + ".".join(checked.method_id.split(".")[-2:])
            return error(403, "PERMISSION_DENIED", "Required '%s' permission for '%s'" % (permission, urlsplit(url).path),
                         "forbidden") + (checked.method_id,)
        handler = getattr(self, "m_" + checked.method_id.replace(".", "_"), None)
        if handler is None:
            handler = self._generic
        status, answer = handler(method, url.split("?")[0], query, body, checked.method_id)
        verdict = self.contract.check_response(method, url, answer, status)
        if not verdict.ok:
            return error(500, "INTERNAL", "the fake answered outside %s's schema: %s" % (checked.method_id, "; ".join(verdict.problems))) \
                + (checked.method_id,)
        return status, answer, checked.method_id

    @staticmethod
    def _now():
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _missing(self, url):
        return error(404, "NOT_FOUND", "The resource '%s' was not found" % urlsplit(url).path, "notFound")

    # operations ---------------------------------------------------------------------------------------
    def _compute_op(self, scope_url, target, kind, on_done=None, fail=None, polls=1):
        name = "operation-%d" % next(self.counter)
        link = "%s/operations/%s" % (scope_url, name)
        op = {"kind": "compute#operation", "id": str(next(self.counter)), "name": name, "operationType": kind,
              "targetLink": target, "status": "RUNNING", "progress": 0, "insertTime": self._now(), "selfLink": link}
        if "/zones/" in scope_url:
            op["zone"] = scope_url
        elif "/regions/" in scope_url:
            op["region"] = scope_url
        self.operations[link] = [op, polls, on_done, fail]
        return self._answer_op(link, fail)

    def _answer_op(self, link, fail):
        """operationsDone: an operation without error is answered DONE at once (saves the clients' poll intervals)."""
        if self.scenario.get("operationsDone") and fail is None:
            self.operations[link][1] = 0
            return self._poll(link)
        return 200, copy.deepcopy(self.operations[link][0])

    def _container_op(self, location, target, kind, on_done=None, fail=None, polls=1):
        name = "operation-%d" % next(self.counter)
        link = "https://container.googleapis.com/v1/projects/%s/zones/%s/operations/%s" % (self.project, location, name)
        op = {"name": name, "zone": location, "operationType": kind, "status": "RUNNING", "selfLink": link,
              "targetLink": target, "startTime": self._now()}
        self.operations[link] = [op, polls, on_done, fail]
        alias = "https://container.googleapis.com/v1/projects/%s/locations/%s/operations/%s" % (self.project, location, name)
        self.operations[alias] = self.operations[link]
        if polls > 1:
            return 200, copy.deepcopy(op)
        return self._answer_op(link, fail)

    def _tpu_op(self, location, target, verb, on_done=None, fail=None, polls=1):
        name = "projects/%s/locations/%s/operations/operation-%d" % (self.project, location, next(self.counter))
        op = {"name": name, "done": False, "metadata": {"@type": "type.googleapis.com/google.cloud.common.OperationMetadata",
                                                        "target": target, "verb": verb, "createTime": self._now()}}
        self.operations["https://tpu.googleapis.com/v2/" + name] = [op, polls, on_done, fail]
        return 200, copy.deepcopy(op)

    def _poll(self, url):
        entry = self.operations.get(url)
        if entry is None:
            return self._missing(url)
        op, polls, on_done, fail = entry
        hold = op.get("_hold")
        if hold is not None and not self.release.is_set():
            return 200, dict((k, v) for k, v in copy.deepcopy(op).items() if k != "_hold")
        if polls > 0:
            entry[1] -= 1
            return 200, dict((k, v) for k, v in copy.deepcopy(op).items() if k != "_hold")
        if op.get("status") != "DONE" and not op.get("done"):
            if fail:
                op.update(fail)
            elif on_done:
                on_done()
            if "done" in op:
                op["done"] = True
            elif op.get("kind") == "compute#operation":
                op.update(status="DONE", progress=100, endTime=self._now())
            else:
                op.update(status="DONE", endTime=self._now())
        return 200, dict((k, v) for k, v in copy.deepcopy(op).items() if k != "_hold")

    def m_compute_zoneOperations_get(self, method, url, query, body, method_id):
        return self._poll(url)

    m_compute_regionOperations_get = m_compute_globalOperations_get = m_compute_zoneOperations_get
    m_container_projects_zones_operations_get = m_container_projects_locations_operations_get = m_compute_zoneOperations_get
    m_tpu_projects_locations_operations_get = m_compute_zoneOperations_get

    # generic CRUD -------------------------------------------------------------------------------------
    def _generic(self, method, url, query, body, method_id):
        verb = method_id.rsplit(".", 1)[1]
        if verb == "get":
            found = self.resources.get(url)
            return (200, copy.deepcopy(found)) if found is not None else self._missing(url)
        if verb == "list":
            prefix = url + "/"
            items = [copy.deepcopy(r) for u, r in sorted(self.resources.items()) if u.startswith(prefix) and "/" not in u[len(prefix):]]
            return 200, {"items": items} if "compute" in method_id else {}
        return error(501, "UNIMPLEMENTED", "%s is not modelled by the fake" % method_id)

    # compute --------------------------------------------------------------------------------------------
    def m_compute_regions_get(self, method, url, query, body, method_id):
        region = url.rsplit("/", 1)[1]
        conf = (self.scenario.get("regions") or {}).get(region)
        if conf is None:
            return self._missing(url)
        return 200, {"kind": "compute#region", "name": region, "status": "UP", "selfLink": url,
                     "quotas": conf.get("quotas", []), "zones": ["%s/zones/%s" % (url.rsplit("/regions/", 1)[0], z)
                                                                  for z in sorted(self.scenario.get("zones") or {}) if z.startswith(region)]}

    def _zone(self, url):
        return (self.scenario.get("zones") or {}).get(re.search(r"/(?:zones|locations)/([^/]+)/", url).group(1)) or {}

    def m_compute_machineTypes_get(self, method, url, query, body, method_id):
        name = url.rsplit("/", 1)[1]
        if name not in self._zone(url).get("machineTypes", []):
            return self._missing(url)
        return 200, {"kind": "compute#machineType", "name": name, "zone": url.split("/zones/")[1].split("/")[0], "selfLink": url}

    def m_compute_acceleratorTypes_get(self, method, url, query, body, method_id):
        name = url.rsplit("/", 1)[1]
        if name not in self._zone(url).get("acceleratorTypes", []):
            return self._missing(url)
        return 200, {"kind": "compute#acceleratorType", "name": name, "selfLink": url}

    def m_tpu_projects_locations_acceleratorTypes_get(self, method, url, query, body, method_id):
        name = url.rsplit("/", 1)[1]
        if name not in self._zone(url).get("tpuAcceleratorTypes", []):
            return self._missing(url)
        return 200, {"name": url.split("/v2/", 1)[1], "type": name}

    def m_compute_instances_insert(self, method, url, query, body, method_id):
        zone = self._zone(url)
        link = "%s/%s" % (url, body["name"])
        machine = body["machineType"].rsplit("/", 1)[1]
        scope = url.rsplit("/instances", 1)[0]
        fail = None
        if machine in zone.get("stockout", []):
            fail = {"error": {"errors": [{"code": "ZONE_RESOURCE_POOL_EXHAUSTED", "message": (
                "The zone '%s' does not have enough resources available to fulfill the request.  Try a different zone, "
                "or try again later." % scope.split("/compute/v1/")[1])}]}, "httpErrorStatusCode": 503,
                "httpErrorMessage": "SERVICE UNAVAILABLE"}
        elif machine in zone.get("quotaExceeded", []):
            fail = {"error": {"errors": [{"code": "QUOTA_EXCEEDED", "message": "Quota 'NVIDIA_T4_GPUS' exceeded.  Limit: 0.0 "
                                                    "in region %s." % scope.rsplit("/zones/", 1)[1].rsplit("-", 1)[0]}]},
                    "httpErrorStatusCode": 403, "httpErrorMessage": "FORBIDDEN"}

        def created():
            self.resources[link] = dict(body, kind="compute#instance", status="RUNNING", selfLink=link, zone=scope,
                                        id=str(next(self.counter)), creationTimestamp=self._now())
        status, op = self._compute_op(scope, link, "insert", on_done=created, fail=fail)
        if fail is None:
            self.resources[link] = dict(body, kind="compute#instance", status="PROVISIONING", selfLink=link, zone=scope)
            self.probe_created.set()
            if self.scenario.get("holdProbe"):
                self.operations[op["selfLink"]][0]["_hold"] = True
        return status, op

    def m_compute_instances_delete(self, method, url, query, body, method_id):
        if url not in self.resources:
            return self._missing(url)
        del self.resources[url]
        return self._compute_op(url.rsplit("/instances/", 1)[0], url, "delete")

    def m_compute_subnetworks_insert(self, method, url, query, body, method_id):
        link = "%s/%s" % (url, body["name"])
        if link in self.resources:
            return error(409, "ALREADY_EXISTS", "The resource '%s' already exists" % link, "alreadyExists")
        region = url.rsplit("/subnetworks", 1)[0]
        subnet = dict(body, kind="compute#subnetwork", selfLink=link, region=region, id=str(next(self.counter)),
                      gatewayAddress="10.0.0.1", creationTimestamp=self._now(), fingerprint="fp")
        if not subnet["network"].startswith("https://"):
            subnet["network"] = "https://compute.googleapis.com/compute/v1/" + subnet["network"]
        self.resources[link] = subnet
        return self._compute_op(region, link, "insert")

    def m_compute_subnetworks_delete(self, method, url, query, body, method_id):
        if url not in self.resources:
            return self._missing(url)
        del self.resources[url]
        return self._compute_op(url.rsplit("/subnetworks/", 1)[0], url, "delete")

    # Cloud TPU ------------------------------------------------------------------------------------------
    def m_tpu_projects_locations_nodes_create(self, method, url, query, body, method_id):
        location = url.split("/locations/")[1].split("/")[0]
        link = "%s/%s" % (url, query.get("nodeId"))
        fail = None
        if body["acceleratorType"] in self._zone(url).get("stockout", []):
            fail = {"error": {"code": 8, "message": "There is no more capacity in the zone \"%s\"; you can try in another zone "
                                                    "where Cloud TPU Nodes are offered (see https://cloud.google.com/tpu/docs/regions)"
                                                    % location}}
        else:
            self.resources[link] = dict(body, name=link.split("/v2/", 1)[1], state="CREATING")
            self.probe_created.set()

        def ready():
            self.resources[link]["state"] = "READY"
        status, op = self._tpu_op(location, link.split("/v2/", 1)[1], "create", on_done=ready if fail is None else None, fail=fail)
        if fail is None and self.scenario.get("holdProbe"):
            self.operations["https://tpu.googleapis.com/v2/" + op["name"]][0]["_hold"] = True
        return status, op

    def m_tpu_projects_locations_nodes_delete(self, method, url, query, body, method_id):
        if url not in self.resources:
            return self._missing(url)
        del self.resources[url]
        return self._tpu_op(url.split("/locations/")[1].split("/")[0], url.split("/v2/", 1)[1], "delete")

    # GKE ------------------------------------------------------------------------------------------------
    def _cluster_parts(self, url):
        match = re.search(r"/projects/([^/]+)/locations/([^/]+)/clusters/([^/:]+)", url)
        return match.groups() if match else (None, None, None)

    def m_container_projects_locations_clusters_get(self, method, url, query, body, method_id):
        cluster = self.resources.get(url)
        if cluster is None:
            return self._missing(url)
        out = copy.deepcopy(cluster)
        out["nodePools"] = [copy.deepcopy(p) for u, p in sorted(self.resources.items()) if u.startswith(url + "/nodePools/")]
        return 200, out

    def m_container_projects_locations_clusters_create(self, method, url, query, body, method_id):
        spec = copy.deepcopy(body["cluster"])
        link = "%s/%s" % (url, spec["name"])
        if link in self.resources:
            return error(409, "ALREADY_EXISTS", "Already exists: %s." % link.split("/v1/", 1)[1])
        location = url.split("/locations/")[1].split("/")[0]
        pools = spec.pop("nodePools", None) or [{"name": "default-pool", "initialNodeCount": spec.pop("initialNodeCount", 1),
                                                 "config": spec.pop("nodeConfig", {})}]
        spec.pop("initialNodeCount", None)
        spec.pop("nodeConfig", None)
        spec.update(status="PROVISIONING", selfLink=link, location=location, zone=location, endpoint="127.0.0.1",
                    masterAuth={"clusterCaCertificate": "LS0tLS1CRUdJTi1GQUtF"}, currentMasterVersion="1.35.1-gke.100",
                    createTime=self._now())
        self.resources[link] = spec
        for pool in pools:
            self._store_pool(link, pool)

        def running():
            self.resources[link]["status"] = "RUNNING"
            for u, p in self.resources.items():
                if u.startswith(link + "/nodePools/"):
                    p["status"] = "RUNNING"
        return self._container_op(location, link, "CREATE_CLUSTER", on_done=running)

    def _store_pool(self, cluster_link, pool):
        pool = copy.deepcopy(pool)
        link = "%s/nodePools/%s" % (cluster_link, pool["name"])
        group = "https://compute.googleapis.com/compute/v1/projects/%s/zones/%s/instanceGroups/gke-%s-grp" % (
            self.project, self.resources[cluster_link]["location"], pool["name"])
        pool.update(selfLink=link, status="PROVISIONING", instanceGroupUrls=[group], version="1.35.1-gke.100")
        conditions = (self.scenario.get("nodePoolConditions") or {}).get(pool["name"])
        if conditions:
            pool["conditions"] = conditions
        self.resources[link] = pool
        manager = group.replace("/instanceGroups/", "/instanceGroupManagers/")
        self.resources[manager] = {"kind": "compute#instanceGroupManager", "name": manager.rsplit("/", 1)[1],
                                   "targetSize": int(pool.get("initialNodeCount", 0)), "selfLink": manager}
        return link

    def m_container_projects_locations_clusters_update(self, method, url, query, body, method_id):
        cluster = self.resources.get(url)
        if cluster is None:
            return self._missing(url)
        update = body["update"]
        if "desiredGatewayApiConfig" in update:
            cluster.setdefault("networkConfig", {})["gatewayApiConfig"] = update["desiredGatewayApiConfig"]
        if "desiredWorkloadIdentityConfig" in update:
            cluster["workloadIdentityConfig"] = update["desiredWorkloadIdentityConfig"]
        return self._container_op(cluster["location"], url, "UPDATE_CLUSTER")

    def m_container_projects_locations_clusters_delete(self, method, url, query, body, method_id):
        if url not in self.resources:
            return self._missing(url)
        location = self.resources[url]["location"]
        for link in [u for u in self.resources if u == url or u.startswith(url + "/nodePools/")]:
            del self.resources[link]
        return self._container_op(location, url, "DELETE_CLUSTER")

    def m_container_projects_locations_clusters_nodePools_create(self, method, url, query, body, method_id):
        cluster_link = url.rsplit("/nodePools", 1)[0]
        if cluster_link not in self.resources:
            return self._missing(cluster_link)
        if "%s/%s" % (url, body["nodePool"]["name"]) in self.resources:
            return error(409, "ALREADY_EXISTS", "Already exists: node pool %s." % body["nodePool"]["name"])
        link = self._store_pool(cluster_link, body["nodePool"])
        if self.resources[link].get("conditions"):
            return self._container_op(self.resources[cluster_link]["location"], link, "CREATE_NODE_POOL", polls=10 ** 6)

        def running():
            self.resources[link]["status"] = "RUNNING"
        return self._container_op(self.resources[cluster_link]["location"], link, "CREATE_NODE_POOL", on_done=running)

    def m_container_projects_locations_clusters_nodePools_get(self, method, url, query, body, method_id):
        found = self.resources.get(url)
        return (200, copy.deepcopy(found)) if found is not None else self._missing(url)

    def m_container_projects_locations_clusters_nodePools_delete(self, method, url, query, body, method_id):
        pool = self.resources.pop(url, None)
        if pool is None:
            return self._missing(url)
        for group in pool.get("instanceGroupUrls") or []:
            self.resources.pop(group.replace("/instanceGroups/", "/instanceGroupManagers/"), None)
        return self._container_op(url.split("/locations/")[1].split("/")[0], url, "DELETE_NODE_POOL")

    def _pool_action(self, url, suffix):
        link = url[:-len(suffix)]
        pool = self.resources.get(link)
        return link, pool

    def m_container_projects_locations_clusters_nodePools_setSize(self, method, url, query, body, method_id):
        link, pool = self._pool_action(url, ":setSize")
        if pool is None:
            return self._missing(link)
        for group in pool.get("instanceGroupUrls") or []:
            self.resources[group.replace("/instanceGroups/", "/instanceGroupManagers/")]["targetSize"] = int(body["nodeCount"])
        return self._container_op(link.split("/locations/")[1].split("/")[0], link, "SET_NODE_POOL_SIZE")

    def m_container_projects_locations_clusters_nodePools_setAutoscaling(self, method, url, query, body, method_id):
        link, pool = self._pool_action(url, ":setAutoscaling")
        if pool is None:
            return self._missing(link)
        pool["autoscaling"] = body["autoscaling"]
        return self._container_op(link.split("/locations/")[1].split("/")[0], link, "UPDATE_CLUSTER")

    # IAM and services -------------------------------------------------------------------------------------
    def m_cloudresourcemanager_projects_testIamPermissions(self, method, url, query, body, method_id):
        granted = self.scenario.get("permissions")
        asked = body.get("permissions") or []
        return 200, {"permissions": [p for p in asked if granted is None or p in granted]}

    def m_serviceusage_services_list(self, method, url, query, body, method_id):
        enabled = self.scenario.get("services")
        if enabled is None:
            enabled = ["compute.googleapis.com", "container.googleapis.com", "networkservices.googleapis.com",
                       "tpu.googleapis.com", "cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com"]
        project = url.split("/projects/")[1].split("/")[0]
        return 200, {"services": [{"name": "projects/%s/services/%s" % (project, s), "config": {"name": s}, "state": "ENABLED"}
                                  for s in enabled]}

    # views for tests ------------------------------------------------------------------------------------------
    def probes(self):
        with self.lock:
            return sorted(u for u, r in self.resources.items() if (r.get("labels") or {}).get("llmd-xks-probe") == "true")

    def calls(self, method_id=None):
        return [i for i in self.log if method_id is None or i.get("api_method") == method_id]


# HTTP server ---------------------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tls_host = None  # set on the handler that serves a CONNECT tunnel

    def log_message(self, fmt, *args):  # quiet
        pass

    def _public_url(self):
        if self.tls_host:
            return "https://%s%s" % (self.tls_host, self.path)
        parts = self.path.lstrip("/").split("/", 1)
        return "https://%s.googleapis.com/%s" % (parts[0], parts[1] if len(parts) > 1 else "")

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.tls_host == "oauth2.googleapis.com" or self.path.startswith("/oauth2/"):
            return self._token(raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        url = self._public_url()
        query = dict(parse_qsl(urlsplit(url).query))
        status, answer = self.server.fake.handle(self.command, url.split("?")[0], query, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _token(self, raw):
        """The OAuth 2.0 token endpoint of a service-account key (JWT bearer grant): a token for the fake only."""
        form = dict(parse_qsl(raw.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get("assertion"):
            status, answer = 400, {"error": "invalid_grant", "error_description": "expected a JWT bearer assertion"}
        else:
            status, answer = 200, {"access_token": "fake-sa-token-%d" % next(self.server.fake.counter), "expires_in": 3600,
                                   "token_type": "Bearer"}
        with self.server.fake.lock:
            self.server.fake.tokens.append(answer.get("access_token"))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_CONNECT(self):
        host = self.path.split(":")[0]
        if not host.endswith(".googleapis.com"):
            self.send_error(403, "the fake only answers *.googleapis.com")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        tls = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        handler = type("TunnelHandler", (Handler,), {"tls_host": host})
        handler(tls, self.client_address, self.server)
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeGcp(object):
    """Runs ``Fake`` on 127.0.0.1 in a thread: ``endpoint`` for api_endpoint, ``proxy`` and ``ca_file`` for HTTPS_PROXY."""

    def __init__(self, scenario, port=0, workdir=None):
        self.fake = Fake(scenario)
        self.server = Server(("127.0.0.1", port), Handler)
        self.server.fake = self.fake
        self.workdir = workdir or tempfile.mkdtemp(prefix="gcp-fake-")
        self.ca_file, self.server.tls_context = _tls_context(self.workdir)
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d/{service}" % self.port
        self.proxy = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def module_env(self):
        """Environment for the llmd.xks GCP modules: api_endpoint and a token (sent to 127.0.0.1 only)."""
        return {"LLMD_XKS_GCP_API_ENDPOINT": self.endpoint, "GCP_AUTH_KIND": "accesstoken",
                "GCP_ACCESS_TOKEN": "fake-token-for-127.0.0.1"}

    def proxy_env(self):
        """For a client that only knows the public hosts and brings its own credentials (an AWX job): proxy and CA."""
        return {"HTTPS_PROXY": self.proxy, "https_proxy": self.proxy, "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", "REQUESTS_CA_BUNDLE": self.ca_file}

    def env(self):
        """module_env, and the proxy and CA for clients that only know the public hosts (the google.cloud modules)."""
        return dict(self.module_env(), **self.proxy_env())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _tls_context(workdir):
    """A throw-away CA and a *.googleapis.com certificate it signs (cryptography comes with ansible-core)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "llmd-xks fake GCP test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "*.googleapis.com")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.googleapis.com")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file = os.path.join(workdir, "ca.pem")
    chain = os.path.join(workdir, "server.pem")
    with open(ca_file, "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(chain, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context


def write_recording(log, directory, name):
    """The interactions of a run in the unit tests' replay format (tests/unit/fixtures/gcp/*.json)."""
    os.makedirs(directory, exist_ok=True)
    items = [dict((k, v) for k, v in item.items() if k != "api_method") for item in log]
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump(items, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return path


def record(scenario, command, out, cwd=None):
    """Runs ``command`` (e.g. ansible-playbook playbooks/provision.yml ...) against a fake with ``scenario`` and writes
    what the modules sent and got to ``out`` (the replay format); returns (exit code, path)."""
    import subprocess

    with FakeGcp(scenario) as fake:
        env = dict(os.environ, **fake.env())
        code = subprocess.call(command, env=env, cwd=cwd)
        path = write_recording(fake.fake.log, os.path.dirname(os.path.abspath(out)), os.path.basename(out))
    return code, path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=(
        "record: %(prog)s --scenario tests/integration/fixtures/gcp/tpu.json --record-to tests/unit/fixtures/gcp/recorded/"
        "provision-tpu-check.json -- ansible-playbook playbooks/provision.yml -i inventories/gke-tpu --check"))
    parser.add_argument("--scenario", help="scenario JSON file (default: an empty project where everything is allowed)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record-to", help="run the command after -- against the fake and write its interactions here")
    parser.add_argument("command", nargs="*", help="with --record-to: the command to drive the modules")
    args = parser.parse_args(argv)
    scenario = {}
    if args.scenario:
        with open(args.scenario) as handle:
            scenario = json.load(handle)
    if args.record_to:
        if not args.command:
            parser.error("--record-to needs the command to run after --")
        code, path = record(scenario, args.command, args.record_to)
        print("%s (command exit code %d)" % (path, code))
        return code
    with FakeGcp(scenario, port=args.port) as fake:
        print("api_endpoint: %s" % fake.endpoint)
        print("export %s" % " ".join("%s=%s" % kv for kv in sorted(fake.env().items())), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
