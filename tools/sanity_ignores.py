#!/usr/bin/env python3
"""Write tests/sanity/ignore-2.NN.txt for the ansible-core versions we support.

Generated entries: ``validate-modules:missing-gplv3-license`` for each plugin with a DOCUMENTATION
block (modules, lookups, ...) and no GPLv3 header (ours are Apache-2.0). It is one of the few ignores
that ansible-lint's production profile accepts (rule ``sanity``), and the ``ignores`` sanity test fails
on entries for files that do not exist, so these lines are derived from plugins/ rather than kept by
hand. Other lines already in the files (hand-written, for instance ``shebang``) are kept as long as
their file exists.

    tools/sanity_ignores.py [--root DIR] [--check]
--check: do not write; exit 1 (naming the files) when one is out of date.
"""
import argparse
import os
import sys

CORE_VERSIONS = ("2.19", "2.20", "2.21")
GPL_MARKER = "GNU General Public License"
LICENSE_TEST = "validate-modules:missing-gplv3-license"
# plugin directories whose files validate-modules does not check for a licence header (filter and test
# files hold several plugins each, documented in YAML sidecars)
NOT_VALIDATED = ("module_utils", "doc_fragments", "action", "plugin_utils", "filter", "test")


def generated(root):
    plugins = os.path.join(root, "plugins")
    lines = []
    if not os.path.isdir(plugins):
        return lines
    for ptype in sorted(os.listdir(plugins)):
        if ptype in NOT_VALIDATED or not os.path.isdir(os.path.join(plugins, ptype)):
            continue
        for dirpath, dirnames, filenames in os.walk(os.path.join(plugins, ptype)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if not name.endswith(".py") or name == "__init__.py":
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                head = "\n".join(text.splitlines()[:20])
                if "DOCUMENTATION" in text and GPL_MARKER not in head:
                    lines.append("%s %s" % (os.path.relpath(path, root), LICENSE_TEST))
    return lines


def kept(root, current):
    lines = []
    for line in (current or "").splitlines():
        parts = line.split()
        if not parts or line.startswith("#"):
            lines.append(line)
        elif len(parts) >= 2 and parts[1] != LICENSE_TEST and os.path.exists(os.path.join(root, parts[0])):
            lines.append(line)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    gen = generated(args.root)
    stale = []
    for version in CORE_VERSIONS:
        path = os.path.join(args.root, "tests", "sanity", "ignore-%s.txt" % version)
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                current = f.read()
        entries = kept(args.root, current)
        comments = [line for line in entries if not line.split() or line.startswith("#")]
        rules = sorted(set(line for line in entries if line not in comments) | set(gen))
        content = "".join(line + "\n" for line in comments + rules) if rules else None
        if content == current:
            continue
        stale.append(os.path.relpath(path, args.root))
        if args.check:
            continue
        if content:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
        elif current is not None:
            os.remove(path)
    if args.check and stale:
        print("out of date (run `make sanity-ignores`): %s" % ", ".join(stale), file=sys.stderr)
        return 1
    if stale:
        print("updated: %s" % ", ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
