"""Conformance cases: the scenario's manifests and everyday kubectl verbs."""
import json
import os
import re
import subprocess
import tempfile
import time

from k1s_fixture import default_kubectl
from casekit import SC, STS, eq, contains, check_layout, jget, collector

TESTS, case = collector()


@case
def test_apply_created_then_unchanged(s):
    out = s.kubectl("apply", "-f", SC).stdout
    eq(out.strip(), "storageclass.storage.k8s.io/test-storage-class created")
    out = s.kubectl("apply", "-f", STS).stdout
    eq(out.strip().splitlines(), ["service/nginx-service created",
                                  "statefulset.apps/nginx-statefulset created"])
    out = s.kubectl("apply", "-f", SC).stdout
    eq(out.strip(), "storageclass.storage.k8s.io/test-storage-class unchanged")
    out = s.kubectl("apply", "-f", STS).stdout
    eq(out.strip().splitlines(), ["service/nginx-service unchanged",
                                  "statefulset.apps/nginx-statefulset unchanged"])


@case
def test_get_tables_like_scenario(s):
    out = s.kubectl("get", "sc").stdout
    check_layout(out, "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE",
                 [["hostpath (default)", "docker.io/hostpath", "Delete", "Immediate", "false"],
                  ["test-storage-class", "docker.io/hostpath", "Retain", "Immediate", "false"]])
    out = s.kubectl("get", "svc").stdout
    lines = out.splitlines()
    eq(lines[0].split(), "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE".split())
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    eq(rows["nginx-service"][1], "NodePort")
    if not re.match(r"^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$", rows["nginx-service"][2]):
        raise AssertionError("cluster IP %r not in 10.96.0.0/12" % rows["nginx-service"][2])
    eq(rows["nginx-service"][3:5], ["<none>", "80:30080/TCP"])
    eq(rows["kubernetes"][1:3], ["ClusterIP", "10.96.0.1"])
    out = s.kubectl("get", "statefulset").stdout
    check_layout(out, "NAME READY AGE", [["nginx-statefulset", "0/3"]])
    out = s.kubectl("get", "sc,svc,statefulset").stdout
    contains(out, "storageclass.storage.k8s.io/test-storage-class", "combined get")
    contains(out, "service/nginx-service", "combined get")
    contains(out, "statefulset.apps/nginx-statefulset", "combined get")


@case
def test_defaults_applied(s):
    sc = jget(s, "get", "sc", "test-storage-class")
    eq(sc["reclaimPolicy"], "Retain")
    eq(sc["volumeBindingMode"], "Immediate")
    svc = jget(s, "get", "svc", "nginx-service")
    eq(svc["spec"]["sessionAffinity"], "None")
    eq(svc["spec"]["ports"][0]["nodePort"], 30080)
    eq(svc["spec"]["ports"][0]["targetPort"], 80)
    sts = jget(s, "get", "sts", "nginx-statefulset")
    spec = sts["spec"]
    eq(spec["podManagementPolicy"], "OrderedReady")
    eq(spec["revisionHistoryLimit"], 10)
    eq(spec["updateStrategy"], {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    eq(spec["persistentVolumeClaimRetentionPolicy"],
       {"whenDeleted": "Retain", "whenScaled": "Retain"})
    pod = spec["template"]["spec"]
    eq(pod["restartPolicy"], "Always")
    eq(pod["dnsPolicy"], "ClusterFirst")
    eq(pod["terminationGracePeriodSeconds"], 10)
    eq(pod["containers"][0]["imagePullPolicy"], "IfNotPresent")
    # claim templates are stored as written, so re-apply says "unchanged"
    eq(spec["volumeClaimTemplates"][0], {
        "metadata": {"name": "html-volume"},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "test-storage-class",
                 "resources": {"requests": {"storage": "1Gi"}}}})
    eq(sts["metadata"]["generation"], 1)
    if not sts["metadata"].get("uid") or not sts["metadata"].get("creationTimestamp"):
        raise AssertionError("uid/creationTimestamp missing")


@case
def test_output_formats(s):
    y = s.kubectl("get", "sts", "nginx-statefulset", "-o", "yaml").stdout
    contains(y, "kind: StatefulSet", "-o yaml")
    contains(y, "serviceName: nginx-service", "-o yaml")
    n = s.kubectl("get", "sts,svc", "-o", "name").stdout.split()
    eq(sorted(n), sorted(["statefulset.apps/nginx-statefulset", "service/kubernetes",
                          "service/nginx-service"]))
    w = s.kubectl("get", "sts", "-o", "wide").stdout
    hdr = w.splitlines()[0].split()
    eq(hdr, "NAME READY AGE CONTAINERS IMAGES".split())
    contains(w, "k8s.gcr.io/nginx-slim:0.8", "-o wide")
    w = s.kubectl("get", "svc", "nginx-service", "-o", "wide").stdout
    eq(w.splitlines()[0].split(), "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR".split())
    contains(w, "app=nginx", "svc -o wide")
    j = jget(s, "get", "svc")
    eq(j["kind"], "List")
    eq(len(j["items"]), 2)


@case
def test_describe(s):
    out = s.kubectl("describe", "sts", "nginx-statefulset").stdout
    contains(out, "Name:               nginx-statefulset", "describe")
    contains(out, "Replicas:           3 desired", "describe")
    out = s.kubectl("describe", "svc", "nginx-service").stdout
    contains(out, "NodePort:", "describe svc")
    contains(out, "30080/TCP", "describe svc")


@case
def test_label_annotate(s):
    eq(s.kubectl("label", "svc", "nginx-service", "tier=web").stdout.strip(),
       "service/nginx-service labeled")
    eq(s.kubectl("annotate", "svc", "nginx-service", "note=hello").stdout.strip(),
       "service/nginx-service annotated")
    svc = jget(s, "get", "svc", "nginx-service")
    eq(svc["metadata"]["labels"]["tier"], "web")
    eq(svc["metadata"]["annotations"]["note"], "hello")
    out = s.kubectl("get", "svc", "-l", "tier=web", "-o", "name").stdout.split()
    eq(out, ["service/nginx-service"])
    out = s.kubectl("get", "svc", "-l", "tier!=web", "-o", "name").stdout.split()
    eq(out, ["service/kubernetes"])
    s.kubectl("label", "svc", "nginx-service", "tier-")
    svc = jget(s, "get", "svc", "nginx-service")
    eq("tier" in svc["metadata"].get("labels", {}), False)


@case
def test_patch_three_types(s):
    s.kubectl("patch", "sts", "nginx-statefulset", "-p",
              '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"A","value":"1"}]}]}}}}')
    sts = jget(s, "get", "sts", "nginx-statefulset")
    c = sts["spec"]["template"]["spec"]["containers"][0]
    eq(c["image"], "k8s.gcr.io/nginx-slim:0.8", "strategic merge keeps image")
    eq(c["env"], [{"name": "A", "value": "1"}])
    eq(sts["metadata"]["generation"], 2, "generation bumped on spec change")
    s.kubectl("patch", "sts", "nginx-statefulset", "--type=merge", "-p",
              '{"metadata":{"labels":{"patched":"merge"}}}')
    s.kubectl("patch", "sts", "nginx-statefulset", "--type=json", "-p",
              '[{"op":"replace","path":"/spec/template/spec/containers/0/env/0/value","value":"2"}]')
    sts = jget(s, "get", "sts", "nginx-statefulset")
    eq(sts["metadata"]["labels"]["patched"], "merge")
    eq(sts["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"], "2")
    eq(sts["metadata"]["generation"], 3, "label change does not bump generation")


@case
def test_edit_with_editor(s):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as ed:
        ed.write("#!/bin/sh\nsed -i 's/sessionAffinity: None/sessionAffinity: ClientIP/' \"$1\"\n")
        path = ed.name
    os.chmod(path, 0o755)
    try:
        out = s.kubectl("edit", "svc", "nginx-service", env={"KUBE_EDITOR": path}).stdout
        eq(out.strip(), "service/nginx-service edited")
    finally:
        os.unlink(path)
    eq(jget(s, "get", "svc", "nginx-service")["spec"]["sessionAffinity"], "ClientIP")


@case
def test_scale(s):
    eq(s.kubectl("scale", "statefulset", "nginx-statefulset", "--replicas=1").stdout.strip(),
       "statefulset.apps/nginx-statefulset scaled")
    eq(jget(s, "get", "sts", "nginx-statefulset")["spec"]["replicas"], 1)
    s.kubectl("scale", "statefulset", "nginx-statefulset", "--replicas=3")
    eq(jget(s, "get", "sts", "nginx-statefulset")["spec"]["replicas"], 3)


@case
def test_watch_receives_events(s):
    p = subprocess.Popen([default_kubectl(), "--kubeconfig", s.kubeconfig,
                          "get", "configmaps", "-w", "--output-watch-events"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        s.kubectl("create", "configmap", "watched", "--from-literal=a=b")
        s.kubectl("delete", "configmap", "watched")
        time.sleep(1.0)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    rows = [l.split() for l in out.splitlines()]
    eq(rows[0], ["EVENT", "NAME", "DATA", "AGE"], "get -w header (server-side table)")
    got = [r[:3] for r in rows[1:] if r[1] == "watched"]
    eq(got, [["ADDED", "watched", "1"], ["DELETED", "watched", "1"]], "get -w events")


@case
def test_explain(s):
    out = s.kubectl("explain", "statefulset.spec.volumeClaimTemplates").stdout
    contains(out, "KIND:", "explain")
    contains(out, "StatefulSet", "explain")
    contains(out, "volumeClaimTemplates", "explain")
    contains(out, "FIELDS:", "explain")


@case
def test_delete_wait(s):
    s.kubectl("create", "configmap", "doomed", "--from-literal=x=y")
    out = s.kubectl("delete", "configmap", "doomed", "--wait").stdout
    eq(out.strip(), 'configmap "doomed" deleted')
    p = s.kubectl("get", "configmap", "doomed", check=False)
    eq(p.returncode, 1)
    contains(p.stderr, 'configmaps "doomed" not found', "get after delete")

