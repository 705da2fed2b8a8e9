#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: helmfile
short_description: Apply, sync or destroy a helmfile, reporting a change only when a release changes
version_added: 0.1.0
description:
  - Runs the C(helmfile) command-line tool on one helmfile (C(helmfile.yaml) or C(helmfile.yaml.gotmpl)).
  - With O(state=present) it first finds the releases that would change (see O(diff_engine)) and installs or
    upgrades only when there are any, so a second run reports no change. In check mode only the comparison runs.
  - The V(helm-diff) engine runs C(helmfile diff --detailed-exitcode) (exit code 2 means that at least one release
    would change), then C(helmfile apply) or C(helmfile sync).
  - The V(template) engine needs only helm. C(helmfile template) renders each selected release, and the rendering
    is compared with C(helm get manifest) of the installed release (both normalised - YAML documents parsed and
    sorted, comments, empty documents and hooks dropped) and the chart name-version and appVersion with
    C(helm list). A release that is missing, not C(deployed), or differs is changed; only those releases are then
    synced (C(helmfile sync) with a selector per release).
  - With O(state=absent) it runs C(helmfile destroy) when at least one of the selected releases is installed.
  - Needs C(helmfile) and C(helm) on the host that runs the module, and the helm-diff plugin for
    O(diff_engine=helm-diff). A missing helm-diff plugin, a values file that is not valid YAML, or an unreachable
    cluster fail with one readable message; the raw output is returned in RV(stderr).
  - Values given with O(values_files), O(values) and O(set) are helmfile I(state values) (C(--state-values-file),
    C(--state-values-set)), which the helmfile's templates read as C(.Values) / C(.StateValues).
author:
  - llmd.xks maintainers (@llmd-xks)
options:
  file:
    description:
      - Path of the helmfile (C(helmfile.yaml), C(helmfile.yaml.gotmpl) or a C(helmfile.d) directory).
      - Exactly one of O(file) and O(definition) is required.
    type: path
  definition:
    description:
      - The content of a plain helmfile (C(repositories), C(releases) with inline C(values), ...) as data, for
        example the RV(llmd.xks.pattern_plan#module:helmfile.definition) that M(llmd.xks.pattern_plan) renders. It
        is written to a private temporary directory for the run and removed afterwards, so nothing is left on the
        controller; relative chart paths are not allowed there.
      - Exactly one of O(file) and O(definition) is required.
    type: dict
  state:
    description:
      - V(present) installs or upgrades the selected releases; V(absent) uninstalls them.
    type: str
    default: present
    choices: [present, absent]
  diff_engine:
    description:
      - How changes are detected. V(helm-diff) uses the helm-diff plugin (C(helmfile diff)); it fails with a clear
        message when the plugin is not installed. V(template) compares C(helmfile template) with the installed
        manifests and needs no plugin. V(auto) uses V(helm-diff) when C(helm plugin list) shows the C(diff) plugin,
        else V(template).
      - The V(template) engine cannot see differences that only the cluster knows, such as charts that use
        C(lookup) or random values (those releases are reported as changed on every run) or changes made to the
        live objects outside helm.
    type: str
    default: auto
    choices: [auto, helm-diff, template]
  render_only:
    description:
      - Only render the selected releases with C(helmfile template), which also checks the values against each
        chart's C(values.schema.json), and return the objects in RV(rendered); the cluster is not contacted and
        nothing is installed. Use it to validate values before anything is written.
    type: bool
    default: false
  command:
    description:
      - Subcommand used to install or upgrade when the diff finds changes, with O(diff_engine=helm-diff). V(apply)
        upgrades only the releases that differ; V(sync) upgrades every selected release. The V(template) engine
        always runs C(helmfile sync) on the changed releases only.
    type: str
    default: apply
    choices: [apply, sync]
  environment:
    description:
      - The helmfile environment (C(--environment)).
    type: str
  namespace:
    description:
      - Namespace for releases that do not name one (C(--namespace)).
    type: str
  selectors:
    description:
      - Release selectors such as V(name=ms-pattern1) or V(type=infrastructure,tier=a); each is one C(--selector),
        releases matching any of them are selected.
    type: list
    elements: str
    default: []
  values_files:
    description:
      - State values files (C(--state-values-file)), in order. Each must be valid YAML.
    type: list
    elements: path
    default: []
  values:
    description:
      - Inline state values, written to a temporary file that is passed after O(values_files).
    type: dict
    default: {}
  set:
    description:
      - State values set on the command line (C(--state-values-set key=value)); keys may be dotted paths. Use
        O(values) for lists and mappings.
    type: dict
    default: {}
  kubeconfig:
    description:
      - Kubeconfig file for helm, passed as E(KUBECONFIG). Defaults to E(K8S_AUTH_KUBECONFIG), then to the
        E(KUBECONFIG) of the environment.
      - Without this option, E(K8S_AUTH_HOST) with E(K8S_AUTH_API_KEY) (what AWX's Kubernetes bearer-token credential
        injects) win over E(K8S_AUTH_KUBECONFIG), as in kubernetes.core; they reach helm, with E(K8S_AUTH_SSL_CA_CERT)
        and E(K8S_AUTH_VERIFY_SSL), as E(HELM_KUBEAPISERVER), E(HELM_KUBETOKEN), E(HELM_KUBECAFILE) and
        E(HELM_KUBEINSECURE_SKIP_TLS_VERIFY) (the token is in no command line).
    type: path
  kube_context:
    description:
      - Kubeconfig context (C(--kube-context)). Defaults to E(K8S_AUTH_CONTEXT).
    type: str
    aliases: [context]
  binary_path:
    description:
      - Path of the helmfile executable. Defaults to C(helmfile) on E(PATH).
    type: path
  helm_binary:
    description:
      - Path of the helm executable (C(--helm-binary)). Defaults to C(helm) on E(PATH).
    type: path
  helm_plugins:
    description:
      - Directory of helm plugins, passed as E(HELM_PLUGINS); where O(diff_engine) looks for the helm-diff plugin.
    type: path
  skip_deps:
    description:
      - Pass C(--skip-deps), so that helmfile neither adds chart repositories nor builds chart dependencies.
        Keep it on for local or vendored charts and offline use.
    type: bool
    default: true
  wait:
    description:
      - Pass C(--wait) to C(apply)/C(sync) so helm waits until the releases' workloads are ready.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds helm waits per release when O(wait=true) (C(--timeout)).
    type: int
    default: 300
  command_timeout:
    description:
      - Seconds one helmfile or helm command may run (plus O(wait_timeout) for C(apply), C(sync) and C(destroy) when
        O(wait=true)) before it is killed with its helm children and the task fails naming the command. helm has no
        connect or request timeout of its own, so this is what stops a run against a silent API server.
      - Falls back to the environment variable E(LLMD_XKS_COMMAND_TIMEOUT).
    type: int
    default: 300
  env:
    description:
      - Extra environment variables for helmfile and helm, for example E(RELEASE_NAME_POSTFIX).
    type: dict
    default: {}
  extra_args:
    description:
      - Extra arguments added after the C(apply), C(sync) or C(destroy) subcommand.
    type: list
    elements: str
    default: []
  diff_args:
    description:
      - Extra arguments added after the C(diff) subcommand, for example V(--context=3) (V(helm-diff) engine only).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Runs only the comparison (C(helmfile diff), or C(helmfile template) and C(helm get manifest)) and
      reports whether a release would change.
    support: full
  diff_mode:
    description: Returns the helm-diff output, or the unified diff of the normalised manifests, as the task diff.
    support: full
  idempotent:
    description: A second run with the same arguments reports no change.
    support: full
notes:
  - Tested with helmfile v1.8.0 and helm v3.21.4 (V(template) engine); the V(helm-diff) engine was tested with
    helm-diff v3.15.11.
seealso:
  - name: helmfile
    description: Declarative spec for deploying helm charts.
    link: https://helmfile.readthedocs.io/
"""

EXAMPLES = r"""
- name: Install or upgrade the llm-d releases of a rendered helmfile
  llmd.xks.helmfile:
    file: /var/lib/llmd/pattern1/helmfile.yaml.gotmpl
    environment: gke
    namespace: llm-d
    env:
      RELEASE_NAME_POSTFIX: pattern1
    wait: true

- name: Only the model-service release, with inline state values
  llmd.xks.helmfile:
    file: helmfile.yaml
    selectors: [name=ms-pattern1]
    values:
      decode:
        replicas: 3

- name: Apply the releases a pattern plan rendered (no file on disk)
  llmd.xks.helmfile:
    definition: "{{ plan.helmfile.definition }}"
    skip_deps: "{{ plan.helmfile.skip_deps }}"
    wait: true

- name: Uninstall everything the helmfile declares
  llmd.xks.helmfile:
    file: helmfile.yaml
    state: absent
"""

RETURN = r"""
changed:
  description: Whether a release was (or in check mode would be) installed, upgraded or uninstalled.
  returned: always
  type: bool
releases:
  description: The releases the helmfile declares for the selection, with their state in the cluster.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Release name.
      type: str
    namespace:
      description: Release namespace.
      type: str
    chart:
      description: Chart reference from the helmfile.
      type: str
    version:
      description: Chart version from the helmfile.
      type: str
    enabled:
      description: Whether the release is enabled in the helmfile (its C(condition)).
      type: bool
    labels:
      description: Release labels from the helmfile.
      type: dict
    status:
      description: Helm status (V(deployed), V(failed), V(pending-install) ...) or V(absent).
      type: str
    revision:
      description: Helm revision, null when absent.
      type: int
    app_version:
      description: App version of the installed chart.
      type: str
    installed_chart:
      description: Name-version of the installed chart.
      type: str
  sample:
    - {name: demo, namespace: apps, chart: ./charts/demo, version: null, enabled: true, labels: {tier: web},
       status: deployed, revision: 2, app_version: "1.0.0", installed_chart: demo-0.1.0}
diff_engine:
  description: The engine that detected changes, V(helm-diff) or V(template) (O(state=present)).
  returned: success and state=present
  type: str
changed_releases:
  description: Releases that were (or in check mode would be) installed, upgraded or uninstalled, with the reason;
    filled by the V(template) engine.
  returned: success and state=present and diff_engine=template
  type: list
  elements: dict
  sample:
    - {namespace: apps, name: demo, action: upgrade, reason: manifests differ}
diff:
  description: The helm-diff output or the manifests' unified diff (O(state=present)), or the releases that would
    be uninstalled.
  returned: diff mode and changed
  type: dict
  contains:
    prepared:
      description: The diff text.
      type: str
commands:
  description: The command lines that ran, in order.
  returned: always
  type: list
  elements: str
rendered:
  description: With O(render_only), each selected release (C(namespace), C(name)) and the C(objects) it renders (C(Kind/name)).
  returned: render_only
  type: list
  elements: dict
  sample:
    - {namespace: llm-d, name: pattern1-qwen, objects: [InferencePool/pattern1-qwen, Deployment/pattern1-qwen-epp]}
stdout:
  description: Output of the C(apply), C(sync) or C(destroy) command, or of the failing command.
  returned: when such a command ran
  type: str
stderr:
  description: Standard error of the failing command.
  returned: failure
  type: str
rc:
  description: Exit code of the failing command.
  returned: failure
  type: int
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.llmd.xks.plugins.module_utils._helmfile import (
    DEFAULT_COMMAND_TIMEOUT,
    Helmfile,
    HelmfileError,
    run_with_deadline,
    values_files_of_state,
    yaml_problem,
)


def argument_spec():
    return dict(
        file=dict(type="path"),
        definition=dict(type="dict"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        command=dict(type="str", default="apply", choices=["apply", "sync"]),
        diff_engine=dict(type="str", default="auto", choices=["auto", "helm-diff", "template"]),
        render_only=dict(type="bool", default=False),
        environment=dict(type="str"),
        namespace=dict(type="str"),
        selectors=dict(type="list", elements="str", default=[]),
        values_files=dict(type="list", elements="path", default=[]),
        values=dict(type="dict", default={}),
        set=dict(type="dict", default={}),
        kubeconfig=dict(type="path"),
        kube_context=dict(type="str", aliases=["context"]),
        binary_path=dict(type="path"),
        helm_binary=dict(type="path"),
        helm_plugins=dict(type="path"),
        skip_deps=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        command_timeout=dict(type="int", default=DEFAULT_COMMAND_TIMEOUT, fallback=(env_fallback, ["LLMD_XKS_COMMAND_TIMEOUT"])),
        env=dict(type="dict", default={}),
        extra_args=dict(type="list", elements="str", default=[]),
        diff_args=dict(type="list", elements="str", default=[]),
    )


def find_binary(module, name, explicit, option):
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            module.fail_json(msg="%s: %s is not an executable file" % (option, explicit), commands=[])
        return explicit
    path = module.get_bin_path(name)
    if not path:
        module.fail_json(msg="%s was not found on PATH; install it or set the option %s" % (name, option), commands=[])
    return path


def definition_problem(definition):
    releases = definition.get("releases")
    if not isinstance(releases, list) or not releases:
        return "has no releases. Give a list of releases, each with name, namespace and chart"
    for index, release in enumerate(releases):
        if not isinstance(release, dict) or not release.get("name") or not release.get("chart"):
            return "releases[%d] needs a name and a chart" % index
        chart = str(release["chart"])
        if chart in (".", "..") or chart.startswith(("./", "../")):
            return ("releases[%d].chart %r is relative; a definition is written to a temporary directory, so use an "
                    "absolute path or a repository reference" % (index, chart))
    return None


def rendered_objects(text):
    """'Kind/name' of every object in a release's rendering."""
    import yaml

    return ["%s/%s" % (doc.get("kind"), (doc.get("metadata") or {}).get("name"))
            for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc]


def write_definition(definition):
    import yaml

    directory = tempfile.mkdtemp(prefix="llmd-xks-helmfile-def-")
    with open(os.path.join(directory, "helmfile.yaml"), "w") as handle:
        # block style: helmfile looks for its top-level keys line by line. A plain helmfile.yaml is not a template,
        # so the values' own "{{ }}" reach the charts untouched.
        yaml.safe_dump(definition, handle, default_flow_style=False, sort_keys=True)
    return directory


def preflight(module):
    """Problems found without running anything: missing files, values files that are not YAML."""
    params = module.params
    if not os.path.exists(params["file"]):
        return "the helmfile %s does not exist" % params["file"]
    for path in params["values_files"]:
        if not os.path.isfile(path):
            return "values file %s does not exist" % path
    for path in list(params["values_files"]) + values_files_of_state(params["file"]):
        problem = yaml_problem(path)
        if problem:
            return "values file %s is not valid YAML: %s" % (path, problem)
    return None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("file", "definition")], required_one_of=[("file", "definition")])
    params = module.params
    written = None
    if params["definition"] is not None:
        problem = definition_problem(params["definition"])
        if problem:
            module.fail_json(msg="definition: %s" % problem, commands=[])
        written = write_definition(params["definition"])
        params["file"] = os.path.join(written, "helmfile.yaml")
    try:
        run(module)
    finally:
        if written:
            shutil.rmtree(written, ignore_errors=True)


def run(module):
    params = module.params
    problem = preflight(module)
    if problem:
        module.fail_json(msg=problem, commands=[])
    helmfile_bin = find_binary(module, "helmfile", params["binary_path"], "binary_path")
    helm_bin = find_binary(module, "helm", params["helm_binary"], "helm_binary")

    def run_command(argv, env, timeout):
        return run_with_deadline(argv, env, os.path.dirname(os.path.abspath(params["file"])), timeout)

    runner = Helmfile(run_command, params, helmfile_bin, helm_bin)
    result = dict(changed=False)
    try:
        runner.prepare()
        if params["render_only"]:
            result["rendered"] = [dict(namespace=ns, name=name, objects=rendered_objects(text))
                                  for (ns, name), text in sorted(runner.rendered().items())]
        elif params["state"] == "present":
            engine = params["diff_engine"]
            if engine == "auto":
                engine = "helm-diff" if runner.helm_diff_installed() else "template"
            result["diff_engine"] = engine
            if engine == "helm-diff":
                changes, text = runner.diff()
            else:
                found = runner.template_changes()
                changes = bool(found)
                text = "".join("# %s/%s: %s (%s)\n%s" % (c["namespace"], c["name"], c["action"], c["reason"], c["diff"])
                               for c in found)
                result["changed_releases"] = [dict((k, c[k]) for k in ("namespace", "name", "action", "reason"))
                                              for c in found]
            result["changed"] = changes
            if changes and module._diff:
                result["diff"] = dict(prepared=text)
            if changes and not module.check_mode:
                result["stdout"] = runner.apply() if engine == "helm-diff" else runner.sync_releases(found)
            result["releases"] = runner.releases()
        else:
            before = runner.releases()
            installed = [r for r in before if r["status"] != "absent"]
            result["changed"] = bool(installed)
            if installed and module._diff:
                result["diff"] = dict(prepared="".join("- release %s/%s (%s, revision %s)\n" % (
                    r["namespace"], r["name"], r["installed_chart"], r["revision"]) for r in installed))
            if installed and not module.check_mode:
                result["stdout"] = runner.destroy()
                result["releases"] = runner.releases()
            else:
                result["releases"] = before
    except HelmfileError as err:
        module.fail_json(msg=err.msg, rc=err.rc, stdout=err.stdout, stderr=err.stderr, command=err.command,
                         commands=runner.commands)
    finally:
        runner.cleanup()
    result["commands"] = runner.commands
    module.exit_json(**result)


if __name__ == "__main__":
    main()
