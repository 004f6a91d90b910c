/*
 * test_selector.c - label and field selectors: parsing (with kube's error
 * messages), matching, metav1.LabelSelector semantics (absent selects
 * nothing, empty selects everything), canonical strings, and hostile input.
 */
#include "k1s_test.h"
#include "k1s_selector.h"

#include <stdlib.h>
#include <string.h>

/* The canonical string of a parsed label selector, or "ERR: <message>". */
static char *roundtrip(const char *s)
{
    k1s_selector *sel = NULL;
    char *err = NULL;
    int rc = k1s_label_selector_parse(s, &sel, &err);
    if (rc) {
        char *m = malloc(strlen(err ? err : "(null)") + 6);
        sprintf(m, "ERR: %s", err ? err : "(null)");
        free(err);
        CHECK(sel == NULL);
        return m;
    }
    CHECK(err == NULL);
    char *str = k1s_selector_string(sel);
    k1s_selector_free(sel);
    return str;
}

#define CHECK_RT(in, want)          \
    do {                            \
        char *got_ = roundtrip(in); \
        CHECK_STR(got_, want);      \
        free(got_);                 \
    } while (0)

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fprintf(stderr, "bad test JSON %s: %s\n", text, e.text);
    return v;
}

/* Whether label selector s matches the labels given as JSON text. */
static bool lmatch(const char *s, const char *labels)
{
    k1s_selector *sel = NULL;
    char *err = NULL;
    if (k1s_label_selector_parse(s, &sel, &err)) {
        fprintf(stderr, "parse %s: %s\n", s, err);
        free(err);
        CHECK(0);
        return false;
    }
    json_t *l = labels ? J(labels) : NULL;
    bool m = k1s_selector_matches_labels(sel, l);
    json_decref(l);
    k1s_selector_free(sel);
    return m;
}

TEST(test_label_parse_ok)
{
    CHECK_RT("", "");
    CHECK_RT("   ", "");
    CHECK_RT("a=b", "a=b");
    CHECK_RT("a==b", "a==b");
    CHECK_RT("a!=b", "a!=b");
    CHECK_RT(" a = b , c ", "a=b,c");
    CHECK_RT("!a", "!a");
    CHECK_RT("tier in (web, db)", "tier in (db,web)");
    CHECK_RT("a notin(b)", "a notin (b)");
    /* requirements sorted by key, values sorted and deduplicated */
    CHECK_RT("z=1,a in (c,b,c),m", "a in (b,c),m,z=1");
    CHECK_RT("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()");
    CHECK_RT("a in (,)", "a in ()");
    CHECK_RT("a=", "a=");
    CHECK_RT("a>1,b<2", "a>1,b<2");
    /* keywords are plain names where a value or key is expected */
    CHECK_RT("in in (in)", "in in (in)");
    CHECK_RT("notin=in", "notin=in");
    CHECK_RT("app.kubernetes.io/name=web", "app.kubernetes.io/name=web");
    CHECK_RT("a\tin\n(b)", "a in (b)");
}

TEST(test_label_parse_errors)
{
    CHECK_RT("a in (b", "ERR: unable to parse requirement: found '', expected: "
                        "',' or ')'");
    CHECK_RT("a in", "ERR: unable to parse requirement: found '' expected: '('");
    CHECK_RT("a b", "ERR: unable to parse requirement: found 'b', expected: in, "
                    "notin, =, ==, !=, gt, lt");
    CHECK_RT("a!", "ERR: unable to parse requirement: found '!', expected: in, "
                   "notin, =, ==, !=, gt, lt");
    CHECK_RT("a=b c", "ERR: found 'c', expected: ',' or 'end of string'");
    CHECK_RT("a,,b", "ERR: found ',', expected: identifier after ','");
    CHECK_RT("a=b,", "ERR: found '', expected: identifier after ','");
    CHECK_RT(",a", "ERR: found ',', expected: !, identifier, or 'end of "
                   "string'");
    CHECK_RT("=a", "ERR: found '=', expected: !, identifier, or 'end of "
                   "string'");
    CHECK_RT("!!", "ERR: unable to parse requirement: found '!', expected: "
                   "identifier");
    CHECK_RT("!", "ERR: unable to parse requirement: found '', expected: "
                  "identifier");
    CHECK_RT("a=(b)", "ERR: unable to parse requirement: found '(', expected: "
                      "identifier");
    CHECK_RT("a in (b c)", "ERR: unable to parse requirement: found 'c', "
                           "expected: ',' or ')'");
    CHECK_RT("a in ((b)", "ERR: unable to parse requirement: found '(', "
                          "expected: ',', ')' or identifier");
    CHECK_RT("a in (b,=)", "ERR: unable to parse requirement: found '=', "
                           "expected: ',', or identifier");
    CHECK_RT("a/b/c", "ERR: unable to parse requirement: <nil>: Invalid value: "
                      "\"a/b/c\": a qualified name must consist of alphanumeric "
                      "characters, '-', '_' or '.', and must start and end with an "
                      "alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                      "'123-abc', regex used for validation is "
                      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
                      "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    CHECK_RT("a=b/c", "ERR: unable to parse requirement: values[0][a]: Invalid value: "
                      "\"b/c\": a valid label must be an empty string or consist of "
                      "alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character (e.g. 'MyValue',  or "
                      "'my_value',  or '12345', regex used for validation is "
                      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    CHECK_RT("a>b", "ERR: unable to parse requirement: values[0]: Invalid "
                    "value: \"b\": for 'Gt', 'Lt' operators, the value must be "
                    "an integer");
    /* past int64 is not an integer either (strconv.ParseInt's range) */
    CHECK_RT("a>99999999999999999999",
             "ERR: unable to parse requirement: values[0]: Invalid value: "
             "\"99999999999999999999\": for 'Gt', 'Lt' operators, the value "
             "must be an integer");
    /* the key is Go-quoted in the message */
    CHECK_RT("a\"b", "ERR: unable to parse requirement: <nil>: Invalid value: "
                     "\"a\\\"b\": name part must consist of alphanumeric "
                     "characters, '-', '_' or '.', and must start and end with "
                     "an alphanumeric character (e.g. 'MyName',  or "
                     "'my.name',  or '123-abc', regex used for validation is "
                     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
}

TEST(test_label_matching)
{
    const char *web = "{\"app\":\"web\",\"tier\":\"front\",\"n\":\"5\"}";
    CHECK(lmatch("", web));
    CHECK(lmatch("", NULL));
    CHECK(lmatch("app=web", web));
    CHECK(lmatch("app==web", web));
    CHECK(!lmatch("app=db", web));
    CHECK(!lmatch("app=web", NULL));
    CHECK(!lmatch("app=web", "{}"));
    CHECK(lmatch("app!=db", web));
    CHECK(!lmatch("app!=web", web));
    CHECK(lmatch("missing!=x", web)); /* != matches an absent label */
    CHECK(lmatch("tier in (front,back)", web));
    CHECK(!lmatch("tier in (back)", web));
    CHECK(!lmatch("missing in (x)", web));
    CHECK(lmatch("tier notin (back)", web));
    CHECK(!lmatch("tier notin (front)", web));
    CHECK(lmatch("missing notin (x)", web));
    CHECK(lmatch("app", web));
    CHECK(!lmatch("missing", web));
    CHECK(lmatch("!missing", web));
    CHECK(!lmatch("!app", web));
    CHECK(lmatch("app=web,tier=front", web));
    CHECK(!lmatch("app=web,tier=back", web));
    CHECK(lmatch("n>4", web));
    CHECK(!lmatch("n>5", web));
    CHECK(lmatch("n<6", web));
    CHECK(!lmatch("app>1", web)); /* not an integer label: no match */
    CHECK(lmatch("empty=", "{\"empty\":\"\"}"));
    CHECK(!lmatch("empty=", "{}"));
    /* non-string label values count as absent */
    CHECK(!lmatch("app", "{\"app\":1}"));
    CHECK(lmatch("!app", "{\"app\":null}"));
}

TEST(test_label_selector_json)
{
    k1s_selector *sel;
    char *err;
    /* absent: nothing; empty: everything */
    CHECK_INT(k1s_label_selector_from_json(NULL, &sel, &err), 0);
    CHECK(k1s_selector_matches_nothing(sel));
    CHECK(!k1s_selector_empty(sel));
    CHECK(!k1s_selector_matches_labels(sel, NULL));
    char *s = k1s_selector_string(sel);
    CHECK_STR(s, "");
    free(s);
    k1s_selector_free(sel);
    json_t *j = json_null();
    CHECK_INT(k1s_label_selector_from_json(j, &sel, &err), 0);
    CHECK(k1s_selector_matches_nothing(sel));
    k1s_selector_free(sel);
    j = J("{}");
    CHECK_INT(k1s_label_selector_from_json(j, &sel, &err), 0);
    CHECK(k1s_selector_empty(sel));
    CHECK(k1s_selector_matches_labels(sel, NULL));
    k1s_selector_free(sel);
    json_decref(j);
    j = J("{\"matchLabels\":{},\"matchExpressions\":[]}");
    CHECK_INT(k1s_label_selector_from_json(j, &sel, &err), 0);
    CHECK(k1s_selector_empty(sel));
    k1s_selector_free(sel);
    json_decref(j);

    j = J("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
          "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"b\",\"a\"]},"
          "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},"
          "{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"prod\"]},"
          "{\"key\":\"team\",\"operator\":\"Exists\",\"values\":[]}]}");
    CHECK_INT(k1s_label_selector_from_json(j, &sel, &err), 0);
    s = k1s_selector_string(sel);
    CHECK_STR(s, "app=web,!canary,env notin (prod),team,tier in (a,b)");
    free(s);
    json_t *l = J("{\"app\":\"web\",\"tier\":\"a\",\"team\":\"x\"}");
    CHECK(k1s_selector_matches_labels(sel, l));
    json_object_set_new(l, "canary", json_string("y"));
    CHECK(!k1s_selector_matches_labels(sel, l));
    json_decref(l);
    CHECK_STR(k1s_selector_exact(sel, "app"), "web");
    CHECK(k1s_selector_exact(sel, "tier") == NULL); /* two values */
    k1s_selector_free(sel);
    json_decref(j);
}

static void check_json_error(const char *text, const char *want)
{
    k1s_selector *sel = (k1s_selector *)1;
    char *err = NULL;
    json_t *j = J(text);
    CHECK_INT(k1s_label_selector_from_json(j, &sel, &err), K1S_EINVAL);
    CHECK(sel == NULL);
    CHECK_STR(err, want);
    free(err);
    json_decref(j);
}

TEST(test_label_selector_json_errors)
{
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}",
                     "\"Foo\" is not a valid label selector operator");
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\"}]}",
                     "\"\" is not a valid label selector operator");
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\","
                     "\"values\":[\"1\"]}]}",
                     "\"Gt\" is not a valid label selector operator");
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
                     "\"values\":[]}]}",
                     "values: Invalid value: []string(nil): for 'in', 'notin' "
                     "operators, values set can't be empty");
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":"
                     "\"Exists\",\"values\":[\"x\",\"y\"]}]}",
                     "values: Invalid value: []string{\"x\", \"y\"}: values set "
                     "must be empty for exists and does not exist");
    check_json_error("{\"matchLabels\":{\"a\":\"b c\"}}",
                     "values[0][a]: Invalid value: \"b c\": a valid label must "
                     "be an empty string or consist of alphanumeric "
                     "characters, '-', '_' or '.', and must start and end with "
                     "an alphanumeric character (e.g. 'MyValue',  or "
                     "'my_value',  or '12345', regex used for validation is "
                     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    /* several problems: aggregated in brackets */
    check_json_error("{\"matchExpressions\":[{\"key\":\"-a\",\"operator\":"
                     "\"NotIn\"}]}",
                     "[key: Invalid value: \"-a\": name part must consist of "
                     "alphanumeric characters, '-', '_' or '.', and must start "
                     "and end with an alphanumeric character (e.g. 'MyName',  "
                     "or 'my.name',  or '123-abc', regex used for validation is "
                     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), values: "
                     "Invalid value: []string(nil): for 'in', 'notin' "
                     "operators, values set can't be empty]");
    check_json_error("[]", "label selector must be an object");
    check_json_error("{\"matchLabels\":{\"a\":1}}",
                     "matchLabels: expected a string value for key a");
    check_json_error("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
                     "\"values\":[1]}]}",
                     "matchExpressions: values must be an array of strings");
}

TEST(test_label_selector_map)
{
    k1s_selector *sel;
    char *err;
    json_t *m = J("{\"b\":\"2\",\"a\":\"1\"}");
    CHECK_INT(k1s_label_selector_from_map(m, &sel, &err), 0);
    char *s = k1s_selector_string(sel);
    CHECK_STR(s, "a=1,b=2");
    free(s);
    json_t *l = J("{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}");
    CHECK(k1s_selector_matches_labels(sel, l));
    json_object_set_new(l, "b", json_string("x"));
    CHECK(!k1s_selector_matches_labels(sel, l));
    json_decref(l);
    k1s_selector_free(sel);
    json_decref(m);
    CHECK_INT(k1s_label_selector_from_map(NULL, &sel, &err), 0);
    CHECK(k1s_selector_empty(sel));
    k1s_selector_free(sel);
    m = J("{\"a\":true}");
    CHECK_INT(k1s_label_selector_from_map(m, &sel, &err), K1S_EINVAL);
    free(err);
    json_decref(m);
}

/* ---- field selectors ---- */

static const char *get_field(void *ctx, const char *field)
{
    const json_t *obj = ctx;
    const json_t *v = json_object_get(obj, field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool fmatch(const char *s, const char *fields)
{
    k1s_selector *sel;
    char *err;
    if (k1s_field_selector_parse(s, &sel, &err)) {
        fprintf(stderr, "parse %s: %s\n", s, err);
        free(err);
        CHECK(0);
        return false;
    }
    json_t *f = J(fields);
    bool m = k1s_selector_matches_fields(sel, get_field, f);
    json_decref(f);
    k1s_selector_free(sel);
    return m;
}

static char *fparse(const char *s)
{
    k1s_selector *sel;
    char *err;
    if (k1s_field_selector_parse(s, &sel, &err)) {
        char *m = malloc(strlen(err) + 6);
        sprintf(m, "ERR: %s", err);
        free(err);
        return m;
    }
    char *str = k1s_selector_string(sel);
    k1s_selector_free(sel);
    return str;
}

#define CHECK_FIELD(in, want)    \
    do {                         \
        char *got_ = fparse(in); \
        CHECK_STR(got_, want);   \
        free(got_);              \
    } while (0)

TEST(test_field_parse)
{
    CHECK_FIELD("", "");
    CHECK_FIELD("metadata.name=web", "metadata.name=web");
    CHECK_FIELD("metadata.name==web", "metadata.name=web");
    CHECK_FIELD("status.phase!=Running", "status.phase!=Running");
    /* terms are sorted */
    CHECK_FIELD("z=1,a=2", "a=2,z=1");
    CHECK_FIELD("a=1,,b=2,", "a=1,b=2");
    CHECK_FIELD("a=", "a=");
    /* escapes: the value keeps them, the string form re-escapes */
    CHECK_FIELD("a=x\\,y", "a=x\\,y");
    CHECK_FIELD("a=x\\=y\\\\z", "a=x\\=y\\\\z");
    /* the first operator splits the term; the rest is the value */
    CHECK_FIELD("a!b=c", "a!b=c");
    CHECK_FIELD("a=!=b", "ERR: invalid field selector: unescaped character "
                         "in value: 61");
    CHECK_FIELD("weird", "ERR: invalid selector: 'weird'; can't understand 'weird'");
    CHECK_FIELD("a=1,weird", "ERR: invalid selector: 'a=1,weird'; can't understand 'weird'");
    CHECK_FIELD("a=b=c", "ERR: invalid field selector: unescaped character in "
                         "value: 61");
    CHECK_FIELD("a=x\\y", "ERR: invalid field selector: invalid escape sequence: \\y");
    CHECK_FIELD("a=x\\", "ERR: invalid field selector: invalid escape "
                         "sequence: \\");
    CHECK_FIELD("a=x\\\xc3\xa9", "ERR: invalid field selector: invalid escape sequence: "
                                 "\\\xc3\xa9");
}

TEST(test_field_match)
{
    const char *pod = "{\"metadata.name\":\"web-0\",\"status.phase\":"
                      "\"Running\",\"spec.nodeName\":\"a,b\"}";
    CHECK(fmatch("", pod));
    CHECK(fmatch("metadata.name=web-0", pod));
    CHECK(!fmatch("metadata.name=web-1", pod));
    CHECK(fmatch("status.phase!=Pending", pod));
    CHECK(!fmatch("status.phase!=Running", pod));
    CHECK(fmatch("spec.nodeName=a\\,b", pod));
    CHECK(fmatch("metadata.name=web-0,status.phase=Running", pod));
    /* an absent field reads as "" */
    CHECK(fmatch("spec.missing=", pod));
    CHECK(fmatch("spec.missing!=x", pod));
    CHECK(!fmatch("spec.missing=x", pod));
}

TEST(test_field_keys)
{
    k1s_selector *sel;
    char *err;
    CHECK_INT(k1s_field_selector_parse("spec.nodeName=n1,metadata.name==p,"
                                       "status.phase!=Failed",
                                       &sel, &err),
              0);
    CHECK_INT(k1s_selector_len(sel), 3);
    CHECK_STR(k1s_selector_at(sel, 0)->key, "metadata.name");
    CHECK_INT(k1s_selector_at(sel, 0)->op, K1S_SEL_DOUBLE_EQUALS);
    CHECK_STR(k1s_selector_at(sel, 2)->key, "status.phase");
    CHECK_INT(k1s_selector_at(sel, 2)->op, K1S_SEL_NOT_EQUALS);
    CHECK(k1s_selector_at(sel, 3) == NULL);
    const char *pod_fields[] = {"metadata.name", "metadata.namespace", "spec.nodeName",
                                "status.phase", NULL};
    CHECK(k1s_selector_first_unknown(sel, pod_fields) == NULL);
    const char *few[] = {"metadata.name", NULL};
    CHECK_STR(k1s_selector_first_unknown(sel, few), "spec.nodeName");
    CHECK_STR(k1s_selector_exact(sel, "metadata.name"), "p");
    CHECK_STR(k1s_selector_exact(sel, "spec.nodeName"), "n1");
    CHECK(k1s_selector_exact(sel, "status.phase") == NULL);
    CHECK_INT(k1s_selector_get_kind(sel), K1S_SELECTOR_FIELD);
    k1s_selector_free(sel);
}

TEST(test_everything_nothing)
{
    k1s_selector *e = k1s_selector_everything(K1S_SELECTOR_LABEL);
    k1s_selector *n = k1s_selector_nothing(K1S_SELECTOR_FIELD);
    CHECK(k1s_selector_empty(e));
    CHECK(k1s_selector_matches_labels(e, NULL));
    CHECK(!k1s_selector_empty(n));
    CHECK(!k1s_selector_matches_fields(n, get_field, NULL));
    k1s_selector_free(e);
    k1s_selector_free(n);
    k1s_selector_free(NULL);
}

TEST(test_hostile_selectors)
{
    /* many requirements: linear, and all kept */
    size_t n = 20000;
    char *big = malloc(n * 10 + 16), *p = big;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%sk%zu=v", i ? "," : "", i % 1000);
    k1s_selector *sel;
    char *err;
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), 0);
    CHECK_INT(k1s_selector_len(sel), n);
    k1s_selector_free(sel);
    /* a huge value set */
    p = big;
    p += sprintf(p, "k in (");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%sv%zu", i ? "," : "", i);
    sprintf(p, ")");
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), 0);
    CHECK_INT(k1s_selector_at(sel, 0)->nvalues, n);
    json_t *l = J("{\"k\":\"v19999\"}");
    CHECK(k1s_selector_matches_labels(sel, l));
    json_decref(l);
    k1s_selector_free(sel);
    /* ... of invalid values: the error stays bounded */
    p = big;
    p += sprintf(p, "k in (");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s-%zu", i ? "," : "", i);
    sprintf(p, ")");
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), K1S_EINVAL);
    CHECK(strncmp(err,
                  "unable to parse requirement: [values[0][k]: Invalid "
                  "value: \"-0\": ",
                  60) == 0);
    CHECK(strlen(err) < 20000);
    free(err);
    /* a long run of parentheses and operators fails cleanly */
    memset(big, '(', n * 4);
    big[n * 4] = '\0';
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), K1S_EINVAL);
    CHECK_STR(err, "found '(', expected: !, identifier, or 'end of string'");
    free(err);
    memcpy(big, "a in ", 5);
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), K1S_EINVAL);
    free(err);
    /* an over-long key is rejected by validation, not truncated */
    memset(big, 'k', n);
    big[n] = '\0';
    CHECK_INT(k1s_label_selector_parse(big, &sel, &err), K1S_EINVAL);
    CHECK(strstr(err, "name part must be no more than 63 characters") != NULL);
    free(err);
    /* field selector made of escapes and commas */
    for (size_t i = 0; i < n; i++)
        memcpy(big + i * 2, "\\,", 2);
    big[0] = 'a';
    big[1] = '=';
    big[n * 2] = '\0';
    CHECK_INT(k1s_field_selector_parse(big, &sel, &err), 0);
    CHECK_INT(k1s_selector_len(sel), 1);
    CHECK_INT(strlen(k1s_selector_at(sel, 0)->values[0]), n - 1);
    k1s_selector_free(sel);
    /* invalid UTF-8 goes through field values untouched */
    CHECK_INT(k1s_field_selector_parse("a=\xff\xfe", &sel, &err), 0);
    CHECK_STR(k1s_selector_at(sel, 0)->values[0], "\xff\xfe");
    k1s_selector_free(sel);
    free(big);
}

K1S_TEST_MAIN(T(test_label_parse_ok), T(test_label_parse_errors), T(test_label_matching),
              T(test_label_selector_json), T(test_label_selector_json_errors),
              T(test_label_selector_map), T(test_field_parse), T(test_field_match),
              T(test_field_keys), T(test_everything_nothing), T(test_hostile_selectors))
