"""Populate a fresh local control plane: CRDs, KServe presets/config, GatewayClasses, fake Nodes.

Run by ``tools/cluster.sh up`` once kube-apiserver is ready:

    python -m tools.localcluster.bootstrap --kubeconfig .cache/cluster/admin.kubeconfig

What it installs (everything server-side applied, field manager ``llmd-xks-localcluster``):
  * every CRD under $LLMD_XKS_CRDS_DIR (default /work/shared/crds), waiting until each is Established
    (server-side apply because several CRDs exceed the 256 KiB last-applied annotation limit);
  * namespace ``kserve`` with the KServe LLMInferenceServiceConfig presets from
    $LLMD_XKS_KSERVE_PRESETS_DIR (default /work/shared/kserve-presets/v0.20.0) and the ConfigMap
    ``kserve/inferenceservice-config`` the KServe llmisvc controller reads;
  * GatewayClasses ``istio`` (istio.io/gateway-controller) and the GKE classes
    (networking.gke.io/gateway), so the stand-in gateway controller can program Gateways;
  * Gateway ``kserve/kserve-ingress-gateway`` (class istio, HTTP 80, routes from all namespaces),
    the default gateway of KServe's ``router.gateway: {}`` (skip with LLMD_XKS_DEFAULT_GATEWAY=0);
  * GKE's StorageClasses (standard-rwo is the default; kwok's volume stages bind their PVCs);
  * fake Nodes from playbooks/vars/accelerators.yml x inventories/local/.../cluster.yml.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import yaml

from tools.localcluster import kube, nodes

def _shared_dir():
    """The shared/ folder beside the repository (CI lays a copy there), else /work/shared."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for candidate in (os.environ.get("LLMD_XKS_SHARED"), os.path.join(repo, "..", "shared"), "/work/shared"):
        if candidate and os.path.isdir(os.path.join(candidate, "crds")):
            return os.path.abspath(candidate)
    return "/work/shared"


CRDS_DIR = os.environ.get("LLMD_XKS_CRDS_DIR", os.path.join(_shared_dir(), "crds"))
PRESETS_DIR = os.environ.get("LLMD_XKS_KSERVE_PRESETS_DIR", os.path.join(_shared_dir(), "kserve-presets", "v0.20.0"))
KSERVE_NS = "kserve"
DEFAULT_GATEWAY = ("kserve", "kserve-ingress-gateway")

GATEWAY_CLASSES = {
    "istio": "istio.io/gateway-controller",
    "gke-l7-regional-external-managed": "networking.gke.io/gateway",
    "gke-l7-rilb": "networking.gke.io/gateway",
    "gke-l7-global-external-managed": "networking.gke.io/gateway",
}

INFERENCESERVICE_CONFIG = {
    "ingress": {
        "enableGatewayApi": True,
        "kserveIngressGateway": "kserve/kserve-ingress-gateway",
        "ingressGateway": "knative-serving/knative-ingress-gateway",
        "localGateway": "knative-serving/knative-local-gateway",
        "localGatewayService": "knative-local-gateway.istio-system.svc.cluster.local",
        "ingressDomain": "example.com",
        "ingressClassName": "istio",
        "domainTemplate": "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}",
        "urlScheme": "http",
        "disableIstioVirtualHost": False,
        "disableIngressCreation": False,
        "enableLLMInferenceServiceTLS": False,
        "modelBasedRoutingHeaderName": "X-Gateway-Model-Name",
        "modelBasedRoutingMode": "enabled",
    },
    "storageInitializer": {
        "image": "kserve/storage-initializer:v0.20.0",
        "memoryRequest": "100Mi", "memoryLimit": "1Gi", "cpuRequest": "100m", "cpuLimit": "1",
        "caBundleConfigMapName": "", "caBundleVolumeMountPath": "/etc/ssl/custom-certs",
        "enableDirectPvcVolumeMount": True, "enableModelcar": True, "cpuModelcar": "10m",
        "memoryModelcar": "15Mi", "uidModelcar": 1010,
    },
    "credentials": {
        "storageSpecSecretName": "storage-config", "storageSecretNameAnnotation": "serving.kserve.io/storageSecretName",
        "gcs": {"gcsCredentialFileName": "gcloud-application-credentials.json"},
        "s3": {"s3AccessKeyIDName": "AWS_ACCESS_KEY_ID", "s3SecretAccessKeyName": "AWS_SECRET_ACCESS_KEY"},
    },
    "deploy": {"defaultDeploymentMode": "RawDeployment"},
}


def log(msg: str) -> None:
    print(f"[bootstrap {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_docs(path: str):
    with open(path, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


def install_crds(api, crds_dir: str) -> list:
    files = sorted(glob.glob(os.path.join(crds_dir, "**", "*.yaml"), recursive=True))
    crds = [d for f in files for d in load_docs(f) if d.get("kind") == "CustomResourceDefinition"]
    if not crds:
        raise SystemExit(f"no CRDs found under {crds_dir}")

    def one(crd):
        kube.apply(api, kube.resource_path("apiextensions.k8s.io/v1", "customresourcedefinitions",
                                           crd["metadata"]["name"]), crd)
        return crd["metadata"]["name"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        names = list(pool.map(one, crds))
    log(f"applied {len(names)} CRDs from {crds_dir}")
    return names


def wait_established(api, names: list, timeout: float = 120) -> None:
    pending = set(names)
    deadline = time.time() + timeout
    while pending:
        listing = kube.request(api, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
        for item in listing["items"]:
            conds = {c["type"]: c["status"] for c in (item.get("status") or {}).get("conditions") or []}
            if conds.get("Established") == "True" and conds.get("NamesAccepted", "True") == "True":
                pending.discard(item["metadata"]["name"])
        if not pending:
            break
        if time.time() > deadline:
            raise SystemExit(f"CRDs not Established after {timeout}s: {sorted(pending)}")
        time.sleep(0.2)
    log(f"{len(names)} CRDs Established")
    # Established CRDs can still 404 for a moment until the apiserver serves their endpoints.
    by_name = {i["metadata"]["name"]: i for i in listing["items"]}
    for name in names:
        spec = by_name[name]["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("served"))
        wait_served(api, f"{spec['group']}/{version}", spec["names"]["plural"])
    log(f"{len(names)} CRDs served")


def wait_served(api, api_version: str, plural: str, timeout: float = 60) -> None:
    """Established CRDs can 404 for a moment until the apiserver serves the new group."""
    deadline = time.time() + timeout
    while True:
        try:
            kube.request(api, "GET", kube.resource_path(api_version, plural), query={"limit": "1"})
            return
        except kube.ApiException as exc:
            if exc.status != 404 or time.time() > deadline:
                raise
            time.sleep(0.2)


def install_kserve(api, presets_dir: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "inferenceservice-config", "namespace": KSERVE_NS,
                       "labels": {"app.kubernetes.io/name": "kserve", "llmd.xks/local-cluster": "true"}},
          "data": {k: json.dumps(v, indent=2) for k, v in INFERENCESERVICE_CONFIG.items()}}
    kube.apply_object(api, cm)
    files = sorted(glob.glob(os.path.join(presets_dir, "*.yaml")))
    for f in files:
        for doc in load_docs(f):
            kube.PLURALS[doc["kind"]] = "llminferenceserviceconfigs"
            kube.apply_object(api, doc, KSERVE_NS)
    log(f"namespace kserve: inferenceservice-config + {len(files)} presets from {presets_dir}")


def install_gateways(api, default_gateway: bool) -> None:
    kube.PLURALS["GatewayClass"] = "gatewayclasses"
    for name, ctrl in GATEWAY_CLASSES.items():
        kube.apply_object(api, {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                                "metadata": {"name": name}, "spec": {"controllerName": ctrl}})
    log(f"GatewayClasses: {', '.join(GATEWAY_CLASSES)}")
    if default_gateway:
        ns, name = DEFAULT_GATEWAY
        kube.apply_object(api, {
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"serving.kserve.io/gateway": "kserve-ingress-gateway"}},
            "spec": {"gatewayClassName": "istio",
                     "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                    "allowedRoutes": {"namespaces": {"from": "All"}}}]}})
        log(f"Gateway {ns}/{name}")


# GKE's StorageClasses; kwok's volume stages (tools/cluster.sh) provision and bind PVCs of these classes.
STORAGE_CLASSES = [
    ("standard-rwo", "pd.csi.storage.gke.io", {"type": "pd-balanced"}, "WaitForFirstConsumer", True),
    ("premium-rwo", "pd.csi.storage.gke.io", {"type": "pd-ssd"}, "WaitForFirstConsumer", False),
    ("standard", "kubernetes.io/gce-pd", {"type": "pd-standard"}, "Immediate", False),
]


def install_storage_classes(api) -> None:
    for name, provisioner, params, binding, default in STORAGE_CLASSES:
        meta = {"name": name, "labels": {"llmd.xks/local-cluster": "true"}}
        if default:
            meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
        kube.apply_object(api, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": meta,
                                "provisioner": provisioner, "parameters": params, "reclaimPolicy": "Delete",
                                "volumeBindingMode": binding, "allowVolumeExpansion": True})
    log(f"StorageClasses: {', '.join(n for n, *_ in STORAGE_CLASSES)}")


def install_nodes(api) -> None:
    manifests = nodes.default_manifests()
    for node, status in manifests:
        name = node["metadata"]["name"]
        kube.apply(api, kube.resource_path("v1", "nodes", name), node)
        kube.request(api, "PATCH", kube.resource_path("v1", "nodes", name, subresource="status"),
                     {"status": status}, content_type="application/merge-patch+json")
    log(f"{len(manifests)} fake Nodes")


def wait_nodes_ready(api, count: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        items = kube.request(api, "GET", "/api/v1/nodes", query={"labelSelector": "type=kwok"})["items"]
        ready = [n for n in items if any(c["type"] == "Ready" and c["status"] == "True"
                                         for c in (n.get("status") or {}).get("conditions") or [])]
        if len(ready) >= count:
            log(f"{len(ready)} Nodes Ready")
            return
        if time.time() > deadline:
            raise SystemExit(f"only {len(ready)}/{count} Nodes Ready after {timeout}s (is kwok running?)")
        time.sleep(0.2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    ap.add_argument("--crds", default=CRDS_DIR)
    ap.add_argument("--presets", default=PRESETS_DIR)
    ap.add_argument("--phase", choices=("static", "ready", "all"), default="all",
                    help="static: objects (CRDs, presets, nodes...); ready: wait until kwok made the Nodes Ready")
    args = ap.parse_args(argv)
    t0 = time.time()
    api = kube.api_client(args.kubeconfig)
    if args.phase in ("static", "all"):
        names = install_crds(api, args.crds)
        kube.apply_object(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KSERVE_NS}})
        install_nodes(api)
        install_storage_classes(api)
        wait_established(api, names)
        install_gateways(api, os.environ.get("LLMD_XKS_DEFAULT_GATEWAY", "1") != "0")
        install_kserve(api, args.presets)
    if args.phase in ("ready", "all"):
        wait_nodes_ready(api, len(nodes.default_manifests()))
    log(f"phase {args.phase} done in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
