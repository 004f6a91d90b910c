/*
 * schema_text.c - the bounded string builder the schema engine writes its
 * messages and field paths with, plus Go-compatible quoting and number text
 * (kube-apiserver's messages come from Go, so ours must format like Go).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_schema_internal.h"

static bool sb_reserve(k1s__sbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > K1S__SB_MAX || b->len + extra + 1 > K1S__SB_MAX) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > K1S__SB_MAX)
        cap = K1S__SB_MAX;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void k1s__sb_put(k1s__sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void k1s__sb_puts(k1s__sbuf *b, const char *s)
{
    k1s__sb_put(b, s, strlen(s));
}

void k1s__sb_printf(k1s__sbuf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        k1s__sb_put(b, small, (size_t)n);
        return;
    }
    if (!sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void k1s__sb_truncate(k1s__sbuf *b, size_t len)
{
    if (len <= b->len) {
        b->len = len;
        if (b->p)
            b->p[len] = '\0';
    }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned min;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void k1s__sb_goquote(k1s__sbuf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    k1s__sb_put(b, "\"", 1);
    for (size_t i = 0; i < n && !b->failed;) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) {
                k1s__sb_printf(b, "\\x%02x", c);
                i++;
            } else {
                /* Go also escapes non-printable runes; treating every
                   valid multi-byte rune as printable is close enough. */
                k1s__sb_put(b, s + i, l);
                i += l;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"': k1s__sb_puts(b, "\\\""); break;
        case '\\': k1s__sb_puts(b, "\\\\"); break;
        case '\a': k1s__sb_puts(b, "\\a"); break;
        case '\b': k1s__sb_puts(b, "\\b"); break;
        case '\f': k1s__sb_puts(b, "\\f"); break;
        case '\n': k1s__sb_puts(b, "\\n"); break;
        case '\r': k1s__sb_puts(b, "\\r"); break;
        case '\t': k1s__sb_puts(b, "\\t"); break;
        case '\v': k1s__sb_puts(b, "\\v"); break;
        default:
            if (c < 0x20 || c == 0x7F)
                k1s__sb_printf(b, "\\x%02x", c);
            else
                k1s__sb_put(b, (const char *)&c, 1);
        }
    }
    k1s__sb_put(b, "\"", 1);
}

void k1s__sb_number(k1s__sbuf *b, const json_t *num)
{
    if (json_is_integer(num)) {
        k1s__sb_printf(b, "%lld", (long long)json_integer_value(num));
        return;
    }
    double d = json_real_value(num);
    char tmp[64];
    /* The shortest precision that reads back to the same double, which
       is what the sender most likely wrote. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    k1s__sb_puts(b, tmp);
    /* A real that prints like an integer was written with a fraction
       (jansson makes integers of everything else): 1.0, not 1. */
    if (!strpbrk(tmp, ".eEn"))
        k1s__sb_puts(b, ".0");
}

char *k1s__sb_take(k1s__sbuf *b)
{
    char *p = b->p;
    bool failed = b->failed;
    memset(b, 0, sizeof *b);
    if (failed) {
        free(p);
        return NULL;
    }
    if (!p)
        p = calloc(1, 1);
    return p;
}
