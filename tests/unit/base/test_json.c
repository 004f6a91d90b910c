/*
 * test_json.c - dotted paths, metadata readers and semantic equality.
 */
#include "k1s_test.h"

#include "k1s_json.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    if (!o)
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
    return o;
}

TEST(test_paths)
{
    json_t *o = J("{\"metadata\":{\"name\":\"a\",\"labels\":{\"app.kubernetes.io/name\":\"x\"},"
                  "\"annotations\":{\"k\":\"v\"}},\"spec\":{\"replicas\":3,\"paused\":true,"
                  "\"selector\":null,\"template\":{\"metadata\":{\"name\":\"t\"}}},"
                  "\"status\":\"odd\"}");
    CHECK_STR(k1s_json_str(o, "spec.template.metadata.name"), "t");
    CHECK_INT(k1s_json_int(o, "spec.replicas", -1), 3);
    CHECK_INT(k1s_json_int(o, "spec.paused", -1), -1);
    CHECK(k1s_json_bool(o, "spec.paused", false));
    CHECK(k1s_json_bool(o, "spec.missing", true));
    CHECK(k1s_json_at(o, "spec.selector") == NULL); /* null is absent */
    CHECK(k1s_json_at(o, "status.phase") == NULL);  /* through a non-object */
    CHECK(k1s_json_at(o, "spec.replicas.x") == NULL);
    CHECK(k1s_json_str(o, "spec.replicas") == NULL); /* not a string */
    CHECK_STR(k1s_json_str_or(o, "spec.nothing", "dflt"), "dflt");
    CHECK(k1s_json_at(o, "") == o);
    CHECK_STR(k1s_meta(o, "name"), "a");
    CHECK(k1s_meta(o, "namespace") == NULL);
    CHECK_STR(k1s_meta_label(o, "app.kubernetes.io/name"), "x");
    CHECK_STR(k1s_meta_annotation(o, "k"), "v");
    CHECK(k1s_meta_label(NULL, "x") == NULL);
    json_decref(o);
}

TEST(test_object_at_makes_and_replaces)
{
    json_t *o = J("{\"a\":1,\"b\":{\"c\":2}}");
    json_t *b = k1s_json_object_at(o, "b");
    CHECK(b && json_integer_value(json_object_get(b, "c")) == 2);
    json_t *a = k1s_json_object_at(o, "a");
    CHECK(json_is_object(a) && json_object_size(a) == 0);
    CHECK(json_is_object(json_object_get(o, "a")));
    CHECK(k1s_json_object_at(o, "new") != NULL);
    json_t *arr = json_array();
    CHECK(k1s_json_object_at(arr, "x") == NULL);
    json_decref(arr);
    json_decref(o);
}

TEST(test_semantic_equality)
{
    static const struct {
        const char *a, *b;
        bool equal;
    } cases[] = {
        {"{}", "{}", true},
        {"{\"x\":null}", "{}", true},
        {"{\"x\":[]}", "{\"y\":{}}", true},
        {"{\"x\":\"\"}", "{}", false}, /* "" is a value: pointer fields */
        {"{\"x\":0}", "{}", false},    /* 0 and false are kept apart */
        {"{\"x\":false}", "{}", false},
        {"{\"x\":1}", "{\"x\":1.0}", true},
        {"{\"x\":9007199254740993}", "{\"x\":9007199254740992}", false},
        {"{\"x\":[1,2]}", "{\"x\":[2,1]}", false},
        {"{\"x\":{\"y\":[{\"z\":null}]}}", "{\"x\":{\"y\":[{}]}}", true},
        {"{\"x\":\"1\"}", "{\"x\":1}", false},
        {"[]", "null", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *a = J(cases[i].a), *b = json_loads(cases[i].b, JSON_DECODE_ANY, NULL);
        bool got = k1s_json_semantic_equal(a, b), back = k1s_json_semantic_equal(b, a);
        if (got != cases[i].equal || back != got)
            fprintf(stderr, "case %zu: %s vs %s\n", i, cases[i].a, cases[i].b);
        CHECK(got == cases[i].equal && back == got);
        json_decref(a);
        json_decref(b);
    }
    CHECK(k1s_json_semantic_equal(NULL, NULL));
}

TEST(test_semantic_equality_deep_nesting_is_bounded)
{
    json_t *a = json_object(), *b = json_object();
    json_t *ca = a, *cb = b;
    for (int i = 0; i < 200; i++) {
        json_t *na = json_object(), *nb = json_object();
        json_object_set_new(ca, "n", na);
        json_object_set_new(cb, "n", nb);
        ca = na;
        cb = nb;
    }
    json_object_set_new(ca, "v", json_integer(1));
    json_object_set_new(cb, "v", json_integer(1));
    CHECK(k1s_json_semantic_equal(a, b));
    json_object_set_new(cb, "v", json_integer(2));
    CHECK(!k1s_json_semantic_equal(a, b));
    json_decref(a);
    json_decref(b);
}

K1S_TEST_MAIN(T(test_paths), T(test_object_at_makes_and_replaces), T(test_semantic_equality),
              T(test_semantic_equality_deep_nesting_is_bounded))
