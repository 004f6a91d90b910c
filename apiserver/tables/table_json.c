/*
 * table_json.c - the JSON reads and the bounded string builder that the cell
 * functions are written with (see tables_int.h).
 *
 * Reads treat a missing, null or mistyped field as absent, which is what
 * Go's zero values give the printers in kube-apiserver.
 */
#include "tables_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reads ---------------------------------------------------------------- */

const json_t *k1s__tb_at(const json_t *obj, const char *path)
{
    const json_t *cur = obj;
    const char *p = path;

    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(cur))
            return NULL;
        /* jansson's getters take non-const pointers but do not modify. */
        cur = json_object_getn((json_t *)cur, p, n);
        p += n;
        if (*p == '.')
            p++;
    }
    return json_is_null(cur) ? NULL : cur;
}

const json_t *k1s__tb_member(const json_t *obj, const char *key)
{
    if (!json_is_object(obj) || !key)
        return NULL;
    const json_t *v = json_object_get((json_t *)obj, key);
    return json_is_null(v) ? NULL : v;
}

const char *k1s__tb_str(const json_t *obj, const char *path)
{
    const json_t *v = k1s__tb_at(obj, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *k1s__tb_str_or(const json_t *obj, const char *path, const char *dflt)
{
    const char *s = k1s__tb_str(obj, path);
    return s ? s : dflt;
}

long long k1s__tb_int(const json_t *obj, const char *path, long long dflt)
{
    const json_t *v = k1s__tb_at(obj, path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

bool k1s__tb_bool(const json_t *obj, const char *path, bool dflt)
{
    const json_t *v = k1s__tb_at(obj, path);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

size_t k1s__tb_count(const json_t *obj, const char *path)
{
    const json_t *v = k1s__tb_at(obj, path);
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return 0;
}

const json_t *k1s__tb_array(const json_t *obj, const char *path)
{
    const json_t *v = k1s__tb_at(obj, path);
    return json_is_array(v) ? v : NULL;
}

/* ---- cells ---------------------------------------------------------------- */

json_t *k1s__tb_jstr(const char *s)
{
    return json_string(s ? s : "");
}

json_t *k1s__tb_jint(long long v)
{
    return json_integer((json_int_t)v);
}

json_t *k1s__tb_jbool(bool v)
{
    return json_boolean(v);
}

void k1s__tb_sb_quantity(k1s__tb_sb *sb, const json_t *q, const char *missing)
{
    /* Stored quantities are kept as the client sent them (string or
     * number); kube canonicalises ("1024Mi" -> "1Gi") when it decodes. */
    if (json_is_string(q))
        k1s__tb_sb_add(sb, json_string_value(q));
    else if (json_is_integer(q))
        k1s__tb_sb_addf(sb, "%lld", (long long)json_integer_value(q));
    else if (json_is_real(q))
        k1s__tb_sb_addf(sb, "%.17g", json_real_value(q));
    else
        k1s__tb_sb_add(sb, missing);
}

json_t *k1s__tb_jquantity(const json_t *q)
{
    k1s__tb_sb sb = {0};
    k1s__tb_sb_quantity(&sb, q, "0");
    return k1s__tb_sb_json(&sb);
}

json_t *k1s__tb_cell_name(const json_t *obj, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s__tb_str(obj, "metadata.name"));
}

json_t *k1s__tb_cell_age(const json_t *obj, time_t now)
{
    return k1s__tb_jsince(k1s__tb_time_at(obj, "metadata.creationTimestamp"), now);
}

/* ---- string builder ------------------------------------------------------- */

void k1s__tb_sb_addn(k1s__tb_sb *sb, const char *s, size_t n)
{
    if (sb->oom || sb->full || !s)
        return;
    if (n > K1S__CELL_MAX || sb->len + n > K1S__CELL_MAX) {
        sb->full = true; /* see K1S__CELL_MAX */
        return;
    }
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *nb = realloc(sb->buf, cap);
        if (!nb) {
            sb->oom = true;
            return;
        }
        sb->buf = nb;
        sb->cap = cap;
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void k1s__tb_sb_add(k1s__tb_sb *sb, const char *s)
{
    if (s)
        k1s__tb_sb_addn(sb, s, strlen(s));
}

void k1s__tb_sb_addf(k1s__tb_sb *sb, const char *fmt, ...)
{
    /* Only used for numbers and short fixed text. */
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return;
    k1s__tb_sb_addn(sb, tmp, (size_t)n);
}

const char *k1s__tb_sb_str(const k1s__tb_sb *sb)
{
    return sb->buf ? sb->buf : "";
}

void k1s__tb_sb_free(k1s__tb_sb *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->full = false;
}

json_t *k1s__tb_sb_json(k1s__tb_sb *sb)
{
    json_t *j = NULL;
    if (!sb->oom)
        j = json_stringn(k1s__tb_sb_str(sb), sb->len);
    k1s__tb_sb_free(sb);
    return j;
}
