# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Lint of the AWX / AAP definitions in aap/ (infra.aap_configuration format) against the repository."""

import glob
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AAP = os.path.join(REPO, "aap")
# The variables the dispatch role of infra.aap_configuration 3.0.0 reads (roles/dispatch/defaults/main.yml).
DISPATCH_VARS = {"aap_organizations", "controller_credential_types", "controller_credentials",
                 "controller_execution_environments", "controller_projects", "controller_inventories",
                 "controller_inventory_sources", "controller_templates", "controller_workflows"}
# Inputs of AWX's built-in credential types that are secret (awx/main/models/credential/__init__.py).
BUILTIN_TYPES = {
    "OpenShift or Kubernetes API Bearer Token": {"fields": {"host", "bearer_token", "verify_ssl", "ssl_ca_cert"},
                                                 "secret": {"bearer_token"}},
    "Google Compute Engine": {"fields": {"username", "project", "ssh_key_data"}, "secret": {"ssh_key_data"}},
}
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _load(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - SafeLoader subclass


@pytest.fixture(scope="module")
def aap():
    data = {}
    for path in sorted(glob.glob(os.path.join(AAP, "*.yml"))):
        for key, value in (_load(path) or {}).items():
            assert key not in data, "%s defined twice" % key
            data[key] = value
    return data


@pytest.fixture(scope="module")
def accelerators():
    return sorted(_load(os.path.join(REPO, "playbooks", "vars", "accelerators.yml"))["llmd_xks_accelerators"])


def _role_specs():
    specs = {}
    for path in glob.glob(os.path.join(REPO, "roles", "*", "meta", "argument_specs.yml")):
        role = path.split(os.sep)[-3]
        specs[role] = _load(path)["argument_specs"]["main"]["options"]
    return specs


def _surveys(aap):
    for item in aap["controller_templates"] + aap["controller_workflows"]:
        if item.get("survey_enabled"):
            yield item, item["survey"]


def test_only_dispatch_variables_and_private_anchors(aap):
    public = set(k for k in aap if not k.startswith("_"))
    assert public <= DISPATCH_VARS, public - DISPATCH_VARS
    assert {"controller_templates", "controller_workflows", "controller_credentials", "controller_projects"} <= public


def test_every_job_template_playbook_exists(aap):
    playbooks = [t["playbook"] for t in aap["controller_templates"]]
    missing = [p for p in playbooks if not os.path.isfile(os.path.join(REPO, p))]
    assert not missing, "job templates reference missing playbooks: %s" % missing
    # and every playbook a user runs has a job template (vars/ and this configuration playbook excluded)
    runnable = sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "playbooks", "*.yml"))
                      if os.path.basename(p) != "aap_configure.yml")
    assert sorted(set(runnable) - set(playbooks)) == [], "playbooks without a job template"


def test_references_resolve(aap):
    def names(key):
        return set(i["name"] for i in aap[key])

    templates, credentials = names("controller_templates"), names("controller_credentials")
    orgs = names("aap_organizations")
    types = names("controller_credential_types") | set(BUILTIN_TYPES)
    for item in aap["controller_templates"]:
        assert item["project"] in names("controller_projects") and item["inventory"] in names("controller_inventories")
        assert item["execution_environment"] in names("controller_execution_environments")
        assert set(item["credentials"]) <= credentials and item["organization"] in orgs
    for cred in aap["controller_credentials"]:
        assert cred["credential_type"] in types and cred["organization"] in orgs
    for source in aap["controller_inventory_sources"]:
        assert os.path.isfile(os.path.join(REPO, source["source_path"])), source["source_path"]
        assert source["inventory"] in names("controller_inventories")
    for workflow in aap["controller_workflows"]:
        nodes = workflow["simplified_workflow_nodes"]
        ids = set(n["identifier"] for n in nodes)
        for node in nodes:
            assert node["unified_job_template"] in templates
            assert set(node.get("success_nodes") or []) <= ids
        chain = [n["unified_job_template"] for n in nodes]
        assert chain[:2] == ["llmd-xks preflight", "llmd-xks platform"] and "pattern" in chain[2]
        assert chain[3:] == ["llmd-xks benchmark"]
        # one path: every node but the last leads to the next
        assert [n["success_nodes"] for n in nodes] == [[m["identifier"]] for m in nodes[1:]] + [[]]


def _consumed_variables():
    """llmd_xks_* variables the roles and playbooks read, and every role option."""
    text = ""
    for path in glob.glob(os.path.join(REPO, "roles", "*", "defaults", "main.yml")) + \
            glob.glob(os.path.join(REPO, "playbooks", "*.yml")):
        with open(path) as handle:
            text += handle.read()
    consumed = set(re.findall(r"\bllmd_xks_[a-z0-9_]+", text))
    for options in _role_specs().values():
        consumed |= set(options)
    return consumed


def test_survey_variables_are_read_by_the_playbooks(aap):
    consumed = _consumed_variables()
    # a job template's extra_vars may turn an answer into what the roles read (llmd_xks_model_id -> llmd_xks_models)
    extra = yaml.safe_dump([t.get("extra_vars") or {} for t in aap["controller_templates"]])
    for item, survey in _surveys(aap):
        for question in survey["spec"]:
            assert question["type"] in SURVEY_TYPES
            variable = question["variable"]
            used = variable in consumed or variable in extra
            assert used, "%s: survey variable %s is read by no role or playbook" % (item["name"], variable)


def test_survey_choices_match_the_data(aap, accelerators):
    from ansible_collections.llmd.xks.plugins.module_utils._patterns import STACKS

    # the pattern role leaves stack and pattern to its plan, whose messages name llmd_xks_stack / llmd_xks_pattern
    specs = _role_specs()
    stacks = list(STACKS)
    assert specs["preflight"]["preflight_stack"]["choices"] == stacks
    patterns = ["1", "2", "3", "4"]
    expected = {"llmd_xks_stack": stacks, "llmd_xks_accelerator": accelerators, "llmd_xks_pattern": patterns,
                "llmd_xks_migrate_from": specs["migrate"]["migrate_from"]["choices"],
                "llmd_xks_migrate_to": specs["migrate"]["migrate_to"]["choices"]}
    for item, survey in _surveys(aap):
        for question in survey["spec"]:
            if question["variable"] in expected:
                want = expected[question["variable"]]
                assert sorted(question["choices"]) == sorted(want), (item["name"], question["variable"])
                assert question["default"] in question["choices"]


def test_what_a_pattern_template_deploys_its_teardown_and_migrate_templates_find(aap):
    """teardown names the LLMInferenceServices from llmd_xks_models and migrate renders the source from it: both must
    take the model the way the pattern templates do, or they miss what a pattern template deployed."""
    templates = dict((t["name"], t) for t in aap["controller_templates"])
    for name in ("llmd-xks pattern1", "llmd-xks pattern3", "llmd-xks pattern4", "llmd-xks teardown", "llmd-xks migrate",
                 "llmd-xks benchmark"):
        template = templates[name]
        assert template["extra_vars"]["llmd_xks_models"] == templates["llmd-xks pattern1"]["extra_vars"]["llmd_xks_models"]
        model = [q for q in template["survey"]["spec"] if q["variable"] == "llmd_xks_model_id"]
        assert model and model[0]["default"] == "Qwen/Qwen3-0.6B", name


def test_every_inventory_directory_is_an_awx_inventory(aap):
    paths = sorted(s["source_path"] for s in aap["controller_inventory_sources"])
    assert paths == sorted("inventories/%s/hosts.yml" % d for d in os.listdir(os.path.join(REPO, "inventories"))
                           if os.path.isfile(os.path.join(REPO, "inventories", d, "hosts.yml")))


def test_credentials_hold_no_secret_in_clear(aap):
    custom = dict((t["name"], t) for t in aap["controller_credential_types"])
    for cred in aap["controller_credentials"]:
        if cred["credential_type"] in BUILTIN_TYPES:
            spec = BUILTIN_TYPES[cred["credential_type"]]
            fields, secret = spec["fields"], spec["secret"]
        else:
            declared = custom[cred["credential_type"]]["inputs"]["fields"]
            fields = set(f["id"] for f in declared)
            secret = set(f["id"] for f in declared if f.get("secret"))
        assert set(cred["inputs"]) <= fields, (cred["name"], set(cred["inputs"]) - fields)
        for key in secret:
            value = cred["inputs"].get(key)
            assert value is None or re.fullmatch(r"\{\{ *[a-z_][a-z0-9_]* *\}\}", str(value)), \
                "%s.%s must come from a (vaulted) variable, not be written here" % (cred["name"], key)
    # the custom type injects what kubernetes.core reads
    kubeconfig = custom["Kubeconfig (llmd.xks)"]["injectors"]
    assert "K8S_AUTH_KUBECONFIG" in kubeconfig["env"]


def test_aap_configure_playbook_loads_the_definitions():
    play = _load(os.path.join(REPO, "playbooks", "aap_configure.yml"))[0]
    assert play["tasks"][0]["ansible.builtin.include_role"]["name"] == "infra.aap_configuration.dispatch"
    # its roles call the controller modules unqualified (README of infra.aap_configuration)
    assert play["collections"] == ["awx.awx"]
    assert play["pre_tasks"][0]["ansible.builtin.include_vars"]["dir"] == "../aap"
    # no secret default in the playbook either
    assert not [k for k in play["vars"] if re.search(r"token|password|key|kubeconfig", k)]


def test_requirements_pin_the_configuration_collections():
    wanted = dict((c["name"], c["version"]) for c in _load(os.path.join(REPO, "requirements.yml"))["collections"])
    for name in ("infra.aap_configuration", "awx.awx", "kubernetes.core", "google.cloud"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(wanted.get(name))), "%s must be pinned to one version" % name
