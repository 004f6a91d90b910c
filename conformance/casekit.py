"""Small helpers the conformance cases share: assertions with useful output
and table parsing that ignores what differs run to run (ages, IPs, UIDs)."""
import json
import subprocess
import time
import os
import re

from k1s_fixture import SCENARIO

SC = os.path.join(SCENARIO, "test-storage-class.yaml")
STS = os.path.join(SCENARIO, "nginx-service-statefulset.yaml")

AGE = re.compile(r"^(\d+[smhdy])+$|^<invalid>$")


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s\n  got:  %r\n  want: %r" % (what, got, want))


def contains(text, part, what=""):
    if part not in text:
        raise AssertionError("%s: %r not in:\n%s" % (what, part, text))


def table(text):
    """Rows of a kubectl table as lists of cells (header first)."""
    rows = []
    lines = [l for l in text.splitlines()]
    if not lines:
        return rows
    header = lines[0]
    # column starts are where header words start
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    for line in lines:
        if not line.strip():
            continue
        cells = []
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(line[s:e].strip() if e else line[s:].strip())
        rows.append(cells)
    return rows


def check_layout(text, header, rows_without_age):
    """Checks a table's header line exactly, and each row's cells except
    those under AGE, which must look like an age."""
    lines = [l for l in text.splitlines() if l.strip()]
    eq(lines[0].split(), header.split(), "header")
    t = table(text)
    hdr = t[0]
    body = t[1:]
    eq(len(body), len(rows_without_age), "row count in\n" + text)
    for row, want in zip(body, rows_without_age):
        got = []
        for h, cell in zip(hdr, row):
            if h == "AGE":
                if not AGE.match(cell):
                    raise AssertionError("AGE cell %r in\n%s" % (cell, text))
            else:
                got.append(cell)
        eq(got, want, "row of\n" + text)


def jget(server, *args, kubectl=None):
    return json.loads(server.kubectl(*args, "-o", "json", kubectl=kubectl).stdout)


def collector():
    """A module's test list and the decorator that fills it:
    TESTS, case = collector()."""
    tests = []

    def case(fn):
        tests.append((fn.__name__, fn))
        return fn
    return tests, case


def wait_for(what, fn, timeout=60):
    """Polls fn until it returns something true; fails naming what."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def sim_server(shared):
    """A server of the case's own, on the simulated kubelet."""
    from k1s_fixture import Server
    return Server(shared.binary, extra=["--kubelet", "simulated"]).start()


def record(client, version, out):
    """Keeps a client script's "ok   ..." lines for docs/compatibility.md
    when K1S_COMPAT_DIR is set (scripts/gen-compat.py renders them)."""
    d = os.environ.get("K1S_COMPAT_DIR")
    if not d:
        return
    with open(os.path.join(d, client.replace("/", "_").replace("@", "") + ".json"), "w") as f:
        json.dump({"client": client, "version": version,
                   "ok": [l[5:] for l in out.splitlines() if l.startswith("ok   ")]}, f)


def deb_version(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return p.stdout.strip() or "?"
