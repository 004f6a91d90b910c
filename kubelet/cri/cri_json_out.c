/*
 * cri_json_out.c - a protobuf-c reply message to a JSON object, driven by
 * the generated descriptors (the reverse of cri_json_in.c).
 *
 * Shape: every field of a present message is written, defaults included
 * ("state": "SANDBOX_READY", "exit_code": 0, "labels": {}, "mounts": []),
 * so callers never have to know proto3's zero values; a sub-message that is
 * absent (NULL) is left out, which is how "no such image" reads in
 * ImageStatus. uint64 values above 2^63-1 become decimal strings (JSON
 * integers here are signed 64-bit), non-finite floats "NaN"/"Infinity"/
 * "-Infinity", enum numbers this proto does not name stay numbers, and
 * strings that are not UTF-8 get U+FFFD for each bad byte, as Go does.
 */
#include "cri_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int k1s__cri_is_map_entry(const ProtobufCMessageDescriptor *d)
{
    size_t n = strlen(d->name);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
           d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 && d->fields[1].id == 2 &&
           strcmp(d->fields[1].name, "value") == 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong, surrogate or beyond Unicode */
    return len;
}

static json_t *string_json(const char *s)
{
    if (!s)
        return json_string("");
    json_t *j = json_string(s);
    if (j)
        return j;
    /* not UTF-8: replace each bad byte with U+FFFD (3 bytes) */
    size_t n = strlen(s), o = 0;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(u + i, n - i);
        if (k) {
            memcpy(buf + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(buf + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}

static json_t *double_json(double d)
{
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)p;
        if (u <= (uint64_t)INT64_MAX)
            return json_integer((json_int_t)u);
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)u);
        return json_string(buf);
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t v = *(const int32_t *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return double_json(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return double_json(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_STRING:
        return string_json(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = p;
        char *b64 = k1s_base64_encode(bd->data, bd->len);
        json_t *j = b64 ? json_string(b64) : NULL;
        free(b64);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        return m ? k1s__cri_pb_to_json(m) : json_object();
    }
    }
    return NULL;
}

static json_t *map_json(const ProtobufCFieldDescriptor *f, size_t n,
                        ProtobufCMessage *const *entries)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < n; i++) {
        const char *e = (const char *)entries[i];
        json_t *key = value_json(kf, e + kf->offset);
        json_t *val = value_json(vf, e + vf->offset);
        /* string keys are the only ones CRI has; others print as JSON */
        char *ktext = key && json_is_string(key) ? strdup(json_string_value(key))
                                                 : (key ? json_dumps(key, JSON_ENCODE_ANY) : NULL);
        if (!ktext || !val || json_object_set_new(obj, ktext, val) < 0) {
            if (!ktext || !val)
                json_decref(val);
            json_decref(obj);
            obj = NULL;
        }
        free(ktext);
        json_decref(key);
    }
    return obj;
}

static json_t *repeated_json(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *msg)
{
    size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
    const char *arr = *(char *const *)((const char *)msg + f->offset);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && k1s__cri_is_map_entry(f->descriptor))
        return map_json(f, n, (ProtobufCMessage *const *)arr);
    size_t es;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        es = 8;
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        es = sizeof(float);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        es = sizeof(double);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        es = sizeof(protobuf_c_boolean);
        break;
    case PROTOBUF_C_TYPE_STRING:
        es = sizeof(char *);
        break;
    case PROTOBUF_C_TYPE_BYTES:
        es = sizeof(ProtobufCBinaryData);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        es = sizeof(ProtobufCMessage *);
        break;
    default:
        es = 4;
        break;
    }
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, value_json(f, arr + i * es)) < 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* Whether a singular field holds a value worth writing. */
static bool present(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *msg)
{
    const char *base = (const char *)msg;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)(base + f->offset) != NULL;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
        f->type != PROTOBUF_C_TYPE_STRING)
        return *(const protobuf_c_boolean *)(base + f->quantifier_offset);
    return true;
}

json_t *k1s__cri_pb_to_json(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    json_t *obj = json_object();
    for (unsigned i = 0; obj && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *v;
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            v = repeated_json(f, msg);
        else if (present(f, msg))
            v = value_json(f, (const char *)msg + f->offset);
        else
            continue;
        if (!v || json_object_set_new(obj, f->name, v) < 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}
