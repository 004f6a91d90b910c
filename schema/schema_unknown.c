/*
 * schema_unknown.c - k1s_schema_unknown_fields: strict decoding's "unknown
 * field" report. Walks a JSON object alongside its type and names every key
 * the type does not have, with the path kube-apiserver prints (sigs.k8s.io/json
 * strict errors): fields joined by '.', list items as [i], map keys as .key,
 * the whole path Go-quoted. Like the Go decoder it keeps at most 100
 * problems and drops exact repeats. Values of kind any, and opaque types,
 * accept everything.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_schema_internal.h"

#define MAX_PROBLEMS 100

typedef struct walk {
    json_t *errs; /* borrowed */
    size_t appended;
    k1s_buf path;
} walk;

/* Back to a saved path length; a path that overflowed is whole again. */
static void path_pop(walk *w, size_t mark)
{
    k1s_buf_truncate(&w->path, mark);
    w->path.full = w->path.oom = false;
}

static void report(walk *w, const char *key)
{
    if (w->appended >= MAX_PROBLEMS || json_array_size(w->errs) >= 10000)
        return;
    size_t mark = w->path.len;
    if (mark)
        k1s_buf_add(&w->path, ".", 1);
    k1s_buf_adds(&w->path, key);
    k1s_buf msg = {.max = K1S__SB_MAX};
    k1s_buf_adds(&msg, "unknown field ");
    if (k1s_buf_failed(&w->path))
        msg.full = true; /* a path over 1 MiB is not worth reporting */
    else
        k1s__goquote(&msg, w->path.p, w->path.len);
    path_pop(w, mark);
    char *text = k1s_buf_take(&msg, NULL);
    if (!text)
        return;
    size_t i;
    json_t *e;
    json_array_foreach(w->errs, i, e)
    {
        if (json_is_string(e) && strcmp(json_string_value(e), text) == 0) {
            free(text);
            return;
        }
    }
    if (json_array_append_new(w->errs, json_string(text)) == 0)
        w->appended++;
    free(text);
}

static void walk_object(walk *w, const k1s_type *t, const json_t *obj, int depth);

/* v is the value of a field (or an element) of kind/elem/elem2. */
static void walk_value(walk *w, k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2,
                       const k1s_type *type, const json_t *v, int depth)
{
    if (depth > K1S__SCHEMA_MAX_DEPTH || k1s_buf_failed(&w->path))
        return;
    size_t mark = w->path.len;
    if (kind == K1S_T_OBJECT) {
        walk_object(w, type, v, depth + 1);
    } else if (kind == K1S_T_ARRAY && json_is_array(v)) {
        if (elem != K1S_T_OBJECT && elem != K1S_T_ARRAY && elem != K1S_T_MAP)
            return;
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            k1s_buf_addf(&w->path, "[%zu]", i);
            walk_value(w, elem, elem2, K1S_T_STRING, type, item, depth + 1);
            path_pop(w, mark);
        }
    } else if (kind == K1S_T_MAP && json_is_object(v)) {
        if (elem != K1S_T_OBJECT && elem != K1S_T_ARRAY && elem != K1S_T_MAP)
            return;
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item)
        {
            k1s_buf_add(&w->path, ".", 1);
            k1s_buf_adds(&w->path, key);
            walk_value(w, elem, elem2, K1S_T_STRING, type, item, depth + 1);
            path_pop(w, mark);
        }
    }
}

static void walk_object(walk *w, const k1s_type *t, const json_t *obj, int depth)
{
    if (k1s__schema_opaque(t) || !json_is_object(obj))
        return;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const k1s_field *f = k1s_schema_field(t, key);
        if (!f) {
            report(w, key);
            continue;
        }
        if (f->kind != K1S_T_OBJECT && f->kind != K1S_T_ARRAY && f->kind != K1S_T_MAP)
            continue;
        size_t mark = w->path.len;
        if (mark)
            k1s_buf_add(&w->path, ".", 1);
        k1s_buf_adds(&w->path, key);
        walk_value(w, f->kind, f->elem, k1s_schema_field_elem2(f), f->type, v, depth);
        path_pop(w, mark);
    }
}

size_t k1s_schema_unknown_fields(const k1s_type *t, const json_t *obj, json_t *errs)
{
    if (!t || !obj || !json_is_array(errs))
        return 0;
    walk w = {.errs = errs, .path.max = K1S__SB_MAX};
    walk_object(&w, t, obj, 0);
    k1s_buf_free(&w.path);
    return w.appended;
}
