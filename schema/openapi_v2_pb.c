/*
 * openapi_v2_pb.c - k1s_openapi_v2_protobuf: the Swagger 2.0 document of
 * k1s_openapi_v2 re-encoded as gnostic's openapi.v2.Document protobuf
 * message, the form kube-apiserver serves at /openapi/v2 when asked for
 * application/com.github.proto-openapi.spec.v2(.|@)v1.0+protobuf. kubectl
 * 1.27/1.28 read only that form before apply and explain.
 *
 * Field numbers are those of gnostic's published OpenAPIv2.proto. The
 * wire encoding is written here (varints, nested length-delimited
 * messages, into a capped k1s_buf) so that no protobuf library is
 * needed. Each message is described by a table of (JSON key, field
 * number, kind); the oneofs and name-keyed maps have small functions of
 * their own. JSON that gnostic has no field for is skipped.
 *
 * Vendor extensions and the free-form values (default, example, enum) go
 * into Any.yaml as JSON text: JSON is YAML, and every reader (kube-openapi's
 * proto models, kubectl's QueryParamVerifier) YAML-parses that text.
 * kube-apiserver writes block-style YAML there; the parsed values are equal.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_buf.h"
#include "k1s_err.h"
#include "k1s_schema_ext.h"

/* Whole document: far above the ~0.5 MB k1s produces, far below trouble. */
#define OAPB_MAX_OUT ((size_t)64 * 1024 * 1024)
/* Nesting of protobuf messages; every JSON schema level costs three
 * (Schema > Properties > NamedSchema), and kube's types nest < 20 deep. */
#define OAPB_MAX_DEPTH 200

/* ---- wire writer -------------------------------------------------------- */

/* The output (capped at OAPB_MAX_OUT: full means too large) and the first
 * failure that is not the buffer's own. Once either has failed every
 * later write is a no-op, so the first failure is the one reported. */
typedef struct pbw {
    k1s_buf b;
    int rc; /* 0, or the first K1S_E* outside the buffer */
} pbw;

/* Where an open nested message starts: its key, and its body. */
typedef struct pbw_mark {
    size_t key, body;
} pbw_mark;

static bool pbw_failed(const pbw *w)
{
    return w->rc || k1s_buf_failed(&w->b);
}

/* Records rc unless something failed before. */
static void pbw_fail(pbw *w, int rc)
{
    if (!pbw_failed(w))
        w->rc = rc;
}

/* The first failure as a K1S_E* code, or 0. */
static int pbw_rc(const pbw *w)
{
    if (w->rc)
        return w->rc;
    return w->b.full ? K1S_ETOOLARGE : w->b.oom ? K1S_ENOMEM : 0;
}

static size_t varint_bytes(uint64_t v, unsigned char out[10])
{
    size_t n = 0;
    do {
        out[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

static void pbw_put(pbw *w, const void *b, size_t n)
{
    if (!pbw_failed(w))
        k1s_buf_add(&w->b, b, n);
}

static void pbw_varint(pbw *w, uint64_t v)
{
    unsigned char b[10];
    pbw_put(w, b, varint_bytes(v, b));
}

/* Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited. */
static void pbw_key(pbw *w, unsigned num, unsigned wt)
{
    pbw_varint(w, ((uint64_t)num << 3) | wt);
}

static void pbw_bytes(pbw *w, unsigned num, const char *s, size_t n)
{
    pbw_key(w, num, 2);
    pbw_varint(w, n);
    pbw_put(w, s, n);
}

static void pbw_double(pbw *w, unsigned num, double d)
{
    uint64_t u;
    unsigned char b[8];
    memcpy(&u, &d, sizeof u);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    pbw_key(w, num, 1);
    pbw_put(w, b, 8);
}

static pbw_mark pbw_begin(pbw *w, unsigned num)
{
    pbw_mark m = {.key = w->b.len};
    pbw_key(w, num, 2);
    m.body = w->b.len;
    return m;
}

/* Close a nested message: its length goes in front of its body, now that
 * it is known. Each byte is moved once per enclosing message; the document
 * nests about ten deep, so this costs a few copies of the output. */
static void pbw_end(pbw *w, pbw_mark m)
{
    if (pbw_failed(w))
        return;
    unsigned char b[10];
    size_t n = varint_bytes(w->b.len - m.body, b);
    if (!k1s_buf_reserve(&w->b, n))
        return;
    char *body = w->b.p + m.body;
    memmove(body + n, body, w->b.len - m.body);
    memcpy(body, b, n);
    w->b.len += n;
    w->b.p[w->b.len] = 0;
}

/* Forget a message begun but found to have nothing to say. */
static void pbw_cancel(pbw *w, pbw_mark m)
{
    if (!pbw_failed(w))
        k1s_buf_truncate(&w->b, m.key);
}

/* ---- message tables ----------------------------------------------------- */

/* Writes the body of one message from v (borrowed); false: write nothing. */
typedef bool (*msg_fn)(pbw *w, const json_t *v, int depth);

enum fkind {
    F_STR,  /* string */
    F_BOOL, /* bool */
    F_INT,  /* int64 */
    F_DBL,  /* double */
    F_ANY,  /* Any{yaml} of any JSON value */
    F_STRS, /* repeated string */
    F_ANYS, /* repeated Any, one per array element */
    F_MSG,  /* message, body by fn */
    F_MSGS, /* repeated message, one per array element, body by fn */
    F_VEXT, /* repeated NamedAny of the object's own "x-" keys (key NULL) */
};

typedef struct fdesc {
    const char *key;
    unsigned char num;
    unsigned char kind;
    msg_fn fn;
} fdesc;

static bool fields(pbw *w, const json_t *obj, const fdesc *t, size_t n, unsigned base, int depth);
#define FIELDS(w, v, t, d) fields(w, v, t, sizeof t / sizeof t[0], 0, d)

static void put_string(pbw *w, unsigned num, const json_t *s)
{
    pbw_bytes(w, num, json_string_value(s), json_string_length(s));
}

/* The body of Any{yaml = 2}: v as one line of JSON, ended like a YAML
 * document. Always true. */
static bool any_body(pbw *w, const json_t *v, int depth)
{
    (void)depth;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(0));
    if (!text) {
        pbw_fail(w, K1S_ENOMEM);
        return true;
    }
    size_t n = strlen(text);
    pbw_key(w, 2, 2);
    pbw_varint(w, n + 1);
    pbw_put(w, text, n);
    pbw_put(w, "\n", 1);
    free(text);
    return true;
}

static void put_any(pbw *w, unsigned num, const json_t *v)
{
    pbw_mark m = pbw_begin(w, num);
    any_body(w, v, 0);
    pbw_end(w, m);
}

static bool nested(pbw *w, unsigned num, const json_t *v, msg_fn fn, int depth)
{
    if (depth >= OAPB_MAX_DEPTH) {
        pbw_fail(w, K1S_ETOOLARGE);
        return false;
    }
    pbw_mark m = pbw_begin(w, num);
    if (fn(w, v, depth + 1)) {
        pbw_end(w, m);
        return true;
    }
    pbw_cancel(w, m);
    return false;
}

/* NamedAny{name = 1, value = 2} for each "x-" key of obj. */
static void put_vext(pbw *w, unsigned num, const json_t *obj)
{
    const char *k;
    json_t *v; /* borrowed */
    json_object_foreach((json_t *)obj, k, v)
    {
        if (strncmp(k, "x-", 2) != 0)
            continue;
        pbw_mark m = pbw_begin(w, num);
        pbw_bytes(w, 1, k, strlen(k));
        put_any(w, 2, v);
        pbw_end(w, m);
    }
}

static void put_field(pbw *w, const fdesc *f, unsigned num, const json_t *v, int depth)
{
    size_t i;
    json_t *e; /* borrowed */
    switch (f->kind) {
    case F_STR:
        if (json_is_string(v) && json_string_length(v))
            put_string(w, num, v);
        break;
    case F_BOOL:
        if (json_is_true(v)) {
            pbw_key(w, num, 0);
            pbw_varint(w, 1);
        }
        break;
    case F_INT:
        if (json_is_integer(v) && json_integer_value(v)) {
            pbw_key(w, num, 0);
            pbw_varint(w, (uint64_t)json_integer_value(v));
        }
        break;
    case F_DBL:
        if (json_is_number(v) && json_number_value(v) != 0)
            pbw_double(w, num, json_number_value(v));
        break;
    case F_ANY:
        put_any(w, num, v);
        break;
    case F_STRS:
        json_array_foreach(v, i, e) if (json_is_string(e)) put_string(w, num, e);
        break;
    case F_ANYS:
        json_array_foreach(v, i, e) put_any(w, num, e);
        break;
    case F_MSG:
        nested(w, num, v, f->fn, depth);
        break;
    case F_MSGS:
        json_array_foreach(v, i, e) nested(w, num, e, f->fn, depth);
        break;
    default:
        break;
    }
}

/* Write obj's fields in table order (ascending numbers, as Go writes
 * them); base is added to every number (see prim_block). False when obj is
 * not an object, which gnostic would reject: the message is left out. An
 * object without known keys is still a present (empty) message. */
static bool fields(pbw *w, const json_t *obj, const fdesc *t, size_t n, unsigned base, int depth)
{
    if (!json_is_object(obj))
        return false;
    for (size_t i = 0; i < n && !pbw_failed(w); i++) {
        if (t[i].kind == F_VEXT) {
            put_vext(w, base + t[i].num, obj);
            continue;
        }
        const json_t *v = json_object_get(obj, t[i].key); /* borrowed */
        if (v)
            put_field(w, &t[i], base + t[i].num, v, depth);
    }
    return true;
}

/* name-keyed maps: Named*{name = 1, value = 2} under field num, one per key
 * that keep() accepts (NULL: every key) and whose value fn can write. */
static void named_map(pbw *w, unsigned num, const json_t *obj, msg_fn fn,
                      bool (*keep)(const char *k), int depth)
{
    const char *k;
    json_t *v; /* borrowed */
    if (depth >= OAPB_MAX_DEPTH) {
        pbw_fail(w, K1S_ETOOLARGE);
        return;
    }
    json_object_foreach((json_t *)obj, k, v)
    {
        if (pbw_failed(w))
            return;
        if (keep && !keep(k))
            continue;
        pbw_mark m = pbw_begin(w, num);
        pbw_bytes(w, 1, k, strlen(k));
        if (nested(w, 2, v, fn, depth + 1))
            pbw_end(w, m);
        else
            pbw_cancel(w, m);
    }
}

static bool not_vext(const char *k)
{
    return strncmp(k, "x-", 2) != 0;
}

static bool is_path(const char *k)
{
    return k[0] == '/';
}

/* ---- small messages ----------------------------------------------------- */

static bool external_docs(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"description", 1, F_STR, NULL}, {"url", 2, F_STR, NULL}, {NULL, 3, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool json_reference(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"$ref", 1, F_STR, NULL}, {"description", 2, F_STR, NULL}};
    return FIELDS(w, v, t, d);
}

static bool contact(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"name", 1, F_STR, NULL},
                              {"url", 2, F_STR, NULL},
                              {"email", 3, F_STR, NULL},
                              {NULL, 4, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool license(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"name", 1, F_STR, NULL}, {"url", 2, F_STR, NULL}, {NULL, 3, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool info(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"title", 1, F_STR, NULL},       {"version", 2, F_STR, NULL},
                              {"description", 3, F_STR, NULL}, {"termsOfService", 4, F_STR, NULL},
                              {"contact", 5, F_MSG, contact},  {"license", 6, F_MSG, license},
                              {NULL, 7, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool tag(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"name", 1, F_STR, NULL},
                              {"description", 2, F_STR, NULL},
                              {"externalDocs", 3, F_MSG, external_docs},
                              {NULL, 4, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool xml(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"name", 1, F_STR, NULL},     {"namespace", 2, F_STR, NULL},
                              {"prefix", 3, F_STR, NULL},   {"attribute", 4, F_BOOL, NULL},
                              {"wrapped", 5, F_BOOL, NULL}, {NULL, 6, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

/* ---- Schema ------------------------------------------------------------- */

static bool schema(pbw *w, const json_t *v, int d);

/* TypeItem{repeated value = 1}: "type" is a string or a list of them. */
static bool type_item(pbw *w, const json_t *v, int d)
{
    (void)d;
    if (json_is_string(v)) {
        put_string(w, 1, v);
        return true;
    }
    size_t i;
    json_t *e; /* borrowed */
    json_array_foreach(v, i, e) if (json_is_string(e)) put_string(w, 1, e);
    return json_is_array(v);
}

/* ItemsItem{repeated Schema schema = 1}: one schema, or a tuple of them. */
static bool items_item(pbw *w, const json_t *v, int d)
{
    if (json_is_object(v))
        return nested(w, 1, v, schema, d);
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e; /* borrowed */
    json_array_foreach(v, i, e) nested(w, 1, e, schema, d);
    return true;
}

/* AdditionalPropertiesItem: oneof {Schema schema = 1; bool boolean = 2}. A
 * false is written: in a oneof, presence is the message. */
static bool additional_properties(pbw *w, const json_t *v, int d)
{
    if (json_is_boolean(v)) {
        pbw_key(w, 2, 0);
        pbw_varint(w, json_is_true(v));
        return true;
    }
    if (json_is_object(v))
        return nested(w, 1, v, schema, d);
    return false;
}

/* Properties{repeated NamedSchema additional_properties = 1}. */
static bool properties(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, schema, NULL, d);
    return true;
}

static bool schema(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"$ref", 1, F_STR, NULL},
        {"format", 2, F_STR, NULL},
        {"title", 3, F_STR, NULL},
        {"description", 4, F_STR, NULL},
        {"default", 5, F_ANY, NULL},
        {"multipleOf", 6, F_DBL, NULL},
        {"maximum", 7, F_DBL, NULL},
        {"exclusiveMaximum", 8, F_BOOL, NULL},
        {"minimum", 9, F_DBL, NULL},
        {"exclusiveMinimum", 10, F_BOOL, NULL},
        {"maxLength", 11, F_INT, NULL},
        {"minLength", 12, F_INT, NULL},
        {"pattern", 13, F_STR, NULL},
        {"maxItems", 14, F_INT, NULL},
        {"minItems", 15, F_INT, NULL},
        {"uniqueItems", 16, F_BOOL, NULL},
        {"maxProperties", 17, F_INT, NULL},
        {"minProperties", 18, F_INT, NULL},
        {"required", 19, F_STRS, NULL},
        {"enum", 20, F_ANYS, NULL},
        {"additionalProperties", 21, F_MSG, additional_properties},
        {"type", 22, F_MSG, type_item},
        {"items", 23, F_MSG, items_item},
        {"allOf", 24, F_MSGS, schema},
        {"properties", 25, F_MSG, properties},
        {"discriminator", 26, F_STR, NULL},
        {"readOnly", 27, F_BOOL, NULL},
        {"xml", 28, F_MSG, xml},
        {"externalDocs", 29, F_MSG, external_docs},
        {"example", 30, F_ANY, NULL},
        {NULL, 31, F_VEXT, NULL},
    };
    return FIELDS(w, v, t, d);
}

static bool file_schema(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"format", 1, F_STR, NULL},      {"title", 2, F_STR, NULL},
        {"description", 3, F_STR, NULL}, {"default", 4, F_ANY, NULL},
        {"required", 5, F_STRS, NULL},   {"type", 6, F_STR, NULL},
        {"readOnly", 7, F_BOOL, NULL},   {"externalDocs", 8, F_MSG, external_docs},
        {"example", 9, F_ANY, NULL},     {NULL, 10, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

/* SchemaItem: oneof {Schema schema = 1; FileSchema file_schema = 2}. */
static bool schema_item(pbw *w, const json_t *v, int d)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    if (type && !strcmp(type, "file"))
        return nested(w, 2, v, file_schema, d);
    return nested(w, 1, v, schema, d);
}

/* ---- parameters --------------------------------------------------------- */

static bool primitives_items(pbw *w, const json_t *v, int d);

/* The validation keywords non-body parameters, PrimitivesItems and Header
 * share, numbered 1..17 from their start; each message places the block at
 * its own offset. */
static const fdesc prim_block[] = {
    {"type", 1, F_STR, NULL},
    {"format", 2, F_STR, NULL},
    {"items", 3, F_MSG, primitives_items},
    {"collectionFormat", 4, F_STR, NULL},
    {"default", 5, F_ANY, NULL},
    {"maximum", 6, F_DBL, NULL},
    {"exclusiveMaximum", 7, F_BOOL, NULL},
    {"minimum", 8, F_DBL, NULL},
    {"exclusiveMinimum", 9, F_BOOL, NULL},
    {"maxLength", 10, F_INT, NULL},
    {"minLength", 11, F_INT, NULL},
    {"pattern", 12, F_STR, NULL},
    {"maxItems", 13, F_INT, NULL},
    {"minItems", 14, F_INT, NULL},
    {"uniqueItems", 15, F_BOOL, NULL},
    {"enum", 16, F_ANYS, NULL},
    {"multipleOf", 17, F_DBL, NULL},
};
#define PRIM_N (sizeof prim_block / sizeof prim_block[0])

static const fdesc vext_only[] = {{NULL, 0, F_VEXT, NULL}};

static bool primitives_items(pbw *w, const json_t *v, int d)
{
    fields(w, v, prim_block, PRIM_N, 0, d);
    return fields(w, v, vext_only, 1, 18, d);
}

/* Header (a response header): the block at 1, description 18. */
static bool header(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"description", 18, F_STR, NULL}, {NULL, 19, F_VEXT, NULL}};
    fields(w, v, prim_block, PRIM_N, 0, d);
    return FIELDS(w, v, t, d);
}

/* Header and path parameters: required, in, description, name, then the
 * block at 5. Query and formData ones add allowEmptyValue at 5 and shift
 * the rest by one. */
static bool nonbody_sub(pbw *w, const json_t *v, bool allow_empty, int d)
{
    static const fdesc head[] = {{"required", 1, F_BOOL, NULL},
                                 {"in", 2, F_STR, NULL},
                                 {"description", 3, F_STR, NULL},
                                 {"name", 4, F_STR, NULL},
                                 {"allowEmptyValue", 5, F_BOOL, NULL}};
    unsigned base = allow_empty ? 5 : 4;
    fields(w, v, head, allow_empty ? 5 : 4, 0, d);
    fields(w, v, prim_block, PRIM_N, base, d);
    return fields(w, v, vext_only, 1, base + PRIM_N + 1, d);
}

static bool query_like_param(pbw *w, const json_t *v, int d)
{
    return nonbody_sub(w, v, true, d);
}

static bool header_like_param(pbw *w, const json_t *v, int d)
{
    return nonbody_sub(w, v, false, d);
}

/* NonBodyParameter: oneof {header 1, formData 2, query 3, path 4}. */
static bool nonbody_param(pbw *w, const json_t *v, int d)
{
    const char *in = json_string_value(json_object_get(v, "in"));
    if (!in)
        return false;
    if (!strcmp(in, "header"))
        return nested(w, 1, v, header_like_param, d);
    if (!strcmp(in, "formData"))
        return nested(w, 2, v, query_like_param, d);
    if (!strcmp(in, "query"))
        return nested(w, 3, v, query_like_param, d);
    if (!strcmp(in, "path"))
        return nested(w, 4, v, header_like_param, d);
    return false;
}

static bool body_param(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"description", 1, F_STR, NULL}, {"name", 2, F_STR, NULL},
                              {"in", 3, F_STR, NULL},          {"required", 4, F_BOOL, NULL},
                              {"schema", 5, F_MSG, schema},    {NULL, 6, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

/* Parameter: oneof {BodyParameter 1; NonBodyParameter 2}. */
static bool parameter(pbw *w, const json_t *v, int d)
{
    const char *in = json_string_value(json_object_get(v, "in"));
    if (!json_is_object(v) || !in)
        return false;
    if (!strcmp(in, "body"))
        return nested(w, 1, v, body_param, d);
    return nested(w, 2, v, nonbody_param, d);
}

/* ParametersItem: oneof {Parameter 1; JsonReference 2}. */
static bool parameters_item(pbw *w, const json_t *v, int d)
{
    if (json_is_string(json_object_get(v, "$ref")))
        return nested(w, 2, v, json_reference, d);
    return nested(w, 1, v, parameter, d);
}

/* ---- responses ---------------------------------------------------------- */

static bool headers(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, header, NULL, d);
    return true;
}

static bool examples(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, any_body, NULL, d);
    return true;
}

static bool response(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"description", 1, F_STR, NULL},
                              {"schema", 2, F_MSG, schema_item},
                              {"headers", 3, F_MSG, headers},
                              {"examples", 4, F_MSG, examples},
                              {NULL, 5, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

/* ResponseValue: oneof {Response 1; JsonReference 2}. */
static bool response_value(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    if (json_is_string(json_object_get(v, "$ref")))
        return nested(w, 2, v, json_reference, d);
    return nested(w, 1, v, response, d);
}

/* Responses{repeated NamedResponseValue response_code = 1; vext = 2}. */
static bool responses(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, response_value, not_vext, d);
    put_vext(w, 2, v);
    return true;
}

/* ---- security ----------------------------------------------------------- */

static bool string_array(pbw *w, const json_t *v, int d)
{
    (void)d;
    size_t i;
    json_t *e; /* borrowed */
    json_array_foreach(v, i, e) if (json_is_string(e)) put_string(w, 1, e);
    return json_is_array(v);
}

/* SecurityRequirement{repeated NamedStringArray additional_properties = 1}. */
static bool security_requirement(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, string_array, NULL, d);
    return true;
}

static bool basic_security(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"type", 1, F_STR, NULL}, {"description", 2, F_STR, NULL}, {NULL, 3, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

static bool api_key_security(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {{"type", 1, F_STR, NULL},
                              {"name", 2, F_STR, NULL},
                              {"in", 3, F_STR, NULL},
                              {"description", 4, F_STR, NULL},
                              {NULL, 5, F_VEXT, NULL}};
    return FIELDS(w, v, t, d);
}

/* SecurityDefinitionsItem: oneof by "type"; OAuth2 flows are not written
 * (k1s serves only a bearer-token apiKey scheme). */
static bool security_item(pbw *w, const json_t *v, int d)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!type)
        return false;
    if (!strcmp(type, "basic"))
        return nested(w, 1, v, basic_security, d);
    if (!strcmp(type, "apiKey"))
        return nested(w, 2, v, api_key_security, d);
    return false;
}

/* ---- paths and the document --------------------------------------------- */

static bool operation(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"tags", 1, F_STRS, NULL},          {"summary", 2, F_STR, NULL},
        {"description", 3, F_STR, NULL},    {"externalDocs", 4, F_MSG, external_docs},
        {"operationId", 5, F_STR, NULL},    {"produces", 6, F_STRS, NULL},
        {"consumes", 7, F_STRS, NULL},      {"parameters", 8, F_MSGS, parameters_item},
        {"responses", 9, F_MSG, responses}, {"schemes", 10, F_STRS, NULL},
        {"deprecated", 11, F_BOOL, NULL},   {"security", 12, F_MSGS, security_requirement},
        {NULL, 13, F_VEXT, NULL},
    };
    return FIELDS(w, v, t, d);
}

static bool path_item(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"$ref", 1, F_STR, NULL},
        {"get", 2, F_MSG, operation},
        {"put", 3, F_MSG, operation},
        {"post", 4, F_MSG, operation},
        {"delete", 5, F_MSG, operation},
        {"options", 6, F_MSG, operation},
        {"head", 7, F_MSG, operation},
        {"patch", 8, F_MSG, operation},
        {"parameters", 9, F_MSGS, parameters_item},
        {NULL, 10, F_VEXT, NULL},
    };
    return FIELDS(w, v, t, d);
}

/* Paths{repeated NamedAny vendor_extension = 1; NamedPathItem path = 2}. */
static bool paths(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    put_vext(w, 1, v);
    named_map(w, 2, v, path_item, is_path, d);
    return true;
}

/* Definitions, ParameterDefinitions, ResponseDefinitions,
 * SecurityDefinitions: all {repeated Named* additional_properties = 1}. */
static bool definitions(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, schema, NULL, d);
    return true;
}

static bool parameter_definitions(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, parameter, NULL, d);
    return true;
}

static bool response_definitions(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, response, NULL, d);
    return true;
}

static bool security_definitions(pbw *w, const json_t *v, int d)
{
    if (!json_is_object(v))
        return false;
    named_map(w, 1, v, security_item, NULL, d);
    return true;
}

static bool document(pbw *w, const json_t *v, int d)
{
    static const fdesc t[] = {
        {"swagger", 1, F_STR, NULL},
        {"info", 2, F_MSG, info},
        {"host", 3, F_STR, NULL},
        {"basePath", 4, F_STR, NULL},
        {"schemes", 5, F_STRS, NULL},
        {"consumes", 6, F_STRS, NULL},
        {"produces", 7, F_STRS, NULL},
        {"paths", 8, F_MSG, paths},
        {"definitions", 9, F_MSG, definitions},
        {"parameters", 10, F_MSG, parameter_definitions},
        {"responses", 11, F_MSG, response_definitions},
        {"security", 12, F_MSGS, security_requirement},
        {"securityDefinitions", 13, F_MSG, security_definitions},
        {"tags", 14, F_MSGS, tag},
        {"externalDocs", 15, F_MSG, external_docs},
        {NULL, 16, F_VEXT, NULL},
    };
    return FIELDS(w, v, t, d);
}

int k1s_openapi_v2_protobuf(const json_t *swagger, unsigned char **out, size_t *len)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!json_is_object(swagger) || !out || !len)
        return K1S_EINVAL;
    pbw w = {.b.max = OAPB_MAX_OUT};
    document(&w, swagger, 0);
    int rc = pbw_rc(&w);
    if (rc) {
        k1s_buf_free(&w.b);
        return rc;
    }
    /* a non-NULL buffer even for an empty document */
    *out = (unsigned char *)k1s_buf_take(&w.b, len);
    return *out ? 0 : K1S_ENOMEM;
}
