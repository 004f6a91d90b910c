/*
 * am_util.c - internal helpers of the apimachinery component: Go-style
 * formatting of values inside error messages, and an index of JSON scalars.
 * See am_util.h for why these exist.
 */
#include "am_util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Error messages quoting whole documents are useless past this size and
 * would let a hostile patch make us build huge strings. */
#define GOFMT_MAX_BYTES 16384

char *k1s__vasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *k1s__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = k1s__vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* ---- Go %v of decoded JSON ---------------------------------------------- */

/* Go prints float64 with %v as strconv 'g' with the shortest digits that
 * round-trip, switching to exponent form below 1e-4 and from 1e6 up. */
static void gofmt_float(k1s_buf *b, double v)
{
    if (isnan(v)) {
        k1s_buf_adds(b, "NaN");
        return;
    }
    if (isinf(v)) {
        k1s_buf_adds(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char e[64];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    if (prec > 17)
        prec = 17;
    const char *ep = strchr(e, 'e');
    int exp = ep ? atoi(ep + 1) : 0;
    if (exp < -4 || exp >= 6) {
        k1s_buf_addf(b, "%.*e", prec - 1, v);
        return;
    }
    int decimals = prec - 1 - exp;
    k1s_buf_addf(b, "%.*f", decimals > 0 ? decimals : 0, v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void gofmt(k1s_buf *b, const json_t *v)
{
    if (b->len > GOFMT_MAX_BYTES) {
        k1s_buf_adds(b, "...");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n ? calloc(n, sizeof *keys) : NULL;
        if (n && !keys) {
            b->oom = true;
            return;
        }
        const char *k;
        json_t *val;
        json_object_foreach((json_t *)v, k, val) keys[i++] = k;
        if (n > 1)
            qsort(keys, n, sizeof *keys, cmp_str);
        k1s_buf_adds(b, "map[");
        for (i = 0; i < n && b->len <= GOFMT_MAX_BYTES; i++) {
            if (i)
                k1s_buf_addc(b, ' ');
            k1s_buf_adds(b, keys[i]);
            k1s_buf_addc(b, ':');
            gofmt(b, json_object_get(v, keys[i]));
        }
        k1s_buf_addc(b, ']');
        free(keys);
        break;
    }
    case JSON_ARRAY:
        k1s_buf_addc(b, '[');
        for (size_t i = 0; i < json_array_size(v) && b->len <= GOFMT_MAX_BYTES; i++) {
            if (i)
                k1s_buf_addc(b, ' ');
            gofmt(b, json_array_get(v, i));
        }
        k1s_buf_addc(b, ']');
        break;
    case JSON_STRING:
        k1s_buf_add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        k1s_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        gofmt_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        k1s_buf_adds(b, "true");
        break;
    case JSON_FALSE:
        k1s_buf_adds(b, "false");
        break;
    case JSON_NULL:
        k1s_buf_adds(b, "<nil>");
        break;
    }
}

void k1s__gofmt(k1s_buf *b, const json_t *v)
{
    if (!v) {
        k1s_buf_adds(b, "<nil>");
        return;
    }
    gofmt(b, v);
}

bool k1s__go_parse_int(const char *s, long long *out, const char **why)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = *p != 0;
    for (; digits && *p; p++)
        digits = *p >= '0' && *p <= '9';
    if (!digits) {
        if (why)
            *why = "invalid syntax";
        return false;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        if (why)
            *why = "value out of range";
        return false;
    }
    if (out)
        *out = v;
    return true;
}

const char *k1s__json_cstr(const json_t *v)
{
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

const char *k1s__json_kind(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "null";
    }
}

const char *k1s__gotype(const json_t *v)
{
    if (!v)
        return "<nil>";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int64";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_NULL:
        return "<nil>";
    }
    return "<nil>";
}

static int gotype_id(const json_t *v)
{
    json_type t = json_typeof(v);
    return t == JSON_FALSE ? JSON_TRUE : (int)t;
}

bool k1s__same_gotype(const json_t *a, const json_t *b)
{
    return gotype_id(a) == gotype_id(b);
}

bool k1s__scalar_eq(const json_t *a, const json_t *b)
{
    if (!a || !b || json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL:
        return json_real_value(a) == json_real_value(b);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return true;
    default:
        return false;
    }
}

/* ---- scalar index --------------------------------------------------------- */

struct k1s__idx {
    struct slot {
        const json_t *v; /* borrowed; NULL marks an empty slot */
        size_t pos;
    } * slots;
    size_t cap; /* power of two */
    size_t n;
};

static bool indexable(const json_t *v)
{
    return v && !json_is_object(v) && !json_is_array(v);
}

static uint64_t hash_value(const json_t *v)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)json_typeof(v);
    const unsigned char *p = NULL;
    size_t n = 0;
    json_int_t i;
    double d;
    switch (json_typeof(v)) {
    case JSON_STRING:
        p = (const unsigned char *)json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        i = json_integer_value(v);
        p = (const unsigned char *)&i, n = sizeof i;
        break;
    case JSON_REAL:
        d = json_real_value(v);
        if (d == 0)
            d = 0; /* -0.0 == 0.0 in Go */
        p = (const unsigned char *)&d, n = sizeof d;
        break;
    default:
        break;
    }
    for (size_t k = 0; k < n; k++) {
        h ^= p[k];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

k1s__idx *k1s__idx_new(size_t hint)
{
    k1s__idx *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    size_t cap = 16;
    while (cap < hint * 2 && cap < ((size_t)1 << 40))
        cap *= 2;
    ix->slots = calloc(cap, sizeof *ix->slots);
    if (!ix->slots) {
        free(ix);
        return NULL;
    }
    ix->cap = cap;
    return ix;
}

void k1s__idx_free(k1s__idx *ix)
{
    if (!ix)
        return;
    free(ix->slots);
    free(ix);
}

static struct slot *idx_slot(struct slot *slots, size_t cap, const json_t *v)
{
    size_t i = (size_t)hash_value(v) & (cap - 1);
    while (slots[i].v && !k1s__scalar_eq(slots[i].v, v))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

int k1s__idx_add(k1s__idx *ix, const json_t *v, size_t pos)
{
    if (!indexable(v))
        return 0;
    if ((ix->n + 1) * 2 > ix->cap) {
        size_t cap = ix->cap * 2;
        struct slot *s = calloc(cap, sizeof *s);
        if (!s)
            return -1;
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->slots[i].v)
                *idx_slot(s, cap, ix->slots[i].v) = ix->slots[i];
        free(ix->slots);
        ix->slots = s;
        ix->cap = cap;
    }
    struct slot *sl = idx_slot(ix->slots, ix->cap, v);
    if (!sl->v) {
        sl->v = v;
        sl->pos = pos;
        ix->n++;
    }
    return 0;
}

long k1s__idx_find(const k1s__idx *ix, const json_t *v)
{
    if (!ix || !indexable(v))
        return -1;
    const struct slot *sl = idx_slot(ix->slots, ix->cap, v);
    return sl->v ? (long)sl->pos : -1;
}
