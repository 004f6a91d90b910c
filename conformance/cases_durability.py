"""Conformance cases for durability and concurrency (issue 11): kill -9
during concurrent writes loses no acknowledged write and revisions keep
growing; concurrent read-modify-write clients lose no update and every
conflict is a 409. Figures go to stdout for docs/reliability.md."""
import http.client
import json
import os
import random
import signal
import ssl
import tempfile
import shutil
import threading
import time
import urllib.parse

from k1s_fixture import Server
from casekit import eq, collector

TESTS, case = collector()

CM = "/api/v1/namespaces/default/configmaps"


class Client:
    """One keep-alive connection with the admin token."""

    def __init__(self, s):
        u = urllib.parse.urlparse(s.url)
        self.token = open(os.path.join(s.data_dir, "token")).read().strip()
        self.c = http.client.HTTPSConnection(u.hostname, u.port,
                                             context=ssl._create_unverified_context(), timeout=10)

    def call(self, method, path, body=None):
        hdrs = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        self.c.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=hdrs)
        r = self.c.getresponse()
        return r.status, json.loads(r.read() or b"null")

    def close(self):
        self.c.close()


def writer(s, tid, acked, stop):
    """Creates cm w<tid>-<i> then updates it once, until the server dies;
    acked gets (name, value, rv) for every write the server acknowledged.
    Value c<i> is the create, u<i> the update: a write sent but never
    answered may or may not have landed, so after a crash an object holds
    its last acknowledged value or the one sent after it."""
    try:
        c = Client(s)
    except OSError:
        return
    i = 0
    try:
        while not stop.is_set():
            name = "w%d-%d" % (tid, i)
            code, obj = c.call("POST", CM, {"metadata": {"name": name}, "data": {"v": "c%d" % i}})
            if code != 201:
                raise AssertionError("create %s: %d %s" % (name, code, obj))
            acked.append((name, "c%d" % i, int(obj["metadata"]["resourceVersion"])))
            obj["data"]["v"] = "u%d" % i
            code, obj = c.call("PUT", CM + "/" + name, obj)
            if code != 200:
                raise AssertionError("update %s: %d %s" % (name, code, obj))
            acked.append((name, "u%d" % i, int(obj["metadata"]["resourceVersion"])))
            i += 1
    except (OSError, http.client.HTTPException, ValueError):
        pass  # the server was killed mid-request: that write was not acknowledged
    finally:
        c.close()


@case
def test_kill9_during_writes_loses_no_acknowledged_write(shared):
    rounds = int(os.environ.get("K1S_CRASH_ROUNDS", "6"))
    rng = random.Random(11)
    d = tempfile.mkdtemp(prefix="k1s-crash-")
    s = Server(shared.binary, data_dir=d)
    latest = {}  # name -> (value, rv) of its last acknowledged write
    max_rv, total = 0, 0
    try:
        for r in range(rounds):
            s.start()
            if max_rv:
                c = Client(s)
                code, obj = c.call("POST", CM, {"metadata": {"name": "probe-%d" % r}})
                c.close()
                eq(code, 201, "a write after restart %d" % r)
                rv = int(obj["metadata"]["resourceVersion"])
                eq(rv > max_rv, True, "revision %d after restart is past %d" % (rv, max_rv))
            acked, stop = [], threading.Event()
            threads = [threading.Thread(target=writer, args=(s, t + 100 * r, acked, stop))
                       for t in range(8)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.2))
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            for name, value, rv in acked:
                latest[name] = (value, rv)
                max_rv = max(max_rv, rv)
            total += len(acked)
        s.start()
        c = Client(s)
        code, lst = c.call("GET", CM)
        c.close()
        have = {i["metadata"]["name"]: (i["data"]["v"], int(i["metadata"]["resourceVersion"]))
                for i in lst["items"] if i["metadata"]["name"].startswith("w")}
        lost = [n for n in latest if n not in have]
        eq(lost, [], "acknowledged creates all there")
        def ok(n):
            value, rv = latest[n]
            later = "u" + value[1:] if value.startswith("c") else value
            return have[n] == (value, rv) or (have[n][0] == later and have[n][1] > rv)
        wrong = [(n, have[n], latest[n]) for n in latest if not ok(n)]
        eq(wrong, [], "each with its last acknowledged write (or the one sent after it)")
        print("     %d kill -9 rounds, %d acknowledged writes, 0 lost" % (rounds, total))
    finally:
        rc = s.stop()
        shutil.rmtree(d, ignore_errors=True)
    eq(rc, 0, "server exit code")


@case
def test_concurrent_read_modify_write_loses_no_update(shared):
    s = Server(shared.binary).start()
    clients, per = 20, 25
    conflicts, errors = [0], []
    lock = threading.Lock()
    try:
        c = Client(s)
        eq(c.call("POST", CM, {"metadata": {"name": "counter"}, "data": {"n": "0"}})[0], 201)
        c.close()

        def bump():
            c = Client(s)
            try:
                for _ in range(per):
                    while True:
                        code, obj = c.call("GET", CM + "/counter")
                        obj["data"]["n"] = str(int(obj["data"]["n"]) + 1)
                        code, out = c.call("PUT", CM + "/counter", obj)
                        if code == 200:
                            break
                        if code != 409 or out.get("reason") != "Conflict":
                            with lock:
                                errors.append((code, out))
                            return
                        with lock:
                            conflicts[0] += 1
            finally:
                c.close()

        threads = [threading.Thread(target=bump) for _ in range(clients)]
        start = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - start
        eq(errors, [], "every failed write is a 409 Conflict")
        c = Client(s)
        n = int(c.call("GET", CM + "/counter")[1]["data"]["n"])
        c.close()
        eq(n, clients * per, "no update lost")
        print("     %d clients x %d increments: %d conflicts (409), 0 lost, %.1f s"
              % (clients, per, conflicts[0], took))
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")
