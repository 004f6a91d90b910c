"""Conformance cases: bad input gets kube-apiserver's Status errors, and
nothing already stored changes."""
import base64
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import json
import ssl
import urllib.request
import urllib.error

from casekit import eq, contains, jget, collector

TESTS, case = collector()
CM_PATH = "/api/v1/namespaces/default/configmaps"


def kubeconfig_value(s, key):
    for line in open(s.kubeconfig):
        line = line.strip()
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no %s in kubeconfig" % key)


def token_of(s):
    return kubeconfig_value(s, "token")


def tls_context(s):
    ca = base64.b64decode(kubeconfig_value(s, "certificate-authority-data")).decode()
    return ssl.create_default_context(cadata=ca)


def http(s, method, path, body=None, ctype="application/json", token=True, accept=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(s.url + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if accept:
        req.add_header("Accept", accept)
    if token:
        req.add_header("Authorization", "Bearer " + token_of(s))
    try:
        with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
            raw = r.read()
            ct = r.headers.get("Content-Type", "")
            if ct.startswith("application/json"):
                return r.status, json.loads(raw or b"null")
            if ct.startswith("application/vnd.kubernetes.protobuf"):
                return r.status, raw
            return r.status, raw.decode()
    except urllib.error.HTTPError as e:
        raw = e.read()
        if e.headers.get("Content-Type", "").startswith("application/json"):
            return e.code, json.loads(raw or b"null")
        return e.code, raw.decode()


@case
def test_duplicate_fields(s):
    # kube's strict decoder reports repeated keys like unknown fields
    body = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup-%s",'
            '"labels":{"a":"1","a":"2"}},"data":{"k":"v"},"data":{"k":"w"}}')
    code, st = http(s, "POST", CM_PATH + "?fieldValidation=Strict", body % "strict")
    eq((code, st.get("reason")), (400, "BadRequest"), "Strict refuses them")
    contains(st["message"], 'strict decoding error: duplicate field "metadata.labels.a", '
             'duplicate field "data"', "kube's words, with the field paths")
    eq(http(s, "GET", CM_PATH + "/dup-strict")[0], 404, "nothing created")
    # Warn (the default): created, one Warning header per repeated key
    req = urllib.request.Request(s.url + CM_PATH, data=(body % "warn").encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + token_of(s))
    with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
        eq(r.status, 201, "Warn creates")
        warns = r.headers.get_all("Warning") or []
        created = json.loads(r.read())
    eq(sorted(warns), ['299 - "duplicate field \\"data\\""',
                       '299 - "duplicate field \\"metadata.labels.a\\""'], "the warnings")
    eq((created["data"], created["metadata"]["labels"]), ({"k": "w"}, {"a": "2"}),
       "the last value wins, as in Go")
    code, _ = http(s, "POST", CM_PATH + "?fieldValidation=Ignore", body % "ignore")
    eq(code, 201, "Ignore creates")
    for n in ("warn", "ignore"):
        http(s, "DELETE", CM_PATH + "/dup-" + n)


@case
def test_nul_in_string_values(s):
    # kube's decoder takes \u0000 in any string; only fields with a rule
    # (names, labels) refuse it, quoting it as Go's %q does
    body = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"nul-cm",'
            '"annotations":{"a":"x\\u0000y"}},"data":{"k":"a\\u0000b"}}')
    code, cm = http(s, "POST", CM_PATH, body)
    eq((code, cm["data"]["k"], cm["metadata"]["annotations"]["a"]), (201, "a\0b", "x\0y"),
       "created as sent")
    rv = cm["metadata"]["resourceVersion"]
    eq(http(s, "GET", CM_PATH + "/nul-cm")[1]["data"]["k"], "a\0b", "read back whole")
    items = http(s, "GET", CM_PATH + "?fieldSelector=metadata.name%3Dnul-cm")[1]["items"]
    eq([i["data"]["k"] for i in items], ["a\0b"], "listed whole")
    code, cm = http(s, "PATCH", CM_PATH + "/nul-cm", '{"data":{"m":"\\u0000"}}',
                    ctype="application/merge-patch+json")
    eq((code, cm["data"]), (200, {"k": "a\0b", "m": "\0"}), "merge patch")
    code, cm = http(s, "PATCH", CM_PATH + "/nul-cm", '{"data":{"s":"z\\u0000"}}',
                    ctype="application/strategic-merge-patch+json")
    eq((code, cm["data"]["s"]), (200, "z\0"), "strategic merge patch")
    code, raw = http(s, "GET", CM_PATH + "/nul-cm",
                     accept="application/vnd.kubernetes.protobuf")
    eq((code, b"a\0b" in raw, b"z\0" in raw), (200, True, True), "protobuf carries the bytes")
    req = urllib.request.Request(s.url + CM_PATH + "?watch=1&timeoutSeconds=1&resourceVersion=" +
                                 rv + "&fieldSelector=metadata.name%3Dnul-cm")
    req.add_header("Authorization", "Bearer " + token_of(s))
    with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
        events = [json.loads(l) for l in r.read().splitlines() if l]
    eq([e["object"]["data"].get("s") for e in events], [None, "z\0"], "watch events")
    out = s.kubectl("get", "cm", "nul-cm", "-o", "json").stdout
    eq(json.loads(out)["data"]["k"], "a\0b", "kubectl sees it")
    code, st = http(s, "POST", CM_PATH, '{"apiVersion":"v1","kind":"ConfigMap",'
                    '"metadata":{"name":"nul-lb","labels":{"a":"b\\u0000c"}}}')
    eq((code, st.get("reason")), (422, "Invalid"), "a label value may not hold it")
    contains(st["message"], 'metadata.labels: Invalid value: "b\\x00c": a valid label',
             "quoted as Go quotes it")
    code, st = http(s, "POST", CM_PATH, '{"apiVersion":"v1","kind":"ConfigMap",'
                    '"metadata":{"name":"nul\\u0000x"}}')
    eq((code, st.get("reason")), (422, "Invalid"), "nor a name")
    contains(st["message"], 'metadata.name: Invalid value: "nul\\x00x"', "the name quoted")
    eq(http(s, "GET", CM_PATH + "/nul")[0], 404, "nothing stored under the prefix")
    http(s, "DELETE", CM_PATH + "/nul-cm")


@case
def test_strict_unknown_field(s):
    bad = """apiVersion: v1
kind: ConfigMap
metadata:
  name: strict-cm
datta:
  a: b
"""
    p = s.kubectl("apply", "--validate=strict", "-f", "-", input=bad, check=False)
    eq(p.returncode, 1)
    contains(p.stderr, 'strict decoding error: unknown field "datta"', "strict apply")
    p = s.kubectl("get", "configmap", "strict-cm", check=False)
    eq(p.returncode, 1, "nothing created")


@case
def test_invalid_name(s):
    p = s.kubectl("create", "configmap", "Bad_Name", check=False)
    eq(p.returncode, 1)
    contains(p.stderr, 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
             "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",
             "invalid name")


@case
def test_conflicting_update(s):
    s.kubectl("create", "configmap", "conflicted", "--from-literal=a=1")
    cm = jget(s, "get", "configmap", "conflicted")
    cm["data"]["a"] = "2"
    s.kubectl("replace", "-f", "-", input=json.dumps(cm))
    cm["data"]["a"] = "3"  # still carries the old resourceVersion
    p = s.kubectl("replace", "-f", "-", input=json.dumps(cm), check=False)
    eq(p.returncode, 1)
    contains(p.stderr, 'Operation cannot be fulfilled on configmaps "conflicted": the object has been '
             "modified; please apply your changes to the latest version and try again", "conflict")
    eq(jget(s, "get", "configmap", "conflicted")["data"]["a"], "2")


@case
def test_unauthorized_without_token(s):
    code, body = http(s, "GET", "/api/v1/namespaces", token=False)
    eq(code, 401)
    eq(body["reason"], "Unauthorized")
    code, body = http(s, "GET", "/readyz".replace("/readyz", "/version"), token=False)
    eq(code, 200)


@case
def test_malformed_json_and_mismatches(s):
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps", "{not json")
    eq((code, body["reason"]), (400, "BadRequest"))
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps",
                      '{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}')
    eq((code, body["reason"]), (400, "BadRequest"))
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps",
                      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"kube-system"}}')
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "does not match the namespace", "namespace mismatch")
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps", b"\xff\xfe{}")
    eq((code, body["reason"]), (400, "BadRequest"))
    code, body = http(s, "GET", "/api/v1/namespaces/default/nosuchthings")
    eq((code, body["reason"]), (404, "NotFound"))
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps",
                      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"'
                      + "x" * (3 * 1024 * 1024 + 10) + '"}}')
    eq((code, body["reason"]), (413, "RequestEntityTooLarge"))
    code, body = http(s, "GET", "/api/v1/namespaces/default/configmaps/big")
    eq(code, 404, "nothing stored")
    name = "a" * 300
    code, body = http(s, "POST", "/api/v1/namespaces/default/configmaps",
                      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"}}' % name)
    eq((code, body["reason"]), (422, "Invalid"))
    code, body = http(s, "GET", "/healthz", token=False)
    eq(code, 200, "server still up")


@case
def test_not_found_status(s):
    p = s.kubectl("get", "sts", "nope", check=False)
    contains(p.stderr, 'statefulsets.apps "nope" not found', "not found")


def tls_handshake(s, maximum=None, minimum=None, ciphers=None):
    """The negotiated (version, cipher) of a TLS connection to s, or the
    handshake's error as a string."""
    import socket
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    u = urllib.parse.urlparse(s.url)
    try:
        with socket.create_connection((u.hostname, u.port), timeout=10) as raw:
            with ctx.wrap_socket(raw) as t:
                return t.version(), t.cipher()[0]
    except (ssl.SSLError, OSError) as e:
        return "refused: %s" % e


@case
def test_tls_versions_and_suites(shared):
    # kube's floor: TLS 1.2 with ECDHE and AEAD ciphers only
    from k1s_fixture import Server
    s = Server(shared.binary).start()
    try:
        for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            got = tls_handshake(s, maximum=v, ciphers="ALL")
            contains(str(got), "refused", "%s is refused" % v.name)
        got = tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA")
        contains(str(got), "refused", "CBC with SHA-1 is refused")
        got = tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA256")
        contains(str(got), "refused", "CBC with SHA-256 is refused")
        eq(tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2),
           ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"), "TLS 1.2 with AES-GCM")
        eq(tls_handshake(s)[0], "TLSv1.3", "TLS 1.3")
        # 300 clients that send garbage instead of a handshake: the log gets
        # a few lines, not one each
        import socket
        u = urllib.parse.urlparse(s.url)
        before = s.log().count("k1s: http:")
        for _ in range(300):
            with socket.create_connection((u.hostname, u.port), timeout=5) as c:
                c.sendall(b"GET / HTTP/1.1\r\n\r\n")
                try:
                    c.recv(100)
                except OSError:
                    pass
        code, _ = http(s, "GET", "/readyz")
        eq(code, 200, "still serving")
        lines = s.log().count("k1s: http:") - before
        eq(0 < lines <= 10, True, "%d log lines for 300 bad handshakes" % lines)
    finally:
        s.stop()
        s.cleanup()
    s = Server(shared.binary, extra=[
        "--tls-min-version", "VersionTLS13"]).start()
    try:
        contains(str(tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2)), "refused",
                 "1.2 below --tls-min-version")
        eq(tls_handshake(s)[0], "TLSv1.3", "1.3 still")
    finally:
        s.stop()
        s.cleanup()
    s = Server(shared.binary, extra=[
        "--tls-cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256"]
    ).start()
    try:
        eq(tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2),
           ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"), "the one suite asked for")
        contains(str(tls_handshake(s, maximum=ssl.TLSVersion.TLSv1_2,
                                   ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")),
                 "refused", "the others are not offered")
    finally:
        s.stop()
        s.cleanup()
    # what k1s does not offer stops it at start with a clear message
    for flags, words in ((["--tls-min-version", "VersionTLS11"], "TLS 1.0 and 1.1 are not offered"),
                         (["--tls-cipher-suites", "TLS_RSA_WITH_AES_128_CBC_SHA"],
                          "TLS_RSA_WITH_AES_128_CBC_SHA is not offered")):
        d = tempfile.mkdtemp(prefix="k1s-tls-")
        p = subprocess.run([shared.binary, "server", "--data-dir", d, "--port", "0",
                            "--kubelet", "none"] + flags, capture_output=True, text=True,
                           timeout=30)
        shutil.rmtree(d, ignore_errors=True)
        eq(p.returncode != 0, True, "%s refused" % flags)
        contains(p.stderr, words, "the reason")


def server_fds(s):
    return len(os.listdir("/proc/%d/fd" % s.proc.pid))


@case
def test_silent_and_slow_connections(shared):
    # connections without the token get little: a flood of silent ones does
    # not lock kubectl out, slowloris and half-sent requests are cut off
    import socket
    import resource
    import time
    from k1s_fixture import Server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    s = Server(shared.binary).start()
    held = []
    try:
        u = urllib.parse.urlparse(s.url)
        base = server_fds(s)
        for _ in range(min(6000, want - 200)):
            held.append(socket.create_connection((u.hostname, u.port), timeout=5))
        start = time.time()
        p = s.kubectl("get", "namespaces", "-o", "name")
        took = time.time() - start
        contains(p.stdout, "namespace/default", "kubectl during the flood")
        eq(took < 1.0, True, "kubectl answered in %.2f s during a flood of %d" % (took, len(held)))
        eq(server_fds(s) - base < 1100 + 50, True,
           "the server holds at most ~1024 of them (%d)" % (server_fds(s) - base))
        for c in held:
            c.close()
        held = []
        # slowloris: a header byte every second never completes a request
        slow = socket.create_connection((u.hostname, u.port), timeout=30)
        ctx = ssl._create_unverified_context()
        t = ctx.wrap_socket(slow)
        start = time.time()
        closed_after = None
        try:
            for ch in "GET /api HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a" * 40:
                t.sendall(ch.encode())
                time.sleep(1)
        except OSError:
            closed_after = time.time() - start
        if closed_after is None:
            try:
                closed_after = time.time() - start if t.recv(1) == b"" else None
            except OSError:
                closed_after = time.time() - start
        t.close()
        eq(closed_after is not None and closed_after < 15, True,
           "slowloris cut off (after %s s)" % closed_after)
        # a valid token with a body shorter than its Content-Length: the
        # client's own, cut off only when idle for long; without the token,
        # the answer is at once
        raw = ctx.wrap_socket(socket.create_connection((u.hostname, u.port), timeout=10))
        raw.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{}")
        data = raw.recv(200)
        raw.close()
        contains(data.decode(errors="replace"), "401", "no token: 401 without the body")
        code, _ = http(s, "GET", "/readyz")
        eq(code, 200, "still serving")
    finally:
        for c in held:
            c.close()
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


def raw_request(s, method, path, headers=(), body=None):
    """(status, body) of one request on its own connection, headers as given."""
    import http.client
    u = urllib.parse.urlparse(s.url)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context(),
                                    timeout=20)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        c.putheader("Authorization", "Bearer " + token_of(s))
        for k, v in headers:
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Type", "application/json")
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


@case
def test_bad_input_table(s):
    # every bad input gets its own clear status; the server stays up and
    # nothing stored changes
    code, keep = http(s, "POST", CM_PATH, json.dumps({"metadata": {"name": "sentinel"},
                                                      "data": {"a": "b"}}))
    eq(code, 201)
    P = "/api/v1/pods"
    rows = [
        ("a 20 KB header", "GET", P, [("X-Big", "a" * 20000)], None, 431),
        ("300 headers", "GET", P, [("X-H%d" % i, "v") for i in range(300)], None, 431),
        ("an 8 KB URL", "GET", "/api/v1/namespaces/" + "b" * 8000, [], None, 414),
        ("a bad label selector", "GET", P + "?labelSelector=a%3D%3D%3Db", [], None, 400),
        ("an unknown field selector", "GET", P + "?fieldSelector=spec.nope%3Dx", [], None, 400),
        ("a bad resourceVersion", "GET", P + "?resourceVersion=abc", [], None, 400),
        ("a resourceVersion past int64", "GET", P + "?resourceVersion=9999999999999999999", [],
         None, 400),
        ("a negative limit", "GET", P + "?limit=-3", [], None, 400),
        ("a bad continue token", "GET", P + "?limit=1&continue=%%%", [], None, 400),
        ("a bad watch timeout", "GET", P + "?watch=1&resourceVersion=x", [], None, 400),
        ("an uppercase name", "POST", CM_PATH, [], b'{"metadata":{"name":"UPPER"}}', 422),
        ("a 300-character name", "POST", CM_PATH, [],
         json.dumps({"metadata": {"name": "n" * 300}}).encode(), 422),
        ("invalid UTF-8", "POST", CM_PATH, [], b'{"metadata":{"name":"\xff\xfe"}}', 400),
        ("a body past 3 MiB", "POST", CM_PATH, [], b" " * (4 << 20), 413),
        ("nesting 10 000 deep", "POST", CM_PATH, [], b'{"a":' * 10000 + b"1" + b"}" * 10000,
         400),
        ("a number where a string goes", "POST", CM_PATH, [],
         b'{"metadata":{"name":"num"},"data":{"a":1}}', 400),
        ("a percent-encoded NUL in the path", "GET", "/api/v1/namespaces/%ff%00x/pods", [],
         None, 404),
        ("dot segments", "GET", "/api/v1/namespaces/../../../etc/passwd", [], None, 404),
        ("an unknown verb", "BREW", CM_PATH + "/sentinel", [], None, 405),
        ("a PUT to a collection", "PUT", CM_PATH, [], b"{}", 405),
        ("a patch with no patch type", "PATCH", CM_PATH + "/sentinel", [], b"{}", 415),
    ]
    got = []
    for what, method, path, headers, body, want in rows:
        code, _ = raw_request(s, method, path, headers, body)
        got.append((what, code))
    eq(got, [(r[0], r[5]) for r in rows], "status per bad input")
    code, after = http(s, "GET", CM_PATH + "/sentinel")
    eq((after["data"], after["metadata"]["resourceVersion"]),
       (keep["data"], keep["metadata"]["resourceVersion"]), "the sentinel untouched")
    eq(http(s, "GET", "/readyz")[0], 200, "still ready")
    http(s, "DELETE", CM_PATH + "/sentinel")
