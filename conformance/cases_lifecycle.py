"""Conformance cases that need a server of their own: restart on the same
data directory, and hostile input that must neither crash the server nor
change what is stored."""
import json
import os
import random
import ssl
import urllib.parse
import http.client

from k1s_fixture import Server
from casekit import eq, contains, collector

TESTS, case = collector()


def own_server(shared):
    return Server(shared.binary).start()


@case
def test_restart_keeps_objects_token_and_revisions(shared):
    s = own_server(shared)
    try:
        s.kubectl("create", "configmap", "survivor", "--from-literal=a=b")
        rv1 = int(json.loads(s.kubectl("get", "cm", "survivor", "-o", "json").stdout)
                  ["metadata"]["resourceVersion"])
        s.kubectl("create", "configmap", "newest", "--from-literal=a=b")
        s.kubectl("delete", "configmap", "newest")
        token = open(os.path.join(s.data_dir, "token")).read()
        eq(s.stop(), 0, "clean stop")
        s.start()
        eq(open(os.path.join(s.data_dir, "token")).read(), token, "token kept")
        cm = json.loads(s.kubectl("get", "cm", "survivor", "-o", "json").stdout)
        eq(cm["data"], {"a": "b"})
        s.kubectl("create", "configmap", "after", "--from-literal=a=b")
        rv2 = int(json.loads(s.kubectl("get", "cm", "after", "-o", "json").stdout)
                  ["metadata"]["resourceVersion"])
        if rv2 <= rv1 + 2:
            raise AssertionError("revision %d after restart is not past %d" % (rv2, rv1 + 2))
        out = s.kubectl("get", "ns", "-o", "name").stdout.split()
        eq(sorted(out), ["namespace/default", "namespace/kube-node-lease",
                         "namespace/kube-public", "namespace/kube-system"])
        eq(len(s.kubectl("get", "svc", "kubernetes", "-o", "name").stdout.split()), 1)
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


def raw(s, method, path, body, ctype):
    u = urllib.parse.urlparse(s.url)
    ctx = ssl._create_unverified_context()
    token = open(os.path.join(s.data_dir, "token")).read().strip()
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
    try:
        c.request(method, path, body=body, headers={"Authorization": "Bearer " + token,
                                                     "Content-Type": ctype})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


@case
def test_hostile_bodies_change_nothing(shared):
    s = own_server(shared)
    rng = random.Random(1234)
    try:
        s.kubectl("create", "configmap", "keep", "--from-literal=a=b")
        before = json.loads(s.kubectl("get", "cm", "keep", "-o", "json").stdout)
        good = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "keep"}, "data": {"a": "z"}}).encode()
        paths = ["/api/v1/namespaces/default/configmaps",
                 "/api/v1/namespaces/default/configmaps/keep",
                 "/apis/apps/v1/namespaces/default/statefulsets",
                 "/api/v1/namespaces/default/pods"]
        ctypes = ["application/json", "application/vnd.kubernetes.protobuf",
                  "application/merge-patch+json", "application/strategic-merge-patch+json",
                  "application/json-patch+json"]
        statuses = set()
        for i in range(400):
            kind = i % 4
            if kind == 0:   # random bytes
                body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
            elif kind == 1:  # a valid body, truncated or with bytes flipped
                b = bytearray(good)
                for _ in range(rng.randrange(1, 6)):
                    b[rng.randrange(len(b))] = rng.getrandbits(8)
                body = bytes(b[:rng.randrange(1, len(b) + 1)])
            elif kind == 2:  # deep nesting
                depth = rng.randrange(100, 5000)
                body = b'{"a":' * depth + b"1" + b"}" * depth
            else:            # protobuf envelope with junk inside
                body = b"k8s\x00" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
            method = rng.choice(["POST", "PUT", "PATCH"])
            code, _ = raw(s, method, rng.choice(paths), body, rng.choice(ctypes))
            statuses.add(code)
            if code >= 500:
                raise AssertionError("%s answered %d to hostile input %r" % (method, code, body[:80]))
        after = json.loads(s.kubectl("get", "cm", "keep", "-o", "json").stdout)
        # a valid merge patch could have changed data; everything else must not
        eq(after["metadata"]["uid"], before["metadata"]["uid"], "object replaced")
        contains(s.kubectl("get", "--raw", "/readyz").stdout, "ok", "still ready")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code (sanitizers report through it)")
