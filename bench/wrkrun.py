"""Runs wrk (the Debian package) against a loopback URL and reads its
summary: requests/s, latency percentiles, errors. Used by the GET and the
create benchmarks."""
import re
import subprocess

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def parse(out):
    res = {"rps": None, "requests": None, "non_2xx": 0, "socket_errors": 0,
           "latency_ms": {}}
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
    m = re.search(r"Latency\s+(\S+)\s+\S+\s+(\S+)", out)
    if m:
        res["latency_ms"]["avg"] = _ms(m.group(1))
        res["latency_ms"]["max"] = _ms(m.group(2))
    for pct, val in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M):
        res["latency_ms"]["p" + pct] = _ms(val)
    return res


def run(children, wrk, url, seconds, threads=2, connections=64, headers=(),
        script=None, script_args=(), timeout_extra=20):
    """One bounded wrk run; the child is registered so Ctrl-C ends it."""
    argv = [wrk, "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
            "--timeout", "5s", "--latency"]
    for h in headers:
        argv += ["-H", h]
    if script:
        argv += ["-s", script]
    argv.append(url)
    if script_args:
        argv += ["--"] + list(script_args)
    proc = children.spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=seconds + timeout_extra)
    except subprocess.TimeoutExpired:
        children.stop(proc)
        raise RuntimeError("wrk did not finish in time")
    children.stop(proc)
    res = parse(out)
    res["output"] = out
    if res["rps"] is None:
        raise RuntimeError("wrk failed:\n" + out)
    return res
