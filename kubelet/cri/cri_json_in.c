/*
 * cri_json_in.c - a JSON request object to a protobuf-c message, driven only
 * by the message descriptors protoc-c generated from kubelet/cri.proto, so
 * any CRI message converts without per-message code.
 *
 * Ownership: every string, bytes buffer, array and sub-message is malloc'd
 * and hung on the message at once (counts grow element by element), so on
 * any error protobuf_c_message_free_unpacked(msg, NULL) frees exactly what
 * was built so far.
 */
#include "cri_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where we are in the input, for error messages. */
typedef struct in_ctx {
    char path[512];
    size_t len;
    char *err;
} in_ctx;

static size_t path_push(in_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(in_ctx *c, const char *fmt, ...)
{
    size_t old = c->len;
    if (c->len < sizeof c->path - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(c->path + c->len, sizeof c->path - c->len, fmt, ap);
        va_end(ap);
        if (n > 0)
            c->len += (size_t)n;
        if (c->len > sizeof c->path - 1)
            c->len = sizeof c->path - 1;
    }
    return old;
}

static void path_pop(in_ctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

static int fail(in_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(in_ctx *c, const char *fmt, ...)
{
    if (c->err)
        return -1; /* keep the first (innermost) error */
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (asprintf(&c->err, "%s%s%s", c->path, c->len ? ": " : "", msg) < 0)
        c->err = NULL;
    return -1;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Size of one element of a repeated field of this type. */
static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* A signed integer in [lo, hi]: a JSON integer, or for 64-bit fields also
 * a decimal string (proto3 JSON writes 64-bit numbers as strings). */
static int get_signed(in_ctx *c, const json_t *v, int64_t lo, int64_t hi, bool str_ok, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < lo || n > hi)
            return fail(c, "%" JSON_INTEGER_FORMAT " is out of range", n);
        *out = n;
        return 0;
    }
    if (str_ok && json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if ((*s != '-' && (*s < '0' || *s > '9')) || *end || errno)
            return fail(c, "\"%s\" is not an integer", s);
        *out = n;
        return 0;
    }
    return fail(c, "expected an integer, got %s", json_kind(v));
}

static int get_unsigned(in_ctx *c, const json_t *v, uint64_t hi, bool str_ok, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || (uint64_t)n > hi)
            return fail(c, "%" JSON_INTEGER_FORMAT " is out of range", n);
        *out = (uint64_t)n;
        return 0;
    }
    if (str_ok && json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (*s < '0' || *s > '9' || *end || errno)
            return fail(c, "\"%s\" is not an unsigned integer", s);
        *out = n;
        return 0;
    }
    return fail(c, "expected an integer, got %s", json_kind(v));
}

static int get_enum(in_ctx *c, const ProtobufCEnumDescriptor *ed, const json_t *v, int32_t *out)
{
    if (json_is_string(v)) {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(v));
        if (!ev)
            return fail(c, "unknown %s value \"%s\"", ed->name, json_string_value(v));
        *out = ev->value;
        return 0;
    }
    if (json_is_integer(v)) { /* proto3 enums are open: any int32 */
        int64_t n;
        if (get_signed(c, v, INT32_MIN, INT32_MAX, false, &n) < 0)
            return -1;
        *out = (int32_t)n;
        return 0;
    }
    return fail(c, "expected a %s name or number, got %s", ed->name, json_kind(v));
}

static int new_message(in_ctx *c, const ProtobufCMessageDescriptor *d, const json_t *obj,
                       ProtobufCMessage **out);

/* Store one value of field f (singular, or one element of a repeated one)
 * at dst. */
static int set_value(in_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v, void *dst)
{
    int64_t s;
    uint64_t u;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (get_signed(c, v, INT32_MIN, INT32_MAX, false, &s) < 0)
            return -1;
        *(int32_t *)dst = (int32_t)s;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (get_unsigned(c, v, UINT32_MAX, false, &u) < 0)
            return -1;
        *(uint32_t *)dst = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (get_signed(c, v, INT64_MIN, INT64_MAX, true, &s) < 0)
            return -1;
        *(int64_t *)dst = s;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (get_unsigned(c, v, UINT64_MAX, true, &u) < 0)
            return -1;
        *(uint64_t *)dst = u;
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        return get_enum(c, f->descriptor, v, (int32_t *)dst);
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!json_is_number(v))
            return fail(c, "expected a number, got %s", json_kind(v));
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)dst = (float)json_number_value(v);
        else
            *(double *)dst = json_number_value(v);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(c, "expected true or false, got %s", json_kind(v));
        *(protobuf_c_boolean *)dst = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v))
            return fail(c, "expected a string, got %s", json_kind(v));
        const char *str = json_string_value(v);
        size_t n = json_string_length(v);
        if (strlen(str) != n) /* a C string cannot carry it */
            return fail(c, "string contains a NUL character");
        char *copy = malloc(n + 1);
        if (!copy)
            return fail(c, "out of memory");
        memcpy(copy, str, n + 1);
        *(char **)dst = copy;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(v))
            return fail(c, "expected a base64 string, got %s", json_kind(v));
        ProtobufCBinaryData *bd = dst;
        size_t n;
        uint8_t *data = k1s_base64_decode_any(json_string_value(v), json_string_length(v), &n);
        if (!data)
            return fail(c, "not a base64 string");
        if (n == 0) {
            free(data);
            data = NULL;
        }
        bd->data = data;
        bd->len = n;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return new_message(c, f->descriptor, v, (ProtobufCMessage **)dst);
    }
    return fail(c, "unsupported field type %d", (int)f->type);
}

/* A JSON object as a protobuf map: one entry message per key. */
static int set_map(in_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                   ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    if (!json_is_object(v))
        return fail(c, "expected an object, got %s", json_kind(v));
    if (kf->type != PROTOBUF_C_TYPE_STRING)
        return fail(c, "map keys of type %d are not supported", (int)kf->type);
    size_t *count = (size_t *)((char *)msg + f->quantifier_offset);
    ProtobufCMessage ***arr = (ProtobufCMessage ***)((char *)msg + f->offset);
    size_t n = json_object_size(v);
    if (n == 0)
        return 0;
    if (!(*arr = calloc(n, sizeof **arr)))
        return fail(c, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        size_t mark = path_push(c, "[\"%s\"]", key);
        ProtobufCMessage *entry = malloc(ed->sizeof_message);
        if (!entry)
            return fail(c, "out of memory");
        ed->message_init(entry);
        (*arr)[(*count)++] = entry;
        char *k = strdup(key);
        if (!k)
            return fail(c, "out of memory");
        *(char **)((char *)entry + kf->offset) = k;
        if (set_value(c, vf, val, (char *)entry + vf->offset) < 0)
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

static int set_repeated(in_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                        ProtobufCMessage *msg)
{
    if (!json_is_array(v))
        return fail(c, "expected an array, got %s", json_kind(v));
    size_t *count = (size_t *)((char *)msg + f->quantifier_offset);
    char **arr = (char **)((char *)msg + f->offset);
    size_t n = json_array_size(v), es = elem_size(f->type);
    if (n == 0)
        return 0;
    if (!(*arr = calloc(n, es)))
        return fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t mark = path_push(c, "[%zu]", i);
        char *slot = *arr + i * es;
        int rc = set_value(c, f, json_array_get(v, i), slot);
        /* count what the free function can free: a complete element, or a
         * sub-message that exists even though filling it failed */
        if (rc == 0 || (f->type == PROTOBUF_C_TYPE_MESSAGE && *(void **)slot))
            (*count)++;
        if (rc < 0)
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

static int set_field(in_ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v,
                     ProtobufCMessage *msg)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && k1s__cri_is_map_entry(f->descriptor))
            return set_map(c, f, v, msg);
        return set_repeated(c, f, v, msg);
    }
    char *dst = (char *)msg + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = (uint32_t *)((char *)msg + f->quantifier_offset);
        if (*which && *which != f->id)
            return fail(c, "another member of its oneof is already set");
        if (set_value(c, f, v, dst) < 0)
            return -1;
        *which = f->id;
        return 0;
    }
    if (set_value(c, f, v, dst) < 0)
        return -1;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
    return 0;
}

static int fill_message(in_ctx *c, const ProtobufCMessageDescriptor *d, const json_t *obj,
                        ProtobufCMessage *msg)
{
    if (!json_is_object(obj))
        return fail(c, "expected an object (%s), got %s", d->name, json_kind(obj));
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        if (!f)
            return fail(c, "unknown field \"%s\" in %s", key, d->name);
        if (json_is_null(val)) /* null: leave the field at its default */
            continue;
        size_t mark = path_push(c, "%s%s", c->len ? "." : "", key);
        if (set_field(c, f, val, msg) < 0)
            return -1;
        path_pop(c, mark);
    }
    return 0;
}

static int new_message(in_ctx *c, const ProtobufCMessageDescriptor *d, const json_t *obj,
                       ProtobufCMessage **out)
{
    ProtobufCMessage *msg = malloc(d->sizeof_message);
    if (!msg)
        return fail(c, "out of memory");
    d->message_init(msg);
    *out = msg; /* owned by the parent from now on, even if filling fails */
    return fill_message(c, d, obj, msg);
}

int k1s__cri_json_to_pb(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                        ProtobufCMessage **out, char **err)
{
    in_ctx c = {.len = 0, .err = NULL};
    c.path[0] = '\0';
    ProtobufCMessage *msg = NULL;
    json_t *empty = NULL;
    *out = NULL;
    if (!obj && !(obj = empty = json_object())) {
        *err = strdup("out of memory");
        return -1;
    }
    int rc = new_message(&c, desc, obj, &msg);
    json_decref(empty);
    if (rc < 0) {
        if (msg)
            protobuf_c_message_free_unpacked(msg, NULL);
        *err = c.err ? c.err : strdup("out of memory");
        return -1;
    }
    *out = msg;
    return 0;
}
