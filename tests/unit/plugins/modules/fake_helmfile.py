# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A fake ``helmfile`` and ``helm`` for unit tests: ``python fake_helmfile.py helmfile|helm ARGS...``.

State lives in the JSON file named by $FAKE_HELM_STATE:
  declared:  [{name, namespace, chart, labels, installed}]   what the helmfile declares
  installed: {"<ns>/<name>": {values, revision, [status, chart]}}  what "helm" has installed
  chart:     "demo-0.1.0"                          the chart name-version that apply/sync installs
  plugins:   ["diff"]                              helm plugins that "helm plugin list" shows (default none)
  fail:      {"<subcommand>": {rc, stdout, stderr}} canned failures
  hang:      {"<subcommand>": seconds}             sleep first, as helmfile does against a silent API server
  calls:     [{argv, env}]                         appended on every call
A release's desired content is the concatenation of the state values files and --state-values-set args,
so changing values makes ``diff --detailed-exitcode`` exit 2, like helm-diff does, and changes the ConfigMap
that ``template`` renders and ``helm get manifest`` returns (plus a hook that only ``template`` prints).
"""
import json
import os
import sys


def load():
    with open(os.environ["FAKE_HELM_STATE"]) as handle:
        return json.load(handle)


def save(state):
    with open(os.environ["FAKE_HELM_STATE"], "w") as handle:
        json.dump(state, handle)


def parse(argv):
    opts = {"selectors": [], "files": [], "sets": [], "namespace": None}
    rest = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--file", "--environment", "--kube-context", "--helm-binary", "--namespace", "--selector",
                   "--state-values-file", "--state-values-set", "--timeout", "--output-dir",
                   "--output-dir-template"):
            value = argv[i + 1]
            i += 2
            if arg == "--selector":
                opts["selectors"].append(value)
            elif arg == "--state-values-file":
                opts["files"].append(value)
            elif arg == "--state-values-set":
                opts["sets"].append(value)
            else:
                opts[arg[2:].replace("-", "_")] = value
            continue
        rest.append(arg)
        i += 1
    return opts, rest


def selected(state, opts):
    releases = []
    for rel in state["declared"]:
        rel = dict(rel)
        rel["namespace"] = rel.get("namespace") or opts["namespace"] or "default"
        labels = dict(kv.split(":", 1) for kv in (rel.get("labels") or "").split(",") if ":" in kv)
        labels["name"] = rel["name"]
        labels["namespace"] = rel["namespace"]
        if opts["selectors"] and not any(
                all(labels.get(k) == v for k, v in (p.split("=", 1) for p in sel.split(",")))
                for sel in opts["selectors"]):
            continue
        releases.append(rel)
    return releases


def desired(opts):
    parts = []
    for path in opts["files"]:
        with open(path) as handle:
            parts.append(handle.read())
    return "\n".join(parts + opts["sets"])


def manifest(name, values):
    return ("---\n# Source: demo/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            "  name: %s-config\ndata:\n  values: %s\n" % (name, json.dumps(values)))


HOOK = ("---\n# Source: demo/templates/hook.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: hook\n"
        "  annotations:\n    helm.sh/hook: pre-install\n")


def key(rel):
    return "%s/%s" % (rel["namespace"], rel["name"])


def main():
    tool, argv = sys.argv[1], sys.argv[2:]
    state = load()
    state.setdefault("calls", []).append({"argv": [tool] + argv, "env": {
        k: os.environ.get(k) for k in ("KUBECONFIG", "HELM_PLUGINS", "RELEASE_NAME_POSTFIX", "HELM_DIFF_COLOR")}})
    state["calls"][-1]["env"].update((k, v) for k, v in os.environ.items() if k.startswith("HELM_KUBE"))
    save(state)
    if tool == "helm":
        if argv[:1] == ["list"]:
            print(json.dumps([dict(name=k.split("/")[1], namespace=k.split("/")[0], revision=str(v["revision"]),
                                   status=v.get("status", "deployed"), chart=v.get("chart", "demo-0.1.0"),
                                   app_version="1.0.0", updated="now")
                              for k, v in sorted(state["installed"].items())]))
            return 0
        if argv[:2] == ["plugin", "list"]:
            print("NAME\tVERSION\tDESCRIPTION")
            for plugin in state.get("plugins", []):
                print("%s\t3.15.11\t%s plugin" % (plugin, plugin))
            return 0
        if argv[:2] == ["get", "manifest"]:
            namespace = argv[argv.index("--namespace") + 1] if "--namespace" in argv else "default"
            live = state["installed"].get("%s/%s" % (namespace, argv[2]))
            if live is None:
                sys.stderr.write("Error: release: not found\n")
                return 1
            sys.stdout.write(manifest(argv[2], live["values"]))
            return 0
        return 1
    opts, rest = parse(argv)
    sub = next((a for a in rest if not a.startswith("-")), "")
    if sub in state.get("hang", {}):
        import time
        time.sleep(state["hang"][sub])
    failure = state.get("fail", {}).get(sub)
    if failure:
        sys.stdout.write(failure.get("stdout", ""))
        sys.stderr.write(failure.get("stderr", ""))
        return failure.get("rc", 1)
    releases = selected(state, opts)
    want = desired(opts)
    if sub == "list":
        print(json.dumps([dict(name=r["name"], namespace=r["namespace"], enabled=True,
                               installed=r.get("installed", True),
                               labels=r.get("labels", ""), chart=r["chart"], version="") for r in releases]))
        return 0
    if sub == "diff":
        changed = [r for r in releases if state["installed"].get(key(r), {}).get("values") != want]
        for rel in changed:
            print("%s, %s, ConfigMap (v1) has changed:\n-  old\n+  new" % (rel["namespace"], rel["name"]))
        return 2 if changed and "--detailed-exitcode" in rest else 0
    if sub == "template":
        for rel in releases:
            if not rel.get("installed", True):
                continue
            out = os.path.join(opts["output_dir"], "%s__%s" % (rel["namespace"], rel["name"]), "demo", "templates")
            os.makedirs(out)
            with open(os.path.join(out, "configmap.yaml"), "w") as handle:
                handle.write(manifest(rel["name"], want))
            with open(os.path.join(out, "hook.yaml"), "w") as handle:
                handle.write(HOOK)
        return 0
    if sub in ("apply", "sync"):
        for rel in releases:
            if not rel.get("installed", True):
                state["installed"].pop(key(rel), None)
                continue
            live = state["installed"].get(key(rel))
            if sub == "sync" or live is None or live["values"] != want:
                state["installed"][key(rel)] = dict(live or {}, values=want, status="deployed", chart=state.get("chart", "demo-0.1.0"),
                                                    revision=(live or {"revision": 0})["revision"] + 1)
                print("Release \"%s\" has been upgraded." % rel["name"])
        save(state)
        return 0
    if sub == "destroy":
        for rel in releases:
            state["installed"].pop(key(rel), None)
        save(state)
        return 0
    sys.stderr.write("unknown subcommand %s\n" % sub)
    return 1


if __name__ == "__main__":
    sys.exit(main())
