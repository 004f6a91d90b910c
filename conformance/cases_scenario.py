"""The reference scenario (examples/statefulset/README.md) on the simulated
kubelet: ordered start, claims and hostpath volumes, scale down and up with
the retained claims, as real kubectl shows it."""
import json
import threading
import time

from k1s_fixture import Server, default_kubectl
from casekit import SC, STS, eq, contains, check_layout, collector, wait_for
import subprocess

TESTS, case = collector()


def jget(s, *args):
    return json.loads(s.kubectl(*args, "-o", "json").stdout)


class PodWatch:
    """Records pod events (type, name, ready) from `kubectl get pods -w`."""

    def __init__(self, s):
        self.p = subprocess.Popen(
            [default_kubectl(), "--kubeconfig", s.kubeconfig, "get", "pods", "-w",
             "--output-watch-events", "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        dec = json.JSONDecoder()
        buf = ""
        for line in self.p.stdout:
            buf += line
            while buf.strip():
                try:
                    ev, n = dec.raw_decode(buf.lstrip())
                except ValueError:
                    break
                buf = buf.lstrip()[n:]
                obj = ev.get("object", {})
                conds = obj.get("status", {}).get("conditions", [])
                ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conds)
                self.events.append((ev.get("type"), obj["metadata"]["name"], ready))

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def ready_count(s):
    sts = jget(s, "get", "sts", "nginx-statefulset")
    return sts.get("status", {}).get("readyReplicas", 0)


@case
def test_scenario_on_simulated_kubelet(shared):
    s = Server(shared.binary, extra=["--kubelet", "simulated"]).start()
    w = None
    try:
        w = PodWatch(s)
        time.sleep(0.5)
        eq(s.kubectl("apply", "-f", SC).stdout.strip(),
           "storageclass.storage.k8s.io/test-storage-class created")
        s.kubectl("apply", "-f", STS)
        wait_for("3/3 ready", lambda: ready_count(s) == 3)
        # pods were created strictly in order, each after the previous was Ready
        added = [n for t, n, _ in w.events if t == "ADDED"]
        eq(added[:3], ["nginx-statefulset-0", "nginx-statefulset-1", "nginx-statefulset-2"],
           "creation order")
        for i in (1, 2):
            first_add = next(k for k, e in enumerate(w.events)
                             if e[0] == "ADDED" and e[1] == "nginx-statefulset-%d" % i)
            prev_ready = next((k for k, e in enumerate(w.events)
                               if e[1] == "nginx-statefulset-%d" % (i - 1) and e[2]), None)
            if prev_ready is None or prev_ready > first_add:
                raise AssertionError("pod %d created before pod %d was Ready: %r"
                                     % (i, i - 1, w.events))
        out = s.kubectl("get", "statefulset").stdout
        check_layout(out, "NAME READY AGE", [["nginx-statefulset", "3/3"]])
        out = s.kubectl("get", "pods").stdout
        check_layout(out, "NAME READY STATUS RESTARTS AGE",
                     [["nginx-statefulset-%d" % i, "1/1", "Running", "0"] for i in range(3)])
        # claims bound to provisioned volumes named after the claims' UIDs
        pvcs = {p["metadata"]["name"]: p for p in jget(s, "get", "pvc")["items"]}
        eq(sorted(pvcs), ["html-volume-nginx-statefulset-%d" % i for i in range(3)])
        pvs = {p["metadata"]["name"]: p for p in jget(s, "get", "pv")["items"]}
        for name, pvc in pvcs.items():
            eq(pvc["status"]["phase"], "Bound", name)
            vol = pvc["spec"]["volumeName"]
            eq(vol, "pvc-" + pvc["metadata"]["uid"], "volume name of " + name)
            eq(pvs[vol]["spec"]["persistentVolumeReclaimPolicy"], "Retain")
            eq(pvs[vol]["status"]["phase"], "Bound")
        out = s.kubectl("get", "pv").stdout
        rows = [l.split() for l in out.splitlines()[1:]]
        eq(sorted(r[5] for r in rows),
           ["default/html-volume-nginx-statefulset-%d" % i for i in range(3)], "CLAIM column")
        volumes_before = {n: p["spec"]["volumeName"] for n, p in pvcs.items()}
        # scale down: 2 goes, then 1; claims stay
        n_events = len(w.events)
        eq(s.kubectl("scale", "--replicas=1", "statefulset", "nginx-statefulset").stdout.strip(),
           "statefulset.apps/nginx-statefulset scaled")
        wait_for("only pod 0", lambda: [p["metadata"]["name"] for p in jget(s, "get", "pods")["items"]]
                 == ["nginx-statefulset-0"])
        deleted = [n for t, n, _ in w.events[n_events:] if t == "DELETED"]
        eq(deleted, ["nginx-statefulset-2", "nginx-statefulset-1"], "scale-down order")
        eq(len(jget(s, "get", "pvc")["items"]), 3, "claims kept")
        wait_for("1/1 ready", lambda: ready_count(s) == 1)
        # scale up: the same claims and volumes come back
        s.kubectl("scale", "--replicas=3", "statefulset", "nginx-statefulset")
        wait_for("3/3 ready again", lambda: ready_count(s) == 3)
        pvcs = {p["metadata"]["name"]: p for p in jget(s, "get", "pvc")["items"]}
        eq({n: p["spec"]["volumeName"] for n, p in pvcs.items()}, volumes_before,
           "the retained claims are re-attached")
        pod1 = jget(s, "get", "pod", "nginx-statefulset-1")
        vols = {v["name"]: v for v in pod1["spec"]["volumes"]}
        eq(vols["html-volume"]["persistentVolumeClaim"]["claimName"],
           "html-volume-nginx-statefulset-1")
        events = s.kubectl("get", "events").stdout
        contains(events, "create Pod nginx-statefulset-0 in StatefulSet nginx-statefulset successful",
                 "events")
    finally:
        if w:
            w.stop()
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_restart_mid_scale_converges(shared):
    """k1s killed in the middle of a scale-down, restarted on the same data:
    the controllers finish the job from what is stored, nothing duplicated."""
    s = Server(shared.binary, extra=["--kubelet", "simulated"]).start()
    try:
        s.kubectl("apply", "-f", SC)
        s.kubectl("apply", "-f", STS)
        wait_for("3/3 ready", lambda: ready_count(s) == 3)
        claims = sorted(p["metadata"]["uid"] for p in jget(s, "get", "pvc")["items"])
        s.kubectl("scale", "--replicas=1", "statefulset", "nginx-statefulset")
        s.proc.kill()  # no clean shutdown
        s.proc.wait(timeout=10)
        s.start()
        wait_for("only pod 0", lambda: [p["metadata"]["name"] for p in jget(s, "get", "pods")["items"]]
                 == ["nginx-statefulset-0"])
        wait_for("1/1 ready", lambda: ready_count(s) == 1)
        eq(sorted(p["metadata"]["uid"] for p in jget(s, "get", "pvc")["items"]), claims,
           "the same claims, none lost or added")
        s.kubectl("scale", "--replicas=3", "statefulset", "nginx-statefulset")
        wait_for("3/3 ready after restart", lambda: ready_count(s) == 3)
        pods = [p["metadata"]["name"] for p in jget(s, "get", "pods")["items"]]
        eq(sorted(pods), ["nginx-statefulset-%d" % i for i in range(3)], "no duplicate pods")
        eq(len(jget(s, "get", "pv")["items"]), 3, "no extra volumes")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code after the restart")
