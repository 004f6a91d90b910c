"""Benchmark section 8: real pods on containerd (needs root). k1s starts its
own containerd and imports the stand-in nginx image built offline; measured:
k1s ready with containerd, `kubectl apply` of the reference scenario to 3/3
Ready, and pod create -> Running (POST to the status the kubelet writes,
polled every 5 ms) for single nginx pods. Called by bench/run.py."""
import json
import os
import re
import statistics
import subprocess
import time

import harness
import httpc

KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "..", "examples", "statefulset")
IMAGE = "k8s.gcr.io/nginx-slim:0.8"


def kubectl(srv, *args, stdin=None):
    return subprocess.run([KUBECTL, "--kubeconfig", srv.kubeconfig_path()] + list(args),
                          input=stdin, capture_output=True, text=True, timeout=120,
                          check=True).stdout


def wait(what, fn, timeout=120):
    deadline = time.time() + timeout
    while not fn():
        if time.time() > deadline:
            raise RuntimeError("%s not reached in %d s" % (what, timeout))
        time.sleep(0.01)


def ready(srv):
    out = kubectl(srv, "get", "sts", "nginx-statefulset", "-o", "json")
    return json.loads(out).get("status", {}).get("readyReplicas", 0)


def no_pods(srv):
    return not json.loads(kubectl(srv, "get", "pods", "-o", "json"))["items"]


def pod_to_running(client, name):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "nginx", "image": IMAGE,
                                     "imagePullPolicy": "IfNotPresent"}],
                     "terminationGracePeriodSeconds": 1}}
    path = "/api/v1/namespaces/default/pods"
    t0 = time.perf_counter()
    client.json("POST", path, body)
    while True:
        pod = client.json("GET", path + "/" + name)
        if pod.get("status", {}).get("phase") == "Running":
            return (time.perf_counter() - t0) * 1000
        if time.perf_counter() - t0 > 60:
            raise RuntimeError("pod %s not Running in 60 s: %s" % (name, pod.get("status")))
        time.sleep(0.005)


def run(children, binary, workdir, runs, log):
    if os.geteuid() != 0:
        return "skipped: real pods need root"
    if not os.path.exists(KUBECTL):
        return "skipped: %s is not installed" % KUBECTL
    srv = harness.K1s(children, binary, workdir, extra=["--kubelet", "containerd"])
    images = os.path.join(srv.dir, "data", "images")
    os.makedirs(images)
    subprocess.run(["bash", os.path.join(HERE, "..", "scripts", "build-nginx-image.sh"),
                    os.path.join(images, "nginx-slim.tar")], check=True, capture_output=True)
    try:
        t0 = time.perf_counter()
        srv.spawn()
        srv.read_banner(time.perf_counter() + 120)
        start_ms = (time.perf_counter() - t0) * 1000
        srv.load_token()
        m = re.search(r"containerd ready in ([0-9.]+) ms", srv.log())
        ctr_ms = float(m.group(1)) if m else None
        sc = open(os.path.join(SCENARIO, "test-storage-class.yaml")).read()
        sts = open(os.path.join(SCENARIO, "nginx-service-statefulset.yaml")).read()
        applies = []
        for _ in range(runs):
            t0 = time.perf_counter()
            kubectl(srv, "apply", "-f", "-", stdin=sc + "\n---\n" + sts)
            wait("3/3 Ready", lambda: ready(srv) >= 3)
            applies.append((time.perf_counter() - t0) * 1000)
            kubectl(srv, "delete", "statefulset", "nginx-statefulset", "--wait=false")
            wait("pods gone", lambda: no_pods(srv))
            kubectl(srv, "delete", "pvc", "--all", "--wait=false")
        client = httpc.Client("127.0.0.1", srv.port, harness.tls_context(), srv.token)
        creates = []
        for i in range(max(runs * 2, 5)):
            creates.append(pod_to_running(client, "bench-%d" % i))
        kubectl(srv, "delete", "pods", "--all", "--wait=true", "--timeout=120s")
        client.close()
        rss = srv.status().get("VmRSS", 0) / 1024
    finally:
        srv.stop()
        subprocess.run(["bash", os.path.join(HERE, "..", "scripts", "k1s-cleanup.sh"),
                        os.path.join(srv.dir, "data")], capture_output=True)
        srv.cleanup()
    res = {"start_with_containerd_ms": start_ms, "containerd_ready_ms": ctr_ms,
           "apply_to_ready_ms": statistics.median(applies),
           "pod_create_to_running_p50_ms": statistics.median(creates),
           "pod_create_to_running_max_ms": max(creates), "rss_mib_after": rss, "runs": runs}
    log("  k1s start with its containerd (exec to URL line) %.0f ms (containerd ready %s ms)"
        % (start_ms, "%.0f" % ctr_ms if ctr_ms else "n/a"))
    log("  kubectl apply scenario -> 3/3 Ready: %.0f ms (median of %d)"
        % (res["apply_to_ready_ms"], runs))
    log("  pod create -> Running: p50 %.0f ms, max %.0f ms (%d pods)"
        % (res["pod_create_to_running_p50_ms"], res["pod_create_to_running_max_ms"],
           len(creates)))
    return res
