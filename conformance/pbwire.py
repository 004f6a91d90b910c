"""Reading the protobuf wire format in tests: enough to check what k1s
answers to clients that accept application/vnd.kubernetes.protobuf (the
k8s\\0 envelope, list items, watch frames) without any .proto files."""
import struct

MAGIC = b"k8s\x00"


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """[(number, value)]: bytes for length-delimited fields, ints for varints."""
    out, i = [], 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        out.append((num, v))
    return out


def field(b, num, default=None):
    for n, v in fields(b):
        if n == num:
            return v
    return default


def envelope(body):
    """(apiVersion, kind, raw message) of a whole protobuf body."""
    assert body[:4] == MAGIC, body[:16]
    rest = body[4:]
    tm = field(rest, 1, b"")
    return (field(tm, 1, b"").decode(), field(tm, 2, b"").decode(), field(rest, 2, b""))


def watch_frames(data):
    """[(type, apiVersion, kind, raw message)] of a protobuf watch stream."""
    out, i = [], 0
    while i + 4 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        if i + 4 + n > len(data):
            break
        ev = data[i + 4:i + 4 + n]
        i += 4 + n
        obj = field(field(ev, 2, b""), 1, b"")
        out.append((field(ev, 1, b"").decode(),) + envelope(obj))
    return out
