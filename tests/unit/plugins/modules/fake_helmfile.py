# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A fake ``helmfile`` and ``helm`` for unit tests: ``python fake_helmfile.py helmfile|helm ARGS...``.

State lives in the JSON file named by $FAKE_HELM_STATE:
  declared:  [{name, namespace, chart, labels}]   what the helmfile declares
  installed: {"<ns>/<name>": {values, revision}}  what "helm" has installed
  fail:      {"<subcommand>": {rc, stdout, stderr}} canned failures
  calls:     [{argv, env}]                         appended on every call
A release's desired content is the concatenation of the state values files and --state-values-set args,
so changing values makes ``diff --detailed-exitcode`` exit 2, like helm-diff does.
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
                   "--state-values-file", "--state-values-set", "--timeout"):
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


def key(rel):
    return "%s/%s" % (rel["namespace"], rel["name"])


def main():
    tool, argv = sys.argv[1], sys.argv[2:]
    state = load()
    state.setdefault("calls", []).append({"argv": [tool] + argv, "env": {
        k: os.environ.get(k) for k in ("KUBECONFIG", "HELM_PLUGINS", "RELEASE_NAME_POSTFIX", "HELM_DIFF_COLOR")}})
    save(state)
    if tool == "helm":
        if argv[:1] == ["list"]:
            print(json.dumps([dict(name=k.split("/")[1], namespace=k.split("/")[0], revision=str(v["revision"]),
                                   status="deployed", chart="demo-0.1.0", app_version="1.0.0", updated="now")
                              for k, v in sorted(state["installed"].items())]))
            return 0
        return 1
    opts, rest = parse(argv)
    sub = next((a for a in rest if not a.startswith("-")), "")
    failure = state.get("fail", {}).get(sub)
    if failure:
        sys.stdout.write(failure.get("stdout", ""))
        sys.stderr.write(failure.get("stderr", ""))
        return failure.get("rc", 1)
    releases = selected(state, opts)
    want = desired(opts)
    if sub == "list":
        print(json.dumps([dict(name=r["name"], namespace=r["namespace"], enabled=True, installed=True,
                               labels=r.get("labels", ""), chart=r["chart"], version="") for r in releases]))
        return 0
    if sub == "diff":
        changed = [r for r in releases if state["installed"].get(key(r), {}).get("values") != want]
        for rel in changed:
            print("%s, %s, ConfigMap (v1) has changed:\n-  old\n+  new" % (rel["namespace"], rel["name"]))
        return 2 if changed and "--detailed-exitcode" in rest else 0
    if sub in ("apply", "sync"):
        for rel in releases:
            live = state["installed"].get(key(rel))
            if sub == "sync" or live is None or live["values"] != want:
                state["installed"][key(rel)] = {"values": want, "revision": (live or {"revision": 0})["revision"] + 1}
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
