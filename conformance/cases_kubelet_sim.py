"""Conformance cases for the scheduler and the simulated kubelet, on a server
of their own started with `--kubelet simulated`: the Node as kubectl shows
it, pods scheduled and Running with an IP, kube's FailedScheduling for a pod
nothing fits, `kubectl delete pod` returning once the kubelet removed the
pod, and the pods/binding subresource over HTTP (kubectl has no command for
it; schedulers POST a Binding)."""
import json
import time

from k1s_fixture import Server
from casekit import eq, contains, table, jget, collector, sim_server
from cases_errors import http

TESTS, case = collector()


def wait_for(fn, what, timeout=10):
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def node_name(s):
    return s.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout


def phase(s, pod):
    p = s.kubectl("get", "pod", pod, "-o", "jsonpath={.status.phase}", check=False)
    return p.stdout if p.returncode == 0 else None


@case
def test_simulated_node_pods_and_scheduling(shared):
    s = sim_server(shared)
    try:
        node = node_name(s)
        rows = table(s.kubectl("get", "nodes").stdout)
        eq(rows[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"])
        eq([rows[1][i] for i in (0, 1, 2, 4)], [node, "Ready", "control-plane", "v1.33.0-k1s"])
        wide = table(s.kubectl("get", "nodes", "-o", "wide").stdout)
        eq(wide[1][5], "127.0.0.1", "INTERNAL-IP")
        eq(wide[1][-1], "simulated://1.0", "CONTAINER-RUNTIME")
        d = s.kubectl("describe", "node", node).stdout
        for part in ("Roles:              control-plane", "kubelet is posting ready status",
                     "Kubelet Version:            v1.33.0-k1s", "PodCIDR:                      10.244.0.0/24",
                     "Starting kubelet."):
            contains(d, part, "describe node")

        s.kubectl("run", "web", "--image=nginx")
        s.kubectl("run", "web2", "--image=nginx")
        wait_for(lambda: phase(s, "web") == "Running" and phase(s, "web2") == "Running", "pods Running")
        rows = table(s.kubectl("get", "pods", "-o", "wide").stdout)
        eq(rows[0][:8], ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE"])
        by = {r[0]: r for r in rows[1:]}
        for name in ("web", "web2"):
            eq(by[name][1:4], ["1/1", "Running", "0"], name)
            eq(by[name][6], node, name + " NODE")
            if not by[name][5].startswith("10.244.0."):
                raise AssertionError("IP of %s: %r" % (name, by[name][5]))
        if by["web"][5] == by["web2"][5]:
            raise AssertionError("two pods share %s" % by["web"][5])
        d = s.kubectl("describe", "pod", "web").stdout
        contains(d, "Successfully assigned default/web to " + node, "Scheduled event")
        contains(d, "Started container web", "Started event")
        contains(d, "Container ID:   simulated://", "container ID")

        # nothing fits: Pending, with the scheduler's reason
        s.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "picky"},
            "spec": {"nodeSelector": {"disktype": "ssd"},
                     "containers": [{"name": "c", "image": "nginx"}]}}))
        msg = ("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. "
               "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
        wait_for(lambda: msg in s.kubectl("describe", "pod", "picky").stdout, "FailedScheduling")
        d = s.kubectl("describe", "pod", "picky").stdout
        contains(d, "Warning  FailedScheduling", "describe picky")
        status = [l.split() for l in d.splitlines() if l.startswith("Status:")]
        eq(status, [["Status:", "Pending"]], "describe picky")
        s.kubectl("label", "node", node, "disktype=ssd")
        wait_for(lambda: phase(s, "picky") == "Running", "picky Running once the node matches")

        # the kubelet removes a deleted pod as soon as its containers stop
        t0 = time.time()
        s.kubectl("delete", "pod", "web")
        if time.time() - t0 > 5:
            raise AssertionError("kubectl delete pod took %.1fs" % (time.time() - t0))
        eq(s.kubectl("get", "pod", "web", check=False).returncode, 1, "web gone")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_binding_subresource_over_http(shared):
    s = sim_server(shared)
    try:
        node = node_name(s)
        # a pod another scheduler would place: ours leaves it alone
        s.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "manual"},
            "spec": {"schedulerName": "my-scheduler",
                     "containers": [{"name": "c", "image": "nginx"}]}}))
        time.sleep(0.3)
        eq(jget(s, "get", "pod", "manual")["spec"].get("nodeName"), None, "not scheduled")
        base = "/api/v1/namespaces/default/pods/manual/binding"

        def binding(name, target):
            return json.dumps({"apiVersion": "v1", "kind": "Binding",
                               "metadata": {"name": name}, "target": target})

        code, body = http(s, "POST", base, binding("other", {"kind": "Node", "name": node}))
        eq(code, 400)
        eq(body["message"], "name in URL does not match name in Binding object")
        code, body = http(s, "POST", base, binding("manual", {"kind": "Node"}))
        eq(code, 500)
        eq(body["message"], "target.name: Required value")

        code, body = http(s, "POST", base, binding("manual", {"kind": "Node", "name": node}))
        eq(code, 201, str(body))
        eq((body["kind"], body["status"], body["code"]), ("Status", "Success", 201))
        pod = jget(s, "get", "pod", "manual")
        eq(pod["spec"]["nodeName"], node)
        sched = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"]
        eq(sched[0]["status"], "True")
        # bound to the kubelet's node, so the kubelet runs it
        wait_for(lambda: phase(s, "manual") == "Running", "manual Running")

        code, body = http(s, "POST", base, binding("manual", {"kind": "Node", "name": "elsewhere"}))
        eq(code, 409)
        eq(body["reason"], "Conflict")
        eq(body["message"], 'Operation cannot be fulfilled on pods/binding "manual": '
                            'pod manual is already assigned to node "%s"' % node)
        code, body = http(s, "POST", "/api/v1/namespaces/default/pods/nope/binding",
                          binding("nope", {"kind": "Node", "name": node}))
        eq(code, 404)
        eq(body["message"], 'pods "nope" not found')
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_restart_keeps_node_and_running_pods(shared):
    s = sim_server(shared)
    try:
        s.kubectl("run", "stay", "--image=nginx")
        wait_for(lambda: phase(s, "stay") == "Running", "stay Running")
        before = jget(s, "get", "pod", "stay")
        node_uid = jget(s, "get", "nodes")["items"][0]["metadata"]["uid"]
        eq(s.stop(), 0, "clean stop")
        s.start()
        time.sleep(0.5)
        after = jget(s, "get", "pod", "stay")
        eq(after["status"], before["status"], "status untouched by the restart")
        eq(jget(s, "get", "nodes")["items"][0]["metadata"]["uid"], node_uid, "node re-used")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_simulated_pods_run_to_completion(shared):
    """restartPolicy Never/OnFailure pods end as kubelet reports them; the
    sim.k1s.io annotations choose exit code and run time."""
    s = sim_server(shared)
    try:
        s.kubectl("run", "done", "--image=busybox", "--restart=Never", "--", "true")
        s.kubectl("run", "broken", "--image=busybox", "--restart=Never",
                  "--annotations=sim.k1s.io/exit-code=3", "--annotations=sim.k1s.io/run-ms=50",
                  "--", "false")
        s.kubectl("run", "retry", "--image=busybox", "--restart=OnFailure",
                  "--annotations=sim.k1s.io/exit-code=1", "--annotations=sim.k1s.io/run-ms=50",
                  "--", "false")
        s.kubectl("run", "server", "--image=busybox", "--restart=Always")
        wait_for(lambda: phase(s, "done") == "Succeeded", "done to succeed")
        wait_for(lambda: phase(s, "broken") == "Failed", "broken to fail")
        for name, code, reason in (("done", 0, "Completed"), ("broken", 3, "Error")):
            pod = jget(s, "get", "pod", name)
            term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
            eq((term["exitCode"], term["reason"]), (code, reason), name + " terminated state")
            ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"][0]
            eq((ready["status"], ready.get("reason")), ("False", "PodCompleted"), name + " Ready")
        wait_for(lambda: jget(s, "get", "pod", "retry")["status"]["containerStatuses"][0]
                 .get("restartCount", 0) >= 1, "retry to restart", timeout=15)
        eq(phase(s, "retry"), "Running", "OnFailure keeps the pod running")
        rows = {r[0]: r for r in table(s.kubectl("get", "pods").stdout)[1:]}
        eq(rows["done"][2], "Completed", "kubectl STATUS of a succeeded pod")
        eq(rows["broken"][2], "Error", "kubectl STATUS of a failed pod")
        eq(phase(s, "server"), "Running", "restartPolicy Always pods keep running")
    finally:
        s.stop()
        s.cleanup()
