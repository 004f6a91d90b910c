/*
 * podutil_hash.c - the pod-template hash, template equality and the
 * reading of time stamps for the workload controllers (see k1s_podutil.h).
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

/* ---- hash ------------------------------------------------------------------- */

static uint32_t fnv32a(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

void k1s__wl_template_hash(const json_t *tmpl, const json_t *collision_count, char out[16])
{
    /* kube's rand.SafeEncodeString alphabet: no vowels, no 0/1/3 */
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    uint32_t h = 2166136261u;
    char *text =
        json_dumps(tmpl ? tmpl : json_null(), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text) {
        h = fnv32a(h, (const unsigned char *)text, strlen(text));
        free(text);
    }
    if (json_is_integer(collision_count)) {
        uint32_t cc = (uint32_t)json_integer_value(collision_count);
        unsigned char b[8] = {(unsigned char)cc,
                              (unsigned char)(cc >> 8),
                              (unsigned char)(cc >> 16),
                              (unsigned char)(cc >> 24),
                              0,
                              0,
                              0,
                              0};
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

bool k1s__wl_template_equal(const json_t *a, const json_t *b, const char *ignore_label)
{
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b); /* new */
    json_object_del(json_object_get(json_object_get(ca, "metadata"), "labels"), ignore_label);
    json_object_del(json_object_get(json_object_get(cb, "metadata"), "labels"), ignore_label);
    bool eq = k1s_json_semantic_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return eq;
}

/* ---- time --------------------------------------------------------------------- */

int64_t k1s__wl_parse_time(const char *s)
{
    k1s_time t;
    return k1s_time_parse_str(s, &t) == 0 ? t.sec : -1;
}

/* creationTimestamp as (seconds, nanoseconds); an unreadable one sorts
 * first, as (-1, 0). */
static k1s_time created(const json_t *obj)
{
    const char *s = k1s_meta(obj, "creationTimestamp");
    k1s_time t = {.sec = -1};
    k1s_time_parse_str(s, &t); /* untouched when absent or malformed */
    return t;
}

int k1s__wl_cmp_created(const json_t *a, const json_t *b)
{
    k1s_time ta = created(a), tb = created(b);
    if (ta.sec != tb.sec)
        return ta.sec < tb.sec ? -1 : 1;
    if (ta.nsec != tb.nsec)
        return ta.nsec < tb.nsec ? -1 : 1;
    return strcmp(k1s__wl_name(a), k1s__wl_name(b));
}
