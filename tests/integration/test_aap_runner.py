# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The job templates and a workflow of aap/ launched through ansible-runner as AWX would (tests/integration/awx_jobs.py).

Which jobs run (CPU is scarce, each job is a whole ansible-playbook):
* ``llmd-xks provision`` and ``llmd-xks teardown gke`` with the GCP credential (a service-account key whose
  token_uri, like every Google host, is answered by the fake GCP endpoint through HTTPS_PROXY);
* ``llmd-xks preflight`` with the Kubernetes bearer-token credential against the local cluster, one answer not
  the default (``preflight_fail_on_error: "false"``);
* the workflow ``llmd-xks deploy pattern1`` with its survey defaults: preflight fails on the bare local cluster
  and the workflow stops there (no failure edge), as AWX would;
* ``llmd-xks pattern1`` in AWX's check job type is not possible (job_type run, not asked on launch); the pattern,
  platform, migrate and benchmark templates download charts and images, which this machine cannot, and are left to
  tests/integration/test_patterns.py and friends, which run the same playbooks with local sources.
No job event contains a credential secret, and what the jobs ran is in the execution environment's definition.
"""

import base64
import os
import re

import pytest
import yaml
from kubernetes import client

import awx_jobs
from gcp_scenarios import TPU, FakeGcp, scenario

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

    def launch(name, answers=None, extra_data=None, inventory=None, credentials=None):
        return awx_jobs.Job(name, outcome.get(name, "successful"), 0, [], 0.0, dict(answers, **(extra_data or {})), {})

    monkeypatch.setattr(awx, "launch", launch)
    ran = awx.launch_workflow("llmd-xks deploy pattern1", answers={"llmd_xks_stack": "gateway_api_llmd"})
    assert [i for i, j in ran] == ["preflight", "platform", "pattern", "benchmark"]
    assert all(j.extravars["llmd_xks_stack"] == "gateway_api_llmd" for i, j in ran)
    assert ran[0][1].extravars["llmd_xks_accelerator"] == "tpu-v6e-4t"          # the workflow survey's default
    outcome["llmd-xks platform"] = "failed"
    assert [i for i, j in awx.launch_workflow("llmd-xks deploy pattern1")] == ["preflight", "platform"]
