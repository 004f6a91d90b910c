/*
 * schema_types.c - k1s_schema_check_types: rejects what Go's JSON decoding
 * of the typed object would reject, worded as kube-apiserver words it:
 *   json: cannot unmarshal string into Go struct field
 *   StatefulSetSpec.spec.replicas of type int32
 * (the struct is the innermost Go struct holding the field, the path lists
 * the JSON field names from the root without list indexes or map keys, the
 * type is Go's name for the field's type). Scalars with their own JSON
 * syntax - Quantity, Time, base64 bytes - get their parsers' messages.
 * null is accepted everywhere, as Go leaves the zero value. The first
 * problem in document order is reported.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_schema_internal.h"

typedef struct check {
    k1s_buf path;          /* JSON field names from the root, '.'-joined */
    const k1s_type *owner; /* struct holding the current field */
    k1s_buf msg;
    bool failed; /* a problem was found: stop */
} check;

/* "v1.PodSpec" for io.k8s.api.core.v1.PodSpec: package, dot, type. */
static void go_struct_type(k1s_buf *b, const k1s_type *t)
{
    const char *name = t ? t->name : "?";
    const char *last = strrchr(name, '.');
    if (!last) {
        k1s_buf_adds(b, name);
        return;
    }
    const char *pkg = last;
    while (pkg > name && pkg[-1] != '.')
        pkg--;
    k1s_buf_adds(b, pkg);
}

static void go_type(k1s_buf *b, k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2, const k1s_type *t)
{
    switch (kind) {
    case K1S_T_STRING:
        k1s_buf_adds(b, "string");
        break;
    case K1S_T_INT32:
        k1s_buf_adds(b, "int32");
        break;
    case K1S_T_INT64:
        k1s_buf_adds(b, "int64");
        break;
    case K1S_T_NUMBER:
        k1s_buf_adds(b, "float64");
        break;
    case K1S_T_BOOL:
        k1s_buf_adds(b, "bool");
        break;
    case K1S_T_OBJECT:
        go_struct_type(b, t);
        break;
    case K1S_T_ARRAY:
        k1s_buf_adds(b, "[]");
        go_type(b, elem, elem2, K1S_T_STRING, t);
        break;
    case K1S_T_MAP:
        k1s_buf_adds(b, "map[string]");
        go_type(b, elem, elem2, K1S_T_STRING, t);
        break;
    case K1S_T_INT_OR_STRING:
        k1s_buf_adds(b, "intstr.IntOrString");
        break;
    case K1S_T_QUANTITY:
        k1s_buf_adds(b, "resource.Quantity");
        break;
    case K1S_T_TIME:
        k1s_buf_adds(b, "v1.Time");
        break;
    case K1S_T_BYTES:
        k1s_buf_adds(b, "[]uint8");
        break;
    case K1S_T_ANY:
        k1s_buf_adds(b, "runtime.RawExtension");
        break;
    }
}

/* The word Go's UnmarshalTypeError uses for a JSON value. */
static void json_word(k1s_buf *b, const json_t *v, bool with_number)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        k1s_buf_adds(b, "object");
        break;
    case JSON_ARRAY:
        k1s_buf_adds(b, "array");
        break;
    case JSON_STRING:
        k1s_buf_adds(b, "string");
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        k1s_buf_adds(b, "number");
        if (with_number) {
            k1s_buf_adds(b, " ");
            k1s__gonumber(b, v);
        }
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        k1s_buf_adds(b, "bool");
        break;
    case JSON_NULL:
        k1s_buf_adds(b, "null");
        break;
    }
}

/* "json: cannot unmarshal WORD into Go struct field S.PATH of type T". The
 * Go type is written by the caller into the returned position. */
static void type_error_head(check *c, const json_t *v, bool with_number)
{
    c->failed = true;
    k1s_buf_adds(&c->msg, "json: cannot unmarshal ");
    json_word(&c->msg, v, with_number);
    if (c->owner && c->path.len) {
        const char *name = strrchr(c->owner->name, '.');
        k1s_buf_addf(&c->msg, " into Go struct field %s.", name ? name + 1 : c->owner->name);
        k1s_buf_add(&c->msg, c->path.p, c->path.len);
        k1s_buf_adds(&c->msg, " of type ");
    } else {
        k1s_buf_adds(&c->msg, " into Go value of type ");
    }
}

static void type_error(check *c, const json_t *v, bool with_number, k1s_tkind kind, k1s_tkind elem,
                       k1s_tkind elem2, const k1s_type *t)
{
    type_error_head(c, v, with_number);
    go_type(&c->msg, kind, elem, elem2, t);
}

static void check_object(check *c, const k1s_type *t, const json_t *obj, int depth);

static void check_int(check *c, const json_t *v, k1s_tkind kind)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (kind == K1S_T_INT64 || (n >= INT32_MIN && n <= INT32_MAX))
            return;
        type_error(c, v, true, kind, 0, 0, NULL);
    } else {
        type_error(c, v, json_is_real(v), kind, 0, 0, NULL);
    }
}

static void check_value(check *c, k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2,
                        const k1s_type *t, const json_t *v, int depth)
{
    if (c->failed || json_is_null(v) || depth > K1S__SCHEMA_MAX_DEPTH)
        return;
    switch (kind) {
    case K1S_T_STRING:
        if (!json_is_string(v))
            type_error(c, v, false, kind, 0, 0, NULL);
        break;
    case K1S_T_INT32:
    case K1S_T_INT64:
        check_int(c, v, kind);
        break;
    case K1S_T_NUMBER:
        if (!json_is_number(v))
            type_error(c, v, false, kind, 0, 0, NULL);
        break;
    case K1S_T_BOOL:
        if (!json_is_boolean(v))
            type_error(c, v, false, kind, 0, 0, NULL);
        break;
    case K1S_T_OBJECT:
        if (k1s__schema_opaque(t))
            break; /* decodes itself from any JSON */
        if (!json_is_object(v))
            type_error(c, v, false, kind, 0, 0, t);
        else
            check_object(c, t, v, depth + 1);
        break;
    case K1S_T_ARRAY: {
        if (!json_is_array(v)) {
            type_error(c, v, false, kind, elem, elem2, t);
            break;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            check_value(c, elem, elem2, K1S_T_STRING, t, item, depth + 1);
            if (c->failed)
                break;
        }
        break;
    }
    case K1S_T_MAP: {
        if (!json_is_object(v)) {
            type_error(c, v, false, kind, elem, elem2, t);
            break;
        }
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            check_value(c, elem, elem2, K1S_T_STRING, t, item, depth + 1);
            if (c->failed)
                break;
        }
        break;
    }
    case K1S_T_INT_OR_STRING:
        /* IntOrString decodes non-strings as int32 */
        if (!json_is_string(v))
            check_int(c, v, K1S_T_INT32);
        break;
    case K1S_T_QUANTITY: {
        k1s_buf text = {.max = K1S__SB_MAX};
        if (json_is_string(v))
            k1s_buf_add(&text, json_string_value(v), json_string_length(v));
        else if (json_is_number(v))
            k1s__gonumber(&text, v);
        if (k1s_buf_failed(&text) ||
            k1s__check_quantity(k1s_buf_str(&text), text.len, &c->msg) != 0) {
            c->failed = true;
            if (k1s_buf_failed(&text))
                k1s_buf_adds(&c->msg, "quantity too long");
        }
        k1s_buf_free(&text);
        break;
    }
    case K1S_T_TIME:
        /* metav1.Time reads a Go string first, then parses it */
        if (!json_is_string(v))
            type_error(c, v, false, K1S_T_STRING, 0, 0, NULL);
        else if (k1s__check_rfc3339(json_string_value(v), json_string_length(v), &c->msg) != 0)
            c->failed = true;
        break;
    case K1S_T_BYTES:
        if (json_is_array(v)) {
            /* Go also fills a []byte from a list of small numbers */
            size_t i;
            json_t *item;
            json_array_foreach(v, i, item)
            {
                if (json_is_null(item))
                    continue;
                if (!json_is_integer(item) || json_integer_value(item) < 0 ||
                    json_integer_value(item) > 255) {
                    type_error_head(c, item, json_is_number(item));
                    k1s_buf_adds(&c->msg, "uint8");
                    break;
                }
            }
        } else if (!json_is_string(v)) {
            type_error(c, v, false, kind, 0, 0, NULL);
        } else if (k1s__check_base64(json_string_value(v), json_string_length(v), &c->msg) != 0) {
            c->failed = true;
        }
        break;
    case K1S_T_ANY:
        break;
    }
}

static void check_object(check *c, const k1s_type *t, const json_t *obj, int depth)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const k1s_field *f = k1s_schema_field(t, key);
        if (!f)
            continue;
        size_t mark = c->path.len;
        const k1s_type *owner = c->owner;
        if (mark)
            k1s_buf_add(&c->path, ".", 1);
        k1s_buf_adds(&c->path, key);
        c->owner = t;
        check_value(c, f->kind, f->elem, k1s_schema_field_elem2(f), f->type, v, depth);
        if (c->failed)
            return; /* keep path and owner: the message is written */
        c->owner = owner;
        k1s_buf_truncate(&c->path, mark);
    }
}

int k1s_schema_check_types(const k1s_type *t, const json_t *obj, char **msg)
{
    if (msg)
        *msg = NULL;
    if (!t || !obj)
        return 0;
    check c = {.path.max = K1S__SB_MAX, .msg.max = K1S__SB_MAX};
    if (!json_is_object(obj)) {
        if (!json_is_null(obj))
            type_error(&c, obj, false, K1S_T_OBJECT, 0, 0, t);
    } else if (!k1s__schema_opaque(t)) {
        check_object(&c, t, obj, 0);
    }
    k1s_buf_free(&c.path);
    if (!c.failed) {
        k1s_buf_free(&c.msg);
        return 0;
    }
    char *text = k1s_buf_take(&c.msg, NULL);
    if (msg)
        *msg = text ? text : strdup("json: invalid object");
    else
        free(text);
    return -1;
}
