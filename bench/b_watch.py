"""Benchmark section 6: many concurrent watchers. A client opens N watch
connections on ConfigMaps (from the list's resourceVersion, so that only new
events arrive), creates one ConfigMap, and times until every watcher has
read its ADDED event; the server's RSS and thread count are read with the
watchers open. The client is bench/watchers.c (GnuTLS + epoll, compiled
here) so that the figure is the server's; without a compiler or GnuTLS
headers an asyncio client does the same, slower. Called by bench/run.py."""
import asyncio
import http.client
import json
import os
import re
import select
import shutil
import subprocess
import time

import harness
import httpc

HERE = os.path.dirname(os.path.abspath(__file__))
CMS = "/api/v1/namespaces/default/configmaps"
OPEN_PARALLEL = 64


async def _open_watch(port, ctx, token, path, sem):
    async with sem:
        conn = await httpc.AsyncConn.open("127.0.0.1", port, ctx, token)
        try:
            await conn.send("GET", path)
            status, headers = await conn.read_head()
        except BaseException:
            conn.close()
            raise
        if status != 200:
            conn.close()
            raise RuntimeError("watch -> %d" % status)
        return conn


async def _wait_marker(conn, marker):
    """perf_counter() when marker went by on this stream, or None at EOF."""
    tail = b""
    while True:
        chunk = await conn.reader.read(65536)
        if not chunk:
            return None
        buf = tail + chunk
        if marker in buf:
            return time.perf_counter()
        tail = buf[-len(marker):]


async def _session(srv, count, open_budget_s, event_budget_s, log):
    ctx = harness.tls_context()
    out = {"watchers": count}
    ctl = await httpc.AsyncConn.open("127.0.0.1", srv.port, ctx, srv.token)
    conns = []
    try:
        status, body = await ctl.request("GET", CMS)
        if status != 200:
            raise RuntimeError("list -> %d" % status)
        rv = json.loads(body)["metadata"]["resourceVersion"]
        path = "%s?watch=1&resourceVersion=%s" % (CMS, rv)
        before = srv.status()
        out["before"] = before
        sem = asyncio.Semaphore(OPEN_PARALLEL)
        t0 = time.perf_counter()
        tasks = [asyncio.ensure_future(_open_watch(srv.port, ctx, srv.token, path, sem))
                 for _ in range(count)]
        done, pending = await asyncio.wait(tasks, timeout=open_budget_s)
        for t in pending:
            t.cancel()
        errors = 0
        for t in done:
            if t.exception() is None:
                conns.append(t.result())
            else:
                errors += 1
        if pending:
            await asyncio.wait(pending, timeout=5)
        out["open_s"] = time.perf_counter() - t0
        out["opened"] = len(conns)
        out["open_errors"] = errors + len(pending)
        log("  opened %d/%d watches in %.1f s" % (len(conns), count, out["open_s"]))
        await asyncio.sleep(0.5)
        out["with_watchers"] = srv.status()

        name = "watch-probe-" + os.urandom(4).hex()
        marker = ('"name":"%s"' % name).encode()
        waits = [asyncio.ensure_future(_wait_marker(c, marker)) for c in conns]
        await asyncio.sleep(0)
        t0 = time.perf_counter()
        status, body = await ctl.request("POST", CMS, {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"k": "v"}})
        out["post_ms"] = (time.perf_counter() - t0) * 1e3
        if status != 201:
            raise RuntimeError("create -> %d: %s" % (status, body[:200]))
        done, pending = await asyncio.wait(waits, timeout=event_budget_s)
        for t in pending:
            t.cancel()
        got = sorted(t.result() - t0 for t in done
                     if t.exception() is None and t.result() is not None)
        out["received"] = len(got)
        if got:
            out["all_ms"] = got[-1] * 1e3
            out["p50_ms"] = got[len(got) // 2] * 1e3
            out["first_ms"] = got[0] * 1e3
        out["after_event"] = srv.status()
    finally:
        for c in conns:
            c.close()
        ctl.close()
        await asyncio.sleep(0.2)
    return out


def build_client(workdir, log):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc or not shutil.which("pkg-config"):
        return None
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "gnutls"],
                           capture_output=True, text=True)
    if flags.returncode != 0:
        return None
    exe = os.path.join(workdir, "watchers")
    p = subprocess.run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE",
                        os.path.join(HERE, "watchers.c"), "-o", exe] + flags.stdout.split(),
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        log("  cannot build bench/watchers.c (%s): using the asyncio client"
            % p.stderr.strip()[:300])
        return None
    return exe


def _read_line(proc, buf, deadline):
    """Next stdout line of proc (bytes in buf carry over), or None at EOF or
    after the deadline."""
    fd = proc.stdout.fileno()
    while b"\n" not in buf[0]:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            buf[0] += chunk
    line, _, buf[0] = buf[0].partition(b"\n")
    return line.decode()


def _c_session(children, exe, srv, count, log):
    cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
    rv = cli.json("GET", CMS)["metadata"]["resourceVersion"]
    cli.close()
    out = {"watchers": count, "client": "C (bench/watchers.c)", "before": srv.status()}
    name = "watch-probe-" + os.urandom(4).hex()
    err_path = os.path.join(srv.dir, "watchers.err")
    with open(err_path, "wb") as err:
        proc = children.spawn([exe, str(srv.port), srv.token,
                               "%s?watch=1&resourceVersion=%s" % (CMS, rv), CMS, name,
                               str(count)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)

    def failed(line):
        with open(err_path, errors="replace") as f:
            return RuntimeError("watchers client: %r %s" % (line, f.read()[-1000:]))
    try:
        buf = [b""]
        deadline = time.monotonic() + 22
        line = _read_line(proc, buf, deadline)
        m = re.match(r"opened (\d+) of (\d+) in ([0-9.]+) s, errors (\d+)", line or "")
        if not m or _read_line(proc, buf, deadline) != "ready":
            raise failed(line)
        out["opened"], out["open_s"] = int(m.group(1)), float(m.group(3))
        out["open_errors"] = int(m.group(4))
        log("  opened %d/%d watches in %.1f s" % (out["opened"], count, out["open_s"]))
        time.sleep(0.5)
        out["with_watchers"] = srv.status()
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        line = _read_line(proc, buf, time.monotonic() + 10)
        m = re.match(r"received (\d+) of \d+ all_ms (\S+) p50_ms (\S+) first_ms (\S+)"
                     r" post_status (\d+) post_ms (\S+)", line or "")
        if not m:
            raise failed(line)
        out["received"] = int(m.group(1))
        if out["received"]:
            out["all_ms"], out["p50_ms"] = float(m.group(2)), float(m.group(3))
            out["first_ms"] = float(m.group(4))
        out["post_status"], out["post_ms"] = int(m.group(5)), float(m.group(6))
        out["after_event"] = srv.status()
    finally:
        children.stop(proc)
    return out


def _first_response_s(srv, path):
    """Seconds from sending path as the first request of a new connection
    (TLS already up) to the first byte of its body (the first event of a
    watch), which is where a stall between two writes shows."""
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port,
                                       context=harness.tls_context(), timeout=10)
    try:
        conn.connect()
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": "Bearer " + srv.token})
        resp = conn.getresponse()
        if resp.status != 200 or not resp.read(1):
            raise RuntimeError("%s -> %d" % (path, resp.status))
        return time.perf_counter() - t0
    finally:
        conn.close()


def open_latency(srv, rounds=30):
    """A watch open should cost what a GET does: both timed as the first
    request of a new connection, where a 40 ms delayed-ACK stall once made
    watch opens ~45 ms."""
    cli = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
    cli.json("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",  # a first event
                           "metadata": {"name": "open-latency"}, "data": {"k": "v"}})
    cli.close()
    gets = sorted(_first_response_s(srv, CMS) for _ in range(rounds))
    opens = sorted(_first_response_s(srv, CMS + "?watch=1&timeoutSeconds=5")
                   for _ in range(rounds))
    return {"get_p50_ms": gets[rounds // 2] * 1e3, "get_max_ms": gets[-1] * 1e3,
            "open_p50_ms": opens[rounds // 2] * 1e3, "open_max_ms": opens[-1] * 1e3}


def run(children, binary, workdir, count, log, open_budget_s=18, event_budget_s=8):
    srv = harness.K1s(children, binary, workdir)
    try:
        srv.start()
        lat = open_latency(srv)
        log("  watch open to first event: median %.1f ms, max %.1f ms"
            " (GET: median %.1f ms, max %.1f ms)"
            % (lat["open_p50_ms"], lat["open_max_ms"], lat["get_p50_ms"], lat["get_max_ms"]))
        exe = build_client(workdir, log)
        if exe:
            out = _c_session(children, exe, srv, count, log)
        else:
            out = asyncio.run(_session(srv, count, open_budget_s, event_budget_s, log))
            out["client"] = "Python asyncio"
        time.sleep(1.0)
        out["after_close"] = srv.status()
        out["open_latency"] = lat
        ww = out["with_watchers"]
        if out.get("received"):
            log("  %d/%d watchers got ADDED: all within %.1f ms (median %.1f ms, first %.1f ms)"
                % (out["received"], out["opened"], out["all_ms"], out["p50_ms"],
                   out["first_ms"]))
        else:
            log("  no watcher received the event")
        log("  server with watchers: VmRSS %.1f MiB (idle %.1f MiB), %d threads;"
            " after closing: %d threads, VmRSS %.1f MiB"
            % (ww["VmRSS"] / 1024, out["before"]["VmRSS"] / 1024, ww["Threads"],
               out["after_close"].get("Threads", -1),
               out["after_close"].get("VmRSS", 0) / 1024))
    finally:
        srv.cleanup()
    return out
