"""Starts a k1s server on a free port and a temporary data directory, and
runs kubectl against it. Used by the conformance suite and the benchmarks."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"
SCENARIO = os.environ.get(
    "K1S_SCENARIO",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "statefulset"))


def kubectl_versions():
    """Every kubectl.1.NN installed, oldest first."""
    found = []
    for name in os.listdir(KUBECTL_DIR):
        if name.startswith("kubectl.1."):
            found.append((int(name.split(".")[2]), os.path.join(KUBECTL_DIR, name)))
    return [path for _, path in sorted(found)]


def default_kubectl():
    versions = kubectl_versions()
    return versions[-1] if versions else shutil.which("kubectl")


class Server:
    def __init__(self, binary, extra=(), data_dir=None):
        self.binary = binary
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="k1s-conf-")
        self.extra = list(extra)
        self.proc = None
        self.url = None
        self.kubeconfig = None

    def start(self, timeout=20):
        log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [self.binary, "server", "--data-dir", self.data_dir, "--port", "0",
             "--kubelet", "none"] + self.extra,
            stdout=subprocess.PIPE, stderr=log, text=True)
        deadline = time.time() + timeout
        lines = []
        while time.time() < deadline and len(lines) < 2:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        if len(lines) < 2 or not lines[0].startswith("export KUBECONFIG="):
            self.stop()
            raise RuntimeError("k1s did not start: %r; log: %s" % (lines, self.log()))
        self.kubeconfig = lines[0].split("=", 1)[1]
        self.url = lines[1]
        return self

    def log(self):
        try:
            with open(os.path.join(self.data_dir, "server.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        """Stops the server; returns its exit code (sanitizer reports fail it)."""
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        elif self.proc:
            rc = self.proc.returncode
        return rc

    def cleanup(self):
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kubectl(self, *args, kubectl=None, input=None, env=None, check=True, timeout=60):
        cmd = [kubectl or default_kubectl(), "--kubeconfig", self.kubeconfig] + list(args)
        full_env = dict(os.environ)
        full_env.pop("KUBECONFIG", None)
        if env:
            full_env.update(env)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                           env=full_env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                           p.stdout, p.stderr))
        return p
