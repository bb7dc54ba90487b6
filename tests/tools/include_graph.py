#!/usr/bin/python3
"""The include graph between lib/'s folders, and the check that it follows the data flow.

    python3 tests/tools/include_graph.py [--dot] [SOURCE_ROOT]

lib/ is laid out as util < codec < flv < input < stream < output < relay (lib/meson.build):
a file may include headers of its own folder and of folders before it, never after it, so no
include cycle can cross folders. lib/onvif is a separate library that may use util only.
Prints each folder's edges with the files that make them; exits 1 naming every include that
goes the wrong way. --dot prints the graph for Graphviz instead.
"""
import os
import re
import sys

ORDER = ["util", "codec", "flv", "input", "stream", "output", "relay"]
ALLOWED_EXTRA = {"onvif": {"util", "onvif"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"lib/([a-z_]+)/[^"]+"', re.M)


def folder_of(root, path):
    rel = os.path.relpath(path, os.path.join(root, "lib"))
    return rel.split(os.sep)[0] if os.sep in rel else None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..")
    edges, bad, loose = {}, [], []
    for dirpath, _dirs, files in os.walk(os.path.join(root, "lib")):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            src = folder_of(root, path)
            if src is None:
                loose.append(name)
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for dst in INCLUDE.findall(text):
                if dst == src:
                    continue
                edges.setdefault((src, dst), set()).add(os.path.relpath(path, root))
                if src in ALLOWED_EXTRA:
                    ok = dst in ALLOWED_EXTRA[src]
                else:
                    ok = src in ORDER and dst in ORDER and ORDER.index(dst) < ORDER.index(src)
                if not ok:
                    bad.append("%s includes lib/%s/ (%s may use only %s)" % (
                        os.path.relpath(path, root), dst, src,
                        ", ".join(sorted(ALLOWED_EXTRA.get(src, ORDER[:ORDER.index(src)] if src in ORDER else [])))
                        or "nothing"))
    if "--dot" in sys.argv:
        print("digraph lib {")
        for (s, d), fs in sorted(edges.items()):
            print('  "%s" -> "%s" [label="%d"];' % (s, d, len(fs)))
        print("}")
    else:
        for (s, d), fs in sorted(edges.items(), key=lambda e: (ORDER.index(e[0][0]) if e[0][0] in ORDER else 99, e[0][1])):
            print("%-7s -> %-7s %s" % (s, d, " ".join(sorted(os.path.basename(f) for f in fs))))
    for name in loose:
        bad.append("lib/%s is in no folder" % name)
    for b in bad:
        print("WRONG WAY: " + b, file=sys.stderr)
    print("%d folder edges, %d wrong" % (len(edges), len(bad)), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
