/*
 * k1s_json.c - field access and semantic equality over jansson values.
 */
#include "k1s_json.h"

#include <string.h>

#define SEMANTIC_MAX_DEPTH 64

/* jansson's getters take non-const pointers; they do not modify. */
#define MUT(v) ((json_t *)(v))

json_t *k1s_json_load(const char *text, size_t len, json_error_t *err)
{
    return json_loadb(text, len, JSON_ALLOW_NUL, err);
}

const json_t *k1s_json_at(const json_t *o, const char *path)
{
    const json_t *cur = o;
    const char *p = path;
    while (cur && *p) {
        if (!json_is_object(cur))
            return NULL;
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        cur = json_object_getn(MUT(cur), p, n);
        p += n + (dot ? 1 : 0);
    }
    return json_is_null(cur) ? NULL : cur;
}

const char *k1s_json_str(const json_t *o, const char *path)
{
    return json_string_value(k1s_json_at(o, path));
}

const char *k1s_json_str_or(const json_t *o, const char *path, const char *dflt)
{
    const char *s = k1s_json_str(o, path);
    return s ? s : dflt;
}

long long k1s_json_int(const json_t *o, const char *path, long long dflt)
{
    const json_t *v = k1s_json_at(o, path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

bool k1s_json_bool(const json_t *o, const char *path, bool dflt)
{
    const json_t *v = k1s_json_at(o, path);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

const char *k1s_meta(const json_t *o, const char *field)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), field));
}

static const char *meta_map(const json_t *o, const char *map, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(o, "metadata"), map), key));
}

const char *k1s_meta_label(const json_t *o, const char *key)
{
    return meta_map(o, "labels", key);
}

const char *k1s_meta_annotation(const json_t *o, const char *key)
{
    return meta_map(o, "annotations", key);
}

json_t *k1s_json_object_at(json_t *o, const char *key)
{
    if (!json_is_object(o))
        return NULL;
    json_t *v = json_object_get(o, key);
    if (json_is_object(v))
        return v;
    v = json_object();
    if (!v || json_object_set_new(o, key, v) != 0)
        return NULL;
    return v;
}

/* ---- semantic equality ------------------------------------------------------ */

static bool zero(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* Member by member, a missing side standing for {} (a struct whose fields
 * are all zero values equals an absent one). */
static bool equal(const json_t *a, const json_t *b, int depth);

static bool members_equal(const json_t *a, const json_t *b, int depth)
{
    const char *k;
    json_t *v;
    json_object_foreach(MUT(a), k, v) if (!equal(v, json_object_get(b, k), depth + 1)) return false;
    json_object_foreach(MUT(b), k, v) if (!json_object_get(a, k) && !zero(v)) return false;
    return true;
}

static bool equal(const json_t *a, const json_t *b, int depth)
{
    bool za = zero(a), zb = zero(b);
    if (za && zb)
        return true;
    if (depth > SEMANTIC_MAX_DEPTH)
        return json_equal(a, b);
    if ((json_is_object(a) || za) && (json_is_object(b) || zb))
        return members_equal(za ? NULL : a, zb ? NULL : b, depth);
    if (za || zb)
        return false;
    if (json_is_number(a) && json_is_number(b)) {
        /* two integers exactly (doubles lose precision past 2^53) */
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return false;
        return true;
    }
    return json_equal(a, b);
}

bool k1s_json_semantic_equal(const json_t *a, const json_t *b)
{
    return equal(a, b, 0);
}
