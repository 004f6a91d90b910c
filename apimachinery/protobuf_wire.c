/*
 * protobuf_wire.c - the protobuf wire format read from untrusted bytes:
 * varints, field keys, length-delimited payloads and fixed-width values,
 * every read checked against the end of the message (see protobuf_int.h).
 * Also the decoder's error recording and output budget, and what reading
 * and writing share: varint bytes and the kind an apiVersion names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_util.h"
#include "protobuf_int.h"

int k1s__pb_fail(k1s__pb_ctx *c, int rc, const char *fmt, ...)
{
    if (c->rc != 0)
        return c->rc;
    c->rc = rc;
    if (rc == K1S_ENOMEM)
        return rc; /* no room for a message either; the caller has a default */
    va_list ap;
    va_start(ap, fmt);
    c->err = k1s__vasprintf(fmt, ap);
    va_end(ap);
    return rc;
}

size_t k1s__pb_offset(const k1s__pb_ctx *c, const k1s__pb_reader *r)
{
    return (size_t)(r->p - c->base) + r->pos;
}

int k1s__pb_charge(k1s__pb_ctx *c, size_t n)
{
    if (n > K1S_PROTOBUF_MAX_OUTPUT - c->cost) {
        c->cost = K1S_PROTOBUF_MAX_OUTPUT;
        return k1s__pb_fail(c, K1S_ETOOLARGE, "protobuf body decodes to more than %u bytes",
                            K1S_PROTOBUF_MAX_OUTPUT);
    }
    c->cost += n;
    return 0;
}

json_t *k1s__pb_node(k1s__pb_ctx *c, json_t *v)
{
    if (!v) {
        k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = 64;
    if (json_is_string(v))
        n += json_string_length(v);
    if (k1s__pb_charge(c, n) != 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

const k1s_type *k1s__pb_kind_type(const char *api_version, const char *kind)
{
    char group[256] = "";
    const char *version = api_version;
    const char *slash = strchr(api_version, '/');
    if (slash) {
        size_t n = (size_t)(slash - api_version);
        if (n >= sizeof group)
            return NULL;
        memcpy(group, api_version, n);
        group[n] = '\0';
        version = slash + 1;
    }
    return strchr(version, '/') ? NULL : k1s_schema_kind(group, version, kind);
}

size_t k1s__pb_varint_bytes(uint64_t v, unsigned char b[10])
{
    size_t n = 0;
    do {
        b[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v);
    b[n - 1] &= 0x7f;
    return n;
}

int k1s__pb_varint(k1s__pb_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    /* At most 10 bytes; bits past 64 in the 10th are dropped, as gogo's
     * generated decoders drop them. */
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (r->pos >= r->len)
            return -1;
        unsigned char b = r->p[r->pos++];
        if (shift < 64)
            x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

int k1s__pb_key(k1s__pb_reader *r, uint32_t *num, unsigned *wire)
{
    uint64_t k;
    if (k1s__pb_varint(r, &k) != 0)
        return -1;
    uint64_t n = k >> 3;
    if (n == 0 || n > (1u << 29) - 1)
        return -1;
    *num = (uint32_t)n;
    *wire = (unsigned)(k & 7);
    return 0;
}

int k1s__pb_len(k1s__pb_reader *r, const unsigned char **p, size_t *n)
{
    uint64_t l;
    if (k1s__pb_varint(r, &l) != 0 || l > r->len - r->pos)
        return -1;
    *p = r->p + r->pos;
    *n = (size_t)l;
    r->pos += (size_t)l;
    return 0;
}

int k1s__pb_fixed64(k1s__pb_reader *r, uint64_t *v)
{
    if (r->len - r->pos < 8)
        return -1;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | r->p[r->pos + (size_t)i];
    r->pos += 8;
    *v = x;
    return 0;
}

int k1s__pb_fixed32(k1s__pb_reader *r, uint32_t *v)
{
    if (r->len - r->pos < 4)
        return -1;
    uint32_t x = 0;
    for (int i = 3; i >= 0; i--)
        x = (x << 8) | r->p[r->pos + (size_t)i];
    r->pos += 4;
    *v = x;
    return 0;
}

int k1s__pb_skip(k1s__pb_reader *r, unsigned wire)
{
    uint64_t v64;
    uint32_t v32;
    const unsigned char *p;
    size_t n;
    switch (wire) {
    case K1S__PB_VARINT:
        return k1s__pb_varint(r, &v64);
    case K1S__PB_FIXED64:
        return k1s__pb_fixed64(r, &v64);
    case K1S__PB_LEN:
        return k1s__pb_len(r, &p, &n);
    case K1S__PB_FIXED32:
        return k1s__pb_fixed32(r, &v32);
    default: /* groups (3, 4): Kubernetes never writes them */
        return -1;
    }
}
