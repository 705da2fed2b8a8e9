# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Launch the job templates and workflows of aap/ with ansible-runner, the way AWX/AAP does.

What AWX does for a job, and what this does in its place:
* project: the repository is the project directory (AWX checks it out into the job's private data dir);
* inventory: the ``source_path`` of the template's inventory source in aap/inventories.yml (AWX imports that file
  with the group_vars beside it);
* extra variables: the template's ``extra_vars``, then the survey's defaults, then (in a workflow) the node's
  ``extra_data`` and the workflow's survey answers and launch variables, then the launch's variables, then its survey
  answers. As AWX, a launch is refused (``LaunchRefused``) when it passes variables to a template that does not ask
  for them (``ask_variables_on_launch``), answers a question the survey does not have, or answers a multiple-choice
  question with something that is not a choice;
* credentials, injected as their types say: the built-in "OpenShift or Kubernetes API Bearer Token" as
  ``K8S_AUTH_HOST``/``K8S_AUTH_API_KEY``/``K8S_AUTH_VERIFY_SSL``/``K8S_AUTH_SSL_CA_CERT`` (a file), the built-in
  "Google Compute Engine" as a service-account key file with ``GCP_AUTH_KIND=serviceaccount``,
  ``GCP_SERVICE_ACCOUNT_FILE``, ``GCP_PROJECT``, ``GCP_ENV_TYPE=tower`` (AWX's injector), and custom types from
  aap/credential_types.yml through their ``env``/``file``/``extra_vars`` injectors (Jinja over the inputs);
* a workflow runs its nodes from the roots, following ``success_nodes``/``failure_nodes``/``always_nodes``, with the
  workflow's survey answers and each node's ``extra_data``.
The job environment does not inherit the test process's Kubernetes or GCP settings: only what the credentials inject.
What the execution environment brings is on the job's PATH (helm and helmfile, tools/tool-path.sh) and in its
environment (``LLMD_XKS_SHARED``, ``LLMD_XKS_CHARTS_DIR``: where the local inventory finds its offline sources, what an
AWX administrator sets in the job settings' extra environment variables).
"""

import glob
import json
import os
import re
import sys
import time

import ansible_runner
import jinja2
import yaml

from ansible_task import _tool_dirs, charts_dir, shared_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INHERITED_AWAY = ("K8S_AUTH_", "KUBECONFIG", "GCP_", "GOOGLE_", "LLMD_XKS_GCP_", "HTTPS_PROXY", "https_proxy",
                  "REQUESTS_CA_BUNDLE")


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_aap():
    data = {}
    for path in sorted(glob.glob(os.path.join(REPO, "aap", "*.yml"))):
        with open(path) as handle:
            data.update(yaml.load(handle, Loader=_Loader) or {})  # noqa: S506 - SafeLoader subclass
    return data


def _render(value, context):
    if isinstance(value, str):
        return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(value).render(**context)
    if isinstance(value, dict):
        return dict((k, _render(v, context)) for k, v in value.items())
    if isinstance(value, list):
        return [_render(v, context) for v in value]
    return value


class LaunchRefused(Exception):
    """What AWX answers with a 400 to a launch request."""


def check_launch(template, answers, extra_vars):
    """Refuse what AWX refuses: variables the template does not ask for, answers to no question, a choice not offered."""
    if extra_vars and not template.get("ask_variables_on_launch"):
        raise LaunchRefused("%s: variables %s given at launch, but the template does not ask for variables on launch"
                            % (template["name"], sorted(extra_vars)))
    questions = dict((q["variable"], q) for q in template["survey"]["spec"]) if template.get("survey_enabled") else {}
    for variable, value in (answers or {}).items():
        question = questions.get(variable)
        if question is None:
            raise LaunchRefused("%s: %s is not a question of its survey (%s)" % (template["name"], variable,
                                                                                 ", ".join(sorted(questions)) or "none"))
        if question["type"] == "multiplechoice" and value not in question["choices"]:
            raise LaunchRefused("%s: %r is not a choice of %s (%s)" % (template["name"], value, variable, question["choices"]))


class Job(object):
    def __init__(self, name, status, rc, events, seconds, extravars, envvars):
        self.name, self.status, self.rc, self.events, self.seconds = name, status, rc, events, seconds
        self.extravars, self.envvars = extravars, envvars

    @property
    def stdout(self):
        """The job's output as AWX shows it, without the colour codes of the runner's display callback."""
        return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(e.get("stdout", "") for e in self.events))

    def actions(self):
        """Fully qualified names of the modules and actions the job ran (what its execution environment needs)."""
        return sorted(set(e["event_data"].get("resolved_action") or e["event_data"].get("task_action") or ""
                          for e in self.events if e.get("event") == "runner_on_start") - {""})

    def __repr__(self):
        return "Job(%s %s rc=%s %.1fs)" % (self.name, self.status, self.rc, self.seconds)


class Awx(object):
    """``launch(template, answers)`` and ``launch_workflow(workflow, answers)``; ``secrets`` are the credential
    inputs (vault variables of aap/credentials.yml, e.g. llmd_xks_aap_k8s_token)."""

    def __init__(self, workdir, secrets, env=None, inventory=None):
        self.aap = load_aap()
        self.workdir = workdir
        self.secrets = secrets
        self.env = dict(env or {})             # what a job would reach in its network (the fake GCP endpoint, via proxy)
        self.inventory = inventory            # launch-time inventory (ask_inventory_on_launch), default the template's
        self.jobs = []

    def _template(self, name):
        return next(t for t in self.aap["controller_templates"] if t["name"] == name)

    def _credential(self, name):
        return next(c for c in self.aap["controller_credentials"] if c["name"] == name)

    def _inventory_file(self, inventory_name):
        source = next(s for s in self.aap["controller_inventory_sources"] if s["inventory"] == inventory_name)
        return os.path.join(REPO, source["source_path"])

    def inject(self, credential_name, private_dir):
        """(env, extra_vars, secret values) of one credential, as AWX's injectors produce them."""
        credential = self._credential(credential_name)
        inputs = _render(credential["inputs"], self.secrets)
        kind = credential["credential_type"]
        env, extra = {}, {}
        os.makedirs(os.path.join(private_dir, "env"), exist_ok=True)
        if kind == "OpenShift or Kubernetes API Bearer Token":
            env["K8S_AUTH_HOST"] = inputs["host"]
            env["K8S_AUTH_API_KEY"] = inputs["bearer_token"]
            if inputs.get("verify_ssl") and inputs.get("ssl_ca_cert"):
                path = os.path.join(private_dir, "env", "k8s-ca.crt")
                with open(path, "w") as handle:
                    handle.write(inputs["ssl_ca_cert"])
                env.update(K8S_AUTH_VERIFY_SSL="True", K8S_AUTH_SSL_CA_CERT=path)
            else:
                env["K8S_AUTH_VERIFY_SSL"] = "False"
            secrets = [inputs["bearer_token"]]
        elif kind == "Google Compute Engine":
            path = os.path.join(private_dir, "env", "gce-credentials.json")
            with open(path, "w") as handle:
                json.dump({"type": "service_account", "private_key": inputs["ssh_key_data"], "client_email": inputs["username"],
                           "project_id": inputs["project"], "token_uri": "https://oauth2.googleapis.com/token"}, handle)
            env.update(GCE_EMAIL=inputs["username"], GCE_PROJECT=inputs["project"], GCE_CREDENTIALS_FILE_PATH=path,
                       GCP_SERVICE_ACCOUNT_FILE=path, GOOGLE_APPLICATION_CREDENTIALS=path, GCP_AUTH_KIND="serviceaccount",
                       GCP_PROJECT=inputs["project"], GCP_ENV_TYPE="tower")
            secrets = [inputs["ssh_key_data"]]
        else:
            ctype = next(t for t in self.aap["controller_credential_types"] if t["name"] == kind)
            context = dict(inputs, tower={"filename": {}})
            for name, template in (ctype["injectors"].get("file") or {}).items():
                path = os.path.join(private_dir, "env", "%s-%s" % (credential_name.replace(" ", "_"), name.split(".", 1)[1]))
                with open(path, "w") as handle:
                    handle.write(_render(template, inputs))
                context["tower"]["filename"][name.split(".", 1)[1]] = path
            env.update(_render(ctype["injectors"].get("env") or {}, context))
            extra.update(_render(ctype["injectors"].get("extra_vars") or {}, context))
            secret_fields = [f["id"] for f in ctype["inputs"]["fields"] if f.get("secret")]
            secrets = [inputs[f] for f in secret_fields if inputs.get(f)]
        return env, extra, secrets

    def launch(self, name, answers=None, extra_data=None, inventory=None, credentials=None, extra_vars=None,
               workflow_vars=None):
        """One job: ``answers`` to the survey, ``extra_vars`` at launch (the template must ask for them);
        ``extra_data`` and ``workflow_vars`` are what a workflow node passes (no prompt involved)."""
        template = self._template(name)
        check_launch(template, answers, extra_vars)
        ident = "%02d-%s" % (len(self.jobs) + 1, name.replace(" ", "-"))
        private_dir = os.path.join(self.workdir, ident)
        os.makedirs(private_dir)
        extravars = dict(template.get("extra_vars") or {})
        if template.get("survey_enabled"):
            for question in template["survey"]["spec"]:
                if "default" in question:
                    extravars[question["variable"]] = question["default"]
        extravars.update(extra_data or {})
        extravars.update(workflow_vars or {})
        extravars.update(extra_vars or {})
        extravars.update(answers or {})
        extravars.update(awx_job_id=len(self.jobs) + 1, awx_job_template_name=name, tower_job_id=len(self.jobs) + 1)
        envvars = dict(self.env)
        secrets = []
        for credential in credentials or template.get("credentials") or []:
            env, extra, values = self.inject(credential, private_dir)
            envvars.update(env)
            extravars.update(extra)
            secrets.extend(values)
        envvars.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".cache", "collections"),
                       ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                       ANSIBLE_LOCALHOST_WARNING="false", HOME=private_dir, LLMD_XKS_SHARED=shared_dir(),
                       LLMD_XKS_CHARTS_DIR=os.environ.get("LLMD_XKS_CHARTS_DIR") or charts_dir(),
                       PATH=os.pathsep.join([os.path.dirname(sys.executable)] + _tool_dirs() + [os.environ.get("PATH", "")]))
        saved = dict((k, v) for k, v in os.environ.items() if k.startswith(INHERITED_AWAY))
        for key in saved:
            del os.environ[key]
        started = time.monotonic()
        try:
            runner = ansible_runner.run(private_data_dir=private_dir, project_dir=REPO, playbook=template["playbook"],
                                        inventory=self._inventory_file(inventory or self.inventory or template["inventory"]),
                                        extravars=extravars, envvars=envvars, ident=ident, quiet=True,
                                        settings={"suppress_ansible_output": True, "job_timeout": 900})
        finally:
            os.environ.update(saved)
        job = Job(name, runner.status, runner.rc, list(runner.events), time.monotonic() - started, extravars, envvars)
        job.secrets = [s for s in secrets if s]
        self.jobs.append(job)
        return job

    def launch_workflow(self, name, answers=None, extra_vars=None):
        """Every node from the roots along the edges of its outcome; the workflow's survey answers and launch variables
        reach every node whatever the node's template asks for (as AWX passes a workflow job's extra_vars on)."""
        workflow = next(w for w in self.aap["controller_workflows"] if w["name"] == name)
        check_launch(workflow, answers, extra_vars)
        nodes = dict((n["identifier"], n) for n in workflow["simplified_workflow_nodes"])
        children = set(c for n in nodes.values() for key in ("success_nodes", "failure_nodes", "always_nodes")
                       for c in n.get(key) or [])
        defaults = dict((q["variable"], q["default"]) for q in workflow["survey"]["spec"] if "default" in q) \
            if workflow.get("survey_enabled") else {}
        passed = dict(defaults, **(extra_vars or {}))
        passed.update(answers or {})
        queue = [n for n in nodes if n not in children]
        ran = []
        while queue:
            identifier = queue.pop(0)
            node = nodes[identifier]
            job = self.launch(node["unified_job_template"], extra_data=node.get("extra_data"), workflow_vars=passed,
                              inventory=self.inventory or workflow.get("inventory"))
            ran.append((identifier, job))
            edge = "success_nodes" if job.status == "successful" else "failure_nodes"
            queue.extend(node.get(edge) or [])
            queue.extend(node.get("always_nodes") or [])
        return ran
