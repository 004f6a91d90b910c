/*
 * test_stream.c - pods/exec, attach and portforward over real HTTP: the
 * checks kube-apiserver makes before it contacts the node, and the upgrade
 * proxy, against a fake runtime streaming server that answers a SPDY-style
 * upgrade and then echoes bytes.
 */
#include "k1s_test.h"
#include "test_stream_fake.h"

static const char *POD_P =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}";
static const char *POD_TWO =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"two\"},"
    "\"spec\":{\"nodeName\":\"n1\",\"initContainers\":[{\"name\":\"i\",\"image\":\"x\"}],"
    "\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"x\"}]}}";
static const char *POD_UNBOUND =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"u\"},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}";
static const char *POD_DONE =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"done\"},"
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}";

#define SPDY_HEADERS                                   \
    "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"     \
    "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n" \
    "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"

static bool has(const tc_resp *r, const char *s)
{
    return r->body && strstr(r->body, s) != NULL;
}

/* A request and what it must answer: the code, and a part of the body
 * (NULL: the body is not looked at). */
typedef struct req_case {
    const char *method, *path, *headers;
    int code;
    const char *says;
} req_case;

/* Each case on a fresh connection, in order; a failure names its case. */
static void expect(int port, const req_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const req_case *c = &cases[i];
        int before = k1s_test_failures;
        tc_resp r;
        CHECK_INT(tc_request(port, c->method, c->path, c->headers, &r), 0);
        CHECK_INT(r.code, c->code);
        if (c->says)
            CHECK(has(&r, c->says));
        if (k1s_test_failures != before)
            fprintf(stderr, "  in case %zu: %s %s\n", i, c->method, c->path);
        tc_resp_free(&r);
    }
}

#define EXPECT(port, cases) expect((port), (cases), sizeof(cases) / sizeof(cases)[0])

#define PODS "/api/v1/namespaces/default/pods/"
#define EXEC_LS(pod, extra) PODS pod "/exec?command=ls&stdout=true" extra
#define WS_UPGRADE(protocol)                                                     \
    "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                            \
    "Sec-WebSocket-Protocol: " protocol "\r\n"

/* ---- tests ------------------------------------------------------------------ */

TEST(test_errors_before_the_node)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);
    CHECK_INT(tc_pod(&t, POD_TWO, NULL), 0);
    CHECK_INT(tc_pod(&t, POD_UNBOUND, NULL), 0);
    static const req_case cases[] = {
        {"POST", EXEC_LS("nope", ""), SPDY_HEADERS, 404, "pods \\\"nope\\\" not found"},
        {"POST", EXEC_LS("u", ""), SPDY_HEADERS, 400, "pod u does not have a host assigned"},
        {"GET", EXEC_LS("p", "&container=zz"), SPDY_HEADERS, 400,
         "container zz is not valid for pod p"},
        {"POST", EXEC_LS("two", ""), SPDY_HEADERS, 400,
         "a container name must be specified for pod two, choose one of: [i a b]"},
        /* no kubelet: kube-apiserver's dial error, never a hang */
        {"POST", EXEC_LS("p", ""), SPDY_HEADERS, 500, "error dialing backend"},
        {"POST", PODS "p/log", NULL, 405, NULL},
        {"PUT", EXEC_LS("p", ""), SPDY_HEADERS, 405, NULL},
    };
    EXPECT(t.port, cases);
    fx_server_stop(&t);
}

TEST(test_request_checks_with_a_node)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    fake_node fn = {.rt_port = 1};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t.srv, &b);
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);
    CHECK_INT(tc_pod(&t, POD_DONE, "{\"status\":{\"phase\":\"Succeeded\"}}"), 0);
    static const req_case refused[] = {
        /* plain GET: kube's upgrade-aware proxy insists on an upgrade */
        {"GET", PODS "p/exec?command=ls&stdout=1", NULL, 400, "Upgrade request required"},
        {"POST", PODS "p/exec?stdout=true", SPDY_HEADERS, 400,
         "you must specify at least 1 command"},
        {"POST", PODS "p/exec?command=ls&stdout=false", SPDY_HEADERS, 400,
         "you must specify at least 1 of stdin, stdout, stderr"},
        {"POST", EXEC_LS("done", ""), SPDY_HEADERS, 400,
         "cannot exec into a container in a completed pod; current phase is Succeeded"},
        /* a WebSocket upgrade the bridge cannot take (port-forward; an old
           subprotocol) gets a non-101 answer, so kubectl falls back to SPDY;
           exec/attach with v5 are bridged (test_ws_exec.c) */
        {"GET", PODS "p/portforward?ports=80", WS_UPGRADE("SPDY/3.1+portforward.k8s.io"), 400,
         NULL},
        {"GET", EXEC_LS("p", ""), WS_UPGRADE("channel.k8s.io"), 400, NULL},
        {"POST", PODS "p/portforward?ports=8x", SPDY_HEADERS, 400,
         "cannot convert to []int32: strconv.ParseUint: parsing \\\"8x\\\": invalid syntax"},
        /* as kube's ParseUint(v, 10, 16): no sign, at most 65535, no empty piece */
        {"POST", PODS "p/portforward?ports=70000", SPDY_HEADERS, 400, "value out of range"},
        {"POST", PODS "p/portforward?ports=-5", SPDY_HEADERS, 400, "invalid syntax"},
        {"POST", PODS "p/portforward?ports=80,", SPDY_HEADERS, 400, "invalid syntax"},
        {"POST", PODS "p/portforward?ports=%2B5", SPDY_HEADERS, 400, "invalid syntax"},
    };
    EXPECT(t.port, refused);
    CHECK_INT(fn.calls, 0);

    /* the runtime is down: the dial error comes back */
    static const req_case down[] = {
        {"POST", PODS "p/attach?stdin=true&stdout=true", SPDY_HEADERS, 500,
         "error dialing backend: dial tcp 127.0.0.1:1: connect: Connection refused"},
    };
    EXPECT(t.port, down);
    CHECK_STR(fn.verb, "attach");
    CHECK_STR(fn.container, "c");
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
}

TEST(test_runtime_refusal_is_relayed)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    fake_rt rt;
    CHECK_INT(fake_rt_start(&rt, true, false), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t.srv, &b);
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);
    tc_resp r;
    CHECK_INT(tc_request(t.port, "POST",
                         "/api/v1/namespaces/default/pods/p/portforward?ports=80,443&ports=8080",
                         SPDY_HEADERS, &r),
              0);
    CHECK_INT(r.code, 404);
    CHECK_STR(r.body, "unknown exec token\n");
    CHECK_INT(fn.nports, 3);
    CHECK_INT(fn.ports[0], 80);
    CHECK_INT(fn.ports[1], 443);
    CHECK_INT(fn.ports[2], 8080);
    tc_resp_free(&r);
    fake_rt_stop(&rt);
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
}

/* Open an upgraded exec through the server; fd, or -1. */
static int open_exec(fx_server *t, tc_buf *in)
{
    int fd = tc_connect(t->port);
    const char *req = "POST /api/v1/namespaces/default/pods/p/exec?command=echo&command=hi%20there"
                      "&container=c&stdin=true&stdout=true&stderr=true&tty=true HTTP/1.1\r\n"
                      "Host: localhost\r\nAuthorization: Bearer " FX_TOKEN "\r\n" SPDY_HEADERS
                      "Content-Length: 0\r\n\r\n";
    if (fd < 0 || tc_send(fd, req, strlen(req)) || !tc_wait_for(fd, in, 0, "\r\n\r\n", 5000)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

TEST(test_upgrade_joins_both_ways)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    fake_rt rt;
    CHECK_INT(fake_rt_start(&rt, false, false), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t.srv, &b);
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);

    tc_buf in = {0};
    int fd = open_exec(&t, &in);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(!strncmp(in.p, "HTTP/1.1 101", 12));
        CHECK(strcasestr(in.p, "\r\nUpgrade: SPDY/3.1\r\n") != NULL);
        CHECK(strcasestr(in.p, "\r\nConnection: Upgrade\r\n") != NULL);
        CHECK(strcasestr(in.p, "\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n") != NULL);
        size_t head = (size_t)(strstr(in.p, "\r\n\r\n") + 4 - in.p);
        /* the runtime's bytes that came right behind its 101 */
        CHECK(tc_wait_for(fd, &in, head, "HELLO", 5000));
        /* small, then large: both directions, through the buffers */
        CHECK_INT(tc_send(fd, "ping-1234", 9), 0);
        CHECK(tc_wait_for(fd, &in, head, "HELLOping-1234", 5000));
        size_t big = 300 * 1024;
        char *data = malloc(big);
        for (size_t i = 0; i < big; i++)
            data[i] = (char)('a' + i % 26);
        memcpy(data + big - 4, "END!", 4);
        /* interleave sends and reads: the echo must not fill every buffer */
        for (size_t off = 0; off < big; off += 16384) {
            size_t n = big - off < 16384 ? big - off : 16384;
            CHECK_INT(tc_send(fd, data + off, n), 0);
            while (tc_recv(fd, &in, 0) > 0)
                ;
        }
        CHECK(tc_wait_for(fd, &in, head, "END!", 10000));
        CHECK_INT(in.len - head, 5 + 9 + big);
        if (in.len - head == 5 + 9 + big)
            CHECK(!memcmp(in.p + head + 14, data, big));
        free(data);
        /* kubectl closes: the runtime sees the end, closes, and so do we */
        shutdown(fd, SHUT_WR);
        int rc;
        while ((rc = tc_recv(fd, &in, 5000)) > 0)
            ;
        CHECK_INT(rc, 0);
        close(fd);
    }
    fake_rt_stop(&rt);
    CHECK(rt.saw_eof);
    /* what the runtime was asked: its path, kubectl's protocol list,
       none of kubectl's credentials */
    CHECK(!strncmp(rt.head, "POST /exec/tok123 HTTP/1.1\r\n", 28));
    CHECK(strstr(rt.head, "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                          "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n") != NULL);
    CHECK(strcasestr(rt.head, "Upgrade: SPDY/3.1\r\n") != NULL);
    CHECK(strcasestr(rt.head, "Authorization") == NULL);
    CHECK_STR(fn.cmd, "echo|hi there|");
    CHECK(fn.in && fn.out && fn.tty && !fn.err); /* no stderr with a tty */
    free(in.p);
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
}

TEST(test_stop_ends_live_tunnels)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    fake_rt rt;
    CHECK_INT(fake_rt_start(&rt, false, false), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t.srv, &b);
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);
    tc_buf in = {0};
    int fd = open_exec(&t, &in);
    CHECK(fd >= 0);
    CHECK(fd >= 0 && tc_wait_for(fd, &in, 0, "HELLO", 5000));
    /* the server stops while the stream is open: it must not wait for it */
    int64_t t0 = k1s_time_mono_ms();
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
    CHECK(k1s_time_mono_ms() - t0 < 3000);
    fake_rt_stop(&rt);
    CHECK(rt.saw_eof);
    if (fd >= 0) {
        while (tc_recv(fd, &in, 2000) > 0)
            ;
        close(fd);
    }
    free(in.p);
}

TEST(test_runtime_hangup_ends_the_stream)
{
    fx_server t;
    if (fx_server_start(&t, false))
        return;
    fake_rt rt;
    CHECK_INT(fake_rt_start(&rt, false, true), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t.srv, &b);
    CHECK_INT(tc_pod(&t, POD_P, NULL), 0);
    tc_buf in = {0};
    int64_t t0 = k1s_time_mono_ms();
    int fd = open_exec(&t, &in);
    CHECK(fd >= 0);
    if (fd >= 0) {
        /* the command ended: its last bytes, then the end, at once */
        CHECK(tc_wait_for(fd, &in, 0, "HELLO", 5000));
        int rc;
        while ((rc = tc_recv(fd, &in, 5000)) > 0)
            ;
        CHECK_INT(rc, 0);
        CHECK(k1s_time_mono_ms() - t0 < 2000);
        close(fd);
    }
    fake_rt_stop(&rt);
    free(in.p);
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
}

K1S_TEST_MAIN(T(test_errors_before_the_node), T(test_request_checks_with_a_node),
              T(test_runtime_refusal_is_relayed), T(test_upgrade_joins_both_ways),
              T(test_stop_ends_live_tunnels), T(test_runtime_hangup_ends_the_stream))
