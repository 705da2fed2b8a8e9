#!/usr/bin/env python3
"""Write tests/sanity/ignore-2.NN.txt for the ansible-core versions we support.

The only entry is ``validate-modules:missing-gplv3-license`` for each module that carries no GPLv3
header (our modules are Apache-2.0). It is the one ignore that ansible-lint's production profile
accepts (rule ``sanity``), and the ``ignores`` sanity test fails on entries for files that do not
exist, so the list is derived from plugins/modules/ rather than kept by hand.

    tools/sanity_ignores.py [--root DIR] [--check]
--check: do not write; exit 1 (listing the differences) when a file is out of date.
"""
import argparse
import os
import sys

CORE_VERSIONS = ("2.19", "2.20", "2.21")
GPL_MARKER = "GNU General Public License"


def wanted(root):
    mod_dir = os.path.join(root, "plugins", "modules")
    lines = []
    if os.path.isdir(mod_dir):
        for name in sorted(os.listdir(mod_dir)):
            path = os.path.join(mod_dir, name)
            if not name.endswith(".py") or name == "__init__.py" or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                head = "".join(f.readline() for _line in range(20))
            if GPL_MARKER not in head:
                lines.append("plugins/modules/%s validate-modules:missing-gplv3-license" % name)
    return "".join(line + "\n" for line in lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    content = wanted(args.root)
    stale = []
    for version in CORE_VERSIONS:
        path = os.path.join(args.root, "tests", "sanity", "ignore-%s.txt" % version)
        current = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                current = f.read()
        if content and current == content or not content and current is None:
            continue
        stale.append(os.path.relpath(path, args.root))
        if args.check:
            continue
        if content:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(content)
        else:
            os.remove(path)
    if args.check and stale:
        print("out of date (run `make sanity-ignores`): %s" % ", ".join(stale), file=sys.stderr)
        return 1
    if stale:
        print("updated: %s" % ", ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
