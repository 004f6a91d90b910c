/*
 * spdy_frame.c - SPDY/3.1 frames to and from bytes: the 8-byte head, the
 * control frames' fixed fields, and writers for the frames a streaming
 * client sends (and, for tests, the ones a server sends).
 */
#include "spdy_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(k1s_buf *b, uint32_t v)
{
    char p[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    k1s_buf_add(b, p, 4);
}

void k1s__spdy_parse_head(const uint8_t p[8], k1s_spdy_head *h)
{
    uint32_t w0 = get32(p), w1 = get32(p + 4);
    memset(h, 0, sizeof *h);
    h->control = (w0 & 0x80000000u) != 0;
    if (h->control) {
        h->version = (uint16_t)((w0 >> 16) & 0x7fff);
        h->type = (uint16_t)(w0 & 0xffff);
    } else {
        h->sid = w0 & 0x7fffffffu;
    }
    h->flags = (uint8_t)(w1 >> 24);
    h->len = w1 & K1S_SPDY_MAX_LEN;
}

int k1s__spdy_parse_control(const k1s_spdy_head *h, const uint8_t *payload, k1s_spdy_ctrl *c)
{
    const uint8_t *p = payload;
    uint32_t n = h->len;
    memset(c, 0, sizeof *c);
    c->type = h->type;
    c->flags = h->flags;
    switch (h->type) {
    case K1S_SPDY_SYN_STREAM:
        if (n < 10)
            return -1;
        c->sid = get32(p) & 0x7fffffffu;
        c->assoc = get32(p + 4) & 0x7fffffffu;
        c->priority = p[8] >> 5;
        c->block = p + 10;
        c->nblock = n - 10;
        return c->sid ? 0 : -1;
    case K1S_SPDY_SYN_REPLY:
    case K1S_SPDY_HEADERS:
        if (n < 4)
            return -1;
        c->sid = get32(p) & 0x7fffffffu;
        c->block = p + 4;
        c->nblock = n - 4;
        return c->sid ? 0 : -1;
    case K1S_SPDY_RST_STREAM:
    case K1S_SPDY_WINDOW_UPDATE:
        if (n != 8)
            return -1;
        c->sid = get32(p) & 0x7fffffffu;
        c->value = get32(p + 4) & (h->type == K1S_SPDY_WINDOW_UPDATE ? 0x7fffffffu : 0xffffffffu);
        return 0;
    case K1S_SPDY_GOAWAY:
        if (n != 8)
            return -1;
        c->sid = get32(p) & 0x7fffffffu;
        c->value = get32(p + 4);
        return 0;
    case K1S_SPDY_PING:
        if (n != 4)
            return -1;
        c->value = get32(p);
        return 0;
    case K1S_SPDY_SETTINGS:
        if (n < 4 || (n - 4) / 8 < get32(p) || (n - 4) % 8)
            return -1;
        c->value = get32(p);
        return 0;
    default:
        return 0; /* unknown types are skipped, as the spec asks */
    }
}

/* The 8-byte head of a control frame. */
static void put_control_head(k1s_buf *b, uint16_t type, uint8_t flags, uint32_t len)
{
    put32(b, 0x80000000u | (uint32_t)K1S_SPDY_VERSION << 16 | type);
    put32(b, (uint32_t)flags << 24 | (len & K1S_SPDY_MAX_LEN));
}

/* A control frame whose payload is fixed fields then a header block. */
static int put_with_block(k1s_buf *b, k1s_spdy_zlib *z, uint16_t type, uint8_t flags,
                          const uint8_t *fixed, size_t nfixed, const k1s_spdy_header *hs, size_t n)
{
    k1s_buf block = {0};
    if (k1s__spdy_block_encode(z, hs, n, &block) || nfixed + block.len > K1S_SPDY_MAX_LEN) {
        free(block.p);
        return -1;
    }
    put_control_head(b, type, flags, (uint32_t)(nfixed + block.len));
    k1s_buf_add(b, (const char *)fixed, nfixed);
    k1s_buf_add(b, block.p, block.len);
    free(block.p);
    return 0;
}

int k1s__spdy_put_syn_stream(k1s_buf *b, k1s_spdy_zlib *z, uint32_t sid, uint8_t priority,
                             uint8_t flags, const k1s_spdy_header *hs, size_t n)
{
    uint8_t fixed[10] = {
        (uint8_t)(sid >> 24 & 0x7f),
        (uint8_t)(sid >> 16),
        (uint8_t)(sid >> 8),
        (uint8_t)sid,
        0,
        0,
        0,
        0, /* associated-to: none */
        (uint8_t)((priority & 7) << 5),
        0, /* priority, slot */
    };
    return put_with_block(b, z, K1S_SPDY_SYN_STREAM, flags, fixed, sizeof fixed, hs, n);
}

int k1s__spdy_put_syn_reply(k1s_buf *b, k1s_spdy_zlib *z, uint32_t sid, uint8_t flags,
                            const k1s_spdy_header *hs, size_t n)
{
    uint8_t fixed[4] = {(uint8_t)(sid >> 24 & 0x7f), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
                        (uint8_t)sid};
    return put_with_block(b, z, K1S_SPDY_SYN_REPLY, flags, fixed, sizeof fixed, hs, n);
}

void k1s__spdy_put_data(k1s_buf *b, uint32_t sid, uint8_t flags, const void *p, size_t n)
{
    put32(b, sid & 0x7fffffffu);
    put32(b, (uint32_t)flags << 24 | ((uint32_t)n & K1S_SPDY_MAX_LEN));
    if (n)
        k1s_buf_add(b, p, n);
}

static void put_two(k1s_buf *b, uint16_t type, uint32_t a, uint32_t v)
{
    put_control_head(b, type, 0, 8);
    put32(b, a);
    put32(b, v);
}

void k1s__spdy_put_rst(k1s_buf *b, uint32_t sid, uint32_t status)
{
    put_two(b, K1S_SPDY_RST_STREAM, sid & 0x7fffffffu, status);
}

void k1s__spdy_put_goaway(k1s_buf *b, uint32_t last_good, uint32_t status)
{
    put_two(b, K1S_SPDY_GOAWAY, last_good & 0x7fffffffu, status);
}

void k1s__spdy_put_window_update(k1s_buf *b, uint32_t sid, uint32_t delta)
{
    put_two(b, K1S_SPDY_WINDOW_UPDATE, sid & 0x7fffffffu, delta & 0x7fffffffu);
}

void k1s__spdy_put_ping(k1s_buf *b, uint32_t id)
{
    put_control_head(b, K1S_SPDY_PING, 0, 4);
    put32(b, id);
}

void k1s__spdy_put_settings1(k1s_buf *b, uint32_t id, uint32_t value)
{
    put_control_head(b, K1S_SPDY_SETTINGS, 0, 12);
    put32(b, 1);
    put32(b, id & 0xffffff); /* entry flags 0, 24-bit id */
    put32(b, value);
}
