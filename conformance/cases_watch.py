"""Conformance cases: watch streams over raw HTTP (what informers rely on)."""
import http.client
import json
import threading
import time
import urllib.parse

from casekit import eq, collector
from cases_errors import http as request, tls_context, token_of

TESTS, case = collector()


class Watch:
    """Reads watch events on a background thread into a list."""

    def __init__(self, s, path):
        u = urllib.parse.urlparse(s.url)
        self.conn = http.client.HTTPSConnection(u.hostname, u.port, context=tls_context(s),
                                                timeout=20)
        self.conn.request("GET", path, headers={"Authorization": "Bearer " + token_of(s)})
        self.resp = self.conn.getresponse()
        self.events = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        try:
            for line in self.resp:
                if line.strip():
                    self.events.append(json.loads(line))
        except Exception:
            pass

    def wait_for(self, n, timeout=10):
        end = time.time() + timeout
        while len(self.events) < n and time.time() < end:
            time.sleep(0.02)
        return [(e["type"], e["object"].get("metadata", {}).get("name")) for e in self.events]

    def close(self):
        self.conn.close()


def cm_body(name, labels):
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": name, "labels": labels}, "data": {"a": "b"}})


@case
def test_watch_selector_transitions(s):
    w = Watch(s, "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=pick%3Dyes")
    try:
        time.sleep(0.2)
        base = "/api/v1/namespaces/default/configmaps"
        eq(request(s, "POST", base, cm_body("sel1", {"pick": "yes"}))[0], 201)
        eq(request(s, "POST", base, cm_body("sel2", {"pick": "no"}))[0], 201)
        merge = "application/merge-patch+json"
        eq(request(s, "PATCH", base + "/sel1", '{"metadata":{"labels":{"pick":"no"}}}', merge)[0], 200)
        eq(request(s, "PATCH", base + "/sel2", '{"metadata":{"labels":{"pick":"yes"}}}', merge)[0], 200)
        eq(request(s, "DELETE", base + "/sel2")[0], 200)
        eq(request(s, "DELETE", base + "/sel1")[0], 200)
        got = w.wait_for(4)
        eq(got, [("ADDED", "sel1"), ("DELETED", "sel1"), ("ADDED", "sel2"), ("DELETED", "sel2")])
    finally:
        w.close()


@case
def test_watch_from_revision_and_initial_events(s):
    base = "/api/v1/namespaces/default/configmaps"
    code, obj = request(s, "POST", base, cm_body("rv1", {"w": "rv"}))
    eq(code, 201)
    rv = obj["metadata"]["resourceVersion"]
    eq(request(s, "PATCH", base + "/rv1", '{"data":{"a":"c"}}', "application/merge-patch+json")[0], 200)
    w = Watch(s, base + "?watch=1&labelSelector=w%3Drv&resourceVersion=" + rv)
    try:
        eq(w.wait_for(1), [("MODIFIED", "rv1")])
    finally:
        w.close()
    w = Watch(s, base + "?watch=1&labelSelector=w%3Drv&sendInitialEvents=true"
              "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=")
    try:
        w.wait_for(2)
        eq(w.events[0]["type"], "ADDED")
        eq(w.events[1]["type"], "BOOKMARK")
        eq(w.events[1]["object"]["metadata"]["annotations"],
           {"k8s.io/initial-events-end": "true"})
    finally:
        w.close()
    eq(request(s, "DELETE", base + "/rv1")[0], 200)


@case
def test_watch_timeout_ends_stream(s):
    start = time.time()
    w = Watch(s, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=1")
    w.t.join(10)
    took = time.time() - start
    w.close()
    if not (0.5 < took < 5):
        raise AssertionError("watch with timeoutSeconds=1 ended after %.1fs" % took)


@case
def test_watch_dropped_for_falling_behind_ends_once(shared):
    # a watcher that reads nothing while objects pour in is dropped: it gets
    # one 410 ERROR event and the stream ends (it used to repeat forever)
    from k1s_fixture import Server
    s = Server(shared.binary, extra=["--watch-queue-bytes", "65536"]).start()
    try:
        path = "/api/v1/namespaces/default/configmaps"
        u = urllib.parse.urlparse(s.url)
        conn = http.client.HTTPSConnection(u.hostname, u.port, context=tls_context(s), timeout=30)
        conn.request("GET", path + "?watch=1",
                     headers={"Authorization": "Bearer " + token_of(s)})
        resp = conn.getresponse()
        blob = "x" * 80000
        for i in range(150):  # ~12 MB, more than every buffer on the way
            code, _ = request(s, "POST", path, json.dumps(
                {"metadata": {"name": "flood-%d" % i}, "data": {"v": blob}}))
            eq(code, 201, "create %d" % i)
        types, errors, end = [], [], time.time() + 30
        for line in resp:
            if time.time() > end or len(types) > 1000:
                break
            if line.strip():
                ev = json.loads(line)
                types.append(ev["type"])
                if ev["type"] == "ERROR":
                    errors.append(ev["object"])
        conn.close()
        eq(len(errors), 1, "one ERROR event (of %d events)" % len(types))
        eq((errors[0]["code"], errors[0]["reason"]), (410, "Expired"), "410 Expired")
        eq(types[-1], "ERROR", "and nothing after it: the stream ended")
        code, _ = request(s, "GET", path + "?limit=1")
        eq(code, 200, "the server still answers")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")
