/*
 * test_protobuf.c - k1s_protobuf_decode on real kubectl 1.33 protobuf bodies
 * (protobuf_captures.h: each must decode to exactly the JSON kubectl itself
 * prints for the object), field by field on a rich Pod, on hand-built bodies
 * for what kubectl never sends (times, RawExtension, packed lists, merges),
 * and on hostile input: every truncation and many corruptions of the
 * captures, bad varints and lengths, wrong wire types, deep nesting, an
 * oversized output, unknown kinds. Run under ASan/UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_protobuf.h"
#include "k1s_test.h"
#include "protobuf_captures.h"

/* ---- helpers ------------------------------------------------------------ */

/* Decodes; on failure checks the error contract and returns NULL. */
static json_t *decode(const void *b, size_t n, int *rc_out)
{
    json_t *out = (json_t *)1;
    char *err = (char *)1;
    int rc = k1s_protobuf_decode(b, n, &out, &err);
    if (rc_out)
        *rc_out = rc;
    if (rc == 0) {
        CHECK(out != NULL && json_is_object(out));
        CHECK(err == NULL);
        return out;
    }
    CHECK(rc < 0);
    CHECK(out == NULL);
    CHECK(err != NULL && err[0] != '\0');
    free(err);
    return NULL;
}

/* The error message of a failing decode (malloc'd), "" if it succeeded. */
static char *decode_err(const void *b, size_t n, int *rc)
{
    json_t *out = NULL;
    char *err = NULL;
    *rc = k1s_protobuf_decode(b, n, &out, &err);
    json_decref(out);
    return err ? err : strdup("");
}

static json_t *at(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)atoi(tok));
        else
            v = json_object_get(v, tok);
    }
    return v;
}

static const char *str_at(json_t *v, const char *path)
{
    json_t *s = at(v, path);
    return json_is_string(s) ? json_string_value(s) : "(not a string)";
}

static long long int_at(json_t *v, const char *path)
{
    json_t *i = at(v, path);
    return json_is_integer(i) ? json_integer_value(i) : -424242;
}

static void check_json(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    CHECK(want != NULL);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fprintf(stderr, "got  %s\nwant %s\n", g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        CHECK(0);
    }
    json_decref(want);
}

/* A tiny protobuf writer for hand-built bodies. */
typedef struct pb {
    unsigned char b[8192];
    size_t n;
} pb;

static void put_raw(pb *p, const void *s, size_t n)
{
    CHECK(p->n + n <= sizeof p->b);
    if (p->n + n <= sizeof p->b) {
        memcpy(p->b + p->n, s, n);
        p->n += n;
    }
}

static void put_varint(pb *p, uint64_t v)
{
    unsigned char c;
    do {
        c = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        put_raw(p, &c, 1);
    } while (v);
}

static void put_key(pb *p, unsigned num, unsigned wire)
{
    put_varint(p, (uint64_t)num << 3 | wire);
}

static void put_uint(pb *p, unsigned num, uint64_t v)
{
    put_key(p, num, 0);
    put_varint(p, v);
}

static void put_bytes(pb *p, unsigned num, const void *s, size_t n)
{
    put_key(p, num, 2);
    put_varint(p, n);
    put_raw(p, s, n);
}

static void put_str(pb *p, unsigned num, const char *s)
{
    put_bytes(p, num, s, strlen(s));
}

static void put_msg(pb *p, unsigned num, const pb *m)
{
    put_bytes(p, num, m->b, m->n);
}

/* k8s\0 + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
static void envelope(pb *out, const char *api_version, const char *kind, const pb *raw)
{
    pb tm = {.n = 0};
    put_str(&tm, 1, api_version);
    put_str(&tm, 2, kind);
    out->n = 0;
    put_raw(out, "k8s\0", 4);
    put_msg(out, 1, &tm);
    if (raw)
        put_msg(out, 2, raw);
}

/* ---- real kubectl bodies ------------------------------------------------ */

#define CAP(name)                                         \
    {                                                     \
#name, cap_##name, sizeof cap_##name, want_##name \
    }

TEST(test_captures_match_go_json)
{
    static const struct {
        const char *name;
        const unsigned char *body;
        size_t len;
        const char *want;
    } caps[] = {
        CAP(cm),    CAP(secret),  CAP(ns),     CAP(sa),    CAP(svc),
        CAP(svcip), CAP(extname), CAP(deploy), CAP(cmbin), CAP(dockercfg),
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        json_t *o = decode(caps[i].body, caps[i].len, NULL);
        CHECK(o != NULL);
        if (!o) {
            fprintf(stderr, "capture %s failed\n", caps[i].name);
            continue;
        }
        check_json(o, caps[i].want);
        /* kind and apiVersion lead, as in Go's encoding of TypeMeta */
        void *it = json_object_iter(o);
        CHECK_STR(json_object_iter_key(it), "kind");
        CHECK_STR(json_object_iter_key(json_object_iter_next(o, it)), "apiVersion");
        json_decref(o);
    }
}

TEST(test_configmap_and_secret_fields)
{
    json_t *o = decode(cap_cm, sizeof cap_cm, NULL);
    CHECK_STR(str_at(o, "kind"), "ConfigMap");
    CHECK_STR(str_at(o, "apiVersion"), "v1");
    CHECK_STR(str_at(o, "metadata.name"), "x");
    /* gogo writes "" for namespace/generateName...: Go's JSON omits them */
    CHECK(at(o, "metadata.namespace") == NULL);
    CHECK(at(o, "metadata.generateName") == NULL);
    CHECK(at(o, "metadata.generation") == NULL);
    /* the zero creationTimestamp is an empty message: null, as in Go */
    CHECK(json_is_null(at(o, "metadata.creationTimestamp")));
    CHECK_STR(str_at(o, "data.a"), "b");
    CHECK(at(o, "binaryData") == NULL);
    CHECK(at(o, "immutable") == NULL);
    json_decref(o);

    o = decode(cap_secret, sizeof cap_secret, NULL);
    CHECK_STR(str_at(o, "data.user"), "YWRtaW4=");
    CHECK_STR(str_at(o, "data.pw"), "cEBzcw==");
    CHECK(at(o, "type") == NULL); /* "" and omitempty */
    json_decref(o);

    o = decode(cap_cmbin, sizeof cap_cmbin, NULL);
    CHECK_STR(str_at(o, "binaryData.blob"), "YWJjAP8="); /* "abc\0\xff" */
    CHECK_STR(str_at(o, "data.t"), "x");
    json_decref(o);

    o = decode(cap_dockercfg, sizeof cap_dockercfg, NULL);
    CHECK_STR(str_at(o, "type"), "kubernetes.io/dockerconfigjson");
    json_decref(o);
}

TEST(test_service_and_deployment_fields)
{
    json_t *o = decode(cap_svc, sizeof cap_svc, NULL);
    CHECK_STR(str_at(o, "spec.type"), "NodePort");
    CHECK_STR(str_at(o, "spec.ports.0.name"), "80-8080");
    CHECK_STR(str_at(o, "spec.ports.0.protocol"), "TCP");
    CHECK_INT(int_at(o, "spec.ports.0.port"), 80);
    CHECK_INT(int_at(o, "spec.ports.0.targetPort"), 8080); /* IntOrString int */
    CHECK_INT(int_at(o, "spec.ports.0.nodePort"), 30081);
    CHECK_STR(str_at(o, "spec.selector.app"), "x");
    CHECK(at(o, "spec.clusterIP") == NULL);
    CHECK(json_is_object(at(o, "status.loadBalancer")));
    json_decref(o);

    o = decode(cap_deploy, sizeof cap_deploy, NULL);
    CHECK_STR(str_at(o, "apiVersion"), "apps/v1");
    CHECK_INT(int_at(o, "spec.replicas"), 2);
    CHECK_STR(str_at(o, "spec.selector.matchLabels.app"), "web");
    CHECK(json_is_null(at(o, "spec.template.metadata.creationTimestamp")));
    CHECK_STR(str_at(o, "spec.template.spec.containers.0.name"), "nginx");
    CHECK_INT(int_at(o, "spec.template.spec.containers.0.ports.0.containerPort"), 80);
    CHECK(json_object_size(at(o, "spec.template.spec.containers.0.resources")) == 0);
    CHECK(json_is_object(at(o, "spec.strategy")));
    CHECK(at(o, "spec.minReadySeconds") == NULL);
    CHECK(at(o, "spec.paused") == NULL);
    json_decref(o);
}

/* kubectl debug --copy-to re-created a Pod the stub served (a rich one);
 * the values checked are the ones that Pod had. */
TEST(test_rich_pod)
{
    json_t *o = decode(cap_debug, sizeof cap_debug, NULL);
    CHECK(o != NULL);
    CHECK_STR(str_at(o, "metadata.name"), "rich-copy");
    CHECK_STR(str_at(o, "metadata.annotations.note"), "x\xc3\xa9y");
    /* volumes: VolumeSource travels as an inline message */
    CHECK_STR(str_at(o, "spec.volumes.0.name"), "cache");
    CHECK_STR(str_at(o, "spec.volumes.0.emptyDir.medium"), "Memory");
    CHECK_STR(str_at(o, "spec.volumes.0.emptyDir.sizeLimit"), "64Mi");
    CHECK_INT(int_at(o, "spec.volumes.1.configMap.items.0.mode"), 256);
    CHECK_INT(int_at(o, "spec.volumes.1.configMap.defaultMode"), 420);
    CHECK(json_is_false(at(o, "spec.volumes.1.configMap.optional")));
    CHECK_STR(str_at(o, "spec.volumes.2.hostPath.type"), ""); /* *string */
    CHECK_INT(int_at(o, "spec.volumes.3.projected.sources.0.serviceAccountToken."
                        "expirationSeconds"),
              3600);
    CHECK_STR(str_at(o, "spec.volumes.3.projected.sources.1.downwardAPI.items.0."
                        "fieldRef.fieldPath"),
              "metadata.labels");

    json_t *c = at(o, "spec.containers.0");
    CHECK_STR(str_at(c, "name"), "app");
    CHECK_STR(str_at(c, "args.1"), "daemon off;");
    CHECK_STR(str_at(c, "ports.0.name"), "http");
    CHECK_INT(int_at(c, "ports.1.containerPort"), 0); /* not omitempty */
    CHECK_INT(int_at(c, "ports.1.hostPort"), 8443);
    CHECK_STR(str_at(c, "ports.1.protocol"), "UDP");
    CHECK_STR(str_at(c, "envFrom.0.configMapRef.name"), "cm"); /* inline ref */
    CHECK(json_is_true(at(c, "envFrom.0.configMapRef.optional")));
    CHECK_STR(str_at(c, "env.0.name"), "EMPTY");
    CHECK(at(c, "env.0.value") == NULL); /* "" is omitempty */
    CHECK_STR(str_at(c, "env.1.valueFrom.fieldRef.fieldPath"), "metadata.name");
    CHECK_STR(str_at(c, "env.2.valueFrom.resourceFieldRef.divisor"), "1Mi");
    CHECK(json_is_false(at(c, "env.3.valueFrom.secretKeyRef.optional")));
    CHECK_STR(str_at(c, "resources.limits.cpu"), "500m");
    CHECK_STR(json_string_value(json_object_get(at(c, "resources.limits"), "nvidia.com/gpu")), "1");
    CHECK_STR(str_at(c, "resources.requests.memory"), "64Mi");
    CHECK_STR(str_at(c, "volumeMounts.0.mountPropagation"), "None");
    CHECK(json_is_true(at(c, "volumeMounts.0.readOnly")));
    /* probes: the handler is an inline message; ports are IntOrString */
    CHECK_INT(int_at(c, "livenessProbe.httpGet.port"), 8080);
    CHECK_STR(str_at(c, "livenessProbe.httpGet.httpHeaders.0.value"), "y");
    CHECK_INT(int_at(c, "livenessProbe.terminationGracePeriodSeconds"), 0);
    CHECK_INT(int_at(c, "livenessProbe.failureThreshold"), 3);
    CHECK_STR(str_at(c, "readinessProbe.tcpSocket.port"), "http");
    CHECK_STR(str_at(c, "startupProbe.exec.command.1"), "/ok");
    CHECK_INT(int_at(c, "lifecycle.preStop.sleep.seconds"), 5);
    CHECK_STR(str_at(c, "lifecycle.postStart.httpGet.port"), "http");
    /* pointers keep their zero values */
    CHECK_INT(int_at(c, "securityContext.runAsUser"), 0);
    CHECK(json_is_false(at(c, "securityContext.privileged")));
    CHECK(json_is_false(at(c, "securityContext.runAsNonRoot")));
    CHECK_STR(str_at(c, "securityContext.capabilities.drop.0"), "ALL");
    CHECK_STR(str_at(c, "securityContext.seccompProfile.type"), "RuntimeDefault");
    CHECK(json_is_true(at(c, "tty")));
    CHECK_STR(str_at(o, "spec.initContainers.0.restartPolicy"), "Always");

    json_t *s = at(o, "spec");
    CHECK_INT(int_at(s, "terminationGracePeriodSeconds"), 0);
    CHECK_INT(int_at(s, "activeDeadlineSeconds"), 600);
    CHECK_INT(int_at(s, "priority"), -5);
    CHECK_INT(int_at(s, "securityContext.supplementalGroups.0"), 4000);
    CHECK_INT(int_at(s, "securityContext.supplementalGroups.1"), -1);
    CHECK_STR(str_at(s, "securityContext.sysctls.0.value"), "1024");
    CHECK(json_is_false(at(s, "automountServiceAccountToken")));
    CHECK(json_is_false(at(s, "enableServiceLinks")));
    CHECK(json_is_false(at(s, "shareProcessNamespace")));
    CHECK_STR(str_at(s, "runtimeClassName"), "");
    CHECK_INT(int_at(s, "tolerations.0.tolerationSeconds"), 30);
    CHECK_STR(str_at(s, "tolerations.1.operator"), "Exists");
    CHECK(at(s, "tolerations.1.key") == NULL);
    CHECK_STR(str_at(s, "affinity.nodeAffinity."
                        "requiredDuringSchedulingIgnoredDuringExecution."
                        "nodeSelectorTerms.0.matchExpressions.0.values.1"),
              "b");
    CHECK_INT(int_at(s, "topologySpreadConstraints.0.minDomains"), 2);
    CHECK(at(s, "dnsConfig.options.1.value") == NULL); /* nil *string */
    CHECK_STR(str_at(s, "dnsConfig.options.0.value"), "2");
    CHECK_STR(str_at(s, "overhead.cpu"), "10m");
    CHECK_STR(str_at(s, "schedulingGates.0.name"), "g");
    CHECK(at(s, "nodeName") == NULL); /* cleared by kubectl debug */
    CHECK_STR(str_at(o, "spec.containers.1.name"), "dbg");
    CHECK(json_is_object(at(o, "status")) && json_object_size(at(o, "status")) == 0);
    json_decref(o);

    o = decode(cap_debugnode, sizeof cap_debugnode, NULL);
    CHECK_STR(str_at(o, "spec.volumes.0.hostPath.path"), "/");
    CHECK(json_is_true(at(o, "spec.hostPID")));
    CHECK_STR(str_at(o, "spec.restartPolicy"), "Never");
    CHECK_STR(str_at(o, "spec.containers.0.volumeMounts.0.mountPath"), "/host");
    json_decref(o);
}

TEST(test_unknown_kind)
{
    int rc;
    /* once unknown, now a served kind: kubectl's own bytes decode */
    json_t *q = decode(cap_quota, sizeof cap_quota, NULL);
    CHECK_STR(str_at(q, "metadata.name"), "q");
    CHECK_STR(str_at(q, "spec.hard.pods"), "2");
    json_decref(q);

    pb body;
    envelope(&body, "v1", "ResourceQuotaX", NULL);
    char *err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_PROTOBUF_EKIND);
    CHECK_STR(err, "no kind \"ResourceQuotaX\" is registered for version \"v1\"");
    free(err);
    envelope(&body, "nope.example.com/v1", "Pod", NULL);
    err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_PROTOBUF_EKIND);
    free(err);
    envelope(&body, "apps/v1/x", "Deployment", NULL);
    err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_PROTOBUF_EKIND);
    free(err);
    envelope(&body, "v1", "", NULL);
    err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_EINVAL);
    CHECK(strstr(err, "Kind") != NULL);
    free(err);

    /* a served kind with no raw object is just its type */
    envelope(&body, "v1", "Namespace", NULL);
    json_t *o = decode(body.b, body.n, NULL);
    check_json(o, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\"}");
    json_decref(o);
}

/* ---- hand-built bodies -------------------------------------------------- */

static void timestamp(pb *t, int64_t sec, int32_t nanos)
{
    t->n = 0;
    put_uint(t, 1, (uint64_t)sec);
    put_uint(t, 2, (uint64_t)(int64_t)nanos);
}

TEST(test_times)
{
    /* Lease: MicroTime acquireTime/renewTime */
    pb spec = {.n = 0}, obj = {.n = 0}, t = {.n = 0}, body;
    put_str(&spec, 1, "me");
    put_uint(&spec, 2, 0); /* leaseDurationSeconds 0: a pointer, kept */
    timestamp(&t, 1700000000, 123456789);
    put_msg(&spec, 3, &t);
    timestamp(&t, -1, 0);
    put_msg(&spec, 4, &t);
    put_msg(&obj, 2, &spec);
    envelope(&body, "coordination.k8s.io/v1", "Lease", &obj);
    json_t *o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "spec.holderIdentity"), "me");
    CHECK_INT(int_at(o, "spec.leaseDurationSeconds"), 0);
    CHECK_STR(str_at(o, "spec.acquireTime"), "2023-11-14T22:13:20.123456Z");
    CHECK_STR(str_at(o, "spec.renewTime"), "1969-12-31T23:59:59.000000Z");
    json_decref(o);

    /* Event: Time (seconds only) and MicroTime side by side */
    pb ev = {.n = 0}, meta = {.n = 0};
    put_str(&meta, 1, "e1");
    put_msg(&ev, 1, &meta);
    timestamp(&t, 1700000000, 999999999);
    put_msg(&ev, 6, &t);
    t.n = 0; /* zero time: empty message */
    put_msg(&ev, 7, &t);
    timestamp(&t, 0, 0); /* explicit zeros: the Unix epoch */
    put_msg(&ev, 10, &t);
    put_uint(&ev, 8, 0);            /* count 0, omitempty: dropped */
    timestamp(&t, 253402300799, 0); /* last second of year 9999 */
    pb series = {.n = 0};
    put_uint(&series, 1, 3);
    put_msg(&series, 2, &t);
    put_msg(&ev, 11, &series);
    envelope(&body, "v1", "Event", &ev);
    o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "firstTimestamp"), "2023-11-14T22:13:20Z");
    CHECK(json_is_null(at(o, "lastTimestamp")));
    CHECK_STR(str_at(o, "eventTime"), "1970-01-01T00:00:00.000000Z");
    CHECK(at(o, "count") == NULL);
    CHECK_INT(int_at(o, "series.count"), 3);
    CHECK_STR(str_at(o, "series.lastObservedTime"), "9999-12-31T23:59:59.000000Z");
    /* reportingComponent is not omitempty, but absent stays absent */
    CHECK(at(o, "reportingComponent") == NULL);
    json_decref(o);

    /* nanos outside [0, 1e9) are normalised like Go's time.Unix */
    ev.n = 0;
    timestamp(&t, 10, -500000000);
    put_msg(&ev, 10, &t);
    envelope(&body, "v1", "Event", &ev);
    o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "eventTime"), "1970-01-01T00:00:09.500000Z");
    json_decref(o);

    /* early years keep four digits, as Go writes them */
    ev.n = 0;
    timestamp(&t, INT64_C(-62135596800), 0); /* 0001-01-01 */
    put_msg(&ev, 6, &t);
    envelope(&body, "v1", "Event", &ev);
    o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "firstTimestamp"), "0001-01-01T00:00:00Z");
    json_decref(o);

    /* beyond year 9999: no RFC 3339 form */
    ev.n = 0;
    timestamp(&t, 253402300800, 0);
    put_msg(&ev, 6, &t);
    envelope(&body, "v1", "Event", &ev);
    int rc;
    char *err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_EINVAL);
    free(err);
    ev.n = 0;
    timestamp(&t, INT64_MIN, -1);
    put_msg(&ev, 6, &t);
    envelope(&body, "v1", "Event", &ev);
    err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_EINVAL);
    free(err);
}

/* A Service port with a named targetPort, an IntOrString of a bad type, and
 * a Quantity whose string is absent. */
TEST(test_intorstring_quantity)
{
    pb port = {.n = 0}, ios = {.n = 0}, spec = {.n = 0}, svc = {.n = 0}, body;
    put_uint(&port, 3, 443);
    put_uint(&ios, 1, 1);
    put_uint(&ios, 2, 0);
    put_str(&ios, 3, "https");
    put_msg(&port, 4, &ios);
    put_msg(&spec, 1, &port);
    put_msg(&svc, 2, &spec);
    envelope(&body, "v1", "Service", &svc);
    json_t *o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "spec.ports.0.targetPort"), "https");
    CHECK_INT(int_at(o, "spec.ports.0.port"), 443);
    json_decref(o);

    ios.n = 0;
    put_uint(&ios, 1, 2);
    port.n = spec.n = svc.n = 0;
    put_msg(&port, 4, &ios);
    put_msg(&spec, 1, &port);
    put_msg(&svc, 2, &spec);
    envelope(&body, "v1", "Service", &svc);
    int rc;
    char *err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_EINVAL);
    CHECK(strstr(err, "IntOrString") != NULL);
    free(err);

    /* PersistentVolumeClaim resources.requests {storage: Quantity{}} */
    pb q = {.n = 0}, entry = {.n = 0}, res = {.n = 0}, pvcspec = {.n = 0}, pvc = {.n = 0};
    put_str(&entry, 1, "storage");
    put_msg(&entry, 2, &q);
    put_msg(&res, 2, &entry);
    entry.n = 0;
    put_str(&entry, 1, "x"); /* no value at all */
    put_msg(&res, 2, &entry);
    put_str(&q, 1, "10Gi");
    entry.n = 0;
    put_str(&entry, 1, "y");
    put_msg(&entry, 2, &q);
    put_msg(&res, 1, &entry);
    put_msg(&pvcspec, 2, &res);
    put_msg(&pvc, 2, &pvcspec);
    envelope(&body, "v1", "PersistentVolumeClaim", &pvc);
    o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "spec.resources.requests.storage"), "0");
    CHECK_STR(str_at(o, "spec.resources.requests.x"), "0");
    CHECK_STR(str_at(o, "spec.resources.limits.y"), "10Gi");
    json_decref(o);
}

/* ControllerRevision.data and WatchEvent.object are RawExtensions. */
TEST(test_raw_extension)
{
    pb raw = {.n = 0}, cr = {.n = 0}, body;
    const char *j = "{\"spec\":{\"template\":{\"a\":[1,2]}}}";
    put_str(&raw, 1, j);
    put_msg(&cr, 2, &raw);
    put_uint(&cr, 3, 0); /* revision 0: not omitempty, kept */
    envelope(&body, "apps/v1", "ControllerRevision", &cr);
    json_t *o = decode(body.b, body.n, NULL);
    CHECK_INT(int_at(o, "data.spec.template.a.1"), 2);
    CHECK_INT(int_at(o, "revision"), 0);
    json_decref(o);

    /* an empty RawExtension is null; bad JSON is an error */
    cr.n = raw.n = 0;
    put_msg(&cr, 2, &raw);
    envelope(&body, "apps/v1", "ControllerRevision", &cr);
    o = decode(body.b, body.n, NULL);
    CHECK(json_is_null(at(o, "data")));
    json_decref(o);
    cr.n = raw.n = 0;
    put_str(&raw, 1, "{not json");
    put_msg(&cr, 2, &raw);
    envelope(&body, "apps/v1", "ControllerRevision", &cr);
    int rc;
    char *err = decode_err(body.b, body.n, &rc);
    CHECK_INT(rc, K1S_EINVAL);
    free(err);

    /* a watch event embeds a protobuf object */
    pb inner, ev = {.n = 0}, meta = {.n = 0}, pod = {.n = 0};
    put_str(&meta, 1, "p");
    put_msg(&pod, 1, &meta);
    envelope(&inner, "v1", "Pod", &pod);
    raw.n = 0;
    put_bytes(&raw, 1, inner.b, inner.n);
    put_str(&ev, 1, "ADDED");
    put_msg(&ev, 2, &raw);
    envelope(&body, "v1", "WatchEvent", &ev);
    o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "type"), "ADDED");
    CHECK_STR(str_at(o, "object.kind"), "Pod");
    CHECK_STR(str_at(o, "object.metadata.name"), "p");
    json_decref(o);
}

/* Wire-format details go-to-protobuf output never shows but the format
 * allows: packed repeated numbers, repeated occurrences of a message (they
 * merge) and of a scalar (last wins), unknown numbers of every wire type,
 * invalid UTF-8, and map keys with odd bytes. */
TEST(test_wire_details)
{
    pb meta = {.n = 0}, meta2 = {.n = 0}, psc = {.n = 0}, spec = {.n = 0}, pod = {.n = 0},
       packed = {.n = 0}, body;
    put_str(&meta, 1, "first");
    put_str(&meta, 3, "ns1");
    put_str(&meta2, 1, "second");
    put_uint(&meta2, 7, 5);
    put_msg(&pod, 1, &meta);
    put_msg(&pod, 1, &meta2);
    put_varint(&packed, 1);
    put_varint(&packed, (uint64_t)-2);
    put_varint(&packed, 300);
    put_bytes(&psc, 4, packed.b, packed.n); /* supplementalGroups packed */
    put_uint(&psc, 4, 7);                   /* and one more unpacked */
    put_msg(&spec, 14, &psc);
    put_uint(&spec, 999, 1);        /* unknown varint */
    put_bytes(&spec, 998, "zz", 2); /* unknown bytes */
    put_key(&spec, 997, 5);         /* unknown fixed32 */
    put_raw(&spec, "abcd", 4);
    put_key(&spec, 996, 1); /* unknown fixed64 */
    put_raw(&spec, "abcdefgh", 8);
    put_str(&spec, 10, "bad\xff\xfe utf8\xe2\x82"); /* nodeName */
    put_msg(&pod, 2, &spec);
    envelope(&body, "v1", "Pod", &pod);
    json_t *o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "metadata.name"), "second");
    CHECK_STR(str_at(o, "metadata.namespace"), "ns1");
    CHECK_INT(int_at(o, "metadata.generation"), 5);
    json_t *g = at(o, "spec.securityContext.supplementalGroups");
    CHECK_INT(json_array_size(g), 4);
    CHECK_INT(int_at(g, "1"), -2);
    CHECK_INT(int_at(g, "2"), 300);
    CHECK_INT(int_at(g, "3"), 7);
    CHECK_STR(str_at(o, "spec.nodeName"),
              "bad\xef\xbf\xbd\xef\xbf\xbd utf8\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(o);

    /* a zero after a value clears it, as the last occurrence wins */
    pod.n = meta.n = 0;
    put_str(&meta, 1, "n");
    put_str(&meta, 1, "");
    put_msg(&pod, 1, &meta);
    envelope(&body, "v1", "Pod", &pod);
    o = decode(body.b, body.n, NULL);
    CHECK(at(o, "metadata.name") == NULL);
    json_decref(o);

    /* labels entry without a key, and a key with a NUL byte */
    pod.n = meta.n = 0;
    pb e = {.n = 0};
    put_str(&e, 2, "v");
    put_msg(&meta, 11, &e);
    e.n = 0;
    put_bytes(&e, 1, "a\0b", 3);
    put_str(&e, 2, "w");
    put_msg(&meta, 11, &e);
    put_msg(&pod, 1, &meta);
    envelope(&body, "v1", "Pod", &pod);
    o = decode(body.b, body.n, NULL);
    json_t *labels = at(o, "metadata.labels");
    CHECK_INT(json_object_size(labels), 2);
    CHECK_STR(json_string_value(json_object_get(labels, "")), "v");
    CHECK_STR(json_string_value(json_object_getn(labels, "a\0b", 3)), "w");
    json_decref(o);

    /* an Eviction with the zero grace period of "delete now" */
    pb ev = {.n = 0}, del = {.n = 0};
    meta.n = 0;
    put_str(&meta, 1, "victim");
    put_str(&meta, 3, "default");
    put_uint(&del, 1, 0);
    put_str(&del, 5, "All");
    put_msg(&ev, 1, &meta);
    put_msg(&ev, 2, &del);
    envelope(&body, "policy/v1", "Eviction", &ev);
    o = decode(body.b, body.n, NULL);
    check_json(o, "{\"kind\":\"Eviction\",\"apiVersion\":\"policy/v1\","
                  "\"metadata\":{\"name\":\"victim\",\"namespace\":\"default\"},"
                  "\"deleteOptions\":{\"gracePeriodSeconds\":0,"
                  "\"dryRun\":[\"All\"]}}");
    json_decref(o);
}

/* ---- hostile input ------------------------------------------------------ */

static void expect_fail(const void *b, size_t n, int want_rc, const char *what)
{
    int rc;
    char *err = decode_err(b, n, &rc);
    if (rc != want_rc) {
        fprintf(stderr, "%s: rc %d (%s), want %d\n", what, rc, err, want_rc);
        CHECK(0);
    }
    CHECK(err[0] != '\0');
    free(err);
}

TEST(test_malformed)
{
    int rc;
    json_t *out = (json_t *)1;
    CHECK_INT(k1s_protobuf_decode(NULL, 0, &out, NULL), K1S_EINVAL);
    CHECK(out == NULL);
    CHECK_INT(k1s_protobuf_decode("k8s", 3, NULL, NULL), K1S_EINVAL);
    expect_fail("", 0, K1S_EINVAL, "empty");
    expect_fail("{\"kind\":\"Pod\"}", 14, K1S_EINVAL, "json");
    expect_fail("k8s\0", 4, K1S_EINVAL, "no typeMeta");

    pb b = {.n = 0};
    put_raw(&b, "k8s\0\x0a\xff", 6); /* truncated length varint */
    expect_fail(b.b, b.n, K1S_EINVAL, "truncated varint");
    b.n = 0;
    put_raw(&b, "k8s\0\x0a\x10\x0a\x02v1", 10); /* length past the end */
    expect_fail(b.b, b.n, K1S_EINVAL, "length past end");
    b.n = 0;
    put_raw(&b, "k8s\0\x0a", 5);
    put_raw(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    expect_fail(b.b, b.n, K1S_EINVAL, "11-byte varint");
    b.n = 0;
    put_raw(&b, "k8s\0\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 14);
    expect_fail(b.b, b.n, K1S_EINVAL, "huge length");
    b.n = 0;
    put_raw(&b, "k8s\0\x03\x04", 6); /* group wire types */
    expect_fail(b.b, b.n, K1S_EINVAL, "group");
    b.n = 0;
    put_raw(&b, "k8s\0\x02\x00", 6); /* field number 0 */
    expect_fail(b.b, b.n, K1S_EINVAL, "field 0");

    /* wrong wire types for known fields */
    pb pod = {.n = 0}, body;
    put_uint(&pod, 1, 5); /* metadata as a varint */
    envelope(&body, "v1", "Pod", &pod);
    expect_fail(body.b, body.n, K1S_EINVAL, "metadata varint");
    pb port = {.n = 0}, c = {.n = 0}, spec = {.n = 0};
    put_str(&port, 3, "80"); /* containerPort as bytes */
    put_msg(&c, 6, &port);
    put_msg(&spec, 2, &c);
    pod.n = 0;
    put_msg(&pod, 2, &spec);
    envelope(&body, "v1", "Pod", &pod);
    int rc2;
    char *err = decode_err(body.b, body.n, &rc2);
    CHECK_INT(rc2, K1S_EINVAL);
    CHECK(strstr(err, "containerPort") != NULL);
    free(err);
    pb vol = {.n = 0};
    put_uint(&vol, 2, 1); /* Volume's inline VolumeSource as a varint */
    spec.n = pod.n = 0;
    put_msg(&spec, 1, &vol);
    put_msg(&pod, 2, &spec);
    envelope(&body, "v1", "Pod", &pod);
    expect_fail(body.b, body.n, K1S_EINVAL, "inline varint");
    pb meta = {.n = 0};
    put_uint(&meta, 11, 1); /* labels entry as a varint */
    pod.n = 0;
    put_msg(&pod, 1, &meta);
    envelope(&body, "v1", "Pod", &pod);
    expect_fail(body.b, body.n, K1S_EINVAL, "map varint");

    /* bad envelope fields */
    pb tm = {.n = 0};
    put_str(&tm, 1, "v1");
    put_str(&tm, 2, "Pod");
    b.n = 0;
    put_raw(&b, "k8s\0", 4);
    put_msg(&b, 1, &tm);
    put_str(&b, 3, "gzip");
    expect_fail(b.b, b.n, K1S_EINVAL, "content encoding");
    b.n = 0;
    put_raw(&b, "k8s\0", 4);
    put_msg(&b, 1, &tm);
    put_str(&b, 4, "application/json");
    expect_fail(b.b, b.n, K1S_EINVAL, "content type");
    b.n = 0;
    put_raw(&b, "k8s\0", 4);
    put_msg(&b, 1, &tm);
    put_str(&b, 4, "application/vnd.kubernetes.protobuf");
    json_t *o = decode(b.b, b.n, &rc);
    CHECK_INT(rc, 0);
    json_decref(o);
    tm.n = 0;
    put_bytes(&tm, 2, "Po\0d", 4);
    put_str(&tm, 1, "v1");
    b.n = 0;
    put_raw(&b, "k8s\0", 4);
    put_msg(&b, 1, &tm);
    expect_fail(b.b, b.n, K1S_EINVAL, "NUL in kind");
}

/* WatchEvent embeds WatchEvent embeds ... far deeper than the limit. */
TEST(test_deep_nesting)
{
    static unsigned char a[8192];
    size_t n = 0;
    for (int level = 0; level < 200; level++) {
        pb raw = {.n = 0}, ev = {.n = 0}, env;
        if (level > 0) {
            put_bytes(&raw, 1, a, n);
            put_msg(&ev, 2, &raw);
        }
        envelope(&env, "v1", "WatchEvent", &ev);
        memcpy(a, env.b, env.n);
        n = env.n;
    }
    CHECK(n > 2000);
    expect_fail(a, n, K1S_ETOOLARGE, "deep watch events");

    /* a few levels are fine */
    pb raw = {.n = 0}, ev = {.n = 0}, inner, body;
    envelope(&inner, "v1", "WatchEvent", NULL);
    put_bytes(&raw, 1, inner.b, inner.n);
    put_msg(&ev, 2, &raw);
    envelope(&body, "v1", "WatchEvent", &ev);
    json_t *o = decode(body.b, body.n, NULL);
    CHECK_STR(str_at(o, "object.kind"), "WatchEvent");
    json_decref(o);
}

/* Millions of tiny map entries: the output budget stops it, memory stays
 * small because every entry overwrites the same key. */
TEST(test_output_limit)
{
    size_t entries = 600000;
    size_t cap = entries * 4 + 256;
    unsigned char *b = malloc(cap);
    CHECK(b != NULL);
    if (!b)
        return;
    pb tm = {.n = 0}, head = {.n = 0};
    put_str(&tm, 1, "v1");
    put_str(&tm, 2, "ConfigMap");
    put_raw(&head, "k8s\0", 4);
    put_msg(&head, 1, &tm);
    put_key(&head, 2, 2);
    put_varint(&head, entries * 4);
    memcpy(b, head.b, head.n);
    size_t n = head.n;
    for (size_t i = 0; i < entries; i++) {
        memcpy(b + n, "\x12\x02\x0a\x00", 4); /* data entry {key ""} */
        n += 4;
    }
    expect_fail(b, n, K1S_ETOOLARGE, "output budget");
    /* the same with two entries decodes */
    head.n = 0;
    put_raw(&head, "k8s\0", 4);
    put_msg(&head, 1, &tm);
    put_key(&head, 2, 2);
    put_varint(&head, 8);
    put_raw(&head, "\x12\x02\x0a\x00\x12\x02\x0a\x00", 8);
    json_t *o = decode(head.b, head.n, NULL);
    CHECK_INT(json_object_size(at(o, "data")), 1);
    CHECK_STR(json_string_value(json_object_get(at(o, "data"), "")), "");
    json_decref(o);
    free(b);
}

/* Every prefix of every capture, and every capture with each byte replaced
 * by a few values: never a crash (ASan/UBSan), always 0 or a clean error. */
TEST(test_truncations_and_corruptions)
{
    static const struct {
        const unsigned char *b;
        size_t n;
    } caps[] = {
        {cap_cm, sizeof cap_cm},       {cap_secret, sizeof cap_secret},
        {cap_svc, sizeof cap_svc},     {cap_deploy, sizeof cap_deploy},
        {cap_debug, sizeof cap_debug}, {cap_debugnode, sizeof cap_debugnode},
        {cap_cmbin, sizeof cap_cmbin},
    };
    static const unsigned char vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a};
    size_t ok = 0, failed = 0;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        unsigned char *copy = malloc(caps[i].n);
        CHECK(copy != NULL);
        if (!copy)
            return;
        for (size_t len = 0; len < caps[i].n; len++) {
            memcpy(copy, caps[i].b, len); /* exact-size buffer for ASan */
            int rc;
            json_t *o = decode(copy, len, &rc);
            rc == 0 ? ok++ : failed++;
            json_decref(o);
        }
        for (size_t pos = 0; pos < caps[i].n; pos++) {
            for (size_t v = 0; v < sizeof vals; v++) {
                memcpy(copy, caps[i].b, caps[i].n);
                copy[pos] = vals[v];
                int rc;
                json_t *o = decode(copy, caps[i].n, &rc);
                rc == 0 ? ok++ : failed++;
                json_decref(o);
            }
        }
        free(copy);
    }
    /* both outcomes happen: corruption is not all-or-nothing */
    CHECK(ok > 0 && failed > 0);
}

TEST(test_content_type)
{
    CHECK(k1s_protobuf_content_type("application/vnd.kubernetes.protobuf"));
    CHECK(k1s_protobuf_content_type(" Application/Vnd.Kubernetes.Protobuf ; x=y"));
    CHECK(k1s_protobuf_content_type("application/vnd.kubernetes.protobuf;charset=x"));
    CHECK(!k1s_protobuf_content_type("application/json"));
    CHECK(!k1s_protobuf_content_type("application/vnd.kubernetes.protobufx"));
    CHECK(!k1s_protobuf_content_type(NULL));
}

K1S_TEST_MAIN(T(test_captures_match_go_json), T(test_configmap_and_secret_fields),
              T(test_service_and_deployment_fields), T(test_rich_pod), T(test_unknown_kind),
              T(test_times), T(test_intorstring_quantity), T(test_raw_extension),
              T(test_wire_details), T(test_malformed), T(test_deep_nesting), T(test_output_limit),
              T(test_truncations_and_corruptions), T(test_content_type))
