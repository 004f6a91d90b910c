#!/usr/bin/env python3
"""A minimal CRI v1 client for script tests: a few RuntimeService calls,
protobuf encoded by hand (field numbers from the published CRI API), sent as
gRPC over HTTP/2 by the curl command on containerd's UNIX socket.

    CRI_SOCK=/path/containerd.sock cri_tool.py runp NAME LOGDIR HOSTPORT
    ... create POD NAME LOGDIR HOSTPORT CNAME IMAGE [COMMAND...] | start CID
    ... exec CID ARGV... | podip POD | stopp POD | rmp POD
Prints the new id (runp, create), the pod IP (podip) or the exec output;
exits non-zero with the gRPC status when a call fails.
"""
import os
import struct
import subprocess
import sys
import tempfile


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def fld(num, val):
    """One protobuf field: int -> varint, str/bytes -> length-delimited."""
    if isinstance(val, int):
        return varint(num << 3) + varint(val)
    if isinstance(val, str):
        val = val.encode()
    return varint(num << 3 | 2) + varint(len(val)) + val


def read_varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def parse(buf):
    """Top-level fields of a message as a dict (last value wins)."""
    out, i = {}, 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        wt = key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        else:  # fixed64 / fixed32
            n = 8 if wt == 1 else 4
            v, i = buf[i:i + n], i + n
        out[key >> 3] = v
    return out


def call(method, msg):
    body = b"\0" + struct.pack(">I", len(msg)) + msg
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        r = subprocess.run(
            ["curl", "-sS", "--http2-prior-knowledge", "--unix-socket", os.environ["CRI_SOCK"],
             "-H", "content-type: application/grpc", "-H", "te: trailers",
             "--data-binary", "@" + f.name, "-D", "/dev/stderr",
             "http://localhost/runtime.v1.RuntimeService/" + method],
            capture_output=True)
    headers = r.stderr.decode(errors="replace")
    if "grpc-status: 0" not in headers:
        sys.exit(f"{method} failed: {headers.strip()}")
    return r.stdout[5:]


def sandbox_config(name, log_dir, hostport):
    meta = fld(1, name) + fld(2, "uid-" + name) + fld(3, "default") + fld(4, 0)
    cfg = fld(1, meta) + fld(2, name) + fld(3, log_dir)
    if hostport:  # PortMapping{protocol TCP, container_port 80, host_port}
        cfg += fld(5, fld(1, 0) + fld(2, 80) + fld(3, hostport))
    return cfg


def main(argv):
    cmd, a = argv[0], argv[1:]
    if cmd == "runp":
        resp = call("RunPodSandbox", fld(1, sandbox_config(a[0], a[1], int(a[2]))))
        print(parse(resp)[1].decode())
    elif cmd == "create":
        pod, name, log_dir, hp, cname, image = a[:6]
        cc = fld(1, fld(1, cname) + fld(2, 0)) + fld(2, fld(1, image)) + fld(11, cname + ".log")
        cc += b"".join(fld(3, x) for x in a[6:])  # optional command
        msg = fld(1, pod) + fld(2, cc) + fld(3, sandbox_config(name, log_dir, int(hp)))
        print(parse(call("CreateContainer", msg))[1].decode())
    elif cmd == "start":
        call("StartContainer", fld(1, a[0]))
    elif cmd == "exec":
        msg = fld(1, a[0]) + b"".join(fld(2, x) for x in a[1:]) + fld(3, 10)
        resp = parse(call("ExecSync", msg))
        sys.stdout.write(resp.get(1, b"").decode())
        sys.stderr.write(resp.get(2, b"").decode())
        return resp.get(3, 0)
    elif cmd == "podip":
        status = parse(parse(call("PodSandboxStatus", fld(1, a[0])))[1])
        print(parse(status[5])[1].decode())
    elif cmd == "stopp":
        call("StopPodSandbox", fld(1, a[0]))
    elif cmd == "rmp":
        call("RemovePodSandbox", fld(1, a[0]))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
