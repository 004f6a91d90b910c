"""Benchmark section 4: ConfigMap creates/s on a file-backed data directory
(wrk + bench/post.lua, unique names), against the ceiling of raw SQLite
single-row transactions with the same durability (bench/sqlite_ceiling.c,
compiled here). Called by bench/run.py."""
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


def run_ceiling(children, exe, workdir, seconds, row_bytes):
    db_dir = os.path.join(workdir, "sqlite-ceiling")
    os.makedirs(db_dir, exist_ok=True)
    try:
        proc = children.spawn([exe, os.path.join(db_dir, "bench.db"), str(seconds),
                               str(row_bytes)],
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
    finally:
        shutil.rmtree(db_dir, ignore_errors=True)


def run(children, binary, workdir, wrk, seconds, log):
    out = {}
    srv = harness.K1s(children, binary, workdir)
    try:
        srv.start()
        res = wrkrun.run(children, wrk, srv.url + CM_COLLECTION, seconds,
                         headers=["Authorization: Bearer " + srv.token],
                         script=os.path.join(HERE, "post.lua"),
                         script_args=[CM_COLLECTION, "bench"])
        out["k1s"] = {k: v for k, v in res.items() if k != "output"}
        cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
        listed = cli.json("GET", CM_COLLECTION)
        cli.close()
        items = listed.get("items", [])
        # what one stored ConfigMap weighs: the ceiling writes rows that size
        row_bytes = len(json.dumps(items[-1], separators=(",", ":"))) if items else 400
        out["stored"] = len(items)
        out["row_bytes"] = row_bytes
        log("  k1s    %.0f creates/s (p50 %s ms, p99 %s ms, non-2xx %d, %d stored)"
            % (res["rps"], res["latency_ms"].get("p50"), res["latency_ms"].get("p99"),
               res["non_2xx"], out["stored"]))
    finally:
        srv.cleanup()
    exe = build_ceiling(workdir, log)
    if exe:
        ceil = run_ceiling(children, exe, workdir, seconds, row_bytes)
        out["sqlite"] = ceil
        out["ratio"] = out["k1s"]["rps"] / ceil["rps"] if ceil["rps"] else None
        log("  sqlite %.0f inserts/s (one transaction per %d-byte row, WAL, synchronous=NORMAL)"
            % (ceil["rps"], row_bytes))
    return out
