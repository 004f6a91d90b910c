/*
 * podutil_hash.c - the pod-template hash, semantic JSON equality and time
 * stamps for the workload controllers (see podutil.h).
 *
 * kube hashes Go's in-memory dump of a PodTemplateSpec, which depends on
 * Go's type layout; k1s hashes the template's canonical JSON (keys sorted)
 * instead, then encodes the number as kube does. Names look like kube's
 * ("web-7d9f8c6b5") and are stable for a template, but differ in value.
 */
#include "k1s_podutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- hash ------------------------------------------------------------------- */

static uint32_t fnv32a(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

void k1s__wl_template_hash(const json_t *tmpl, const json_t *collision_count,
                           char out[16])
{
    /* kube's rand.SafeEncodeString alphabet: no vowels, no 0/1/3 */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    uint32_t h = 2166136261u;
    char *text = json_dumps(tmpl ? tmpl : json_null(),
                            JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text) {
        h = fnv32a(h, (const unsigned char *)text, strlen(text));
        free(text);
    }
    if (json_is_integer(collision_count)) {
        uint32_t cc = (uint32_t)json_integer_value(collision_count);
        unsigned char b[8] = {(unsigned char)cc, (unsigned char)(cc >> 8),
                              (unsigned char)(cc >> 16), (unsigned char)(cc >> 24),
                              0, 0, 0, 0};
        h = fnv32a(h, b, sizeof b);
    }
    char dec[16];
    snprintf(dec, sizeof dec, "%u", h);
    size_t i;
    for (i = 0; dec[i] && i < 15; i++)
        out[i] = alphabet[(unsigned char)dec[i] % (sizeof alphabet - 1)];
    out[i] = 0;
}

/* ---- equality ---------------------------------------------------------------- */

static bool empty_value(const json_t *v)
{
    return !v || json_is_null(v) ||
           (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

static bool sem(const json_t *a, const json_t *b, int depth)
{
    bool ea = empty_value(a), eb = empty_value(b);
    if (ea || eb)
        return ea && eb;
    if (depth > 64)
        return json_equal(a, b);
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (!sem(v, json_object_get(b, k), depth + 1))
                return false;
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (!json_object_get(a, k) && !empty_value(v))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!sem(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return false;
        return true;
    }
    return json_equal(a, b);
}

bool k1s__wl_sem_equal(const json_t *a, const json_t *b)
{
    return sem(a, b, 0);
}

bool k1s__wl_template_equal(const json_t *a, const json_t *b,
                            const char *ignore_label)
{
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b); /* new */
    json_object_del(json_object_get(json_object_get(ca, "metadata"), "labels"),
                    ignore_label);
    json_object_del(json_object_get(json_object_get(cb, "metadata"), "labels"),
                    ignore_label);
    bool eq = sem(ca, cb, 0);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

/* ---- time --------------------------------------------------------------------- */

int64_t k1s__wl_now(void)
{
    return (int64_t)time(NULL);
}

void k1s__wl_format_time(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int k1s__wl_parse_time_ns(const char *s, int64_t *sec, long *nsec)
{
    *sec = -1;
    *nsec = 0;
    if (!s || strlen(s) < 20)
        return -1;
    int Y, M, D, h, m, sc;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
        s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) ||
        s[16] != ':' || digits(s + 17, 2, &sc))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sc > 60)
        return -1;
    const char *p = s + 19;
    long ns = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 9)
                ns = ns * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 9; n++)
            ns *= 10;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            return -1;
        off = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                    .tm_hour = h, .tm_min = m, .tm_sec = sc};
    *sec = (int64_t)timegm(&tm) - off;
    *nsec = ns;
    return 0;
}

int64_t k1s__wl_parse_time(const char *s)
{
    int64_t sec;
    long ns;
    if (k1s__wl_parse_time_ns(s, &sec, &ns))
        return -1;
    return sec;
}

int k1s__wl_cmp_created(const json_t *a, const json_t *b)
{
    int64_t sa, sb;
    long na, nb;
    const json_t *ma = json_object_get(a, "metadata");
    const json_t *mb = json_object_get(b, "metadata");
    k1s__wl_parse_time_ns(json_string_value(json_object_get(ma, "creationTimestamp")),
                          &sa, &na);
    k1s__wl_parse_time_ns(json_string_value(json_object_get(mb, "creationTimestamp")),
                          &sb, &nb);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (na != nb)
        return na < nb ? -1 : 1;
    return strcmp(k1s__wl_name(a), k1s__wl_name(b));
}
