#!/usr/bin/env python3
"""The k1s benchmark suite (`make bench`, or
`python3 bench/run.py --k1s build/k1s [--quick] [--only start,get,...]`).

Starts its own k1s servers (and nginx, wrk, a SQLite ceiling program) on
loopback, measures cold start, idle memory, GET and create throughput
against their ceilings, a LIST of 10 000 pods and 2 000 watchers, prints one
table with the targets beside the figures and writes the same as JSON to
bench/results/latest.json. It prints figures; it does not fail on a slow one.
It exits non-zero only when a section could not run at all. Every child
process is ended on exit, Ctrl-C and SIGTERM included."""
import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import b_create  # noqa: E402
import b_get  # noqa: E402
import b_list  # noqa: E402
import b_startup  # noqa: E402
import b_watch  # noqa: E402
import b_scenario  # noqa: E402
import b_pods  # noqa: E402
import harness  # noqa: E402

SECTIONS = ["start", "rss", "get", "create", "list", "watch", "scenario", "pods"]


def log(msg):
    print(msg, flush=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k1s", required=True, help="the k1s binary to measure")
    ap.add_argument("--quick", action="store_true",
                    help="short runs for a smoke test (figures are rougher)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="comma-separated sections: " + ",".join(SECTIONS))
    ap.add_argument("--seconds", type=int, default=None, help="each wrk run (default 10)")
    ap.add_argument("--runs", type=int, default=None, help="cold starts per mode (default 20)")
    ap.add_argument("--pods", type=int, default=None, help="pods to LIST (default 10000)")
    ap.add_argument("--watchers", type=int, default=None, help="watchers (default 2000)")
    ap.add_argument("--json", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--workdir", default=None,
                    help="where data directories go (default: a new folder in $TMPDIR)")
    a = ap.parse_args()
    a.seconds = min(max(a.seconds or (3 if a.quick else 10), 1), 10)
    a.runs = min(max(a.runs or (5 if a.quick else 20), 1), 100)
    a.pods = min(max(a.pods or (2000 if a.quick else 10000), 1), 100000)
    a.watchers = min(max(a.watchers or (500 if a.quick else 2000), 1), 10000)
    a.only = [s.strip() for s in a.only.split(",") if s.strip()]
    unknown = [s for s in a.only if s not in SECTIONS]
    if unknown:
        ap.error("unknown section(s): %s" % ", ".join(unknown))
    return a


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version()}


def errors(out, what, rounds):
    """A row for failed requests, which would make a req/s figure a lie."""
    bad = sum(r.get("non_2xx", 0) + r.get("socket_errors", 0) for r in rounds)
    if bad:
        out.append(("%s: non-2xx answers or socket errors" % what, str(bad), "0", False))


def rows(res, a):
    """(figure, measured, target, verdict) for the table. verdict is None
    when no target applies, True/False against the target, or "error" for
    a section that did not run; a missing figure is 'n/a'."""
    out = []

    def add(fig, value, fmt, target=None, ok=None):
        shown = fmt % value if value is not None else "n/a"
        out.append((fig, shown, target or "", None if ok is None or value is None else ok(value)))

    st = res.get("start")
    if isinstance(st, dict):
        add("exec -> exit of `k1s version` (floor)", st.get("exec_floor_ms"), "%.1f ms")
        for mode in ("disk", "memory"):
            m = st.get(mode, {})
            add("cold start (%s): exec -> 200 /readyz, polled" % mode,
                m.get("polled_readyz_ms"), "%.1f ms", "<= 20 ms", lambda v: v <= 20)
            add("cold start (%s): exec -> URL line" % mode, m.get("url_line_ms"), "%.1f ms")
            add("cold start (%s): URL line + one /readyz" % mode,
                m.get("url_line_plus_readyz_ms"), "%.1f ms", "<= 20 ms", lambda v: v <= 20)
            add("cold start (%s): k1s's own 'ready in' (from main)" % mode,
                m.get("server_reported_ms"), "%.1f ms")
    rss = res.get("rss")
    if isinstance(rss, dict):
        for mode in ("disk", "memory"):
            kib = rss.get(mode, {}).get("rss_kib")
            add("idle RSS (%s)" % mode, kib / 1024 if kib else None, "%.1f MiB",
                "<= 15 MiB", lambda v: v <= 15)
    g = res.get("get")
    if isinstance(g, dict):
        add("GET configmap, k1s", g.get("k1s", {}).get("rps"), "%.0f req/s")
        add("GET same bytes, nginx (ceiling)", g.get("nginx", {}).get("rps"), "%.0f req/s")
        ratio = g.get("ratio")
        add("GET k1s / nginx", ratio * 100 if ratio else None, "%.0f %%", ">= 50 %",
            lambda v: v >= 50)
        errors(out, "GET", g.get("k1s_rounds", []))
    c = res.get("create")
    if isinstance(c, dict):
        add("create configmap (disk), k1s", c.get("k1s", {}).get("rps"), "%.0f /s")
        add("SQLite 1-row txns, WAL+NORMAL (ceiling)", c.get("sqlite", {}).get("rps"),
            "%.0f /s")
        ratio = c.get("ratio")
        add("create k1s / SQLite", ratio * 100 if ratio else None, "%.0f %%", ">= 50 %",
            lambda v: v >= 50)
        errors(out, "create", c.get("k1s_rounds", []))
    li = res.get("list")
    if isinstance(li, dict):
        n = li.get("pods", a.pods)
        add("LIST %d pods" % n, li.get("full_ms"), "%.1f ms", "<= 150 ms", lambda v: v <= 150)
        add("LIST %d pods, limit=500, all pages" % n, li.get("paged_ms"), "%.1f ms",
            "<= 150 ms", lambda v: v <= 150)
        add("LIST %d pods as Table" % n, li.get("table_ms"), "%.1f ms", "<= 150 ms",
            lambda v: v <= 150)
    w = res.get("watch")
    if isinstance(w, dict):
        n = w.get("watchers", a.watchers)
        client = "C" if w.get("client", "").startswith("C") else "asyncio"
        lat = w.get("open_latency", {})
        add("watch open -> first event, median", lat.get("open_p50_ms"), "%.1f ms",
            "<= 2x GET", lambda v: v <= 2 * max(lat.get("get_p50_ms", 0), 1))
        add("watch open -> first event, max", lat.get("open_max_ms"), "%.1f ms")
        add("GET, first byte, new connection, median", lat.get("get_p50_ms"), "%.1f ms")
        add("watchers opened (%s client)" % client, w.get("opened"), "%d of " + str(n))
        add("create -> ADDED at all %d watchers" % n, w.get("all_ms"), "%.1f ms")
        kib = w.get("with_watchers", {}).get("VmRSS")
        add("server RSS with %d watchers" % n, kib / 1024 if kib else None, "%.1f MiB")
        idle_threads = w.get("before", {}).get("Threads")
        threads = w.get("with_watchers", {}).get("Threads")
        add("server threads with %d watchers" % n, threads, "%d",
            "idle count (%s)" % idle_threads if idle_threads else "",
            (lambda v: v <= idle_threads) if idle_threads else None)
    sc = res.get("scenario")
    if isinstance(sc, dict):
        add("fixture ready (k1s_start, in process)", sc.get("fixture_ready_inside_ms"),
            "%.1f ms", "<= 20 ms", lambda v: v <= 20)
        add("fixture start, exec to URL line", sc.get("fixture_start_ms"), "%.1f ms")
        add("fixture RSS", sc.get("fixture_rss_mib"), "%.1f MiB")
        add("kubectl apply scenario -> 3/3 Ready", sc.get("apply_to_ready_ms"), "%.0f ms")
    pods = res.get("pods")
    if isinstance(pods, dict):
        add("k1s start with its own containerd", pods.get("start_with_containerd_ms"), "%.0f ms")
        add("real pods: kubectl apply scenario -> 3/3 Ready", pods.get("apply_to_ready_ms"),
            "%.0f ms", "<= 2000 ms", lambda v: v <= 2000)
        add("real pods: pod create -> Running, p50", pods.get("pod_create_to_running_p50_ms"),
            "%.0f ms", "<= 300 ms", lambda v: v <= 300)
    for name in SECTIONS:
        if isinstance(res.get(name), str):
            first = res[name].splitlines()[0] if res[name] else ""
            skipped = first.startswith("skipped")
            out.append(("%s: section did not run" % name, first[:70], "",
                        None if skipped else "error"))
    return out


def print_table(table):
    w0 = max(len(r[0]) for r in table)
    w1 = max(len(r[1]) for r in table)
    w2 = max(max(len(r[2]) for r in table), len("target"))
    log("")
    log("%-*s  %*s  %-*s  %s" % (w0, "figure", w1, "measured", w2, "target", ""))
    log("-" * (w0 + w1 + w2 + 12))
    for fig, val, target, ok in table:
        mark = "" if ok is None else ok.upper() if isinstance(ok, str) else (
            "ok" if ok else "MISSED")
        log("%-*s  %*s  %-*s  %s" % (w0, fig, w1, val, w2, target, mark))


def main():
    a = parse_args()
    binary = os.path.abspath(a.k1s)
    if not os.access(binary, os.X_OK):
        log("bench: %s is not an executable k1s binary" % a.k1s)
        return 2
    harness.exit_on_signals()
    harness.raise_fd_limit()
    children = harness.Children()
    workdir = tempfile.mkdtemp(prefix="k1s-bench-", dir=a.workdir)
    res = {}
    failed = False
    started = time.time()
    load_before = os.getloadavg()
    log("k1s benchmarks: %s, %d cores, load average %.2f"
        % (binary, os.cpu_count() or 0, load_before[0]))
    if load_before[0] > 0.5:
        log("  note: the machine is busy; figures will be pessimistic and noisy")
    try:
        wrk = nginx = None
        if "get" in a.only or "create" in a.only:
            wrk = harness.ensure_tool("wrk", "wrk", log)
        if "get" in a.only:
            nginx = harness.ensure_tool("nginx", "nginx", log)
        steps = {
            "start": ("1. cold start to /readyz (median of %d, fresh data dir each)" % a.runs,
                      lambda: b_startup.cold_start(children, binary, workdir, a.runs, log)),
            "rss": ("2. idle RSS after start and bootstrap",
                    lambda: b_startup.idle_rss(children, binary, workdir, 1.0, log)),
            "get": ("3. GET req/s: wrk -t2 -c64 -d%ds, keep-alive, k1s vs nginx,"
                    " best of 2 alternating rounds" % a.seconds,
                    lambda: b_get.run(children, binary, workdir, wrk, nginx, a.seconds, log)),
            "create": ("4. creates/s: wrk -t2 -c64 -d%ds POST, k1s vs raw SQLite,"
                       " best of 2 alternating rounds" % a.seconds,
                       lambda: b_create.run(children, binary, workdir, wrk, a.seconds, log)),
            "list": ("5. LIST %d pods (median of 5, warm connection)" % a.pods,
                     lambda: b_list.run(children, binary, workdir, a.pods, log)),
            "watch": ("6. %d watchers on configmaps, one create" % a.watchers,
                      lambda: b_watch.run(children, binary, workdir, a.watchers, log)),
            "scenario": ("7. fixture (in memory, simulated kubelet) and the scenario to 3/3 Ready",
                         lambda: b_scenario.run(children, binary, workdir, 5, log)),
            "pods": ("8. real pods on containerd: scenario to 3/3 Ready, pod create -> Running",
                     lambda: b_pods.run(children, binary, workdir, 3, log)),
        }
        for name in SECTIONS:
            if name not in a.only:
                continue
            title, fn = steps[name]
            log(title)
            if name in ("get", "create") and not wrk:
                res[name] = "skipped: wrk is not installed"
                log("  " + res[name])
                continue
            try:
                res[name] = fn()
            except KeyboardInterrupt:
                raise
            except Exception as e:  # report and go on with the next section
                failed = True
                res[name] = "error: %s\n%s" % (e, traceback.format_exc())
                log("  error: %s" % e)
    except KeyboardInterrupt:
        log("bench: interrupted")
        return 130
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    table = rows(res, a)
    if table:
        print_table(table)
    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "binary": binary, "machine": machine(), "quick": a.quick,
        "seconds": a.seconds, "runs": a.runs, "pods": a.pods, "watchers": a.watchers,
        "took_s": round(time.time() - started, 1), "results": res,
        "load_average_before": load_before[0], "load_average_after": os.getloadavg()[0],
        "table": [{"figure": f, "measured": v, "target": t, "ok": ok} for f, v, t, ok in table],
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(report, f, indent=2)
    log("\nwrote %s (%.0f s)" % (a.json, report["took_s"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
