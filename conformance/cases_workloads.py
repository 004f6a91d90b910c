"""Conformance cases for the workload and endpoint controllers, driven by
real kubectl on a server of their own started with `--kubelet simulated`
(the scheduler binds pods and the simulated kubelet makes them Running and
Ready): Deployments through create, scale, set image, rollout
status/history/undo/restart and Recreate; Endpoints and EndpointSlices of
an exposed Deployment following its pods; a DaemonSet on the one node with
its ControllerRevision history and rollback."""
import json
import time

from k1s_fixture import Server
from casekit import eq, contains, table, jget, collector, sim_server

TESTS, case = collector()


def wait_for(fn, what, timeout=30):
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def rollout(s, what):
    out = s.kubectl("rollout", "status", what, "--timeout=60s", timeout=90).stdout
    contains(out, "successfully rolled out", "rollout status " + what)


def replicasets(s, app):
    items = jget(s, "get", "rs", "-l", "app=" + app)["items"]
    return {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
            for rs in items}


def history(s, what):
    """The REVISION column of kubectl rollout history."""
    rows = table(s.kubectl("rollout", "history", what).stdout.split("\n", 1)[1])
    eq(rows[0], ["REVISION", "CHANGE-CAUSE"])
    return [r[0] for r in rows[1:]]


@case
def test_deployment_rollout_with_kubectl(shared):
    s = sim_server(shared)
    try:
        eq(s.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2").stdout,
           "deployment.apps/web created\n")
        rollout(s, "deployment/web")
        rows = table(s.kubectl("get", "deployment", "web").stdout)
        eq(rows[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        eq(rows[1][:4], ["web", "2/2", "2", "2"])
        rs1 = replicasets(s, "web")["1"]
        hash1 = rs1["metadata"]["labels"]["pod-template-hash"]
        eq(rs1["metadata"]["name"], "web-" + hash1)
        rows = table(s.kubectl("get", "rs").stdout)
        eq(rows[0], ["NAME", "DESIRED", "CURRENT", "READY", "AGE"])
        eq(rows[1][:4], ["web-" + hash1, "2", "2", "2"])
        pods = jget(s, "get", "pods", "-l", "app=web")["items"]
        eq(len(pods), 2)
        for p in pods:
            eq(p["metadata"]["labels"]["pod-template-hash"], hash1)
            eq(p["metadata"]["ownerReferences"][0]["name"], "web-" + hash1)
        d = jget(s, "get", "deployment", "web")
        eq(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1")
        conds = {c["type"]: c for c in d["status"]["conditions"]}
        eq(conds["Available"]["reason"], "MinimumReplicasAvailable")
        eq(conds["Progressing"]["message"],
           'ReplicaSet "web-%s" has successfully progressed.' % hash1)

        eq(s.kubectl("scale", "deployment", "web", "--replicas=3").stdout,
           "deployment.apps/web scaled\n")
        rollout(s, "deployment/web")
        eq(table(s.kubectl("get", "deployment", "web").stdout)[1][:4], ["web", "3/3", "3", "3"])

        eq(s.kubectl("set", "image", "deployment/web", "nginx=nginx:1.26").stdout,
           "deployment.apps/web image updated\n")
        rollout(s, "deployment/web")
        rss = replicasets(s, "web")
        eq(sorted(rss), ["1", "2"])
        eq(rss["1"]["spec"]["replicas"], 0)
        eq(rss["2"]["spec"]["replicas"], 3)
        eq(rss["2"]["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.26")
        eq(history(s, "deployment/web"), ["1", "2"])
        detail = s.kubectl("rollout", "history", "deployment/web", "--revision=1").stdout
        contains(detail, "nginx:1.25", "rollout history --revision=1")

        eq(s.kubectl("rollout", "undo", "deployment/web").stdout,
           "deployment.apps/web rolled back\n")
        rollout(s, "deployment/web")
        rss = replicasets(s, "web")
        eq(sorted(rss), ["2", "3"])
        eq(rss["3"]["metadata"]["name"], "web-" + hash1, "undo reuses the first ReplicaSet")
        eq(rss["3"]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"], "1")
        eq(history(s, "deployment/web"), ["2", "3"])
        image = jget(s, "get", "deployment", "web")["spec"]["template"]["spec"]["containers"][0]["image"]
        eq(image, "nginx:1.25")

        eq(s.kubectl("rollout", "restart", "deployment/web").stdout,
           "deployment.apps/web restarted\n")
        rollout(s, "deployment/web")
        eq(sorted(replicasets(s, "web")), ["2", "3", "4"])
        events = s.kubectl("describe", "deployment", "web").stdout
        contains(events, "Scaled up replica set web-%s from 0 to 2" % hash1, "describe events")
        contains(events, "ScalingReplicaSet", "describe events")
        eq(len(jget(s, "get", "pods", "-l", "app=web")["items"]), 3)
    finally:
        s.stop()
        s.cleanup()


@case
def test_recreate_deployment_with_kubectl(shared):
    s = sim_server(shared)
    try:
        manifest = {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rec"},
            "spec": {"replicas": 2, "strategy": {"type": "Recreate"},
                     "selector": {"matchLabels": {"app": "rec"}},
                     "template": {"metadata": {"labels": {"app": "rec"}},
                                  "spec": {"terminationGracePeriodSeconds": 0,
                                           "containers": [{"name": "c", "image": "busybox:1.36"}]}}}}
        s.kubectl("apply", "-f", "-", input=json.dumps(manifest))
        rollout(s, "deployment/rec")
        s.kubectl("set", "image", "deployment/rec", "c=busybox:1.37")
        rollout(s, "deployment/rec")
        rss = replicasets(s, "rec")
        eq(rss["1"]["spec"]["replicas"], 0)
        eq(rss["2"]["spec"]["replicas"], 2)
        contains(s.kubectl("describe", "deployment", "rec").stdout,
                 "Scaled down replica set %s from 2 to 0" % rss["1"]["metadata"]["name"])
    finally:
        s.stop()
        s.cleanup()


@case
def test_endpoints_and_slices_with_kubectl(shared):
    s = sim_server(shared)
    try:
        s.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=80")
        rollout(s, "deployment/web")
        eq(s.kubectl("expose", "deployment", "web", "--port=8080", "--target-port=80").stdout,
           "service/web exposed\n")
        ips = sorted(p["status"]["podIP"] for p in jget(s, "get", "pods", "-l", "app=web")["items"])

        def endpoints():
            rows = table(s.kubectl("get", "endpoints", "web").stdout)
            return rows if rows[1][1] != "<none>" and rows[1][1].count(":80") == 2 else None
        rows = wait_for(endpoints, "endpoints of web")
        eq(rows[0], ["NAME", "ENDPOINTS", "AGE"])
        eq(sorted(rows[1][1].split(",")), sorted(ip + ":80" for ip in ips))
        ep = jget(s, "get", "endpoints", "web")
        eq(ep["metadata"]["labels"], {"app": "web",
                                      "endpoints.kubernetes.io/managed-by": "endpoint-controller"})
        for a in ep["subsets"][0]["addresses"]:
            eq(a["targetRef"]["kind"], "Pod")
        slices = jget(s, "get", "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
        eq(len(slices), 1)
        sl = slices[0]
        eq(sl["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
           "endpointslice-controller.k8s.io")
        eq(sl["addressType"], "IPv4")
        eq(sl["ports"], [{"name": "", "port": 80, "protocol": "TCP"}])
        eq(sorted(e["addresses"][0] for e in sl["endpoints"]), ips)
        for e in sl["endpoints"]:
            eq(e["conditions"], {"ready": True, "serving": True, "terminating": False})

        s.kubectl("scale", "deployment", "web", "--replicas=0")
        wait_for(lambda: table(s.kubectl("get", "endpoints", "web").stdout)[1][1] == "<none>",
                 "endpoints to empty")
        k = jget(s, "get", "endpoints", "kubernetes")
        eq(k["subsets"][0]["ports"][0]["name"], "https")
        eq(k["metadata"]["labels"], {"endpointslice.kubernetes.io/skip-mirror": "true"})
    finally:
        s.stop()
        s.cleanup()


@case
def test_daemonset_with_kubectl(shared):
    s = sim_server(shared)
    try:
        manifest = {
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}},
                                  "spec": {"terminationGracePeriodSeconds": 0,
                                           "containers": [{"name": "a", "image": "busybox:1.36"}]}}}}
        s.kubectl("apply", "-f", "-", input=json.dumps(manifest))
        rollout(s, "daemonset/agent")
        rows = table(s.kubectl("get", "daemonset", "agent").stdout)
        eq(rows[0], ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE",
                     "NODE SELECTOR", "AGE"])
        eq(rows[1][:7], ["agent", "1", "1", "1", "1", "1", "<none>"])
        node = s.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout
        pods = jget(s, "get", "pods", "-l", "app=agent")["items"]
        eq(len(pods), 1)
        eq(pods[0]["spec"]["nodeName"], node)
        s.kubectl("set", "image", "daemonset/agent", "a=busybox:1.37")
        rollout(s, "daemonset/agent")
        eq(history(s, "daemonset/agent"), ["1", "2"])
        eq(s.kubectl("rollout", "undo", "daemonset/agent").stdout,
           "daemonset.apps/agent rolled back\n")
        rollout(s, "daemonset/agent")
        eq(history(s, "daemonset/agent"), ["2", "3"])
        image = jget(s, "get", "daemonset", "agent")["spec"]["template"]["spec"]["containers"][0]["image"]
        eq(image, "busybox:1.36")
        wait_for(lambda: [p for p in jget(s, "get", "pods", "-l", "app=agent")["items"]
                          if p["spec"]["containers"][0]["image"] == "busybox:1.36"
                          and p["status"].get("phase") == "Running"],
                 "the rolled back daemon pod")
    finally:
        s.stop()
        s.cleanup()
