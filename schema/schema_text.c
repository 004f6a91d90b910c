/*
 * schema_text.c - Go-compatible quoting and number text for the schema
 * engine's messages (kube-apiserver's messages come from Go, so ours must
 * format like Go), written into a k1s_buf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_schema_internal.h"

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

void k1s__sb_goquote(k1s_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    k1s_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n && !k1s_buf_failed(b);) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) {
                k1s_buf_addf(b, "\\x%02x", c);
                i++;
            } else {
                /* Go also escapes non-printable runes; treating every
                   valid multi-byte rune as printable is close enough. */
                k1s_buf_add(b, s + i, l);
                i += l;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"': k1s_buf_adds(b, "\\\""); break;
        case '\\': k1s_buf_adds(b, "\\\\"); break;
        case '\a': k1s_buf_adds(b, "\\a"); break;
        case '\b': k1s_buf_adds(b, "\\b"); break;
        case '\f': k1s_buf_adds(b, "\\f"); break;
        case '\n': k1s_buf_adds(b, "\\n"); break;
        case '\r': k1s_buf_adds(b, "\\r"); break;
        case '\t': k1s_buf_adds(b, "\\t"); break;
        case '\v': k1s_buf_adds(b, "\\v"); break;
        default:
            if (c < 0x20 || c == 0x7F)
                k1s_buf_addf(b, "\\x%02x", c);
            else
                k1s_buf_add(b, (const char *)&c, 1);
        }
    }
    k1s_buf_add(b, "\"", 1);
}

void k1s__sb_number(k1s_buf *b, const json_t *num)
{
    if (json_is_integer(num)) {
        k1s_buf_addf(b, "%lld", (long long)json_integer_value(num));
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
    k1s_buf_adds(b, tmp);
    /* A real that prints like an integer was written with a fraction
       (jansson makes integers of everything else): 1.0, not 1. */
    if (!strpbrk(tmp, ".eEn"))
        k1s_buf_adds(b, ".0");
}
