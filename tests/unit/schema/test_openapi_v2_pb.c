/*
 * test_openapi_v2_pb.c - k1s_openapi_v2_protobuf: exact bytes for small
 * hand-made documents (varints, nesting, oneof presence, parameter
 * numbering), and the served document read back with a small protobuf
 * reader written here: every definition decodes to the JSON it came from,
 * every PATCH operation carries the fieldValidation query parameter
 * kubectl 1.27 looks for, and hostile input fails cleanly.
 */
#include <stdint.h>
#include <string.h>

#include "k1s_schema.h"
#include "k1s_schema_ext.h"
#include "k1s_test.h"

/* ---- a tiny protobuf reader -------------------------------------------- */

typedef struct span {
    const unsigned char *p;
    size_t n;
} span;

static int rd_varint(span *s, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (!s->n)
            return -1;
        unsigned char b = *s->p++;
        s->n--;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Next field of s: 1 and its number, wire type, varint value or payload; 0
 * at the end; -1 on malformed bytes (counted as a failure by callers). */
static int next_field(span *s, unsigned *num, unsigned *wt, uint64_t *v, span *sub)
{
    uint64_t key;
    if (!s->n)
        return 0;
    if (rd_varint(s, &key) < 0)
        return -1;
    *num = (unsigned)(key >> 3);
    *wt = (unsigned)(key & 7);
    sub->p = NULL;
    sub->n = 0;
    switch (*wt) {
    case 0:
        return rd_varint(s, v) < 0 ? -1 : 1;
    case 1:
        if (s->n < 8)
            return -1;
        sub->p = s->p;
        sub->n = 8;
        s->p += 8;
        s->n -= 8;
        return 1;
    case 2:
        if (rd_varint(s, v) < 0 || *v > s->n)
            return -1;
        sub->p = s->p;
        sub->n = (size_t)*v;
        s->p += *v;
        s->n -= (size_t)*v;
        return 1;
    default:
        return -1;
    }
}

/* The idx-th length-delimited field numbered num in msg. */
static int get_field(span msg, unsigned num, int idx, span *out)
{
    unsigned n, wt;
    uint64_t v;
    span sub;
    int rc;
    while ((rc = next_field(&msg, &n, &wt, &v, &sub)) == 1)
        if (n == num && wt == 2 && idx-- == 0) {
            *out = sub;
            return 0;
        }
    return -1;
}

static char *dup_span(span s)
{
    char *t = malloc(s.n + 1);
    if (t) {
        memcpy(t, s.p, s.n);
        t[s.n] = 0;
    }
    return t;
}

static bool span_is(span s, const char *str)
{
    return s.n == strlen(str) && memcmp(s.p, str, s.n) == 0;
}

/* ---- Schema back to JSON ------------------------------------------------ */

static int malformed;

static json_t *decode_schema(span s, int depth);

/* Any.yaml (field 2), which k1s writes as JSON; new reference. */
static json_t *decode_any(span s)
{
    span y;
    if (get_field(s, 2, 0, &y) < 0 || !y.n || y.p[y.n - 1] != '\n') {
        malformed++;
        return json_null();
    }
    json_t *v = json_loadb((const char *)y.p, y.n, JSON_DECODE_ANY, NULL);
    if (!v) {
        malformed++;
        return json_null();
    }
    return v;
}

/* Named* pairs of msg's field num as a JSON object (values by fn). */
static json_t *decode_named(span msg, unsigned num, int depth, json_t *(*fn)(span, int))
{
    json_t *o = json_object();
    span pair;
    for (int i = 0; get_field(msg, num, i, &pair) == 0; i++) {
        span name, val;
        if (get_field(pair, 1, 0, &name) < 0 || get_field(pair, 2, 0, &val) < 0) {
            malformed++;
            continue;
        }
        char *k = dup_span(name);
        json_object_set_new(o, k, fn(val, depth + 1));
        free(k);
    }
    return o;
}

/* Covers the keywords k1s's definitions use; others count as malformed so
 * that a new keyword makes this test speak up. */
static json_t *decode_schema(span s, int depth)
{
    json_t *o = json_object();
    json_t *req = NULL, *types = NULL;
    span it = s, sub;
    unsigned num, wt;
    uint64_t v;
    int rc;
    if (depth > 50) {
        malformed++;
        return o;
    }
    while ((rc = next_field(&it, &num, &wt, &v, &sub)) == 1) {
        char *str = wt == 2 ? dup_span(sub) : NULL;
        switch (num) {
        case 1:
            json_object_set_new(o, "$ref", json_string(str));
            break;
        case 2:
            json_object_set_new(o, "format", json_string(str));
            break;
        case 4:
            json_object_set_new(o, "description", json_string(str));
            break;
        case 19:
            if (!req)
                req = json_array();
            json_array_append_new(req, json_string(str));
            break;
        case 21: {
            span ap = sub, inner;
            unsigned n2, wt2;
            uint64_t v2;
            if (next_field(&ap, &n2, &wt2, &v2, &inner) != 1)
                malformed++;
            else if (n2 == 1)
                json_object_set_new(o, "additionalProperties", decode_schema(inner, depth + 1));
            else if (n2 == 2 && wt2 == 0)
                json_object_set_new(o, "additionalProperties", json_boolean(v2));
            else
                malformed++;
            break;
        }
        case 22: {
            span t;
            types = json_array();
            for (int i = 0; get_field(sub, 1, i, &t) == 0; i++) {
                char *ts = dup_span(t);
                json_array_append_new(types, json_string(ts));
                free(ts);
            }
            break;
        }
        case 23: {
            span one;
            if (get_field(sub, 1, 0, &one) < 0 || get_field(sub, 1, 1, &one) == 0)
                malformed++; /* k1s never writes tuples */
            else
                json_object_set_new(o, "items", decode_schema(one, depth + 1));
            break;
        }
        case 25:
            json_object_set_new(o, "properties", decode_named(sub, 1, depth, decode_schema));
            break;
        case 31: {
            span name, val;
            if (get_field(sub, 1, 0, &name) < 0 || get_field(sub, 2, 0, &val) < 0) {
                malformed++;
                break;
            }
            char *k = dup_span(name);
            json_object_set_new(o, k, decode_any(val));
            free(k);
            break;
        }
        default:
            malformed++;
        }
        free(str);
    }
    if (rc < 0)
        malformed++;
    if (req)
        json_object_set_new(o, "required", req);
    if (types) {
        if (json_array_size(types) == 1)
            json_object_set(o, "type", json_array_get(types, 0));
        else
            json_object_set(o, "type", types);
        json_decref(types);
    }
    return o;
}

/* ---- hand-made documents ----------------------------------------------- */

static int encode(const char *json_text, unsigned char **out, size_t *len)
{
    json_t *doc = json_loads(json_text, 0, NULL);
    CHECK(doc != NULL);
    int rc = k1s_openapi_v2_protobuf(doc, out, len);
    json_decref(doc);
    return rc;
}

static bool bytes_are(const unsigned char *p, size_t n, const char *expect, size_t en)
{
    if (n != en || memcmp(p, expect, n) != 0) {
        fprintf(stderr, "got %zu bytes:", n);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02x", p[i]);
        fprintf(stderr, "\n");
        return false;
    }
    return true;
}
#define BYTES_ARE(p, n, lit) bytes_are(p, n, lit, sizeof lit - 1)

TEST(test_swagger_version_and_info)
{
    unsigned char *b;
    size_t n;
    CHECK_INT(encode("{\"swagger\":\"2.0\",\"info\":{\"title\":\"K\",\"version\":\"v\"}}", &b, &n),
              0);
    /* 1: "2.0"; 2: Info{1: "K", 2: "v"} */
    CHECK(BYTES_ARE(b, n,
                    "\x0a\x03"
                    "2.0"
                    "\x12\x06\x0a\x01K\x12\x01v"));
    free(b);
}

TEST(test_empty_document_is_empty_message)
{
    unsigned char *b = NULL;
    size_t n = 99;
    CHECK_INT(encode("{}", &b, &n), 0);
    CHECK(b != NULL);
    CHECK_INT(n, 0);
    free(b);
}

TEST(test_vendor_extension_is_named_any_yaml)
{
    unsigned char *b;
    size_t n;
    CHECK_INT(encode("{\"x-k\":{\"a\":1},\"y\":2}", &b, &n), 0);
    /* 16: NamedAny{1: "x-k", 2: Any{2: "{\"a\": 1}\n"}}; "y" is skipped */
    CHECK(BYTES_ARE(b, n, "\x82\x01\x12\x0a\x03x-k\x12\x0b\x12\x09{\"a\": 1}\n"));
    free(b);
}

TEST(test_additional_properties_false_is_written)
{
    unsigned char *b;
    size_t n;
    CHECK_INT(encode("{\"definitions\":{\"A\":{\"additionalProperties\":false}}}", &b, &n), 0);
    /* 9: Definitions{1: NamedSchema{1: "A", 2: Schema{21: {2: false}}}} */
    CHECK(BYTES_ARE(b, n,
                    "\x4a\x0c\x0a\x0a\x0a\x01"
                    "A"
                    "\x12\x05\xaa\x01\x02\x10\x00"));
    free(b);
}

TEST(test_numbers_and_long_strings)
{
    unsigned char *b;
    size_t n;
    char desc[301];
    memset(desc, 'd', 300);
    desc[300] = 0;
    char doc[512];
    snprintf(doc, sizeof doc,
             "{\"definitions\":{\"N\":{\"minLength\":-1,\"maximum\":1.5,"
             "\"description\":\"%s\"}}}",
             desc);
    CHECK_INT(encode(doc, &b, &n), 0);
    span all = {b, n}, defs, named, sch, d;
    CHECK_INT(get_field(all, 9, 0, &defs), 0);
    CHECK_INT(get_field(defs, 1, 0, &named), 0);
    CHECK_INT(get_field(named, 2, 0, &sch), 0);
    CHECK_INT(get_field(sch, 4, 0, &d), 0);
    CHECK_INT(d.n, 300);
    /* fields in number order: description 4, maximum 7 (fixed64), minLength
     * 12 (negative: ten-byte varint) */
    span it = sch, sub;
    unsigned num, wt;
    uint64_t v;
    CHECK_INT(next_field(&it, &num, &wt, &v, &sub), 1);
    CHECK_INT(num, 4);
    CHECK_INT(next_field(&it, &num, &wt, &v, &sub), 1);
    CHECK_INT(num, 7);
    CHECK_INT(wt, 1);
    CHECK(sub.n == 8 && !memcmp(sub.p, "\x00\x00\x00\x00\x00\x00\xf8\x3f", 8));
    const unsigned char *before = it.p;
    CHECK_INT(next_field(&it, &num, &wt, &v, &sub), 1);
    CHECK_INT(num, 12);
    CHECK_INT((int64_t)v, -1);
    CHECK_INT(it.p - before, 11); /* key + 10 bytes */
    CHECK_INT(it.n, 0);
    free(b);
}

TEST(test_parameter_kinds_and_numbering)
{
    unsigned char *b;
    size_t n;
    CHECK_INT(encode("{\"paths\":{\"/p\":{\"parameters\":["
                     "{\"in\":\"path\",\"name\":\"a\",\"type\":\"string\",\"x-v\":1},"
                     "{\"in\":\"query\",\"name\":\"b\",\"type\":\"string\",\"x-v\":1},"
                     "{\"in\":\"body\",\"name\":\"c\",\"schema\":{\"$ref\":\"#/r\"}},"
                     "{\"$ref\":\"#/parameters/d\"},"
                     "{\"in\":\"nowhere\",\"name\":\"e\"}]},"
                     "\"x-p\":true,\"nopath\":{}}}",
                     &b, &n),
              0);
    span all = {b, n}, paths, np, pi, item, p, nb, sub, f, x;
    CHECK_INT(get_field(all, 8, 0, &paths), 0);
    CHECK_INT(get_field(paths, 1, 0, &x), 0);   /* Paths vendor extension */
    CHECK_INT(get_field(paths, 2, 1, &np), -1); /* only "/p" is a path */
    CHECK_INT(get_field(paths, 2, 0, &np), 0);
    CHECK_INT(get_field(np, 2, 0, &pi), 0);
    CHECK_INT(get_field(pi, 9, 4, &item), -1); /* in: nowhere is dropped */
    /* path parameter: NonBody 4, type at 5, extension at 22 */
    CHECK_INT(get_field(pi, 9, 0, &item), 0);
    CHECK_INT(get_field(item, 1, 0, &p), 0);
    CHECK_INT(get_field(p, 2, 0, &nb), 0);
    CHECK_INT(get_field(nb, 4, 0, &sub), 0);
    CHECK(get_field(sub, 4, 0, &f) == 0 && span_is(f, "a"));
    CHECK(get_field(sub, 5, 0, &f) == 0 && span_is(f, "string"));
    CHECK_INT(get_field(sub, 22, 0, &f), 0);
    /* query parameter: NonBody 3, type at 6, extension at 23 */
    CHECK_INT(get_field(pi, 9, 1, &item), 0);
    CHECK_INT(get_field(item, 1, 0, &p), 0);
    CHECK_INT(get_field(p, 2, 0, &nb), 0);
    CHECK_INT(get_field(nb, 3, 0, &sub), 0);
    CHECK(get_field(sub, 4, 0, &f) == 0 && span_is(f, "b"));
    CHECK(get_field(sub, 6, 0, &f) == 0 && span_is(f, "string"));
    CHECK_INT(get_field(sub, 23, 0, &f), 0);
    /* body parameter: Parameter 1, schema 5 */
    CHECK_INT(get_field(pi, 9, 2, &item), 0);
    CHECK_INT(get_field(item, 1, 0, &p), 0);
    CHECK_INT(get_field(p, 1, 0, &sub), 0);
    CHECK_INT(get_field(sub, 5, 0, &f), 0);
    CHECK(get_field(f, 1, 0, &x) == 0 && span_is(x, "#/r"));
    /* reference: ParametersItem 2 */
    CHECK_INT(get_field(pi, 9, 3, &item), 0);
    CHECK_INT(get_field(item, 2, 0, &p), 0);
    CHECK(get_field(p, 1, 0, &f) == 0 && span_is(f, "#/parameters/d"));
    free(b);
}

TEST(test_bad_input)
{
    unsigned char *b = (unsigned char *)"x";
    size_t n = 5;
    json_t *arr = json_array();
    CHECK_INT(k1s_openapi_v2_protobuf(arr, &b, &n), K1S_EINVAL);
    CHECK(b == NULL);
    CHECK_INT(n, 0);
    CHECK_INT(k1s_openapi_v2_protobuf(NULL, &b, &n), K1S_EINVAL);
    json_t *obj = json_object();
    CHECK_INT(k1s_openapi_v2_protobuf(obj, NULL, &n), K1S_EINVAL);
    json_decref(arr);
    json_decref(obj);

    /* values of the wrong JSON type are left out, not written empty */
    CHECK_INT(encode("{\"info\":\"x\",\"definitions\":{\"A\":5,\"B\":{}}}", &b, &n), 0);
    /* 9: Definitions{1: NamedSchema{1: "B", 2: Schema{}}} */
    CHECK(BYTES_ARE(b, n,
                    "\x4a\x07\x0a\x05\x0a\x01"
                    "B"
                    "\x12\x00"));
    free(b);

    /* 1000 nested schemas: refused, not a stack overflow */
    json_t *s = json_object();
    for (int i = 0; i < 1000; i++)
        s = json_pack("{s:o}", "items", s);
    json_t *doc = json_pack("{s:{s:o}}", "definitions", "Deep", s);
    CHECK_INT(k1s_openapi_v2_protobuf(doc, &b, &n), K1S_ETOOLARGE);
    CHECK(b == NULL);
    json_decref(doc);
}

/* ---- the served document ------------------------------------------------ */

static const k1s_openapi_resource served[] = {
    {"", "v1", "ConfigMap", "configmaps", true, false, false, "ConfigMapList"},
    {"apps", "v1", "StatefulSet", "statefulsets", true, true, true, "StatefulSetList"},
    {"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, false, false,
     "StorageClassList"},
};

TEST(test_served_document_round_trips)
{
    json_t *doc = k1s_openapi_v2(served, sizeof served / sizeof served[0]);
    CHECK(doc != NULL);
    if (!doc)
        return;
    unsigned char *b;
    size_t n;
    CHECK_INT(k1s_openapi_v2_protobuf(doc, &b, &n), 0);
    span all = {b, n}, f, defs;

    CHECK(get_field(all, 1, 0, &f) == 0 && span_is(f, "2.0"));

    /* every definition decodes back to its JSON */
    json_t *want = json_object_get(doc, "definitions"); /* borrowed */
    CHECK(json_object_size(want) > 50);
    CHECK_INT(get_field(all, 9, 0, &defs), 0);
    malformed = 0;
    json_t *got = decode_named(defs, 1, 0, decode_schema);
    CHECK_INT(malformed, 0);
    CHECK_INT(json_object_size(got), json_object_size(want));
    const char *k;
    json_t *v; /* borrowed */
    size_t bad = 0;
    json_object_foreach(want, k, v)
    {
        if (!json_equal(v, json_object_get(got, k)) && bad++ < 3)
            fprintf(stderr, "definition %s differs\n", k);
    }
    CHECK_INT(bad, 0);
    json_decref(got);

    /* kubectl 1.27's QueryParamVerifier: the PATCH of each resource path
     * has the fieldValidation query parameter and the GVK extension */
    span paths, np;
    CHECK_INT(get_field(all, 8, 0, &paths), 0);
    int patches = 0, with_fv = 0, sts_gvk = 0;
    for (int i = 0; get_field(paths, 2, i, &np) == 0; i++) {
        span name, pi, op, item, p, nb, q, qn;
        CHECK_INT(get_field(np, 1, 0, &name), 0);
        CHECK_INT(get_field(np, 2, 0, &pi), 0);
        if (get_field(pi, 8, 0, &op) < 0)
            continue;
        patches++;
        for (int j = 0; get_field(op, 8, j, &item) == 0; j++)
            if (get_field(item, 1, 0, &p) == 0 && get_field(p, 2, 0, &nb) == 0 &&
                get_field(nb, 3, 0, &q) == 0 && get_field(q, 4, 0, &qn) == 0 &&
                span_is(qn, "fieldValidation"))
                with_fv++;
        if (span_is(name, "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}")) {
            span ext, en, ev;
            for (int j = 0; get_field(op, 13, j, &ext) == 0; j++) {
                if (get_field(ext, 1, 0, &en) < 0 ||
                    !span_is(en, "x-kubernetes-group-version-kind") ||
                    get_field(ext, 2, 0, &ev) < 0)
                    continue;
                json_t *gvk = decode_any(ev);
                CHECK_STR(json_string_value(json_object_get(gvk, "kind")), "StatefulSet");
                CHECK_STR(json_string_value(json_object_get(gvk, "group")), "apps");
                json_decref(gvk);
                sts_gvk++;
            }
        }
    }
    CHECK_INT(patches, 5); /* configmap; statefulset, its status and scale; storageclass */
    CHECK_INT(with_fv, patches);
    CHECK_INT(sts_gvk, 1);
    free(b);
    json_decref(doc);
}

K1S_TEST_MAIN(T(test_swagger_version_and_info), T(test_empty_document_is_empty_message),
              T(test_vendor_extension_is_named_any_yaml),
              T(test_additional_properties_false_is_written), T(test_numbers_and_long_strings),
              T(test_parameter_kinds_and_numbering), T(test_bad_input),
              T(test_served_document_round_trips))
