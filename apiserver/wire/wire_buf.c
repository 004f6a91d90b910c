/*
 * wire_buf.c - the growable byte buffer replies and frames are built in.
 */
#include "k1s_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void k1s_buf_add(k1s_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n > SIZE_MAX / 4 - b->len) {
        b->failed = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void k1s_buf_adds(k1s_buf *b, const char *s)
{
    k1s_buf_add(b, s, strlen(s));
}

char *k1s_buf_take(k1s_buf *b, size_t *len)
{
    if (b->failed) {
        free(b->p);
        memset(b, 0, sizeof *b);
        return NULL;
    }
    if (!b->p)
        k1s_buf_add(b, "", 0);
    char *p = b->p;
    *len = b->len;
    memset(b, 0, sizeof *b);
    return p;
}
