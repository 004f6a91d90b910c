/*
 * test_names.c - the name and format checks of k1s_names.h: which values
 * pass, and the exact messages (kube-apiserver's wording) for those that
 * do not.
 */
#include "k1s_test.h"
#include "k1s_names.h"

#include <stdlib.h>
#include <string.h>

/* The messages joined with " | " ("" when valid), for compact checks. */
static char *all(char **msgs)
{
    char *s = k1s_msgs_join(msgs, " | ");
    k1s_msgs_free(msgs);
    return s;
}

#define CHECK_MSGS(call, expected) \
    do {                           \
        char *got_ = all(call);    \
        CHECK_STR(got_, expected); \
        free(got_);                \
    } while (0)

#define SUBDOMAIN_REGEX                                                       \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric " \
    "characters, '-' or '.', and must start and end with an alphanumeric "    \
    "character (e.g. 'example.com', regex used for validation is "            \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_REGEX                                                           \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "     \
    "characters or '-', and must start and end with an alphanumeric "         \
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is " \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define DNS1035_REGEX                                                         \
    "a DNS-1035 label must consist of lower case alphanumeric characters or " \
    "'-', start with an alphabetic character, and end with an alphanumeric "  \
    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is " \
    "'[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_REGEX                                                       \
    "must consist of alphanumeric characters, '-', '_' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'MyName',  or "   \
    "'my.name',  or '123-abc', regex used for validation is "             \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

/* Whether the check rejected the value (the messages are freed). */
static bool invalid(char **msgs)
{
    bool bad = msgs != NULL;
    k1s_msgs_free(msgs);
    return bad;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

TEST(test_dns1123_subdomain)
{
    CHECK(k1s_is_dns1123_subdomain("example.com") == NULL);
    CHECK(k1s_is_dns1123_subdomain("a") == NULL);
    CHECK(k1s_is_dns1123_subdomain("1-2.a-b.c") == NULL);
    CHECK_MSGS(k1s_is_dns1123_subdomain("Foo"), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain(""), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain("a..b"), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain("-a"), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain("a-"), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain("a.b."), SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_dns1123_subdomain("a_b"), SUBDOMAIN_REGEX);
    char *s253 = repeat('a', 253), *s254 = repeat('a', 254);
    CHECK(k1s_is_dns1123_subdomain(s253) == NULL);
    CHECK_MSGS(k1s_is_dns1123_subdomain(s254), "must be no more than 253 characters");
    s254[10] = 'X';
    CHECK_MSGS(k1s_is_dns1123_subdomain(s254),
               "must be no more than 253 characters | " SUBDOMAIN_REGEX);
    free(s253);
    free(s254);
}

TEST(test_dns1123_label)
{
    CHECK(k1s_is_dns1123_label("my-name") == NULL);
    CHECK(k1s_is_dns1123_label("123-abc") == NULL);
    CHECK(k1s_is_dns1123_label("0") == NULL);
    CHECK_MSGS(k1s_is_dns1123_label("a.b"), "must not contain dots");
    CHECK_MSGS(k1s_is_dns1123_label("My"), LABEL_REGEX);
    CHECK_MSGS(k1s_is_dns1123_label(""), LABEL_REGEX);
    CHECK_MSGS(k1s_is_dns1123_label("a..b"), LABEL_REGEX);
    char *s63 = repeat('z', 63), *s64 = repeat('z', 64);
    CHECK(k1s_is_dns1123_label(s63) == NULL);
    CHECK_MSGS(k1s_is_dns1123_label(s64), "must be no more than 63 characters");
    free(s63);
    free(s64);
}

TEST(test_dns1035_label)
{
    CHECK(k1s_is_dns1035_label("my-svc") == NULL);
    CHECK(k1s_is_dns1035_label("a1") == NULL);
    CHECK_MSGS(k1s_is_dns1035_label("1abc"), DNS1035_REGEX);
    CHECK_MSGS(k1s_is_dns1035_label("-abc"), DNS1035_REGEX);
    CHECK_MSGS(k1s_is_dns1035_label("abc-"), DNS1035_REGEX);
    CHECK_MSGS(k1s_is_dns1035_label("a.b"), DNS1035_REGEX);
    CHECK_MSGS(k1s_is_dns1035_label("Abc"), DNS1035_REGEX);
    CHECK_MSGS(k1s_is_dns1035_label(""), DNS1035_REGEX);
    char *s64 = repeat('a', 64);
    CHECK_MSGS(k1s_is_dns1035_label(s64), "must be no more than 63 characters");
    free(s64);
}

TEST(test_qualified_name)
{
    CHECK(k1s_is_qualified_name("app") == NULL);
    CHECK(k1s_is_qualified_name("MyName") == NULL);
    CHECK(k1s_is_qualified_name("my.name_x-1") == NULL);
    CHECK(k1s_is_qualified_name("example.com/MyName") == NULL);
    CHECK(k1s_is_qualified_name("app.kubernetes.io/name") == NULL);
    CHECK_MSGS(k1s_is_qualified_name("-app"), "name part " QNAME_REGEX);
    CHECK_MSGS(k1s_is_qualified_name("app_"), "name part " QNAME_REGEX);
    CHECK_MSGS(k1s_is_qualified_name(""), "name part must be non-empty | name part " QNAME_REGEX);
    CHECK_MSGS(k1s_is_qualified_name("/a"), "prefix part must be non-empty");
    CHECK_MSGS(k1s_is_qualified_name("a/"), "name part must be non-empty | name part " QNAME_REGEX);
    CHECK_MSGS(k1s_is_qualified_name("Example.com/a"), "prefix part " SUBDOMAIN_REGEX);
    CHECK_MSGS(k1s_is_qualified_name("a/b/c"),
               "a qualified name " QNAME_REGEX
               " with an optional DNS subdomain prefix and '/' (e.g. "
               "'example.com/MyName')");
    char *n64 = repeat('a', 64);
    CHECK_MSGS(k1s_is_qualified_name(n64), "name part must be no more than 63 characters");
    free(n64);
    /* a prefix of 254 characters fails as a subdomain, prefixed */
    char *p = repeat('a', 256);
    p[254] = '/';
    p[255] = 'x';
    CHECK_MSGS(k1s_is_qualified_name(p), "prefix part must be no more than 253 characters");
    free(p);
}

TEST(test_label_value)
{
    CHECK(k1s_is_label_value("") == NULL);
    CHECK(k1s_is_label_value("v1.2_3-x") == NULL);
    CHECK_MSGS(k1s_is_label_value("a b"),
               "a valid label must be an empty string or consist of "
               "alphanumeric characters, '-', '_' or '.', and must start and "
               "end with an alphanumeric character (e.g. 'MyValue',  or "
               "'my_value',  or '12345', regex used for validation is "
               "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    char *v64 = repeat('v', 64);
    CHECK_MSGS(k1s_is_label_value(v64), "must be no more than 63 characters");
    free(v64);
    /* non-ASCII letters are not alphanumeric here */
    CHECK(invalid(k1s_is_label_value("caf\xc3\xa9")));
}

TEST(test_port_name)
{
    CHECK(k1s_is_port_name("http") == NULL);
    CHECK(k1s_is_port_name("web-8080") == NULL);
    CHECK_MSGS(k1s_is_port_name("8080"), "must contain at least one letter (a-z)");
    CHECK_MSGS(k1s_is_port_name("a--b"), "must not contain consecutive hyphens");
    CHECK_MSGS(k1s_is_port_name("-ab"), "must not begin or end with a hyphen");
    CHECK_MSGS(k1s_is_port_name("HTTP"),
               "must contain only alpha-numeric characters (a-z, 0-9), and "
               "hyphens (-) | must contain at least one letter (a-z)");
    CHECK_MSGS(k1s_is_port_name("abcdefghijklmnop"), "must be no more than 15 characters");
    CHECK_MSGS(k1s_is_port_name(""), "must contain only alpha-numeric characters (a-z, 0-9), and "
                                     "hyphens (-) | must contain at least one letter (a-z)");
    CHECK_INT(k1s_msgs_count(k1s_is_port_name("http")), 0);
}

TEST(test_numbers)
{
    CHECK(k1s_is_port_num(1) == NULL);
    CHECK(k1s_is_port_num(65535) == NULL);
    CHECK_MSGS(k1s_is_port_num(0), "must be between 1 and 65535, inclusive");
    CHECK_MSGS(k1s_is_port_num(65536), "must be between 1 and 65535, inclusive");
    CHECK_MSGS(k1s_is_in_range(-1, 0, 10), "must be between 0 and 10, inclusive");
    CHECK(k1s_is_in_range(10, 0, 10) == NULL);
}

TEST(test_identifiers)
{
    CHECK(k1s_is_c_identifier("_a1") == NULL);
    CHECK_MSGS(k1s_is_c_identifier("1a"),
               "a valid C identifier must start with alphabetic character or "
               "'_', followed by a string of alphanumeric characters or '_' "
               "(e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for "
               "validation is '[A-Za-z_][A-Za-z0-9_]*')");
    CHECK(k1s_is_env_var_name("MY_ENV.NAME") == NULL);
    CHECK(k1s_is_env_var_name("-x") == NULL);
    CHECK_MSGS(k1s_is_env_var_name("1X"),
               "a valid environment variable name must consist of alphabetic "
               "characters, digits, '_', '-', or '.', and must not start with "
               "a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
               "'MyEnvName1', regex used for validation is "
               "'[-._a-zA-Z][-._a-zA-Z0-9]*')");
    CHECK_MSGS(k1s_is_env_var_name(".."), "must not be '..'");
    CHECK_MSGS(k1s_is_env_var_name("..a"), "must not start with '..'");
    CHECK(k1s_is_config_map_key("key.name") == NULL);
    CHECK_MSGS(k1s_is_config_map_key("."), "must not be '.'");
    CHECK_MSGS(k1s_is_config_map_key("a/b"),
               "a valid config key must consist of alphanumeric characters, "
               "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
               "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    CHECK(k1s_is_percent("50%") == NULL);
    CHECK_MSGS(k1s_is_percent("50"), "a valid percent string must be a numeric string followed by "
                                     "an ending '%' (e.g. '1%',  or '93%', regex used for "
                                     "validation is '[0-9]+%')");
    CHECK(invalid(k1s_is_percent("%")));
    CHECK(k1s_is_http_header_name("X-Header-Name") == NULL);
    CHECK_MSGS(k1s_is_http_header_name("X Header"),
               "a valid HTTP header must consist of alphanumeric characters "
               "or '-' (e.g. 'X-Header-Name', regex used for validation is "
               "'[-A-Za-z0-9]+')");
    CHECK(k1s_is_wildcard_dns1123_subdomain("*.example.com") == NULL);
    CHECK(invalid(k1s_is_wildcard_dns1123_subdomain("*.*.example.com")));
    CHECK(invalid(k1s_is_wildcard_dns1123_subdomain("example.com")));
}

TEST(test_validate_name)
{
    CHECK(k1s_validate_name(K1S_NAME_DNS1123_SUBDOMAIN, "web-0", false) == NULL);
    /* generateName may end in a dash */
    CHECK(k1s_validate_name(K1S_NAME_DNS1123_SUBDOMAIN, "web-", true) == NULL);
    CHECK_MSGS(k1s_validate_name(K1S_NAME_DNS1123_SUBDOMAIN, "web-", false), SUBDOMAIN_REGEX);
    CHECK(k1s_validate_name(K1S_NAME_DNS1035_LABEL, "svc-", true) == NULL);
    CHECK_MSGS(k1s_validate_name(K1S_NAME_DNS1035_LABEL, "9svc", false), DNS1035_REGEX);
    CHECK_MSGS(k1s_validate_name(K1S_NAME_DNS1123_LABEL, "a.b", false), "must not contain dots");
    CHECK(k1s_validate_name(K1S_NAME_PATH_SEGMENT, "Any Thing", false) == NULL);
    CHECK_MSGS(k1s_validate_name(K1S_NAME_PATH_SEGMENT, "..", false), "may not be '..'");
    CHECK(k1s_validate_name(K1S_NAME_PATH_SEGMENT, "..", true) == NULL);
    CHECK_MSGS(k1s_validate_name(K1S_NAME_PATH_SEGMENT, "a/b%c", false),
               "may not contain '/' | may not contain '%'");
}

TEST(test_msgs_helpers)
{
    char *m = k1s_msg_max_len(63);
    CHECK_STR(m, "must be no more than 63 characters");
    free(m);
    char **v = k1s_is_qualified_name("");
    CHECK_INT(k1s_msgs_count(v), 2);
    char *j = k1s_msgs_join(v, "; ");
    CHECK(strncmp(j, "name part must be non-empty; name part must", 43) == 0);
    free(j);
    k1s_msgs_free(v);
    k1s_msgs_free(NULL);
    k1s_msgs_free((char **)k1s_msgs_oom); /* must be a no-op */
    j = k1s_msgs_join(NULL, ",");
    CHECK_STR(j, "");
    free(j);
}

TEST(test_utf8)
{
    CHECK(k1s_utf8_valid("", 0));
    CHECK(k1s_utf8_valid("plain", 5));
    static const char mixed[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
    CHECK(k1s_utf8_valid(mixed, sizeof mixed - 1));
    CHECK(k1s_utf8_valid("a\0b", 3));              /* NUL is valid UTF-8 */
    CHECK(!k1s_utf8_valid("\xc3", 1));             /* truncated */
    CHECK(!k1s_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!k1s_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    CHECK(!k1s_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!k1s_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    CHECK(!k1s_utf8_valid("\xff", 1));
    CHECK(!k1s_utf8_valid("\x80", 1)); /* lone continuation */
    CHECK(!k1s_utf8_valid("ab\xe2\x82", 4));
    /* the length is honoured: bytes past n are not looked at */
    CHECK(k1s_utf8_valid("ok\xff", 2));
}

K1S_TEST_MAIN(T(test_dns1123_subdomain), T(test_dns1123_label), T(test_dns1035_label),
              T(test_qualified_name), T(test_label_value), T(test_port_name), T(test_numbers),
              T(test_identifiers), T(test_validate_name), T(test_msgs_helpers), T(test_utf8))
