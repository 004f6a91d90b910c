/*
 * filter.c - the label and field selectors of a list or watch, bound to a
 * kind: which fields it supports (kube answers "field label not supported"
 * for the rest) and how a field's value is read from an object.
 */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_selector.h"

struct k1s_filter {
    const k1s_kind *kind;
    k1s_selector *labels; /* owned or NULL */
    k1s_selector *fields; /* owned or NULL */
};

/* Field selector names that are not paths of the object (kube's field
 * label conversion functions). */
static const struct {
    const char *group, *kind, *field, *path;
} aliases[] = {
    {"", "Event", "source", "source.component"},
};

static const char *field_path(const k1s_kind *k, const char *field)
{
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcmp(aliases[i].group, k->group) && !strcmp(aliases[i].kind, k->kind) &&
            !strcmp(aliases[i].field, field))
            return aliases[i].path;
    return field;
}

static const char *const meta_fields[] = {"metadata.name", "metadata.namespace", NULL};

static bool supported(const k1s_kind *k, const char *field)
{
    for (const char *const *f = meta_fields; *f; f++)
        if (!strcmp(*f, field))
            return true;
    const char *const *extra = k->strategy ? k->strategy->field_labels : NULL;
    for (; extra && *extra; extra++)
        if (!strcmp(*extra, field))
            return true;
    return false;
}

int k1s_filter_new(const k1s_kind *kind, const char *label_selector, const char *field_selector,
                   k1s_filter **out, k1s_status *st)
{
    *out = NULL;
    bool has_l = label_selector && *label_selector;
    bool has_f = field_selector && *field_selector;
    if (!has_l && !has_f)
        return 0;
    k1s_filter *f = calloc(1, sizeof *f);
    if (!f)
        return k1s_err_internal(st, "out of memory");
    f->kind = kind;
    char *err = NULL;
    if (has_l && k1s_label_selector_parse(label_selector, &f->labels, &err)) {
        k1s_err_bad_request(st, "%s", err ? err : "invalid label selector");
        goto fail;
    }
    if (has_f) {
        if (k1s_field_selector_parse(field_selector, &f->fields, &err)) {
            k1s_err_bad_request(st, "%s", err ? err : "invalid field selector");
            goto fail;
        }
        for (size_t i = 0; i < k1s_selector_len(f->fields); i++) {
            const char *key = k1s_selector_at(f->fields, i)->key;
            if (!supported(kind, key)) {
                k1s_err_bad_request(st, "field label not supported: %s", key);
                goto fail;
            }
        }
    }
    *out = f;
    return 0;
fail:
    free(err);
    k1s_filter_free(f);
    return -1;
}

typedef struct fieldctx {
    const k1s_kind *kind;
    const json_t *obj;
    char buf[64];
} fieldctx;

/* A dotted path's value as the string kube compares against. An absent
 * field has its Go zero value: "false" for booleans, "0" for numbers, ""
 * otherwise (the schema says which). */
static const char *field_value(void *vctx, const char *field)
{
    fieldctx *c = vctx;
    const json_t *v = c->obj;
    const k1s_type *t = k1s__kind_schema(c->kind);
    const k1s_field *sf = NULL;
    char part[128];
    const char *p = field_path(c->kind, field);
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = 0;
        v = json_object_get(v, part);
        sf = t ? k1s_schema_field(t, part) : NULL;
        t = sf && sf->kind == K1S_T_OBJECT ? sf->type : NULL;
        p = dot ? dot + 1 : p + n;
    }
    if (!v && sf && sf->kind == K1S_T_BOOL)
        return "false";
    if (!v && sf && (sf->kind == K1S_T_INT32 || sf->kind == K1S_T_INT64))
        return "0";
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    if (json_is_integer(v)) {
        snprintf(c->buf, sizeof c->buf, "%lld", (long long)json_integer_value(v));
        return c->buf;
    }
    /* absent fields compare as the empty string, as kube's field sets do */
    return "";
}

bool k1s_filter_match(const k1s_filter *f, const json_t *obj)
{
    if (!f)
        return true;
    const json_t *meta = json_object_get(obj, "metadata");
    if (f->labels && !k1s_selector_matches_labels(f->labels, json_object_get(meta, "labels")))
        return false;
    if (f->fields) {
        fieldctx c = {.kind = f->kind, .obj = obj};
        if (!k1s_selector_matches_fields(f->fields, field_value, &c))
            return false;
    }
    return true;
}

void k1s_filter_free(k1s_filter *f)
{
    if (!f)
        return;
    k1s_selector_free(f->labels);
    k1s_selector_free(f->fields);
    free(f);
}

char *k1s__selector_string(const json_t *label_selector)
{
    k1s_selector *sel = NULL;
    char *err = NULL;
    if (!label_selector || k1s_label_selector_from_json(label_selector, &sel, &err)) {
        free(err);
        return NULL;
    }
    char *s = k1s_selector_string(sel);
    k1s_selector_free(sel);
    return s;
}
