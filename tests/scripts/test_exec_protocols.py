#!/usr/bin/env python3
"""test_exec_protocols.py - kubectl exec, attach and cp against a running k1s
with every kubectl release 1.27-1.33, checking both streaming paths of the
API server: kubectl >= 1.30 speaks WebSocket v5.channel.k8s.io (bridged to
SPDY towards containerd), older ones SPDY/3.1 (proxied as it is).

Environment:
  K1S_KUBECONFIG   kubeconfig of the server under test (required)
  K1S_POD          a running pod of the nginx-slim image (sh, bash, cat, tar)
                   in K1S_NAMESPACE (default "default") (required)
  K1S_KUBECTL_DIR  where kubectl.1.NN live (default /usr/lib/google-cloud-sdk/bin)
  K1S_KUBECTL_VERSIONS  e.g. "27 30 33" (default: 27 to 33, those present)

For attach the script creates a pod of the same image next to K1S_POD
(stdin open, printing "tick" and echoing its input) and deletes it at the
end. Exit 0 when every check passed, 1 otherwise, 77 (skip) when the
environment is missing.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

ATTACH_POD = "exec-protocols-attach"
failures = []


def log(msg):
    print(msg, flush=True)


def check(ok, what):
    log(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


class Kubectl:
    def __init__(self, path, kubeconfig, ns):
        self.path, self.ns = path, ns
        self.env = dict(os.environ, KUBECONFIG=kubeconfig)

    def argv(self, *args):
        return [self.path, "-n", self.ns, *args]

    def run(self, *args, stdin=b"", timeout=60):
        """(rc, stdout, stderr); rc None on a timeout."""
        try:
            p = subprocess.run(self.argv(*args), input=stdin, capture_output=True,
                               env=self.env, timeout=timeout)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            return None, e.stdout or b"", e.stderr or b""


def protocol_of(k, pod):
    """Which streaming protocol kubectl ended up using for an exec."""
    _, _, err = k.run("-v=8", "exec", pod, "--", "true")
    text = err.decode(errors="replace")
    if "The subprotocol is v5.channel.k8s.io" in text and "fallback" not in text.lower():
        return "websocket"
    if "SPDY/3.1" in text:
        return "spdy"
    return "unknown"


def check_exec(k, pod, tag):
    rc, out, err = k.run("exec", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    check(rc == 3 and out == b"out\n" and b"err" in err,
          f"{tag} exec exit code 3, stdout and stderr apart (rc={rc} out={out!r})")
    rc, out, _ = k.run("exec", "-i", pod, "--", "cat", stdin=b"hi\n", timeout=30)
    check(rc == 0 and out == b"hi\n", f"{tag} exec -i: stdin reaches cat and its end ends it (rc={rc} out={out!r})")
    data = os.urandom(300 * 1024)
    rc, out, _ = k.run("exec", "-i", pod, "--", "sh", "-c", "cat > /tmp/k1s-proto.bin; wc -c < /tmp/k1s-proto.bin",
                       stdin=data, timeout=60)
    check(rc == 0 and out.strip() == str(len(data)).encode(), f"{tag} exec -i: 300 KiB of stdin arrive (rc={rc} out={out!r})")
    rc, out, _ = k.run("exec", pod, "--", "cat", "/tmp/k1s-proto.bin", timeout=60)
    check(rc == 0 and out == data, f"{tag} exec: 300 KiB of stdout come back intact (rc={rc} got {len(out)} bytes)")


def check_cp(k, pod, tag):
    with tempfile.TemporaryDirectory(prefix="k1s-proto-") as d:
        src, back = os.path.join(d, "src.bin"), os.path.join(d, "back.bin")
        data = os.urandom(200 * 1024)
        with open(src, "wb") as f:
            f.write(data)
        rc, _, err = k.run("cp", src, f"{k.ns}/{pod}:/tmp/k1s-proto-cp.bin", timeout=60)
        check(rc == 0, f"{tag} cp into the pod (rc={rc} {err[-200:]!r})")
        rc, _, err = k.run("cp", f"{k.ns}/{pod}:/tmp/k1s-proto-cp.bin", back, timeout=60)
        same = os.path.exists(back) and open(back, "rb").read() == data
        check(rc == 0 and same, f"{tag} cp out of the pod, same bytes (rc={rc} {err[-200:]!r})")


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def read_until(fd, needle, seconds, buf):
    end = time.time() + seconds
    while needle not in buf[0]:
        left = end - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        buf[0] += chunk
    return True


def shell_sees_size(fd, rows, cols, buf):
    """Ask bash for its size until it reports rows x cols: a resize reaches
    it asynchronously (kubectl, then the runtime, then SIGWINCH)."""
    want = f"size={rows},{cols}".encode()
    for _ in range(15):
        os.write(fd, b'echo "size=$LINES,$COLUMNS"\n')
        if read_until(fd, want, 1, buf):
            return True
    return False


def check_tty(k, pod, tag):
    """exec -it bash under a pseudo-terminal: size, resize, exit code."""
    pid, fd = pty.fork()
    if pid == 0:
        # The size is set before kubectl starts: set later, it races kubectl's
        # first read of the size and its SIGWINCH handler's installation.
        set_size(0, 30, 100)
        os.environ.update(k.env)
        os.execv(k.path, k.argv("exec", "-it", pod, "--", "bash"))
    buf = [b""]
    try:
        check(shell_sees_size(fd, 30, 100, buf), f"{tag} exec -it: the terminal has kubectl's size")
        set_size(fd, 40, 120)  # the kernel sends kubectl SIGWINCH
        check(shell_sees_size(fd, 40, 120, buf), f"{tag} exec -it: a resize reaches the shell")
        os.write(fd, b"exit 7\n")
        end, status = time.time() + 20, None
        while status is None and time.time() < end:
            read_until(fd, b"\0never", 0.2, buf)  # keep the pty drained
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid:
                status = os.waitstatus_to_exitcode(st)
        check(status == 7, f"{tag} exec -it: the shell's exit code comes back (got {status})")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


def check_attach(k, tag):
    p = subprocess.Popen(k.argv("attach", "-i", ATTACH_POD), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=k.env)
    try:
        p.stdin.write(b"hello\n")
        p.stdin.flush()
        buf = [b""]
        got = read_until(p.stdout.fileno(), b"got:hello", 20, buf)
        check(got, f"{tag} attach -i: stdin reaches the container, its answer comes back")
        tick = b"tick" in buf[0] or read_until(p.stdout.fileno(), b"tick", 5, buf)
        check(tick, f"{tag} attach: the container's running output is shown")
    finally:
        p.kill()
        p.communicate()


def make_attach_pod(k, pod):
    rc, image, _ = k.run("get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}")
    rc2, hostnet, _ = k.run("get", "pod", pod, "-o", "jsonpath={.spec.hostNetwork}")
    if rc or rc2:
        return False
    manifest = f"""apiVersion: v1
kind: Pod
metadata:
  name: {ATTACH_POD}
spec:
  hostNetwork: {"true" if hostnet.strip() == b"true" else "false"}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: {image.decode()}
    imagePullPolicy: IfNotPresent
    stdin: true
    command: ["bash", "-c", "while true; do echo tick; sleep 1; done & while read l; do echo got:$l; done"]
"""
    k.run("delete", "pod", ATTACH_POD, "--ignore-not-found", "--wait=true", timeout=60)
    rc, _, err = k.run("apply", "-f", "-", stdin=manifest.encode())
    if rc:
        log(f"cannot create {ATTACH_POD}: {err.decode(errors='replace')}")
        return False
    rc, _, _ = k.run("wait", "--for=condition=Ready", f"pod/{ATTACH_POD}", "--timeout=60s", timeout=70)
    return rc == 0


def main():
    kubeconfig, pod = os.environ.get("K1S_KUBECONFIG"), os.environ.get("K1S_POD")
    ns = os.environ.get("K1S_NAMESPACE", "default")
    kdir = os.environ.get("K1S_KUBECTL_DIR", "/usr/lib/google-cloud-sdk/bin")
    versions = os.environ.get("K1S_KUBECTL_VERSIONS", "27 28 29 30 31 32 33").split()
    if not kubeconfig or not pod:
        log("SKIP: set K1S_KUBECONFIG and K1S_POD (a running nginx-slim pod) to run these checks")
        return 77
    kubectls = [(int(v), os.path.join(kdir, f"kubectl.1.{v}")) for v in versions]
    kubectls = [(v, p) for v, p in kubectls if os.access(p, os.X_OK)]
    if not kubectls:
        log(f"SKIP: no kubectl.1.NN in {kdir}")
        return 77
    newest = Kubectl(kubectls[-1][1], kubeconfig, ns)
    have_attach = make_attach_pod(newest, pod)
    check(have_attach, f"the attach pod {ATTACH_POD} runs")
    try:
        for v, path in kubectls:
            k, tag = Kubectl(path, kubeconfig, ns), f"kubectl 1.{v}:"
            want = "websocket" if v >= 30 else "spdy"
            got = protocol_of(k, pod)
            check(got == want, f"{tag} exec uses {want} (got {got})")
            check_exec(k, pod, tag)
            check_cp(k, pod, tag)
            check_tty(k, pod, tag)
            if have_attach:
                check_attach(k, tag)
    finally:
        newest.run("delete", "pod", ATTACH_POD, "--ignore-not-found", "--wait=false")
        newest.run("exec", pod, "--", "rm", "-f", "/tmp/k1s-proto.bin", "/tmp/k1s-proto-cp.bin")
    log(f"{len(failures)} check(s) failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
