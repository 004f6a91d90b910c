"""Conformance cases: the wire details client libraries depend on (issue
10), driven by raw HTTP and by the official Python client."""
import json
import os
import shutil
import subprocess
import tempfile

from casekit import eq, contains, collector, sim_server, wait_for, record, deb_version
from k1s_fixture import kubectl_versions
from cases_errors import http, token_of, tls_context
import pbwire
import urllib.request

TESTS, case = collector()
HERE = os.path.dirname(os.path.abspath(__file__))

CM = "/api/v1/namespaces/default/configmaps"


@case
def test_bodies_without_type_meta(s):
    # client models send neither apiVersion nor kind: the URL gives them
    code, body = http(s, "POST", CM, '{"metadata":{"name":"no-tm"},"data":{"a":"1"}}')
    eq(code, 201, "create without apiVersion/kind: %s" % body)
    eq(list(body)[:2], ["kind", "apiVersion"], "type meta first, as kube encodes")
    eq((body["kind"], body["apiVersion"]), ("ConfigMap", "v1"), "taken from the URL")
    code, body = http(s, "GET", CM + "/no-tm")
    eq((body["kind"], body["apiVersion"], body["data"]), ("ConfigMap", "v1", {"a": "1"}), "stored")
    rv = body["metadata"]["resourceVersion"]
    code, body = http(s, "PUT", CM + "/no-tm",
                      json.dumps({"metadata": {"name": "no-tm", "resourceVersion": rv},
                                  "data": {"a": "2"}}))
    eq((code, body.get("kind")), (200, "ConfigMap"), "update without type meta")
    code, body = http(s, "POST", CM, '{"kind":"ConfigMap","metadata":{"name":"kind-only"}}')
    eq((code, body["apiVersion"]), (201, "v1"), "apiVersion from the URL")
    code, body = http(s, "POST", CM, '{"apiVersion":"v1","metadata":{"name":"av-only"}}')
    eq((code, body["kind"]), (201, "ConfigMap"), "kind from the URL")
    code, body = http(s, "POST", "/apis/apps/v1/namespaces/default/deployments", json.dumps({
        "metadata": {"name": "no-tm"},
        "spec": {"selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "x"}]}}}}))
    eq((code, body.get("apiVersion"), body.get("kind")), (201, "apps/v1", "Deployment"),
       "a group's version from the URL")
    http(s, "DELETE", "/apis/apps/v1/namespaces/default/deployments/no-tm")

    # what the body does say must agree with the URL
    code, body = http(s, "POST", CM, '{"apiVersion":"v2","metadata":{"name":"x"}}')
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "the API version in the data (v2) does not match the expected "
             "API version (v1)", "version mismatch")
    code, body = http(s, "POST", CM, '{"kind":"Secret","metadata":{"name":"x"}}')
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "cannot be handled as a ConfigMap", "kind mismatch")
    code, body = http(s, "POST", CM, '{"kind":5,"metadata":{"name":"x"}}')
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "cannot unmarshal number into Go struct field .kind of type string",
             "kind of the wrong type")
    code, body = http(s, "GET", CM + "/x")
    eq(code, 404, "nothing stored by the refused bodies")
    for n in ("no-tm", "kind-only", "av-only"):
        http(s, "DELETE", CM + "/" + n)


@case
def test_yaml_bodies(s):
    doc = ("metadata:\n  name: from-yaml\n  labels: &l {app: web}\n  annotations:\n"
           "    <<: *l\n    note: \"yes\"\ndata:\n  mode: \"0777\"\n")
    code, body = http(s, "POST", CM, doc, ctype="application/yaml")
    eq(code, 201, "create from YAML: %s" % body)
    eq((body["kind"], body["metadata"]["labels"], body["metadata"]["annotations"], body["data"]),
       ("ConfigMap", {"app": "web"}, {"app": "web", "note": "yes"}, {"mode": "0777"}),
       "aliases, merge keys and quoting as kube reads them")
    code, body = http(s, "POST", "/apis/apps/v1/namespaces/default/deployments",
                      "metadata: {name: from-yaml}\nspec:\n  replicas: 0x2\n"
                      "  selector: {matchLabels: {a: b}}\n  template:\n"
                      "    metadata: {labels: {a: b}}\n"
                      "    spec: {containers: [{name: c, image: x}]}\n",
                      ctype="application/yaml; charset=utf-8")
    eq((code, body.get("spec", {}).get("replicas")), (201, 2), "YAML 1.1 integers")
    http(s, "DELETE", "/apis/apps/v1/namespaces/default/deployments/from-yaml")
    # bad YAML, YAML that means a wrong type, an alias bomb: 400, nothing stored
    code, body = http(s, "POST", CM, "metadata: {name: [", ctype="application/yaml")
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "error converting YAML to JSON: yaml: line", "syntax error")
    code, body = http(s, "POST", CM, "metadata: {name: bad}\ndata: {a: yes}",
                      ctype="application/yaml")
    eq((code, body["reason"]), (400, "BadRequest"))
    contains(body["message"], "cannot unmarshal bool", "yes is a boolean, data wants strings")
    bomb = "metadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 12):
        bomb += "  a%d: &a%d [%s]\n" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10))
    code, body = http(s, "POST", CM, bomb, ctype="application/yaml")
    eq((code, body["reason"]), (400, "BadRequest"), "alias bomb refused")
    for n in ("bad", "bomb"):
        eq(http(s, "GET", CM + "/" + n)[0], 404, "nothing stored for " + n)
    code, body = http(s, "POST", CM, doc, ctype="text/plain")
    eq((code, body["reason"]), (415, "UnsupportedMediaType"))
    contains(body["message"], "application/json, application/yaml, "
             "application/vnd.kubernetes.protobuf", "the accepted types")
    code, body = http(s, "GET", CM + "/from-yaml")
    eq(code, 200, "the first object is intact")
    http(s, "DELETE", CM + "/from-yaml")


@case
def test_drain_sends_protobuf_delete_options(shared):
    # kubectl 1.32+ drains (and deletes) with a protobuf DeleteOptions body
    s = sim_server(shared)
    try:
        node = wait_for("the node", lambda: s.kubectl("get", "nodes", "-o", "name").stdout.split())
        node = node[0].split("/", 1)[1]
        for kc in [k for k in kubectl_versions() if k.endswith(("1.32", "1.33"))]:
            s.kubectl("create", "deployment", "drained", "--image=x", "--replicas=2")
            wait_for("2 running pods", lambda: s.kubectl(
                "get", "pods", "-l", "app=drained", "--field-selector=status.phase=Running",
                "-o", "name").stdout.count("pod/") == 2)
            p = s.kubectl("drain", node, "--pod-selector=app=drained", "--timeout=60s",
                          kubectl=kc, check=False)
            eq(p.returncode, 0, "%s drain: %s" % (os.path.basename(kc), p.stderr))
            contains(p.stdout, "node/%s drained" % node, "drained")
            s.kubectl("uncordon", node)
            s.kubectl("delete", "deployment", "drained")
            wait_for("the pods gone", lambda: "pod/" not in s.kubectl(
                "get", "pods", "-l", "app=drained", "-o", "name").stdout)
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_python_client(s):
    # the official Python client (Debian's python3-kubernetes), as a user's
    # script drives it: models without kind, patches, lists, a watch
    script = os.path.join(HERE, "..", "tests", "clients", "python_client.py")
    p = subprocess.run(["/usr/bin/python3", script], env=dict(os.environ, KUBECONFIG=s.kubeconfig),
                       capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, "python client:\n" + p.stdout[-3000:] + p.stderr[-3000:])
    record("python3-kubernetes", deb_version("python3-kubernetes"), p.stdout)


@case
def test_health_endpoints(s):
    code, body = http(s, "GET", "/readyz", token=False)
    eq((code, body), (200, "ok"), "plain readyz")
    code, body = http(s, "GET", "/readyz?verbose", token=False)
    lines = body.splitlines()
    eq((code, lines[0], lines[-1]), (200, "[+]ping ok", "readyz check passed"), "verbose readyz")
    for check in ("[+]etcd ok", "[+]etcd-readiness ok", "[+]informer-sync ok", "[+]shutdown ok"):
        contains(body, check, "readyz lists " + check)
    code, body = http(s, "GET", "/livez?verbose&exclude=etcd&exclude=nope", token=False)
    eq((code, body.splitlines()[-1]), (200, "livez check passed"))
    contains(body, "[+]etcd excluded: ok", "an excluded check")
    contains(body, 'warn: some health checks cannot be excluded: no matches for "nope"',
             "an unknown exclude")
    eq("shutdown" in body, False, "livez has no shutdown check")
    eq(http(s, "GET", "/healthz/etcd", token=False), (200, "ok"), "one check")
    eq(http(s, "GET", "/livez/shutdown", token=False)[0], 404, "a check livez does not run")
    p = s.kubectl("get", "--raw", "/healthz?verbose")
    contains(p.stdout, "healthz check passed", "through kubectl")


@case
def test_list_remaining_item_count(s):
    for i in range(5):
        http(s, "POST", CM, json.dumps({"metadata": {"name": "rem-%d" % i,
                                                     "labels": {"set": "rem"}}}))
    mine = [n for n in json.loads(s.kubectl("get", "cm", "-o", "json").stdout)["items"]]
    total = len(mine)
    code, body = http(s, "GET", CM + "?limit=2")
    eq((code, body["metadata"].get("remainingItemCount")), (200, total - 2), "first page")
    code, body = http(s, "GET", CM + "?limit=2&continue=" + body["metadata"]["continue"])
    eq(body["metadata"].get("remainingItemCount"), total - 4, "second page")
    code, body = http(s, "GET", CM + "?limit=%d" % total)
    eq(("remainingItemCount" in body["metadata"], "continue" in body["metadata"]), (False, False),
       "nothing left: neither field")
    code, body = http(s, "GET", CM + "?limit=2&labelSelector=set%3Drem")
    eq(("remainingItemCount" in body["metadata"], len(body["items"])), (False, 2),
       "not counted when a selector filters (as kube)")
    for i in range(5):
        http(s, "DELETE", CM + "/rem-%d" % i)


def meta_accept(as_, protobuf=False):
    # what client-go's metadata client sends: protobuf first, then JSON
    return (("application/vnd.kubernetes.protobuf;as=%s;g=meta.k8s.io;v=v1," % as_
             if protobuf else "") +
            "application/json;as=%s;g=meta.k8s.io;v=v1,application/json" % as_)


@case
def test_metadata_only_responses(s):
    http(s, "POST", CM, json.dumps({"metadata": {"name": "pom", "labels": {"a": "b"}},
                                    "data": {"secret-ish": "x"}}))
    code, body = http(s, "GET", CM + "/pom", accept=meta_accept("PartialObjectMetadata"))
    eq((code, body["kind"], body["apiVersion"]), (200, "PartialObjectMetadata", "meta.k8s.io/v1"))
    eq((body["metadata"]["name"], body["metadata"]["labels"], "data" in body),
       ("pom", {"a": "b"}, False), "only the metadata")
    code, body = http(s, "GET", CM + "?labelSelector=a%3Db",
                      accept=meta_accept("PartialObjectMetadataList"))
    eq((code, body["kind"], body["apiVersion"]), (200, "PartialObjectMetadataList", "meta.k8s.io/v1"))
    eq([(i["kind"], i["metadata"]["name"], "data" in i) for i in body["items"]],
       [("PartialObjectMetadata", "pom", False)], "items are metadata")
    rv = body["metadata"]["resourceVersion"]
    code, body = http(s, "GET", CM + "?labelSelector=a%3Db", accept="application/json")
    eq(body["items"][0]["data"], {"secret-ish": "x"}, "plain JSON is whole")
    # a watch of metadata
    req = urllib.request.Request(s.url + CM + "?watch=1&timeoutSeconds=2&resourceVersion=" + rv)
    req.add_header("Authorization", "Bearer " + token_of(s))
    req.add_header("Accept", meta_accept("PartialObjectMetadata"))
    http(s, "PATCH", CM + "/pom", '{"data":{"b":"c"}}', ctype="application/merge-patch+json")
    with urllib.request.urlopen(req, timeout=10, context=tls_context(s)) as r:
        ev = json.loads(r.readline())
    eq((ev["type"], ev["object"]["kind"], "data" in ev["object"]),
       ("MODIFIED", "PartialObjectMetadata", False), "watch events carry metadata")
    # tables still come as tables
    code, body = http(s, "GET", CM + "/pom",
                      accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    eq(body["kind"], "Table", "as=Table")
    http(s, "DELETE", CM + "/pom")


PB = "application/vnd.kubernetes.protobuf"


def open_watch(s, path, accept):
    req = urllib.request.Request(s.url + path)
    req.add_header("Authorization", "Bearer " + token_of(s))
    req.add_header("Accept", accept)
    return urllib.request.urlopen(req, timeout=10, context=tls_context(s))


@case
def test_protobuf_responses(s):
    # what client-go's typed clients get when they put protobuf first
    both = PB + ",application/json"
    http(s, "POST", CM, json.dumps({"metadata": {"name": "pb1", "labels": {"pb": "y"}},
                                    "data": {"k": "v"}}))
    code, body = http(s, "GET", CM + "/pb1", accept=both)
    eq(code, 200)
    eq(type(body), bytes, "a protobuf body")
    av, kind, raw = pbwire.envelope(body)
    eq((av, kind), ("v1", "ConfigMap"), "typeMeta in the envelope")
    meta = pbwire.field(raw, 1)
    eq(pbwire.field(meta, 1), b"pb1", "metadata.name")
    eq(pbwire.fields(pbwire.field(raw, 2)), [(1, b"k"), (2, b"v")], "data as a map entry")
    # JSON first still gets JSON
    code, body = http(s, "GET", CM + "/pb1", accept="application/json," + PB)
    eq(body["metadata"]["name"], "pb1", "JSON when JSON comes first")
    # lists: items are fields 2, ListMeta field 1 with the resourceVersion
    http(s, "POST", CM, json.dumps({"metadata": {"name": "pb2", "labels": {"pb": "y"}}}))
    code, body = http(s, "GET", CM + "?labelSelector=pb%3Dy", accept=both)
    av, kind, raw = pbwire.envelope(body)
    eq((av, kind), ("v1", "ConfigMapList"))
    names = [pbwire.field(pbwire.field(v, 1), 1) for n, v in pbwire.fields(raw) if n == 2]
    eq(names, [b"pb1", b"pb2"], "the items")
    rv = pbwire.field(pbwire.field(raw, 1), 2).decode()
    eq(rv.isdigit(), True, "list resourceVersion")
    # a page: continue and remainingItemCount in ListMeta
    total = len(http(s, "GET", CM)[1]["items"])
    code, body = http(s, "GET", CM + "?limit=1", accept=both)
    lm = pbwire.field(pbwire.envelope(body)[2], 1)
    eq((bool(pbwire.field(lm, 3)), pbwire.field(lm, 4)), (True, total - 1), "continue, remaining")
    # metadata only, as the metadata client asks
    code, body = http(s, "GET", CM + "/pb1", accept=meta_accept("PartialObjectMetadata", True))
    av, kind, raw = pbwire.envelope(body)
    eq((av, kind), ("meta.k8s.io/v1", "PartialObjectMetadata"))
    eq([n for n, v in pbwire.fields(raw)], [1], "only metadata")
    code, body = http(s, "GET", CM + "?labelSelector=pb%3Dy",
                      accept=meta_accept("PartialObjectMetadataList", True))
    eq(pbwire.envelope(body)[:2], ("meta.k8s.io/v1", "PartialObjectMetadataList"))
    # a watch: length-prefixed WatchEvent frames holding whole bodies
    with open_watch(s, CM + "?watch=1&timeoutSeconds=2&labelSelector=pb%3Dy&resourceVersion=" +
                    rv, both) as r:
        eq(r.headers.get("Content-Type"), PB + ";stream=watch", "stream content type")
        http(s, "PATCH", CM + "/pb1", '{"data":{"k":"w"}}', ctype="application/merge-patch+json")
        data = r.read()
    frames = pbwire.watch_frames(data)
    eq([(t, av, k) for t, av, k, m in frames][:1], [("MODIFIED", "v1", "ConfigMap")], "a frame")
    eq(pbwire.field(pbwire.field(frames[0][3], 1), 1), b"pb1", "its object")
    # errors stay JSON Status, which client-go reads by Content-Type
    code, body = http(s, "GET", CM + "/nope", accept=both)
    eq((code, body["kind"], body["reason"]), (404, "Status", "NotFound"))
    # a Table has no protobuf form: protobuf alone is refused
    code, body = http(s, "GET", CM + "/pb1",
                      accept=PB + ";as=Table;g=meta.k8s.io;v=v1")
    eq((code, body["reason"]), (406, "NotAcceptable"), "no protobuf Table")
    # writes answer in protobuf too
    code, body = http(s, "PUT", CM + "/pb2", json.dumps({
        "metadata": {"name": "pb2", "labels": {"pb": "y"}}, "data": {"x": "1"}}), accept=both)
    eq((code, pbwire.envelope(body)[1]), (200, "ConfigMap"), "update")
    code, body = http(s, "DELETE", CM + "/pb2", accept=both)
    eq(pbwire.envelope(body)[1], "Status", "delete's Status")
    http(s, "DELETE", CM + "/pb1")


@case
def test_kubectl_reads_protobuf(shared):
    # kubectl's typed clients (describe, drain, run -i) put protobuf first;
    # every kubectl from 1.27 to 1.33 must read k1s's answers
    s = sim_server(shared)
    try:
        s.kubectl("create", "deployment", "pbd", "--image=nginx", "--replicas=2")
        s.kubectl("create", "service", "nodeport", "pbd", "--tcp=80:8080")
        s.kubectl("create", "configmap", "pbc", "--from-literal=k=v")
        s.kubectl("create", "secret", "generic", "pbs", "--from-literal=p=secret")
        wait_for("2 running pods", lambda: s.kubectl(
            "get", "pods", "-l", "app=pbd", "--field-selector=status.phase=Running",
            "-o", "name").stdout.count("pod/") == 2)
        for kc in kubectl_versions():
            v = os.path.basename(kc)
            p = s.kubectl("describe", "deployment", "pbd", "-v=8", kubectl=kc)
            contains(p.stdout, "2 desired | 2 updated | 2 total | 2 available", v)
            contains(p.stdout, "NewReplicaSet:", v)
            if v >= "kubectl.1.32":  # older ones ask for JSON
                contains(p.stderr, "Content-Type: " + PB, v + " got protobuf")
            p = s.kubectl("describe", "pods", "-l", "app=pbd", kubectl=kc)
            eq(p.stdout.count("Status:       Running"), 2, v)
            contains(p.stdout, "Controlled By:  ReplicaSet/pbd-", v)
            p = s.kubectl("describe", "service", "pbd", kubectl=kc)
            contains(p.stdout, "TargetPort:               8080/TCP", v)
            p = s.kubectl("describe", "secret", "pbs", kubectl=kc)
            contains(p.stdout, "p:  6 bytes", v)
            p = s.kubectl("describe", "configmap", "pbc", kubectl=kc)
            contains(p.stdout, "k:\n----\nv", v)
            p = s.kubectl("describe", "nodes", kubectl=kc)
            contains(p.stdout, "Non-terminated Pods:", v)
            # run -i lists and watches in protobuf until the pod runs, then
            # attaches (the simulated kubelet has no streams); the pod runs
            # long enough not to have finished by then
            p = s.kubectl("run", "pbr", "--image=busybox", "--restart=Never", "-i", "--rm",
                          "--annotations=sim.k1s.io/run-ms=60000", "--", "true", kubectl=kc,
                          check=False, timeout=60)
            contains(p.stderr, "couldn't attach to pod/pbr", v + " saw the pod running")
            s.kubectl("delete", "pod", "pbr", "--ignore-not-found", "--wait=false")
    finally:
        rc = s.stop()
        s.cleanup()
    eq(rc, 0, "server exit code")


@case
def test_ruby_kubeclient(s):
    # Debian's ruby-kubeclient: CRUD, patches and a watch
    p = subprocess.run(["ruby", os.path.join(HERE, "..", "tests", "clients", "ruby_client.rb"),
                        s.kubeconfig], capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, "ruby kubeclient:\n" + p.stdout[-3000:] + p.stderr[-3000:])
    record("ruby-kubeclient", deb_version("ruby-kubeclient"), p.stdout)


@case
def test_client_node(s):
    # @kubernetes/client-node from npm (the version tests/clients/node pins),
    # installed into a scratch directory for the run
    src = os.path.join(HERE, "..", "tests", "clients", "node")
    with tempfile.TemporaryDirectory(prefix="k1s-client-node-") as d:
        for f in ("package.json", "client.mjs"):
            shutil.copy(os.path.join(src, f), d)
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=d, capture_output=True, text=True, timeout=300)
        eq(p.returncode, 0, "npm install @kubernetes/client-node:\n" + p.stderr[-2000:])
        p = subprocess.run(["node", "client.mjs", s.kubeconfig], cwd=d, capture_output=True,
                           text=True, timeout=120)
        eq(p.returncode, 0, "client-node:\n" + p.stdout[-3000:] + p.stderr[-3000:])
        with open(os.path.join(d, "node_modules", "@kubernetes", "client-node", "package.json")) as f:
            version = json.load(f)["version"]
        record("@kubernetes/client-node", version + " (Node " + subprocess.run(
            ["node", "--version"], capture_output=True, text=True).stdout.strip() + ")", p.stdout)


@case
def test_list_at_an_older_resource_version(s):
    def rv(b):
        return b["metadata"]["resourceVersion"]

    _, a1 = http(s, "POST", CM, json.dumps({"metadata": {"name": "hist-a"}, "data": {"v": "1"}}))
    _, a2 = http(s, "PATCH", CM + "/hist-a", '{"data":{"v":"2"}}',
                 ctype="application/merge-patch+json")
    _, b = http(s, "POST", CM, json.dumps({"metadata": {"name": "hist-b"}}))
    http(s, "DELETE", CM + "/hist-a")

    def names_at(r, extra=""):
        code, body = http(s, "GET", CM + "?resourceVersion=%s&resourceVersionMatch=Exact%s"
                          % (r, extra))
        eq((code, body["metadata"]["resourceVersion"]), (200, r), "a list at %s" % r)
        return [(i["metadata"]["name"], (i.get("data") or {}).get("v"))
                for i in body["items"] if i["metadata"]["name"].startswith("hist-")]

    eq(names_at(rv(a1)), [("hist-a", "1")], "as it was at creation")
    eq(names_at(rv(a2)), [("hist-a", "2")], "after the patch")
    eq(names_at(rv(b)), [("hist-a", "2"), ("hist-b", None)], "before the delete")
    eq(names_at(rv(b), "&fieldSelector=metadata.name%3Dhist-b"), [("hist-b", None)],
       "selectors apply to the old state")
    code, body = http(s, "GET", CM + "?resourceVersion=999999999&resourceVersionMatch=Exact")
    eq((code, body["reason"]), (504, "Timeout"), "a revision not reached yet")
    contains(body["message"], "Too large resource version", "kube's words")
    code, body = http(s, "GET", CM + "?resourceVersion=%s&resourceVersionMatch=NotOlderThan"
                      % rv(a1))
    eq((code, [i["metadata"]["name"] for i in body["items"] if "hist-" in i["metadata"]["name"]]),
       (200, ["hist-b"]), "NotOlderThan answers the current state")
    http(s, "DELETE", CM + "/hist-b")


@case
def test_pages_show_the_first_pages_revision(s):
    # kube serves every page of a paged list from the revision of the first
    # one: what changes meanwhile does not show
    ns = "/api/v1/namespaces/pages/configmaps"
    http(s, "POST", "/api/v1/namespaces", json.dumps({"metadata": {"name": "pages"}}))
    for n in ("p1", "p2", "p3"):
        http(s, "POST", ns, json.dumps({"metadata": {"name": n}, "data": {"v": "old"}}))
    code, page = http(s, "GET", ns + "?limit=1")
    first_rv = page["metadata"]["resourceVersion"]
    seen = [i["metadata"]["name"] for i in page["items"]]
    http(s, "DELETE", ns + "/p3")
    http(s, "PATCH", ns + "/p2", '{"data":{"v":"new"}}', ctype="application/merge-patch+json")
    http(s, "POST", ns, json.dumps({"metadata": {"name": "p4"}}))
    values = {i["metadata"]["name"]: (i.get("data") or {}).get("v") for i in page["items"]}
    while page["metadata"].get("continue"):
        code, page = http(s, "GET", ns + "?limit=1&continue=" + page["metadata"]["continue"])
        eq((code, page["metadata"]["resourceVersion"]), (200, first_rv), "the first page's rv")
        seen += [i["metadata"]["name"] for i in page["items"]]
        values.update({i["metadata"]["name"]: (i.get("data") or {}).get("v")
                       for i in page["items"]})
    # (kube-root-ca.crt may or may not be there yet)
    eq([n for n in seen if n.startswith("p")], ["p1", "p2", "p3"], "p3 still there, no p4")
    eq((values["p2"], values["p3"]), ("old", "old"), "as they were")
    # without limit, the current state
    code, now = http(s, "GET", ns)
    eq(sorted(i["metadata"]["name"] for i in now["items"] if i["metadata"]["name"][0] == "p"),
       ["p1", "p2", "p4"], "the current list")
