/*
 * quantity.c - resource.Quantity parsing, comparison and canonical
 * serialization (see k1s_quantity.h).
 *
 * The scanner follows kube's parseQuantityString step by step so the same
 * strings are accepted and the same error is chosen for bad ones; the
 * value is then computed exactly as a decimal digit string, which makes
 * kube's two code paths (int64 fast path, inf.Dec slow path) one.
 */
#include "k1s_quantity.h"
#include "am_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NANO_EXP (-9)
/* 2^63-1, the cap kube applies to binary-suffixed quantities. */
static const char MAX_ALLOWED[] = "9223372036854775807";
/* Room in front of the digits for the carries of binary multiplication
 * (2^60 adds at most 19 digits) and of rounding (1 digit). */
#define HEADROOM 24

typedef struct suffix_info {
    int base;    /* 10 or 2 */
    int32_t exp; /* power of base */
    k1s_quantity_format format;
} suffix_info;

const char *k1s_quantity_strerror(int err)
{
    switch (err) {
    case K1S_QUANTITY_EFORMAT:
        return "quantities must match the regular expression '" K1S_QUANTITY_REGEX "'";
    case K1S_QUANTITY_ENUMERIC:
        return "unable to parse numeric part of quantity";
    case K1S_QUANTITY_ESUFFIX:
        return "unable to parse quantity's suffix";
    case K1S_QUANTITY_ERANGE:
        return "quantity does not fit in a 64-bit integer";
    case K1S_ENOMEM:
        return "out of memory";
    default:
        return "unknown quantity error";
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* kube's suffixer.interpret */
static bool interpret_suffix(const char *s, size_t n, suffix_info *out)
{
    static const struct {
        const char *s;
        int base;
        int32_t exp;
    } table[] = {
        {"", 10, 0},   {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},  {"M", 10, 6},
        {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20},
        {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strlen(table[i].s) == n && memcmp(table[i].s, s, n) == 0) {
            out->base = table[i].base;
            out->exp = table[i].exp;
            out->format = table[i].base == 2 ? K1S_QUANTITY_BINARY_SI : K1S_QUANTITY_DECIMAL_SI;
            return true;
        }
    }
    if (n < 2 || (s[0] != 'e' && s[0] != 'E'))
        return false;
    /* strconv.ParseInt(s[1:], 10, 64), then Go's int32() truncation */
    size_t i = 1;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-')
        neg = s[i++] == '-';
    if (i >= n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if ((!neg && v > (uint64_t)INT64_MAX) || (neg && v > (uint64_t)INT64_MAX + 1))
        return false;
    uint64_t bits = neg ? (uint64_t)0 - v : v;
    out->base = 10;
    out->exp = (int32_t)(uint32_t)(bits & 0xffffffffu);
    out->format = K1S_QUANTITY_DECIMAL_EXPONENT;
    return true;
}

/* The scanner's findings; offsets into the input string. */
typedef struct scan {
    bool positive;
    size_t num, num_len; /* numerator after leading zeros (may be empty) */
    size_t den, den_len;
    size_t suf, suf_len;
} scan;

/* kube's parseQuantityString */
static int scan_quantity(const char *s, size_t end, scan *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->positive = true;
    size_t pos = 0;
    if (s[0] == '-' || s[0] == '+') {
        sc->positive = s[0] == '+';
        pos++;
    }
    while (pos < end && s[pos] == '0')
        pos++;
    sc->num = pos;
    if (pos >= end)
        return 0;
    while (pos < end && is_digit(s[pos]))
        pos++;
    sc->num_len = pos - sc->num;
    if (pos >= end)
        return 0;
    if (s[pos] == '.') {
        sc->den = ++pos;
        while (pos < end && is_digit(s[pos]))
            pos++;
        sc->den_len = pos - sc->den;
        if (pos >= end)
            return 0;
    }
    sc->suf = pos;
    while (pos < end && strchr("eEinumkKMGTP", s[pos]))
        pos++;
    if (pos < end && (s[pos] == '-' || s[pos] == '+'))
        pos++;
    while (pos < end && is_digit(s[pos]))
        pos++;
    if (pos < end)
        return K1S_QUANTITY_EFORMAT;
    sc->suf_len = end - sc->suf;
    return 0;
}

/* Compare magnitudes a = da*10^xa and b = db*10^xb (no leading zeros). */
static int cmp_mag(const char *da, size_t na, int64_t xa, const char *db, size_t nb, int64_t xb)
{
    if (na == 0 || nb == 0)
        return (na != 0) - (nb != 0);
    int64_t oa = (int64_t)na + xa, ob = (int64_t)nb + xb;
    if (oa != ob)
        return oa < ob ? -1 : 1;
    size_t n = na < nb ? na : nb;
    int c = memcmp(da, db, n);
    if (c)
        return c < 0 ? -1 : 1;
    return (na > nb) - (na < nb);
}

/* Multiply the digit string at *d (length *n, headroom before it) by m. */
static void mul_small(char **d, size_t *n, unsigned m)
{
    unsigned carry = 0;
    for (size_t i = *n; i-- > 0;) {
        unsigned v = (unsigned)((*d)[i] - '0') * m + carry;
        (*d)[i] = (char)('0' + v % 10);
        carry = v / 10;
    }
    while (carry) {
        *--*d = (char)('0' + carry % 10);
        (*n)++;
        carry /= 10;
    }
}

/* Whether kube's fast path would keep the input string as serialization. */
static bool keeps_input(const char *s, const scan *sc, const suffix_info *si)
{
    size_t num_len = sc->num_len ? sc->num_len : 1; /* "" counts as "0" */
    if (si->format != K1S_QUANTITY_BINARY_SI) {
        if (num_len + sc->den_len > 18)
            return false;
        int64_t scale = (int64_t)si->exp - (int64_t)sc->den_len;
        if (scale < NANO_EXP || scale % 3 != 0)
            return false;
        /* shifted := num + denom, where an empty num reads "0" */
        if (sc->num_len == 0)
            return false;
        size_t total = num_len + sc->den_len;
        if (total >= 3) {
            int zeros = 0;
            for (size_t k = 0; k < 3; k++) {
                size_t idx = total - 1 - k; /* index into shifted */
                char c = idx < num_len ? s[sc->num + idx] : s[sc->den + idx - num_len];
                zeros += c == '0';
            }
            if (zeros == 3)
                return false;
        }
        return true;
    }
    if (sc->den_len != 0)
        return false;
    int precision = 15 - (int)(num_len > 100 ? 100 : num_len) - (int)((float)si->exp * 3 / 10) - 1;
    if (precision < 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < sc->num_len; i++)
        v = v * 10 + (uint64_t)(s[sc->num + i] - '0');
    if (v != 0 && v > ((uint64_t)INT64_MAX >> si->exp))
        return false;
    return (v & 7) != 0;
}

int k1s_quantity_parse(const char *s, k1s_quantity *q)
{
    memset(q, 0, sizeof *q);
    q->format = K1S_QUANTITY_DECIMAL_SI;
    size_t end = strlen(s);
    if (end == 0)
        return K1S_QUANTITY_EFORMAT;
    if (strcmp(s, "0") == 0) {
        q->keep_input = true;
        return 0;
    }
    scan sc;
    int rc = scan_quantity(s, end, &sc);
    if (rc)
        return rc;
    suffix_info si;
    if (!interpret_suffix(s + sc.suf, sc.suf_len, &si))
        return K1S_QUANTITY_ESUFFIX;
    q->format = si.format;

    size_t cap = HEADROOM + sc.num_len + sc.den_len + 1;
    char *buf = malloc(cap);
    if (!buf)
        return K1S_ENOMEM;
    char *d = buf + HEADROOM;
    size_t n = 0;
    memcpy(d, s + sc.num, sc.num_len);
    n += sc.num_len;
    memcpy(d + n, s + sc.den, sc.den_len);
    n += sc.den_len;
    int64_t x = -(int64_t)sc.den_len;
    if (si.base == 10)
        x += si.exp;
    while (n > 0 && d[0] == '0')
        d++, n--;
    if (n > 0 && si.base == 2)
        for (int32_t k = 0; k < si.exp; k += 10)
            mul_small(&d, &n, 1024);
    while (n > 0 && d[n - 1] == '0')
        n--, x++;
    if (n > 0 && x < NANO_EXP) {
        /* Round up, away from zero, to a multiple of 1n. The dropped
         * digits end in a non-zero digit, so rounding always adds one. */
        int64_t drop = NANO_EXP - x;
        if (drop >= (int64_t)n) {
            d[0] = '1';
            n = 1;
        } else {
            n -= (size_t)drop;
            size_t i = n;
            while (i > 0 && d[i - 1] == '9')
                d[--i] = '0';
            if (i == 0) {
                *--d = '1';
                n++;
            } else {
                d[i - 1]++;
            }
        }
        x = NANO_EXP;
        while (n > 0 && d[n - 1] == '0')
            n--, x++;
    }
    if (si.format == K1S_QUANTITY_BINARY_SI && n > 0) {
        size_t mn = sizeof MAX_ALLOWED - 1;
        if (cmp_mag(d, n, x, MAX_ALLOWED, mn, 0) > 0) {
            d = (char *)MAX_ALLOWED;
            n = mn;
            x = 0;
        } else if (cmp_mag(d, n, x, "1", 1, 0) < 0) {
            q->format = K1S_QUANTITY_DECIMAL_SI;
        }
    }
    if (n > K1S_QUANTITY_MAX_DIGITS) {
        free(buf);
        memset(q, 0, sizeof *q);
        return K1S_QUANTITY_ENUMERIC;
    }
    memcpy(q->digits, d, n);
    q->digits[n] = '\0';
    q->ndigits = (unsigned)n;
    q->exp = n ? x : 0;
    q->sign = n ? (sc.positive ? 1 : -1) : 0;
    q->keep_input = keeps_input(s, &sc, &si);
    free(buf);
    return 0;
}

int k1s_quantity_from_json(const json_t *v, k1s_quantity *q)
{
    char tmp[64];
    switch (json_typeof(v)) {
    case JSON_NULL:
        memset(q, 0, sizeof *q);
        q->format = K1S_QUANTITY_DECIMAL_SI;
        return 0;
    case JSON_INTEGER:
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return k1s_quantity_parse(tmp, q);
    case JSON_REAL: {
        double r = json_real_value(v);
        for (int p = 1; p <= 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*g", p, r);
            if (strtod(tmp, NULL) == r)
                break;
        }
        return k1s_quantity_parse(tmp, q);
    }
    case JSON_STRING: {
        /* kube trims whitespace inside the quotes before parsing */
        const char *s = k1s__json_cstr(v);
        if (!s)
            return K1S_QUANTITY_EFORMAT;
        size_t n = strlen(s);
        while (n && strchr(" \t\r\n\v\f", *s))
            s++, n--;
        while (n && strchr(" \t\r\n\v\f", s[n - 1]))
            n--;
        char *c = strndup(s, n);
        if (!c)
            return K1S_ENOMEM;
        int rc = k1s_quantity_parse(c, q);
        free(c);
        return rc;
    }
    default:
        memset(q, 0, sizeof *q);
        return K1S_QUANTITY_EFORMAT;
    }
}

int k1s_quantity_cmp(const k1s_quantity *a, const k1s_quantity *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    int c = cmp_mag(a->digits, a->ndigits, a->exp, b->digits, b->ndigits, b->exp);
    return a->sign < 0 ? -c : c;
}

bool k1s_quantity_is_zero(const k1s_quantity *q)
{
    return q->sign == 0;
}

int k1s_quantity_scaled(const k1s_quantity *q, int scale, int64_t *out)
{
    *out = 0;
    if (q->sign == 0)
        return 0;
    int64_t shift = q->exp - (int64_t)scale;
    size_t keep = q->ndigits;
    bool round_up = false;
    if (shift < 0) {
        if (-shift >= (int64_t)q->ndigits) {
            *out = q->sign; /* a fraction of the unit rounds to one unit */
            return 0;
        }
        keep = q->ndigits - (size_t)(-shift);
        round_up = true; /* the dropped digits end in a non-zero digit */
        shift = 0;
    }
    if ((int64_t)keep + shift > 19)
        return K1S_QUANTITY_ERANGE;
    uint64_t v = 0;
    for (size_t i = 0; i < keep; i++)
        v = v * 10 + (uint64_t)(q->digits[i] - '0');
    for (int64_t i = 0; i < shift; i++) {
        if (v > UINT64_MAX / 10)
            return K1S_QUANTITY_ERANGE;
        v *= 10;
    }
    if (round_up)
        v++;
    if (v > (uint64_t)INT64_MAX)
        return K1S_QUANTITY_ERANGE;
    *out = q->sign < 0 ? -(int64_t)v : (int64_t)v;
    return 0;
}

int k1s_quantity_value(const k1s_quantity *q, int64_t *out)
{
    return k1s_quantity_scaled(q, 0, out);
}

int k1s_quantity_milli(const k1s_quantity *q, int64_t *out)
{
    return k1s_quantity_scaled(q, -3, out);
}

/* Whether |q| < 1024 (kube prints such BinarySI values as DecimalSI). */
static bool below_1024(const k1s_quantity *q)
{
    return cmp_mag(q->digits, q->ndigits, q->exp, "1024", 4, 0) < 0;
}

char *k1s_quantity_string(const k1s_quantity *q)
{
    if (q->sign == 0)
        return strdup("0");
    const char *sign = q->sign < 0 ? "-" : "";
    if (q->format == K1S_QUANTITY_BINARY_SI && !below_1024(q) && q->exp >= 0) {
        /* An integer: express it as N * 1024^k. BinarySI values are capped
         * at 2^63-1, so the integer fits in uint64. */
        uint64_t v = 0;
        bool fits = q->ndigits + (uint64_t)q->exp <= 19;
        for (unsigned i = 0; fits && i < q->ndigits; i++)
            v = v * 10 + (uint64_t)(q->digits[i] - '0');
        for (int64_t i = 0; fits && i < q->exp; i++)
            v *= 10;
        if (fits) {
            static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
            int k = 0;
            while (k < 6 && v % 1024 == 0) {
                v /= 1024;
                k++;
            }
            char *out = NULL;
            if (asprintf(&out, "%s%" PRIu64 "%s", sign, v, bin[k]) < 0)
                return NULL;
            return out;
        }
    }
    /* Decimal: move the exponent down to a multiple of 3. */
    int64_t x = q->exp;
    int zeros = 0;
    while (x % 3 != 0)
        x--, zeros++;
    const char *suffix = NULL;
    char ebuf[32];
    if (q->format != K1S_QUANTITY_DECIMAL_EXPONENT && x >= -9 && x <= 18) {
        static const char *const dec[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
        suffix = dec[(x + 9) / 3];
    } else if (x == 0) {
        suffix = "";
    } else {
        /* kube emits no suffix at all for DecimalSI beyond E (a bug that
         * changes the value); exponent notation keeps it. */
        snprintf(ebuf, sizeof ebuf, "e%" PRId64, x);
        suffix = ebuf;
    }
    char *out = NULL;
    if (asprintf(&out, "%s%s%.*s%s", sign, q->digits, zeros, "00", suffix) < 0)
        return NULL;
    return out;
}

int k1s_quantity_canonical(const char *s, char **out)
{
    *out = NULL;
    k1s_quantity q;
    int rc = k1s_quantity_parse(s, &q);
    if (rc)
        return rc;
    *out = q.keep_input ? strdup(s) : k1s_quantity_string(&q);
    return *out ? 0 : K1S_ENOMEM;
}
