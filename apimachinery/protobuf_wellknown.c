/*
 * protobuf_wellknown.c - the Kubernetes messages whose JSON form is not
 * their field layout: metav1.Time and MicroTime (Timestamp {1 seconds,
 * 2 nanos} as RFC 3339), intstr.IntOrString ({1 type, 2 intVal, 3 strVal}
 * as a number or a string) and resource.Quantity ({1 string}); plus string
 * and []byte values, which JSON needs as valid UTF-8 and base64.
 * Used by protobuf_decode.c; see protobuf_int.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_util.h"
#include "protobuf_int.h"
#include "k1s_base64.h"

json_t *k1s__pb_string(k1s__pb_ctx *c, const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t l = k1s__utf8_decode(s + i, n - i, &cp);
        if (l == 0)
            break;
        i += l;
    }
    if (i == n)
        return k1s__pb_node(c, json_stringn((const char *)s, n));

    /* Go's JSON encoder writes each invalid byte as U+FFFD (3 bytes). */
    if (n > (SIZE_MAX - 1) / 3 || k1s__pb_charge(c, 2 * n) != 0) {
        k1s__pb_fail(c, K1S_ETOOLARGE, "string too long");
        return NULL;
    }
    char *out = malloc(3 * n + 1);
    if (!out) {
        k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = k1s__utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        }
    }
    json_t *v = json_stringn(out, o);
    free(out);
    return k1s__pb_node(c, v);
}

json_t *k1s__pb_base64(k1s__pb_ctx *c, const unsigned char *s, size_t n)
{
    char *out = k1s_base64_encode(s, n);
    if (!out) {
        k1s__pb_fail(c, K1S_ENOMEM, "bytes value too long or out of memory");
        return NULL;
    }
    json_t *v = json_string_nocheck(out);
    free(out);
    return k1s__pb_node(c, v);
}

/* Reads the varint fields of a small well-known message into vals[num-1]
 * (num 1..nvals; present[] marks which were seen); other fields are
 * skipped, string fields are returned through str/strn when str_num > 0. */
static int read_small(k1s__pb_ctx *c, const unsigned char *p, size_t n, const char *what,
                      uint64_t *vals, bool *present, unsigned nvals, unsigned str_num,
                      const unsigned char **str, size_t *strn)
{
    k1s__pb_reader r = {p, n, 0};
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        if (k1s__pb_key(&r, &num, &wire) != 0)
            goto bad;
        if (num <= nvals && num != str_num) {
            if (wire != K1S__PB_VARINT)
                return k1s__pb_fail(c, K1S_EINVAL,
                                    "invalid protobuf: wrong wire type %u for "
                                    "field %" PRIu32 " of %s at byte %zu",
                                    wire, num, what, k1s__pb_offset(c, &r));
            if (k1s__pb_varint(&r, &vals[num - 1]) != 0)
                goto bad;
            present[num - 1] = true;
        } else if (num == str_num) {
            if (wire != K1S__PB_LEN)
                return k1s__pb_fail(c, K1S_EINVAL,
                                    "invalid protobuf: wrong wire type %u for "
                                    "field %" PRIu32 " of %s at byte %zu",
                                    wire, num, what, k1s__pb_offset(c, &r));
            if (k1s__pb_len(&r, str, strn) != 0)
                goto bad;
        } else if (k1s__pb_skip(&r, wire) != 0) {
            goto bad;
        }
    }
    return 0;
bad:
    return k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: truncated or malformed %s at byte %zu",
                        what, k1s__pb_offset(c, &r));
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: outside
 * them RFC 3339 has no four-digit year. */
#define MIN_SECONDS INT64_C(-62167219200)
#define MAX_SECONDS INT64_C(253402300799)

json_t *k1s__pb_time(k1s__pb_ctx *c, const unsigned char *p, size_t n, bool micro)
{
    /* The zero time is marshalled as an empty message; its JSON is null. */
    if (n == 0)
        return k1s__pb_node(c, json_null());
    uint64_t vals[2] = {0, 0};
    bool present[2] = {false, false};
    if (read_small(c, p, n, "Time", vals, present, 2, 0, NULL, NULL) != 0)
        return NULL;
    int64_t sec = (int64_t)vals[0];
    int64_t nsec = (int32_t)(uint32_t)vals[1];
    if (sec < MIN_SECONDS - 3 || sec > MAX_SECONDS + 3)
        goto range;
    /* normalised as Go's time.Unix does */
    sec += nsec / 1000000000;
    nsec %= 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        sec--;
    }
    if (sec < MIN_SECONDS || sec > MAX_SECONDS)
        goto range;
    /* Written here, not by base's k1s_time_format: Go writes four-digit
     * years (0001, not 1) and MicroTime needs its fraction. */
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        goto range;
    char buf[64];
    int len;
    if (micro)
        len = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       (int)(nsec / 1000));
    else
        len = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (len < 0 || (size_t)len >= sizeof buf)
        goto range;
    return k1s__pb_node(c, json_stringn(buf, (size_t)len));
range:
    k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: time %" PRId64 "s is outside years 0-9999",
                 (int64_t)vals[0]);
    return NULL;
}

json_t *k1s__pb_intorstring(k1s__pb_ctx *c, const unsigned char *p, size_t n)
{
    uint64_t vals[2] = {0, 0};
    bool present[2] = {false, false};
    const unsigned char *s = NULL;
    size_t sn = 0;
    if (read_small(c, p, n, "IntOrString", vals, present, 2, 3, &s, &sn) != 0)
        return NULL;
    if (vals[0] == 0)
        return k1s__pb_node(c, json_integer((int32_t)(uint32_t)vals[1]));
    if (vals[0] == 1)
        return k1s__pb_string(c, s ? s : (const unsigned char *)"", sn);
    k1s__pb_fail(c, K1S_EINVAL,
                 "invalid protobuf: IntOrString type %" PRIu64 " is neither 0 (int) nor 1 (string)",
                 vals[0]);
    return NULL;
}

json_t *k1s__pb_quantity(k1s__pb_ctx *c, const unsigned char *p, size_t n)
{
    const unsigned char *s = NULL;
    size_t sn = 0;
    if (read_small(c, p, n, "Quantity", NULL, NULL, 0, 1, &s, &sn) != 0)
        return NULL;
    /* an absent string is the zero Quantity */
    if (!s)
        return k1s__pb_node(c, json_string("0"));
    return k1s__pb_string(c, s, sn);
}
