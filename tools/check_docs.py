#!/usr/bin/env python3
"""Check the collection's plugin and role documentation as a whole (run by `make docs`).

Reads `ansible-doc --metadata-dump llmd.xks` once and checks that
- every module file under plugins/modules/ is documented, with short_description, author, EXAMPLES
  and RETURN, and that no plugin's documentation failed to load;
- the modules whose docs claim membership of the action group llmd.xks.llmd (attribute action_group)
  are exactly those listed under action_groups.llmd in meta/runtime.yml;
- every role entry point in meta/argument_specs.yml has short_description and description;
- `ansible-doc -t TYPE NAME` renders every plugin and role of the collection (exit 0, some output).
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import yaml

COLLECTION = "llmd.xks"
GROUP = "llmd"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def render(ptype, name):
    proc = subprocess.run(["ansible-doc", "-t", ptype, name], check=False, capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip() or "[ERROR]" in proc.stderr:
        return "ansible-doc -t %s %s failed (exit %s): %s" % (ptype, name, proc.returncode,
                                                              (proc.stderr or proc.stdout).strip()[-2000:])
    return None


def main():
    errors = []
    out = subprocess.run(["ansible-doc", "--metadata-dump", "--no-fail-on-errors", COLLECTION],
                         check=True, capture_output=True, text=True).stdout
    dump = json.loads(out)["all"]
    for ptype, plugins in dump.items():
        for name, data in plugins.items():
            if isinstance(data, dict) and data.get("error"):
                errors.append("%s %s: %s" % (ptype, name, data["error"]))

    modules = dump.get("module", {})
    mod_dir = os.path.join(ROOT, "plugins", "modules")
    files = sorted(f[:-3] for f in os.listdir(mod_dir) if f.endswith(".py") and f != "__init__.py") \
        if os.path.isdir(mod_dir) else []
    in_group = set()
    for short in files:
        fqcn = "%s.%s" % (COLLECTION, short)
        data = modules.get(fqcn)
        if not data or not data.get("doc"):
            errors.append("%s: no documentation in the metadata dump" % fqcn)
            continue
        doc = data["doc"]
        for key in ("short_description", "author"):
            if not doc.get(key):
                errors.append("%s: DOCUMENTATION has no %s" % (fqcn, key))
        if not (data.get("examples") or "").strip():
            errors.append("%s: EXAMPLES is empty" % fqcn)
        if data.get("return") is None:
            errors.append("%s: RETURN is missing" % fqcn)
        group = (doc.get("attributes") or {}).get("action_group") or {}
        if "%s.%s" % (COLLECTION, GROUP) in (group.get("membership") or []):
            in_group.add(short)

    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as f:
        runtime = yaml.safe_load(f) or {}
    listed = {m for m in (runtime.get("action_groups") or {}).get(GROUP, []) if isinstance(m, str)}
    for short in sorted(in_group - listed):
        errors.append("%s.%s: docs say it is in group/%s.%s but meta/runtime.yml action_groups.%s does not list it"
                      % (COLLECTION, short, COLLECTION, GROUP, GROUP))
    for short in sorted(listed - in_group):
        if short in files:
            errors.append("%s.%s: listed in meta/runtime.yml action_groups.%s but its docs lack the action_group "
                          "attribute with membership %s.%s" % (COLLECTION, short, GROUP, COLLECTION, GROUP))

    for name, data in sorted(dump.get("role", {}).items()):
        for entry, spec in sorted(((data or {}).get("entry_points") or {}).items()):
            for key in ("short_description", "description"):
                if not spec.get(key):
                    errors.append("role %s, entry point %s: argument_specs has no %s" % (name, entry, key))

    targets = [(ptype, name) for ptype, plugins in sorted(dump.items()) for name in sorted(plugins)
               if ptype != "keyword" and name.startswith(COLLECTION + ".")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for (ptype, name), err in zip(targets, pool.map(lambda t: render(*t), targets)):
            if err:
                errors.append(err)
            else:
                print("ok %s %s" % (ptype, name))

    for line in errors:
        print("ERROR: " + line)
    print("checked %d module(s), %d role(s); action group %s: %s"
          % (len(files), len(dump.get("role", {})), GROUP, ", ".join(sorted(in_group)) or "-"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
