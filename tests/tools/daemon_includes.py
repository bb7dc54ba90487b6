#!/usr/bin/python3
"""Include cycles between daemon/'s files.

    python3 tests/tools/daemon_includes.py [--max N] [--free FILE]... [SOURCE_ROOT]

Every daemon/*.c and *.h is a node. A file depends on each "daemon/x.h" it
includes, and a header depends on every .c file that defines a function it
declares: including a header means linking against what implements it, so a
catch-all header that declares the functions of many files ties them all
together. A header and the files that implement it are one concern and always
form a small cycle of their own; a cycle across concerns holds two headers or
more. Prints each such cycle (a strongly connected component), then the number
of files in the largest one and how many .c files include server.h. With
--max N, exits 1 when the largest cycle across concerns has more than N files;
with --free FILE (repeatable), when FILE is in one (server.h: the struct every
handler receives must tie no file to another's code).
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"daemon/([A-Za-z0-9_]+\.h)"', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
DECLARED = re.compile(r"\b(lsd_\w+)\s*\(")
# A definition: a line at column 0, not static, naming lsd_x( and not ending a prototype.
DEFINED = re.compile(r"^(?!static\b)[A-Za-z][^;(]*?\b(lsd_\w+)\s*\([^;]*$", re.M)


def read_graph(root):
    ddir = os.path.join(root, "daemon")
    texts = {}
    for name in sorted(os.listdir(ddir)):
        if name.endswith((".c", ".h")):
            with open(os.path.join(ddir, name), encoding="utf-8", errors="replace") as f:
                texts[name] = COMMENT.sub("", f.read())
    where = {}
    for name, text in texts.items():
        if name.endswith(".c"):
            for fn in DEFINED.findall(text):
                where.setdefault(fn, set()).add(name)
    graph = {}
    for name, text in texts.items():
        deps = set(INCLUDE.findall(text))
        if name.endswith(".h"):
            for fn in DECLARED.findall(text):
                deps |= where.get(fn, set())
        graph[name] = {d for d in deps if d != name and d in texts}
    return graph


def cycles(graph):
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out, key=len, reverse=True)


def main():
    args = sys.argv[1:]
    limit, free = None, []
    if "--max" in args:
        i = args.index("--max")
        limit = int(args[i + 1])
        del args[i:i + 2]
    while "--free" in args:
        i = args.index("--free")
        free.append(args[i + 1])
        del args[i:i + 2]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..")
    graph = read_graph(root)
    comps = [c for c in cycles(graph) if sum(1 for f in c if f.endswith(".h")) > 1]
    for c in comps:
        print("cycle of %d files (%d headers): %s"
              % (len(c), sum(1 for f in c if f.endswith(".h")), " ".join(c)))
    largest = len(comps[0]) if comps else 0
    users = sum(1 for name, deps in graph.items() if "server.h" in deps and name.endswith(".c"))
    print("%d files, largest cycle across concerns %d files, %d .c files include server.h"
          % (len(graph), largest, users))
    bad = 1 if limit is not None and largest > limit else 0
    if bad:
        print("largest cycle %d files, more than %d" % (largest, limit), file=sys.stderr)
    for name in free:
        for c in comps:
            if name in c:
                print("%s is in a cycle across concerns" % name, file=sys.stderr)
                bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
