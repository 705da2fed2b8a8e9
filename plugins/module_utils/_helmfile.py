# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: drive the helmfile and helm command-line tools.

``changed`` comes from one of two diff engines:

* ``helm-diff``: ``helmfile diff --detailed-exitcode`` (the helm-diff convention: exit 2 means there are
  changes, 0 none, anything else an error); ``apply``/``sync`` only run when the diff found changes.
* ``template``: needs only helm. ``helmfile template`` renders every selected release; each rendering is
  compared with ``helm get manifest`` of the installed release after normalising both (YAML documents
  parsed, keys sorted, hooks, comments and empty documents dropped, documents sorted by kind/name), and
  the chart name-version / appVersion with ``helm list``. A release that is missing, not ``deployed``,
  or differs is changed, and only those releases are synced (``helmfile sync`` with one selector each).

Release states come from ``helmfile list --output json`` (what the helmfile declares) joined
with ``helm list --all-namespaces --all --output json`` (what is installed). Errors are reduced to the
first meaningful line of helm's or helmfile's output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

DIFF_CHANGES = 2
# helmfile template writes each release under <output dir>/<namespace>__<name> (namespaces never contain "__")
OUTPUT_DIR_TEMPLATE = "{{ .OutputDir }}/{{ .Release.Namespace }}__{{ .Release.Name }}"
EXACT_VERSION = re.compile(r"\Av?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?\Z")


class HelmfileError(Exception):
    def __init__(self, msg, rc=None, stdout="", stderr="", command=None):
        super(HelmfileError, self).__init__(msg)
        self.msg = msg
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.command = command


# --------------------------------------------------------------------------------------------------
# Error messages


_HELM_DIFF_MISSING = (
    re.compile(r'unknown command "diff" for "helm"'),
    re.compile(r'plugin "diff" not found', re.I),
    re.compile(r"helm-diff (?:plugin )?(?:is )?not installed", re.I),
)
_YAML_ERROR = re.compile(
    r"(error converting YAML to JSON|yaml: line \d+|yaml: unmarshal errors|"
    r"did not find expected|mapping values are not allowed|could not find expected|found character that cannot start)")
_NOISE = re.compile(r"^(PATH:|ARGS:|ERROR:|EXIT STATUS|STDERR:|COMBINED OUTPUT:|\d+: |exit status \d+$|"
                    r"Run '.*--help' for usage|Use \".* --help\"|Listing releases|Comparing release|Building dependency|"
                    r"Adding repo|Upgrading release|Release \".*\" has been|Deleting |Affected releases|"
                    r"UPDATED RELEASES|DELETED RELEASES|NAME\s)")


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def first_error_line(stderr, stdout=""):
    """The first line that says what went wrong, from helmfile's wrapped helm output."""
    lines = _lines(stderr) + _lines(stdout)
    for line in lines:
        if line.startswith("Error:") or line.startswith("error:"):
            return line
    for line in lines:
        match = re.match(r"^err \d+: (.*)$", line)
        if match:
            return match.group(1)
    for line in lines:
        if re.search(r"\b(failed|error|cannot|invalid|not found|no such file)\b", line, re.I) and not _NOISE.match(line):
            return line
    meaningful = [line for line in lines if not _NOISE.match(line)]
    return meaningful[-1] if meaningful else "no output"


def failed_release(stderr):
    match = re.search(r"failed processing release ([^\s:]+)", stderr or "")
    if match:
        return match.group(1)
    match = re.search(r'release "([^"]+)" failed', stderr or "")
    return match.group(1) if match else None


def is_helm_diff_missing(text):
    return any(p.search(text or "") for p in _HELM_DIFF_MISSING)


def is_yaml_error(text):
    return bool(_YAML_ERROR.search(text or ""))


def yaml_problem(path):
    """None if ``path`` parses as YAML, else the parser's message."""
    import yaml

    try:
        with open(path) as handle:
            list(yaml.safe_load_all(handle))
    except yaml.YAMLError as exc:
        return " ".join(str(exc).split())
    except (OSError, IOError) as exc:
        return str(exc)
    return None


def values_files_of_state(helmfile_path):
    """Plain (non-template) values files that the releases of a plain helmfile.yaml reference."""
    import yaml

    found = []
    if helmfile_path.endswith(".gotmpl"):
        return found
    base = os.path.dirname(os.path.abspath(helmfile_path))
    try:
        with open(helmfile_path) as handle:
            docs = [d for d in yaml.safe_load_all(handle) if isinstance(d, dict)]
    except Exception:  # the helmfile itself is broken: helmfile's own message says so
        return found
    for doc in docs:
        entries = []
        for release in doc.get("releases") or []:
            if isinstance(release, dict):
                entries.extend(release.get("values") or [])
        for env in (doc.get("environments") or {}).values():
            if isinstance(env, dict):
                entries.extend(env.get("values") or [])
        for entry in entries:
            if isinstance(entry, str) and not entry.endswith(".gotmpl") and "{{" not in entry:
                path = entry if os.path.isabs(entry) else os.path.join(base, entry)
                if os.path.isfile(path):
                    found.append(path)
    return found


def yaml_files_near(helmfile_path, depth=3):
    """YAML files in the helmfile's directory tree (not inside charts), to find the one helm could not parse.

    helm only names the temporary copy helmfile made, so a broken release values file is found by parsing
    the candidates."""
    found = []
    base = helmfile_path if os.path.isdir(helmfile_path) else os.path.dirname(os.path.abspath(helmfile_path))
    start = base.rstrip(os.sep).count(os.sep)
    for root, dirs, files in os.walk(base):
        if "Chart.yaml" in files or root.rstrip(os.sep).count(os.sep) - start >= depth:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith((".yaml", ".yml")) and os.path.abspath(path) != os.path.abspath(helmfile_path):
                found.append(path)
    return found


def readable_error(action, rc, stdout, stderr, candidate_values_files=()):
    """One message that says what failed and why, without the raw wrapped output."""
    text = (stderr or "") + "\n" + (stdout or "")
    release = failed_release(text)
    where = " (release %s)" % release if release else ""
    if is_helm_diff_missing(text):
        return ("the helm-diff plugin is not installed: helm said '%s'. Install it (helm plugin install "
                "https://github.com/databus23/helm-diff) or point the option helm_plugins (HELM_PLUGINS) at a "
                "directory that contains it" % first_error_line(stderr, stdout))
    if is_yaml_error(text):
        for path in candidate_values_files:
            problem = yaml_problem(path)
            if problem:
                return "values file %s is not valid YAML: %s" % (path, problem)
    if "Kubernetes cluster unreachable" in text:
        return "helm cannot reach the cluster%s: %s" % (where, first_error_line(stderr, stdout))
    return "helmfile %s failed%s (rc=%s): %s" % (action, where, rc, first_error_line(stderr, stdout))


# --------------------------------------------------------------------------------------------------
# The runner


def state_values_set_arg(key, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif value is None:
        value = "null"
    value = str(value).replace("\\", "\\\\").replace(",", "\\,")
    return "%s=%s" % (key, value)


DEFAULT_COMMAND_TIMEOUT = 300
FALSE_WORDS = ("false", "no", "0", "off", "n")


def bearer_token_environment(environ):
    """helm's settings for AWX's Kubernetes bearer-token credential (E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY),
    E(K8S_AUTH_SSL_CA_CERT), E(K8S_AUTH_VERIFY_SSL)), which kubernetes.core reads and helm does not: the
    E(HELM_KUBE*) variables, so that the token is in no command line. Empty without a host and a token."""
    host, token = environ.get("K8S_AUTH_HOST"), environ.get("K8S_AUTH_API_KEY")
    if not (host and token):
        return {}
    env = {"HELM_KUBEAPISERVER": host, "HELM_KUBETOKEN": token}
    if environ.get("K8S_AUTH_SSL_CA_CERT"):
        env["HELM_KUBECAFILE"] = os.path.expanduser(environ["K8S_AUTH_SSL_CA_CERT"])
    if str(environ.get("K8S_AUTH_VERIFY_SSL", "")).strip().lower() in FALSE_WORDS:
        env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] = "true"
    return env


def run_with_deadline(argv, env, cwd, timeout):
    """(rc, stdout, stderr); rc is None when the command outlived ``timeout`` seconds and was killed.

    helm has no connect or request timeout of its own, so a silent API server would hang it; the command runs in
    its own process group so that helm, started by helmfile, is killed with it.
    """
    process = subprocess.Popen(argv, env=dict(os.environ, **env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = process.communicate()
        return None, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


class Helmfile(object):
    """Builds and runs helmfile/helm commands. ``run_command(argv, env, timeout) -> (rc or None, out, err)``."""

    def __init__(self, run_command, params, helmfile, helm):
        self._run = run_command
        self.params = params
        self.helmfile = helmfile
        self.helm = helm
        self.commands = []
        self.tmpdir = None
        self.state_values_files = list(params.get("values_files") or [])
        self.env = self._environment()

    # -- set-up ------------------------------------------------------------------------------------

    def _environment(self):
        params = self.params
        env = {"HELM_DIFF_COLOR": "false", "HELMFILE_UPGRADE_NOTICE_DISABLED": "true"}
        # the option first; then, as kubernetes.core, a host with a token before K8S_AUTH_KUBECONFIG
        bearer = {} if params.get("kubeconfig") else bearer_token_environment(os.environ)
        kubeconfig = params.get("kubeconfig") or (None if bearer else os.environ.get("K8S_AUTH_KUBECONFIG"))
        env.update(bearer)
        if kubeconfig:
            env["KUBECONFIG"] = os.path.expanduser(kubeconfig)
        if params.get("helm_plugins"):
            env["HELM_PLUGINS"] = params["helm_plugins"]
        for key, value in (params.get("env") or {}).items():
            env[str(key)] = str(value)
        return env

    @property
    def kube_context(self):
        return self.params.get("kube_context") or os.environ.get("K8S_AUTH_CONTEXT")

    def prepare(self):
        if self.params.get("values"):
            path = os.path.join(self.workdir(), "inline-values.yaml")
            with open(path, "w") as handle:
                json.dump(self.params["values"], handle)  # JSON is YAML
            self.state_values_files.append(path)

    def cleanup(self):
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def candidate_values_files(self):
        return (list(self.params.get("values_files") or []) + values_files_of_state(self.params["file"])
                + yaml_files_near(self.params["file"]))

    # -- command lines -----------------------------------------------------------------------------

    def global_args(self, selectors=None):
        params = self.params
        args = [self.helmfile, "--file", params["file"], "--no-color"]
        if self.helm:
            args += ["--helm-binary", self.helm]
        if params.get("environment"):
            args += ["--environment", params["environment"]]
        if params.get("namespace"):
            args += ["--namespace", params["namespace"]]
        if self.kube_context:
            args += ["--kube-context", self.kube_context]
        for selector in (params.get("selectors") or []) if selectors is None else selectors:
            args += ["--selector", selector]
        for path in self.state_values_files:
            args += ["--state-values-file", path]
        for key in sorted(params.get("set") or {}):
            args += ["--state-values-set", state_values_set_arg(key, params["set"][key])]
        return args

    def _skip_deps(self):
        return ["--skip-deps"] if self.params.get("skip_deps") else []

    def workdir(self):
        if not self.tmpdir:
            self.tmpdir = tempfile.mkdtemp(prefix="llmd-xks-helmfile-")
        return self.tmpdir

    def command_timeout(self, waits=False):
        timeout = self.params.get("command_timeout") or DEFAULT_COMMAND_TIMEOUT
        if waits and self.params.get("wait"):
            timeout += self.params.get("wait_timeout") or 0
        return timeout

    def run(self, action, argv, ok=(0,), waits=False):
        self.commands.append(" ".join(argv))
        timeout = self.command_timeout(waits)
        rc, out, err = self._run(argv, self.env, timeout)
        if rc is None:
            plus = ", plus wait_timeout" if waits and self.params.get("wait") else ""
            raise HelmfileError(
                "%s %s did not finish within %d s and was stopped (option command_timeout, environment "
                "LLMD_XKS_COMMAND_TIMEOUT%s). A silent or unreachable API server (KUBECONFIG %s) is the usual cause: "
                "check the cluster and re-run"
                % (os.path.basename(argv[0]), action, timeout, plus, self.env.get("KUBECONFIG") or "default"),
                rc=None, stdout=out, stderr=err, command=" ".join(argv))
        if rc not in ok:
            raise HelmfileError(readable_error(action, rc, out, err, self.candidate_values_files()),
                                rc=rc, stdout=out, stderr=err, command=" ".join(argv))
        return rc, out, err

    # -- operations --------------------------------------------------------------------------------

    def diff(self):
        """(has_changes, diff text)."""
        argv = self.global_args() + ["diff", "--detailed-exitcode"] + self._skip_deps()
        argv += list(self.params.get("diff_args") or [])
        rc, out, err = self.run("diff", argv, ok=(0, DIFF_CHANGES))
        return rc == DIFF_CHANGES, out

    def helm_diff_installed(self):
        """Whether helm lists a plugin named "diff" (with the HELM_PLUGINS of the task)."""
        argv = [self.helm or "helm", "plugin", "list"]
        self.commands.append(" ".join(argv))
        rc, out, err = self._run(argv, self.env, self.command_timeout())
        if rc != 0:
            return False
        return any(line.split()[0] == "diff" for line in (out or "").splitlines()[1:] if line.split())

    def _kube_args(self, namespace):
        argv = ["--namespace", namespace] if namespace else []
        if self.kube_context:
            argv += ["--kube-context", self.kube_context]
        return argv

    def rendered(self):
        """{(namespace, name): manifest text} of the selected releases, from ``helmfile template``."""
        outdir = os.path.join(self.workdir(), "rendered")
        argv = self.global_args() + ["template", "--skip-tests", "--output-dir", outdir,
                                     "--output-dir-template", OUTPUT_DIR_TEMPLATE] + self._skip_deps()
        self.run("template", argv)
        result = {}
        for entry in sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []:
            if "__" not in entry:
                continue
            namespace, name = entry.split("__", 1)
            texts = []
            for root, dirs, files in os.walk(os.path.join(outdir, entry)):
                dirs.sort()
                for filename in sorted(files):
                    with open(os.path.join(root, filename)) as handle:
                        texts.append(handle.read())
            result[(namespace, name)] = "\n---\n".join(texts)
        return result

    def manifest(self, namespace, name):
        argv = [self.helm or "helm", "get", "manifest", name] + self._kube_args(namespace)
        return self.run("get manifest (helm)", argv)[1]

    def template_changes(self, default_namespace="default"):
        """Releases whose rendering differs from the cluster: [dict(namespace, name, action, reason, diff)]."""
        installed = self.installed()
        declared = self.declared()
        wanted = [r for r in declared if _truthy(r.get("enabled", True)) and _truthy(r.get("installed", True))]
        rendered = self.rendered() if wanted else {}
        base = os.path.dirname(os.path.abspath(self.params["file"]))
        changes = []
        for rel in declared:
            namespace = rel.get("namespace") or self.params.get("namespace") or default_namespace
            name = rel.get("name")
            live = installed.get((namespace, name))
            change = dict(namespace=namespace, name=name, declared_namespace=rel.get("namespace") or "")
            if rel not in wanted:
                if live:
                    change.update(action="uninstall", reason="not installed by the helmfile",
                                  diff=unified_diff(normalise_manifests(self.manifest(namespace, name)), "",
                                                    namespace, name))
                    changes.append(change)
                continue
            desired = rendered.get((rel.get("namespace") or "", name), rendered.get((namespace, name), ""))
            desired = normalise_manifests(desired)
            if not live:
                change.update(action="install", reason="not installed",
                              diff=unified_diff("", desired, namespace, name))
                changes.append(change)
                continue
            current = normalise_manifests(self.manifest(namespace, name))
            reasons = []
            if live.get("status") != "deployed":
                reasons.append("status %s" % live.get("status"))
            reasons += chart_differences(rel, live, base)
            if current != desired:
                reasons.append("manifests differ")
            if reasons:
                change.update(action="upgrade", reason=", ".join(reasons),
                              diff=unified_diff(current, desired, namespace, name))
                changes.append(change)
        return changes

    def sync_releases(self, changes):
        """``helmfile sync`` limited to the changed releases (one selector each)."""
        selectors = []
        for change in changes:
            selector = "name=%s" % change["name"]
            if change["declared_namespace"]:
                selector += ",namespace=%s" % change["declared_namespace"]
            selectors.append(selector)
        argv = self.global_args(selectors=selectors) + ["sync"] + self._skip_deps() + self._wait_args()
        argv += list(self.params.get("extra_args") or [])
        return self.run("sync", argv, waits=True)[1]

    def _wait_args(self):
        argv = []
        if self.params.get("wait"):
            argv += ["--wait"]
            if self.params.get("wait_timeout"):
                argv += ["--timeout", str(self.params["wait_timeout"])]
        return argv

    def apply(self):
        command = self.params.get("command") or "apply"
        argv = self.global_args() + [command] + self._skip_deps() + self._wait_args()
        argv += list(self.params.get("extra_args") or [])
        return self.run(command, argv, waits=True)[1]

    def destroy(self):
        argv = self.global_args() + ["destroy"] + self._skip_deps() + list(self.params.get("extra_args") or [])
        return self.run("destroy", argv, waits=True)[1]

    def declared(self):
        argv = self.global_args() + ["list", "--output", "json", "--skip-charts"]
        out = self.run("list", argv)[1]
        start = out.find("[")
        try:
            releases = json.loads(out[start:]) if start >= 0 else []
        except ValueError:
            raise HelmfileError("helmfile list printed no JSON: %s" % first_error_line("", out))
        return releases or []

    def installed(self):
        """Releases helm knows about: {(namespace, name): helm list entry}."""
        argv = [self.helm or "helm", "list", "--all-namespaces", "--all", "--output", "json", "--max", "0"]
        if self.kube_context:
            argv += ["--kube-context", self.kube_context]
        out = self.run("list (helm)", argv)[1]
        try:
            entries = json.loads(out or "[]") or []
        except ValueError:
            raise HelmfileError("helm list printed no JSON: %s" % first_error_line("", out))
        return dict(((e.get("namespace"), e.get("name")), e) for e in entries)

    def releases(self, default_namespace="default"):
        """Declared releases with their installed state."""
        installed = self.installed()
        result = []
        for rel in self.declared():
            namespace = rel.get("namespace") or self.params.get("namespace") or default_namespace
            live = installed.get((namespace, rel.get("name")))
            result.append(dict(
                name=rel.get("name"),
                namespace=namespace,
                chart=rel.get("chart"),
                version=rel.get("version") or None,
                enabled=_truthy(rel.get("enabled", True)),
                labels=_labels(rel.get("labels")),
                status=live.get("status") if live else "absent",
                revision=_int(live.get("revision")) if live else None,
                app_version=live.get("app_version") if live else None,
                installed_chart=live.get("chart") if live else None,
                updated=live.get("updated") if live else None,
            ))
        return result


def normalise_manifests(text):
    """Rendered or installed manifests in a comparable form: each YAML document parsed and dumped with sorted
    keys, documents sorted by apiVersion/kind/namespace/name; comments, empty documents and hooks (which
    ``helm get manifest`` does not return) dropped."""
    import yaml

    docs = {}
    for doc in yaml.safe_load_all(text or ""):
        if not isinstance(doc, dict) or not doc:
            continue
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        if "helm.sh/hook" in (meta.get("annotations") or {}):
            continue
        key = "%s %s %s/%s" % (doc.get("apiVersion"), doc.get("kind"), meta.get("namespace") or "", meta.get("name"))
        docs[key] = yaml.safe_dump(doc, sort_keys=True, default_flow_style=False)
    return "".join("---\n# %s\n%s" % (key, docs[key]) for key in sorted(docs))


def unified_diff(before, after, namespace, name):
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        "installed %s/%s" % (namespace, name), "desired %s/%s" % (namespace, name)))


def chart_differences(rel, live, base):
    """Differences between the declared chart (local Chart.yaml, or an exact version) and the installed one."""
    import yaml

    chart = rel.get("chart") or ""
    path = chart if os.path.isabs(chart) else os.path.join(base, chart)
    installed_chart = live.get("chart") or ""
    if chart and os.path.isfile(os.path.join(path, "Chart.yaml")):
        try:
            with open(os.path.join(path, "Chart.yaml")) as handle:
                meta = yaml.safe_load(handle) or {}
        except Exception:  # helmfile template reports a broken chart itself
            return []
        out = []
        want = "%s-%s" % (meta.get("name"), meta.get("version"))
        if installed_chart != want:
            out.append("chart %s -> %s" % (installed_chart, want))
        app = meta.get("appVersion")
        if app is not None and str(app) != str(live.get("app_version") or ""):
            out.append("appVersion %s -> %s" % (live.get("app_version"), app))
        return out
    version = str(rel.get("version") or "")
    suffixes = ("-" + version, "-" + version.lstrip("v"))
    if EXACT_VERSION.match(version) and not installed_chart.endswith(suffixes):
        return ["chart %s -> version %s" % (installed_chart, version)]
    return []


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "yes", "1")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _labels(value):
    """helmfile list prints labels as "k:v,k2:v2"."""
    if isinstance(value, dict):
        return value
    out = {}
    for part in (value or "").split(","):
        if ":" in part:
            key, val = part.split(":", 1)
            out[key.strip()] = val.strip()
    return out
