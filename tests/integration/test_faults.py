# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The fault suite: bad inputs, interruptions and cluster faults against the local control plane (issue 16).

Each test runs the real ansible-playbook and records a row of the fault table (fault, expected, observed,
seconds until the message), written to ``.cache/fault-table.md`` and printed at the end of the module.
Every address is on 127.0.0.1: the silent API server is a listener that accepts TCP and never answers, and
the cluster's own kube-apiserver is killed and started again with the command line it had.

Bad inputs compare the resourceVersion of every object the playbook could write (in the namespace, the
gateway namespace and the namespace list) before and after the run. Interrupted runs (SIGKILL of the whole
ansible-playbook process group, as an AWX cancel ends in) are re-run and then checked against the plan:
every top-level object the collection labels is one the plan lists, and every planned one exists.
The cluster faults use the istio_kserve stack and the cpu-sim profile.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml
from kubernetes import client

from ansible_task import COLLECTIONS, REPO, ansible_env
from playbook import PlaybookRun
from waiting import WaitTimeout, scaled, wait_for

from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan

# one worker runs the whole module: its fault table (fault_table) is written once, from all the rows
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults"), pytest.mark.budget(180)]

STATE = os.environ.get("LLMD_XKS_STATE", os.path.join(REPO, ".cache", "cluster"))
TABLE = os.path.join(REPO, ".cache", "fault-table.md")
FAST = {"LLMD_XKS_REQUEST_TIMEOUT": "5", "LLMD_XKS_CONNECT_TIMEOUT": "3"}
with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
    ACCELERATORS = yaml.safe_load(handle)["llmd_xks_accelerators"]
ROWS = []


def variables(namespace, **extra):
    base = {"llmd_xks_stack": "istio_kserve", "llmd_xks_accelerator": "cpu-sim", "llmd_xks_namespace": namespace,
            "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], "llmd_xks_wait_timeout": 90,
            "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace, "class_name": "istio", "create": True}}
    base.update(extra)
    return base


def command(playbook, extra_vars):
    return [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(REPO, "playbooks", playbook),
            "-i", os.path.join(REPO, "inventories", "local"), "-e", json.dumps(extra_vars)]


def environment(kubeconfig, **extra):
    env = ansible_env(kubeconfig)
    # results as one-line JSON, so a message is never wrapped across lines
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_FORCE_COLOR="false", NO_COLOR="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_CALLBACK_FORMAT_PRETTY="false")
    env.update(extra)
    return env


def play(kubeconfig, playbook, extra_vars, timeout=600, **env):
    """(PlaybookRun, seconds)."""
    started = time.monotonic()
    proc = subprocess.run(command(playbook, extra_vars), env=environment(kubeconfig, **env), capture_output=True,
                          text=True, timeout=scaled(timeout), cwd=REPO, check=False)
    return PlaybookRun(proc), time.monotonic() - started


def start(kubeconfig, playbook, extra_vars, **env):
    return subprocess.Popen(command(playbook, extra_vars), env=environment(kubeconfig, **env), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def record(fault, expected, observed, seconds):
    ROWS.append((fault, expected, observed, seconds))


@pytest.fixture(scope="module", autouse=True)
def fault_table():
    yield
    if not ROWS:
        return
    lines = ["| fault | expected | observed | seconds until the message |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %.1f |" % row for row in ROWS]
    lines.append("")
    lines.append("Longest: %.1f s (%s)" % max((row[3], row[0]) for row in ROWS))
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    with open(TABLE, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    sys.__stderr__.write("\n[faults] table (also in %s)\n%s\n" % (TABLE, "\n".join(lines)))


# ------------------------------------------------------------------------------------------------- observation
KINDS = (
    ("", "v1", "configmaps"), ("", "v1", "secrets"), ("", "v1", "services"), ("", "v1", "serviceaccounts"),
    ("apps", "v1", "deployments"), ("networking.k8s.io", "v1", "networkpolicies"),
    ("serving.kserve.io", "v1alpha2", "llminferenceservices"), ("gateway.networking.k8s.io", "v1", "gateways"),
    ("gateway.networking.k8s.io", "v1", "httproutes"), ("inference.networking.k8s.io", "v1", "inferencepools"),
)


def listing(namespace, group, version, plural):
    if group == "":
        api = client.CoreV1Api()
        return {"configmaps": api.list_namespaced_config_map, "secrets": api.list_namespaced_secret,
                "services": api.list_namespaced_service,
                "serviceaccounts": api.list_namespaced_service_account}[plural](namespace).to_dict()["items"]
    if (group, plural) == ("apps", "deployments"):
        return client.AppsV1Api().list_namespaced_deployment(namespace).to_dict()["items"]
    if (group, plural) == ("networking.k8s.io", "networkpolicies"):
        return client.NetworkingV1Api().list_namespaced_network_policy(namespace).to_dict()["items"]
    return client.CustomObjectsApi().list_namespaced_custom_object(group, version, namespace, plural)["items"]


def name_of(item):
    meta = item["metadata"]
    return meta.get("name"), meta.get("resource_version") or meta.get("resourceVersion")


def resource_versions(*namespaces):
    """{(kind, namespace, name): resourceVersion} of everything a pattern run could write, and the namespaces."""
    # every namespace that is not being deleted (an earlier test's namespace finishes terminating meanwhile)
    found = dict((("Namespace", "", ns.metadata.name), ns.metadata.resource_version)
                 for ns in client.CoreV1Api().list_namespace().items if not ns.metadata.deletion_timestamp)
    for namespace in namespaces:
        if ("Namespace", "", namespace) not in found:
            continue
        for group, version, plural in KINDS:
            for item in listing(namespace, group, version, plural):
                name, version_seen = name_of(item)
                found[(plural, namespace, name)] = version_seen
    return found


def top_level_labelled(namespace):
    """(kind, name) of the objects the collection labels and no controller owns."""
    found = set()
    for group, version, plural in KINDS:
        for item in listing(namespace, group, version, plural):
            meta = item["metadata"]
            labels = meta.get("labels") or {}
            if (labels.get("llmd.xks/release") or labels.get("llmd.xks/apply-set")) and not (
                    meta.get("owner_references") or meta.get("ownerReferences")):
                found.add((plural, meta["name"]))
    return found


def expected_objects(namespace, pattern=1, **extra):
    """What the plan lists for these inputs (objects the collection creates itself)."""
    inputs = dict(stack="istio_kserve", pattern=pattern, namespace=namespace, accelerator="cpu-sim",
                  accelerators=ACCELERATORS, models=[{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], replicas=None,
                  gateway={"name": "inference-gateway", "namespace": namespace}, hf_secret_exists=True)
    inputs.update(extra)
    result = plan(inputs)
    assert result.errors == [], result.errors
    plural = {"NetworkPolicy": "networkpolicies", "ConfigMap": "configmaps"}
    wanted = set((plural[m["kind"]], m["metadata"]["name"]) for m in result.manifests)
    wanted |= set(("llminferenceservices", s["name"]) for s in result.services)
    wanted.add(("gateways", "inference-gateway"))
    return wanted


def assert_matches_plan(namespace, pattern=1):
    live = top_level_labelled(namespace)
    wanted = expected_objects(namespace, pattern)
    assert live == wanted, "orphans %s, missing %s" % (sorted(live - wanted), sorted(wanted - live))
    records = sorted(cm.metadata.name for cm in client.CoreV1Api().list_namespaced_config_map(namespace).items
                     if cm.metadata.name.startswith("llmd-xks-set-") and "-gateway-" not in cm.metadata.name)
    assert records == ["llmd-xks-set-llmd-xks-pattern%d-istio" % pattern]


def wait_until(predicate, timeout, interval=0.1):
    """True once predicate() holds within scaled(timeout), else False (the caller asserts)."""
    try:
        return bool(wait_for(predicate, timeout, interval, what=getattr(predicate, "__name__", "condition"),
                             ignore=(client.exceptions.ApiException,)))
    except WaitTimeout:
        return False


def llmisvc(namespace, name="qwen"):
    try:
        return client.CustomObjectsApi().get_namespaced_custom_object("serving.kserve.io", "v1alpha2", namespace,
                                                                      "llminferenceservices", name)
    except client.exceptions.ApiException as exc:
        if exc.status == 404:
            return None
        raise


def modules_under(root):
    """Pids of module processes (AnsiballZ) among the descendants of ``root``."""
    parents, argvs = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                stat = handle.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                argvs[int(entry)] = handle.read()
        except OSError:
            continue
        if stat[0] != "Z":
            parents[int(entry)] = int(stat[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid:
                frontier.append(child)
                if b"AnsiballZ_" in argvs.get(child, b""):
                    found.append(child)
    return found


def alive(pids):
    return [pid for pid in pids if os.path.exists("/proc/%d" % pid) and
            open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"]


def kill_group(proc):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


# ---------------------------------------------------------------------------------------------- local servers
class Listener(object):
    """A TCP listener on 127.0.0.1 that accepts and never answers, or answers every request with ``reply``."""

    def __init__(self, reply=None):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(conn)
            if self.reply:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(self.reply)
                except OSError:
                    pass
                conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        for conn in self.conns:
            conn.close()
        self.sock.close()


def kubeconfig_for(cluster, tmp_path, server):
    with open(cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    for entry in config["clusters"]:
        entry["cluster"]["server"] = server
        entry["cluster"].pop("certificate-authority-data", None)
        entry["cluster"].pop("certificate-authority", None)
        entry["cluster"]["insecure-skip-tls-verify"] = True
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


# ------------------------------------------------------------------------------------------- the API server
class ApiServer(object):
    """The local cluster's kube-apiserver: killed with SIGKILL and started again with the same command line."""

    def __init__(self):
        self.pidfile = os.path.join(STATE, "run", "kube-apiserver.pid")

    def pid(self):
        with open(self.pidfile) as handle:
            return int(handle.read().strip())

    def kill(self):
        pid = self.pid()
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            self.argv = [a.decode() for a in handle.read().split(b"\0") if a]
        with open("/proc/%d/environ" % pid, "rb") as handle:
            self.env = dict(e.decode().split("=", 1) for e in handle.read().split(b"\0") if b"=" in e)
        self.cwd = os.readlink("/proc/%d/cwd" % pid)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z", 10)

    def start(self, timeout=90):
        log = open(os.path.join(STATE, "logs", "kube-apiserver.log"), "a")
        proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        with open(self.pidfile, "w") as handle:
            handle.write("%d\n" % proc.pid)
        assert wait_until(self.ready, timeout, 0.5), "kube-apiserver did not come back within %ss" % timeout
        wait_for(self.controllers_work, timeout, 0.5, what="the controllers to work again after the restart",
                 ignore=(client.exceptions.ApiException,))

    @staticmethod
    def controllers_work():
        """Every node Ready and a new namespace gets its default ServiceAccount: the next test finds a working cluster."""
        core = client.CoreV1Api()
        if not all(any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or []) for n in core.list_node().items):
            return False
        probe = "fault-probe-%d" % os.getpid()
        try:
            core.create_namespace({"metadata": {"name": probe}})
        except client.exceptions.ApiException as exc:
            if exc.status != 409:
                raise
        try:
            return bool(wait_for(lambda: core.list_namespaced_service_account(probe).items, 30, 0.3,
                                 what="the default ServiceAccount of %s" % probe))
        finally:
            core.delete_namespace(probe)

    @staticmethod
    def ready():
        try:
            return client.CoreV1Api().list_namespace(limit=1, _request_timeout=2) is not None
        except Exception:  # noqa: BLE001 - not up yet
            return False


class Standins(object):
    """The controller stand-ins (KServe, Istio gateway, LWS), stopped with SIGSTOP and resumed with SIGCONT."""

    def __init__(self):
        with open(os.path.join(STATE, "run", "standins.pid")) as handle:
            self.pid = int(handle.read().strip())

    def stop(self):
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)


# ============================================================================================ the silent cluster
def test_silent_api_server_fails_within_the_request_timeout(cluster, tmp_path):
    with Listener() as silent:
        kubeconfig = kubeconfig_for(cluster, tmp_path, "https://127.0.0.1:%d" % silent.port)
        run, seconds = play(kubeconfig, "pattern1.yml", variables("silent"), timeout=300, **FAST)
    assert run.rc != 0
    assert "127.0.0.1:%d" % silent.port in run.output, run.output[-2000:]
    assert "(request timeout)" in run.output or "(connect timeout)" in run.output, run.output[-2000:]
    assert "Read what the cluster serves" in run.output and run.changed == 0
    assert seconds < 60, seconds
    record("API server accepts TCP, never answers (request timeout 5 s)", "fails at the first task naming the server",
           "fails: %s" % ("request timeout" if "(request timeout)" in run.output else "connect timeout"), seconds)


def test_silent_api_server_with_the_default_timeouts(cluster, tmp_path):
    with Listener() as silent:
        kubeconfig = kubeconfig_for(cluster, tmp_path, "https://127.0.0.1:%d" % silent.port)
        run, seconds = play(kubeconfig, "pattern1.yml", variables("silent"), timeout=300)
    assert run.rc != 0 and "127.0.0.1:%d" % silent.port in run.output, run.output[-2000:]
    assert 10 <= seconds < 90, seconds
    record("API server accepts TCP, never answers (defaults: connect 10 s, request 30 s)",
           "fails at the first task naming the server",
           "fails: %s" % ("request timeout" if "(request timeout)" in run.output else "connect timeout"), seconds)


def test_closed_port_and_a_server_that_is_not_kubernetes(cluster, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    closed = sock.getsockname()[1]
    sock.close()
    kubeconfig = kubeconfig_for(cluster, tmp_path, "http://127.0.0.1:%d" % closed)
    run, seconds = play(kubeconfig, "pattern1.yml", variables("closed"), **FAST)
    assert run.rc != 0 and "127.0.0.1:%d refused or failed the connection" % closed in run.output, run.output[-2000:]
    record("nothing listens on the API server's port", "fails naming the server", "refused, named", seconds)

    page = b"<html>It works!</html>"
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page)
    with Listener(reply) as web:
        kubeconfig = kubeconfig_for(cluster, tmp_path, "http://127.0.0.1:%d" % web.port)
        run, seconds = play(kubeconfig, "pattern1.yml", variables("web"), **FAST)
    assert run.rc != 0 and "not Kubernetes JSON" in run.output and "Traceback" not in run.output, run.output[-2000:]
    record("kubeconfig points at a web server, not Kubernetes", "says so, no traceback", "says so, no traceback", seconds)


def test_missing_kubeconfig_is_named(cluster, tmp_path):
    missing = str(tmp_path / "no-such-kubeconfig")
    run, seconds = play(missing, "pattern1.yml", variables("missing"))
    assert run.rc != 0 and "The kubeconfig %s (from K8S_AUTH_KUBECONFIG) does not exist" % missing in run.output, \
        run.output[-2000:]
    record("K8S_AUTH_KUBECONFIG names a missing file", "names the path", "names the path", seconds)


# ==================================================================================== bad inputs write nothing
BAD_INPUTS = dict(
    llmd_xks_stack="istio", llmd_xks_release="r" * 30,
    llmd_xks_models=[{"name": "m" * 30, "id": "Qwen/Qwen3-0.6B", "served_name": "x\nkind: Secret"},
                     {"name": "qwen\n", "id": "Qwen/Qwen3-0.6B\n"}],
    llmd_xks_gateway={"name": "inference-gateway", "namespace": "no-such-gateway-ns", "create": True},
    llmd_xks_accelerator="custom", llmd_xks_accelerators=dict(ACCELERATORS, custom=dict(
        ACCELERATORS["tpu-v6e-4t"], node_labels={"cloud.google.com/gke-tpu-topology": "2x2/b"})))
EXPECTED_MESSAGES = [
    ("unknown stack", "llmd_xks_stack: 'istio' is not a stack"),
    ("release and model valid alone, derived names over 63", "llmd_xks_release / llmd_xks_models[0].name: the derived"),
    ("served_name carrying YAML", "llmd_xks_models[0].served_name:"),
    ("trailing newline in a model name", "llmd_xks_models[1].name:"),
    ("trailing newline in a model id", "llmd_xks_models[1].id:"),
    ("gateway namespace that does not exist", "llmd_xks_gateway.namespace: namespace 'no-such-gateway-ns'"),
    ("'/' in a custom profile's node_labels", "llmd_xks_accelerators.custom.node_labels:"),
]


def test_bad_inputs_are_all_reported_at_once_and_leave_every_resource_version_as_it_was(cluster, namespace):
    before = resource_versions(namespace)
    run, seconds = play(cluster.kubeconfig, "pattern2.yml", variables(namespace, **BAD_INPUTS))
    after = resource_versions(namespace)
    assert run.rc != 0 and run.changed == 0, run
    missing = [expected for _fault, expected in EXPECTED_MESSAGES if expected not in run.output]
    assert not missing, (missing, run.output[-3000:])
    assert after == before, "changed: %s" % sorted(set(after.items()) ^ set(before.items()))
    for fault, _expected in EXPECTED_MESSAGES:
        record("bad input: %s" % fault, "refused naming the variable, nothing written",
               "refused in the same run as the others, resourceVersions unchanged", seconds)


# ================================================================= deploy, interruptions, faults, two patterns
def test_sigkill_during_deploy_converges_on_rerun_with_nothing_left_over(cluster, namespace):
    extra = variables(namespace)
    scaled = variables(namespace, llmd_xks_replicas=2)
    for point, run_vars, reached in (
            ("after the first writes (Secret, Gateway)", extra, lambda: client.CustomObjectsApi().list_namespaced_custom_object(
                "gateway.networking.k8s.io", "v1", namespace, "gateways")["items"]),
            ("while waiting for the LLMInferenceService (replicas 1 -> 2)", scaled,
             lambda: (llmisvc(namespace) or {}).get("spec", {}).get("replicas") == 2)):
        proc = start(cluster.kubeconfig, "pattern1.yml", run_vars)
        hit = wait_until(lambda: proc.poll() is not None or reached(), 240)
        assert hit and proc.poll() is None, "the deploy ended before %s" % point
        kill_group(proc)
        run, seconds = play(cluster.kubeconfig, "pattern1.yml", run_vars)
        assert run.rc == 0, run
        assert_matches_plan(namespace)
        record("SIGKILL of ansible-playbook %s" % point, "re-run converges, no orphan", "converged, matches the plan", seconds)
    again, _seconds = play(cluster.kubeconfig, "pattern1.yml", scaled)
    assert again.rc == 0 and again.changed == 0, again

    # a second pattern with the same model name in this namespace is refused, nothing is touched
    before = resource_versions(namespace)
    run, seconds = play(cluster.kubeconfig, "pattern3.yml", scaled)
    assert run.rc != 0 and "LLMInferenceService %s/qwen already exists and belongs to release pattern1" % namespace \
        in run.output, run.output[-3000:]
    assert resource_versions(namespace) == before
    record("pattern 3 into the namespace of pattern 1 (same model name)", "refused with the owner named",
           "refused, resourceVersions unchanged", seconds)

    # the controller stopped: the wait ends at llmd_xks_wait_timeout with the controller named
    standins = Standins()
    standins.stop()
    try:
        run, seconds = play(cluster.kubeconfig, "pattern1.yml", variables(namespace, llmd_xks_replicas=1, llmd_xks_wait_timeout=8))
        assert run.rc != 0 and "has not observed generation" in run.output, run.output[-3000:]
        assert seconds < 60
        record("KServe controller stopped (wait timeout 8 s)", "fails at the wait timeout naming the controller",
               "fails: the controller has not observed the new generation", seconds)

        # only ansible-playbook killed (its worker and the module survive it): the module's wait notices and stops
        proc = start(cluster.kubeconfig, "pattern1.yml", variables(namespace, llmd_xks_replicas=2, llmd_xks_wait_timeout=600))
        assert wait_until(lambda: proc.poll() is not None or (llmisvc(namespace) or {}).get("spec", {}).get("replicas") == 2, 120)
        assert wait_until(lambda: modules_under(proc.pid), 30)
        modules = modules_under(proc.pid)
        assert proc.poll() is None and modules
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert wait_until(lambda: not alive(modules), 60, 0.5), alive(modules)
        seconds = time.monotonic() - killed
        proc.wait(10)
    finally:
        standins.resume()
    record("only the ansible-playbook process killed during a 600 s wait", "the surviving module stops waiting",
           "stopped: its play has ended", seconds)


def test_api_server_killed_during_apply_and_during_a_wait(cluster, namespace):
    server = ApiServer()
    extra = variables(namespace)
    # during an apply: the module fails fast naming the server; after a restart the re-run converges
    proc = start(cluster.kubeconfig, "pattern1.yml", extra, **FAST)
    # the token Secret is written: the next task applies the Gateway
    assert wait_until(lambda: proc.poll() is not None or client.CoreV1Api().list_namespaced_secret(
        namespace, label_selector="app.kubernetes.io/managed-by=llmd.xks").items, 240)
    assert proc.poll() is None
    server.kill()
    killed = time.monotonic()
    try:
        out, _err = proc.communicate(timeout=scaled(120))
        seconds = time.monotonic() - killed
    finally:
        server.start()
    assert proc.returncode != 0 and "refused or failed the connection" in out, out[-3000:]
    record("kube-apiserver SIGKILLed during the deploy's applies", "fails at once naming the server",
           "fails naming the server", seconds)
    run, _seconds = play(cluster.kubeconfig, "pattern1.yml", extra)
    assert run.rc == 0, run.output[-3000:]
    assert_matches_plan(namespace)

    # during a wait: a 5 s outage inside the wait's deadline is retried and the run succeeds
    standins = Standins()
    standins.stop()
    try:
        proc = start(cluster.kubeconfig, "pattern1.yml", variables(namespace, llmd_xks_replicas=2, llmd_xks_wait_timeout=120))
        assert wait_until(lambda: proc.poll() is not None or (llmisvc(namespace) or {}).get("spec", {}).get("replicas") == 2, 120)
        assert proc.poll() is None
        time.sleep(1)  # inside the LLMInferenceService wait
        server.kill()
        time.sleep(5)
        server.start()
    finally:
        standins.resume()
    resumed = time.monotonic()
    out, _err = proc.communicate(timeout=scaled(300))
    assert proc.returncode == 0, out[-3000:]
    record("kube-apiserver down 5 s (plus its restart) during the readiness wait", "the wait retries and succeeds",
           "succeeded", time.monotonic() - resumed)
    assert_matches_plan(namespace)


def test_two_runs_at_once_and_sigkill_during_teardown(cluster, namespace):
    extra = variables(namespace)
    started = time.monotonic()
    first, second = start(cluster.kubeconfig, "pattern1.yml", extra), start(cluster.kubeconfig, "pattern1.yml", extra)
    outputs = [first.communicate(timeout=scaled(400))[0], second.communicate(timeout=scaled(400))[0]]
    assert (first.returncode, second.returncode) == (0, 0), "\n----\n".join(o[-2000:] for o in outputs)
    assert_matches_plan(namespace)
    record("two deploys of one pattern at once", "both succeed, one consistent set", "both succeeded, matches the plan",
           time.monotonic() - started)

    teardown = dict(extra, llmd_xks_state="absent")
    proc = start(cluster.kubeconfig, "pattern1.yml", teardown)
    assert wait_until(lambda: proc.poll() is not None or llmisvc(namespace) is None or
                      (llmisvc(namespace) or {}).get("metadata", {}).get("deletionTimestamp"), 240)
    if proc.poll() is None:
        kill_group(proc)
    run, seconds = play(cluster.kubeconfig, "pattern1.yml", teardown)
    assert run.rc == 0, run
    assert wait_until(lambda: llmisvc(namespace) is None, 60)
    left = top_level_labelled(namespace) - {("gateways", "inference-gateway")}
    assert left == set(), left
    record("SIGKILL of ansible-playbook during the teardown", "re-run removes the rest, no orphan",
           "removed, only the shared Gateway stays", seconds)


def test_sigkill_during_a_migration_converges_on_rerun(cluster, namespace):
    extra = variables(namespace, migrate_step_seconds=1, **{"from": "istio_kserve", "to": "istio_kserve"})
    run, _seconds = play(cluster.kubeconfig, "pattern1.yml", variables(namespace))
    assert run.rc == 0, run
    migration = dict(extra, from_pattern=1, to_pattern=3)
    proc = start(cluster.kubeconfig, "migrate.yml", migration)
    assert wait_until(lambda: proc.poll() is not None or (llmisvc(namespace) or {}).get("metadata", {}).get(
        "labels", {}).get("llmd.xks/release") == "pattern3", 300)
    assert proc.poll() is None, "the migration ended before it could be interrupted"
    kill_group(proc)
    run, seconds = play(cluster.kubeconfig, "migrate.yml", migration)
    assert run.rc == 0, run
    assert_matches_plan(namespace, pattern=3)
    record("SIGKILL of ansible-playbook during a pattern 1 -> 3 migration", "re-run finishes it, no orphan",
           "finished, matches the plan of pattern 3", seconds)
