/*
 * test_yaml.c - YAML request bodies to JSON: YAML 1.1 scalar resolution as
 * kube-apiserver's YAML library does it, anchors, aliases and merge keys,
 * and hostile documents (alias bombs, deep nesting, garbage) refused with
 * an error instead of being expanded.
 */
#include "k1s_test.h"
#include "k1s_yaml.h"

#include <stdlib.h>
#include <string.h>

/* YAML in, compact JSON out (keys in document order). */
static void check_json(const char *yaml, const char *want)
{
    json_t *out = NULL;
    char *err = NULL;
    int rc = k1s_yaml_decode(yaml, strlen(yaml), &out, &err);
    if (rc)
        fprintf(stderr, "decode(%s): %d %s\n", yaml, rc, err ? err : "");
    CHECK_INT(rc, 0);
    char *got = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "decode(%s)\n", yaml);
    CHECK_STR(got, want);
    free(got);
    free(err);
    json_decref(out);
}

static void check_error(const char *yaml, size_t len, int want, const char *msg_part)
{
    json_t *out = NULL;
    char *err = NULL;
    int rc = k1s_yaml_decode(yaml, len, &out, &err);
    if (rc != want)
        fprintf(stderr, "decode(%.60s) gave %d (%s)\n", yaml, rc, err ? err : "");
    CHECK_INT(rc, want);
    CHECK(out == NULL);
    CHECK(err != NULL);
    if (err && msg_part && !strstr(err, msg_part)) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err, msg_part);
        CHECK(0);
    }
    free(err);
}

TEST(test_scalars)
{
    check_json("a: null\nb: ~\nc:\nd: Null", "{\"a\":null,\"b\":null,\"c\":null,\"d\":null}");
    check_json("[true, True, yes, Yes, on, ON, y, Y]", "[true,true,true,true,true,true,true,true]");
    check_json("[false, no, NO, off, Off, n, N]", "[false,false,false,false,false,false,false]");
    check_json("[1, -2, +3, 0x1F, 0o17, 017, 0b101, 1_000]", "[1,-2,3,31,15,15,5,1000]");
    check_json("[1.5, -0.25, 2.0, 1e3, .5]", "[1.5,-0.25,2,1000,0.5]");
    check_json("[9223372036854775807, -9223372036854775808]",
               "[9223372036854775807,-9223372036854775808]");
    /* too big for 64 bits: a float, as Go reads it */
    check_json("[99999999999999999999]", "[1e20]");
    /* quoting and tags keep strings strings */
    check_json("[\"1\", 'yes', !!str 2, \"null\"]", "[\"1\",\"yes\",\"2\",\"null\"]");
    check_json("a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
               "{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\\n\"}");
    /* 08 is no octal but a float's syntax; the rest stay strings */
    check_json("[08, 1.2.3, 0x, 12:30, 2024-01-01, abc]",
               "[8,\"1.2.3\",\"0x\",\"12:30\",\"2024-01-01\",\"abc\"]");
    /* keys are strings, spelled as Go's converter spells them */
    check_json("{1: a, true: b, null: c, 1.5: d}",
               "{\"1\":\"a\",\"true\":\"b\",\"null\":\"c\",\"1.5\":\"d\"}");
    /* YAML 1.1's surprise, kept as kube has it: a key y is the boolean true */
    check_json("{y: 1, n: 2}", "{\"true\":1,\"false\":2}");
    check_json("", "null");
    check_json("# only a comment\n", "null");
}

TEST(test_objects)
{
    check_json("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n",
               "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
               "\"data\":{\"k\":\"v\"}}");
    check_json("a: {b: [1, {c: d}]}", "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}");
    /* the last of duplicate keys wins */
    check_json("a: 1\na: 2", "{\"a\":2}");
    /* only the first document counts */
    check_json("---\na: 1\n---\nb: 2\n", "{\"a\":1}");
}

TEST(test_anchors_aliases_merges)
{
    check_json("a: &x {k: v}\nb: *x", "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"}}");
    check_json("- &s hello\n- *s", "[\"hello\",\"hello\"]");
    /* merged keys fill in; the mapping's own keys win whatever their place */
    check_json("base: &b {p: 1, q: 2}\nm:\n  p: 9\n  <<: *b\n",
               "{\"base\":{\"p\":1,\"q\":2},\"m\":{\"p\":9,\"q\":2}}");
    check_json("a: &a {p: 1}\nb: &b {p: 2, q: 2}\nm:\n  <<: [*a, *b]\n",
               "{\"a\":{\"p\":1},\"b\":{\"p\":2,\"q\":2},\"m\":{\"p\":1,\"q\":2}}");
    /* a quoted "<<" is an ordinary key */
    check_json("\"<<\": 1", "{\"<<\":1}");
    /* an alias is a copy: the two are independent objects */
    json_t *out = NULL;
    const char *y = "a: &x {k: v}\nb: *x";
    CHECK_INT(k1s_yaml_decode(y, strlen(y), &out, NULL), 0);
    CHECK(json_object_get(out, "a") != json_object_get(out, "b"));
    json_decref(out);
}

TEST(test_errors)
{
    const char *cases[][2] = {
        {"a: [1, 2", "line"},        {"a: b: c", "line"},         {"a: *nope", "unknown anchor"},
        {"? [a, b]\n: c", "scalar"}, {"a: .inf", "no JSON form"}, {"a: .nan", "no JSON form"},
        {"<<: 1", "map merge"},      {"\t- x", "line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_error(cases[i][0], strlen(cases[i][0]), K1S_EINVAL, cases[i][1]);
    /* invalid UTF-8 and an embedded NUL */
    check_error("a: \xff\xfe", 5, K1S_EINVAL, NULL);
    check_error("a: \"x\\0y\"", 9, K1S_EINVAL, "NUL");
}

TEST(test_hostile)
{
    /* billion laughs: ten levels of ten aliases each, 10^10 leaves */
    char bomb[2048];
    int n = snprintf(bomb, sizeof bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i <= 10; i++) {
        n += snprintf(bomb + n, sizeof bomb - (size_t)n, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            n += snprintf(bomb + n, sizeof bomb - (size_t)n, "%s*a%d", j ? ", " : "", i - 1);
        n += snprintf(bomb + n, sizeof bomb - (size_t)n, "]\n");
    }
    CHECK(n < (int)sizeof bomb);
    check_error(bomb, (size_t)n, K1S_ETOOLARGE, "expands");

    /* nesting past the limit, by brackets and by aliases of deep nodes */
    char deep[4 * K1S_YAML_MAX_DEPTH + 8];
    size_t d = 0;
    for (int i = 0; i <= K1S_YAML_MAX_DEPTH; i++)
        deep[d++] = '[';
    for (int i = 0; i <= K1S_YAML_MAX_DEPTH; i++)
        deep[d++] = ']';
    check_error(deep, d, K1S_ETOOLARGE, "nesting");
    char chain[16384];
    n = snprintf(chain, sizeof chain, "a0: &a0 [x]\n");
    for (int i = 1; i <= K1S_YAML_MAX_DEPTH + 2; i++)
        n += snprintf(chain + n, sizeof chain - (size_t)n, "a%d: &a%d [*a%d]\n", i, i, i - 1);
    CHECK(n < (int)sizeof chain);
    check_error(chain, (size_t)n, K1S_ETOOLARGE, "nesting");

    /* every prefix of a real document decodes or fails cleanly */
    const char *doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: &l {a: b}}\n"
                      "spec:\n  containers:\n  - name: c\n    image: \"x\"\n    args: [a, 'b']\n"
                      "  nodeSelector: *l\n";
    for (size_t len = 0; len <= strlen(doc); len++) {
        json_t *out = NULL;
        char *err = NULL;
        int rc = k1s_yaml_decode(doc, len, &out, &err);
        CHECK((rc == 0) == (out != NULL));
        free(err);
        json_decref(out);
    }
}

K1S_TEST_MAIN(T(test_scalars), T(test_objects), T(test_anchors_aliases_merges), T(test_errors),
              T(test_hostile))
