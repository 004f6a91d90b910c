/*
 * test_spdy.c - the SPDY/3.1 codec of the exec bridge, on buffers: the
 * dictionary, zlib header blocks across several frames of one session,
 * every frame writer read back, and the incremental reader fed whole and
 * byte by byte, with broken input.
 */
#include <zlib.h>

#include "k1s_test.h"
#include "spdy_internal.h"

/* ---- a recorder for the reader's events ------------------------------------- */

typedef struct rec {
    k1s_buf data; /* DATA payload, all streams in order */
    uint32_t last_sid;
    int fins, controls, pieces;
    uint16_t types[16];
    uint32_t values[16];
} rec;

static int rec_data(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin)
{
    rec *r = ctx;
    k1s_buf_add(&r->data, (const char *)p, n);
    r->last_sid = sid;
    r->fins += fin;
    r->pieces++;
    return 0;
}

static int rec_control(void *ctx, const k1s_spdy_head *h, const uint8_t *payload)
{
    rec *r = ctx;
    k1s_spdy_ctrl c;
    if (k1s__spdy_parse_control(h, payload, &c))
        return -1;
    if (r->controls < 16) {
        r->types[r->controls] = c.type;
        r->values[r->controls] = c.value;
    }
    r->controls++;
    return 0;
}

static const k1s_spdy_events rec_events = {rec_data, rec_control};

/* Feed buf to a fresh reader step bytes at a time, as a socket would. */
static int feed(const k1s_buf *buf, size_t step, rec *r)
{
    k1s_spdy_reader rd = {0};
    uint8_t *pending = malloc(buf->len + 1);
    size_t have = 0, at = 0;
    int rc = 0;
    while (at < buf->len || have) {
        size_t k = buf->len - at < step ? buf->len - at : step;
        memcpy(pending + have, buf->p + at, k);
        have += k;
        at += k;
        ssize_t used = k1s__spdy_read(&rd, pending, have, &rec_events, r);
        if (used < 0) {
            rc = -1;
            break;
        }
        memmove(pending, pending + used, have - (size_t)used);
        have -= (size_t)used;
        if (k == 0 && used == 0)
            break; /* nothing more will come: a partial frame stays */
    }
    free(pending);
    return rc;
}

/* ---- header blocks ----------------------------------------------------------- */

typedef struct pairs {
    char text[512];
} pairs;

static void collect(void *ctx, const char *name, size_t nl, const char *value, size_t vl)
{
    pairs *p = ctx;
    size_t l = strlen(p->text);
    snprintf(p->text + l, sizeof p->text - l, "%.*s=", (int)nl, name);
    l = strlen(p->text);
    for (size_t i = 0; i < vl && l + 2 < sizeof p->text; i++)
        p->text[l++] = value[i] ? value[i] : '|'; /* NUL separates values */
    p->text[l++] = ';';
    p->text[l] = 0;
}

TEST(test_dictionary)
{
    CHECK_INT(k1s__spdy_dict_len, 1423);
    CHECK_INT(adler32(1, k1s__spdy_dict, (uInt)k1s__spdy_dict_len), 0xe3c6a7c2);
    CHECK(!memcmp(k1s__spdy_dict, "\0\0\0\7options", 11));
}

TEST(test_blocks_round_trip)
{
    k1s_spdy_zlib *a = k1s__spdy_zlib_new(), *b = k1s__spdy_zlib_new();
    CHECK(a && b);
    /* three blocks on one session: each depends on the ones before */
    static const char *const types[] = {"error", "stdin", "stdout"};
    for (int i = 0; i < 3; i++) {
        k1s_spdy_header hs[2] = {{"streamtype", types[i], 0}, {"x-multi", "one\0two", 7}};
        k1s_buf z = {0}, plain = {0};
        CHECK_INT(k1s__spdy_block_encode(a, hs, 2, &z), 0);
        if (i == 0) {
            /* zlib header: deflate, FDICT set, then the dictionary's id */
            CHECK_INT((uint8_t)z.p[0] & 0x0f, 8);
            CHECK((uint8_t)z.p[1] & 0x20);
            CHECK(!memcmp(z.p + 2, "\xe3\xc6\xa7\xc2", 4));
        }
        /* a sync flush ends every block */
        CHECK(z.len >= 4 && !memcmp(z.p + z.len - 4, "\0\0\xff\xff", 4));
        CHECK_INT(k1s__spdy_block_decode(b, (uint8_t *)z.p, z.len, 4096, &plain), 0);
        pairs got = {{0}};
        CHECK_INT(k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, collect, &got), 2);
        char want[128];
        snprintf(want, sizeof want, "streamtype=%s;x-multi=one|two;", types[i]);
        CHECK_STR(got.text, want);
        free(z.p);
        free(plain.p);
    }
    /* an empty block, as a SYN_REPLY usually carries */
    k1s_buf z = {0}, plain = {0};
    CHECK_INT(k1s__spdy_block_encode(a, NULL, 0, &z), 0);
    CHECK_INT(k1s__spdy_block_decode(b, (uint8_t *)z.p, z.len, 4096, &plain), 0);
    CHECK_INT(k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, NULL, NULL), 0);
    free(plain.p);
    plain = (k1s_buf){0};
    /* the same bytes again do not decode: the session moved on */
    k1s_spdy_zlib *fresh = k1s__spdy_zlib_new();
    CHECK(k1s__spdy_block_decode(fresh, (uint8_t *)z.p, z.len, 4096, &plain) != 0 ||
          k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, NULL, NULL) != 0);
    free(plain.p);
    free(z.p);
    k1s__spdy_zlib_free(fresh);
    k1s__spdy_zlib_free(a);
    k1s__spdy_zlib_free(b);
}

TEST(test_blocks_bad_input)
{
    k1s_spdy_zlib *z = k1s__spdy_zlib_new();
    k1s_buf out = {0};
    CHECK_INT(k1s__spdy_block_decode(z, (const uint8_t *)"garbage!", 8, 4096, &out), -1);
    free(out.p);
    k1s__spdy_zlib_free(z);
    /* plain blocks: counts and lengths past the end */
    static const uint8_t short_count[] = {0, 0, 0};
    static const uint8_t too_many[] = {0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 0};
    static const uint8_t long_name[] = {0, 0, 0, 1, 0, 0, 0, 9, 'a'};
    static const uint8_t empty_name[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t trailing[] = {0, 0, 0, 0, 1};
    static const uint8_t huge[] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 'a'};
    CHECK_INT(k1s__spdy_block_pairs(short_count, sizeof short_count, NULL, NULL), -1);
    CHECK_INT(k1s__spdy_block_pairs(too_many, sizeof too_many, NULL, NULL), -1);
    CHECK_INT(k1s__spdy_block_pairs(long_name, sizeof long_name, NULL, NULL), -1);
    CHECK_INT(k1s__spdy_block_pairs(empty_name, sizeof empty_name, NULL, NULL), -1);
    CHECK_INT(k1s__spdy_block_pairs(trailing, sizeof trailing, NULL, NULL), -1);
    CHECK_INT(k1s__spdy_block_pairs(huge, sizeof huge, NULL, NULL), -1);
    /* a block bigger than allowed is refused */
    k1s_spdy_zlib *a = k1s__spdy_zlib_new(), *b = k1s__spdy_zlib_new();
    char big[3000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = 0;
    k1s_spdy_header h = {"big", big, 0};
    k1s_buf zb = {0};
    out = (k1s_buf){0};
    CHECK_INT(k1s__spdy_block_encode(a, &h, 1, &zb), 0);
    CHECK_INT(k1s__spdy_block_decode(b, (uint8_t *)zb.p, zb.len, 1024, &out), -1);
    free(zb.p);
    free(out.p);
    k1s__spdy_zlib_free(a);
    k1s__spdy_zlib_free(b);
}

/* ---- frames -------------------------------------------------------------------- */

TEST(test_frames_read_back)
{
    k1s_spdy_zlib *cli = k1s__spdy_zlib_new(), *srv = k1s__spdy_zlib_new();
    k1s_buf b = {0};
    k1s_spdy_header h = {"streamtype", "stdin", 0};
    CHECK_INT(k1s__spdy_put_syn_stream(&b, cli, 3, 2, K1S_SPDY_FLAG_UNIDIRECTIONAL, &h, 1), 0);
    k1s_spdy_head hd;
    k1s__spdy_parse_head((uint8_t *)b.p, &hd);
    CHECK(hd.control);
    CHECK_INT(hd.version, 3);
    CHECK_INT(hd.type, K1S_SPDY_SYN_STREAM);
    CHECK_INT(hd.flags, K1S_SPDY_FLAG_UNIDIRECTIONAL);
    CHECK_INT(hd.len, b.len - 8);
    k1s_spdy_ctrl c;
    CHECK_INT(k1s__spdy_parse_control(&hd, (uint8_t *)b.p + 8, &c), 0);
    CHECK_INT(c.sid, 3);
    CHECK_INT(c.assoc, 0);
    CHECK_INT(c.priority, 2);
    k1s_buf plain = {0};
    CHECK_INT(k1s__spdy_block_decode(srv, c.block, c.nblock, 4096, &plain), 0);
    pairs got = {{0}};
    CHECK_INT(k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, collect, &got), 1);
    CHECK_STR(got.text, "streamtype=stdin;");
    free(plain.p);
    free(b.p);

    /* the fixed-size frames */
    struct {
        int type;
        uint32_t sid, value;
    } want[] = {
        {K1S_SPDY_RST_STREAM, 5, K1S_SPDY_CANCEL},
        {K1S_SPDY_WINDOW_UPDATE, 7, 32768},
        {K1S_SPDY_GOAWAY, 9, 0},
        {K1S_SPDY_PING, 0, 42},
        {K1S_SPDY_SETTINGS, 0, 1},
    };
    b = (k1s_buf){0};
    k1s__spdy_put_rst(&b, 5, K1S_SPDY_CANCEL);
    k1s__spdy_put_window_update(&b, 7, 32768);
    k1s__spdy_put_goaway(&b, 9, 0);
    k1s__spdy_put_ping(&b, 42);
    k1s__spdy_put_settings1(&b, 7, 65536);
    size_t off = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        k1s__spdy_parse_head((uint8_t *)b.p + off, &hd);
        CHECK(hd.control);
        CHECK_INT(hd.type, want[i].type);
        CHECK_INT(k1s__spdy_parse_control(&hd, (uint8_t *)b.p + off + 8, &c), 0);
        CHECK_INT(c.sid, want[i].sid);
        CHECK_INT(c.value, want[i].value);
        off += 8 + hd.len;
    }
    CHECK_INT(off, b.len);
    free(b.p);

    /* DATA: stream id, FIN, length */
    b = (k1s_buf){0};
    k1s__spdy_put_data(&b, 0x7fffffff, K1S_SPDY_FLAG_FIN, "abc", 3);
    k1s__spdy_parse_head((uint8_t *)b.p, &hd);
    CHECK(!hd.control);
    CHECK_INT(hd.sid, 0x7fffffff);
    CHECK_INT(hd.flags, K1S_SPDY_FLAG_FIN);
    CHECK_INT(hd.len, 3);
    CHECK(!memcmp(b.p + 8, "abc", 3));
    free(b.p);

    /* malformed control payloads */
    static const uint8_t rst_short[] = {0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1};
    k1s__spdy_parse_head(rst_short, &hd);
    CHECK_INT(k1s__spdy_parse_control(&hd, rst_short + 8, &c), -1);
    static const uint8_t syn_zero[] = {0x80, 3, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    k1s__spdy_parse_head(syn_zero, &hd);
    CHECK_INT(k1s__spdy_parse_control(&hd, syn_zero + 8, &c), -1);
    static const uint8_t settings_lie[] = {0x80, 3, 0, 4, 0, 0, 0, 4, 0, 0, 0, 9};
    k1s__spdy_parse_head(settings_lie, &hd);
    CHECK_INT(k1s__spdy_parse_control(&hd, settings_lie + 8, &c), -1);
    k1s__spdy_zlib_free(cli);
    k1s__spdy_zlib_free(srv);
}

TEST(test_reader_in_pieces)
{
    k1s_spdy_zlib *z = k1s__spdy_zlib_new();
    k1s_buf b = {0};
    k1s__spdy_put_ping(&b, 2);
    char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    k1s__spdy_put_data(&b, 5, 0, big, sizeof big);
    k1s__spdy_put_data(&b, 5, 0, NULL, 0);                 /* nothing: no event */
    k1s__spdy_put_data(&b, 5, K1S_SPDY_FLAG_FIN, NULL, 0); /* the end */
    CHECK_INT(k1s__spdy_put_syn_reply(&b, z, 1, 0, NULL, 0), 0);
    k1s__spdy_put_goaway(&b, 0, 0);
    size_t steps[] = {1, 7, 4096, b.len};
    for (size_t s = 0; s < 4; s++) {
        rec r = {0};
        CHECK_INT(feed(&b, steps[s], &r), 0);
        CHECK_INT(r.data.len, sizeof big);
        CHECK(r.data.p && !memcmp(r.data.p, big, sizeof big));
        CHECK_INT(r.fins, 1);
        CHECK_INT(r.last_sid, 5);
        CHECK_INT(r.controls, 3);
        CHECK_INT(r.types[0], K1S_SPDY_PING);
        CHECK_INT(r.values[0], 2);
        CHECK_INT(r.types[1], K1S_SPDY_SYN_REPLY);
        CHECK_INT(r.types[2], K1S_SPDY_GOAWAY);
        if (steps[s] == b.len)
            CHECK_INT(r.pieces, 2); /* whole: one piece, then the FIN */
        free(r.data.p);
    }
    free(b.p);
    k1s__spdy_zlib_free(z);
}

TEST(test_reader_refuses_broken_streams)
{
    rec r = {0};
    /* SPDY/2 */
    k1s_buf b = {0};
    k1s_buf_add(&b, "\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12);
    CHECK_INT(feed(&b, b.len, &r), -1);
    free(b.p);
    /* a control frame too large to buffer */
    b = (k1s_buf){0};
    k1s_buf_add(&b, "\x80\x03\x00\x04\x00\x7f\xff\xff", 8);
    CHECK_INT(feed(&b, b.len, &r), -1);
    free(b.p);
    /* DATA on stream 0 */
    b = (k1s_buf){0};
    k1s_buf_add(&b, "\x00\x00\x00\x00\x00\x00\x00\x01x", 9);
    CHECK_INT(feed(&b, b.len, &r), -1);
    free(b.p);
    /* an unknown control type is skipped, the next frame still read */
    b = (k1s_buf){0};
    k1s_buf_add(&b, "\x80\x03\x00\x0b\x00\x00\x00\x02zz", 10);
    k1s__spdy_put_ping(&b, 4);
    memset(&r, 0, sizeof r);
    CHECK_INT(feed(&b, 3, &r), 0);
    CHECK_INT(r.controls, 2);
    CHECK_INT(r.values[1], 4);
    free(b.p);
    /* a truncated frame is left unconsumed, not an error */
    b = (k1s_buf){0};
    k1s_buf_add(&b, "\x80\x03\x00\x06\x00\x00\x00\x04\x00", 9);
    memset(&r, 0, sizeof r);
    CHECK_INT(feed(&b, b.len, &r), 0);
    CHECK_INT(r.controls, 0);
    free(b.p);
}

K1S_TEST_MAIN(T(test_dictionary), T(test_blocks_round_trip), T(test_blocks_bad_input),
              T(test_frames_read_back), T(test_reader_in_pieces),
              T(test_reader_refuses_broken_streams))
