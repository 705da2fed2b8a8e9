#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Figures for the llm-d stack on the local cluster (not a test): per pattern, our playbook's first deploy and
no-change re-run (wall time, helm/helmfile commands of the re-run, helm revisions it added) next to the same releases
applied by hand with ``helmfile sync`` twice (helm-diff, which ``helmfile apply``/``diff`` need, cannot be built here).

    tools/cluster.sh up && .venv/bin/python tools/bench_llmd.py [--patterns 1,2,3,4]

Prints a Markdown table. Each pattern runs in its own namespace, which is deleted afterwards.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, ".cache", "collections"))

from ansible_task import ansible_env, charts_dir  # noqa: E402

SCENARIOS = {  # pattern: (accelerator, models, replicas)
    1: ("cpu-sim", [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], None),
    2: ("cpu-sim", [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}, {"name": "phi", "id": "microsoft/Phi-3-mini-4k-instruct"}], None),
    3: ("cpu-sim", [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}], 2),
    4: ("nvidia-h100-80gb", [{"name": "moe", "id": "deepseek-ai/DeepSeek-V2-Lite"}], None),
}


def kubeconfig():
    out = subprocess.run(["bash", os.path.join(HERE, "cluster.sh"), "env"], capture_output=True, text=True, check=True).stdout
    return re.search(r"KUBECONFIG=(\S+)", out).group(1).strip("'\"")


def playbook(pattern, namespace, verbose=False, **extra):
    accelerator, models, replicas = SCENARIOS[pattern]
    variables = {"llmd_xks_stack": "gateway_api_llmd", "llmd_xks_accelerator": accelerator, "llmd_xks_namespace": namespace,
                 "llmd_xks_models": models, "llmd_xks_wait_timeout": 300,
                 "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace,
                                      "class_name": "gke-l7-regional-external-managed", "create": True}}
    if replicas:
        variables["llmd_xks_replicas"] = replicas
    variables.update(extra)
    command = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), os.path.join(REPO, "playbooks", "pattern%d.yml" % pattern),
               "-i", os.path.join(REPO, "inventories", "local"), "-e", json.dumps(variables)] + (["-v"] if verbose else [])
    started = time.monotonic()
    proc = subprocess.run(command, env=ansible_env(kubeconfig()), capture_output=True, text=True, cwd=REPO)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit("pattern %d failed:\n%s" % (pattern, proc.stdout[-3000:]))
    # -v prints each result; the helmfile module's "commands" list holds the helm and helmfile command lines it ran
    commands = re.findall(r'^\s*-\s+(/\S*/(?:helm|helmfile) .*)$', proc.stdout, re.M)
    return elapsed, commands


def revisions(namespace):
    from kubernetes import client, config
    config.load_kube_config(kubeconfig())
    secrets = client.CoreV1Api().list_namespaced_secret(namespace, label_selector="owner=helm").items
    return len(secrets)


def plan(pattern, namespace):
    from ansible_collections.llmd.xks.plugins.module_utils._patterns import plan as render
    with open(os.path.join(REPO, "playbooks", "vars", "accelerators.yml")) as handle:
        accelerators = yaml.safe_load(handle)["llmd_xks_accelerators"]
    accelerator, models, replicas = SCENARIOS[pattern]
    result = render(dict(stack="gateway_api_llmd", pattern=pattern, namespace=namespace, accelerator=accelerator,
                         accelerators=accelerators, models=models, replicas=replicas, hf_secret_exists=True,
                         gateway={"name": "inference-gateway", "namespace": namespace,
                                  "class_name": "gke-l7-regional-external-managed"}, charts_dir=charts_dir()))
    assert not result.errors, result.errors
    return result.helmfile["definition"]


def tool(name):
    return subprocess.run(["bash", os.path.join(HERE, "tool-path.sh"), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def by_hand(pattern, namespace):
    """helmfile sync of the same releases, twice (what a user without helm-diff runs)."""
    env = dict(os.environ, KUBECONFIG=kubeconfig())
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "helmfile.yaml")
        with open(path, "w") as handle:
            yaml.safe_dump(plan(pattern, namespace), handle, default_flow_style=False)  # helmfile reads block YAML
        from kubernetes import client, config
        config.load_kube_config(kubeconfig())
        client.CoreV1Api().create_namespace({"metadata": {"name": namespace}})
        times = []
        for _ in range(2):
            started = time.monotonic()
            subprocess.run([tool("helmfile"), "--file", path, "--helm-binary", tool("helm"), "sync", "--skip-deps", "--wait",
                            "--timeout", "300"], env=env, capture_output=True, text=True, check=True)
            times.append(time.monotonic() - started)
    return times


def delete(namespace):
    from kubernetes import client, config
    config.load_kube_config(kubeconfig())
    try:
        client.CoreV1Api().delete_namespace(namespace)
    except Exception:  # already gone
        pass
    for _ in range(120):
        try:
            client.CoreV1Api().read_namespace(namespace)
        except Exception:
            return
        time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", default="1,2,3,4")
    args = parser.parse_args()
    rows = []
    for pattern in [int(p) for p in args.patterns.split(",")]:
        ours = "bench-llmd-p%d" % pattern
        try:
            first, _ = playbook(pattern, ours)
            before = revisions(ours)
            rerun, commands = playbook(pattern, ours, verbose=True)
            added = revisions(ours) - before
        finally:
            delete(ours)
        hand = "bench-hand-p%d" % pattern
        try:
            hand_first, hand_again = by_hand(pattern, hand)
            hand_added = revisions(hand) - len(plan(pattern, hand)["releases"])
        finally:
            delete(hand)
        helm_calls = [c for c in commands if re.search(r"/helm(file)? ", c)]
        rows.append((pattern, first, rerun, len(helm_calls), added, hand_first, hand_again, hand_added))
        print("pattern %d done" % pattern, file=sys.stderr)
    print("| pattern | ours: first deploy | ours: no-change re-run | helm/helmfile commands in the re-run | helm revisions "
          "added by the re-run | by hand: helmfile sync | by hand: second sync | revisions added by the second sync |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| %d | %.1f s | %.1f s | %d | %d | %.1f s | %.1f s | %d |" % row)


if __name__ == "__main__":
    main()
