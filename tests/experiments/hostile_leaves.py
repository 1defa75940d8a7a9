#!/usr/bin/python3
"""Every key of a resolved config (scalars, sections, lists), set to each hostile value through
--set: `governor check` must exit 0 or 2, never crash, and every exit 2
must start with the config's "file:line" or "file (--set)" (or name the --set argument).

Usage: hostile_leaves.py GOVERNOR CONFIG... [--values V,V,...]"""
import re
import subprocess
import sys

import yaml

VALUES = ["-1", "inf", "nan", "abc", "{a: 1}", "[]", "4294967297"]


def leaves(node, path=""):
    """Every path of the tree: the scalars, and the sections and lists too."""
    if path:
        yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (path + "." if path else "") + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, "%s.%d" % (path, i))


def main(argv):
    gv, cfgs, values = argv[0], [], VALUES
    for a in argv[1:]:
        if a.startswith("--values="):
            values = a.split("=", 1)[1].split(",")
        else:
            cfgs.append(a)
    bad = n = 0
    for cfg in cfgs:
        r = subprocess.run([gv, "check", cfg, "--print"], capture_output=True, text=True)
        tree = yaml.safe_load(r.stdout.split("\n", 1)[1].rsplit("\n", 2)[0])
        for p in leaves(tree):
            if p == "out":  # a path the user chose: any text is fine
                continue
            for v in values:
                n += 1
                r = subprocess.run([gv, "check", cfg, "--set", "%s=%s" % (p, v)],
                                   capture_output=True, text=True)
                e = r.stderr.strip()
                if r.returncode not in (0, 2):
                    print("CRASH %s --set %s=%s: exit %d %s" % (cfg, p, v, r.returncode, e[:300]))
                    bad += 1
                elif r.returncode == 2 and not re.match(
                        r"governor: (%s(:\d+| \(--set\))|--set [^:]+): \S" % re.escape(cfg), e):
                    print("NO FILE:LINE %s --set %s=%s: %s" % (cfg, p, v, e[:300]))
                    bad += 1
    print("%d cases, %d bad" % (n, bad))
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
