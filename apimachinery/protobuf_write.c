/*
 * protobuf_write.c - the writer the protobuf encoder fills from the end
 * towards the start (see protobuf_int.h): room is made by moving what is
 * written to the end of a buffer twice the size, so each byte moves O(1)
 * times on average; the buffer never passes K1S_PROTOBUF_MAX_ENCODED.
 */
#include <stdlib.h>
#include <string.h>

#include "protobuf_int.h"

int k1s__pbw_fail(k1s__pb_writer *w, int rc)
{
    if (w->rc == 0)
        w->rc = rc;
    return w->rc;
}

/* Room for n more bytes in front of the written ones. */
static bool room(k1s__pb_writer *w, size_t n)
{
    if (w->rc)
        return false;
    if (n <= w->start)
        return true;
    size_t used = k1s__pbw_size(w);
    if (n > K1S_PROTOBUF_MAX_ENCODED - used) {
        k1s__pbw_fail(w, K1S_ETOOLARGE);
        return false;
    }
    size_t cap = w->cap ? w->cap : 256;
    while (cap - used < n)
        cap *= 2;
    unsigned char *p = malloc(cap);
    if (!p) {
        k1s__pbw_fail(w, K1S_ENOMEM);
        return false;
    }
    if (used)
        memcpy(p + cap - used, w->p + w->start, used);
    free(w->p);
    w->p = p;
    w->cap = cap;
    w->start = cap - used;
    return true;
}

void k1s__pbw_bytes(k1s__pb_writer *w, const void *s, size_t n)
{
    if (n == 0 || !room(w, n))
        return;
    w->start -= n;
    memcpy(w->p + w->start, s, n);
}

void k1s__pbw_varint(k1s__pb_writer *w, uint64_t v)
{
    unsigned char b[10];
    k1s__pbw_bytes(w, b, k1s__pb_varint_bytes(v, b));
}

void k1s__pbw_key(k1s__pb_writer *w, uint32_t num, unsigned wire)
{
    k1s__pbw_varint(w, ((uint64_t)num << 3) | wire);
}

void k1s__pbw_fixed64(k1s__pb_writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    k1s__pbw_bytes(w, b, sizeof b);
}

void k1s__pbw_close(k1s__pb_writer *w, size_t mark, uint32_t num)
{
    if (w->rc)
        return;
    k1s__pbw_varint(w, k1s__pbw_size(w) - mark);
    k1s__pbw_key(w, num, K1S__PB_LEN);
}

void k1s__pbw_field_bytes(k1s__pb_writer *w, uint32_t num, const void *s, size_t n)
{
    size_t mark = k1s__pbw_size(w);
    k1s__pbw_bytes(w, s, n);
    k1s__pbw_close(w, mark, num);
}

void k1s__pbw_field_varint(k1s__pb_writer *w, uint32_t num, uint64_t v)
{
    k1s__pbw_varint(w, v);
    k1s__pbw_key(w, num, K1S__PB_VARINT);
}

unsigned char *k1s__pbw_take(k1s__pb_writer *w, size_t *len)
{
    unsigned char *out = NULL;
    size_t n = k1s__pbw_size(w);
    if (w->rc == 0) {
        if (!w->p && !room(w, 1))
            goto done;
        memmove(w->p, w->p + w->start, n);
        out = w->p;
        w->p = NULL;
        *len = n;
    }
done:
    k1s__pbw_free(w);
    return out;
}

void k1s__pbw_reset(k1s__pb_writer *w)
{
    w->start = w->cap;
    w->rc = 0;
}

void k1s__pbw_free(k1s__pb_writer *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}
