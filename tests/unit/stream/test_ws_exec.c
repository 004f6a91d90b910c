/*
 * test_ws_exec.c - pods/exec over WebSocket through a real server, as
 * kubectl >= 1.30 does it, against a fake runtime that speaks SPDY/3.1
 * with the v4 stream protocol (the codec under test plays the runtime's
 * part too): the handshake, stdin and its close, output with back-pressure,
 * the status, the closing handshake, resize, refusals, kubectl leaving,
 * server stop.
 */
#include "k1s_test.h"
#include "test_ws_fake.h"

static const uint8_t MASK[4] = {9, 8, 7, 6};

/* ---- kubectl's side ------------------------------------------------------------- */

typedef struct ws_client {
    int fd;
    tc_buf in;
    size_t used; /* bytes of in parsed */
    k1s_ws_reader r;
    k1s_buf ch[5];
    int closes;
    uint16_t code;
} ws_client;

static int on_data(void *ctx, uint8_t ch, const uint8_t *p, size_t n)
{
    ws_client *c = ctx;
    if (ch < 5)
        k1s_buf_add(&c->ch[ch], (const char *)p, n);
    return 0;
}

static int on_control(void *ctx, uint8_t op, const uint8_t *p, size_t n)
{
    ws_client *c = ctx;
    if (op == K1S_WS_CLOSE) {
        c->closes++;
        c->code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 0;
    }
    return 0;
}

static const k1s_ws_events client_events = {on_data, on_control};

/* The upgrade; the answer's head is in c->in. */
static int ws_open(ws_client *c, int port, const char *query, const char *extra)
{
    memset(c, 0, sizeof *c);
    c->r.from_server = true;
    c->fd = tc_connect(port);
    char req[2048];
    snprintf(req, sizeof req,
             "GET /api/v1/namespaces/default/pods/p/exec?%s HTTP/1.1\r\nHost: localhost\r\n"
             "Authorization: Bearer " FX_TOKEN "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " WS_KEY "\r\n%s\r\n",
             query, extra);
    if (c->fd < 0 || tc_send(c->fd, req, strlen(req)) ||
        !tc_wait_for(c->fd, &c->in, 0, "\r\n\r\n", 5000))
        return -1;
    c->used = (size_t)(strstr(c->in.p, "\r\n\r\n") + 4 - c->in.p);
    return 0;
}

static void ws_send(ws_client *c, uint8_t opcode, uint8_t ch, const char *p, size_t n)
{
    k1s_buf b = {0};
    if (opcode == K1S_WS_BINARY)
        k1s__ws_put(&b, true, opcode, MASK, &ch, 1, p, n);
    else
        k1s__ws_put(&b, true, opcode, MASK, p, n, NULL, 0);
    CHECK_INT(tc_send(c->fd, b.p, b.len), 0);
    free(b.p);
}

/* Read frames until the close frame (true) or EOF / ms. */
static bool ws_until_close(ws_client *c, int ms)
{
    int64_t end = k1s_time_mono_ms() + ms;
    while (!c->closes) {
        ssize_t n = k1s__ws_read(&c->r, (uint8_t *)c->in.p + c->used, c->in.len - c->used,
                                 &client_events, c);
        if (n < 0)
            return false;
        c->used += (size_t)n;
        if (c->closes)
            break;
        int64_t left = end - k1s_time_mono_ms();
        if (left <= 0 || tc_recv(c->fd, &c->in, (int)left) <= 0)
            return false;
    }
    return true;
}

static void ws_close(ws_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->in.p);
    for (int i = 0; i < 5; i++)
        free(c->ch[i].p);
}

/* ---- tests ------------------------------------------------------------------------ */

static void with_runtime(fx_server *t, spdy_rt *rt, fake_node *fn, k1s_node_backend *b)
{
    fn->rt_port = rt->port;
    *b = (k1s_node_backend){.ctx = fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(t->srv, b);
    CHECK_INT(tc_pod(t, WS_POD, NULL), 0);
}

TEST(test_ws_exec_round_trip)
{
    fx_server t;
    spdy_rt rt;
    fake_node fn = {0};
    k1s_node_backend b;
    if (fx_server_start(&t, false))
        return;
    CHECK_INT(spdy_rt_start(&rt, false, 1 << 20), 0);
    with_runtime(&t, &rt, &fn, &b);
    ws_client c;
    CHECK_INT(ws_open(&c, t.port, "command=cat&stdin=true&stdout=true&stderr=true",
                      "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n"),
              0);
    CHECK(c.in.p && !strncmp(c.in.p, "HTTP/1.1 101", 12));
    CHECK(c.in.p && strcasestr(c.in.p, "\r\nUpgrade: websocket\r\n"));
    CHECK(c.in.p && strcasestr(c.in.p, "\r\nConnection: Upgrade\r\n"));
    CHECK(c.in.p &&
          strcasestr(c.in.p, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    CHECK(c.in.p && strcasestr(c.in.p, "\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n"));
    ws_send(&c, K1S_WS_BINARY, K1S_CH_STDIN, "hello ", 6);
    ws_send(&c, K1S_WS_PING, 0, "hb", 2);
    ws_send(&c, K1S_WS_BINARY, K1S_CH_STDIN, "world", 5);
    ws_send(&c, K1S_WS_BINARY, K1S_CH_CLOSE, "\x00", 1);
    /* the echo, a megabyte through the back-pressure, the status, the end */
    CHECK(ws_until_close(&c, 10000));
    CHECK_INT(c.ch[1].len, 11 + (1 << 20));
    CHECK(c.ch[1].p && !memcmp(c.ch[1].p, "hello world", 11));
    CHECK_STR(c.ch[3].p, WS_STATUS);
    CHECK_INT(c.code, K1S_WS_NORMAL);
    /* kubectl answers the close and the server hangs up */
    ws_send(&c, K1S_WS_CLOSE, 0, "\x03\xe8", 2);
    int rc;
    while ((rc = tc_recv(c.fd, &c.in, 5000)) > 0)
        ;
    CHECK_INT(rc, 0);
    ws_close(&c);
    spdy_rt_stop(&rt);
    CHECK(rt.saw_stdin_fin);
    CHECK(!strncmp(rt.head, "POST /exec/tok123 HTTP/1.1\r\n", 28));
    CHECK(strstr(rt.head, "\r\nUpgrade: SPDY/3.1\r\n"));
    CHECK(strstr(rt.head, "\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"));
    CHECK(!strcasestr(rt.head, "Authorization"));
    CHECK_STR(rt.types[1], "error");
    CHECK_STR(rt.types[3], "stdin");
    CHECK_STR(rt.types[5], "stdout");
    CHECK_STR(rt.types[7], "stderr");
    CHECK(fn.in && fn.out && fn.err && !fn.tty);
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
    spdy_rt_free(&rt);
}

TEST(test_ws_tty_and_v4)
{
    fx_server t;
    spdy_rt rt;
    fake_node fn = {0};
    k1s_node_backend b;
    if (fx_server_start(&t, false))
        return;
    CHECK_INT(spdy_rt_start(&rt, false, 0), 0);
    with_runtime(&t, &rt, &fn, &b);
    ws_client c;
    /* v4 alone is served too (no close channel: the runtime ends the
       session here because the client leaves) */
    CHECK_INT(ws_open(&c, t.port, "command=bash&stdin=true&stdout=true&stderr=true&tty=true",
                      "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n"),
              0);
    CHECK(c.in.p && strcasestr(c.in.p, "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n"));
    ws_send(&c, K1S_WS_BINARY, K1S_CH_RESIZE, "{\"Width\":100,\"Height\":30}", 25);
    ws_send(&c, K1S_WS_BINARY, K1S_CH_STDIN, "x", 1);
    ws_send(&c, K1S_WS_BINARY, K1S_CH_CLOSE, "\x00", 1); /* not a close in v4 */
    /* the echo shows everything before it went through */
    int64_t end = k1s_time_mono_ms() + 5000;
    while (k1s_time_mono_ms() < end &&
           !(c.in.len >= 3 && memmem(c.in.p + c.used, c.in.len - c.used, "\x01x", 2)))
        tc_recv(c.fd, &c.in, 200);
    close(c.fd);
    c.fd = -1;
    spdy_rt_stop(&rt);
    CHECK(rt.saw_eof); /* kubectl left: the runtime's connection ends */
    CHECK(!rt.saw_stdin_fin);
    CHECK_STR(rt.types[7], "resize");
    CHECK_STR(rt.types[3], "stdin");
    CHECK(rt.resize.p && !strcmp(rt.resize.p, "{\"Width\":100,\"Height\":30}"));
    CHECK(fn.tty && !fn.err);
    ws_close(&c);
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
    spdy_rt_free(&rt);
}

TEST(test_ws_refusals)
{
    fx_server t;
    spdy_rt rt;
    fake_node fn = {0};
    k1s_node_backend b;
    if (fx_server_start(&t, false))
        return;
    CHECK_INT(spdy_rt_start(&rt, true, 0), 0);
    with_runtime(&t, &rt, &fn, &b);
    ws_client c;
    /* the runtime's refusal reaches kubectl as it was: no 101, so kubectl
       falls back to SPDY */
    CHECK_INT(ws_open(&c, t.port, "command=ls&stdout=true",
                      "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n"),
              0);
    CHECK(c.in.p && !strncmp(c.in.p, "HTTP/1.1 404", 12));
    ws_close(&c);
    spdy_rt_stop(&rt);
    /* a handshake without its key or version, or with an unknown protocol */
    CHECK_INT(ws_open(&c, t.port, "command=ls&stdout=true",
                      "Sec-WebSocket-Protocol: base64.channel.k8s.io\r\n"),
              0);
    CHECK(c.in.p && !strncmp(c.in.p, "HTTP/1.1 400", 12));
    ws_close(&c);
    tc_resp r;
    CHECK_INT(
        tc_request(t.port, "GET", "/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true",
                   "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\n"
                   "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n",
                   &r),
        0);
    CHECK_INT(r.code, 400);
    tc_resp_free(&r);
    CHECK_INT(
        tc_request(t.port, "GET", "/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true",
                   "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n",
                   &r),
        0);
    CHECK_INT(r.code, 400);
    tc_resp_free(&r);
    CHECK_INT(fn.calls, 1); /* only the first reached the node */
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
    spdy_rt_free(&rt);
}

TEST(test_ws_stop_ends_live_sessions)
{
    fx_server t;
    spdy_rt rt;
    fake_node fn = {0};
    k1s_node_backend b;
    if (fx_server_start(&t, false))
        return;
    CHECK_INT(spdy_rt_start(&rt, false, 0), 0);
    with_runtime(&t, &rt, &fn, &b);
    ws_client c;
    CHECK_INT(ws_open(&c, t.port, "command=cat&stdin=true&stdout=true",
                      "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n"),
              0);
    ws_send(&c, K1S_WS_BINARY, K1S_CH_STDIN, "a", 1);
    CHECK(tc_wait_for(c.fd, &c.in, c.used,
                      "\x01"
                      "a",
                      5000));
    int64_t t0 = k1s_time_mono_ms();
    k1s_server_set_node_backend(t.srv, NULL);
    fx_server_stop(&t);
    CHECK(k1s_time_mono_ms() - t0 < 3000);
    /* kubectl is told why, the runtime's connection is closed */
    CHECK(ws_until_close(&c, 2000));
    CHECK_INT(c.code, K1S_WS_GOING_AWAY);
    spdy_rt_stop(&rt);
    CHECK(rt.saw_eof);
    ws_close(&c);
    spdy_rt_free(&rt);
}

K1S_TEST_MAIN(T(test_ws_exec_round_trip), T(test_ws_tty_and_v4), T(test_ws_refusals),
              T(test_ws_stop_ends_live_sessions))
