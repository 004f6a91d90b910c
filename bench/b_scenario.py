"""Benchmark section 7: the control plane on the simulated kubelet. The
embedded-fixture start (k1s server --data-dir :memory: --kubelet simulated,
exec to URL line), its memory, and the time from `kubectl apply` of the
reference scenario to 3/3 Ready. Called by bench/run.py."""
import json
import re
import os
import statistics
import subprocess
import time

import harness

KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "statefulset")


def kubectl(srv, *args, stdin=None):
    return subprocess.run([KUBECTL, "--kubeconfig", srv.kubeconfig_path()] + list(args),
                          input=stdin, capture_output=True, text=True, timeout=60, check=True).stdout


def ready(srv):
    out = kubectl(srv, "get", "sts", "nginx-statefulset", "-o", "json")
    return json.loads(out).get("status", {}).get("readyReplicas", 0)


def run(children, binary, workdir, runs, log):
    if not os.path.exists(KUBECTL):
        return "skipped: %s is not installed" % KUBECTL
    starts, inside, rss, applies = [], [], [], []
    for i in range(runs):
        srv = harness.K1s(children, binary, workdir, memory=True,
                          extra=["--kubelet", "simulated"])
        t0 = time.perf_counter()
        srv.spawn()
        t1 = srv.read_banner(time.perf_counter() + 20)
        starts.append((t1 - t0) * 1000)
        srv.load_token()
        m = re.search(r"ready in ([0-9.]+) ms", srv.log())
        if m:
            inside.append(float(m.group(1)))
        rss.append(srv.status().get("VmRSS", 0) / 1024)
        sc = open(os.path.join(SCENARIO, "test-storage-class.yaml")).read()
        sts = open(os.path.join(SCENARIO, "nginx-service-statefulset.yaml")).read()
        t0 = time.perf_counter()
        kubectl(srv, "apply", "-f", "-", stdin=sc + "\n---\n" + sts)
        deadline = time.time() + 30
        while ready(srv) < 3:
            if time.time() > deadline:
                raise RuntimeError("3/3 Ready not reached in 30 s\n" + srv.log())
            time.sleep(0.01)
        applies.append((time.perf_counter() - t0) * 1000)
        srv.stop()
    res = {"fixture_start_ms": statistics.median(starts),
           "fixture_ready_inside_ms": statistics.median(inside) if inside else None, "fixture_rss_mib": statistics.median(rss),
           "apply_to_ready_ms": statistics.median(applies), "runs": runs}
    log("  fixture ready %.1f ms after main() (libk1s k1s_start)" % (res["fixture_ready_inside_ms"] or -1))
    log("  fixture start (exec to URL line) %.1f ms, RSS %.1f MiB; apply to 3/3 Ready %.0f ms"
        " (median of %d; includes kubectl's own start and polling)"
        % (res["fixture_start_ms"], res["fixture_rss_mib"], res["apply_to_ready_ms"], runs))
    return res
