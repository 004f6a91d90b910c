/*
 * k1s_buf.c - the growable byte buffer.
 */
#include "k1s_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t limit(const k1s_buf *b)
{
    return b->max ? b->max : K1S_BUF_LIMIT;
}

bool k1s_buf_reserve(k1s_buf *b, size_t n)
{
    if (k1s_buf_failed(b))
        return false;
    if (n > limit(b) || b->len > limit(b) - n) {
        b->full = true;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void k1s_buf_add(k1s_buf *b, const void *s, size_t n)
{
    if (!k1s_buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void k1s_buf_adds(k1s_buf *b, const char *s)
{
    k1s_buf_add(b, s, strlen(s));
}

void k1s_buf_addc(k1s_buf *b, char c)
{
    k1s_buf_add(b, &c, 1);
}

void k1s_buf_vaddf(k1s_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0)
        b->oom = true;
    else if (k1s_buf_reserve(b, (size_t)n)) {
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void k1s_buf_addf(k1s_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    k1s_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void k1s_buf_truncate(k1s_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->p[len] = 0;
    }
}

const char *k1s_buf_str(const k1s_buf *b)
{
    return b->p && b->len ? b->p : "";
}

char *k1s_buf_take(k1s_buf *b, size_t *len)
{
    if (!k1s_buf_failed(b) && !b->p)
        k1s_buf_add(b, "", 0);
    char *p = k1s_buf_failed(b) ? NULL : b->p;
    if (len)
        *len = p ? b->len : 0;
    if (!p)
        free(b->p);
    size_t max = b->max;
    memset(b, 0, sizeof *b);
    b->max = max;
    return p;
}

void k1s_buf_free(k1s_buf *b)
{
    free(b->p);
    size_t max = b->max;
    memset(b, 0, sizeof *b);
    b->max = max;
}
