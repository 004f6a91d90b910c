"""Process plumbing shared by the benchmarks: starting k1s servers, keeping
track of every child process so that each one is ended on exit (also on
Ctrl-C), reading /proc figures, and installing the Debian tools (wrk, nginx)
when they are missing. Imported by bench/run.py and the b_*.py sections."""
import os
import re
import select
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import tempfile
import time


class Children:
    """Every process the benchmark starts, so that a failure or an interrupt
    in any section still ends all of them. Each child gets its own session
    (process group), which lets us end a server together with any workers it
    forked (nginx) by the group id we were given at start."""

    def __init__(self):
        self.procs = []

    def spawn(self, argv, **kw):
        proc = subprocess.Popen(argv, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        """Ends one child politely, then by force; returns its exit code."""
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            # the leader is not reaped yet, so its group id is still ours:
            # this also ends any worker it forked (nginx)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait(timeout=timeout)
        if proc in self.procs:
            self.procs.remove(proc)
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            if stream:
                stream.close()
        return proc.returncode

    def stop_all(self):
        for proc in list(self.procs):
            try:
                self.stop(proc, timeout=5)
            except Exception:  # keep going: every child must be ended
                pass


def exit_on_signals():
    """SIGTERM/SIGHUP unwind like Ctrl-C does, so `finally` blocks run."""
    def handler(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def raise_fd_limit():
    """Two thousand watchers need more descriptors than the usual 1024."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        return None


def free_port():
    """A loopback port that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    """Loopback only, and the server's certificate is self-signed: the
    figures are about speed, so the client does not verify it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def proc_status(pid):
    """VmRSS/VmHWM in KiB and Threads from /proc/PID/status."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def median(values):
    return statistics.median(values) if values else None


def ensure_tool(name, package, log):
    """The path of a tool, installing its Debian package when missing (the
    benchmark needs root for that; without it the section is skipped)."""
    path = shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name)
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log("  %s is missing and cannot be installed here (apt-get as root)" % name)
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for attempt in range(2):
        if attempt:
            log("  apt-get update")
            subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300)
        log("  apt-get install -y %s" % package)
        p = subprocess.run(["apt-get", "install", "-y", package], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        if p.returncode == 0:
            break
    return shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name) or None


class K1s:
    """One k1s server on loopback. `memory` keeps the store in memory (the
    kubeconfig then goes to a file in the work directory)."""

    def __init__(self, children, binary, workdir, memory=False, port=0, extra=()):
        self.children = children
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="k1s-bench-", dir=workdir)
        self.memory = memory
        self.port = port
        self.extra = list(extra)
        self.proc = None
        self.url = None
        self.token = None
        self.log_path = os.path.join(self.dir, "server.log")

    def argv(self):
        data = os.path.join(self.dir, "data")
        argv = [self.binary, "server", "--port", str(self.port), "--kubelet", "none"]
        if self.memory:
            argv += ["--data-dir", ":memory:", "--kubeconfig-out",
                     os.path.join(self.dir, "kubeconfig")]
        else:
            argv += ["--data-dir", data]
        return argv + self.extra

    def kubeconfig_path(self):
        if self.memory:
            return os.path.join(self.dir, "kubeconfig")
        return os.path.join(self.dir, "data", "kubeconfig")

    def spawn(self):
        """Starts the process without waiting for it (for the cold start)."""
        log = open(self.log_path, "ab")
        try:
            self.proc = self.children.spawn(self.argv(), stdout=subprocess.PIPE,
                                            stderr=log, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        return self.proc

    def read_banner(self, deadline):
        """Reads the two stdout lines (export KUBECONFIG=..., the URL);
        returns the time the URL line arrived, or raises after the deadline."""
        buf = b""
        fd = self.proc.stdout.fileno()
        while buf.count(b"\n") < 2:
            left = deadline - time.perf_counter()
            if left <= 0 or self.proc.poll() is not None:
                raise RuntimeError("k1s did not print its URL: %r\n%s" % (buf, self.log()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise RuntimeError("k1s closed stdout: %r\n%s" % (buf, self.log()))
                buf += chunk
        when = time.perf_counter()
        lines = buf.decode().splitlines()
        self.url = lines[1].strip()
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        return when

    def load_token(self):
        with open(self.kubeconfig_path()) as f:
            m = re.search(r"^\s*token:\s*(\S+)", f.read(), re.M)
        if not m:
            raise RuntimeError("no token in %s" % self.kubeconfig_path())
        self.token = m.group(1)
        return self.token

    def start(self, timeout=20):
        self.spawn()
        self.read_banner(time.perf_counter() + timeout)
        self.load_token()
        return self

    def data_dir(self):
        return None if self.memory else os.path.join(self.dir, "data")

    def status(self):
        return proc_status(self.proc.pid)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        rc = None
        if self.proc:
            rc = self.children.stop(self.proc)
            self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
