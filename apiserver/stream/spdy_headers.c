/*
 * spdy_headers.c - SPDY/3 header blocks: the plain layout (a 32-bit pair
 * count, then each name and value as a 32-bit length and bytes) and its
 * compression. Each direction of a session is one zlib stream primed with
 * the SPDY dictionary; every block ends with a sync flush, so the peer can
 * inflate it whole without waiting for the next.
 */
#include "spdy_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct k1s_spdy_zlib {
    z_stream def, inf;
    bool def_ok, inf_ok;
};

k1s_spdy_zlib *k1s__spdy_zlib_new(void)
{
    k1s_spdy_zlib *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    if (deflateInit(&z->def, Z_DEFAULT_COMPRESSION) != Z_OK)
        goto fail;
    z->def_ok = true;
    /* the dictionary goes in before the first byte: zlib then marks the
       stream's header with the dictionary's id, which the peer checks */
    if (deflateSetDictionary(&z->def, k1s__spdy_dict, (uInt)k1s__spdy_dict_len) != Z_OK)
        goto fail;
    if (inflateInit(&z->inf) != Z_OK)
        goto fail;
    z->inf_ok = true;
    return z;
fail:
    k1s__spdy_zlib_free(z);
    return NULL;
}

void k1s__spdy_zlib_free(k1s_spdy_zlib *z)
{
    if (!z)
        return;
    if (z->def_ok)
        deflateEnd(&z->def);
    if (z->inf_ok)
        inflateEnd(&z->inf);
    free(z);
}

static void put32(k1s_buf *b, uint32_t v)
{
    char p[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    k1s_buf_add(b, p, 4);
}

int k1s__spdy_block_encode(k1s_spdy_zlib *z, const k1s_spdy_header *hs, size_t n, k1s_buf *out)
{
    k1s_buf plain = {0};
    put32(&plain, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(hs[i].name);
        size_t vl = hs[i].value_len ? hs[i].value_len : strlen(hs[i].value);
        put32(&plain, (uint32_t)nl);
        k1s_buf_add(&plain, hs[i].name, nl);
        put32(&plain, (uint32_t)vl);
        k1s_buf_add(&plain, hs[i].value, vl);
    }
    if (k1s_buf_failed(&plain)) {
        free(plain.p);
        return -1;
    }
    z->def.next_in = (Bytef *)plain.p;
    z->def.avail_in = (uInt)plain.len;
    int rc = 0;
    do {
        unsigned char chunk[1024];
        z->def.next_out = chunk;
        z->def.avail_out = sizeof chunk;
        int zr = deflate(&z->def, Z_SYNC_FLUSH);
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = -1;
            break;
        }
        k1s_buf_add(out, (const char *)chunk, sizeof chunk - z->def.avail_out);
        /* a full chunk may mean more output is pending */
    } while (z->def.avail_in > 0 || z->def.avail_out == 0);
    free(plain.p);
    return rc || k1s_buf_failed(out) ? -1 : 0;
}

int k1s__spdy_block_decode(k1s_spdy_zlib *z, const uint8_t *in, size_t n, size_t max, k1s_buf *out)
{
    size_t start = out->len;
    z->inf.next_in = (Bytef *)in;
    z->inf.avail_in = (uInt)n;
    for (;;) {
        unsigned char chunk[1024];
        z->inf.next_out = chunk;
        z->inf.avail_out = sizeof chunk;
        int zr = inflate(&z->inf, Z_SYNC_FLUSH);
        if (zr == Z_NEED_DICT) {
            if (inflateSetDictionary(&z->inf, k1s__spdy_dict, (uInt)k1s__spdy_dict_len) != Z_OK)
                return -1;
            continue;
        }
        size_t got = sizeof chunk - z->inf.avail_out;
        /* a peer that ends its zlib stream (Z_STREAM_END) breaks every
           later block: refuse it now */
        if (zr != Z_OK && !(zr == Z_BUF_ERROR && got == 0))
            return -1;
        if (out->len - start + got > max)
            return -1;
        k1s_buf_add(out, (const char *)chunk, got);
        if (k1s_buf_failed(out))
            return -1;
        if (z->inf.avail_in == 0 && z->inf.avail_out != 0)
            return 0;
        if (zr == Z_BUF_ERROR)
            return -1; /* input left but no progress */
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int k1s__spdy_block_pairs(const uint8_t *p, size_t n, k1s_spdy_pair_fn fn, void *ctx)
{
    if (n < 4)
        return -1;
    uint32_t count = get32(p);
    size_t off = 4;
    for (uint32_t i = 0; i < count; i++) {
        if (n - off < 4)
            return -1;
        uint32_t nl = get32(p + off);
        off += 4;
        if (nl == 0 || n - off < nl)
            return -1;
        const char *name = (const char *)p + off;
        off += nl;
        if (n - off < 4)
            return -1;
        uint32_t vl = get32(p + off);
        off += 4;
        if (n - off < vl)
            return -1;
        if (fn)
            fn(ctx, name, nl, (const char *)p + off, vl);
        off += vl;
    }
    /* every pair took at least 9 bytes: count fits an int */
    return off == n ? (int)count : -1;
}
