"""Patroni (Debian's patroni 3.0.2 with PostgreSQL 15) on the host, its DCS
the Kubernetes API of a k1s: two members elect a leader, the leader key
lands in k1s (the `<scope>` Endpoints with use_endpoints, the
`<scope>-leader` ConfigMap without), and when the leader's Patroni and its
postgres are SIGKILLed the other member takes over within Patroni's ttl.
Needs root (postgres runs as the postgres user); elsewhere it says loudly
that it did not run."""
import json
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import urllib.request

from casekit import eq, collector, sim_server, wait_for

TESTS, case = collector()

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "..", "tests", "clients", "patroni", "patroni.yml.in")
PATRONI = "/usr/bin/patroni"
PG_BIN = "/usr/lib/postgresql/15/bin"
USER = "postgres"
TTL = 10  # as in patroni.yml.in: ttl 10, loop_wait 2, retry_timeout 5


def skip_reason():
    if os.geteuid() != 0:
        return "not running as root"
    if not os.access(PATRONI, os.X_OK):
        return "patroni is not installed"
    if not os.access(os.path.join(PG_BIN, "postgres"), os.X_OK):
        return "postgresql 15 is not installed"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return "there is no %s user" % USER
    return None


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def rest(port, path):
    """The status code of a GET on a member's REST API (0: no answer)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Member:
    """One Patroni with its own data directory, PostgreSQL port and REST port."""

    def __init__(self, root, name, scope, use_endpoints, kubeconfig):
        self.name = name
        self.dir = os.path.join(root, name)
        self.pg_port = free_port()
        self.api_port = free_port()
        self.kubeconfig = kubeconfig
        self.proc = None
        pw = pwd.getpwnam(USER)
        os.mkdir(self.dir, 0o700)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        with open(CONF) as f:
            text = string.Template(f.read()).substitute(
                scope=scope, name=name, dir=self.dir, api_port=self.api_port,
                pg_port=self.pg_port, use_endpoints="true" if use_endpoints else "false")
        self.config = os.path.join(self.dir, "patroni.yml")
        with open(self.config, "w") as f:
            f.write(text)
        os.chown(self.config, pw.pw_uid, pw.pw_gid)

    def start(self):
        pw = pwd.getpwnam(USER)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.dir, "LANG": "C.UTF-8",
               "KUBECONFIG": self.kubeconfig}
        log = open(os.path.join(self.dir, "patroni.log"), "ab")
        self.proc = subprocess.Popen(["/usr/bin/python3", PATRONI, self.config], env=env,
                                     cwd=self.dir, user=pw.pw_uid, group=pw.pw_gid,
                                     extra_groups=[], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def postmaster(self):
        try:
            with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILLs this Patroni (and what it started in its session) and
        its postgres (the postmaster has a session of its own, its backends
        with it); waits until they are gone."""
        pids = []
        pm = self.postmaster()
        if self.proc and self.proc.poll() is None:
            pids.append(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if pm and alive(pm):
            pids.append(pm)
            try:
                os.killpg(os.getpgid(pm), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(pm, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        end = time.time() + 10
        while any(alive(p) for p in pids) and time.time() < end:
            time.sleep(0.05)

    def log(self):
        try:
            with open(os.path.join(self.dir, "patroni.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


def pod(name, scope):
    # the pods Patroni patches (role label, status annotation); Patroni
    # itself runs on the host, the simulated kubelet only marks them Running
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"application": "patroni", "cluster-name": scope}},
            "spec": {"containers": [{"name": "patroni", "image": "patroni"}]}}


def run_patroni(shared, use_endpoints):
    why = skip_reason()
    if why:
        print("!!! SKIPPED: Patroni against k1s did not run: %s" % why)
        return
    scope = "k1s-pg-%s" % ("ep" if use_endpoints else "cm")
    kind, leader_obj = ("endpoints", scope) if use_endpoints else ("configmap", scope + "-leader")
    s = sim_server(shared)
    root = tempfile.mkdtemp(prefix="k1s-patroni-")
    members = []
    try:
        pw = pwd.getpwnam(USER)
        os.chmod(root, 0o755)
        kubeconfig = os.path.join(root, "kubeconfig")
        shutil.copy(s.kubeconfig, kubeconfig)
        os.chown(kubeconfig, pw.pw_uid, pw.pw_gid)
        os.chmod(kubeconfig, 0o600)
        names = ["pg-0", "pg-1"]
        s.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [pod(n, scope) for n in names]}))

        def pod_ips():
            got = {p["metadata"]["name"]: p.get("status", {}).get("podIP") for p in json.loads(
                s.kubectl("get", "pods", "-l", "cluster-name=" + scope, "-o", "json").stdout)["items"]}
            return len(got) == len(names) and all(got.values()) and got
        ips = wait_for("the pods' IPs", pod_ips)
        members = [Member(root, n, scope, use_endpoints, kubeconfig) for n in names]
        by_name = {m.name: m for m in members}
        t0 = time.time()
        for m in members:
            m.start()

        def leader():
            p = s.kubectl("get", kind, leader_obj, "-o", "json", check=False)
            if p.returncode != 0:
                return None
            return (json.loads(p.stdout)["metadata"].get("annotations") or {}).get("leader")

        def state():
            return "%s\n" % s.kubectl("get", "endpoints,configmaps,services,pods", "--show-labels",
                                      check=False).stdout + "\n".join(
                "--- %s:\n%s" % (m.name, m.log()) for m in members)

        try:
            first = wait_for("a leader in %s/%s" % (kind, leader_obj), leader, timeout=60)
            eq(first in by_name, True, "the leader is a member")
            old, new = by_name[first], [m for m in members if m.name != first][0]
            wait_for("%s's REST API calls it the primary" % first,
                     lambda: rest(old.api_port, "/primary") == 200, timeout=30)
            # the other member must be a running replica before the leader dies
            wait_for("%s replicating" % new.name,
                     lambda: rest(new.api_port, "/replica") == 200, timeout=60)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, state()))
        elected = time.time() - t0
        check_objects(s, scope, kind, old, new, ips, use_endpoints)

        old.kill()
        t1 = time.time()
        try:
            wait_for("%s to take over" % new.name, lambda: leader() == new.name,
                     timeout=3 * TTL + 10)
            wait_for("%s's REST API to call it the primary" % new.name,
                     lambda: rest(new.api_port, "/primary") == 200, timeout=30)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, state()))
        took = time.time() - t1
        if took > 2 * TTL + 5:
            raise AssertionError("failover took %.1fs, more than the ttl allows" % took)
        if use_endpoints:
            # the new leader takes the lock with no subsets, then points them at itself
            want = [(ips[new.name], new.name, [new.pg_port])]
            wait_for("the leader Endpoints at the new primary's pod %s" % (want,),
                     lambda: leader_addresses(s, scope) == want, timeout=15)
        print("     patroni use_endpoints=%s: leader %s elected in %.1fs, %s took over in %.1fs"
              % (str(use_endpoints).lower(), old.name, elected, new.name, took))
    finally:
        for m in members:
            m.kill()
        rc = s.stop()
        s.cleanup()
        shutil.rmtree(root, ignore_errors=True)
    eq(rc, 0, "server exit code")


def leader_addresses(s, scope):
    """(ip, targetRef name, ports) of each address of the leader Endpoints."""
    ep = json.loads(s.kubectl("get", "endpoints", scope, "-o", "json").stdout)
    return [(a["ip"], (a.get("targetRef") or {}).get("name"), [p["port"] for p in sub["ports"]])
            for sub in ep.get("subsets") or [] for a in sub.get("addresses") or []]


def check_objects(s, scope, kind, leader, replica, ips, use_endpoints):
    """What Patroni keeps in k1s besides the leader key."""
    def get(k, n):
        return json.loads(s.kubectl("get", k, n, "-o", "json").stdout)
    obj = get(kind, scope + "-config")
    eq("config" in (obj["metadata"].get("annotations") or {}), True,
       "the dynamic configuration in %s/%s-config" % (kind, scope))
    eq(obj["metadata"]["labels"], {"application": "patroni", "cluster-name": scope},
       "Patroni's labels on %s-config" % scope)
    if use_endpoints:
        get("service", scope + "-config")  # Patroni keeps its config Endpoints alive with one
        want = [(ips[leader.name], leader.name, [leader.pg_port])]
        wait_for("the leader Endpoints at the primary's pod %s" % (want,),
                 lambda: leader_addresses(s, scope) == want, timeout=15)

    def roles():
        pods = {p["metadata"]["name"]: p for p in get("pods", "-l=cluster-name=" + scope)["items"]}
        return (pods[leader.name]["metadata"]["labels"].get("role"),
                pods[replica.name]["metadata"]["labels"].get("role"),
                "status" in (pods[replica.name]["metadata"].get("annotations") or {}))
    wait_for("role labels on the pods", lambda: roles() == ("master", "replica", True),
             timeout=30)


@case
def test_patroni_endpoints(shared):
    run_patroni(shared, use_endpoints=True)


@case
def test_patroni_configmaps(shared):
    run_patroni(shared, use_endpoints=False)
