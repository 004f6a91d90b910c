#!/usr/bin/python3
"""The official Python client's streams against a running pod: exec over
WebSocket v4.channel.k8s.io (output, interactive stdin with stdout and
stderr apart, the status channel, exit codes) and port-forward over
WebSocket. Usage: python_streams.py POD CONTAINER (KUBECONFIG set);
the container serves HTTP on port 80 and has sh."""
import json
import sys
import time

from kubernetes import client, config
from kubernetes.stream import portforward, stream
from kubernetes.stream.ws_client import ERROR_CHANNEL


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


def main():
    pod, container = sys.argv[1], sys.argv[2]
    config.load_kube_config()
    api = client.CoreV1Api()
    out = stream(api.connect_get_namespaced_pod_exec, pod, "default", container=container,
                 command=["sh", "-c", "for i in 1 2 3; do echo $i; done"],
                 stderr=False, stdin=False, stdout=True, tty=False)
    check(out == "1\n2\n3\n", "exec output (%r)" % out)
    s = stream(api.connect_post_namespaced_pod_exec, pod, "default", container=container,
               command="sh", stderr=True, stdin=True, stdout=True, tty=False,
               _preload_content=False)
    s.write_stdin("echo to-out\n")
    check(s.readline_stdout(timeout=10) == "to-out", "stdin reaches sh, stdout comes back")
    s.write_stdin("echo to-err >&2\n")
    check(s.readline_stderr(timeout=10) == "to-err", "stderr apart")
    s.write_stdin("exit\n")
    status, end = "", time.time() + 10
    while not status and time.time() < end:
        s.update(timeout=1)
        status = s.read_channel(ERROR_CHANNEL)
    check(json.loads(status or "{}").get("status") == "Success", "status channel: %r" % status)
    for command, want in ((["false"], 1), (["sh", "-c", "exit 3"], 3), (["true"], 0)):
        c = stream(api.connect_get_namespaced_pod_exec, pod, "default", container=container,
                   command=command, stderr=True, stdin=False, stdout=True, tty=False,
                   _preload_content=False)
        c.run_forever(timeout=10)
        check(c.returncode == want, "exit code of %s: %s" % (command, c.returncode))
    pf = portforward(api.connect_get_namespaced_pod_portforward, pod, "default", ports="80")
    sock = pf.socket(80)
    sock.setblocking(True)
    sock.sendall(b"GET /whoami.html HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        d = sock.recv(4096)
        if not d:
            break
        data += d
    sock.close()
    check(data.startswith(b"HTTP/1.1 200") and data.rstrip().endswith(b"im 0"),
          "port-forward over WebSocket: %r" % data[-40:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
