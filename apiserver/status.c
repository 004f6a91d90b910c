/*
 * status.c - builds Kubernetes Status errors and 422 field-error lists with
 * kube-apiserver's codes, reasons and wording (see k1s_status.h).
 */
#include "k1s_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void k1s_status_clear(k1s_status *st)
{
    free(st->message);
    json_decref(st->details);
    memset(st, 0, sizeof *st);
}

static int status_vset(k1s_status *st, int code, const char *reason, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    k1s_status_clear(st);
    st->code = code;
    st->reason = reason;
    st->message = msg;
    return -1;
}

int k1s_status_set(k1s_status *st, int code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status_vset(st, code, reason, fmt, ap);
    va_end(ap);
    return -1;
}

void k1s_status_details(k1s_status *st, const char *name, const char *group, const char *kind)
{
    json_t *d = json_object();
    if (name && *name)
        json_object_set_new(d, "name", json_string(name));
    if (group && *group)
        json_object_set_new(d, "group", json_string(group));
    if (kind && *kind)
        json_object_set_new(d, "kind", json_string(kind));
    json_decref(st->details);
    st->details = d;
}

json_t *k1s_status_json(const k1s_status *st)
{
    json_t *o = json_pack("{s:s, s:s, s:{}, s:s}", "kind", "Status", "apiVersion", "v1", "metadata",
                          "status", st->code >= 200 && st->code < 300 ? "Success" : "Failure");
    if (st->message)
        json_object_set_new(o, "message", json_string(st->message));
    if (st->reason && *st->reason)
        json_object_set_new(o, "reason", json_string(st->reason));
    if (st->details)
        json_object_set(o, "details", st->details);
    json_object_set_new(o, "code", json_integer(st->code));
    return o;
}

void k1s_qualified_resource(char *buf, size_t len, const char *group, const char *resource)
{
    if (group && *group)
        snprintf(buf, len, "%s.%s", resource, group);
    else
        snprintf(buf, len, "%s", resource);
}

int k1s_err_not_found(k1s_status *st, const char *group, const char *resource, const char *name)
{
    char qr[160];
    k1s_qualified_resource(qr, sizeof qr, group, resource);
    k1s_status_set(st, 404, "NotFound", "%s \"%s\" not found", qr, name);
    k1s_status_details(st, name, group, resource);
    return -1;
}

int k1s_err_already_exists(k1s_status *st, const char *group, const char *resource,
                           const char *name)
{
    char qr[160];
    k1s_qualified_resource(qr, sizeof qr, group, resource);
    k1s_status_set(st, 409, "AlreadyExists", "%s \"%s\" already exists", qr, name);
    k1s_status_details(st, name, group, resource);
    return -1;
}

int k1s_err_conflict(k1s_status *st, const char *group, const char *resource, const char *name,
                     const char *why)
{
    char qr[160];
    k1s_qualified_resource(qr, sizeof qr, group, resource);
    k1s_status_set(st, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": %s", qr, name,
                   why);
    k1s_status_details(st, name, group, resource);
    return -1;
}

int k1s_err_bad_request(k1s_status *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    status_vset(st, 400, "BadRequest", fmt, ap);
    va_end(ap);
    return -1;
}

int k1s_err_internal(k1s_status *st, const char *what)
{
    return k1s_status_set(st, 500, "InternalError", "Internal error occurred: %s", what);
}

int k1s_err_method_not_allowed(k1s_status *st, const char *verb, const char *group,
                               const char *resource)
{
    char qr[160];
    k1s_qualified_resource(qr, sizeof qr, group, resource);
    k1s_status_set(st, 405, "MethodNotAllowed", "%s is not supported on resources of kind \"%s\"",
                   verb, qr);
    return -1;
}

int k1s_err_gone(k1s_status *st, long long asked, long long oldest)
{
    return k1s_status_set(st, 410, "Expired", "too old resource version: %lld (%lld)", asked,
                          oldest);
}

/* ---- field errors ------------------------------------------------------- */

void k1s_ferrs_init(k1s_ferrs *fe)
{
    fe->causes = json_array();
    fe->text = json_array();
}

void k1s_ferrs_free(k1s_ferrs *fe)
{
    json_decref(fe->causes);
    json_decref(fe->text);
    fe->causes = fe->text = NULL;
}

size_t k1s_ferrs_count(const k1s_ferrs *fe)
{
    return json_array_size(fe->causes);
}

static void ferr_add(k1s_ferrs *fe, const char *reason, const char *field, const char *body)
{
    json_array_append_new(fe->causes, json_pack("{s:s, s:s, s:s}", "reason", reason, "message",
                                                body, "field", field));
    char *line = NULL;
    if (asprintf(&line, "%s: %s", field, body) >= 0) {
        json_array_append_new(fe->text, json_string(line));
        free(line);
    }
}

void k1s_go_quote(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    const unsigned char *end = (const unsigned char *)s + n;
    for (const unsigned char *p = (const unsigned char *)s; p < end; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\a':
            fputs("\\a", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\v':
            fputs("\\v", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\x%02x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* Values print as Go's validation errors print them: strings quoted as %q
 * quotes them (a NUL inside included), numbers and booleans bare, anything
 * else as compact JSON. */
static char *value_text(const json_t *v)
{
    if (!v)
        return strdup("null");
    if (!json_is_string(v))
        return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    k1s_go_quote(f, json_string_value(v), json_string_length(v));
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

void k1s_ferr_required(k1s_ferrs *fe, const char *field, const char *detail)
{
    char *body = NULL;
    if (detail && *detail) {
        if (asprintf(&body, "Required value: %s", detail) < 0)
            return;
    } else {
        body = strdup("Required value");
    }
    ferr_add(fe, "FieldValueRequired", field, body);
    free(body);
}

void k1s_ferr_invalid(k1s_ferrs *fe, const char *field, const json_t *value, const char *detail)
{
    char *vt = value_text(value), *body = NULL;
    if (!vt)
        return;
    int n = detail && *detail ? asprintf(&body, "Invalid value: %s: %s", vt, detail)
                              : asprintf(&body, "Invalid value: %s", vt);
    if (n >= 0)
        ferr_add(fe, "FieldValueInvalid", field, body);
    free(vt);
    free(body);
}

void k1s_ferr_invalid_str(k1s_ferrs *fe, const char *field, const char *value, const char *detail)
{
    json_t *v = json_string(value ? value : "");
    k1s_ferr_invalid(fe, field, v, detail);
    json_decref(v);
}

void k1s_ferr_not_supported(k1s_ferrs *fe, const char *field, const json_t *value,
                            const char *const *supported)
{
    char *vt = value_text(value);
    if (!vt)
        return;
    size_t cap = 64;
    for (const char *const *s = supported; s && *s; s++)
        cap += strlen(*s) + 4;
    char *list = calloc(1, cap);
    for (const char *const *s = supported; list && s && *s; s++) {
        if (s != supported)
            strcat(list, ", ");
        strcat(list, "\"");
        strcat(list, *s);
        strcat(list, "\"");
    }
    char *body = NULL;
    if (list && asprintf(&body, "Unsupported value: %s: supported values: %s", vt, list) >= 0)
        ferr_add(fe, "FieldValueNotSupported", field, body);
    free(vt);
    free(list);
    free(body);
}

void k1s_ferr_forbidden(k1s_ferrs *fe, const char *field, const char *detail)
{
    char *body = NULL;
    if (asprintf(&body, "Forbidden: %s", detail) >= 0)
        ferr_add(fe, "FieldValueForbidden", field, body);
    free(body);
}

void k1s_ferr_duplicate(k1s_ferrs *fe, const char *field, const json_t *value)
{
    char *vt = value_text(value), *body = NULL;
    if (!vt)
        return;
    if (asprintf(&body, "Duplicate value: %s", vt) >= 0)
        ferr_add(fe, "FieldValueDuplicate", field, body);
    free(vt);
    free(body);
}

void k1s_ferr_too_long(k1s_ferrs *fe, const char *field, const json_t *value, int max)
{
    (void)value; /* kube omits over-long values from the message */
    char *body = NULL;
    if (asprintf(&body, "Too long: may not be more than %d bytes", max) >= 0)
        ferr_add(fe, "FieldValueTooLong", field, body);
    free(body);
}

int k1s_err_invalid(k1s_status *st, const char *group, const char *kind, const char *name,
                    const k1s_ferrs *fe)
{
    char qk[160];
    k1s_qualified_resource(qk, sizeof qk, group, kind);
    size_t n = json_array_size(fe->text);
    size_t cap = 2;
    for (size_t i = 0; i < n; i++)
        cap += strlen(json_string_value(json_array_get(fe->text, i))) + 2;
    char *all = calloc(1, cap + 2);
    if (!all)
        return k1s_err_internal(st, "out of memory");
    if (n > 1)
        strcat(all, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(all, ", ");
        strcat(all, json_string_value(json_array_get(fe->text, i)));
    }
    if (n > 1)
        strcat(all, "]");
    k1s_status_set(st, 422, "Invalid", "%s \"%s\" is invalid: %s", qk, name ? name : "", all);
    free(all);
    k1s_status_details(st, name, group, kind);
    json_object_set(st->details, "causes", fe->causes);
    return -1;
}
