/*
 * protobuf_decode.c - k1s_protobuf_decode (k1s_protobuf.h): unwraps the
 * runtime.Unknown envelope of a Kubernetes protobuf body, finds the kind in
 * the schema and turns the object's message into JSON, field by field, using
 * the protobuf numbers the schema carries (k1s_schema_ext.h).
 *
 * Shapes, as go-to-protobuf lays out Kubernetes types: lists are repeated
 * fields (packed accepted too), maps are repeated {1 key, 2 value} entries,
 * structs Go embeds inline (Volume's VolumeSource) are a nested message
 * whose fields belong to the enclosing JSON object, and RawExtension /
 * FieldsV1 are {1 raw} holding JSON (or, inside watch events, another
 * k8s\0-prefixed object). The well-known scalars are in
 * protobuf_wellknown.c, the wire reader in protobuf_wire.c.
 *
 * Every nested message goes one level deeper and the depth is capped at
 * K1S_PROTOBUF_MAX_DEPTH, so recursion is bounded; every value built is
 * charged to the output budget.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "k1s_schema.h"
#include "k1s_schema_ext.h"
#include "protobuf_int.h"

#define MAGIC "k8s\0"
#define MAGIC_LEN 4
#define MEDIA_TYPE "application/vnd.kubernetes.protobuf"
/* apiVersion and kind longer than this are not anything we serve */
#define MAX_TYPE_NAME 256

/* One value as read off the wire, before its schema kind gives it meaning. */
typedef struct wire_val {
    unsigned wire;
    uint64_t u;             /* VARINT, FIXED64, FIXED32 */
    const unsigned char *p; /* LEN payload */
    size_t n;
} wire_val;

static int decode_message(k1s__pb_ctx *c, const k1s_type *t, const unsigned char *p, size_t n,
                          json_t *obj, int outer, int depth);
static int decode_unknown(k1s__pb_ctx *c, const unsigned char *p, size_t n, int depth,
                          json_t **out);

static const char *short_name(const k1s_type *t)
{
    const char *dot = strrchr(t->name, '.');
    return dot ? dot + 1 : t->name;
}

static int malformed(k1s__pb_ctx *c, const k1s__pb_reader *r, const char *what)
{
    return k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: truncated or malformed %s at byte %zu",
                        what, k1s__pb_offset(c, r));
}

static int read_wire(k1s__pb_ctx *c, k1s__pb_reader *r, unsigned wire, wire_val *w)
{
    int rc = -1;
    uint32_t u32;
    w->wire = wire;
    switch (wire) {
    case K1S__PB_VARINT:
        rc = k1s__pb_varint(r, &w->u);
        break;
    case K1S__PB_FIXED64:
        rc = k1s__pb_fixed64(r, &w->u);
        break;
    case K1S__PB_FIXED32:
        rc = k1s__pb_fixed32(r, &u32);
        w->u = u32;
        break;
    case K1S__PB_LEN:
        rc = k1s__pb_len(r, &w->p, &w->n);
        break;
    default:
        return k1s__pb_fail(c, K1S_EINVAL,
                            "invalid protobuf: unsupported wire type %u at "
                            "byte %zu",
                            wire, k1s__pb_offset(c, r));
    }
    return rc == 0 ? 0 : malformed(c, r, "field");
}

/* The wire type a value of kind k travels as. */
static unsigned wire_of(k1s_tkind k)
{
    switch (k) {
    case K1S_T_INT32:
    case K1S_T_INT64:
    case K1S_T_BOOL:
        return K1S__PB_VARINT;
    case K1S_T_NUMBER:
        return K1S__PB_FIXED64;
    default:
        return K1S__PB_LEN;
    }
}

/* RawExtension / FieldsV1 {1 raw}: the JSON the raw bytes hold, null when
 * empty, or the object of a nested k8s\0 body. New reference, or NULL with
 * the error recorded. */
static json_t *raw_json(k1s__pb_ctx *c, const unsigned char *p, size_t n, int depth)
{
    k1s__pb_reader r = {p, n, 0};
    const unsigned char *raw = NULL;
    size_t rawn = 0;
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        if (k1s__pb_key(&r, &num, &wire) != 0) {
            malformed(c, &r, "RawExtension");
            return NULL;
        }
        if (num == 1 && wire == K1S__PB_LEN) {
            if (k1s__pb_len(&r, &raw, &rawn) != 0) {
                malformed(c, &r, "RawExtension");
                return NULL;
            }
        } else if (k1s__pb_skip(&r, wire) != 0) {
            malformed(c, &r, "RawExtension");
            return NULL;
        }
    }
    if (!raw || rawn == 0)
        return k1s__pb_node(c, json_null());
    if (rawn >= MAGIC_LEN && memcmp(raw, MAGIC, MAGIC_LEN) == 0) {
        json_t *obj = NULL;
        if (decode_unknown(c, raw, rawn, depth + 1, &obj) != 0) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    if (rawn > (K1S_PROTOBUF_MAX_OUTPUT / 32) || k1s__pb_charge(c, rawn * 32) != 0) {
        k1s__pb_fail(c, K1S_ETOOLARGE, "embedded object too large");
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb((const char *)raw, rawn, JSON_DECODE_ANY, &jerr);
    if (!v)
        k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: embedded raw object is not JSON: %s",
                     jerr.text);
    return v;
}

/* Go's zero value of kind k, for a map entry without a value (new
 * reference, NULL with the error recorded). */
static json_t *zero_value(k1s__pb_ctx *c, k1s_tkind k)
{
    switch (k) {
    case K1S_T_STRING:
    case K1S_T_BYTES:
        return k1s__pb_node(c, json_string(""));
    case K1S_T_QUANTITY:
        return k1s__pb_node(c, json_string("0"));
    case K1S_T_INT32:
    case K1S_T_INT64:
    case K1S_T_INT_OR_STRING:
        return k1s__pb_node(c, json_integer(0));
    case K1S_T_NUMBER:
        return k1s__pb_node(c, json_real(0.0));
    case K1S_T_BOOL:
        return k1s__pb_node(c, json_false());
    case K1S_T_OBJECT:
        return k1s__pb_node(c, json_object());
    default: /* time, any */
        return k1s__pb_node(c, json_null());
    }
}

/*
 * The JSON of one value of kind k (object type t) read as w; new reference,
 * or NULL with the error recorded. *zero tells whether it is the Go zero
 * value of a scalar (what omitempty drops). fname names the field for
 * errors.
 */
static json_t *value(k1s__pb_ctx *c, k1s_tkind k, const k1s_type *t, unsigned flags,
                     const wire_val *w, int depth, const char *fname, bool *zero)
{
    *zero = false;
    if (k == K1S_T_ARRAY || k == K1S_T_MAP) {
        k1s__pb_fail(c, K1S_EINVAL,
                     "protobuf: nested lists and maps (field \"%s\") are not "
                     "supported",
                     fname);
        return NULL;
    }
    if (w->wire != wire_of(k)) {
        k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: wrong wire type %u for field \"%s\"",
                     w->wire, fname);
        return NULL;
    }
    switch (k) {
    case K1S_T_STRING:
        *zero = w->n == 0;
        return k1s__pb_string(c, w->p, w->n);
    case K1S_T_BYTES:
        *zero = w->n == 0;
        return k1s__pb_base64(c, w->p, w->n);
    case K1S_T_INT32: {
        int32_t v = (int32_t)(uint32_t)w->u;
        *zero = v == 0;
        return k1s__pb_node(c, json_integer(v));
    }
    case K1S_T_INT64: {
        int64_t v = (int64_t)w->u;
        *zero = v == 0;
        return k1s__pb_node(c, json_integer(v));
    }
    case K1S_T_BOOL:
        *zero = w->u == 0;
        return k1s__pb_node(c, json_boolean(w->u != 0));
    case K1S_T_NUMBER: {
        double d;
        memcpy(&d, &w->u, sizeof d);
        *zero = d == 0;
        json_t *v = json_real(d);
        if (!v) { /* NaN and infinities have no JSON form */
            k1s__pb_fail(c, K1S_EINVAL, "protobuf: field \"%s\" is not a finite number", fname);
            return NULL;
        }
        return k1s__pb_node(c, v);
    }
    case K1S_T_QUANTITY:
        return k1s__pb_quantity(c, w->p, w->n);
    case K1S_T_INT_OR_STRING:
        return k1s__pb_intorstring(c, w->p, w->n);
    case K1S_T_TIME:
        return k1s__pb_time(c, w->p, w->n, (flags & K1S_PB_MICROTIME) != 0);
    case K1S_T_ANY:
        return raw_json(c, w->p, w->n, depth);
    case K1S_T_OBJECT: {
        json_t *obj = k1s__pb_node(c, json_object());
        if (obj && decode_message(c, t, w->p, w->n, obj, 0, depth + 1) != 0) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    default:
        k1s__pb_fail(c, K1S_EINVAL, "protobuf: field \"%s\" has no protobuf form", fname);
        return NULL;
    }
}

/* obj[name] as a container of the wanted JSON type, created (or replacing a
 * value of another type) when needed; borrowed, NULL on error. */
static json_t *container(k1s__pb_ctx *c, json_t *obj, const char *name, bool array)
{
    json_t *v = json_object_get(obj, name);
    if (array ? json_is_array(v) : json_is_object(v))
        return v;
    v = k1s__pb_node(c, array ? json_array() : json_object());
    if (!v || json_object_set_new(obj, name, v) != 0) {
        k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
        return NULL;
    }
    return v;
}

static int append(k1s__pb_ctx *c, json_t *arr, json_t *v)
{
    if (!v)
        return c->rc;
    if (json_array_append_new(arr, v) != 0)
        return k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
    return 0;
}

/* A repeated field: one element, or a packed run of numeric elements,
 * appended to the list obj[f->name] (obj borrowed). */
static int decode_list(k1s__pb_ctx *c, const k1s_field *f, unsigned flags, const wire_val *w,
                       json_t *obj, int depth)
{
    json_t *arr = container(c, obj, f->name, true);
    if (!arr)
        return c->rc;
    bool zero;
    unsigned ew = wire_of(f->elem);
    if (w->wire == K1S__PB_LEN && ew != K1S__PB_LEN) {
        k1s__pb_reader r = {w->p, w->n, 0};
        while (r.pos < r.len) {
            wire_val ev;
            if (read_wire(c, &r, ew, &ev) != 0)
                return c->rc;
            if (append(c, arr, value(c, f->elem, f->type, flags, &ev, depth, f->name, &zero)) != 0)
                return c->rc;
        }
        return 0;
    }
    return append(c, arr, value(c, f->elem, f->type, flags, w, depth, f->name, &zero));
}

/* One map entry {1 key, 2 value} stored into the object obj[f->name] (obj
 * borrowed); a missing value is Go's zero value, a missing key "". */
static int decode_map_entry(k1s__pb_ctx *c, const k1s_field *f, unsigned flags, const wire_val *w,
                            json_t *obj, int depth)
{
    if (w->wire != K1S__PB_LEN)
        return k1s__pb_fail(c, K1S_EINVAL,
                            "invalid protobuf: wrong wire type %u for map "
                            "field \"%s\"",
                            w->wire, f->name);
    json_t *map = container(c, obj, f->name, false);
    if (!map)
        return c->rc;
    json_t *key = NULL, *val = NULL;
    k1s__pb_reader r = {w->p, w->n, 0};
    bool zero;
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        wire_val ev;
        if (k1s__pb_key(&r, &num, &wire) != 0) {
            malformed(c, &r, "map entry");
            goto cleanup;
        }
        if (read_wire(c, &r, wire, &ev) != 0)
            goto cleanup;
        if (num == 1) {
            json_decref(key);
            key = value(c, K1S_T_STRING, NULL, 0, &ev, depth, f->name, &zero);
            if (!key)
                goto cleanup;
        } else if (num == 2) {
            json_decref(val);
            val = value(c, f->elem, f->type, flags, &ev, depth, f->name, &zero);
            if (!val)
                goto cleanup;
        }
    }
    if (!val && !(val = zero_value(c, f->elem)))
        goto cleanup;
    const char *k = key ? json_string_value(key) : "";
    size_t kn = key ? json_string_length(key) : 0;
    if (json_object_setn_new(map, k, kn, val) != 0) {
        val = NULL;
        k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
        goto cleanup;
    }
    val = NULL;
cleanup:
    json_decref(key);
    json_decref(val);
    return c->rc;
}

/* A field that is neither list nor map, set in obj (borrowed): nested
 * objects merge into what an earlier occurrence built (protobuf's rule);
 * scalars replace it, and Go's omitempty zero values remove it. */
static int decode_single(k1s__pb_ctx *c, const k1s_field *f, unsigned flags, const wire_val *w,
                         json_t *obj, int depth)
{
    if (f->kind == K1S_T_OBJECT) {
        if (w->wire != K1S__PB_LEN)
            return k1s__pb_fail(c, K1S_EINVAL,
                                "invalid protobuf: wrong wire type %u for "
                                "field \"%s\"",
                                w->wire, f->name);
        json_t *sub = container(c, obj, f->name, false);
        if (!sub)
            return c->rc;
        return decode_message(c, f->type, w->p, w->n, sub, 0, depth + 1);
    }
    bool zero;
    json_t *v = value(c, f->kind, f->type, flags, w, depth, f->name, &zero);
    if (!v)
        return c->rc;
    if (zero && !(flags & K1S_PB_KEEPZERO)) {
        json_decref(v);
        json_object_del(obj, f->name);
        return 0;
    }
    if (json_object_set_new(obj, f->name, v) != 0)
        return k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
    return 0;
}

/*
 * Decodes the message p[0..n) of type t into obj (borrowed, filled in
 * place). outer is 0 for t's own message, or the number of the inline
 * message of t being read (its fields are t's fields too).
 */
static int decode_message(k1s__pb_ctx *c, const k1s_type *t, const unsigned char *p, size_t n,
                          json_t *obj, int outer, int depth)
{
    if (depth > K1S_PROTOBUF_MAX_DEPTH)
        return k1s__pb_fail(c, K1S_ETOOLARGE, "protobuf object nested deeper than %d levels",
                            K1S_PROTOBUF_MAX_DEPTH);
    k1s__pb_reader r = {p, n, 0};
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        if (k1s__pb_key(&r, &num, &wire) != 0)
            return malformed(c, &r, "field key");
        wire_val w;
        if (read_wire(c, &r, wire, &w) != 0)
            return c->rc;
        if (outer == 0 && k1s_schema_pb_inline(t, (int)num)) {
            if (wire != K1S__PB_LEN)
                return k1s__pb_fail(c, K1S_EINVAL,
                                    "invalid protobuf: wrong wire type %u for "
                                    "field %" PRIu32 " of %s",
                                    wire, num, short_name(t));
            if (decode_message(c, t, w.p, w.n, obj, (int)num, depth + 1) != 0)
                return c->rc;
            continue;
        }
        const k1s_field *f = k1s_schema_field_by_pb(t, outer, (int)num);
        /* unknown numbers are newer fields: skipped, like kube's decoder;
         * opaque types have no layout we could read */
        if (!f || (f->kind == K1S_T_OBJECT && (!f->type || f->type->nfields == 0)))
            continue;
        unsigned flags = 0;
        k1s_schema_field_pb(f, NULL, &flags);
        int rc;
        if (f->kind == K1S_T_ARRAY)
            rc = decode_list(c, f, flags, &w, obj, depth);
        else if (f->kind == K1S_T_MAP)
            rc = decode_map_entry(c, f, flags, &w, obj, depth);
        else
            rc = decode_single(c, f, flags, &w, obj, depth);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Copies a short string field into buf (NUL-terminated); -1 if too long or
 * holding a NUL. */
static int copy_name(char *buf, const unsigned char *p, size_t n)
{
    if (n >= MAX_TYPE_NAME || memchr(p, '\0', n))
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

/* runtime.TypeMeta {1 apiVersion, 2 kind}. */
static int decode_type_meta(k1s__pb_ctx *c, const unsigned char *p, size_t n, char *api_version,
                            char *kind)
{
    k1s__pb_reader r = {p, n, 0};
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        wire_val w;
        if (k1s__pb_key(&r, &num, &wire) != 0)
            return malformed(c, &r, "typeMeta");
        if (read_wire(c, &r, wire, &w) != 0)
            return c->rc;
        if ((num == 1 || num == 2) && wire != K1S__PB_LEN)
            return malformed(c, &r, "typeMeta");
        if ((num == 1 && copy_name(api_version, w.p, w.n) != 0) ||
            (num == 2 && copy_name(kind, w.p, w.n) != 0))
            return k1s__pb_fail(c, K1S_EINVAL, "invalid protobuf: bad apiVersion or kind");
    }
    return 0;
}

/* A k8s\0-prefixed runtime.Unknown {1 typeMeta, 2 raw, 3 contentEncoding,
 * 4 contentType}; *out gets the new object (also on some errors: callers
 * release it). */
static int decode_unknown(k1s__pb_ctx *c, const unsigned char *p, size_t n, int depth, json_t **out)
{
    if (depth > K1S_PROTOBUF_MAX_DEPTH)
        return k1s__pb_fail(c, K1S_ETOOLARGE, "protobuf object nested deeper than %d levels",
                            K1S_PROTOBUF_MAX_DEPTH);
    if (n < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return k1s__pb_fail(c, K1S_EINVAL,
                            "invalid protobuf: the body does not start with "
                            "the k8s\\0 prefix");
    char api_version[MAX_TYPE_NAME] = "", kind[MAX_TYPE_NAME] = "";
    const unsigned char *raw = NULL;
    size_t rawn = 0;
    k1s__pb_reader r = {p + MAGIC_LEN, n - MAGIC_LEN, 0};
    while (r.pos < r.len) {
        uint32_t num;
        unsigned wire;
        wire_val w;
        if (k1s__pb_key(&r, &num, &wire) != 0)
            return malformed(c, &r, "envelope");
        if (read_wire(c, &r, wire, &w) != 0)
            return c->rc;
        if (num >= 1 && num <= 4 && wire != K1S__PB_LEN)
            return malformed(c, &r, "envelope");
        if (num == 1 && decode_type_meta(c, w.p, w.n, api_version, kind) != 0)
            return c->rc;
        if (num == 2) {
            raw = w.p;
            rawn = w.n;
        }
        if (num == 3 && w.n != 0)
            return k1s__pb_fail(c, K1S_EINVAL, "protobuf: content encodings are not supported");
        if (num == 4 && w.n != 0 &&
            (w.n != strlen(MEDIA_TYPE) || memcmp(w.p, MEDIA_TYPE, w.n) != 0))
            return k1s__pb_fail(c, K1S_EINVAL,
                                "protobuf: embedded content type %.*s is not "
                                "supported",
                                (int)(w.n > 64 ? 64 : w.n), (const char *)w.p);
    }
    if (!kind[0])
        return k1s__pb_fail(c, K1S_EINVAL, "Object 'Kind' is missing in protobuf body");
    if (!api_version[0])
        return k1s__pb_fail(c, K1S_EINVAL, "Object 'apiVersion' is missing in protobuf body");
    const k1s_type *t = k1s__pb_kind_type(api_version, kind);
    if (!t)
        return k1s__pb_fail(c, K1S_PROTOBUF_EKIND,
                            "no kind \"%s\" is registered for version \"%s\"", kind, api_version);
    json_t *obj = k1s__pb_node(c, json_object());
    if (!obj)
        return c->rc;
    *out = obj;
    json_t *jk = k1s__pb_node(c, json_string(kind));
    if (!jk || json_object_set_new(obj, "kind", jk) != 0)
        return k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
    json_t *jv = k1s__pb_node(c, json_string(api_version));
    if (!jv || json_object_set_new(obj, "apiVersion", jv) != 0)
        return k1s__pb_fail(c, K1S_ENOMEM, "out of memory");
    if (raw)
        return decode_message(c, t, raw, rawn, obj, 0, depth + 1);
    return 0;
}

bool k1s_protobuf_content_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strlen(MEDIA_TYPE);
    if (strncasecmp(ct, MEDIA_TYPE, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

int k1s_protobuf_decode(const char *buf, size_t len, json_t **out, char **err)
{
    if (err)
        *err = NULL;
    if (!out)
        return K1S_EINVAL;
    *out = NULL;
    k1s__pb_ctx c = {(const unsigned char *)(buf ? buf : ""), 0, 0, NULL};
    json_t *obj = NULL;
    int rc = decode_unknown(&c, c.base, buf ? len : 0, 0, &obj);
    if (rc == 0 && c.rc == 0) {
        *out = obj;
        return 0;
    }
    json_decref(obj);
    rc = c.rc ? c.rc : K1S_EINVAL;
    if (err)
        *err = c.err ? c.err : strdup(rc == K1S_ENOMEM ? "out of memory" : "invalid protobuf body");
    else
        free(c.err);
    return rc;
}
