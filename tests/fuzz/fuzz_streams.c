/*
 * fuzz_streams.c - libFuzzer target for the frame readers of exec, attach
 * and port-forward streams: WebSocket (first input byte even) and SPDY/3
 * with its zlib header blocks (odd). The rest of the input arrives in
 * pieces whose sizes the input picks, kept the way the bridge keeps
 * unconsumed bytes: never a crash, a leak or an overrun, never more
 * consumed than given, and SPDY never needs more than one control frame
 * of buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "spdy_internal.h"
#include "stream_internal.h"

typedef struct sink {
    size_t bytes, frames, pairs;
    k1s_spdy_zlib *z;
} sink;

static int ws_data(void *ctx, uint8_t channel, const uint8_t *p, size_t n)
{
    sink *s = ctx;
    (void)channel, (void)p;
    s->bytes += n;
    return 0;
}

static int ws_control(void *ctx, uint8_t opcode, const uint8_t *p, size_t n)
{
    sink *s = ctx;
    (void)opcode, (void)p;
    MUST(n <= 125);
    s->frames++;
    return 0;
}

static int spdy_data(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin)
{
    sink *s = ctx;
    (void)sid, (void)p, (void)fin;
    s->bytes += n;
    return 0;
}

static void pair(void *ctx, const char *name, size_t nl, const char *value, size_t vl)
{
    sink *s = ctx;
    (void)name, (void)nl, (void)value, (void)vl;
    s->pairs++;
}

static int spdy_control(void *ctx, const k1s_spdy_head *h, const uint8_t *payload)
{
    sink *s = ctx;
    MUST(h->len <= K1S_SPDY_MAX_CONTROL);
    s->frames++;
    k1s_spdy_ctrl c;
    if (k1s__spdy_parse_control(h, payload, &c) != 0 || !c.block)
        return 0;
    k1s_buf plain = {0};
    if (k1s__spdy_block_decode(s->z, c.block, c.nblock, 64 * 1024, &plain) == 0)
        k1s__spdy_block_pairs((const uint8_t *)plain.p, plain.len, pair, s);
    MUST(plain.len <= 64 * 1024);
    k1s_buf_free(&plain);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    bool spdy = data[0] & 1;
    const uint8_t *in = data + 1;
    size_t left = size - 1;
    size_t cap = 8 + K1S_SPDY_MAX_CONTROL + 256;
    uint8_t *buf = malloc(cap);
    MUST(buf != NULL);
    size_t have = 0;
    sink s = {0};
    if (spdy)
        MUST((s.z = k1s__spdy_zlib_new()) != NULL);
    k1s_ws_reader wr = {0};
    k1s_spdy_reader sr = {0};
    static const k1s_ws_events wev = {ws_data, ws_control};
    static const k1s_spdy_events sev = {spdy_data, spdy_control};
    size_t i = 0;
    while (left) {
        size_t piece = 1 + data[i++ % size] % 200;
        if (piece > left)
            piece = left;
        MUST(have + piece <= cap); /* the reader keeps what it holds bounded */
        memcpy(buf + have, in, piece);
        in += piece;
        left -= piece;
        have += piece;
        ssize_t used = spdy ? k1s__spdy_read(&sr, buf, have, &sev, &s)
                            : k1s__ws_read(&wr, buf, have, &wev, &s);
        if (used < 0)
            break;
        MUST((size_t)used <= have);
        memmove(buf, buf + used, have - (size_t)used);
        have -= (size_t)used;
        if (!spdy)
            MUST(have < 14 + 126); /* a head and a control frame at most */
    }
    k1s__spdy_zlib_free(s.z);
    free(buf);
    return 0;
}
