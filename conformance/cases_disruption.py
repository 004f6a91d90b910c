"""Conformance cases for PodDisruptionBudgets and the eviction API on the
simulated kubelet: the disruption controller's status (healthy, desired,
expected pods, disruptionsAllowed, the DisruptionAllowed condition) as
`kubectl get pdb` prints it; POST pods/NAME/eviction in JSON and in
protobuf spends a disruption, records the pod in disruptedPods, and a
second one is refused with kube's 429 and DisruptionBudget cause;
`kubectl drain` evicts through it."""
import json
import struct
import urllib.error
import urllib.request

from casekit import eq, contains, table, jget, collector, sim_server, wait_for
from cases_errors import token_of, tls_context

TESTS, case = collector()

PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-pdb
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: web}
"""

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: c
        image: busybox
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api-pdb
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: api}
"""


def pb_field(num, payload):
    """A length-delimited protobuf field."""
    out, n = bytearray([num << 3 | 2]), len(payload)
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out) + payload


def eviction_pb(name, ns):
    meta = pb_field(1, name.encode()) + pb_field(3, ns.encode())
    raw = pb_field(1, meta) + pb_field(2, b"")
    tm = pb_field(1, b"policy/v1") + pb_field(2, b"Eviction")
    return b"k8s\x00" + pb_field(1, tm) + pb_field(2, raw)


def evict(s, pod, protobuf=False):
    if protobuf:
        body, ctype = eviction_pb(pod, "default"), "application/vnd.kubernetes.protobuf"
    else:
        body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                           "metadata": {"name": pod, "namespace": "default"}}).encode()
        ctype = "application/json"
    req = urllib.request.Request(
        s.url + "/api/v1/namespaces/default/pods/%s/eviction" % pod, data=body, method="POST")
    req.add_header("Content-Type", ctype)
    req.add_header("Accept", "application/json")
    req.add_header("Authorization", "Bearer " + token_of(s))
    try:
        with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def pdb_status(s, name="web-pdb", **want):
    st = jget(s, "get", "pdb", name).get("status", {})
    return st if all(st.get(k) == v for k, v in want.items()) else None


def web_pods(s):
    return sorted(p["metadata"]["name"] for p in jget(s, "get", "pods", "-l", "app=web")["items"]
                  if not p["metadata"].get("deletionTimestamp"))


@case
def test_pdb_status_and_eviction(shared):
    s = sim_server(shared)
    try:
        # bare pods: nothing replaces an evicted one, so the counts hold still
        for pod in ("web-1", "web-2"):
            s.kubectl("run", pod, "--image=busybox", "--labels=app=web")
        s.kubectl("apply", "-f", "-", input=PDB)
        st = wait_for("the budget to count 2 healthy pods",
                      lambda: pdb_status(s, currentHealthy=2, disruptionsAllowed=1), 30)
        eq((st["desiredHealthy"], st["expectedPods"]), (1, 2), "desired and expected")
        cond = [c for c in st["conditions"] if c["type"] == "DisruptionAllowed"][0]
        eq((cond["status"], cond["reason"]), ("True", "SufficientPods"), "condition")
        rows = table(s.kubectl("get", "pdb").stdout)
        eq(rows[1][:4], ["web-pdb", "1", "N/A", "1"], "kubectl get pdb row")

        code, body = evict(s, "web-1", protobuf=True)
        eq((code, body.get("status")), (201, "Success"), "protobuf eviction allowed")
        eq(pdb_status(s)["disruptionsAllowed"], 0, "the disruption is spent")
        code, body = evict(s, "web-2")
        eq((code, body["reason"], body["message"]),
           (429, "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget."),
           "second eviction refused")
        eq(body["details"]["causes"], [{"reason": "DisruptionBudget", "message":
                                        "The disruption budget web-pdb needs 1 healthy pods "
                                        "and has 1 currently"}], "429 cause")
        eq(evict(s, "no-such-pod")[0], 404, "eviction of a missing pod")
        wait_for("the evicted pod to go", lambda: web_pods(s) == ["web-2"], 20)
        st = wait_for("the controller to agree",
                      lambda: pdb_status(s, currentHealthy=1, expectedPods=1), 20)
        eq((st["disruptionsAllowed"], st.get("disruptedPods")), (0, None),
           "no disruption left, the deleted pod forgotten")
        cond = [c for c in st["conditions"] if c["type"] == "DisruptionAllowed"][0]
        eq((cond["status"], cond["reason"]), ("False", "InsufficientPods"), "condition")

        # maxUnavailable counts against the Deployment's replicas
        s.kubectl("apply", "-f", "-", input=DEPLOY)
        st = wait_for("the Deployment's budget",
                      lambda: pdb_status(s, "api-pdb", currentHealthy=3), 30)
        eq((st["expectedPods"], st["desiredHealthy"], st["disruptionsAllowed"]), (3, 2, 1),
           "maxUnavailable 1 of 3 replicas")
        s.kubectl("delete", "deployment", "api")

        # kubectl drain evicts through the subresource
        s.kubectl("patch", "pdb", "web-pdb", "--type=merge", "-p", '{"spec":{"minAvailable":0}}')
        wait_for("the new budget", lambda: pdb_status(s, disruptionsAllowed=1), 30)
        node = s.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout
        out = s.kubectl("drain", node, "--ignore-daemonsets", "--force", "--timeout=60s").stdout
        contains(out, "evicting pod default/web-2")
        contains(out, "node/%s drained" % node)
        s.kubectl("uncordon", node)
    finally:
        s.stop()
        s.cleanup()
