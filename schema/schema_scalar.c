/*
 * schema_scalar.c - syntax checks of the string-encoded scalar kinds, with
 * the messages kube-apiserver's Go decoding gives when they fail:
 * resource.Quantity (ParseQuantity), metav1.Time (time.Parse with RFC 3339)
 * and []byte (standard padded base64). Used by k1s_schema_check_types.
 */
#include <string.h>

#include "k1s_schema_internal.h"
#include "k1s_time.h"

#define QTY_FORMAT_MSG                              \
    "quantities must match the regular expression " \
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define QTY_SUFFIX_MSG "unable to parse quantity's suffix"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool valid_suffix(const char *s, size_t n)
{
    static const char *const names[] = {"",  "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n",
                                        "u", "m",  "k",  "M",  "G",  "T",  "P",  "E"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
            return true;
    /* decimal exponent: e3, E-2, e+10 */
    if (n >= 2 && (s[0] == 'e' || s[0] == 'E')) {
        size_t i = 1;
        if (s[i] == '+' || s[i] == '-')
            i++;
        if (i == n)
            return false;
        for (; i < n; i++)
            if (!is_digit(s[i]))
                return false;
        return true;
    }
    return false;
}

int k1s__check_quantity(const char *s, size_t n, k1s_buf *err)
{
    /* Go trims surrounding white space before parsing. */
    while (n && strchr(" \t\r\n", s[0]))
        s++, n--;
    while (n && strchr(" \t\r\n", s[n - 1]))
        n--;
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0) {
        k1s_buf_adds(err, QTY_FORMAT_MSG);
        return -1;
    }
    size_t suffix = i;
    while (i < n && strchr("eEinumkKMGTP", s[i]))
        i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++;
    if (i != n) {
        k1s_buf_adds(err, QTY_FORMAT_MSG);
        return -1;
    }
    if (!valid_suffix(s + suffix, n - suffix)) {
        k1s_buf_adds(err, QTY_SUFFIX_MSG);
        return -1;
    }
    return 0;
}

/* ---- RFC 3339 as Go's time.Parse(time.RFC3339, s) ----------------------- */

#define RFC3339_LAYOUT "2006-01-02T15:04:05Z07:00"

static void time_error(k1s_buf *err, const char *s, size_t n, size_t at, const char *elem)
{
    k1s_buf_adds(err, "parsing time ");
    k1s__goquote(err, s, n);
    k1s_buf_adds(err, " as \"" RFC3339_LAYOUT "\": cannot parse ");
    k1s__goquote(err, s + at, n - at);
    k1s_buf_adds(err, " as ");
    k1s__goquote(err, elem, strlen(elem));
}

static void range_error(k1s_buf *err, const char *s, size_t n, const char *what)
{
    k1s_buf_adds(err, "parsing time ");
    k1s__goquote(err, s, n);
    k1s_buf_addf(err, ": %s out of range", what);
}

/* Reads exactly w digits at s[*at]; -1 if they are not there. */
static int fixed_num(const char *s, size_t n, size_t *at, size_t w)
{
    int v = 0;
    if (*at + w > n)
        return -1;
    for (size_t i = 0; i < w; i++) {
        char c = s[*at + i];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    *at += w;
    return v;
}

static bool lit(const char *s, size_t n, size_t *at, char c)
{
    if (*at < n && s[*at] == c) {
        (*at)++;
        return true;
    }
    return false;
}

/* Whether the day of date (its first 10 bytes, "YYYY-MM-DD" with the
 * month already in range) is within its month. Go checks it last, after the
 * syntax; the calendar is base's, on the date at midnight. */
static bool day_in_month(const char *date)
{
    char midnight[] = "YYYY-MM-DDT00:00:00Z";
    memcpy(midnight, date, 10);
    k1s_time t;
    return k1s_time_parse(midnight, sizeof midnight - 1, &t) == 0;
}

int k1s__check_rfc3339(const char *s, size_t n, k1s_buf *err)
{
    size_t at = 0;
    int month, hour, min, sec;
    if (fixed_num(s, n, &at, 4) < 0)
        return time_error(err, s, n, at, "2006"), -1;
    if (!lit(s, n, &at, '-'))
        return time_error(err, s, n, at, "-"), -1;
    if ((month = fixed_num(s, n, &at, 2)) < 0)
        return time_error(err, s, n, at, "01"), -1;
    if (month < 1 || month > 12)
        return range_error(err, s, n, "month"), -1;
    if (!lit(s, n, &at, '-'))
        return time_error(err, s, n, at, "-"), -1;
    if (fixed_num(s, n, &at, 2) < 0)
        return time_error(err, s, n, at, "02"), -1;
    if (!lit(s, n, &at, 'T'))
        return time_error(err, s, n, at, "T"), -1;
    if ((hour = fixed_num(s, n, &at, 2)) < 0)
        return time_error(err, s, n, at, "15"), -1;
    if (hour > 23)
        return range_error(err, s, n, "hour"), -1;
    if (!lit(s, n, &at, ':'))
        return time_error(err, s, n, at, ":"), -1;
    if ((min = fixed_num(s, n, &at, 2)) < 0)
        return time_error(err, s, n, at, "04"), -1;
    if (min > 59)
        return range_error(err, s, n, "minute"), -1;
    if (!lit(s, n, &at, ':'))
        return time_error(err, s, n, at, ":"), -1;
    if ((sec = fixed_num(s, n, &at, 2)) < 0)
        return time_error(err, s, n, at, "05"), -1;
    if (sec > 59)
        return range_error(err, s, n, "second"), -1;
    /* Go accepts fractional seconds the layout does not mention. */
    if (at + 1 < n && (s[at] == '.' || s[at] == ',') && is_digit(s[at + 1])) {
        at++;
        while (at < n && is_digit(s[at]))
            at++;
    }
    if (!lit(s, n, &at, 'Z')) {
        size_t zone = at;
        int zh, zm;
        if (!(lit(s, n, &at, '+') || lit(s, n, &at, '-')) || (zh = fixed_num(s, n, &at, 2)) < 0 ||
            !lit(s, n, &at, ':') || (zm = fixed_num(s, n, &at, 2)) < 0)
            return time_error(err, s, n, zone, "Z07:00"), -1;
        if (zh > 23 || zm > 59)
            return range_error(err, s, n, "time zone offset"), -1;
    }
    if (at != n) {
        k1s_buf_adds(err, "parsing time ");
        k1s__goquote(err, s, n);
        k1s_buf_adds(err, ": extra text: ");
        k1s__goquote(err, s + at, n - at);
        return -1;
    }
    if (!day_in_month(s))
        return range_error(err, s, n, "day"), -1;
    return 0;
}

/* ---- base64 as Go's base64.StdEncoding.DecodeString -------------------- */

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
}

int k1s__check_base64(const char *s, size_t n, k1s_buf *err)
{
    size_t quantum = 0, qstart = 0, pad = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\r' || c == '\n') /* Go skips line breaks */
            continue;
        if (quantum == 0)
            qstart = i;
        if (pad) {
            /* after '=' only a second '=' completing the quantum */
            if (c != '=' || quantum != 3 || pad != 1)
                goto bad;
            pad++;
            quantum = 0;
            continue;
        }
        if (c == '=') {
            if (quantum < 2)
                goto bad;
            pad = 1;
            if (quantum == 3)
                quantum = 0, pad = 2;
            else
                quantum++;
            continue;
        }
        if (!b64_char(c))
            goto bad;
        quantum = (quantum + 1) % 4;
    }
    if (quantum != 0 || pad == 1) {
        i = qstart;
        goto bad;
    }
    return 0;
bad:
    k1s_buf_addf(err, "illegal base64 data at input byte %zu", i);
    return -1;
}
