/*
 * protobuf_encode.c - the message of one object, walked through its schema
 * type with the protobuf numbers it carries (k1s_schema_ext.h): the inverse
 * of protobuf_decode.c, with the same shapes (repeated fields unpacked, as
 * proto2 writes them; maps as {1 key, 2 value} entries; inline structs as
 * one nested message; RawExtension and FieldsV1 as {1 raw JSON}; the
 * well-known scalars as their messages).
 *
 * Only the keys present in the JSON are visited, in field-number order, and
 * written backwards (protobuf_write.c). Anything the message could not carry
 * (a key the schema does not know, a value of the wrong JSON type) fails
 * with K1S_PROTOBUF_ENOFORM rather than being dropped.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_base64.h"
#include "k1s_schema_ext.h"
#include "k1s_time.h"
#include "protobuf_int.h"

/* More fields than any type has (Volume, with VolumeSource inline, has
 * the most). */
#define MAX_FIELDS 128

typedef struct present {
    int outer, num;
    const k1s_field *f;
    const json_t *v;
} present;

static int noform(k1s__pb_writer *w)
{
    return k1s__pbw_fail(w, K1S_PROTOBUF_ENOFORM);
}

static void write_string(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    k1s__pbw_field_bytes(w, num, json_string_value(v), json_string_length(v));
}

/* metav1.Time / MicroTime {1 seconds, 2 nanos}. */
static int write_time(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    if (json_is_null(v)) {
        k1s__pbw_field_bytes(w, num, "", 0);
        return w->rc;
    }
    k1s_time t;
    if (!json_is_string(v) || k1s_time_parse(json_string_value(v), json_string_length(v), &t) != 0)
        return noform(w);
    size_t mark = k1s__pbw_size(w);
    if (t.nsec)
        k1s__pbw_field_varint(w, 2, (uint64_t)(int64_t)t.nsec);
    k1s__pbw_field_varint(w, 1, (uint64_t)t.sec);
    k1s__pbw_close(w, mark, num);
    return w->rc;
}

/* intstr.IntOrString {1 type, 2 intVal, 3 strVal}. */
static int write_intorstring(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    size_t mark = k1s__pbw_size(w);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < INT32_MIN || i > INT32_MAX)
            return noform(w);
        k1s__pbw_field_varint(w, 2, (uint64_t)(int64_t)i);
        k1s__pbw_field_varint(w, 1, 0);
    } else if (json_is_string(v)) {
        write_string(w, 3, v);
        k1s__pbw_field_varint(w, 1, 1);
    } else {
        return noform(w);
    }
    k1s__pbw_close(w, mark, num);
    return w->rc;
}

/* resource.Quantity {1 string}. */
static int write_quantity(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    char buf[32];
    const char *s;
    size_t n;
    if (json_is_string(v)) {
        s = json_string_value(v);
        n = json_string_length(v);
    } else if (json_is_integer(v)) {
        n = (size_t)snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = buf;
    } else {
        return noform(w); /* a fraction would need the canonical form */
    }
    size_t mark = k1s__pbw_size(w);
    k1s__pbw_field_bytes(w, 1, s, n);
    k1s__pbw_close(w, mark, num);
    return w->rc;
}

static int write_bytes(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    if (!json_is_string(v))
        return noform(w);
    size_t n = 0;
    unsigned char *b = k1s_base64_decode(json_string_value(v), json_string_length(v), &n);
    if (!b)
        return noform(w);
    k1s__pbw_field_bytes(w, num, b, n);
    free(b);
    return w->rc;
}

/* RawExtension / FieldsV1 {1 raw}: the value as compact JSON. */
static int write_raw(k1s__pb_writer *w, uint32_t num, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return k1s__pbw_fail(w, K1S_ENOMEM);
    size_t mark = k1s__pbw_size(w);
    k1s__pbw_field_bytes(w, 1, text, strlen(text));
    k1s__pbw_close(w, mark, num);
    free(text);
    return w->rc;
}

/* One value of kind k (object type t) as field num, key included. */
static int write_value(k1s__pb_writer *w, k1s_tkind k, const k1s_type *t, const json_t *v,
                       uint32_t num, int depth)
{
    switch (k) {
    case K1S_T_STRING:
        if (!json_is_string(v))
            return noform(w);
        write_string(w, num, v);
        return w->rc;
    case K1S_T_INT32:
    case K1S_T_INT64: {
        if (!json_is_integer(v))
            return noform(w);
        json_int_t i = json_integer_value(v);
        if (k == K1S_T_INT32 && (i < INT32_MIN || i > INT32_MAX))
            return noform(w);
        /* negative int32s are sign-extended to ten bytes, as Go writes them */
        k1s__pbw_field_varint(w, num, (uint64_t)(int64_t)i);
        return w->rc;
    }
    case K1S_T_BOOL:
        if (!json_is_boolean(v))
            return noform(w);
        k1s__pbw_field_varint(w, num, json_is_true(v) ? 1 : 0);
        return w->rc;
    case K1S_T_NUMBER: {
        if (!json_is_number(v))
            return noform(w);
        double d = json_number_value(v);
        uint64_t u;
        memcpy(&u, &d, sizeof u);
        k1s__pbw_fixed64(w, u);
        k1s__pbw_key(w, num, K1S__PB_FIXED64);
        return w->rc;
    }
    case K1S_T_QUANTITY:
        return write_quantity(w, num, v);
    case K1S_T_INT_OR_STRING:
        return write_intorstring(w, num, v);
    case K1S_T_TIME:
        return write_time(w, num, v);
    case K1S_T_BYTES:
        return write_bytes(w, num, v);
    case K1S_T_ANY:
        return write_raw(w, num, v);
    case K1S_T_OBJECT: {
        if (!t || t->nfields == 0 || !json_is_object(v))
            return noform(w);
        size_t mark = k1s__pbw_size(w);
        if (k1s__pb_encode_message(w, t, v, depth + 1) != 0)
            return w->rc;
        k1s__pbw_close(w, mark, num);
        return w->rc;
    }
    default: /* nested lists and maps have no protobuf form of their own */
        return noform(w);
    }
}

static int write_list(k1s__pb_writer *w, const present *p, int depth)
{
    if (!json_is_array(p->v))
        return noform(w);
    for (size_t i = json_array_size(p->v); i-- > 0;) {
        const json_t *e = json_array_get(p->v, i);
        if (json_is_null(e) ||
            write_value(w, p->f->elem, p->f->type, e, (uint32_t)p->num, depth) != 0)
            return noform(w);
    }
    return w->rc;
}

static int write_map(k1s__pb_writer *w, const present *p, int depth)
{
    if (!json_is_object(p->v))
        return noform(w);
    const char *key;
    size_t klen;
    json_t *e;
    json_object_keylen_foreach((json_t *)p->v, key, klen, e)
    {
        size_t mark = k1s__pbw_size(w);
        if (!json_is_null(e) && write_value(w, p->f->elem, p->f->type, e, 2, depth) != 0)
            return w->rc;
        k1s__pbw_field_bytes(w, 1, key, klen); /* keys may hold NULs */
        k1s__pbw_close(w, mark, (uint32_t)p->num);
        if (w->rc)
            return w->rc;
    }
    return 0;
}

static int write_field(k1s__pb_writer *w, const present *p, int depth)
{
    switch (p->f->kind) {
    case K1S_T_ARRAY:
        return write_list(w, p, depth);
    case K1S_T_MAP:
        return write_map(w, p, depth);
    default:
        return write_value(w, p->f->kind, p->f->type, p->v, (uint32_t)p->num, depth);
    }
}

static int by_number(const void *a, const void *b)
{
    const present *x = a, *y = b;
    if (x->outer != y->outer)
        return x->outer < y->outer ? -1 : 1;
    return (x->num > y->num) - (x->num < y->num);
}

int k1s__pb_encode_message(k1s__pb_writer *w, const k1s_type *t, const json_t *obj, int depth)
{
    if (w->rc)
        return w->rc;
    if (depth > K1S_PROTOBUF_MAX_DEPTH)
        return k1s__pbw_fail(w, K1S_ETOOLARGE);
    assert(t->nfields <= MAX_FIELDS);
    present ps[MAX_FIELDS];
    size_t n = 0;
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)obj, key, klen, v)
    {
        const k1s_field *f = strlen(key) == klen ? k1s_schema_field(t, key) : NULL;
        if (!f)
            return noform(w);
        int outer = 0;
        int num = k1s_schema_field_pb(f, &outer, NULL);
        if (num == 0) {
            /* TypeMeta travels in the envelope; nothing else may be lost */
            if (strcmp(key, "apiVersion") != 0 && strcmp(key, "kind") != 0)
                return noform(w);
            continue;
        }
        /* a nil pointer, slice or map is absent; a zero time is an empty
         * message, which Go's JSON writes as null again */
        if (json_is_null(v) && f->kind != K1S_T_TIME)
            continue;
        assert(n < MAX_FIELDS);
        ps[n++] = (present){outer, num, f, v};
    }
    qsort(ps, n, sizeof ps[0], by_number);
    /* backwards: the inline messages (highest outer first), then t's own */
    int group = 0;
    size_t group_mark = 0;
    for (size_t i = n; i-- > 0;) {
        if (ps[i].outer != group) {
            if (group)
                k1s__pbw_close(w, group_mark, (uint32_t)group);
            group = ps[i].outer;
            group_mark = k1s__pbw_size(w);
        }
        if (write_field(w, &ps[i], group ? depth + 1 : depth) != 0)
            return w->rc;
    }
    if (group)
        k1s__pbw_close(w, group_mark, (uint32_t)group);
    return w->rc;
}
