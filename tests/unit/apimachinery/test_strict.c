/*
 * test_strict.c - k1s_json_duplicate_fields: the paths kube's strict
 * decoder gives repeated keys (the shapes of sigs.k8s.io/json's own cases),
 * keys compared unescaped, deep and odd input bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_buf.h"
#include "k1s_strict.h"
#include "k1s_test.h"

/* The duplicates of text as "p1,p2,...". */
static char *dups(const char *text)
{
    json_t *a = json_array();
    size_t n = k1s_json_duplicate_fields(text, strlen(text), a);
    CHECK_INT(n, json_array_size(a));
    k1s_buf b = {0};
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (i)
            k1s_buf_addc(&b, ',');
        k1s_buf_adds(&b, json_string_value(json_array_get(a, i)));
    }
    json_decref(a);
    char *s = k1s_buf_take(&b, NULL);
    return s;
}

static void check(const char *text, const char *want)
{
    char *got = dups(text);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "for %s\n", text);
    CHECK_STR(got, want);
    free(got);
}

TEST(test_paths)
{
    check("{\"a\":1,\"b\":2}", "");
    check("{\"a\":1,\"a\":2}", "a");
    check("{\"a\":1,\"a\":2,\"a\":3}", "a,a");
    check("{\"d\":{\"a\":1,\"a\":2,\"b\":{},\"b\":[]}}", "d.a,d.b");
    check("{\"e\":[{\"f\":1},{\"f\":1,\"f\":2}]}", "e[1].f");
    check("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\","
          "\"image\":\"y\"}]}}},\"spec\":{}}",
          "spec.template.spec.containers[0].image,spec");
    /* the same key in sibling objects is no duplicate */
    check("{\"a\":{\"x\":1},\"b\":{\"x\":1},\"c\":[{\"x\":1},{\"x\":2}]}", "");
    /* escapes are the same key */
    check("{\"ab\":1,\"\\u0061b\":2,\"a\\\"\":3,\"a\\u0022\":4}", "ab,a\"");
    check("{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude00\":2}", "\xf0\x9f\x98\x80");
    /* keys holding NULs compare whole */
    json_t *a = json_array();
    static const char nul[] = "{\"a\\u0000b\":1,\"a\\u0000c\":2,\"a\\u0000b\":3}";
    CHECK_INT(k1s_json_duplicate_fields(nul, sizeof nul - 1, a), 1);
    CHECK_INT(json_string_length(json_array_get(a, 0)), 3);
    json_decref(a);
    /* strings that look like structure are skipped as strings */
    check("{\"a\":\"{\\\"a\\\":1,\\\"a\\\":2}\",\"b\":\"]}\"}", "");
    /* arrays and scalars at the top */
    check("[{\"a\":1,\"a\":1},{\"a\":1}]", "[0].a");
    check("42", "");
    check("", "");
}

TEST(test_bad_and_deep_input)
{
    /* what was found before the text goes wrong is kept */
    check("{\"a\":1,\"a\":2,", "a");
    check("{\"a\":1,\"a\"", ""); /* a key without its value is not counted */
    check("{\"a\\", "");
    check("{\"a\\u12", "");
    check("{{{{", "");
    check("]]]]", "");
    /* nesting past the limit is skipped, duplicates after it still found */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 64);
    size_t o = 0;
    o += (size_t)sprintf(deep, "{\"x\":");
    for (size_t i = 0; i < depth; i++)
        deep[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[o++] = ']';
    o += (size_t)sprintf(deep + o, ",\"x\":1}");
    json_t *a = json_array();
    CHECK_INT(k1s_json_duplicate_fields(deep, o, a), 1);
    CHECK_STR(json_string_value(json_array_get(a, 0)), "x");
    json_decref(a);
    free(deep);
    /* NULL and non-array outputs are no-ops */
    a = json_array();
    CHECK_INT(k1s_json_duplicate_fields(NULL, 3, a), 0);
    json_decref(a);
    CHECK_INT(k1s_json_duplicate_fields("{}", 2, NULL), 0);
}

TEST(test_many_keys_are_linear)
{
    /* 200 000 keys, every one twice: quick, not quadratic */
    size_t n = 200000;
    k1s_buf b = {0};
    k1s_buf_addc(&b, '{');
    for (size_t i = 0; i < 2 * n; i++)
        k1s_buf_addf(&b, "%s\"k%zu\":0", i ? "," : "", i % n);
    k1s_buf_addc(&b, '}');
    json_t *a = json_array();
    CHECK_INT(k1s_json_duplicate_fields(b.p, b.len, a), n);
    CHECK_STR(json_string_value(json_array_get(a, 0)), "k0");
    json_decref(a);
    k1s_buf_free(&b);
}

K1S_TEST_MAIN(T(test_paths), T(test_bad_and_deep_input), T(test_many_keys_are_linear))
