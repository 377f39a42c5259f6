#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Cycles between modules, from the symbols the objects define and use (nm):
# module a depends on module b when a.o uses a symbol b.o defines. Prints
# every strongly connected group of two or more modules and exits 1 when
# there is one. Run by `make check` after the build.
#
#   scripts/module-cycles.py BUILD_DIR     (objects under BUILD_DIR/user)
import os
import subprocess
import sys


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", obj], capture_output=True, text=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3 and l.split()[1].isupper()}
    out = subprocess.run(["nm", "--undefined-only", obj], capture_output=True, text=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.split()}
    return defined, used


def sccs(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            out.append(group)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build", "user")
    objs = []
    for d, _, files in os.walk(root):
        objs += [os.path.join(d, f) for f in files if f.endswith(".o") and f != "main.o"]
    # only objects whose source still exists (a moved file leaves its old object behind)
    objs = [o for o in objs if os.path.exists(os.path.join("user", os.path.relpath(o, root))[:-2] + ".c")]
    if not objs:
        print("module-cycles: no objects under %s (build first)" % root)
        return 1
    mods = {os.path.relpath(o, root)[:-2]: symbols(o) for o in sorted(objs)}
    owner = {}
    for m, (defined, _) in mods.items():
        for s in defined:
            owner[s] = m
    graph = {m: sorted({owner[s] for s in used if s in owner and owner[s] != m})
             for m, (_, used) in mods.items()}
    cycles = [sorted(g) for g in sccs(graph) if len(g) > 1]
    for g in cycles:
        print("module-cycles: cycle: " + " <-> ".join(g))
    print("module-cycles: %d modules, %d cycle%s" % (len(mods), len(cycles),
                                                    "" if len(cycles) == 1 else "s"))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
