/*
 * k1s_names.h - the string format checks of k8s.io/apimachinery's
 * util/validation, with kube-apiserver's exact messages.
 *
 * Validation code turns each message into one field error, e.g.
 *   metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain ...
 * so every check returns a list of messages rather than one string: NULL
 * when the value is valid, otherwise a malloc'd NULL-terminated array of
 * malloc'd strings, in the order kube reports them. Free it with
 * k1s_msgs_free. An allocation failure must not look like "valid", so on
 * out-of-memory the checks return k1s_msgs_oom, a static one-message list
 * ("out of memory") that k1s_msgs_free ignores.
 *
 * Values are C strings: a caller holding a JSON string must first reject
 * embedded NUL bytes (json_string_length(v) != strlen(s)), since the checks
 * only see the bytes before the first NUL.
 */
#ifndef K1S_NAMES_H
#define K1S_NAMES_H

#include <stdbool.h>
#include <stddef.h>

extern char *const k1s_msgs_oom[];

/* RFC 1123 subdomain: at most 253 characters (object names of most kinds). */
char **k1s_is_dns1123_subdomain(const char *v);
/* RFC 1123 label: at most 63 characters (namespace names, ...). */
char **k1s_is_dns1123_label(const char *v);
/* RFC 1035 label: at most 63 characters, starts with a letter (Services). */
char **k1s_is_dns1035_label(const char *v);
/* "*." followed by an RFC 1123 subdomain. */
char **k1s_is_wildcard_dns1123_subdomain(const char *v);
/* Label and annotation keys: an optional DNS subdomain prefix and '/', then
 * a name of at most 63 alphanumerics, '-', '_' or '.'. */
char **k1s_is_qualified_name(const char *v);
/* Label values: empty, or at most 63 characters like a qualified name. */
char **k1s_is_label_value(const char *v);
/* Port names (IANA_SVC_NAME): at most 15 of [-a-z0-9], a letter, no "--". */
char **k1s_is_port_name(const char *v);
/* 1..65535 */
char **k1s_is_port_num(long long port);
/* lo..hi inclusive */
char **k1s_is_in_range(long long v, long long lo, long long hi);
/* [A-Za-z_][A-Za-z0-9_]* */
char **k1s_is_c_identifier(const char *v);
/* Environment variable names as validated when the relaxed-names gate is
 * off: [-._a-zA-Z][-._a-zA-Z0-9]*, and not ".", ".." or "..*". */
char **k1s_is_env_var_name(const char *v);
/* ConfigMap and Secret data keys. */
char **k1s_is_config_map_key(const char *v);
/* "[0-9]+%" */
char **k1s_is_percent(const char *v);
/* "[-A-Za-z0-9]+" */
char **k1s_is_http_header_name(const char *v);
/* Names used as a URL path segment: not "." or "..", no '/' or '%'. With
 * prefix (generateName) only the characters are checked. */
char **k1s_is_path_segment_name(const char *v, bool prefix);

/* The name rules objects use for metadata.name (and generateName when
 * prefix is true: a trailing '-' is then allowed, as kube masks it). */
typedef enum k1s_name_rule {
    K1S_NAME_DNS1123_SUBDOMAIN,
    K1S_NAME_DNS1123_LABEL,
    K1S_NAME_DNS1035_LABEL,
    K1S_NAME_PATH_SEGMENT,
} k1s_name_rule;
char **k1s_validate_name(k1s_name_rule rule, const char *name, bool prefix);

/* "must be no more than N characters" (malloc'd), as used by the checks. */
char *k1s_msg_max_len(int n);

size_t k1s_msgs_count(char *const *msgs);
/* The messages joined with sep (malloc'd; "" for NULL), NULL on OOM. */
char *k1s_msgs_join(char *const *msgs, const char *sep);
void k1s_msgs_free(char **msgs);

/* Whether s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF). NUL bytes are valid UTF-8. */
bool k1s_utf8_valid(const char *s, size_t n);

#endif
