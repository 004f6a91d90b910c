/*
 * test_cri_grpc.c - the gRPC transport without a container runtime: the
 * framing and status helpers, then whole calls against a small fake HTTP/2
 * gRPC server on a UNIX socket (just enough HTTP/2 to answer one stream at
 * a time: SETTINGS, PING, HEADERS with literal HPACK fields, DATA). It
 * checks replies, errors in trailers and in headers only, percent-encoded
 * messages, HTTP errors, deadlines, a missing socket, connection reuse and
 * concurrent callers.
 */
#include "k1s_test.h"
#include "k1s_fixture.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cri_internal.h"
#include "cri.pb-c.h"

/* ---- pure helpers ---- */

TEST(test_framing)
{
    size_t n;
    uint8_t *f = k1s__cri_frame((const uint8_t *)"abc", 3, &n);
    CHECK_INT(n, 8);
    CHECK(f && memcmp(f, "\0\0\0\0\3abc", 8) == 0);
    const uint8_t *m;
    size_t len;
    const char *why = NULL;
    CHECK_INT(k1s__cri_unframe(f, n, &m, &len, &why), 0);
    CHECK(len == 3 && memcmp(m, "abc", 3) == 0);
    CHECK_INT(k1s__cri_unframe(f, 7, &m, &len, &why), -1);
    CHECK_STR(why, "the reply's message is cut short");
    CHECK_INT(k1s__cri_unframe(f, 3, &m, &len, &why), -1);
    CHECK_STR(why, "the reply's message header is cut short");
    CHECK_INT(k1s__cri_unframe(f, 0, &m, &len, &why), -1);
    CHECK_STR(why, "the reply has no message");
    f[0] = 1;
    CHECK_INT(k1s__cri_unframe(f, n, &m, &len, &why), -1);
    CHECK_STR(why, "the reply is compressed");
    free(f);
    f = k1s__cri_frame(NULL, 0, &n);
    CHECK(n == 5 && f && memcmp(f, "\0\0\0\0\0", 5) == 0);
    CHECK_INT(k1s__cri_unframe(f, n, &m, &len, &why), 0);
    CHECK_INT(len, 0);
    free(f);
    const uint8_t two[] = {0, 0, 0, 0, 1, 'x', 0, 0, 0, 0, 0};
    CHECK_INT(k1s__cri_unframe(two, sizeof two, &m, &len, &why), -1);
    CHECK_STR(why, "the reply holds more than one message");
}

TEST(test_status_helpers)
{
    CHECK_STR(k1s__cri_code_name(0), "OK");
    CHECK_STR(k1s__cri_code_name(5), "NotFound");
    CHECK_STR(k1s__cri_code_name(14), "Unavailable");
    CHECK_STR(k1s__cri_code_name(16), "Unauthenticated");
    CHECK(k1s__cri_code_name(17) == NULL && k1s__cri_code_name(-1) == NULL);
    CHECK_INT(k1s__cri_code_from_http(404), 12);
    CHECK_INT(k1s__cri_code_from_http(503), 14);
    CHECK_INT(k1s__cri_code_from_http(401), 16);
    CHECK_INT(k1s__cri_code_from_http(500), 2);
    const char *in = "a%20b%zz%2%E2%9C%93%00%";
    char *s = k1s__cri_percent_decode(in, strlen(in));
    CHECK_STR(s, "a b%zz%2\xe2\x9c\x93%00%");
    free(s);
    k1s_cri_error e = {0, NULL};
    k1s__cri_error_set(&e, 5, 5, "container \"%s\" not found", "abc");
    CHECK_INT(e.code, 5);
    CHECK_STR(e.message, "rpc error: code = NotFound desc = container \"abc\" not found");
    k1s__cri_error_set(&e, -1, 14, "x"); /* replaces, no leak */
    CHECK_INT(e.code, -1);
    CHECK_STR(e.message, "rpc error: code = Unavailable desc = x");
    k1s__cri_error_set(&e, 42, 42, "odd");
    CHECK_STR(e.message, "rpc error: code = Code(42) desc = odd");
    k1s_cri_error_clear(&e);
    CHECK(e.message == NULL && e.code == 0);
}

TEST(test_open_endpoints)
{
    k1s_cri *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_cri_open("unix:///run/k1s-nothing.sock", &c, &err), 0);
    k1s_cri_close(c);
    CHECK_INT(k1s_cri_open("/run/k1s-nothing.sock", &c, &err), 0);
    k1s_cri_close(c);
    CHECK_INT(k1s_cri_open("unix://", &c, &err), -1);
    CHECK(err && strstr(err, "invalid CRI endpoint"));
    free(err);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    CHECK_INT(k1s_cri_open(longp, &c, &err), -1);
    free(err);
}

/* ---- a fake gRPC server ---- */

typedef struct fake {
    char dir[64], path[96];
    int lfd;
    pthread_t acceptor;
    pthread_mutex_t mu;
    int accepts, nconns;
    pthread_t conns[64];
    int fds[64];
} fake;

static int read_full(int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = recv(fd, (char *)buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static void frame_out(int fd, int type, int flags, uint32_t sid, const void *payload, size_t len)
{
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
                    (uint8_t)type,        (uint8_t)flags,      (uint8_t)(sid >> 24),
                    (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
    if (send(fd, h, 9, MSG_NOSIGNAL) != 9 ||
        (len && send(fd, payload, len, MSG_NOSIGNAL) != (ssize_t)len))
        return; /* the client went away */
}

/* HPACK "literal header field without indexing, new name" (lengths < 127). */
static size_t hp_lit(uint8_t *p, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), o = 0;
    p[o++] = 0;
    p[o++] = (uint8_t)nl;
    memcpy(p + o, name, nl);
    o += nl;
    p[o++] = (uint8_t)vl;
    memcpy(p + o, value, vl);
    return o + vl;
}

/* Answer one request according to the container id it names. */
static void respond(int fd, uint32_t sid, const uint8_t *body, size_t blen)
{
    uint8_t hb[512];
    size_t n = 0;
    const void *b = body;
#define HAS(s) (memmem(b, blen, s, strlen(s)) != NULL)
    if (HAS("slow"))
        return; /* never answers: the caller's deadline must fire */
    if (HAS("http404")) {
        hb[n++] = 0x8d; /* :status 404 from the static table */
        frame_out(fd, 1, 0x5, sid, hb, n);
        return;
    }
    hb[n++] = 0x88; /* :status 200 */
    n += hp_lit(hb + n, "content-type", "application/grpc");
    if (HAS("notfound")) { /* Trailers-Only: status in the headers */
        n += hp_lit(hb + n, "grpc-status", "5");
        n += hp_lit(hb + n, "grpc-message",
                    "an%20error%20occurred%20when%20try%20to%20find%20"
                    "container%20%22notfound%22%3A%20not%20found");
        frame_out(fd, 1, 0x5, sid, hb, n);
        return;
    }
    frame_out(fd, 1, 0x4, sid, hb, n);
    Runtime__V1__ContainerStatusResponse rep = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INIT;
    Runtime__V1__ContainerStatus st = RUNTIME__V1__CONTAINER_STATUS__INIT;
    st.id = "ok";
    st.state = RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
    st.exit_code = 0;
    rep.status = &st;
    uint8_t msg[256];
    size_t ml = protobuf_c_message_pack(&rep.base, msg + 5);
    msg[0] = HAS("compressed") ? 1 : 0;
    msg[1] = msg[2] = msg[3] = 0;
    msg[4] = (uint8_t)ml;
    if (HAS("notrailers")) {
        frame_out(fd, 0, 0x1, sid, msg, ml + 5);
        return;
    }
    frame_out(fd, 0, 0, sid, msg, ml + 5);
    n = hp_lit(hb, "grpc-status", "0");
    frame_out(fd, 1, 0x5, sid, hb, n);
#undef HAS
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char preface[24];
    uint8_t body[4096];
    size_t blen = 0;
    if (read_full(fd, preface, sizeof preface) < 0 ||
        memcmp(preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) != 0) {
        shutdown(fd, SHUT_RDWR); /* not HTTP/2: hang up, as grpc-go does */
        return NULL;
    }
    frame_out(fd, 4, 0, 0, NULL, 0); /* our SETTINGS: all defaults */
    for (;;) {
        uint8_t h[9], p[16384];
        if (read_full(fd, h, 9) < 0)
            break;
        size_t len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
        uint32_t sid =
            ((uint32_t)h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];
        int type = h[3], flags = h[4];
        if (len > sizeof p || read_full(fd, p, len) < 0)
            break;
        if (type == 0) { /* DATA */
            size_t off = 0, pad = 0;
            if (flags & 0x8 && len > 0) {
                pad = p[0];
                off = 1;
            }
            size_t dl = len >= off + pad ? len - off - pad : 0;
            if (blen + dl <= sizeof body) {
                memcpy(body + blen, p + off, dl);
                blen += dl;
            }
            if (flags & 0x1) {
                respond(fd, sid, body, blen);
                blen = 0;
            }
        } else if (type == 1) { /* HEADERS: a new request */
            blen = 0;
        } else if (type == 4 && !(flags & 0x1)) {
            frame_out(fd, 4, 0x1, 0, NULL, 0);
        } else if (type == 6 && !(flags & 0x1)) {
            frame_out(fd, 6, 0x1, 0, p, len);
        } else if (type == 7) {
            break;
        }
    }
    return NULL;
}

static void *accept_main(void *arg)
{
    fake *f = arg;
    for (;;) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            break;
        pthread_mutex_lock(&f->mu);
        f->accepts++;
        if (f->nconns < 64) {
            f->fds[f->nconns] = fd;
            pthread_create(&f->conns[f->nconns++], NULL, conn_main, (void *)(intptr_t)fd);
        } else {
            close(fd);
        }
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

static int fake_start(fake *f)
{
    memset(f, 0, sizeof *f);
    fx_tmpdir(f->dir, sizeof f->dir, "cri-test");
    snprintf(f->path, sizeof f->path, "%s/grpc.sock", f->dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(f->lfd, 16) < 0)
        return -1;
    pthread_mutex_init(&f->mu, NULL);
    return pthread_create(&f->acceptor, NULL, accept_main, f) == 0 ? 0 : -1;
}

/* Cut every open connection, as a runtime restart does. */
static void fake_drop(fake *f)
{
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < f->nconns; i++)
        shutdown(f->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&f->mu);
}

/* Call after the client is closed (its connections end the threads). */
static void fake_stop(fake *f)
{
    shutdown(f->lfd, SHUT_RDWR);
    pthread_join(f->acceptor, NULL);
    close(f->lfd);
    for (int i = 0; i < f->nconns; i++) {
        shutdown(f->fds[i], SHUT_RDWR); /* ends a thread stuck on "slow" */
        pthread_join(f->conns[i], NULL);
        close(f->fds[i]);
    }
    pthread_mutex_destroy(&f->mu);
    fx_rmtree(f->dir);
}

static int call_status(k1s_cri *c, const char *id, int timeout_ms, json_t **reply, k1s_cri_error *e)
{
    json_t *req = json_pack("{s:s}", "container_id", id);
    int rc = k1s_cri_call(c, "ContainerStatus", req, reply, timeout_ms, e);
    json_decref(req);
    return rc;
}

static double now_ms(void)
{
    return (double)k1s_time_mono_ms();
}

TEST(test_calls_against_fake_server)
{
    fake f;
    CHECK_INT(fake_start(&f), 0);
    k1s_cri *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_cri_open(f.path, &c, &err), 0);
    json_t *rep = NULL;
    k1s_cri_error e;

    CHECK_INT(call_status(c, "ok", 2000, &rep, &e), 0);
    json_t *st = json_object_get(rep, "status");
    CHECK_STR(json_string_value(json_object_get(st, "id")), "ok");
    CHECK_STR(json_string_value(json_object_get(st, "state")), "CONTAINER_RUNNING");
    CHECK_INT(json_integer_value(json_object_get(st, "exit_code")), 0);
    json_decref(rep);

    /* ten more calls share the first call's connection */
    double t0 = now_ms();
    for (int i = 0; i < 10; i++) {
        if (call_status(c, "ok", 2000, &rep, &e) != 0) {
            fprintf(stderr, "call %d: %s\n", i, e.message);
            CHECK(0);
            k1s_cri_error_clear(&e);
        }
        json_decref(rep);
    }
    printf("fake server: %.3f ms per call\n", (now_ms() - t0) / 10);
    CHECK_INT(f.accepts, 1);

    CHECK_INT(call_status(c, "notfound", 2000, &rep, &e), -1);
    CHECK(rep == NULL);
    CHECK_INT(e.code, 5);
    CHECK_STR(e.message, "rpc error: code = NotFound desc = an error occurred when "
                         "try to find container \"notfound\": not found");
    k1s_cri_error_clear(&e);

    CHECK_INT(call_status(c, "http404", 2000, &rep, &e), -1);
    CHECK_INT(e.code, 12);
    CHECK_STR(e.message, "rpc error: code = Unimplemented desc = unexpected HTTP "
                         "status code received from server: 404");
    k1s_cri_error_clear(&e);

    CHECK_INT(call_status(c, "notrailers", 2000, &rep, &e), -1);
    CHECK_INT(e.code, 13);
    k1s_cri_error_clear(&e);

    CHECK_INT(call_status(c, "compressed", 2000, &rep, &e), -1);
    CHECK_INT(e.code, 13);
    CHECK_STR(e.message, "rpc error: code = Internal desc = grpc: the reply is compressed");
    k1s_cri_error_clear(&e);
    CHECK_INT(f.accepts, 1); /* gRPC-level errors keep the connection */

    t0 = now_ms();
    CHECK_INT(call_status(c, "slow", 300, &rep, &e), -1);
    double took = now_ms() - t0;
    CHECK(took >= 250 && took < 2000);
    CHECK_INT(e.code, 4);
    CHECK_STR(e.message, "rpc error: code = DeadlineExceeded desc = context deadline exceeded");
    k1s_cri_error_clear(&e);
    /* the timed-out connection was dropped: the next call dials again */
    CHECK_INT(call_status(c, "ok", 2000, &rep, &e), 0);
    json_decref(rep);
    CHECK_INT(f.accepts, 2);

    /* the runtime restarts: the kept connection is gone, the call still
     * succeeds on a new one */
    fake_drop(&f);
    usleep(20000);
    t0 = now_ms();
    CHECK_INT(call_status(c, "ok", 2000, &rep, &e), 0);
    CHECK(now_ms() - t0 < 500);
    json_decref(rep);
    CHECK_INT(f.accepts, 4); /* the HTTP/1.1 attempt, then prior knowledge */
    CHECK_INT(call_status(c, "ok", 2000, &rep, &e), 0);
    json_decref(rep);
    CHECK_INT(f.accepts, 4);

    /* errors found before sending anything */
    json_t *bad = json_pack("{s:s}", "container_idd", "x");
    CHECK_INT(k1s_cri_call(c, "ContainerStatus", bad, &rep, 0, &e), -1);
    CHECK_INT(e.code, 3);
    CHECK_STR(e.message, "rpc error: code = InvalidArgument desc = k1s: bad "
                         "runtime.v1.ContainerStatusRequest: unknown field "
                         "\"container_idd\" in runtime.v1.ContainerStatusRequest");
    k1s_cri_error_clear(&e);
    json_decref(bad);
    CHECK_INT(k1s_cri_call(c, "ContainerStatuz", NULL, &rep, 0, &e), -1);
    CHECK_INT(e.code, 12);
    k1s_cri_error_clear(&e);
    CHECK_INT(k1s_cri_call(c, "ContainerStatuz", NULL, &rep, 0, NULL), -1);

    k1s_cri_close(c);
    fake_stop(&f);
}

typedef struct worker {
    k1s_cri *c;
    int ok;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 25; i++) {
        json_t *rep = NULL;
        k1s_cri_error e;
        if (call_status(w->c, "ok", 5000, &rep, &e) == 0 &&
            strcmp(json_string_value(json_object_get(json_object_get(rep, "status"), "id")),
                   "ok") == 0)
            w->ok++;
        json_decref(rep);
        k1s_cri_error_clear(&e);
    }
    return NULL;
}

TEST(test_concurrent_callers)
{
    fake f;
    CHECK_INT(fake_start(&f), 0);
    k1s_cri *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_cri_open(f.path, &c, &err), 0);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){c, 0};
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT(w[i].ok, 25);
    }
    CHECK(f.accepts >= 1 && f.accepts <= 4); /* at most one per pooled handle */
    k1s_cri_close(c);
    fake_stop(&f);
}

TEST(test_unreachable_socket)
{
    k1s_cri *c = NULL;
    char *err = NULL;
    json_t *rep = NULL;
    k1s_cri_error e;
    CHECK_INT(k1s_cri_open("unix:///tmp/k1s-cri-test-missing/none.sock", &c, &err), 0);
    CHECK_INT(k1s_cri_call(c, "Version", NULL, &rep, 1000, &e), -1);
    CHECK_INT(e.code, -1);
    CHECK_STR(e.message, "rpc error: code = Unavailable desc = connection error: desc = "
                         "\"transport: Error while dialing: dial unix "
                         "/tmp/k1s-cri-test-missing/none.sock: connect: no such file "
                         "or directory\"");
    k1s_cri_error_clear(&e);
    k1s_cri_close(c);

    /* a socket file nobody listens on */
    char dir[64], path[96];
    fx_tmpdir(dir, sizeof dir, "cri-test");
    snprintf(path, sizeof path, "%s/dead.sock", dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd);
    CHECK_INT(k1s_cri_open(path, &c, &err), 0);
    CHECK_INT(k1s_cri_call(c, "Version", NULL, &rep, 1000, &e), -1);
    CHECK_INT(e.code, -1);
    CHECK(e.message && strstr(e.message, "connect: connection refused"));
    k1s_cri_error_clear(&e);
    k1s_cri_close(c);
    fx_rmtree(dir);
}

K1S_TEST_MAIN(T(test_framing), T(test_status_helpers), T(test_open_endpoints),
              T(test_calls_against_fake_server), T(test_concurrent_callers),
              T(test_unreachable_socket))
