"""Benchmark section 4: ConfigMap creates/s on a file-backed data directory
(wrk + bench/post.lua, unique names), against the ceiling of raw SQLite
single-row transactions with the same durability (bench/sqlite_ceiling.c,
compiled here). The two alternate in rounds, each on a store that keeps
growing like the other's, and the best round of each is kept. Called by
bench/run.py."""
import json
import os
import re
import shutil
import subprocess

import harness
import httpc
import wrkrun

HERE = os.path.dirname(os.path.abspath(__file__))
CM_COLLECTION = "/api/v1/namespaces/default/configmaps"


def build_ceiling(workdir, log):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        log("  no C compiler: the SQLite ceiling is skipped")
        return None
    exe = os.path.join(workdir, "sqlite_ceiling")
    p = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-D_GNU_SOURCE", os.path.join(HERE, "sqlite_ceiling.c"),
                        "-o", exe, "-lsqlite3"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        log("  cannot build the SQLite ceiling: %s" % p.stderr.strip()[:500])
        return None
    return exe


def run_ceiling(children, exe, db_path, seconds, row_bytes):
    proc = children.spawn([exe, db_path, str(seconds), str(row_bytes)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True)
    try:
        out, err = proc.communicate(timeout=seconds + 30)
    finally:
        children.stop(proc)
    m = re.search(r"(\d+) rows in ([0-9.]+) s: ([0-9.]+) inserts/s", out)
    if not m:
        raise RuntimeError("sqlite_ceiling failed: %s %s" % (out, err))
    return {"rows": int(m.group(1)), "seconds": float(m.group(2)),
            "rps": float(m.group(3)), "row_bytes": row_bytes}


def stored_configmaps(srv):
    """How many ConfigMaps the server holds, and the size of one of them."""
    cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token, timeout=60)
    try:
        items = cli.json("GET", CM_COLLECTION).get("items", [])
    finally:
        cli.close()
    size = len(json.dumps(items[-1], separators=(",", ":"))) if items else 400
    return len(items), size


def run(children, binary, workdir, wrk, seconds, log, rounds=2):
    out = {"rounds": rounds}
    exe = build_ceiling(workdir, log)
    db_dir = os.path.join(workdir, "sqlite-ceiling")
    os.makedirs(db_dir, exist_ok=True)
    srv = harness.K1s(children, binary, workdir)
    mine, ceiling = [], []
    row_bytes = None
    try:
        srv.start()
        for i in range(rounds):
            res = wrkrun.run(children, wrk, srv.url + CM_COLLECTION, seconds,
                             headers=["Authorization: Bearer " + srv.token],
                             script=os.path.join(HERE, "post.lua"),
                             script_args=[CM_COLLECTION, "bench-r%d" % i])
            res = {k: v for k, v in res.items() if k != "output"}
            mine.append(res)
            stored, size = stored_configmaps(srv)
            # what one stored ConfigMap weighs: the ceiling writes rows that size
            row_bytes = row_bytes or size
            log("  k1s    %.0f creates/s (p50 %s ms, p99 %s ms, non-2xx %d, %d stored)"
                % (res["rps"], res["latency_ms"].get("p50"), res["latency_ms"].get("p99"),
                   res["non_2xx"], stored))
            out["stored"] = stored
            if exe:
                ceil = run_ceiling(children, exe, os.path.join(db_dir, "bench.db"),
                                   seconds, row_bytes)
                ceiling.append(ceil)
                log("  sqlite %.0f inserts/s (one transaction per %d-byte row,"
                    " WAL, synchronous=NORMAL)" % (ceil["rps"], row_bytes))
    finally:
        srv.cleanup()
        shutil.rmtree(db_dir, ignore_errors=True)
    out["row_bytes"] = row_bytes
    out["k1s_rounds"] = mine
    out["k1s"] = max(mine, key=lambda r: r["rps"])
    if ceiling:
        out["sqlite_rounds"] = ceiling
        out["sqlite"] = max(ceiling, key=lambda r: r["rps"])
        out["ratio"] = out["k1s"]["rps"] / out["sqlite"]["rps"] if out["sqlite"]["rps"] else None
    return out
