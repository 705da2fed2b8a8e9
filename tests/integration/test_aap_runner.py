# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The job templates and workflows of aap/ launched through ansible-runner as AWX would (tests/integration/awx_jobs.py).

Launched (CPU is scarce, each job is a whole ansible-playbook; docs/aap.md has the table):
* ``llmd-xks provision`` and ``llmd-xks teardown gke`` with the GCP credential (a service-account key whose
  token_uri, like every Google host, is answered by the fake GCP endpoint through HTTPS_PROXY);
* ``llmd-xks preflight`` with the Kubernetes bearer-token credential against the local cluster, one answer not
  the default (``preflight_fail_on_error: "false"``);
* the workflow ``llmd-xks deploy pattern1`` on the gke-tpu inventory with its survey defaults: preflight fails (no
  Hugging Face token nor Secret in that inventory; the fake GCP project has no GKE cluster nor proxy-only subnet) and
  the workflow stops there (no failure edge), as AWX would;
* on the inventory ``llmd-xks local`` (inventories/local, chosen at launch: every template asks for the inventory),
  whose group_vars point the platform's sources at local copies (the template takes no launch variables; an offline
  site keeps its mirrors in its inventory the same way) and the llm-d charts at LLMD_XKS_CHARTS_DIR:
  ``llmd-xks platform`` (istio_kserve, every role), ``llmd-xks pattern1`` with its defaults then ``llmd-xks benchmark``
  and ``llmd-xks teardown``, ``llmd-xks pattern3`` answered gateway_api_llmd on nvidia-h100-80gb then teardown,
  ``llmd-xks pattern1`` then ``llmd-xks migrate`` (istio_kserve -> gateway_api_llmd) then teardown, and the workflow
  ``llmd-xks deploy pattern1`` end to end (preflight passes once the platform is there), each checked on the cluster
  (objects there, then gone). The benchmark jobs load tools/inference_sim.py on 127.0.0.1 through the gateway address
  given at launch: the local cluster's model servers are kwok pods that do not answer.
Not launched: ``pattern2`` and ``pattern4`` and the workflows ``deploy pattern3|4`` (the same role and traversal with
other numbers; the playbooks run in tests/integration/test_patterns.py), anything against real GCP or GKE (no cloud
account or accelerator here), and AWX's check job type (job_type run, not asked on launch).
No job event contains a credential secret, and what the jobs ran is in the execution environment's definition.
"""

import base64
import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest
import yaml
from kubernetes import client

import awx_jobs
from gcp_scenarios import TPU, FakeGcp, scenario
from test_platform_roles import remove_unmanaged_sail_operator
from waiting import scaled, wait_for

from ansible_collections.llmd.xks.plugins.module_utils._client import KubeClient
from ansible_collections.llmd.xks.plugins.module_utils._stack_info import describe

pytestmark = pytest.mark.integration

REPO = awx_jobs.REPO
HF_TOKEN = "hf_awxRunnerTestTokenNotReal0123456789"


def _rsa_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def assert_no_secret(job, extra=()):
    text = "\n".join(repr(e) for e in job.events)
    for secret in list(job.secrets) + list(extra):
        for piece in [secret] + [line for line in secret.splitlines() if len(line) > 20 and "-----" not in line]:
            assert piece not in text, "%s: a secret is in its job events" % job.name


@pytest.fixture
def fake_gcp():
    with FakeGcp(scenario(TPU, operationsDone=True)) as fake:
        yield fake


@pytest.fixture(scope="module")
def gcp_secrets():
    return {"llmd_xks_aap_gcp_service_account": "llmd-xks@my-gcp-project.iam.gserviceaccount.com",
            "llmd_xks_aap_gcp_project": "my-gcp-project", "llmd_xks_aap_gcp_key": _rsa_key()}


@pytest.fixture
def gcp_awx(tmp_path, fake_gcp, gcp_secrets):
    secrets = dict(gcp_secrets)
    # GCE_METADATA_*: google-auth must never look for a metadata server outside 127.0.0.1 (port 9: closed)
    env = dict(fake_gcp.proxy_env(), GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9")
    return awx_jobs.Awx(str(tmp_path / "jobs"), secrets, env=env)


def test_provision_then_teardown_gke_templates(gcp_awx, fake_gcp):
    job = gcp_awx.launch("llmd-xks provision")
    assert job.status == "successful", job.stdout[-4000:]
    assert job.envvars["GCP_AUTH_KIND"] == "serviceaccount" and "GCP_ACCESS_TOKEN" not in job.envvars
    assert fake_gcp.fake.tokens, "the service-account key was never exchanged for a token"
    cluster = "https://container.googleapis.com/v1/projects/my-gcp-project/locations/europe-west4-a/clusters/llmd-tpu"
    assert fake_gcp.fake.resources[cluster]["status"] == "RUNNING" and fake_gcp.fake.probes() == []
    assert [c for c in fake_gcp.fake.log if c["status"] == 400] == []

    down = gcp_awx.launch("llmd-xks teardown gke")                       # default mode: accelerator pools to zero
    assert down.status == "successful", down.stdout[-4000:]
    assert '"target": "tpu-v6e-pool", "kind": "node_pool", "action": "scale_to_zero"' in down.stdout
    pool = fake_gcp.fake.resources[cluster + "/nodePools/tpu-v6e-pool"]
    assert pool["autoscaling"]["minNodeCount"] == 0
    for each in (job, down):
        assert_no_secret(each, extra=fake_gcp.fake.tokens)
    print("runner jobs: %s" % ", ".join("%s %.0f s" % (j.name, j.seconds) for j in gcp_awx.jobs))


@pytest.fixture(scope="module")
def bearer(cluster):
    """A ServiceAccount token of the local cluster: what an AWX Kubernetes credential holds."""
    api = cluster.client() if hasattr(cluster, "client") else client.ApiClient()
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    name, namespace = "awx-job-runner", "kube-system"
    try:
        core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    try:
        rbac.create_cluster_role_binding({"metadata": {"name": name}, "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]})
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    token = core.create_namespaced_service_account_token(name, namespace, {"spec": {"expirationSeconds": 3600}}).status.token
    with open(cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    entry = config["clusters"][0]["cluster"]
    return {"llmd_xks_aap_k8s_host": entry["server"], "llmd_xks_aap_k8s_token": token,
            "llmd_xks_aap_k8s_ca_cert": base64.b64decode(entry["certificate-authority-data"]).decode(),
            "llmd_xks_aap_hf_token": HF_TOKEN}


@pytest.fixture
def kube_awx(tmp_path, bearer, fake_gcp, gcp_secrets):
    env = dict(fake_gcp.proxy_env(), GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9")
    return awx_jobs.Awx(str(tmp_path / "jobs"), dict(gcp_secrets, **bearer), env=env)


ROW = re.compile(r"^\s*(?:- )?\"?(PASS|WARN|FAIL)\s+\| (\S+)\s+\|", re.M)


def test_preflight_template_with_the_bearer_token_credential(kube_awx, bearer):
    job = kube_awx.launch("llmd-xks preflight", answers={"preflight_fail_on_error": "false"})
    assert job.status == "successful", job.stdout[-4000:]
    assert job.envvars["K8S_AUTH_API_KEY"] == bearer["llmd_xks_aap_k8s_token"]
    assert job.envvars["K8S_AUTH_VERIFY_SSL"] == "True" and os.path.isfile(job.envvars["K8S_AUTH_SSL_CA_CERT"])
    assert not any(k in job.envvars for k in ("K8S_AUTH_KUBECONFIG", "KUBECONFIG"))
    rows = dict((m.group(2), m.group(1)) for m in ROW.finditer(job.stdout))
    assert "gatewayclass" in rows, job.stdout[-3000:]          # the checks read the cluster with the token
    assert "gcp_iam" in rows and "gke_cluster" in rows         # and the project with the GCE credential (the fake)
    assert job.extravars["llmd_xks_stack"] == "istio_kserve" and job.extravars["llmd_xks_accelerator"] == "tpu-v6e-4t"
    assert_no_secret(job)


def test_workflow_stops_where_its_edges_say(kube_awx):
    ran = kube_awx.launch_workflow("llmd-xks deploy pattern1")
    assert [(identifier, job.status) for identifier, job in ran] == [("preflight", "failed")], \
        [(i, j.status, j.stdout[-2000:]) for i, j in ran]
    assert ran[0][1].extravars["llmd_xks_pattern"] == 1            # the node's extra_data
    assert "Preflight failed" in ran[0][1].stdout
    assert_no_secret(ran[0][1])


def test_the_hugging_face_credential_is_an_extra_variable_kept_out_of_events(kube_awx, tmp_path):
    private = str(tmp_path / "hf")
    os.makedirs(private)
    env, extra, secrets = kube_awx.inject("llmd-xks hugging face", private)
    assert env == {} and extra == {"llmd_xks_hf_token": HF_TOKEN} and secrets == [HF_TOKEN]
    template = kube_awx._template("llmd-xks pattern1")
    assert "llmd-xks hugging face" in template["credentials"]


def test_what_the_jobs_ran_is_in_the_execution_environment(gcp_awx, kube_awx):
    """The modules the jobs ran come from collections the EE installs, and the EE pins the runner and core used."""
    from importlib.metadata import version

    from ansible.release import __version__ as core_version

    jobs = [gcp_awx.launch("llmd-xks teardown gke"),
            kube_awx.launch("llmd-xks preflight", answers={"preflight_fail_on_error": "false"})]
    with open(os.path.join(REPO, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    with open(os.path.join(REPO, "requirements.yml")) as handle:
        collections = set(c["name"] for c in yaml.safe_load(handle)["collections"]) | {"llmd.xks", "ansible.builtin"}
    used = set(".".join(action.split(".")[:2]) for job in jobs for action in job.actions() if action.count(".") >= 2)
    assert used and used <= collections, used - collections
    assert definition["dependencies"]["ansible_core"]["package_pip"] == "ansible-core==%s" % core_version
    assert definition["dependencies"]["ansible_runner"]["package_pip"] == "ansible-runner==%s" % version("ansible-runner")
    with open(os.path.join(REPO, "requirements.txt")) as handle:
        pins = set(line.split("==")[0].lower() for line in handle if "==" in line)
    assert {"google-auth", "requests", "kubernetes"} <= pins    # what the GCP and Kubernetes modules import
    print("collections the jobs used: %s" % ", ".join(sorted(used)))


def test_the_workflow_runner_follows_success_and_failure_edges(tmp_path, monkeypatch):
    """The traversal itself (no job runs): every node of pattern1's workflow in order while each succeeds,
    and nothing after a failed node that has no failure edge."""
    awx = awx_jobs.Awx(str(tmp_path), {})
    outcome = {}

    def launch(name, answers=None, extra_data=None, inventory=None, credentials=None, extra_vars=None, workflow_vars=None):
        return awx_jobs.Job(name, outcome.get(name, "successful"), 0, [], 0.0, dict(extra_data or {}, **workflow_vars), {})

    monkeypatch.setattr(awx, "launch", launch)
    ran = awx.launch_workflow("llmd-xks deploy pattern1", answers={"llmd_xks_stack": "gateway_api_llmd"})
    assert [i for i, j in ran] == ["preflight", "platform", "pattern", "benchmark"]
    assert all(j.extravars["llmd_xks_stack"] == "gateway_api_llmd" for i, j in ran)
    assert ran[0][1].extravars["llmd_xks_accelerator"] == "tpu-v6e-4t"          # the workflow survey's default
    outcome["llmd-xks platform"] = "failed"
    assert [i for i, j in awx.launch_workflow("llmd-xks deploy pattern1")] == ["preflight", "platform"]


# ------------------------------------------------------------------ the local inventory: platform, patterns, migrate
LOCAL = "llmd-xks local"   # aap/inventories.yml: inventories/local, whose group_vars hold the offline platform sources
NAMESPACE = "llm-d"        # llmd_xks_namespace of inventories/local
MODEL = "Qwen/Qwen3-0.6B"  # the model question's default; the pattern templates name its LLMInferenceService "model"
KSERVE = ("serving.kserve.io", "v1alpha2")


def kserve_services():
    return [(s["metadata"]["name"], s["spec"]["model"]["name"]) for s in client.CustomObjectsApi().list_namespaced_custom_object(
        *KSERVE, NAMESPACE, "llminferenceservices")["items"]]


def deployed(cluster):
    return [(d["stack"], d["pattern"], d["models"]) for d in describe(KubeClient(cluster.api_client()), NAMESPACE)]


def removed(cluster, what):
    """Nothing of a pattern left and its Pods gone: objects owned by what teardown deleted (the routes that kept
    KServe's paths after a migration) go with Kubernetes' garbage collector, shortly after the job."""
    core = client.CoreV1Api()
    wait_for(lambda: deployed(cluster) == [] and not core.list_namespaced_pod(NAMESPACE).items, scaled(60), 0.5,
             what=what)


@pytest.fixture(scope="module")
def local_namespace(cluster):
    """The pattern jobs deploy into llm-d (the inventory's namespace); it goes at the end, its Pods first."""
    yield NAMESPACE
    core = client.CoreV1Api()
    for call in (lambda: core.delete_collection_namespaced_pod(NAMESPACE, grace_period_seconds=0),
                 lambda: core.delete_namespace(NAMESPACE)):
        try:
            call()
        except client.ApiException as exc:
            if exc.status != 404:
                raise


@pytest.fixture
def local_awx(tmp_path, bearer, gcp_secrets, local_namespace):
    """AWX launching with the inventory "llmd-xks local" (every template asks for the inventory on launch)."""
    return awx_jobs.Awx(str(tmp_path / "jobs"), dict(gcp_secrets, **bearer), inventory=LOCAL,
                        env={"GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"})


@pytest.fixture(scope="module")
def platform_job(cluster, bearer, gcp_secrets, tmp_path_factory):
    """``llmd-xks platform`` with its survey default (istio_kserve: every role) on the local inventory, once."""
    remove_unmanaged_sail_operator(cluster.kubeconfig)   # helm adopts no Deployment it did not create
    awx = awx_jobs.Awx(str(tmp_path_factory.mktemp("platform")), dict(gcp_secrets, **bearer), inventory=LOCAL)
    return awx.launch("llmd-xks platform")


class Simulator(object):
    """tools/inference_sim.py on a free loopback port: the model servers of the local cluster (kwok pods) do not
    serve. It serves under /llm-d/model too, the path KServe gives pattern 1's LLMInferenceService."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(REPO, "tools", "inference_sim.py"), "--port", "0",
                                      "--model", MODEL, "--route-prefix", "/%s/model" % NAMESPACE, "--ttft-ms", "5",
                                      "--itl-ms", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"ready at (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        self.url = match.group(1)

    def served(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=10) as resp:
            text = resp.read().decode()
        pattern = r'^vllm:request_success_total\{[^}]*model_name="%s"[^}]*\} (\S+)$' % re.escape(MODEL)
        return sum(float(v) for v in re.findall(pattern, text, re.M))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def simulator():
    sim = Simulator()
    yield sim
    sim.stop()


def benchmark_vars(simulator, tmp_path):
    """What a user gives the benchmark template at launch: where the gateway answers (a port-forward, here the
    simulator), where the report goes, and a short load."""
    return {"benchmark_gateway_address": simulator.url, "benchmark_report_dir": str(tmp_path / "reports"),
            "benchmark_profile": {"type": "concurrency", "concurrency": 2, "requests": 12}}


def the_report(simulator, tmp_path):
    [path] = [os.path.join(tmp_path / "reports", n) for n in os.listdir(tmp_path / "reports") if n.endswith(".json")]
    with open(path) as handle:
        report = json.load(handle)
    summary = report["summary"]
    assert summary["requests"] == summary["completed"] == 12 and summary["failed"] == 0, summary
    assert simulator.served() >= 12    # the requests reached the simulator (warm-up requests come on top)
    return report


def test_templates_refuse_what_awx_refuses(local_awx):
    """No job runs: the launch checks are AWX's (ask_variables_on_launch, survey questions and choices)."""
    with pytest.raises(awx_jobs.LaunchRefused, match="does not ask for variables on launch"):
        local_awx.launch("llmd-xks platform", extra_vars={"gateway_api_crds_sources": ["/mirror/gateway-api"]})
    with pytest.raises(awx_jobs.LaunchRefused, match="not a question of its survey"):
        local_awx.launch("llmd-xks pattern1", answers={"llmd_xks_namespace": "elsewhere"})
    with pytest.raises(awx_jobs.LaunchRefused, match="not a choice"):
        local_awx.launch("llmd-xks pattern1", answers={"llmd_xks_stack": "istio"})
    assert local_awx.jobs == []


@pytest.mark.budget(180)
def test_platform_template_installs_the_stack_from_the_inventorys_sources(platform_job, bearer):
    """The platform template asks for no variables: the local inventory's group_vars point every source at a local copy,
    as an offline site's inventory would. helm (the sail-operator chart) reaches the cluster with the bearer token."""
    job = platform_job
    assert job.status == "successful", job.stdout[-4000:]
    assert "K8S_AUTH_KUBECONFIG" not in job.envvars and job.envvars["K8S_AUTH_API_KEY"] == bearer["llmd_xks_aap_k8s_token"]
    ext = client.ApiextensionsV1Api()
    for crd in ("gateways.gateway.networking.k8s.io", "inferencepools.inference.networking.k8s.io",
                "certificates.cert-manager.io", "istios.sailoperator.io", "leaderworkersets.leaderworkerset.x-k8s.io",
                "llminferenceservices.serving.kserve.io"):
        ext.read_custom_resource_definition(crd)
    istio = client.CustomObjectsApi().get_cluster_custom_object("sailoperator.io", "v1", "istios", "default")
    assert istio["spec"]["values"]["pilot"]["env"]["ENABLE_GATEWAY_API_INFERENCE_EXTENSION"] == "true"
    operator = client.AppsV1Api().read_namespaced_deployment("sail-operator", "sail-operator")
    assert operator.metadata.labels["app.kubernetes.io/managed-by"] == "Helm"   # installed by helm, with the token
    assert client.CustomObjectsApi().list_namespaced_custom_object(*KSERVE, "kserve", "llminferenceserviceconfigs")["items"]
    assert_no_secret(job)
    print("runner jobs: %s %.0f s" % (job.name, job.seconds))


@pytest.mark.budget(150)
def test_pattern1_defaults_benchmark_then_teardown(local_awx, cluster, simulator, tmp_path):
    """pattern1 with its survey defaults (istio_kserve, tpu-v6e-4t, Qwen/Qwen3-0.6B), the benchmark template finding its
    endpoint in the cluster (the LLMInferenceService's path behind the gateway address given at launch), then teardown
    with the same answers removes it."""
    job = local_awx.launch("llmd-xks pattern1")
    assert job.status == "successful", job.stdout[-4000:]
    assert kserve_services() == [("model", MODEL)]
    assert deployed(cluster) == [("istio_kserve", 1, [MODEL])]
    token = client.CoreV1Api().read_namespaced_secret("hf-token", NAMESPACE).data
    assert HF_TOKEN.encode() in [base64.b64decode(v) for v in token.values()]   # the credential's token, with no_log

    bench = local_awx.launch("llmd-xks benchmark", extra_vars=benchmark_vars(simulator, tmp_path))
    assert bench.status == "successful", bench.stdout[-4000:]
    assert "Benchmark of %s/%s/model (%s)" % (simulator.url, NAMESPACE, MODEL) in " ".join(bench.stdout.split())
    the_report(simulator, tmp_path)

    down = local_awx.launch("llmd-xks teardown", answers={"llmd_xks_pattern": "1"})
    assert down.status == "successful", down.stdout[-4000:]
    assert kserve_services() == []
    removed(cluster, "pattern 1 and its Pods to go after llmd-xks teardown")
    for each in (job, bench, down):
        assert_no_secret(each)
    assert HF_TOKEN not in "\n".join(repr(e) for e in job.events)
    print("runner jobs: %s" % ", ".join("%s %.0f s" % (j.name, j.seconds) for j in local_awx.jobs))


@pytest.mark.budget(150)
def test_pattern3_template_on_gateway_api_llmd_with_answers(local_awx, cluster):
    """pattern3 answered gateway_api_llmd on nvidia-h100-80gb: the real llm-d charts (the inventory's
    llmd_xks_charts_dir), installed by helm with the bearer token, its 3 replicas on the H100 pool; teardown with the
    same stack removes them."""
    answers = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": "nvidia-h100-80gb"}
    job = local_awx.launch("llmd-xks pattern3", answers=answers)
    assert job.status == "successful", job.stdout[-4000:]
    assert deployed(cluster) == [("gateway_api_llmd", 3, [MODEL])]
    pods = client.CoreV1Api().list_namespaced_pod(NAMESPACE, label_selector="llm-d.ai/inference-serving=true").items
    nodes = set(p.spec.node_name for p in pods)
    assert len(pods) == 3 and all(n.startswith("gke-local-h100-pool") for n in nodes), nodes
    assert client.CustomObjectsApi().list_namespaced_custom_object("inference.networking.k8s.io", "v1", NAMESPACE,
                                                                   "inferencepools")["items"]
    down = local_awx.launch("llmd-xks teardown", answers={"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_pattern": "3"})
    assert down.status == "successful", down.stdout[-4000:]
    assert not client.AppsV1Api().list_namespaced_deployment(NAMESPACE, label_selector="llmd.xks/stack=gateway_api_llmd").items
    removed(cluster, "the llm-d pattern and its Pods to go after llmd-xks teardown")
    for each in (job, down):
        assert_no_secret(each)
    print("runner jobs: %s" % ", ".join("%s %.0f s" % (j.name, j.seconds) for j in local_awx.jobs))


@pytest.mark.budget(240)
def test_migrate_template_moves_pattern1_to_gateway_api_llmd(local_awx, cluster):
    job = local_awx.launch("llmd-xks pattern1")
    assert job.status == "successful", job.stdout[-4000:]
    assert deployed(cluster) == [("istio_kserve", 1, [MODEL])]
    move = local_awx.launch("llmd-xks migrate", answers={"llmd_xks_migrate_from": "istio_kserve",
                                                         "llmd_xks_migrate_to": "gateway_api_llmd"},
                            extra_vars={"migrate_step_seconds": 1})
    assert move.status == "successful", move.stdout[-4000:]
    assert deployed(cluster) == [("gateway_api_llmd", 1, [MODEL])]
    assert kserve_services() == []
    down = local_awx.launch("llmd-xks teardown", answers={"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_pattern": "1"})
    assert down.status == "successful", down.stdout[-4000:]
    removed(cluster, "the migrated pattern and its Pods to go after llmd-xks teardown")
    for each in (job, move, down):
        assert_no_secret(each)
    print("runner jobs: %s" % ", ".join("%s %.0f s" % (j.name, j.seconds) for j in local_awx.jobs))


@pytest.mark.budget(240)
def test_workflow_deploys_pattern1_end_to_end(platform_job, local_awx, cluster, simulator, tmp_path):
    """On a cluster with the platform (so preflight passes), the workflow runs preflight, platform (nothing to change),
    pattern1 and the benchmark, each after the previous succeeded; the launch variables reach the benchmark node."""
    assert platform_job.status == "successful"
    ran = local_awx.launch_workflow("llmd-xks deploy pattern1", extra_vars=benchmark_vars(simulator, tmp_path))
    expected = [("preflight", "successful"), ("platform", "successful"), ("pattern", "successful"),
                ("benchmark", "successful")]
    assert [(i, j.status) for i, j in ran] == expected, [(i, j.status, j.stdout[-3000:]) for i, j in ran]
    assert re.search(r"preflight: \d+ pass, \d+ warn, 0 fail", ran[0][1].stdout)
    assert deployed(cluster) == [("istio_kserve", 1, [MODEL])]
    the_report(simulator, tmp_path)
    down = local_awx.launch("llmd-xks teardown", answers={"llmd_xks_pattern": "1"})
    assert down.status == "successful", down.stdout[-3000:]
    removed(cluster, "the workflow's pattern and its Pods to go after llmd-xks teardown")
    for each in [j for _i, j in ran] + [down]:
        assert_no_secret(each)
    print("runner jobs: %s" % ", ".join("%s %.0f s" % (j.name, j.seconds) for j in local_awx.jobs))
