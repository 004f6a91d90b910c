/*
 * http_ws_frame.c - WebSocket frames (RFC 6455 section 5) for the exec
 * bridge: an incremental reader for kubectl's frames (masked, possibly
 * fragmented, control frames in between) that hands on each message's
 * bytes with the channel its first byte names, as the channel.k8s.io
 * subprotocols frame them; and the writer for the server's frames.
 */
#include "stream_internal.h"

#include <string.h>

enum { HEAD_MAX = 14 }; /* 2 + 8 bytes of length + 4 of mask */

static int fail(k1s_ws_reader *r, uint16_t code)
{
    r->error = code;
    return -1;
}

/* Parse the frame head at p: its length, or 0 when more bytes are needed,
 * or -1 (r->error set). */
static int parse_head(k1s_ws_reader *r, const uint8_t *p, size_t n, bool *fin, uint8_t *opcode,
                      uint64_t *len, uint8_t mask[4])
{
    if (n < 2)
        return 0;
    *fin = p[0] & 0x80;
    *opcode = p[0] & 0x0f;
    bool masked = p[1] & 0x80;
    size_t hl = 2;
    uint64_t l = p[1] & 0x7f;
    if (l == 126)
        hl += 2;
    else if (l == 127)
        hl += 8;
    if (masked)
        hl += 4;
    if (n < hl)
        return 0;
    if (p[0] & 0x70)
        return fail(r, K1S_WS_PROTOCOL_ERROR); /* no extension was agreed */
    /* clients must mask, servers must not */
    if (masked == r->from_server)
        return fail(r, K1S_WS_PROTOCOL_ERROR);
    if (l == 126) {
        l = (uint64_t)p[2] << 8 | p[3];
    } else if (l == 127) {
        l = 0;
        for (int i = 0; i < 8; i++)
            l = l << 8 | p[2 + i];
        if (l >> 63)
            return fail(r, K1S_WS_PROTOCOL_ERROR);
    }
    if (masked)
        memcpy(mask, p + hl - 4, 4);
    else
        memset(mask, 0, 4);
    *len = l;
    return (int)hl;
}

void k1s__ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= mask[(off + i) & 3];
}

/* A whole control frame is at p (head hl bytes, then len). */
static int control(k1s_ws_reader *r, const uint8_t *p, size_t hl, uint8_t opcode, size_t len,
                   const uint8_t mask[4], const k1s_ws_events *ev, void *ctx)
{
    uint8_t body[125];
    memcpy(body, p + hl, len);
    k1s__ws_unmask(body, len, mask, 0);
    if (opcode == K1S_WS_CLOSE && len == 1)
        return fail(r, K1S_WS_PROTOCOL_ERROR); /* a code is two bytes */
    return ev->control(ctx, opcode, body, len) ? fail(r, 0) : 0;
}

ssize_t k1s__ws_read(k1s_ws_reader *r, uint8_t *p, size_t n, const k1s_ws_events *ev, void *ctx)
{
    size_t off = 0;
    for (;;) {
        if (r->left) {
            size_t take = n - off < r->left ? n - off : (size_t)r->left;
            if (take == 0)
                return (ssize_t)off;
            uint8_t *q = p + off;
            k1s__ws_unmask(q, take, r->mask, r->off);
            r->off += take;
            r->left -= take;
            off += take;
            size_t k = take;
            if (r->need_channel) {
                r->channel = q[0];
                r->need_channel = false;
                q++;
                k--;
            }
            if (k && ev->data(ctx, r->channel, q, k))
                return fail(r, 0);
            continue;
        }
        bool fin;
        uint8_t opcode, mask[4];
        uint64_t len;
        int hl = parse_head(r, p + off, n - off, &fin, &opcode, &len, mask);
        if (hl <= 0)
            return hl < 0 ? -1 : (ssize_t)off;
        if (opcode >= 8) {
            if (opcode > K1S_WS_PONG || !fin || len > 125)
                return fail(r, K1S_WS_PROTOCOL_ERROR);
            if (n - off - (size_t)hl < len)
                return (ssize_t)off; /* wait for the whole frame */
            if (control(r, p + off, (size_t)hl, opcode, (size_t)len, mask, ev, ctx))
                return -1;
            off += (size_t)hl + (size_t)len;
            continue;
        }
        if (opcode == K1S_WS_CONTINUATION) {
            if (!r->in_message)
                return fail(r, K1S_WS_PROTOCOL_ERROR);
        } else if (opcode == K1S_WS_TEXT || opcode == K1S_WS_BINARY) {
            if (r->in_message)
                return fail(r, K1S_WS_PROTOCOL_ERROR);
            r->need_channel = true; /* a new message: its first byte */
        } else {
            return fail(r, K1S_WS_PROTOCOL_ERROR);
        }
        r->in_message = !fin;
        memcpy(r->mask, mask, 4);
        r->off = 0;
        r->left = len;
        off += (size_t)hl;
    }
}

void k1s__ws_put(k1s_buf *b, bool fin, uint8_t opcode, const uint8_t *mask, const void *p1,
                 size_t n1, const void *p2, size_t n2)
{
    uint8_t h[HEAD_MAX];
    size_t hl = 2;
    uint64_t len = (uint64_t)n1 + n2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        h[1] = (uint8_t)(m | len);
    } else if (len <= 0xffff) {
        h[1] = m | 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hl = 4;
    } else {
        h[1] = m | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        hl = 10;
    }
    if (mask) {
        memcpy(h + hl, mask, 4);
        hl += 4;
    }
    k1s_buf_add(b, (const char *)h, hl);
    size_t start = b->len;
    if (n1)
        k1s_buf_add(b, p1, n1);
    if (n2)
        k1s_buf_add(b, p2, n2);
    if (mask && !k1s_buf_failed(b))
        k1s__ws_unmask((uint8_t *)b->p + start, b->len - start, mask, 0);
}

void k1s__ws_put_close(k1s_buf *b, uint16_t code, const char *reason)
{
    uint8_t c[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > 123)
        rl = 123; /* a control frame carries 125 bytes at most */
    k1s__ws_put(b, true, K1S_WS_CLOSE, NULL, c, 2, reason, rl);
}
