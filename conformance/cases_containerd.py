"""The reference scenario (examples/statefulset/README.md) with real containers:
k1s starts its own containerd, runs the stand-in nginx image built offline by
scripts/build-nginx-image.sh, and real kubectl execs into the pods, reads
their logs, and curl reaches them through the NodePort. Needs root (CI runs
as root); elsewhere it says loudly that it did not run."""
import os
import pty
import select
import socket
import subprocess
import tempfile
import time

from k1s_fixture import Server, default_kubectl, kubectl_versions
from casekit import (SC, STS, eq, contains, check_layout, collector, deb_version, jget, record,
                     wait_for)
from cases_scenario import PodWatch, ready_count

TESTS, case = collector()

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NODE_PORT = 30080
PODS = ["nginx-statefulset-%d" % i for i in range(3)]


def skip_reason():
    # for runs beside another that has the host's k1s0 bridge and NodePorts
    if os.environ.get("K1S_NO_CONTAINERD"):
        return "K1S_NO_CONTAINERD is set"
    if os.geteuid() != 0:
        return "not running as root"
    for tool in ("containerd", "runc"):
        if not any(os.access(os.path.join(d, tool), os.X_OK)
                   for d in os.environ.get("PATH", "/usr/bin").split(":") + ["/usr/sbin"]):
            return "%s is not installed" % tool
    return None


def curl(path="/whoami.html", port=NODE_PORT):
    p = subprocess.run(["curl", "-sS", "--max-time", "5", "http://localhost:%d%s" % (port, path)],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "curl failed: %s" % p.stderr.strip()


def read_until(fd, marker, timeout):
    """Reads a pseudo-terminal until marker shows up; returns what was read."""
    buf = b""
    deadline = time.time() + timeout
    while marker not in buf:
        left = deadline - time.time()
        if left <= 0:
            raise AssertionError("no %r on the terminal, got %r" % (marker, buf[-400:]))
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def exec_interactive(s, pod, line, kubectl=None):
    """`kubectl exec -it POD -c nginx -- bash` under a pseudo-terminal, as a
    user types it: waits for the prompt, types line, then exit."""
    kc = kubectl or default_kubectl()
    pid, fd = pty.fork()
    if pid == 0:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env["TERM"] = "xterm"
        os.execve(kc, [kc, "--kubeconfig", s.kubeconfig, "exec", "-it", pod, "-c", "nginx",
                       "--", "bash"], env)
    try:
        prompt = ("root@%s:/#" % pod).encode()
        read_until(fd, prompt, 30)
        os.write(fd, line.encode() + b"\n")
        out = read_until(fd, prompt, 15)
        os.write(fd, b"exit\n")
        deadline = time.time() + 15
        while time.time() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return out, os.waitstatus_to_exitcode(status)
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    os.read(fd, 4096)
                except OSError:
                    pass
        raise AssertionError("kubectl exec -it did not end after exit")
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def port_forward(s, pod, kubectl):
    """`kubectl port-forward pod/POD PORT:80`; returns what curl gets
    through it (SPDY for kubectl < 1.31, WebSocket tunnelling falling back
    to SPDY after)."""
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    pf = subprocess.Popen([kubectl, "--kubeconfig", s.kubeconfig, "port-forward",
                           "pod/" + pod, "%d:80" % port], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env)
    try:
        r, _, _ = select.select([pf.stdout], [], [], 30)
        line = pf.stdout.readline() if r else ""
        if "Forwarding from" not in line:
            raise AssertionError("kubectl port-forward did not start: %r" % line)
        return curl("/whoami.html", port=port)
    finally:
        pf.terminate()
        pf.wait(timeout=10)


def three_curls():
    return [curl() for _ in range(3)]


def containers_left(s):
    """Containers and sandboxes containerd still has in k1s's namespace."""
    sock = os.path.join(s.data_dir, "containerd", "containerd.sock")
    p = subprocess.run(["ctr", "--address", sock, "-n", "k8s.io", "containers", "ls", "-q"],
                       capture_output=True, text=True)
    return [l for l in p.stdout.split() if l]


def build_image(images_dir):
    os.makedirs(images_dir, exist_ok=True)
    cached = os.environ.get("K1S_NGINX_IMAGE")
    out = os.path.join(images_dir, "nginx-slim.tar")
    if cached and os.path.exists(cached):
        os.link(cached, out) if os.stat(cached).st_dev == os.stat(images_dir).st_dev \
            else subprocess.run(["cp", cached, out], check=True)
        return
    subprocess.run([os.path.join(ROOT, "scripts", "build-nginx-image.sh"), out],
                   check=True, capture_output=True)


@case
def test_scenario_with_real_containers(shared):
    why = skip_reason()
    if why:
        print("!" * 72)
        print("!!! SKIPPED: the scenario with real containers did not run: %s" % why)
        print("!" * 72)
        return
    data_dir = tempfile.mkdtemp(prefix="k1s-ctr-")
    build_image(os.path.join(data_dir, "images"))
    s = Server(shared.binary, extra=["--kubelet", "containerd"], data_dir=data_dir)
    s.start(timeout=120)
    w = None
    try:
        w = PodWatch(s)
        time.sleep(0.3)
        # 1. apply
        eq(s.kubectl("apply", "-f", SC).stdout.strip(),
           "storageclass.storage.k8s.io/test-storage-class created")
        s.kubectl("apply", "-f", STS)
        wait_for("3/3 ready with real containers", lambda: ready_count(s) == 3, timeout=120)
        added = [n for t, n, _ in w.events if t == "ADDED"]
        eq(added[:3], PODS, "creation order")
        # 2. look
        check_layout(s.kubectl("get", "pods").stdout, "NAME READY STATUS RESTARTS AGE",
                     [[p, "1/1", "Running", "0"] for p in PODS])
        pod0 = jget(s, "get", "pod", PODS[0])
        st = pod0["status"]
        contains(st.get("podIP", ""), "10.244.0.", "pod IP from the pod CIDR")
        cs = st["containerStatuses"][0]
        eq(cs["name"], "nginx")
        eq(cs["ready"], True, "container ready")
        contains(cs.get("containerID", ""), "containerd://", "containerID")
        eq(cs["image"], "k8s.gcr.io/nginx-slim:0.8", "image")
        # 3. write into each pod's volume: pod 0 as a user types it, under a
        # terminal; pods 1 and 2 non-interactively
        out, rc = exec_interactive(s, PODS[0], 'echo "im 0" > /usr/share/nginx/html/whoami.html')
        eq(rc, 0, "exit code of the interactive exec")
        for i in (1, 2):
            s.kubectl("exec", PODS[i], "-c", "nginx", "--", "sh", "-c",
                      'echo "im %d" > /usr/share/nginx/html/whoami.html' % i)
        # exit codes and stdin pass through
        p = s.kubectl("exec", PODS[0], "-c", "nginx", "--", "sh", "-c", "exit 3", check=False)
        eq(p.returncode, 3, "exit code passed through")
        p = s.kubectl("exec", "-i", PODS[0], "-c", "nginx", "--", "cat", input="from stdin\n")
        eq(p.stdout, "from stdin\n", "stdin passed through")
        # every kubectl version reaches the container (SPDY or WebSocket)
        for kc in kubectl_versions():
            p = s.kubectl("exec", PODS[1], "-c", "nginx", "--", "cat",
                          "/usr/share/nginx/html/whoami.html", kubectl=kc)
            eq(p.stdout.strip(), "im 1", "exec with %s" % os.path.basename(kc))
        # stdin close, cp, attach and a terminal with every kubectl (WebSocket
        # v5 for 1.30+, SPDY before): long, so only in the --all-kubectl run
        if os.environ.get("K1S_EXEC_PROTOCOLS") == "1":
            env = dict(os.environ, K1S_KUBECONFIG=s.kubeconfig, K1S_POD=PODS[2])
            p = subprocess.run(["python3", os.path.join(ROOT, "tests", "scripts",
                                                        "test_exec_protocols.py")],
                               env=env, capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                raise AssertionError("exec protocols:\n" + p.stdout[-3000:] + p.stderr[-2000:])
            wait_for("the attach pod gone", lambda: len(jget(s, "get", "pods")["items"]) == 3)
        # 4. the NodePort answers from each pod in turn
        eq(three_curls(), ["im 0", "im 1", "im 2"], "NodePort round-robin")
        for kc in (kubectl_versions()[0], kubectl_versions()[-1]):
            eq(port_forward(s, PODS[0], kc), "im 0",
               "port-forward with %s" % os.path.basename(kc))
        # the official Python client: exec over v4.channel.k8s.io and
        # port-forward over WebSocket
        p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "clients",
                                                             "python_streams.py"),
                            PODS[0], "nginx"], env=dict(os.environ, KUBECONFIG=s.kubeconfig),
                           capture_output=True, text=True, timeout=120)
        eq(p.returncode, 0, "python client streams:\n" + p.stdout + p.stderr[-2000:])
        record("python3-kubernetes streams", deb_version("python3-kubernetes"), p.stdout)
        logs = s.kubectl("logs", PODS[0], "-c", "nginx").stdout
        contains(logs, "GET /whoami.html", "nginx's access log through kubectl logs")
        # 5. scale down: only pod 0 answers
        s.kubectl("scale", "--replicas=1", "statefulset", "nginx-statefulset")
        wait_for("only pod 0", lambda: [p["metadata"]["name"] for p in
                                        jget(s, "get", "pods")["items"]] == [PODS[0]],
                 timeout=90)
        eq(three_curls(), ["im 0"] * 3, "only pod 0 answers")
        # 6. scale up: the retained claims come back with their data
        s.kubectl("scale", "--replicas=3", "statefulset", "nginx-statefulset")
        wait_for("3/3 ready again", lambda: ready_count(s) == 3, timeout=120)
        eq(three_curls(), ["im 0", "im 1", "im 2"], "NodePort after scaling up")
        out, rc = exec_interactive(s, PODS[1], "cat /usr/share/nginx/html/whoami.html")
        contains(out.decode(errors="replace"), "im 1", "data kept in the retained volume")
        # delete everything: nothing is left behind
        s.kubectl("delete", "-f", STS)
        wait_for("pods gone", lambda: not jget(s, "get", "pods")["items"], timeout=90)
        s.kubectl("delete", "pvc", "--all")
        s.kubectl("delete", "pv", "--all")
        s.kubectl("delete", "-f", SC)
        wait_for("no containers left", lambda: containers_left(s) == [], timeout=30)
    finally:
        if w:
            w.stop()
        rc = s.stop()
        subprocess.run([os.path.join(ROOT, "scripts", "k1s-cleanup.sh"), data_dir],
                       capture_output=True)
        mounts = [l for l in open("/proc/mounts").read().splitlines() if data_dir in l]
        subprocess.run(["rm", "-rf", data_dir])
    eq(rc, 0, "server exit code")
    eq(mounts, [], "mounts left under the data directory")


def containerd_pid(s):
    with open(os.path.join(s.data_dir, "containerd", "containerd.pid")) as f:
        return int(f.read().split()[0])


def node_ready(s):
    nodes = jget(s, "get", "nodes")["items"]
    return bool(nodes) and any(c["type"] == "Ready" and c["status"] == "True"
                               for c in nodes[0]["status"]["conditions"])


def container_ids(s):
    return {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["containerID"]
            for p in jget(s, "get", "pods", "-l", "app=nginx")["items"]}


def waiting_reason(s, pod):
    st = jget(s, "get", "pod", pod)["status"]
    for cs in st.get("containerStatuses", []):
        w = cs.get("state", {}).get("waiting")
        if w:
            return w.get("reason")
    return None


BAD_PODS = """
apiVersion: v1
kind: Pod
metadata: {name: no-such-image}
spec:
  containers: [{name: c, image: "registry.invalid/nothing:1"}]
---
apiVersion: v1
kind: Pod
metadata: {name: exits-at-once}
spec:
  containers: [{name: c, image: "k8s.gcr.io/nginx-slim:0.8", command: ["sh", "-c", "exit 1"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: missing-path}
spec:
  containers: [{name: c, image: "k8s.gcr.io/nginx-slim:0.8"}]
  volumes: [{name: v, hostPath: {path: /nonexistent/k1s-test, type: Directory}}]
"""


@case
def test_faults_with_real_containers(shared):
    """containerd killed mid-scale, k1s killed with pods running, pods that
    cannot run, a Job to Complete: clear statuses, recovery by itself,
    nothing stray."""
    why = skip_reason()
    if why:
        print("!!! SKIPPED: faults with real containers did not run: %s" % why)
        return
    data_dir = tempfile.mkdtemp(prefix="k1s-ctr-")
    build_image(os.path.join(data_dir, "images"))
    s = Server(shared.binary, extra=["--kubelet", "containerd"], data_dir=data_dir)
    s.start(timeout=120)
    try:
        s.kubectl("apply", "-f", SC)
        s.kubectl("apply", "-f", STS)
        wait_for("3/3 ready", lambda: ready_count(s) == 3, timeout=120)
        # containerd killed in the middle of a scale-down
        s.kubectl("scale", "--replicas=1", "statefulset", "nginx-statefulset")
        os.kill(containerd_pid(s), 9)
        wait_for("only pod 0 after containerd came back",
                 lambda: [p["metadata"]["name"] for p in jget(s, "get", "pods")["items"]]
                 == [PODS[0]], timeout=120)
        wait_for("node Ready again", lambda: node_ready(s), timeout=60)
        s.kubectl("scale", "--replicas=3", "statefulset", "nginx-statefulset")
        wait_for("3/3 ready after the runtime restart", lambda: ready_count(s) == 3, timeout=120)
        for answer in [curl("/") for _ in range(3)]:
            if answer.startswith("curl failed"):
                raise AssertionError("NodePort after the runtime restart: " + answer)
        # k1s killed with pods running: the next k1s adopts them
        before = container_ids(s)
        s.proc.kill()
        s.proc.wait(timeout=10)
        s.start(timeout=120)
        wait_for("3/3 ready after the restart", lambda: ready_count(s) == 3, timeout=60)
        eq(container_ids(s), before, "running containers adopted, not restarted")
        # pods that cannot run say why
        s.kubectl("apply", "-f", "-", input=BAD_PODS)
        wait_for("ErrImagePull", lambda: waiting_reason(s, "no-such-image")
                 in ("ErrImagePull", "ImagePullBackOff"), timeout=60)
        wait_for("CrashLoopBackOff", lambda: waiting_reason(s, "exits-at-once")
                 == "CrashLoopBackOff", timeout=60)
        wait_for("FailedMount event", lambda: "FailedMount" in s.kubectl(
            "get", "events", "--field-selector", "involvedObject.name=missing-path").stdout,
            timeout=30)
        eq(jget(s, "get", "pod", "missing-path")["status"].get("phase"), "Pending",
           "a pod whose volume is missing stays Pending")
        # a Job runs to Complete in a real container
        s.kubectl("create", "job", "real", "--image=k8s.gcr.io/nginx-slim:0.8", "--",
                  "sh", "-c", "echo job-done")
        s.kubectl("wait", "--for=condition=complete", "job/real", "--timeout=90s")
        contains(s.kubectl("logs", "job/real").stdout, "job-done")
        s.kubectl("delete", "job", "real")
        # delete everything: no containers left
        s.kubectl("delete", "pods", "no-such-image", "exits-at-once", "missing-path")
        s.kubectl("delete", "-f", STS)
        wait_for("pods gone", lambda: not jget(s, "get", "pods")["items"], timeout=90)
        wait_for("no containers left", lambda: containers_left(s) == [], timeout=30)
    finally:
        rc = s.stop()
        subprocess.run([os.path.join(ROOT, "scripts", "k1s-cleanup.sh"), data_dir],
                       capture_output=True)
        mounts = [l for l in open("/proc/mounts").read().splitlines() if data_dir in l]
        subprocess.run(["rm", "-rf", data_dir])
    eq(rc, 0, "server exit code")
    eq(mounts, [], "mounts left under the data directory")
