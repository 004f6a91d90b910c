"""Benchmark sections 1 and 2: cold start to a 200 on /readyz, and the idle
memory of a server after start and bootstrap. Called by bench/run.py.

Cold start is measured two ways on a fresh data directory each run:
- polled: the port is chosen beforehand, the client retries TCP connect every
  0.5 ms and then does TLS + GET /readyz until it gets a 200; the figure is
  exec to that 200 (it includes one client TLS handshake);
- banner: --port 0, exec until the URL line is read from stdout, plus one
  new TLS connection with GET /readyz (what a script starting k1s sees)."""
import re
import socket
import subprocess
import time

import harness

POLL_S = 0.0005


def readyz_once(port, ctx, timeout=2.0):
    """Status of one GET /readyz on a new connection; None when the port
    does not accept yet."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(timeout)
    try:
        sock.connect(("127.0.0.1", port))
    except (ConnectionRefusedError, socket.timeout):
        sock.close()
        return None
    try:
        with ctx.wrap_socket(sock) as tls:
            tls.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            buf = b""
            while b"\r\n" not in buf and len(buf) < 4096:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                buf += chunk
            parts = buf.split(b" ", 2)
            return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except (OSError, ValueError):
        return 0
    finally:
        sock.close()


def server_reported_ms(srv):
    m = re.search(r"ready in ([0-9.]+) ms", srv.log())
    return float(m.group(1)) if m else None


class PortTaken(Exception):
    """The server could not listen on the port we chose for it."""


def one_polled(children, binary, workdir, memory, ctx, tries=3):
    """The port is chosen before exec; should another process take it in
    between, the server exits at once and we try again with another."""
    for attempt in range(tries):
        try:
            return _polled(children, binary, workdir, memory, ctx)
        except PortTaken:
            if attempt == tries - 1:
                raise RuntimeError("the chosen ports kept being taken")
    raise AssertionError("unreachable")


def _polled(children, binary, workdir, memory, ctx, deadline_s=10):
    srv = harness.K1s(children, binary, workdir, memory=memory, port=harness.free_port())
    try:
        t0 = time.perf_counter()
        srv.spawn()
        deadline = t0 + deadline_s
        attempts = 0
        while True:
            status = readyz_once(srv.port, ctx)
            attempts += 1
            if status == 200:
                took = time.perf_counter() - t0
                break
            if srv.proc.poll() is not None and re.search(r"listen|bind|in use", srv.log()):
                raise PortTaken()
            if time.perf_counter() > deadline or srv.proc.poll() is not None:
                raise RuntimeError("no 200 on /readyz (last %r)\n%s" % (status, srv.log()))
            time.sleep(POLL_S)
        srv.read_banner(time.perf_counter() + 5)
        return took * 1e3, server_reported_ms(srv), attempts
    finally:
        srv.cleanup()


def one_banner(children, binary, workdir, memory, ctx):
    srv = harness.K1s(children, binary, workdir, memory=memory, port=0)
    try:
        t0 = time.perf_counter()
        srv.spawn()
        t_url = srv.read_banner(t0 + 10) - t0
        status = readyz_once(srv.port, ctx)
        t_rt = time.perf_counter() - t0
        if status != 200:
            raise RuntimeError("/readyz right after the URL line: %r\n%s" % (status, srv.log()))
        return t_url * 1e3, t_rt * 1e3
    finally:
        srv.cleanup()


def exec_floor(children, binary, runs):
    """Median ms from exec to exit of `k1s version`: what loading the binary
    and its shared libraries costs (plus our spawn), before any server work."""
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = children.spawn([binary, "version"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=10)
        finally:
            children.stop(proc)
        samples.append((time.perf_counter() - t0) * 1e3)
    return harness.median(samples)


def cold_start(children, binary, workdir, runs, log):
    ctx = harness.tls_context()
    out = {"exec_floor_ms": exec_floor(children, binary, runs)}
    log("  exec -> exit of `k1s version`: %.1f ms (median of %d)" % (out["exec_floor_ms"], runs))
    for memory in (False, True):
        label = "memory" if memory else "disk"
        polled, reported, url, url_rt = [], [], [], []
        for _ in range(runs):
            ms, rep, _attempts = one_polled(children, binary, workdir, memory, ctx)
            polled.append(ms)
            if rep is not None:
                reported.append(rep)
            u, rt = one_banner(children, binary, workdir, memory, ctx)
            url.append(u)
            url_rt.append(rt)
        out[label] = {
            "runs": runs,
            "polled_readyz_ms": harness.median(polled),
            "url_line_ms": harness.median(url),
            "url_line_plus_readyz_ms": harness.median(url_rt),
            "server_reported_ms": harness.median(reported),
            "polled_min_ms": min(polled), "polled_max_ms": max(polled),
        }
        log("  %-6s polled /readyz %.1f ms, URL line %.1f ms, URL+readyz %.1f ms (median of %d)"
            % (label, out[label]["polled_readyz_ms"], out[label]["url_line_ms"],
               out[label]["url_line_plus_readyz_ms"], runs))
    return out


def idle_rss(children, binary, workdir, settle_s, log):
    """RSS of a started server once bootstrap is over (it has had settle_s
    seconds with no client traffic but a /readyz probe)."""
    ctx = harness.tls_context()
    out = {}
    for memory in (False, True):
        label = "memory" if memory else "disk"
        srv = harness.K1s(children, binary, workdir, memory=memory)
        try:
            srv.start()
            if readyz_once(srv.port, ctx) != 200:
                raise RuntimeError("server not ready\n" + srv.log())
            time.sleep(settle_s)
            st = srv.status()
            out[label] = {"rss_kib": st.get("VmRSS"), "hwm_kib": st.get("VmHWM"),
                          "threads": st.get("Threads")}
            log("  %-6s VmRSS %.1f MiB (peak %.1f MiB), %d threads"
                % (label, st["VmRSS"] / 1024, st["VmHWM"] / 1024, st["Threads"]))
        finally:
            srv.cleanup()
    return out
