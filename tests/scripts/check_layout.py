#!/usr/bin/env python3
"""The layout rules the tree keeps (run by ctest as check_layout):

1. every folder with C sources is a component with its own CMakeLists.txt,
   or a room of its parent's library (the parent's CMakeLists.txt globs it);
2. a file includes another top-level component's headers only through their
   public k1s_*.h names (private headers stay inside their component);
3. no folder holds more than 25 .c files (a crowded folder wants splitting).

Usage: check_layout.py SOURCE_DIR"""
import os
import re
import sys

SKIP = {"tests", "conformance", "bench", "docs", "scripts", "examples", "build"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
GENERATED = {"cri.pb-c.h"}


def sources(top):
    for d, dirs, files in os.walk(top):
        rel = os.path.relpath(d, top)
        first = rel.split(os.sep)[0]
        dirs[:] = [x for x in dirs if not x.startswith(".") and not x.startswith("build")]
        if rel == "." or first in SKIP:
            continue
        for f in files:
            if f.endswith((".c", ".h")):
                yield rel, f


def main():
    top = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    headers = {}  # header name -> top-level components that hold one
    cfiles = {}
    for rel, f in sources(top):
        if f.endswith(".h"):
            headers.setdefault(f, set()).add(rel.split(os.sep)[0])
        else:
            cfiles[rel] = cfiles.get(rel, 0) + 1
    for rel, n in sorted(cfiles.items()):
        if rel.endswith("pause"):  # a static program built apart, not a library
            continue
        parent = os.path.join(top, os.path.dirname(rel), "CMakeLists.txt")
        room = os.path.exists(parent) and (os.path.basename(rel) + "/*.c") in open(parent).read()
        if not room and not os.path.exists(os.path.join(top, rel, "CMakeLists.txt")):
            problems.append("%s: C sources but no CMakeLists.txt (not a component)" % rel)
        if n > 25:
            problems.append("%s: %d .c files; split it into components" % (rel, n))
    for rel, f in sources(top):
        comp = rel.split(os.sep)[0]
        with open(os.path.join(top, rel, f), errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            name = os.path.basename(inc)
            if "/" in inc:
                problems.append("%s/%s: includes %s by path; name the header only" % (rel, f, inc))
                continue
            owners = headers.get(name, set())
            if not owners or comp in owners or name in GENERATED:
                continue
            if not name.startswith("k1s_") and name != "k1s.h":
                problems.append("%s/%s: includes %s, a private header of %s" %
                                (rel, f, name, ", ".join(sorted(owners))))
    for p in problems:
        print(p)
    print("layout: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
