/*
 * test_spec_probe.c - the prober against a local HTTP server thread and
 * TCP sockets: status codes, refused and timed-out connections with Go's
 * wording, redirects, headers, named ports, thresholds and scheduling;
 * exec probes through a fake exec_fn; a grpc probe that cannot connect.
 */
#include "k1s_test.h"
#include "test_spec_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- a tiny HTTP/1.1 server ---- */

typedef struct server {
    fx_tcp tcp;              /* tcp.port: where it listens */
    atomic_int flip_status;  /* what /flip answers */
    char last_request[2048]; /* written by the thread, read after a probe */
    pthread_mutex_t mu;
} server;

static void respond(int c, int code, const char *extra, const char *body)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n%s\r\n%s",
                     code, strlen(body), extra, body);
    if (write(c, buf, (size_t)n) < 0) {
        /* the client may have given up (timeouts) */
    }
}

static void serve_one(void *ctx, int c)
{
    server *s = ctx;
    char req[2048] = "";
    size_t len = 0;
    while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 2000) <= 0)
            return;
        ssize_t r = read(c, req + len, sizeof req - 1 - len);
        if (r <= 0)
            return;
        len += (size_t)r;
        req[len] = '\0';
    }
    pthread_mutex_lock(&s->mu);
    snprintf(s->last_request, sizeof s->last_request, "%s", req);
    pthread_mutex_unlock(&s->mu);
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    if (!strcmp(path, "/ok") || !strcmp(path, "/"))
        respond(c, 200, "", "ok");
    else if (!strcmp(path, "/fail"))
        respond(c, 500, "", "broken");
    else if (!strcmp(path, "/slow")) {
        fx_sleep_ms(1600);
        respond(c, 200, "", "late");
    } else if (!strcmp(path, "/redir"))
        respond(c, 302, "Location: /ok\r\n", "");
    else if (!strcmp(path, "/away"))
        respond(c, 302, "Location: http://127.0.0.2:1/\r\n", "moved");
    else if (!strcmp(path, "/loop"))
        respond(c, 302, "Location: /loop\r\n", "");
    else if (!strcmp(path, "/flip"))
        respond(c, atomic_load(&s->flip_status), "", "");
    else
        respond(c, 404, "", "");
}

/* A listening socket on 127.0.0.1, its port in *port; exits when there
 * is none to be had. */
static int listen_local(int backlog, int *port)
{
    int fd = fx_listen(NULL, backlog, port);
    if (fd < 0)
        exit(1);
    return fd;
}

static void server_start(server *s)
{
    memset(s, 0, sizeof *s);
    atomic_store(&s->flip_status, 200);
    pthread_mutex_init(&s->mu, NULL);
    if (fx_tcp_start(&s->tcp, NULL, 16, serve_one, s) != 0)
        exit(1);
}

static void server_stop(server *s)
{
    fx_tcp_stop(&s->tcp);
    pthread_mutex_destroy(&s->mu);
}

/* A port nobody listens on. */
static int dead_port(void)
{
    int port;
    close(listen_local(1, &port));
    return port;
}

/* ---- helpers ---- */

static json_t *container;

/* One probe step from fresh state; returns the message (static). */
static const char *probe_once(const char *probe_json, bool *ok)
{
    static char msg[512];
    json_t *probe = fx_json(probe_json);
    k1s_prober p;
    k1s_prober_init(&p, probe, 0, false);
    memset(msg, 'x', sizeof msg - 1);
    /* successThreshold 1: one success makes it true */
    *ok = k1s_prober_step(&p, probe, "127.0.0.1", container, "cid", NULL, NULL, 0, msg, sizeof msg);
    json_decref(probe);
    return msg;
}

static char *fmt(const char *f, int port)
{
    static char buf[4][1024];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], f, port, port, port);
    return buf[i];
}

TEST(http_results)
{
    server s;
    server_start(&s);
    bool ok;
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/ok','port':%d}}", s.tcp.port), &ok), "");
    CHECK(ok);
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/fail','port':%d}}", s.tcp.port), &ok),
              "HTTP probe failed with statuscode: 500");
    CHECK(!ok);
    /* kubelet's defaults for the request */
    pthread_mutex_lock(&s.mu);
    CHECK(strstr(s.last_request, "GET /fail HTTP/1.1\r\n") != NULL);
    CHECK(strstr(s.last_request, "User-Agent: kube-probe/") != NULL);
    CHECK(strstr(s.last_request, "Accept: */*") != NULL);
    pthread_mutex_unlock(&s.mu);
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/redir','port':%d}}", s.tcp.port), &ok), "");
    CHECK(ok);
    /* to another host: not followed, a success (kubelet's Warning) */
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/away','port':%d}}", s.tcp.port), &ok), "");
    CHECK(ok);
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/loop','port':%d}}", s.tcp.port), &ok),
              fmt("Get \"http://127.0.0.1:%d/loop\": stopped after 10 redirects", s.tcp.port));
    CHECK(!ok);
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/nothing','port':%d}}", s.tcp.port), &ok),
              "HTTP probe failed with statuscode: 404");
    /* headers, an explicit host and scheme, a path without '/' */
    CHECK_STR(probe_once(fmt("{'httpGet':{'host':'localhost','scheme':'HTTP','path':'ok','port':%d,"
                             "'httpHeaders':[{'name':'X-Test','value':'yes'},"
                             "{'name':'User-Agent','value':'mine'}]}}",
                             s.tcp.port),
                         &ok),
              "");
    CHECK(ok);
    pthread_mutex_lock(&s.mu);
    CHECK(strstr(s.last_request, "GET /ok HTTP/1.1\r\n") != NULL);
    CHECK(strstr(s.last_request, "X-Test: yes\r\n") != NULL);
    CHECK(strstr(s.last_request, "User-Agent: mine\r\n") != NULL);
    CHECK(strstr(s.last_request, "kube-probe") == NULL);
    pthread_mutex_unlock(&s.mu);
    /* a timeout */
    CHECK_STR(
        probe_once(fmt("{'httpGet':{'path':'/slow','port':%d},'timeoutSeconds':1}", s.tcp.port),
                   &ok),
        fmt("Get \"http://127.0.0.1:%d/slow\": context deadline exceeded "
            "(Client.Timeout exceeded while awaiting headers)",
            s.tcp.port));
    CHECK(!ok);
    server_stop(&s);
    /* refused */
    int dp = dead_port();
    CHECK_STR(
        probe_once(fmt("{'httpGet':{'path':'/','port':%d}}", dp), &ok),
        fmt("Get \"http://127.0.0.1:%d/\": dial tcp 127.0.0.1:%d: connect: connection refused",
            dp));
    CHECK(!ok);
}

TEST(named_ports)
{
    server s;
    server_start(&s);
    char c[256];
    snprintf(c, sizeof c,
             "{'name':'web','ports':[{'name':'metrics','containerPort':1},"
             "{'name':'http','containerPort':%d}]}",
             s.tcp.port);
    json_decref(container);
    container = fx_json(c);
    bool ok;
    CHECK_STR(probe_once("{'httpGet':{'path':'/ok','port':'http'}}", &ok), "");
    CHECK(ok);
    CHECK_STR(probe_once("{'tcpSocket':{'port':'http'}}", &ok), "");
    CHECK(ok);
    CHECK_STR(probe_once(fmt("{'httpGet':{'path':'/ok','port':'%d'}}", s.tcp.port), &ok), "");
    CHECK(ok);
    CHECK_STR(probe_once("{'httpGet':{'path':'/ok','port':'nope'}}", &ok),
              "strconv.Atoi: parsing \"nope\": invalid syntax");
    CHECK(!ok);
    CHECK_STR(probe_once("{'tcpSocket':{'port':70000}}", &ok), "invalid port number: 70000");
    server_stop(&s);
}

TEST(tcp)
{
    int port;
    int fd = listen_local(0, &port);
    bool ok;
    CHECK_STR(probe_once(fmt("{'tcpSocket':{'port':%d}}", port), &ok), "");
    CHECK(ok);
    int dp = dead_port();
    CHECK_STR(probe_once(fmt("{'tcpSocket':{'port':%d}}", dp), &ok),
              fmt("dial tcp 127.0.0.1:%d: connect: connection refused", dp));
    CHECK(!ok);
    /* a full accept queue drops further SYNs: the connect times out */
    int fill[4];
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fill[i], (struct sockaddr *)&a, sizeof a) < 0) {
            /* EINPROGRESS for the ones that wait */
        }
    }
    fx_sleep_ms(100);
    const char *m = probe_once(fmt("{'tcpSocket':{'port':%d},'timeoutSeconds':1}", port), &ok);
    CHECK(!ok);
    CHECK_STR(m, fmt("dial tcp 127.0.0.1:%d: i/o timeout", port));
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(fd);
    CHECK_STR(probe_once("{'tcpSocket':{'host':'no-such-host.invalid','port':80}}", &ok),
              "dial tcp: lookup no-such-host.invalid: no such host");
}

/* ---- exec ---- */

typedef struct fake_exec {
    int calls, rc, code;
    char seen[256];
    int timeout;
} fake_exec;

static int exec_fn(void *ctx, const char *cid, const char *const *argv, size_t argc, int timeout_s,
                   int *exit_code)
{
    fake_exec *f = ctx;
    f->calls++;
    f->timeout = timeout_s;
    snprintf(f->seen, sizeof f->seen, "%s:", cid);
    for (size_t i = 0; i < argc; i++)
        snprintf(f->seen + strlen(f->seen), sizeof f->seen - strlen(f->seen), " %s", argv[i]);
    *exit_code = f->code;
    return f->rc;
}

TEST(exec_probes)
{
    json_t *probe = fx_json("{'exec':{'command':['cat','/tmp/healthy']},'timeoutSeconds':3,"
                            "'failureThreshold':1}");
    fake_exec f = {0};
    k1s_prober p;
    char msg[256];
    k1s_prober_init(&p, probe, 0, true);
    CHECK(k1s_prober_step(&p, probe, "10.0.0.1", container, "abc123", exec_fn, &f, 0, msg,
                          sizeof msg));
    CHECK_STR(f.seen, "abc123: cat /tmp/healthy");
    CHECK_INT(f.timeout, 3);
    CHECK_STR(msg, "");
    f.code = 1;
    CHECK(!k1s_prober_step(&p, probe, "10.0.0.1", container, "abc123", exec_fn, &f, 0, msg,
                           sizeof msg));
    CHECK_STR(msg, "command \"cat /tmp/healthy\" exited with 1");
    /* could not run: three attempts, then a failure */
    f = (fake_exec){.rc = -1};
    CHECK(!k1s_prober_step(&p, probe, "10.0.0.1", container, "abc123", exec_fn, &f, 0, msg,
                           sizeof msg));
    CHECK_INT(f.calls, 3);
    CHECK(strstr(msg, "cat /tmp/healthy") != NULL);
    json_decref(probe);
}

/* ---- thresholds and timing ---- */

TEST(thresholds_and_schedule)
{
    server s;
    server_start(&s);
    char pj[256];
    snprintf(pj, sizeof pj,
             "{'httpGet':{'path':'/flip','port':%d},'initialDelaySeconds':5,"
             "'periodSeconds':2,'successThreshold':2,'failureThreshold':2}",
             s.tcp.port);
    json_t *probe = fx_json(pj);
    k1s_prober p;
    char msg[256];
    k1s_prober_init(&p, probe, 1000, false);
    CHECK(!k1s_prober_due(&p, 5999));
    CHECK(k1s_prober_due(&p, 6000));
    CHECK(!k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 6000, msg,
                           sizeof msg));
    CHECK_INT(p.next_ms, 8000);
    CHECK(!k1s_prober_due(&p, 7999));
    CHECK(
        k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 8000, msg, sizeof msg));
    atomic_store(&s.flip_status, 503);
    CHECK(k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 10000, msg,
                          sizeof msg));
    CHECK_STR(msg, "HTTP probe failed with statuscode: 503");
    CHECK(!k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 12000, msg,
                           sizeof msg));
    /* one success is not enough to be ready again */
    atomic_store(&s.flip_status, 200);
    CHECK(!k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 14000, msg,
                           sizeof msg));
    CHECK_STR(msg, "");
    CHECK(k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 16000, msg,
                          sizeof msg));
    json_decref(probe);

    /* defaults: period 10 s, 3 failures, liveness starts true */
    snprintf(pj, sizeof pj, "{'httpGet':{'path':'/flip','port':%d}}", s.tcp.port);
    probe = fx_json(pj);
    atomic_store(&s.flip_status, 500);
    k1s_prober_init(&p, probe, 0, true);
    CHECK(k1s_prober_due(&p, 0));
    CHECK(k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 0, NULL, 0));
    CHECK_INT(p.next_ms, 10000);
    CHECK(k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 10000, NULL, 0));
    CHECK(!k1s_prober_step(&p, probe, "127.0.0.1", container, "c", NULL, NULL, 20000, NULL, 0));
    CHECK_INT(p.failures, 3);
    json_decref(probe);
    server_stop(&s);
}

/* ---- a one-shot gRPC health server over h2c ---- */

typedef struct h2_server {
    int fd, port;
    int answer; /* serving status, or -12 for Unimplemented */
    pthread_t thread;
} h2_server;

static bool read_full(int fd, void *buf, size_t n)
{
    for (size_t off = 0; off < n;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
            return false;
        ssize_t r = read(fd, (char *)buf + off, n - off);
        if (r <= 0)
            return false;
        off += (size_t)r;
    }
    return true;
}

static void frame(int fd, int type, int flags, uint32_t stream, const void *p, size_t n)
{
    unsigned char h[9] = {
        (unsigned char)(n >> 16),      (unsigned char)(n >> 8),      (unsigned char)n,
        (unsigned char)type,           (unsigned char)flags,         (unsigned char)(stream >> 24),
        (unsigned char)(stream >> 16), (unsigned char)(stream >> 8), (unsigned char)stream};
    if (write(fd, h, 9) != 9 || (n && write(fd, p, n) != (ssize_t)n)) {
        /* the client went away; the test's checks will say so */
    }
}

/* An HPACK literal header field without indexing, new name. */
static size_t hpack(unsigned char *out, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    out[0] = 0;
    out[1] = (unsigned char)nl;
    memcpy(out + 2, name, nl);
    out[2 + nl] = (unsigned char)vl;
    memcpy(out + 3 + nl, value, vl);
    return 3 + nl + vl;
}

static void *h2_serve(void *arg)
{
    h2_server *s = arg;
    struct pollfd pl = {s->fd, POLLIN, 0};
    if (poll(&pl, 1, 5000) <= 0)
        return NULL;
    int c = accept(s->fd, NULL, NULL);
    char preface[24];
    if (c < 0 || !read_full(c, preface, sizeof preface)) {
        if (c >= 0)
            close(c);
        return NULL;
    }
    frame(c, 4, 0, 0, NULL, 0); /* SETTINGS */
    uint32_t stream = 0;
    for (;;) {
        unsigned char h[9], payload[16384];
        if (!read_full(c, h, 9))
            break;
        size_t n = ((size_t)h[0] << 16) | ((size_t)h[1] << 8) | h[2];
        if (n > sizeof payload || !read_full(c, payload, n))
            break;
        uint32_t sid =
            ((uint32_t)(h[5] & 0x7f) << 24) | ((uint32_t)h[6] << 16) | ((uint32_t)h[7] << 8) | h[8];
        if (h[3] == 4 && !(h[4] & 1))
            frame(c, 4, 1, 0, NULL, 0); /* SETTINGS ACK */
        if (h[3] == 1)
            stream = sid;
        if ((h[3] == 0 || h[3] == 1) && (h[4] & 1)) /* END_STREAM: answer */
            break;
    }
    unsigned char block[256];
    size_t bl = 0;
    block[bl++] = 0x88; /* :status 200 */
    bl += hpack(block + bl, "content-type", "application/grpc");
    if (s->answer < 0) { /* trailers only */
        bl += hpack(block + bl, "grpc-status", "12");
        bl += hpack(block + bl, "grpc-message", "unknown service grpc.health.v1.Health");
        frame(c, 1, 0x5, stream, block, bl);
    } else {
        frame(c, 1, 0x4, stream, block, bl);
        unsigned char msg[7] = {0, 0, 0, 0, 2, 0x08, (unsigned char)s->answer};
        frame(c, 0, 0, stream, msg, sizeof msg);
        bl = hpack(block, "grpc-status", "0");
        frame(c, 1, 0x5, stream, block, bl);
    }
    /* no shutdown(): libcurl would drop trailers followed by EOF; the
     * client closes (it never reuses a probe's connection) */
    char drain[512];
    struct pollfd p = {c, POLLIN, 0};
    while (poll(&p, 1, 2000) > 0 && read(c, drain, sizeof drain) > 0) {
    }
    close(c);
    return NULL;
}

static const char *grpc_probe(int answer, bool *ok)
{
    h2_server s = {.answer = answer};
    s.fd = listen_local(4, &s.port);
    pthread_create(&s.thread, NULL, h2_serve, &s);
    const char *m =
        probe_once(fmt("{'grpc':{'port':%d,'service':'web'},'timeoutSeconds':2}", s.port), ok);
    pthread_join(s.thread, NULL);
    close(s.fd);
    return m;
}

TEST(grpc_health)
{
    bool ok;
    CHECK_STR(grpc_probe(1, &ok), "");
    CHECK(ok);
    CHECK_STR(grpc_probe(2, &ok), "service unhealthy (responded with \"NOT_SERVING\")");
    CHECK(!ok);
    CHECK_STR(grpc_probe(-12, &ok), "error: this server does not implement the grpc health "
                                    "protocol (grpc.health.v1.Health): unknown service "
                                    "grpc.health.v1.Health");
    CHECK(!ok);
}

TEST(grpc_unreachable)
{
    int dp = dead_port();
    bool ok;
    CHECK_STR(probe_once(fmt("{'grpc':{'port':%d},'timeoutSeconds':1}", dp), &ok),
              fmt("timeout: failed to connect service \"127.0.0.1:%d\" within 1s: "
                  "context deadline exceeded",
                  dp));
    CHECK(!ok);
    CHECK_STR(probe_once("{'grpc':{'port':0}}", &ok), "invalid port number: 0");
    CHECK_STR(probe_once("{}", &ok), "missing probe handler for web");
}

static void setup(void) __attribute__((constructor));
static void setup(void)
{
    container = fx_json("{'name':'web'}");
}
static void teardown(void) __attribute__((destructor));
static void teardown(void)
{
    json_decref(container);
}

K1S_TEST_MAIN(T(http_results), T(named_ports), T(tcp), T(exec_probes), T(thresholds_and_schedule),
              T(grpc_health), T(grpc_unreachable))
