/*
 * validate_util.c - small helpers every strategy uses (see
 * strategy_internal.h): field paths, JSON access, Go's semantic equality,
 * the field errors status.c does not build, Go value formatting for
 * messages, and the string checks of k1s_names.h turned into field errors.
 */
#include "strategy_internal.h"
#include "k1s_net.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Deeper JSON is compared with json_equal: specs are far shallower. */

const char *k1s__fp(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, K1S_FP_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[0] = 0;
    return buf;
}

/* ---- JSON access ---------------------------------------------------------- */

const char *k1s__str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *k1s__str0(const json_t *obj, const char *key)
{
    const char *s = k1s__str(obj, key);
    return s ? s : "";
}

json_t *k1s__objv(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *k1s__arrv(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

json_t *k1s__ensure_obj(json_t *obj, const char *key)
{
    if (!json_is_object(obj))
        return NULL;
    json_t *v = json_object_get(obj, key);
    if (json_is_object(v))
        return v;
    if (json_object_set_new(obj, key, json_object()) != 0)
        return NULL;
    return json_object_get(obj, key);
}

bool k1s__has(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && !json_is_null(v);
}

/* ---- field errors ----------------------------------------------------------- */

void k1s__ferr_raw(k1s_ferrs *fe, const char *reason, const char *field, const char *body)
{
    json_t *cause = json_pack("{s:s, s:s, s:s}", "reason", reason, "message", body, "field", field);
    if (cause)
        json_array_append_new(fe->causes, cause);
    char *line = NULL;
    if (asprintf(&line, "%s: %s", field, body) >= 0) {
        json_array_append_new(fe->text, json_string(line));
        free(line);
    }
}

void k1s__ferr_invalid_text(k1s_ferrs *fe, const char *field, const char *value_text,
                            const char *detail)
{
    char *body = NULL;
    int n = detail && *detail
                ? asprintf(&body, "Invalid value: %s: %s", value_text ? value_text : "null", detail)
                : asprintf(&body, "Invalid value: %s", value_text ? value_text : "null");
    if (n >= 0)
        k1s__ferr_raw(fe, "FieldValueInvalid", field, body);
    free(body);
}

void k1s__ferr_not_found(k1s_ferrs *fe, const char *field, const json_t *value)
{
    char *vt = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    char *body = NULL;
    if (asprintf(&body, "Not found: %s", vt ? vt : "null") >= 0)
        k1s__ferr_raw(fe, "FieldValueNotFound", field, body);
    free(vt);
    free(body);
}

void k1s__ferr_nonneg(k1s_ferrs *fe, const char *field, const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) < 0)
        k1s_ferr_invalid(fe, field, v, "must be greater than or equal to 0");
}

void k1s__ferr_msgs(k1s_ferrs *fe, const char *field, const json_t *value, char **msgs)
{
    if (!msgs)
        return;
    for (char **m = msgs; *m; m++)
        k1s_ferr_invalid(fe, field, value, *m);
    k1s_msgs_free(msgs);
}

void k1s__check_port_num(k1s_ferrs *fe, const char *field, const json_t *v)
{
    json_int_t n = json_integer_value(v);
    char **msgs = k1s_is_port_num(n);
    if (!msgs)
        return;
    json_t *iv = json_integer(n); /* new */
    k1s__ferr_msgs(fe, field, iv, msgs);
    json_decref(iv);
}

void k1s__ferr_not_supported_str(k1s_ferrs *fe, const char *field, const char *value,
                                 const char *const *supported)
{
    json_t *v = json_string(value ? value : "");
    k1s_ferr_not_supported(fe, field, v, supported);
    json_decref(v);
}

bool k1s__one_of(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* ---- string checks ------------------------------------------------------------ */

/* The bytes of v as a C string; a NUL inside becomes 0x01 so the checks see
 * a character no rule allows. malloc'd; NULL when v is not a string. */
static char *check_copy(const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, json_string_value(v), n);
    s[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (!s[i])
            s[i] = 1;
    return s;
}

void k1s__check_str(k1s_ferrs *fe, const char *field, const json_t *v, k1s__strcheck_fn fn)
{
    char *s = check_copy(v);
    if (!s)
        return;
    k1s__ferr_msgs(fe, field, v, fn(s));
    free(s);
}

void k1s__check_name_rule(k1s_ferrs *fe, const char *field, const json_t *v, k1s_name_rule rule,
                          bool prefix)
{
    char *s = check_copy(v);
    if (!s)
        return;
    k1s__ferr_msgs(fe, field, v, k1s_validate_name(rule, s, prefix));
    free(s);
}

void k1s__check_dns_label(k1s_ferrs *fe, const char *field, const json_t *v)
{
    k1s__check_str(fe, field, v, k1s_is_dns1123_label);
}

void k1s__check_dns_subdomain(k1s_ferrs *fe, const char *field, const json_t *v)
{
    k1s__check_str(fe, field, v, k1s_is_dns1123_subdomain);
}

void k1s__check_qualified_name(k1s_ferrs *fe, const char *field, const json_t *v)
{
    k1s__check_str(fe, field, v, k1s_is_qualified_name);
}

/* ---- Go formatting -------------------------------------------------------------- */

void k1s__go_quote(FILE *f, const char *s)
{
    k1s_go_quote(f, s, strlen(s));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* map[string]string{...} body into f, keys sorted as Go's fmt sorts them. */
static void go_map_into(FILE *f, const json_t *map)
{
    if (!json_is_object(map)) {
        fputs("map[string]string(nil)", f);
        return;
    }
    size_t n = json_object_size(map), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys)
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_str);
    fputs("map[string]string{", f);
    for (i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        k1s__go_quote(f, keys[i]);
        fputc(':', f);
        k1s__go_quote(f, k1s__str0(map, keys[i]));
    }
    fputc('}', f);
    free(keys);
}

static void go_slice_into(FILE *f, const json_t *arr)
{
    if (!json_is_array(arr)) {
        fputs("[]string(nil)", f);
        return;
    }
    fputs("[]string{", f);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        if (i)
            fputs(", ", f);
        const char *s = json_string_value(json_array_get(arr, i));
        k1s__go_quote(f, s ? s : "");
    }
    fputc('}', f);
}

/* Runs fill(f, v) into a memory stream; the malloc'd text or NULL. */
static char *go_format(void (*fill)(FILE *, const json_t *), const json_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fill(f, v);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *k1s__go_string_map(const json_t *map)
{
    return go_format(go_map_into, map);
}

char *k1s__go_string_slice(const json_t *arr)
{
    return go_format(go_slice_into, arr);
}

static void go_selector_into(FILE *f, const json_t *sel)
{
    fputs("v1.LabelSelector{MatchLabels:", f);
    go_map_into(f, k1s__objv(sel, "matchLabels"));
    fputs(", MatchExpressions:", f);
    const json_t *exprs = k1s__arrv(sel, "matchExpressions");
    if (!exprs) {
        fputs("[]v1.LabelSelectorRequirement(nil)}", f);
        return;
    }
    fputs("[]v1.LabelSelectorRequirement{", f);
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        const json_t *e = json_array_get(exprs, i);
        if (i)
            fputs(", ", f);
        fputs("v1.LabelSelectorRequirement{Key:", f);
        k1s__go_quote(f, k1s__str0(e, "key"));
        fputs(", Operator:", f);
        k1s__go_quote(f, k1s__str0(e, "operator"));
        fputs(", Values:", f);
        go_slice_into(f, k1s__arrv(e, "values"));
        fputc('}', f);
    }
    fputs("}}", f);
}

char *k1s__go_label_selector(const json_t *sel)
{
    if (!json_is_object(sel))
        return strdup("null");
    return go_format(go_selector_into, sel);
}

char *k1s__go_plain(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!v || json_is_null(v))
        return strdup("<nil>");
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* A JSON field name as the Go field: first letter upper-cased. */
static void go_field_name(FILE *f, const char *k)
{
    if (*k >= 'a' && *k <= 'z') {
        fputc(*k - 32, f);
        k++;
    }
    fputs(k, f);
}

static void diff_line(FILE *f, char sign, const char *k, const json_t *v)
{
    char *t = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fprintf(f, "%c \t", sign);
    go_field_name(f, k);
    fprintf(f, ": %s,\n", t ? t : "nil");
    free(t);
}

char *k1s__diff_message(const char *head, const char *type_name, const json_t *old,
                        const json_t *cur)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s\n  %s{\n", head, type_name);
    const char *k;
    json_t *v;
    size_t same = 0;
    json_object_foreach((json_t *)old, k, v)
    {
        json_t *nv = json_object_get(cur, k);
        if (k1s_json_semantic_equal(v, nv)) {
            same++;
            continue;
        }
        diff_line(f, '-', k, v);
        diff_line(f, '+', k, nv);
    }
    json_object_foreach((json_t *)cur, k,
                        v) if (!json_object_get(old, k) && !k1s_json_semantic_equal(NULL, v))
    {
        diff_line(f, '-', k, NULL);
        diff_line(f, '+', k, v);
    }
    if (same)
        fprintf(f, "  \t... // %zu identical fields\n", same);
    fputs("  }\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void k1s__validate_non_special_ipv4(const json_t *v, const char *path, k1s_ferrs *fe)
{
    const char *s = json_string_value(v);
    uint32_t h;
    if (k1s_ipv4_parse(s, &h) != 0)
        return;
    char detail[96];
    if (h == 0) {
        snprintf(detail, sizeof detail, "may not be unspecified (%s)", s);
        k1s_ferr_invalid(fe, path, v, detail);
    }
    if ((h >> 24) == 127)
        k1s_ferr_invalid(fe, path, v, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    if ((h >> 16) == 0xa9fe)
        k1s_ferr_invalid(fe, path, v,
                         "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    if ((h >> 8) == 0xe00000)
        k1s_ferr_invalid(fe, path, v,
                         "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
}
