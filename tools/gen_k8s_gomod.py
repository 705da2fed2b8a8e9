#!/usr/bin/env python3
"""Write a wrapper go.mod that builds k8s.io/kubernetes commands from the Go module proxy.

k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local paths, so
`go install` cannot build it. The wrapper requires the release and replaces each staging module
with its published v0.<minor>.<patch> tag. The staging list is read from the release's own go.mod.

Usage: gen_k8s_gomod.py <path to k8s.io/kubernetes@vX.Y.Z.mod> vX.Y.Z [cmd ...] > go.mod
"""
import re
import sys


def wrapper_gomod(kubernetes_gomod: str, version: str, commands: list[str]) -> str:
    staging_version = "v0." + version.split(".", 1)[1]
    go_line = re.search(r"^go (\d+)\.(\d+)(?:\.(\d+))?", kubernetes_gomod, re.M)
    go_version = max((int(go_line.group(1)), int(go_line.group(2)), int(go_line.group(3) or 0)), (1, 24, 0))
    godebug = re.findall(r"^godebug [^(].*$", kubernetes_gomod, re.M)
    block = re.search(r"^godebug \((.*?)^\)", kubernetes_gomod, re.M | re.S)
    if block:
        godebug += ["godebug " + line.strip() for line in block.group(1).splitlines() if line.strip()]
    staging = set(re.findall(r"^\s*(k8s\.io/[\w./-]+) v0\.0\.0\s*$", kubernetes_gomod, re.M))
    staging |= set(re.findall(r"^\s*(k8s\.io/[\w./-]+) => \./staging/", kubernetes_gomod, re.M))
    other = [
        line.strip()
        for line in re.findall(r"^\s*(?:replace\s+)?(\S+ (?:\S+ )?=> [^./\s]\S* v\S+)\s*$", kubernetes_gomod, re.M)
        if not line.strip().startswith(tuple(staging))
    ]
    out = ["module local.invalid/llmd-xks-k8s-build", "", "go %d.%d.%d" % go_version, ""]
    out += godebug
    out += ["", f"require k8s.io/kubernetes {version}", "", "tool ("]
    out += [f"\tk8s.io/kubernetes/cmd/{c}" for c in commands]
    out += [")", "", "replace ("]
    out += [f"\t{m} => {m} {staging_version}" for m in sorted(staging)]
    out += [f"\t{line}" for line in other]
    out += [")", ""]
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        text = fh.read()
    cmds = sys.argv[3:] or ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    sys.stdout.write(wrapper_gomod(text, sys.argv[2], cmds))
