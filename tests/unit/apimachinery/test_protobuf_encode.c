/*
 * test_protobuf_encode.c - k1s_protobuf_encode and its list and watch
 * forms. The decoder is checked against real kubectl bodies
 * (test_protobuf.c), so here every encoding is decoded back: the real
 * captures and a rich object of every served kind must come back as the
 * same JSON. Exact bytes are checked where the layout matters to Go's
 * decoder (envelope, frames, negative int32s, inline messages), and what the
 * encoding cannot carry must fail instead of being dropped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_protobuf.h"
#include "k1s_test.h"
#include "protobuf_captures.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        fprintf(stderr, "bad test JSON: %s at %d\n", e.text, e.position);
    CHECK(v != NULL);
    return v;
}

static bool same_json(const json_t *got, const json_t *want, const char *what)
{
    if (json_equal((json_t *)got, (json_t *)want))
        return true;
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "%s:\n got  %s\n want %s\n", what, g ? g : "(null)", w ? w : "(null)");
    free(g);
    free(w);
    return false;
}

/* Encodes obj and decodes the bytes back (NULL when either fails). */
static json_t *round_trip(const json_t *obj)
{
    unsigned char *b = NULL;
    size_t n = 0;
    int rc = k1s_protobuf_encode(obj, &b, &n);
    CHECK_INT(rc, 0);
    if (rc)
        return NULL;
    CHECK(n > 4 && !memcmp(b, "k8s\0", 4));
    json_t *back = NULL;
    char *err = NULL;
    rc = k1s_protobuf_decode((const char *)b, n, &back, &err);
    if (rc)
        fprintf(stderr, "decode of our encoding failed: %s\n", err ? err : "?");
    CHECK_INT(rc, 0);
    free(err);
    free(b);
    return back;
}

/* ---- a minimal reader for checking layouts ------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
} rd;

static uint64_t rd_varint(rd *r)
{
    uint64_t v = 0;
    for (unsigned s = 0; r->p < r->end && s < 64; s += 7) {
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << s;
        if (c < 0x80)
            return v;
    }
    CHECK(0);
    return 0;
}

/* The next field: its number, and its payload for length-delimited ones
 * (varints come back in *v). False at the end. */
static bool rd_field(rd *r, unsigned *num, rd *payload, uint64_t *v)
{
    if (r->p >= r->end)
        return false;
    uint64_t key = rd_varint(r);
    *num = (unsigned)(key >> 3);
    if ((key & 7) == 2) {
        uint64_t n = rd_varint(r);
        CHECK(n <= (uint64_t)(r->end - r->p));
        payload->p = r->p;
        payload->end = r->p + n;
        r->p += n;
    } else {
        CHECK((key & 7) == 0);
        *v = rd_varint(r);
    }
    return true;
}

/* The envelope of a whole body: its raw message, apiVersion and kind. */
static rd open_envelope(const unsigned char *b, size_t n, char *av, char *kind)
{
    rd r = {b + 4, b + n}, f, raw = {NULL, NULL};
    unsigned num;
    uint64_t v;
    CHECK(n >= 4 && !memcmp(b, "k8s\0", 4));
    av[0] = kind[0] = '\0';
    while (rd_field(&r, &num, &f, &v)) {
        if (num == 1) {
            rd g;
            unsigned gn;
            while (rd_field(&f, &gn, &g, &v))
                snprintf(gn == 1 ? av : kind, 64, "%.*s", (int)(g.end - g.p), (const char *)g.p);
        } else if (num == 2) {
            raw = f;
        } else {
            CHECK(num == 3 || num == 4);
            CHECK(f.p == f.end); /* contentEncoding, contentType: empty */
        }
    }
    return raw;
}

/* Wraps a bare message as a body of the given kind, for the decoder. */
static json_t *decode_message(const char *av, const char *kind, rd m)
{
    size_t n = (size_t)(m.end - m.p);
    unsigned char *b = malloc(n + 600);
    size_t o = 0;
    memcpy(b, "k8s\0", 4);
    o = 4;
    size_t la = strlen(av), lk = strlen(kind);
    b[o++] = 0x0a;
    b[o++] = (unsigned char)(la + lk + 4);
    b[o++] = 0x0a;
    b[o++] = (unsigned char)la;
    memcpy(b + o, av, la), o += la;
    b[o++] = 0x12;
    b[o++] = (unsigned char)lk;
    memcpy(b + o, kind, lk), o += lk;
    b[o++] = 0x12;
    uint64_t l = n;
    do {
        b[o++] = (unsigned char)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
        l >>= 7;
    } while (l);
    memcpy(b + o, m.p, n), o += n;
    json_t *obj = NULL;
    char *err = NULL;
    int rc = k1s_protobuf_decode((const char *)b, o, &obj, &err);
    if (rc)
        fprintf(stderr, "decode: %s\n", err ? err : "?");
    CHECK_INT(rc, 0);
    free(err);
    free(b);
    return obj;
}

/* ---- tests --------------------------------------------------------------- */

#define CAP(name)                            \
    {                                        \
#name, cap_##name, sizeof cap_##name \
    }

TEST(test_captures_round_trip)
{
    static const struct {
        const char *name;
        const unsigned char *body;
        size_t len;
    } caps[] = {
        CAP(cm),        CAP(secret),  CAP(ns),     CAP(sa),    CAP(svc),
        CAP(svcip),     CAP(extname), CAP(deploy), CAP(cmbin), CAP(dockercfg),
        CAP(debugnode), CAP(debug),   CAP(quota),
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        json_t *a = NULL;
        char *err = NULL;
        if (k1s_protobuf_decode((const char *)caps[i].body, caps[i].len, &a, &err) != 0) {
            /* kinds k1s does not serve yet (ResourceQuota) */
            free(err);
            continue;
        }
        json_t *b = round_trip(a);
        CHECK(b && same_json(b, a, caps[i].name));
        json_decref(a);
        json_decref(b);
    }
}

/* One rich object of every served kind, with every value shape: inline
 * messages (Volume, PersistentVolume), int-or-string, quantities, times and
 * microtimes, bytes, raw JSON (fieldsV1, ControllerRevision data),
 * negative numbers, kept zeros, maps and lists of objects. */
static const char *const samples[] = {
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\",\"namespace\":\"d\","
    "\"uid\":\"u1\",\"resourceVersion\":\"12\",\"generation\":3,"
    "\"creationTimestamp\":\"2026-01-02T03:04:05Z\",\"deletionTimestamp\":\"2026-01-02T03:05:05Z\","
    "\"deletionGracePeriodSeconds\":0,\"labels\":{\"app\":\"web\",\"tier\":\"\"},"
    "\"annotations\":{\"a/b\":\"x\\u00e9\\n\"},\"finalizers\":[\"f1\",\"f2\"],"
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs\","
    "\"uid\":\"u0\",\"controller\":true,\"blockOwnerDeletion\":false}],"
    "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
    "\"time\":\"2026-01-02T03:04:05Z\",\"fieldsType\":\"FieldsV1\","
    "\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}}]},"
    "\"spec\":{\"volumes\":[{\"name\":\"data\",\"persistentVolumeClaim\":{\"claimName\":\"c\","
    "\"readOnly\":true}},{\"name\":\"cfg\",\"configMap\":{\"name\":\"cm\",\"defaultMode\":420,"
    "\"items\":[{\"key\":\"k\",\"path\":\"p\",\"mode\":-1}]}},{\"name\":\"e\",\"emptyDir\":"
    "{\"sizeLimit\":\"1Gi\"}},{\"name\":\"h\",\"hostPath\":{\"path\":\"/x\",\"type\":\"\"}}],"
    "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"command\":[\"sh\",\"-c\"],"
    "\"ports\":[{\"name\":\"http\",\"containerPort\":80,\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{\"fieldRef\":"
    "{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}}],"
    "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"1\"}},"
    "\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":\"http\",\"scheme\":\"HTTP\"},"
    "\"periodSeconds\":10,\"failureThreshold\":3},\"livenessProbe\":{\"tcpSocket\":{\"port\":80}},"
    "\"securityContext\":{\"runAsUser\":0,\"privileged\":false},"
    "\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/data\"}]}],"
    "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
    "\"nodeName\":\"vm\",\"hostNetwork\":true,\"priority\":0,\"enableServiceLinks\":true,"
    "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}]},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.5\",\"podIPs\":[{\"ip\":\"10.0.0.5\"}],"
    "\"startTime\":\"2026-01-02T03:04:06Z\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
    "\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-01-02T03:04:07Z\"}],"
    "\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,\"restartCount\":0,\"image\":\"nginx\","
    "\"imageID\":\"\",\"started\":true,\"state\":{\"running\":{\"startedAt\":\"2026-01-02T03:04:06Z\"}},"
    "\"lastState\":{\"terminated\":{\"exitCode\":-2,\"reason\":\"Error\","
    "\"startedAt\":null,\"finishedAt\":\"2026-01-02T03:04:06Z\"}}}],\"qosClass\":\"Burstable\"}}",

    "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"},\"spec\":{"
    "\"ports\":[{\"name\":\"a\",\"port\":80,\"targetPort\":8080,\"nodePort\":30080,\"protocol\":\"TCP\"},"
    "{\"name\":\"b\",\"port\":443,\"targetPort\":\"https\"}],\"selector\":{\"app\":\"web\"},"
    "\"clusterIP\":\"10.96.0.9\",\"clusterIPs\":[\"10.96.0.9\"],\"type\":\"NodePort\","
    "\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":"
    "10800}},\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\","
    "\"externalTrafficPolicy\":\"Cluster\",\"internalTrafficPolicy\":\"Cluster\"},"
    "\"status\":{\"loadBalancer\":{}}}",

    "{\"kind\":\"StatefulSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"db\"},"
    "\"spec\":{\"replicas\":0,\"serviceName\":\"db\",\"selector\":{\"matchLabels\":{\"app\":\"db\"},"
    "\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"In\",\"values\":[\"1\",\"2\"]}]},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"db\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"c\",\"image\":\"busybox\"}]}},\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":"
    "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}},\"status\":"
    "{\"phase\":\"Pending\"}}],\"podManagementPolicy\":\"OrderedReady\",\"updateStrategy\":"
    "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0,\"maxUnavailable\":\"50%\"}},"
    "\"revisionHistoryLimit\":10,\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":"
    "\"Retain\",\"whenScaled\":\"Delete\"}},\"status\":{\"replicas\":3,\"readyReplicas\":3,"
    "\"currentRevision\":\"db-1\",\"collisionCount\":0,\"availableReplicas\":3}}",

    "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"w\"},"
    "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":"
    "{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"containers\":[{\"name\":\"c\","
    "\"image\":\"i\"}]}},\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
    "{\"maxUnavailable\":\"25%\",\"maxSurge\":1}},\"progressDeadlineSeconds\":600},"
    "\"status\":{\"observedGeneration\":1,\"conditions\":[{\"type\":\"Available\",\"status\":"
    "\"True\",\"lastUpdateTime\":\"2026-01-02T03:04:05Z\",\"lastTransitionTime\":"
    "\"2026-01-02T03:04:05Z\",\"reason\":\"MinimumReplicasAvailable\",\"message\":\"ok\"}]}}",

    "{\"kind\":\"PersistentVolume\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"pv\"},"
    "\"spec\":{\"capacity\":{\"storage\":\"5Gi\"},\"hostPath\":{\"path\":\"/data/pv\","
    "\"type\":\"DirectoryOrCreate\"},\"accessModes\":[\"ReadWriteOnce\"],\"claimRef\":"
    "{\"kind\":\"PersistentVolumeClaim\",\"namespace\":\"d\",\"name\":\"c\",\"uid\":\"u\"},"
    "\"persistentVolumeReclaimPolicy\":\"Delete\",\"storageClassName\":\"hostpath\","
    "\"volumeMode\":\"Filesystem\",\"nodeAffinity\":{\"required\":{\"nodeSelectorTerms\":"
    "[{\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":\"In\","
    "\"values\":[\"vm\"]}]}]}}},\"status\":{\"phase\":\"Bound\","
    "\"lastPhaseTransitionTime\":\"2026-01-02T03:04:05Z\"}}",

    "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"vm\"},\"spec\":"
    "{\"podCIDR\":\"10.244.0.0/24\",\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}],"
    "\"unschedulable\":true},\"status\":{\"capacity\":{\"cpu\":\"2\",\"memory\":\"8Gi\","
    "\"pods\":\"110\"},\"allocatable\":{\"cpu\":\"2\"},\"addresses\":[{\"type\":\"InternalIP\","
    "\"address\":\"10.0.0.1\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}},"
    "\"nodeInfo\":{\"machineID\":\"m\",\"systemUUID\":\"s\",\"bootID\":\"b\",\"kernelVersion\":"
    "\"6\",\"osImage\":\"Debian\",\"containerRuntimeVersion\":\"containerd://1.6\","
    "\"kubeletVersion\":\"v1.33.0\",\"kubeProxyVersion\":\"\",\"operatingSystem\":\"linux\","
    "\"architecture\":\"amd64\"},\"images\":[{\"names\":[\"a\",\"b\"],\"sizeBytes\":123456789012}]}}",

    "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},"
    "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\",\"fieldPath\":\"spec.containers{c}\"},"
    "\"reason\":\"Pulled\",\"message\":\"m\",\"source\":{\"component\":\"kubelet\",\"host\":\"vm\"},"
    "\"firstTimestamp\":\"2026-01-02T03:04:05Z\",\"lastTimestamp\":null,\"count\":2,\"type\":"
    "\"Normal\",\"eventTime\":\"2026-01-02T03:04:05.123456Z\",\"reportingComponent\":\"k\","
    "\"reportingInstance\":\"\"}",

    "{\"kind\":\"Event\",\"apiVersion\":\"events.k8s.io/v1\",\"metadata\":{\"name\":\"e2\"},"
    "\"eventTime\":\"2026-01-02T03:04:05.000001Z\",\"reportingController\":\"c\",\"reportingInstance\":"
    "\"i\",\"action\":\"A\",\"reason\":\"R\",\"regarding\":{\"kind\":\"Pod\",\"name\":\"p\"},"
    "\"series\":{\"count\":3,\"lastObservedTime\":\"2026-01-02T03:04:06.500000Z\"},"
    "\"note\":\"n\",\"type\":\"Warning\"}",

    "{\"kind\":\"Lease\",\"apiVersion\":\"coordination.k8s.io/v1\",\"metadata\":{\"name\":\"l\"},"
    "\"spec\":{\"holderIdentity\":\"h\",\"leaseDurationSeconds\":40,\"acquireTime\":"
    "\"2026-01-02T03:04:05.000000Z\",\"renewTime\":\"2026-01-02T03:04:45.999999Z\","
    "\"leaseTransitions\":0}}",

    "{\"kind\":\"ControllerRevision\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"r\"},"
    "\"data\":{\"spec\":{\"template\":{\"$patch\":\"replace\",\"spec\":{\"x\":[1,2.5,null,true]}}}},"
    "\"revision\":7}",

    "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"},\"type\":\"Opaque\","
    "\"data\":{\"a\":\"AAEC/w==\",\"empty\":\"\"},\"immutable\":false}",

    "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"c\"},\"data\":{\"k\":"
    "\"v\"},\"binaryData\":{\"b\":\"3q2+7w==\"}}",

    "{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":{\"name\":"
    "\"s-abc\"},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.0.0.5\"],"
    "\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},\"nodeName\":\"vm\","
    "\"targetRef\":{\"kind\":\"Pod\",\"name\":\"p\"}}],\"ports\":[{\"name\":\"\",\"port\":80,"
    "\"protocol\":\"TCP\"}]}",

    "{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"s\"},\"subsets\":"
    "[{\"addresses\":[{\"ip\":\"10.0.0.5\",\"nodeName\":\"vm\"}],\"notReadyAddresses\":[{\"ip\":"
    "\"10.0.0.6\"}],\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]}",

    "{\"kind\":\"StorageClass\",\"apiVersion\":\"storage.k8s.io/v1\",\"metadata\":{\"name\":"
    "\"hostpath\",\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}},"
    "\"provisioner\":\"k1s.io/hostpath\",\"parameters\":{\"a\":\"b\"},\"reclaimPolicy\":\"Delete\","
    "\"volumeBindingMode\":\"WaitForFirstConsumer\",\"allowVolumeExpansion\":false}",

    "{\"kind\":\"Scale\",\"apiVersion\":\"autoscaling/v1\",\"metadata\":{\"name\":\"w\"},"
    "\"spec\":{\"replicas\":1},\"status\":{\"replicas\":2,\"selector\":\"a=b\"}}",

    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"pods \\\"x\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"x\","
    "\"kind\":\"pods\"},\"code\":404}",

    "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n\"},\"spec\":"
    "{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}",

    "{\"kind\":\"DaemonSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"ds\"},\"spec\":"
    "{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"spec\":{\"containers\":"
    "[{\"name\":\"c\",\"image\":\"i\"}]}},\"updateStrategy\":{\"type\":\"OnDelete\"}},"
    "\"status\":{\"currentNumberScheduled\":1,\"numberMisscheduled\":0,"
    "\"desiredNumberScheduled\":1,\"numberReady\":1}}",
};

TEST(test_every_kind_round_trips)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        json_t *a = parse(samples[i]);
        if (!a)
            continue;
        json_t *b = round_trip(a);
        /* the decoder drops zero scalars Go omits; the samples keep only
         * zeros that are meaningful (pointers), so nothing changes */
        CHECK(b && same_json(b, a, json_string_value(json_object_get(a, "kind"))));
        json_decref(a);
        json_decref(b);
    }
}

TEST(test_exact_bytes)
{
    json_t *o = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                      "{\"name\":\"x\"},\"data\":{\"a\":\"b\"}}");
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_INT(k1s_protobuf_encode(o, &b, &n), 0);
    static const unsigned char want[] = {
        'k',  '8',  's',  0,    0x0a, 0x0f, 0x0a, 0x02, 'v', '1',  0x12, 0x09,
        'C',  'o',  'n',  'f',  'i',  'g',  'M',  'a',  'p', 0x12, 0x0d, /* raw: the ConfigMap */
        0x0a, 0x03, 0x0a, 0x01, 'x',                                     /* 1 metadata {1 name} */
        0x12, 0x06, 0x0a, 0x01, 'a',  0x12, 0x01, 'b',                   /* 2 data entry */
        0x1a, 0x00, 0x22, 0x00, /* contentEncoding, contentType */
    };
    CHECK_INT(n, sizeof want);
    CHECK(n == sizeof want && !memcmp(b, want, n));
    free(b);
    json_decref(o);

    /* a negative int32 takes ten bytes, sign-extended, as Go writes it */
    o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"count\":-1}");
    CHECK_INT(k1s_protobuf_encode(o, &b, &n), 0);
    static const unsigned char neg[] = {0x40, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(n > sizeof neg && memmem(b, n, neg, sizeof neg) != NULL);
    free(b);
    json_decref(o);

    /* Volume: name is field 1, the inline VolumeSource one message, 2 */
    o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"volumes\":[{\"name\":\"v\","
              "\"emptyDir\":{}}]}}");
    CHECK_INT(k1s_protobuf_encode(o, &b, &n), 0);
    static const unsigned char vol[] = {0x0a, 0x07, 0x0a, 0x01, 'v', 0x12, 0x02, 0x12, 0x00};
    CHECK(memmem(b, n, vol, sizeof vol) != NULL);
    free(b);
    json_decref(o);
}

TEST(test_what_cannot_be_carried)
{
    static const struct {
        const char *json;
        int rc;
    } cases[] = {
        /* a field the schema does not know */
        {"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"extra\":1}", K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"nam\":\"c\"}]}}",
         K1S_PROTOBUF_ENOFORM},
        /* values of the wrong JSON type */
        {"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"immutable\":\"yes\"}",
         K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"count\":1.5}", K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"count\":4294967296}", K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\"a\":\"not base64!\"}}",
         K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"creationTimestamp\":\"soon\"}}",
         K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"finalizers\":[null]}}",
         K1S_PROTOBUF_ENOFORM},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"status\":{\"capacity\":{\"cpu\":0.5}}}",
         K1S_PROTOBUF_ENOFORM},
        /* the Table has no protobuf form */
        {"{\"apiVersion\":\"meta.k8s.io/v1\",\"kind\":\"Table\",\"rows\":[]}",
         K1S_PROTOBUF_ENOFORM},
        /* kinds without a schema: custom resources */
        {"{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\"}", K1S_PROTOBUF_EKIND},
        {"{\"kind\":\"Pod\"}", K1S_PROTOBUF_EKIND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *o = parse(cases[i].json);
        unsigned char *b = (unsigned char *)1;
        size_t n = 7;
        int rc = k1s_protobuf_encode(o, &b, &n);
        if (rc != cases[i].rc)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].json);
        CHECK_INT(rc, cases[i].rc);
        CHECK(b == NULL && n == 0);
        json_decref(o);
    }
    CHECK(k1s_protobuf_kind_known("apps", "v1", "StatefulSet"));
    CHECK(!k1s_protobuf_kind_known("example.com", "v1", "Widget"));
}

TEST(test_partial_metadata)
{
    json_t *o = parse("{\"apiVersion\":\"meta.k8s.io/v1\",\"kind\":\"PartialObjectMetadata\","
                      "\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"b\"}}}");
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_INT(k1s_protobuf_encode(o, &b, &n), 0);
    char av[64], kind[64];
    rd raw = open_envelope(b, n, av, kind);
    CHECK_STR(av, "meta.k8s.io/v1");
    CHECK_STR(kind, "PartialObjectMetadata");
    /* {1 metadata}: the same bytes as a Pod holding only its metadata */
    json_t *pod = decode_message("v1", "Pod", raw);
    json_t *want = parse("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\","
                         "\"labels\":{\"a\":\"b\"}}}");
    CHECK(same_json(pod, want, "partial metadata"));
    json_decref(pod);
    json_decref(want);
    json_decref(o);
    free(b);
}

static void check_list(bool meta)
{
    k1s_protobuf_list *l = k1s_protobuf_list_new("apps/v1", "StatefulSet", meta);
    CHECK(l != NULL);
    json_t *items[3];
    for (int i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"metadata\":{\"name\":\"s%d\",\"resourceVersion\":\"%d\"},"
                 "\"spec\":{\"replicas\":%d,\"serviceName\":\"x\"}}",
                 i, 10 + i, i + 1);
        items[i] = parse(text);
        CHECK_INT(k1s_protobuf_list_add(l, items[i]), 0);
    }
    json_t *lm =
        parse("{\"resourceVersion\":\"42\",\"continue\":\"abc\",\"remainingItemCount\":0}");
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK_INT(k1s_protobuf_list_finish(l, lm, &b, &n), 0);
    k1s_protobuf_list_free(l);
    char av[64], kind[64];
    rd raw = open_envelope(b, n, av, kind);
    CHECK_STR(av, meta ? "meta.k8s.io/v1" : "apps/v1");
    CHECK_STR(kind, meta ? "PartialObjectMetadataList" : "StatefulSetList");
    unsigned num;
    rd f;
    uint64_t v;
    int seen = 0;
    bool saw_meta = false;
    while (rd_field(&raw, &num, &f, &v)) {
        if (num == 1) {
            /* ListMeta {2 resourceVersion, 3 continue, 4 remainingItemCount} */
            rd g;
            unsigned gn;
            saw_meta = true;
            while (rd_field(&f, &gn, &g, &v)) {
                if (gn == 2)
                    CHECK(g.end - g.p == 2 && !memcmp(g.p, "42", 2));
                else if (gn == 3)
                    CHECK(g.end - g.p == 3 && !memcmp(g.p, "abc", 3));
                else
                    CHECK(gn == 4 && v == 0);
            }
            continue;
        }
        CHECK_INT(num, 2);
        CHECK(seen < 3);
        if (seen >= 3)
            break;
        json_t *got = decode_message("apps/v1", "StatefulSet", f);
        json_t *want = json_deep_copy(items[seen]);
        if (meta)
            json_object_del(want, "spec");
        json_object_set_new(want, "kind", json_string("StatefulSet"));
        json_object_set_new(want, "apiVersion", json_string("apps/v1"));
        CHECK(same_json(got, want, "list item"));
        json_decref(got);
        json_decref(want);
        seen++;
    }
    CHECK_INT(seen, 3);
    CHECK(saw_meta);
    for (int i = 0; i < 3; i++)
        json_decref(items[i]);
    json_decref(lm);
    free(b);
}

TEST(test_lists)
{
    check_list(false);
    check_list(true);
    CHECK(k1s_protobuf_list_new("example.com/v1", "Widget", false) == NULL);

    /* a bad item latches: finish fails and nothing is returned */
    k1s_protobuf_list *l = k1s_protobuf_list_new("v1", "ConfigMap", false);
    json_t *bad = parse("{\"metadata\":{\"name\":1}}");
    json_t *good = parse("{\"metadata\":{\"name\":\"ok\"}}");
    CHECK_INT(k1s_protobuf_list_add(l, bad), K1S_PROTOBUF_ENOFORM);
    CHECK_INT(k1s_protobuf_list_add(l, good), K1S_PROTOBUF_ENOFORM);
    unsigned char *b = (unsigned char *)1;
    size_t n = 3;
    CHECK_INT(k1s_protobuf_list_finish(l, NULL, &b, &n), K1S_PROTOBUF_ENOFORM);
    CHECK(b == NULL && n == 0);
    k1s_protobuf_list_free(l);
    json_decref(bad);
    json_decref(good);

    /* an empty list is a valid body */
    l = k1s_protobuf_list_new("v1", "Pod", false);
    json_t *lm = parse("{\"resourceVersion\":\"1\"}");
    CHECK_INT(k1s_protobuf_list_finish(l, lm, &b, &n), 0);
    char av[64], kind[64];
    open_envelope(b, n, av, kind);
    CHECK_STR(kind, "PodList");
    free(b);
    k1s_protobuf_list_free(l);
    json_decref(lm);
}

TEST(test_watch_frames)
{
    k1s_buf out = {0};
    k1s_buf_adds(&out, "x"); /* frames append */
    json_t *pod = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}");
    json_t *st = parse("{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"status\":\"Failure\","
                       "\"reason\":\"Expired\",\"code\":410}");
    CHECK_INT(k1s_protobuf_watch_frame("ADDED", pod, &out), 0);
    CHECK_INT(k1s_protobuf_watch_frame("ERROR", st, &out), 0);
    json_t *widget = parse("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\"}");
    size_t before = out.len;
    CHECK_INT(k1s_protobuf_watch_frame("ADDED", widget, &out), K1S_PROTOBUF_EKIND);
    CHECK_INT(out.len, before);

    const unsigned char *p = (const unsigned char *)out.p + 1,
                        *end = (const unsigned char *)out.p + out.len;
    const char *types[] = {"ADDED", "ERROR"};
    json_t *objs[] = {pod, st};
    for (int i = 0; i < 2; i++) {
        CHECK(end - p >= 4);
        size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        p += 4;
        CHECK(n <= (size_t)(end - p));
        rd ev = {p, p + n}, f;
        p += n;
        unsigned num;
        uint64_t v;
        bool saw_type = false, saw_obj = false;
        while (rd_field(&ev, &num, &f, &v)) {
            if (num == 1) {
                saw_type = (size_t)(f.end - f.p) == strlen(types[i]) &&
                           !memcmp(f.p, types[i], strlen(types[i]));
            } else {
                CHECK_INT(num, 2);
                /* RawExtension {1 raw}: the object's whole body */
                rd g;
                unsigned gn;
                CHECK(rd_field(&f, &gn, &g, &v) && gn == 1);
                json_t *got = NULL;
                char *err = NULL;
                CHECK_INT(k1s_protobuf_decode((const char *)g.p, (size_t)(g.end - g.p), &got, &err),
                          0);
                free(err);
                saw_obj = got && same_json(got, objs[i], types[i]);
                json_decref(got);
            }
        }
        CHECK(saw_type && saw_obj);
    }
    CHECK(p == end);
    k1s_buf_free(&out);
    json_decref(pod);
    json_decref(st);
    json_decref(widget);
}

TEST(test_deep_nesting_refused)
{
    /* ControllerRevision data is raw JSON: any depth is one field. Objects
     * nest only as deep as the schema, so the depth limit is reached only
     * through embedded bodies, which the encoder never makes deeper. */
    json_t *o = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"data\":"
                      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}");
    json_t *b = round_trip(o);
    CHECK(b && same_json(b, o, "deep raw"));
    json_decref(b);
    json_decref(o);
}

K1S_TEST_MAIN(T(test_captures_round_trip), T(test_every_kind_round_trips), T(test_exact_bytes),
              T(test_what_cannot_be_carried), T(test_partial_metadata), T(test_lists),
              T(test_watch_frames), T(test_deep_nesting_refused))
