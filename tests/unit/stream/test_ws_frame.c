/*
 * test_ws_frame.c - WebSocket framing of the exec bridge, on buffers: the
 * handshake's accept key, kubectl's masked frames (all three length forms,
 * fragmented messages with control frames in between, fed byte by byte),
 * the channel byte, the server's frames, and every protocol error.
 */
#include "k1s_test.h"
#include "stream_internal.h"

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

typedef struct got {
    k1s_buf data[256]; /* per channel */
    int controls;
    uint8_t opcodes[8];
    k1s_buf ctrl_payload; /* of the last control frame */
} got;

static int on_data(void *ctx, uint8_t ch, const uint8_t *p, size_t n)
{
    got *g = ctx;
    k1s_buf_add(&g->data[ch], (const char *)p, n);
    return 0;
}

static int on_control(void *ctx, uint8_t opcode, const uint8_t *p, size_t n)
{
    got *g = ctx;
    if (g->controls < 8)
        g->opcodes[g->controls] = opcode;
    g->controls++;
    g->ctrl_payload.len = 0;
    k1s_buf_add(&g->ctrl_payload, (const char *)p, n);
    return 0;
}

static const k1s_ws_events events = {on_data, on_control};

static void got_free(got *g)
{
    for (int i = 0; i < 256; i++)
        free(g->data[i].p);
    free(g->ctrl_payload.p);
}

/* Feed in steps of step bytes as a socket would deliver them. Returns the
 * reader's -1 or 0; *left: bytes never consumed. */
static int feed(k1s_ws_reader *r, const k1s_buf *in, size_t step, got *g, size_t *left)
{
    uint8_t *pend = malloc(in->len + 1);
    size_t have = 0, at = 0;
    int rc = 0;
    for (;;) {
        size_t k = in->len - at < step ? in->len - at : step;
        memcpy(pend + have, in->p + at, k);
        have += k;
        at += k;
        ssize_t used = k1s__ws_read(r, pend, have, &events, g);
        if (used < 0) {
            rc = -1;
            break;
        }
        memmove(pend, pend + used, have - (size_t)used);
        have -= (size_t)used;
        if (at == in->len && (used == 0 || have == 0))
            break;
    }
    if (left)
        *left = have;
    free(pend);
    return rc;
}

TEST(test_accept_key)
{
    /* the example of RFC 6455 section 1.3 */
    char *a = k1s__ws_accept("dGhlIHNhbXBsZSBub25jZQ==");
    CHECK_STR(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    free(a);
}

TEST(test_client_frames)
{
    static char big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('A' + i % 23);
    k1s_buf in = {0};
    uint8_t ch0 = 0, ch4 = 4;
    /* stdin "hello" in one frame (7-bit length) */
    k1s__ws_put(&in, true, K1S_WS_BINARY, MASK, &ch0, 1, "hello", 5);
    /* 300 bytes of stdin: 16-bit length */
    k1s__ws_put(&in, true, K1S_WS_BINARY, MASK, &ch0, 1, big, 300);
    /* 70000 bytes: 64-bit length */
    k1s__ws_put(&in, true, K1S_WS_BINARY, MASK, &ch0, 1, big, sizeof big);
    /* a resize in three fragments, a ping between them */
    k1s__ws_put(&in, false, K1S_WS_BINARY, MASK, &ch4, 1, "{\"Width\":", 9);
    k1s__ws_put(&in, true, K1S_WS_PING, MASK, "beat", 4, NULL, 0);
    k1s__ws_put(&in, false, K1S_WS_CONTINUATION, MASK, "80,", 3, NULL, 0);
    k1s__ws_put(&in, true, K1S_WS_CONTINUATION, MASK, "\"Height\":24}", 12, NULL, 0);
    /* an empty message: no channel, nothing delivered */
    k1s__ws_put(&in, true, K1S_WS_BINARY, MASK, NULL, 0, NULL, 0);
    /* v5's close of stdin, then the close frame */
    k1s__ws_put(&in, true, K1S_WS_BINARY, MASK, "\xff\x00", 2, NULL, 0);
    k1s__ws_put(&in, true, K1S_WS_CLOSE, MASK,
                "\x03\xe8"
                "bye",
                5, NULL, 0);
    size_t steps[] = {1, 5, 1000, 1u << 20};
    for (size_t s = 0; s < 4; s++) {
        k1s_ws_reader r = {.from_server = false};
        got g = {0};
        size_t left = 1;
        CHECK_INT(feed(&r, &in, steps[s], &g, &left), 0);
        CHECK_INT(left, 0);
        size_t want = 5 + 300 + sizeof big;
        CHECK_INT(g.data[0].len, want);
        CHECK(g.data[0].p && !memcmp(g.data[0].p, "hello", 5) &&
              !memcmp(g.data[0].p + 5, big, 300) && !memcmp(g.data[0].p + 305, big, sizeof big));
        CHECK_STR(g.data[4].p, "{\"Width\":80,\"Height\":24}");
        CHECK_INT(g.data[255].len, 1);
        CHECK(g.data[255].p && g.data[255].p[0] == 0);
        CHECK_INT(g.controls, 2);
        CHECK_INT(g.opcodes[0], K1S_WS_PING);
        CHECK_INT(g.opcodes[1], K1S_WS_CLOSE);
        CHECK(g.ctrl_payload.len == 5 && !memcmp(g.ctrl_payload.p,
                                                 "\x03\xe8"
                                                 "bye",
                                                 5));
        got_free(&g);
    }
    free(in.p);
}

/* One frame given as raw bytes: the reader's verdict. */
static int verdict(const char *bytes, size_t n, uint16_t *err)
{
    k1s_buf in = {0};
    k1s_buf_add(&in, bytes, n);
    k1s_ws_reader r = {0};
    got g = {0};
    int rc = feed(&r, &in, n, &g, NULL);
    *err = r.error;
    got_free(&g);
    free(in.p);
    return rc;
}

TEST(test_protocol_errors)
{
    uint16_t e;
    /* unmasked client frame */
    CHECK_INT(verdict("\x82\x01\x00", 3, &e), -1);
    CHECK_INT(e, K1S_WS_PROTOCOL_ERROR);
    /* RSV1 set: no extension was negotiated */
    CHECK_INT(verdict("\xc2\x81\x00\x00\x00\x00\x00", 7, &e), -1);
    CHECK_INT(e, K1S_WS_PROTOCOL_ERROR);
    /* continuation with no message */
    CHECK_INT(verdict("\x80\x81\x00\x00\x00\x00\x00", 7, &e), -1);
    /* a new message inside a fragmented one */
    CHECK_INT(verdict("\x02\x81\x00\x00\x00\x00\x00\x82\x81\x00\x00\x00\x00\x00", 14, &e), -1);
    /* a fragmented ping, a ping of 126 bytes, a reserved opcode */
    CHECK_INT(verdict("\x09\x80\x00\x00\x00\x00", 6, &e), -1);
    CHECK_INT(verdict("\x89\xfe\x00\x7e\x00\x00\x00\x00", 8, &e), -1);
    CHECK_INT(verdict("\x83\x80\x00\x00\x00\x00", 6, &e), -1);
    /* a 64-bit length with the top bit set */
    CHECK_INT(verdict("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00", 14, &e), -1);
    /* a close frame with a one-byte body */
    CHECK_INT(verdict("\x88\x81\x00\x00\x00\x00\x03", 7, &e), -1);
    CHECK_INT(e, K1S_WS_PROTOCOL_ERROR);
    /* half a head is just not there yet */
    CHECK_INT(verdict("\x82\xfe\x01", 3, &e), 0);
}

TEST(test_server_frames)
{
    /* the server's frames are unmasked, read back with a client's reader */
    size_t sizes[] = {0, 124, 125, 126, 65535, 65536, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *payload = malloc(sizes[i] + 1);
        memset(payload, 'x', sizes[i]);
        uint8_t ch = 1;
        k1s_buf out = {0};
        k1s__ws_put(&out, true, K1S_WS_BINARY, NULL, &ch, 1, payload, sizes[i]);
        size_t n = sizes[i] + 1;
        size_t head = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
        CHECK_INT(out.len, head + n);
        CHECK_INT((uint8_t)out.p[0], 0x82);
        CHECK_INT((uint8_t)out.p[1] & 0x80, 0);
        k1s_ws_reader r = {.from_server = true};
        got g = {0};
        CHECK_INT(feed(&r, &out, 777, &g, NULL), 0);
        CHECK_INT(g.data[1].len, sizes[i]);
        /* a masked server frame is refused by the client's reader */
        k1s_buf masked = {0};
        k1s__ws_put(&masked, true, K1S_WS_BINARY, MASK, &ch, 1, NULL, 0);
        k1s_ws_reader r2 = {.from_server = true};
        CHECK_INT(feed(&r2, &masked, masked.len, &g, NULL), -1);
        got_free(&g);
        free(masked.p);
        free(out.p);
        free(payload);
    }
    /* close: code then reason, cut to fit a control frame */
    char reason[300];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = 0;
    k1s_buf c = {0};
    k1s__ws_put_close(&c, K1S_WS_GOING_AWAY, reason);
    CHECK_INT((uint8_t)c.p[0], 0x88);
    CHECK_INT((uint8_t)c.p[1], 125);
    CHECK_INT((uint8_t)c.p[2] << 8 | (uint8_t)c.p[3], K1S_WS_GOING_AWAY);
    free(c.p);
}

K1S_TEST_MAIN(T(test_accept_key), T(test_client_frames), T(test_protocol_errors),
              T(test_server_frames))
