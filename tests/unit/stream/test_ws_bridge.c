/*
 * test_ws_bridge.c - the v5 <-> SPDY translation of the exec bridge, with
 * no sockets: this test plays kubectl (masked WebSocket frames in, server
 * frames read back) and the runtime (SPDY frames with their own zlib
 * session in, the bridge's SPDY read back).
 */
#include "k1s_test.h"
#include "stream_internal.h"

static const uint8_t MASK[4] = {1, 2, 3, 4};

/* ---- the runtime's view of what the bridge sent -------------------------- */

typedef struct rt_view {
    k1s_spdy_zlib *z;  /* the runtime's session */
    char type[16][16]; /* streamtype per stream id */
    k1s_buf data[16];  /* DATA per stream id */
    int fins[16], rsts[16], window[16];
    int pings, last_ping;
} rt_view;

static void type_pair(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
    char *out = ctx;
    if (nl == 10 && !memcmp(n, "streamtype", 10))
        snprintf(out, 16, "%.*s", (int)vl, v);
}

static int rt_data(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin)
{
    rt_view *v = ctx;
    if (sid >= 16)
        return -1;
    k1s_buf_add(&v->data[sid], (const char *)p, n);
    v->fins[sid] += fin;
    return 0;
}

static int rt_control(void *ctx, const k1s_spdy_head *h, const uint8_t *payload)
{
    rt_view *v = ctx;
    k1s_spdy_ctrl c;
    if (k1s__spdy_parse_control(h, payload, &c) || c.sid >= 16)
        return -1;
    if (c.type == K1S_SPDY_SYN_STREAM) {
        k1s_buf plain = {0};
        int rc = k1s__spdy_block_decode(v->z, c.block, c.nblock, 4096, &plain);
        if (rc == 0)
            k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, type_pair, v->type[c.sid]);
        free(plain.p);
        return rc;
    }
    if (c.type == K1S_SPDY_RST_STREAM)
        v->rsts[c.sid]++;
    if (c.type == K1S_SPDY_WINDOW_UPDATE)
        v->window[c.sid] += (int)c.value;
    if (c.type == K1S_SPDY_PING) {
        v->pings++;
        v->last_ping = (int)c.value;
    }
    return 0;
}

static const k1s_spdy_events rt_events = {rt_data, rt_control};

/* Read (and consume) what the bridge queued for the runtime. */
static void rt_take(k1s_xlate *x, rt_view *v)
{
    k1s_spdy_reader r = {0};
    ssize_t n = k1s__spdy_read(&r, (uint8_t *)x->to_runtime.b.p + x->to_runtime.off,
                               k1s__outq_pending(&x->to_runtime), &rt_events, v);
    CHECK_INT(n, (ssize_t)k1s__outq_pending(&x->to_runtime));
    k1s__outq_consumed(&x->to_runtime, k1s__outq_pending(&x->to_runtime));
}

/* Feed the bridge the runtime's frames built in b. */
static ssize_t rt_send(k1s_xlate *x, k1s_buf *b)
{
    ssize_t n = k1s__xlate_runtime(x, (uint8_t *)b->p, b->len);
    b->len = 0;
    return n;
}

static void rt_free(rt_view *v)
{
    k1s__spdy_zlib_free(v->z);
    for (int i = 0; i < 16; i++)
        free(v->data[i].p);
}

/* ---- kubectl's view --------------------------------------------------------- */

typedef struct kc_view {
    k1s_buf ch[5];
    int pongs, closes;
    uint16_t close_code;
    char pong[32];
} kc_view;

static int kc_data(void *ctx, uint8_t ch, const uint8_t *p, size_t n)
{
    kc_view *v = ctx;
    if (ch < 5)
        k1s_buf_add(&v->ch[ch], (const char *)p, n);
    return 0;
}

static int kc_control(void *ctx, uint8_t op, const uint8_t *p, size_t n)
{
    kc_view *v = ctx;
    if (op == K1S_WS_PONG) {
        v->pongs++;
        snprintf(v->pong, sizeof v->pong, "%.*s", (int)n, (const char *)p);
    } else if (op == K1S_WS_CLOSE) {
        v->closes++;
        v->close_code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 0;
    }
    return 0;
}

static const k1s_ws_events kc_events = {kc_data, kc_control};

static void kc_take(k1s_xlate *x, kc_view *v)
{
    k1s_ws_reader r = {.from_server = true};
    ssize_t n = k1s__ws_read(&r, (uint8_t *)x->to_client.b.p + x->to_client.off,
                             k1s__outq_pending(&x->to_client), &kc_events, v);
    CHECK_INT(n, (ssize_t)k1s__outq_pending(&x->to_client));
    k1s__outq_consumed(&x->to_client, k1s__outq_pending(&x->to_client));
}

/* kubectl sends one binary message on a channel. */
static ssize_t kc_send(k1s_xlate *x, uint8_t ch, const char *p, size_t n)
{
    k1s_buf b = {0};
    k1s__ws_put(&b, true, K1S_WS_BINARY, MASK, &ch, 1, p, n);
    ssize_t r = k1s__xlate_client(x, (uint8_t *)b.p, b.len);
    free(b.p);
    return r;
}

static void kc_free(kc_view *v)
{
    for (int i = 0; i < 5; i++)
        free(v->ch[i].p);
}

/* A bridge whose streams the runtime has answered. */
static void open_bridge(k1s_xlate *x, const k1s_bridge_opts *o, rt_view *rv, k1s_buf *rt)
{
    CHECK_INT(k1s__xlate_init(x, o), 0);
    rv->z = k1s__spdy_zlib_new();
    rt_take(x, rv);
    CHECK(!k1s__xlate_ready(x));
    for (uint32_t sid = 1; sid < 16; sid += 2)
        if (rv->type[sid][0])
            CHECK_INT(k1s__spdy_put_syn_reply(rt, rv->z, sid, 0, NULL, 0), 0);
    size_t n = rt->len;
    CHECK_INT(rt_send(x, rt), (ssize_t)n);
}

/* ---- tests --------------------------------------------------------------------- */

TEST(test_streams_opened_as_kubectl_would)
{
    k1s_xlate x;
    rt_view rv = {0};
    k1s_buf rt = {0};
    k1s_bridge_opts o = {.v5 = true, .in = true, .out = true, .err = true};
    CHECK_INT(k1s__xlate_init(&x, &o), 0);
    rv.z = k1s__spdy_zlib_new();
    rt_take(&x, &rv);
    CHECK_STR(rv.type[1], "error");
    CHECK_STR(rv.type[3], "stdin");
    CHECK_STR(rv.type[5], "stdout");
    CHECK_STR(rv.type[7], "stderr");
    CHECK_STR(rv.type[9], "");
    /* "the streams are up": an empty message on stdout */
    CHECK_INT(k1s__outq_pending(&x.to_client), 3);
    CHECK(!memcmp(x.to_client.b.p, "\x82\x01\x01", 3));
    /* input waits for every reply */
    for (uint32_t sid = 1; sid <= 7; sid += 2) {
        CHECK(!k1s__xlate_ready(&x));
        CHECK_INT(k1s__spdy_put_syn_reply(&rt, rv.z, sid, 0, NULL, 0), 0);
        CHECK(rt_send(&x, &rt) > 0);
    }
    CHECK(k1s__xlate_ready(&x));
    k1s__xlate_free(&x);
    rt_free(&rv);

    /* a terminal: resize instead of stderr */
    memset(&rv, 0, sizeof rv);
    o = (k1s_bridge_opts){.v5 = true, .in = true, .out = true, .err = true, .tty = true};
    CHECK_INT(k1s__xlate_init(&x, &o), 0);
    rv.z = k1s__spdy_zlib_new();
    rt_take(&x, &rv);
    CHECK_STR(rv.type[5], "stdout");
    CHECK_STR(rv.type[7], "resize");
    k1s__xlate_free(&x);
    rt_free(&rv);

    /* nothing to read but the error stream: the empty message goes there */
    o = (k1s_bridge_opts){.v5 = true, .in = true};
    CHECK_INT(k1s__xlate_init(&x, &o), 0);
    CHECK(!memcmp(x.to_client.b.p, "\x82\x01\x03", 3));
    k1s__xlate_free(&x);
    free(rt.p);
}

TEST(test_stdin_resize_and_close)
{
    k1s_xlate x;
    rt_view rv = {0};
    kc_view kv = {0};
    k1s_buf rt = {0};
    k1s_bridge_opts o = {.v5 = true, .in = true, .out = true, .tty = true};
    open_bridge(&x, &o, &rv, &rt);
    CHECK(k1s__xlate_ready(&x));
    CHECK(kc_send(&x, K1S_CH_STDIN, "hi\n", 3) > 0);
    CHECK(kc_send(&x, K1S_CH_RESIZE, "{\"Width\":80,\"Height\":24}", 24) > 0);
    CHECK(kc_send(&x, 9, "lost", 4) > 0); /* no such channel: dropped */
    CHECK(kc_send(&x, K1S_CH_CLOSE, "\x00", 1) > 0);
    CHECK(kc_send(&x, K1S_CH_STDIN, "late", 4) > 0);
    rt_take(&x, &rv);
    CHECK_STR(rv.data[3].p, "hi\n");
    CHECK_INT(rv.fins[3], 1);
    CHECK_STR(rv.data[7].p, "{\"Width\":80,\"Height\":24}");
    CHECK_INT(rv.fins[7], 0);
    /* kubectl's pings are answered, with their payload */
    k1s_buf ping = {0};
    k1s__ws_put(&ping, true, K1S_WS_PING, MASK, "beat", 4, NULL, 0);
    CHECK(k1s__xlate_client(&x, (uint8_t *)ping.p, ping.len) > 0);
    free(ping.p);
    kc_take(&x, &kv);
    CHECK_INT(kv.pongs, 1);
    CHECK_STR(kv.pong, "beat");
    k1s__xlate_free(&x);
    rt_free(&rv);
    kc_free(&kv);

    /* v4 has no close channel: 255 is just an unknown channel */
    memset(&rv, 0, sizeof rv);
    o = (k1s_bridge_opts){.v5 = false, .in = true, .out = true};
    open_bridge(&x, &o, &rv, &rt);
    CHECK(kc_send(&x, K1S_CH_CLOSE, "\x00", 1) > 0);
    rt_take(&x, &rv);
    CHECK_INT(rv.fins[3], 0);
    k1s__xlate_free(&x);
    rt_free(&rv);
    free(rt.p);
}

TEST(test_output_and_status)
{
    k1s_xlate x;
    rt_view rv = {0};
    kc_view kv = {0};
    k1s_buf rt = {0};
    k1s_bridge_opts o = {.v5 = true, .out = true, .err = true};
    open_bridge(&x, &o, &rv, &rt);
    const char *status =
        "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated "
        "with non-zero exit code: error executing command [sh -c exit 3], exit code 3\","
        "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\","
        "\"message\":\"3\"}]}}";
    k1s__spdy_put_data(&rt, 3, 0, "out", 3);
    k1s__spdy_put_data(&rt, 5, 0, "err", 3);
    k1s__spdy_put_data(&rt, 3, K1S_SPDY_FLAG_FIN, NULL, 0);
    k1s__spdy_put_data(&rt, 1, 0, status, strlen(status));
    k1s__spdy_put_rst(&rt, 1, K1S_SPDY_CANCEL);
    k1s__spdy_put_goaway(&rt, 0, 0);
    CHECK(rt_send(&x, &rt) > 0);
    CHECK(x.goaway);
    k1s__xlate_runtime_ended(&x, "unused");
    kc_take(&x, &kv);
    CHECK_STR(kv.ch[1].p, "out");
    CHECK_STR(kv.ch[2].p, "err");
    CHECK_STR(kv.ch[3].p, status); /* unchanged: kubectl reads the exit code */
    CHECK_INT(kv.closes, 1);
    CHECK_INT(kv.close_code, K1S_WS_NORMAL);
    k1s__xlate_free(&x);
    rt_free(&rv);
    kc_free(&kv);

    /* the runtime went away without a status: kubectl gets an error */
    memset(&rv, 0, sizeof rv);
    memset(&kv, 0, sizeof kv);
    open_bridge(&x, &o, &rv, &rt);
    k1s__xlate_runtime_ended(&x, "the container runtime closed the stream without a status");
    kc_take(&x, &kv);
    CHECK(kv.ch[3].p && strstr(kv.ch[3].p, "\"status\":\"Failure\"") &&
          strstr(kv.ch[3].p, "\"reason\":\"InternalError\"") &&
          strstr(kv.ch[3].p, "Internal error occurred: the container runtime closed"));
    CHECK_INT(kv.closes, 1);
    /* after the close nothing more goes to kubectl */
    k1s__spdy_put_data(&rt, 3, 0, "late", 4);
    CHECK(rt_send(&x, &rt) > 0);
    CHECK_INT(k1s__outq_pending(&x.to_client), 0);
    k1s__xlate_free(&x);
    rt_free(&rv);
    kc_free(&kv);
    free(rt.p);
}

TEST(test_runtime_control_frames)
{
    k1s_xlate x;
    rt_view rv = {0};
    k1s_buf rt = {0};
    k1s_bridge_opts o = {.v5 = true, .in = true, .out = true};
    open_bridge(&x, &o, &rv, &rt);
    /* the runtime's pings come back, our own ids (odd) are not answered */
    k1s__spdy_put_ping(&rt, 2);
    k1s__spdy_put_ping(&rt, 1);
    /* a stream opened by the runtime is refused */
    k1s_spdy_header h = {"streamtype", "data", 0};
    CHECK_INT(k1s__spdy_put_syn_stream(&rt, rv.z, 2, 0, 0, &h, 1), 0);
    /* stdin reset by the runtime: kubectl's input is dropped */
    k1s__spdy_put_rst(&rt, 3, K1S_SPDY_CANCEL);
    CHECK(rt_send(&x, &rt) > 0);
    CHECK(kc_send(&x, K1S_CH_STDIN, "dropped", 7) > 0);
    rt_take(&x, &rv);
    CHECK_INT(rv.pings, 1);
    CHECK_INT(rv.last_ping, 2);
    CHECK_INT(rv.rsts[2], 1);
    CHECK_INT(rv.data[3].len, 0);
    /* no flow control from a runtime that does none (containerd) */
    static char chunk[40000];
    k1s__spdy_put_data(&rt, 5, 0, chunk, sizeof chunk);
    CHECK(rt_send(&x, &rt) > 0);
    rt_take(&x, &rv);
    CHECK_INT(rv.window[5], 0);
    CHECK_INT(rv.window[0], 0);
    /* ... but the bytes are given back to one that does */
    k1s__spdy_put_settings1(&rt, 7, 65536);
    k1s__spdy_put_data(&rt, 5, 0, chunk, sizeof chunk);
    CHECK(rt_send(&x, &rt) > 0);
    rt_take(&x, &rv);
    CHECK_INT(rv.window[5], (int)sizeof chunk);
    CHECK_INT(rv.window[0], (int)sizeof chunk);
    /* broken SPDY: a frame of another version */
    k1s_buf_add(&rt, "\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x02", 12);
    CHECK_INT(rt_send(&x, &rt), -1);
    k1s__xlate_free(&x);
    rt_free(&rv);
    free(rt.p);
}

TEST(test_kubectl_closes_or_breaks)
{
    k1s_xlate x;
    rt_view rv = {0};
    kc_view kv = {0};
    k1s_buf rt = {0};
    k1s_bridge_opts o = {.v5 = true, .in = true, .out = true};
    open_bridge(&x, &o, &rv, &rt);
    k1s_buf b = {0};
    k1s__ws_put(&b, true, K1S_WS_CLOSE, MASK, "\x03\xe9", 2, NULL, 0);
    CHECK(k1s__xlate_client(&x, (uint8_t *)b.p, b.len) > 0);
    CHECK(x.close_received && x.close_sent);
    kc_take(&x, &kv);
    CHECK_INT(kv.closes, 1);
    CHECK_INT(kv.close_code, K1S_WS_GOING_AWAY); /* its code echoed */
    k1s__xlate_free(&x);
    rt_free(&rv);
    free(b.p);

    /* an unmasked frame breaks the protocol: 1002 */
    memset(&rv, 0, sizeof rv);
    memset(&kv, 0, sizeof kv);
    open_bridge(&x, &o, &rv, &rt);
    b = (k1s_buf){0};
    k1s__ws_put(&b, true, K1S_WS_BINARY, NULL, "\x00x", 2, NULL, 0);
    CHECK_INT(k1s__xlate_client(&x, (uint8_t *)b.p, b.len), -1);
    kc_take(&x, &kv);
    CHECK_INT(kv.closes, 1);
    CHECK_INT(kv.close_code, K1S_WS_PROTOCOL_ERROR);
    k1s__xlate_free(&x);
    rt_free(&rv);
    kc_free(&kv);
    free(b.p);
    free(rt.p);
}

K1S_TEST_MAIN(T(test_streams_opened_as_kubectl_would), T(test_stdin_resize_and_close),
              T(test_output_and_status), T(test_runtime_control_frames),
              T(test_kubectl_closes_or_breaks))
