/*
 * gotext.c - the Go text rules kube-apiserver's messages carry (see
 * k1s_gotext.h): UTF-8 decoding, strconv.Quote, and a JSON number as the
 * sender wrote it.
 */
#include "k1s_gotext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4) with its code point, or 0
 * when the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
size_t k1s__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Roughly Go's unicode.IsPrint for code points above ASCII: the C1
 * controls, format characters and private use areas are not printable. */
static bool go_isprint(uint32_t r)
{
    if (r < 0x20 || r == 0x7f)
        return false;
    if (r < 0x7f)
        return true;
    if (r <= 0x9f || r == 0xad || r == 0x2028 || r == 0x2029 || r == 0xfeff)
        return false;
    if ((r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) ||
        (r >= 0x2060 && r <= 0x206f))
        return false;
    if ((r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 || r == 0xfffe || r == 0xffff)
        return false;
    return true;
}

void k1s__goquote(k1s_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    k1s_buf_addc(b, '"');
    for (size_t i = 0; i < n && !k1s_buf_failed(b);) {
        uint32_t r;
        size_t len = k1s__utf8_decode(u + i, n - i, &r);
        if (len == 0) {
            k1s_buf_addf(b, "\\x%02x", u[i]);
            i++;
            continue;
        }
        switch (r) {
        case '"':
            k1s_buf_adds(b, "\\\"");
            break;
        case '\\':
            k1s_buf_adds(b, "\\\\");
            break;
        case '\a':
            k1s_buf_adds(b, "\\a");
            break;
        case '\b':
            k1s_buf_adds(b, "\\b");
            break;
        case '\f':
            k1s_buf_adds(b, "\\f");
            break;
        case '\n':
            k1s_buf_adds(b, "\\n");
            break;
        case '\r':
            k1s_buf_adds(b, "\\r");
            break;
        case '\t':
            k1s_buf_adds(b, "\\t");
            break;
        case '\v':
            k1s_buf_adds(b, "\\v");
            break;
        default:
            if (go_isprint(r))
                k1s_buf_add(b, s + i, len);
            else if (r < 0x20 || r == 0x7f)
                k1s_buf_addf(b, "\\x%02x", (unsigned)r);
            else if (r < 0x10000)
                k1s_buf_addf(b, "\\u%04x", (unsigned)r);
            else
                k1s_buf_addf(b, "\\U%08x", (unsigned)r);
        }
        i += len;
    }
    k1s_buf_addc(b, '"');
}

void k1s__gonumber(k1s_buf *b, const json_t *num)
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
