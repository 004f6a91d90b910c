"""Conformance cases for the garbage collector, namespace lifecycle and
default ServiceAccounts, driven by kubectl on a server of their own
(`--kubelet simulated`, so pods bound to a node also go away)."""
import json
import time

from k1s_fixture import Server
from casekit import eq, contains, collector, sim_server, wait_for

TESTS, case = collector()


def owned_pod(name, owner_kind, owner, uid):
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"gc-case": name},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                                          "name": owner, "uid": uid, "controller": True,
                                          "blockOwnerDeletion": True}]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}})


def owned_cm(name, owner_kind, owner, uid):
    return json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind,
                                          "name": owner, "uid": uid}]}})


def uid_of(s, *what):
    return s.kubectl("get", *what, "-o", "jsonpath={.metadata.uid}").stdout.strip()


def gone(s, *what):
    p = s.kubectl("get", *what, check=False)
    return p.returncode != 0 and "NotFound" in p.stderr


@case
def test_namespace_delete_removes_contents_then_itself(shared):
    s = sim_server(shared)
    try:
        s.kubectl("create", "namespace", "scratch")
        wait_for("the default ServiceAccount",
             lambda: s.kubectl("get", "sa", "default", "-n", "scratch", check=False).returncode == 0)
        s.kubectl("create", "configmap", "c", "-n", "scratch", "--from-literal=a=b")
        s.kubectl("create", "secret", "generic", "s", "-n", "scratch", "--from-literal=a=b")
        s.kubectl("run", "p", "-n", "scratch", "--image=nginx")
        s.kubectl("create", "configmap", "bystander", "--from-literal=a=b")
        out = s.kubectl("delete", "namespace", "scratch", "--timeout=60s").stdout
        eq(out.strip(), 'namespace "scratch" deleted')
        p = s.kubectl("get", "namespace", "scratch", check=False)
        contains(p.stderr, 'namespaces "scratch" not found', "namespace gone")
        p = s.kubectl("get", "configmaps,secrets,pods,serviceaccounts", "-n", "scratch", check=False)
        contains(p.stdout + p.stderr, "No resources found in scratch namespace.", "contents gone")
        eq(s.kubectl("get", "configmap", "bystander", "-o", "name").stdout.strip(),
           "configmap/bystander", "other namespaces untouched")
        # a namespace of the same name starts afresh, with its ServiceAccount
        s.kubectl("create", "namespace", "scratch")
        wait_for("the default ServiceAccount again",
             lambda: s.kubectl("get", "sa", "default", "-n", "scratch", check=False).returncode == 0)
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_system_namespaces_may_not_be_deleted(shared):
    s = sim_server(shared)
    try:
        for ns in ("default", "kube-system", "kube-public"):
            p = s.kubectl("delete", "namespace", ns, check=False)
            eq(p.returncode, 1, "delete %s" % ns)
            eq(p.stderr.strip(), 'Error from server (Forbidden): namespaces "%s" is forbidden: '
                                 'this namespace may not be deleted' % ns)
        out = s.kubectl("get", "sa", "-A", "-o", "name").stdout.split()
        eq(out.count("serviceaccount/default"), 4, "a default ServiceAccount per namespace")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_cascade_background_orphan_foreground(shared):
    s = sim_server(shared)
    try:
        # background (kubectl's default): dependents follow the owner
        s.kubectl("create", "deployment", "bg", "--image=nginx", "--replicas=0")
        uid = uid_of(s, "deployment", "bg")
        s.kubectl("apply", "-f", "-", input=owned_pod("bg-pod", "Deployment", "bg", uid))
        s.kubectl("apply", "-f", "-", input=owned_cm("bg-cm", "Deployment", "bg", uid))
        s.kubectl("delete", "deployment", "bg")
        wait_for("bg-pod collected", lambda: gone(s, "pod", "bg-pod"))
        wait_for("bg-cm collected", lambda: gone(s, "configmap", "bg-cm"))

        # orphan: the owner goes, its dependents stay without the reference
        s.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "keep"},
            "spec": {"replicas": 0, "serviceName": "keep",
                     "selector": {"matchLabels": {"app": "keep"}},
                     "template": {"metadata": {"labels": {"app": "keep"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}))
        uid = uid_of(s, "statefulset", "keep")
        s.kubectl("apply", "-f", "-", input=owned_pod("keep-pod", "StatefulSet", "keep", uid))
        out = s.kubectl("delete", "statefulset", "keep", "--cascade=orphan").stdout
        eq(out.strip(), 'statefulset.apps "keep" deleted')
        eq(gone(s, "statefulset", "keep"), True, "owner gone once kubectl returns")
        refs = s.kubectl("get", "pod", "keep-pod", "-o",
                         "jsonpath={.metadata.ownerReferences}").stdout.strip()
        eq(refs, "", "orphaned pod has no owner references")

        # foreground: kubectl returns once the owner and its dependents are gone
        s.kubectl("create", "configmap", "fg-owner", "--from-literal=a=b")
        uid = uid_of(s, "configmap", "fg-owner")
        s.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "fg-dep", "ownerReferences": [{
                "apiVersion": "v1", "kind": "ConfigMap", "name": "fg-owner", "uid": uid,
                "blockOwnerDeletion": True}]}}))
        s.kubectl("delete", "configmap", "fg-owner", "--cascade=foreground", "--timeout=30s")
        eq(gone(s, "configmap", "fg-dep"), True, "blocking dependent gone before its owner")
        eq(s.kubectl("get", "pod", "keep-pod", "-o", "name").stdout.strip(), "pod/keep-pod")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")
