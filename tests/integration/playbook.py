# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a playbook of the collection with the real ansible-playbook and read its PLAY RECAP."""

import json
import os
import re
import subprocess
import sys

from ansible_task import COLLECTIONS, REPO, ansible_env
from waiting import scaled


class PlaybookRun(object):
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        match = re.search(r"^localhost\s*:\s*(.*)$", proc.stdout, re.M)
        self.recap = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))) if match else {}

    @property
    def changed(self):
        return self.recap.get("changed")

    def errors(self):
        lines = self.output.splitlines()
        found = []
        for index, line in enumerate(lines):
            if line.startswith(("[ERROR]", "fatal:", "failed:")) or "Task failed" in line:
                found.append(" | ".join(l.strip() for l in lines[index:index + 4]))
        return found[:4]

    def __repr__(self):
        return "rc=%s recap=%s errors=%s" % (self.rc, self.recap, self.errors())


def run_playbook(kubeconfig, playbook, inventory="local", extra_vars=None, check=False, diff=False, tags=None):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               os.path.join(REPO, "playbooks", playbook), "-i", os.path.join(REPO, "inventories", inventory)]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if tags:
        command += ["--tags", tags]
    env = ansible_env(kubeconfig)
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=scaled(1800), cwd=REPO, check=False)
    return PlaybookRun(proc)
