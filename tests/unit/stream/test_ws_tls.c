/*
 * test_ws_tls.c - the WebSocket exec bridge over TLS, as kubectl uses it:
 * libmicrohttpd then forwards the upgraded bytes through a socketpair and
 * does not pass kubectl hanging up through it. A whole session with its
 * closing handshake must still end when kubectl closes, and a killed
 * kubectl must still end the runtime's connection.
 */
#include <gnutls/gnutls.h>

#include "k1s_test.h"
#include "test_ws_fake.h"

static const uint8_t MASK[4] = {5, 6, 7, 8};

static int threads(void)
{
    int n = -1;
    FILE *f = fopen("/proc/self/stat", "r");
    /* field 20: num_threads (the command field has no spaces here) */
    if (f &&
        fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d",
               &n) != 1)
        n = -1;
    if (f)
        fclose(f);
    return n;
}

typedef struct tls_client {
    fx_server t; /* with TLS */
    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
    int fd;
} tls_client;

/* The TLS server (a fresh certificate); tls_connect connects the client. */
static int tls_open(tls_client *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    return fx_server_start(&c->t, true);
}

static int tls_connect(tls_client *c)
{
    gnutls_certificate_allocate_credentials(&c->cred);
    gnutls_init(&c->s, GNUTLS_CLIENT);
    gnutls_set_default_priority(c->s);
    gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, c->cred);
    c->fd = tc_connect(c->t.port);
    if (c->fd < 0)
        return -1;
    gnutls_transport_set_int(c->s, c->fd);
    gnutls_handshake_set_timeout(c->s, 5000);
    int rc;
    do
        rc = gnutls_handshake(c->s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    return rc;
}

static void tls_disconnect(tls_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    gnutls_deinit(c->s);
    gnutls_certificate_free_credentials(c->cred);
}

static void tls_close(tls_client *c)
{
    k1s_server_set_node_backend(c->t.srv, NULL);
    fx_server_stop(&c->t);
}

/* Reads one more TLS record into b within ms; false on timeout or end. */
static bool tls_read_more(tls_client *c, tc_buf *b, int ms)
{
    gnutls_record_set_timeout(c->s, (unsigned)ms);
    if (b->len + 16385 > b->cap) {
        b->cap = b->cap * 2 + 32768;
        b->p = realloc(b->p, b->cap);
    }
    ssize_t n = gnutls_record_recv(c->s, b->p + b->len, 16384);
    if (n <= 0)
        return false;
    b->len += (size_t)n;
    b->p[b->len] = 0;
    return true;
}

static bool tls_wait_for(tls_client *c, tc_buf *b, const void *needle, size_t nl, int ms)
{
    while (!(b->len && memmem(b->p, b->len, needle, nl)))
        if (!tls_read_more(c, b, ms))
            return false;
    return true;
}

static int stdout_piece(void *ctx, uint8_t ch, const uint8_t *p, size_t n)
{
    if (ch == 1)
        k1s_buf_add(ctx, (const char *)p, n);
    return 0;
}

static int no_control(void *ctx, uint8_t op, const uint8_t *p, size_t n)
{
    (void)ctx, (void)op, (void)p, (void)n;
    return 0;
}

/* Whether the stdout channel's bytes, however the server split them into
 * frames (TLS forwarding hands the bridge partial frames, and it passes
 * each piece on at once), come to hold want within ms. */
static bool tls_wait_stdout(tls_client *c, tc_buf *b, const char *want, int ms)
{
    const k1s_ws_events ev = {stdout_piece, no_control};
    int64_t deadline = fx_deadline(ms);
    for (;;) {
        const char *body = b->len ? memmem(b->p, b->len, "\r\n\r\n", 4) : NULL;
        if (body) {
            size_t off = (size_t)(body + 4 - b->p);
            uint8_t *copy = malloc(b->len - off + 1);
            k1s_buf out = {0};
            k1s_ws_reader r = {.from_server = true};
            memcpy(copy, b->p + off, b->len - off);
            k1s__ws_read(&r, copy, b->len - off, &ev, &out);
            bool found = out.len && memmem(out.p, out.len, want, strlen(want));
            free(out.p);
            free(copy);
            if (found)
                return true;
        }
        int64_t left = deadline - k1s_time_mono_ms();
        if (left <= 0)
            return false;
        if (!tls_read_more(c, b, (int)left))
            return false;
    }
}

static void tls_ws_send(tls_client *c, uint8_t opcode, const void *p, size_t n)
{
    k1s_buf b = {0};
    k1s__ws_put(&b, true, opcode, MASK, p, n, NULL, 0);
    CHECK(gnutls_record_send(c->s, b.p, b.len) == (ssize_t)b.len);
    free(b.p);
}

/* Connect, upgrade an exec of cat with v5, wait for the 101. */
static bool start_exec(tls_client *c, tc_buf *in)
{
    if (tls_connect(c) != 0)
        return false;
    const char *req =
        "GET /api/v1/namespaces/default/pods/p/exec?command=cat&stdin=true&stdout=true HTTP/1.1\r\n"
        "Host: localhost\r\nAuthorization: Bearer " FX_TOKEN "\r\n"
        "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n";
    gnutls_record_send(c->s, req, strlen(req));
    return tls_wait_for(c, in, "\r\n\r\n", 4, 5000) && !strncmp(in->p, "HTTP/1.1 101", 12);
}

TEST(test_tls_session_with_closing_handshake)
{
    tls_client c;
    spdy_rt rt;
    if (tls_open(&c)) {
        CHECK(!"TLS server did not start");
        return;
    }
    CHECK_INT(spdy_rt_start(&rt, false, 100000), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(c.t.srv, &b);
    CHECK_INT(tc_pod(&c.t, WS_POD, NULL), 0);
    tc_buf in = {0};
    int before = threads();
    CHECK(start_exec(&c, &in));
    tls_ws_send(&c, K1S_WS_BINARY, "\x00over-tls", 9);
    tls_ws_send(&c, K1S_WS_BINARY, "\xff\x00", 2);
    /* the status, then the close frame (1000) */
    CHECK(tls_wait_for(&c, &in, "\x88\x02\x03\xe8", 4, 5000));
    CHECK(tls_wait_stdout(&c, &in, "over-tls", 1000));
    CHECK(memmem(in.p, in.len, "NonZeroExitCode", 15) != NULL);
    /* kubectl answers and closes its socket: the bridge must see that
       through TLS and finish (the runtime has already gone) */
    tls_ws_send(&c, K1S_WS_CLOSE, "\x03\xe8", 2);
    tls_disconnect(&c);
    spdy_rt_stop(&rt);
    CHECK(rt.saw_stdin_fin);
    /* the bridge's thread ends by itself (the runtime's went with it) */
    int64_t deadline = fx_deadline(2000);
    while (threads() > before - 1 && fx_poll(deadline))
        ;
    CHECK_INT(threads(), before - 1);
    tls_close(&c);
    free(in.p);
    spdy_rt_free(&rt);
}

TEST(test_tls_killed_kubectl_ends_the_runtime_side)
{
    tls_client c;
    spdy_rt rt;
    if (tls_open(&c)) {
        CHECK(!"TLS server did not start");
        return;
    }
    CHECK_INT(spdy_rt_start(&rt, false, 0), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(c.t.srv, &b);
    CHECK_INT(tc_pod(&c.t, WS_POD, NULL), 0);
    tc_buf in = {0};
    CHECK(start_exec(&c, &in));
    tls_ws_send(&c, K1S_WS_BINARY,
                "\x00"
                "abc",
                4);
    CHECK(tls_wait_stdout(&c, &in, "abc", 5000));
    /* killed: no close frame, no TLS goodbye */
    int64_t t0 = k1s_time_mono_ms();
    tls_disconnect(&c);
    spdy_rt_stop(&rt);
    CHECK(rt.saw_eof);
    CHECK(k1s_time_mono_ms() - t0 < 2000);
    tls_close(&c);
    free(in.p);
    spdy_rt_free(&rt);
}

K1S_TEST_MAIN(T(test_tls_session_with_closing_handshake),
              T(test_tls_killed_kubectl_ends_the_runtime_side))
