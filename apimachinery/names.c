/*
 * names.c - the string format checks of k1s_names.h. The regular
 * expressions kube uses are matched by hand (they are all simple character
 * classes), and the messages are assembled from the same pieces kube uses,
 * so they match the wire text byte for byte.
 */
#include "k1s_names.h"
#include "am_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *const k1s_msgs_oom[] = {"out of memory", NULL};

#define DNS1123_LABEL_MAX 63
#define DNS1123_SUBDOMAIN_MAX 253
#define QUALIFIED_NAME_MAX 63
#define LABEL_VALUE_MAX 63
#define PORT_NAME_MAX 15

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_LABEL_MSG                                                 \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric " \
    "characters or '-', and must start and end with an alphanumeric character"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_SUBDOMAIN_MSG                                                 \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric " \
    "characters, '-' or '.', and must start and end with an alphanumeric "    \
    "character"
#define DNS1035_LABEL_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define DNS1035_LABEL_MSG                                                     \
    "a DNS-1035 label must consist of lower case alphanumeric characters or " \
    "'-', start with an alphabetic character, and end with an alphanumeric "  \
    "character"
#define WILDCARD_FMT "\\*\\." DNS1123_SUBDOMAIN_FMT
#define WILDCARD_MSG                                                           \
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid " \
    "DNS subdomain, which must consist of lower case alphanumeric "            \
    "characters, '-' or '.' and end with an alphanumeric character"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG                                                         \
    "must consist of alphanumeric characters, '-', '_' or '.', and must " \
    "start and end with an alphanumeric character"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"
#define LABEL_VALUE_MSG                                                 \
    "a valid label must be an empty string or consist of alphanumeric " \
    "characters, '-', '_' or '.', and must start and end with an "      \
    "alphanumeric character"
#define CIDENT_FMT "[A-Za-z_][A-Za-z0-9_]*"
#define CIDENT_MSG                                                       \
    "a valid C identifier must start with alphabetic character or '_', " \
    "followed by a string of alphanumeric characters or '_'"
#define ENV_FMT "[-._a-zA-Z][-._a-zA-Z0-9]*"
#define ENV_MSG                                                     \
    "a valid environment variable name must consist of alphabetic " \
    "characters, digits, '_', '-', or '.', and must not start with a digit"
#define CMKEY_FMT "[-._a-zA-Z0-9]+"
#define CMKEY_MSG                                                           \
    "a valid config key must consist of alphanumeric characters, '-', '_' " \
    "or '.'"
#define PERCENT_FMT "[0-9]+%"
#define PERCENT_MSG "a valid percent string must be a numeric string followed by an ending '%'"
#define HEADER_FMT "[-A-Za-z0-9]+"
#define HEADER_MSG "a valid HTTP header must consist of alphanumeric characters or '-'"

#define EXAMPLES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- message lists ------------------------------------------------------- */

typedef struct msgs {
    char **v;
    size_t n;
    bool oom;
} msgs;

static void msgs_add_owned(msgs *m, char *s)
{
    if (m->oom || !s) {
        free(s);
        m->oom = true;
        return;
    }
    char **v = realloc(m->v, (m->n + 2) * sizeof *v);
    if (!v) {
        free(s);
        m->oom = true;
        return;
    }
    m->v = v;
    m->v[m->n++] = s;
    m->v[m->n] = NULL;
}

static void msgs_add(msgs *m, const char *s)
{
    msgs_add_owned(m, strdup(s));
}

__attribute__((format(printf, 2, 3))) static void msgs_addf(msgs *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = k1s__vasprintf(fmt, ap);
    va_end(ap);
    msgs_add_owned(m, s);
}

static char **msgs_done(msgs *m)
{
    if (m->oom) {
        k1s_msgs_free(m->v);
        return (char **)k1s_msgs_oom;
    }
    return m->v;
}

/* kube's RegexError: msg, then the examples and the expression. */
static void buf_regex_error(k1s_buf *b, const char *msg, const char *fmt,
                            const char *const *examples)
{
    k1s_buf_adds(b, msg);
    if (!examples || !examples[0]) {
        k1s_buf_addf(b, " (regex used for validation is '%s')", fmt);
        return;
    }
    k1s_buf_adds(b, " (e.g. ");
    for (size_t i = 0; examples[i]; i++) {
        if (i)
            k1s_buf_adds(b, " or ");
        k1s_buf_addf(b, "'%s', ", examples[i]);
    }
    k1s_buf_addf(b, "regex used for validation is '%s')", fmt);
}

static void msgs_add_regex(msgs *m, const char *prefix, const char *msg, const char *fmt,
                           const char *const *examples)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, prefix);
    buf_regex_error(&b, msg, fmt, examples);
    msgs_add_owned(m, k1s_buf_take(&b, NULL));
}

/* ---- character-class matchers ------------------------------------------- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool match_dns1123_label(const char *s, size_t n)
{
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* labels joined by single dots */
static bool match_dns1123_subdomain(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!match_dns1123_label(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_qname(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* ---- checks --------------------------------------------------------------- */

static void check_dns1123_subdomain(msgs *m, const char *prefix, const char *v, size_t n)
{
    if (n > DNS1123_SUBDOMAIN_MAX)
        msgs_addf(m, "%smust be no more than %d characters", prefix, DNS1123_SUBDOMAIN_MAX);
    if (!match_dns1123_subdomain(v, n))
        msgs_add_regex(m, prefix, DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT,
                       EXAMPLES("example.com"));
}

char **k1s_is_dns1123_subdomain(const char *v)
{
    msgs m = {0};
    check_dns1123_subdomain(&m, "", v, strlen(v));
    return msgs_done(&m);
}

char **k1s_is_dns1123_label(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    if (n > DNS1123_LABEL_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(DNS1123_LABEL_MAX));
    if (!match_dns1123_label(v, n)) {
        if (match_dns1123_subdomain(v, n))
            msgs_add(&m, "must not contain dots");
        else
            msgs_add_regex(&m, "", DNS1123_LABEL_MSG, DNS1123_LABEL_FMT,
                           EXAMPLES("my-name", "123-abc"));
    }
    return msgs_done(&m);
}

char **k1s_is_dns1035_label(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    if (n > DNS1123_LABEL_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(DNS1123_LABEL_MAX));
    if (!match_dns1123_label(v, n) || !is_alpha(v[0]))
        msgs_add_regex(&m, "", DNS1035_LABEL_MSG, DNS1035_LABEL_FMT,
                       EXAMPLES("my-name", "abc-123"));
    return msgs_done(&m);
}

char **k1s_is_wildcard_dns1123_subdomain(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    if (n > DNS1123_SUBDOMAIN_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(DNS1123_SUBDOMAIN_MAX));
    if (n < 2 || v[0] != '*' || v[1] != '.' || !match_dns1123_subdomain(v + 2, n - 2))
        msgs_add_regex(&m, "", WILDCARD_MSG, WILDCARD_FMT, EXAMPLES("*.example.com"));
    return msgs_done(&m);
}

char **k1s_is_qualified_name(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    const char *slash = memchr(v, '/', n);
    const char *name = v;
    size_t name_n = n;
    if (slash) {
        if (memchr(slash + 1, '/', n - (size_t)(slash + 1 - v))) {
            /* more than one '/' */
            k1s_buf b = {0};
            k1s_buf_adds(&b, "a qualified name ");
            buf_regex_error(&b, QNAME_MSG, QNAME_FMT, EXAMPLES("MyName", "my.name", "123-abc"));
            k1s_buf_adds(&b, " with an optional DNS subdomain prefix and '/' "
                             "(e.g. 'example.com/MyName')");
            msgs_add_owned(&m, k1s_buf_take(&b, NULL));
            return msgs_done(&m);
        }
        size_t prefix_n = (size_t)(slash - v);
        if (prefix_n == 0)
            msgs_add(&m, "prefix part must be non-empty");
        else
            check_dns1123_subdomain(&m, "prefix part ", v, prefix_n);
        name = slash + 1;
        name_n = n - prefix_n - 1;
    }
    if (name_n == 0)
        msgs_add(&m, "name part must be non-empty");
    else if (name_n > QUALIFIED_NAME_MAX)
        msgs_addf(&m, "name part must be no more than %d characters", QUALIFIED_NAME_MAX);
    if (!match_qname(name, name_n))
        msgs_add_regex(&m, "name part ", QNAME_MSG, QNAME_FMT,
                       EXAMPLES("MyName", "my.name", "123-abc"));
    return msgs_done(&m);
}

char **k1s_is_label_value(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    if (n > LABEL_VALUE_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(LABEL_VALUE_MAX));
    if (n > 0 && !match_qname(v, n))
        msgs_add_regex(&m, "", LABEL_VALUE_MSG, LABEL_VALUE_FMT,
                       EXAMPLES("MyValue", "my_value", "12345"));
    return msgs_done(&m);
}

char **k1s_is_port_name(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    bool charset = n > 0, letter = false;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_alnum(v[i]) && v[i] != '-')
            charset = false;
        if (v[i] >= 'a' && v[i] <= 'z')
            letter = true;
    }
    if (n > PORT_NAME_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(PORT_NAME_MAX));
    if (!charset)
        msgs_add(&m, "must contain only alpha-numeric characters (a-z, 0-9), "
                     "and hyphens (-)");
    if (!letter)
        msgs_add(&m, "must contain at least one letter (a-z)");
    if (strstr(v, "--"))
        msgs_add(&m, "must not contain consecutive hyphens");
    if (n > 0 && (v[0] == '-' || v[n - 1] == '-'))
        msgs_add(&m, "must not begin or end with a hyphen");
    return msgs_done(&m);
}

char **k1s_is_in_range(long long v, long long lo, long long hi)
{
    msgs m = {0};
    if (v < lo || v > hi)
        msgs_addf(&m, "must be between %lld and %lld, inclusive", lo, hi);
    return msgs_done(&m);
}

char **k1s_is_port_num(long long port)
{
    return k1s_is_in_range(port, 1, 65535);
}

char **k1s_is_c_identifier(const char *v)
{
    msgs m = {0};
    bool ok = v[0] && (is_alpha(v[0]) || v[0] == '_');
    for (size_t i = 1; ok && v[i]; i++)
        ok = is_alnum(v[i]) || v[i] == '_';
    if (!ok)
        msgs_add_regex(&m, "", CIDENT_MSG, CIDENT_FMT, EXAMPLES("my_name", "MY_NAME", "MyName"));
    return msgs_done(&m);
}

/* kube's hasChDirPrefix: names that would escape a directory. */
static void check_chdir_prefix(msgs *m, const char *v)
{
    if (strcmp(v, ".") == 0)
        msgs_add(m, "must not be '.'");
    else if (strcmp(v, "..") == 0)
        msgs_add(m, "must not be '..'");
    else if (strncmp(v, "..", 2) == 0)
        msgs_add(m, "must not start with '..'");
}

char **k1s_is_env_var_name(const char *v)
{
    msgs m = {0};
    bool ok = v[0] && (is_alpha(v[0]) || v[0] == '-' || v[0] == '.' || v[0] == '_');
    for (size_t i = 1; ok && v[i]; i++)
        ok = is_alnum(v[i]) || v[i] == '-' || v[i] == '.' || v[i] == '_';
    if (!ok)
        msgs_add_regex(&m, "", ENV_MSG, ENV_FMT,
                       EXAMPLES("my.env-name", "MY_ENV.NAME", "MyEnvName1"));
    check_chdir_prefix(&m, v);
    return msgs_done(&m);
}

char **k1s_is_config_map_key(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v);
    bool ok = n > 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = is_alnum(v[i]) || v[i] == '-' || v[i] == '.' || v[i] == '_';
    if (n > DNS1123_SUBDOMAIN_MAX)
        msgs_add_owned(&m, k1s_msg_max_len(DNS1123_SUBDOMAIN_MAX));
    if (!ok)
        msgs_add_regex(&m, "", CMKEY_MSG, CMKEY_FMT, EXAMPLES("key.name", "KEY_NAME", "key-name"));
    check_chdir_prefix(&m, v);
    return msgs_done(&m);
}

char **k1s_is_percent(const char *v)
{
    msgs m = {0};
    size_t n = strlen(v), i = 0;
    while (i < n && is_digit(v[i]))
        i++;
    if (i == 0 || i + 1 != n || v[i] != '%')
        msgs_add_regex(&m, "", PERCENT_MSG, PERCENT_FMT, EXAMPLES("1%", "93%"));
    return msgs_done(&m);
}

char **k1s_is_http_header_name(const char *v)
{
    msgs m = {0};
    bool ok = v[0] != '\0';
    for (size_t i = 0; ok && v[i]; i++)
        ok = is_alnum(v[i]) || v[i] == '-';
    if (!ok)
        msgs_add_regex(&m, "", HEADER_MSG, HEADER_FMT, EXAMPLES("X-Header-Name"));
    return msgs_done(&m);
}

char **k1s_is_path_segment_name(const char *v, bool prefix)
{
    msgs m = {0};
    if (!prefix && (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)) {
        msgs_addf(&m, "may not be '%s'", v);
        return msgs_done(&m);
    }
    if (strchr(v, '/'))
        msgs_add(&m, "may not contain '/'");
    if (strchr(v, '%'))
        msgs_add(&m, "may not contain '%'");
    return msgs_done(&m);
}

char **k1s_validate_name(k1s_name_rule rule, const char *name, bool prefix)
{
    if (rule == K1S_NAME_PATH_SEGMENT)
        return k1s_is_path_segment_name(name, prefix);
    /* generateName may end in '-': kube checks it with the dash masked. */
    char *masked = NULL;
    size_t n = strlen(name);
    if (prefix && n > 1 && name[n - 1] == '-') {
        masked = strdup(name);
        if (!masked)
            return (char **)k1s_msgs_oom;
        masked[n - 1] = 'a';
        name = masked;
    }
    char **r;
    switch (rule) {
    case K1S_NAME_DNS1123_LABEL:
        r = k1s_is_dns1123_label(name);
        break;
    case K1S_NAME_DNS1035_LABEL:
        r = k1s_is_dns1035_label(name);
        break;
    default:
        r = k1s_is_dns1123_subdomain(name);
        break;
    }
    free(masked);
    return r;
}

char *k1s_msg_max_len(int n)
{
    return k1s__asprintf("must be no more than %d characters", n);
}

size_t k1s_msgs_count(char *const *msgs)
{
    size_t n = 0;
    while (msgs && msgs[n])
        n++;
    return n;
}

char *k1s_msgs_join(char *const *msgs, const char *sep)
{
    k1s_buf b = {0};
    for (size_t i = 0; msgs && msgs[i]; i++) {
        if (i)
            k1s_buf_adds(&b, sep);
        k1s_buf_adds(&b, msgs[i]);
    }
    return k1s_buf_take(&b, NULL);
}

void k1s_msgs_free(char **msgs)
{
    if (!msgs || msgs == (char **)k1s_msgs_oom)
        return;
    for (size_t i = 0; msgs[i]; i++)
        free(msgs[i]);
    free(msgs);
}

bool k1s_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = k1s__utf8_decode(u + i, n - i, &cp);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}
