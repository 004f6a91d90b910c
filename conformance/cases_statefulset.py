"""Conformance cases for the statefulset controller with real kubectl, on a
server of its own started with `--kubelet simulated`: `kubectl rollout
status|history|undo|restart statefulset` (status fields and
ControllerRevisions as kubectl reads them), a canary through the
partition, the controller's events in `kubectl describe`, the claim
retention policy Delete (with the garbage collector), and adoption of the
pods and revisions a `--cascade=orphan` delete left behind."""
import json
import time

from k1s_fixture import Server
from casekit import eq, contains, table, jget, SC, collector, sim_server

TESTS, case = collector()


def wait_for(fn, what, timeout=20):
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def manifest(name, replicas=3, extra_spec="", claims=True):
    """A StatefulSet of nginx pods; extra_spec: more lines of spec (YAML,
    two-space indent)."""
    m = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: %(n)s
spec:
  selector:
    matchLabels:
      app: %(n)s
  serviceName: %(n)s
  replicas: %(r)d
%(extra)s  template:
    metadata:
      labels:
        app: %(n)s
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.8
""" % {"n": name, "r": replicas, "extra": extra_spec}
    if claims:
        m += """        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      storageClassName: test-storage-class
      resources:
        requests:
          storage: 1Gi
"""
    return m


def pods_of(s, name):
    """name -> (uid, revision label, image) of the set's pods."""
    out = {}
    for p in jget(s, "get", "pods", "-l", "app=" + name)["items"]:
        out[p["metadata"]["name"]] = (p["metadata"]["uid"],
                                      p["metadata"]["labels"].get("controller-revision-hash"),
                                      p["spec"]["containers"][0]["image"])
    return out


def status(s, name):
    return jget(s, "get", "sts", name).get("status", {})


def settled(s, name, replicas):
    st = status(s, name)
    return (st.get("readyReplicas") == replicas and st.get("updatedReplicas") == replicas
            and st.get("currentRevision") == st.get("updateRevision"))


def history(s, name):
    rows = table(s.kubectl("rollout", "history", "sts/" + name).stdout.split("\n", 1)[1])
    eq(rows[0], ["REVISION", "CHANGE-CAUSE"], "history header")
    return [r[0] for r in rows[1:]]


@case
def test_sts_rollout_status_history_undo_restart(shared):
    s = sim_server(shared)
    try:
        s.kubectl("apply", "-f", SC)
        s.kubectl("apply", "-f", "-", input=manifest("web"))
        out = s.kubectl("rollout", "status", "sts/web", "--timeout=60s").stdout
        contains(out, "partitioned roll out complete: 3 new pods have been updated...", "rollout status")
        st = status(s, "web")
        for f in ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
            eq(st.get(f), 3, f)
        eq(st.get("observedGeneration"), 1, "observedGeneration")
        eq(st.get("collisionCount"), 0, "collisionCount")
        rev1 = st["currentRevision"]
        eq(st["updateRevision"], rev1)
        eq(history(s, "web"), ["1"])
        rows = table(s.kubectl("get", "controllerrevisions").stdout)
        eq(rows[0], ["NAME", "CONTROLLER", "REVISION", "AGE"])
        eq(rows[1][:3], [rev1, "statefulset.apps/web", "1"])

        # a new image rolls through every pod, highest ordinal first
        eq(s.kubectl("set", "image", "sts/web", "nginx=nginx:1.25").stdout.strip(),
           "statefulset.apps/web image updated")
        s.kubectl("rollout", "status", "sts/web", "--timeout=60s")
        wait_for(lambda: settled(s, "web", 3), "rolled out")
        rev2 = status(s, "web")["updateRevision"]
        if rev2 == rev1:
            raise AssertionError("no new revision")
        eq(sorted(set((r, i) for _, r, i in pods_of(s, "web").values())), [(rev2, "nginx:1.25")])
        eq(history(s, "web"), ["1", "2"])
        shown = s.kubectl("rollout", "history", "sts/web", "--revision=2").stdout
        contains(shown, "statefulset.apps/web with revision #2", "history --revision")
        contains(shown, "Image:\tnginx:1.25", "history --revision")

        # undo: back to revision 1, which is renumbered 3
        eq(s.kubectl("rollout", "undo", "sts/web").stdout.strip(), "statefulset.apps/web rolled back")
        s.kubectl("rollout", "status", "sts/web", "--timeout=60s")
        wait_for(lambda: settled(s, "web", 3) and status(s, "web")["currentRevision"] == rev1,
                 "rolled back")
        eq(history(s, "web"), ["2", "3"])
        eq(sorted(set(i for _, _, i in pods_of(s, "web").values())), ["registry.k8s.io/nginx-slim:0.8"])
        eq(s.kubectl("rollout", "undo", "sts/web", "--to-revision=3").stdout.strip(),
           "statefulset.apps/web skipped rollback (current template already matches revision 3)")

        # restart: a template annotation, so a rolling update to revision 4
        before = pods_of(s, "web")
        eq(s.kubectl("rollout", "restart", "sts/web").stdout.strip(), "statefulset.apps/web restarted")
        s.kubectl("rollout", "status", "sts/web", "--timeout=60s")
        wait_for(lambda: settled(s, "web", 3) and status(s, "web")["currentRevision"] not in (rev1, rev2),
                 "restarted")
        after = pods_of(s, "web")
        eq(sorted(after), ["web-0", "web-1", "web-2"])
        for n in after:
            if after[n][0] == before[n][0]:
                raise AssertionError("%s was not replaced by the restart" % n)
        eq(history(s, "web"), ["2", "3", "4"])
        contains(s.kubectl("rollout", "history", "sts/web", "--revision=4").stdout,
                 "kubectl.kubernetes.io/restartedAt", "restart annotation")
        # the claims survived every replacement
        eq(sorted(p["metadata"]["name"] for p in jget(s, "get", "pvc")["items"]),
           ["www-web-0", "www-web-1", "www-web-2"])
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_sts_partition_canary_and_events(shared):
    s = sim_server(shared)
    try:
        s.kubectl("apply", "-f", "-", input=manifest("canary", claims=False))
        s.kubectl("rollout", "status", "sts/canary", "--timeout=60s")
        wait_for(lambda: settled(s, "canary", 3), "3 ready")
        old = pods_of(s, "canary")
        s.kubectl("patch", "sts", "canary", "-p",
                  '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}},'
                  '"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}')
        out = s.kubectl("rollout", "status", "sts/canary", "--timeout=60s").stdout
        contains(out, "partitioned roll out complete: 1 new pods have been updated...", "canary status")
        now = pods_of(s, "canary")
        eq(now["canary-2"][2], "nginx:1.25", "canary pod")
        eq(now["canary-1"], old["canary-1"], "below the partition: untouched")
        eq(now["canary-0"], old["canary-0"], "below the partition: untouched")
        st = status(s, "canary")
        eq((st["currentReplicas"], st["updatedReplicas"]), (2, 1), "current/updated")
        if st["currentRevision"] == st["updateRevision"]:
            raise AssertionError("revisions should differ during a canary: %r" % st)
        d = s.kubectl("describe", "sts", "canary").stdout
        for msg in ("create Pod canary-0 in StatefulSet canary successful",
                    "delete Pod canary-2 in StatefulSet canary successful"):
            contains(d, msg, "describe events")
        contains(d, "statefulset-controller", "event source")
        ev = s.kubectl("get", "events", "--field-selector", "reason=SuccessfulCreate").stdout
        contains(ev, "statefulset/canary", "events table OBJECT")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_sts_retention_delete_and_orphan_adoption(shared):
    s = sim_server(shared)
    try:
        s.kubectl("apply", "-f", SC)
        policy = ("  podManagementPolicy: Parallel\n"
                  "  persistentVolumeClaimRetentionPolicy:\n"
                  "    whenDeleted: Delete\n    whenScaled: Delete\n")
        s.kubectl("apply", "-f", "-", input=manifest("rd", extra_spec=policy))
        s.kubectl("rollout", "status", "sts/rd", "--timeout=60s")
        uid = jget(s, "get", "sts", "rd")["metadata"]["uid"]
        for c in jget(s, "get", "pvc", "-l", "app=rd")["items"]:
            refs = c["metadata"].get("ownerReferences", [])
            eq([(r["kind"], r["uid"], r.get("controller")) for r in refs],
               [("StatefulSet", uid, True)], c["metadata"]["name"] + " owner")
        s.kubectl("scale", "sts", "rd", "--replicas=1")
        wait_for(lambda: sorted(c["metadata"]["name"] for c in jget(s, "get", "pvc", "-l", "app=rd")["items"])
                 == ["www-rd-0"], "claims of scaled-down pods deleted")
        s.kubectl("delete", "sts", "rd")
        wait_for(lambda: not jget(s, "get", "pvc", "-l", "app=rd")["items"]
                 and not jget(s, "get", "pods", "-l", "app=rd")["items"], "claims deleted with the set")

        # orphaned, then adopted back: same pods, same revision
        s.kubectl("apply", "-f", "-", input=manifest("keep", replicas=2))
        s.kubectl("rollout", "status", "sts/keep", "--timeout=60s")
        wait_for(lambda: settled(s, "keep", 2), "2 ready")
        before = pods_of(s, "keep")
        rev = status(s, "keep")["currentRevision"]
        s.kubectl("delete", "sts", "keep", "--cascade=orphan")
        wait_for(lambda: all(not p["metadata"].get("ownerReferences")
                             for p in jget(s, "get", "pods", "-l", "app=keep")["items"]), "orphaned")
        s.kubectl("apply", "-f", "-", input=manifest("keep", replicas=2))
        uid = jget(s, "get", "sts", "keep")["metadata"]["uid"]
        wait_for(lambda: all([r["uid"] for r in p["metadata"].get("ownerReferences", [])] == [uid]
                             for p in jget(s, "get", "pods", "-l", "app=keep")["items"]), "adopted")
        wait_for(lambda: settled(s, "keep", 2), "settled after adoption")
        eq(pods_of(s, "keep"), before, "the pods were kept, not replaced")
        eq(status(s, "keep")["currentRevision"], rev, "the revision was adopted")
        revs = jget(s, "get", "controllerrevisions", "-l", "app=keep")["items"]
        eq([(r["metadata"]["name"], r["metadata"]["ownerReferences"][0]["uid"]) for r in revs],
           [(rev, uid)], "revision owner")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")
