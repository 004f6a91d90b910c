/*
 * patch_merge.c - RFC 7386 JSON merge patch, applied the way the library
 * kube-apiserver uses does (members set to null are dropped from newly
 * added objects; arrays are taken as they are), and its inverse, the diff
 * of two documents as a merge patch.
 */
#include "patch_int.h"

#include <stdlib.h>
#include <string.h>

/* A copy of a patch value with null members removed from its objects, at
 * any depth (null array elements stay). New reference, NULL on failure. */
static json_t *prune(const json_t *v, int depth, k1s__perr *e)
{
    if (depth > K1S_PATCH_MAX_DEPTH) {
        k1s__perr_depth(e);
        return NULL;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        if (!o)
            goto oom;
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            if (json_is_null(m))
                continue;
            json_t *c = prune(m, depth + 1, e);
            if (!c || json_object_set_new(o, k, c)) {
                json_decref(o);
                return c ? (k1s__perr_oom(e), NULL) : NULL;
            }
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        if (!a)
            goto oom;
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *c = prune(json_array_get(v, i), depth + 1, e);
            if (!c || json_array_append_new(a, c)) {
                json_decref(a);
                return c ? (k1s__perr_oom(e), NULL) : NULL;
            }
        }
        return a;
    }
    json_t *c = json_copy((json_t *)v);
    if (c)
        return c;
oom:
    k1s__perr_oom(e);
    return NULL;
}

/* Merge patch object p into doc object d (modified in place). */
static int merge_docs(json_t *d, const json_t *p, int depth, k1s__perr *e)
{
    if (depth > K1S_PATCH_MAX_DEPTH)
        return k1s__perr_depth(e);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)p, k, v)
    {
        if (json_is_null(v)) {
            json_object_del(d, k);
            continue;
        }
        json_t *cur = json_object_get(d, k);
        json_t *repl;
        if (json_is_object(cur) && json_is_object(v)) {
            if (merge_docs(cur, v, depth + 1, e))
                return e->code;
            continue;
        } else if (json_is_object(cur)) {
            repl = json_deep_copy(v); /* taken as it is */
            if (!repl)
                return k1s__perr_oom(e);
        } else {
            repl = prune(v, depth + 1, e);
            if (!repl)
                return e->code;
        }
        if (json_object_set_new(d, k, repl))
            return k1s__perr_oom(e);
    }
    return 0;
}

int k1s_patch_merge(const json_t *doc, const json_t *patch, json_t **out, char **err)
{
    k1s__perr e = {0};
    json_t *res = NULL;
    *out = NULL;
    *err = NULL;
    if (!patch || (!json_is_object(patch) && !json_is_array(patch))) {
        k1s__perr_set(&e, K1S_PATCH_EBADREQUEST, strdup("Invalid JSON Patch"));
        goto cleanup;
    }
    if (!doc || json_is_null(doc)) {
        k1s__perr_set(&e, K1S_PATCH_EINTERNAL, strdup("Invalid JSON Document"));
        goto cleanup;
    }
    if (json_is_array(patch) || !json_is_object(doc)) {
        /* not a document to merge into: the patch becomes the result */
        res = prune(patch, 0, &e);
        goto cleanup;
    }
    res = json_deep_copy(doc);
    if (!res) {
        k1s__perr_oom(&e);
        goto cleanup;
    }
    if (merge_docs(res, patch, 0, &e)) {
        json_decref(res);
        res = NULL;
    }
cleanup:
    if (e.code)
        return k1s__perr_finish(&e, err);
    *out = res;
    return 0;
}

/* The merge patch from f to t, both objects (borrowed). New reference, or
 * NULL with *rc set. */
static json_t *diff(const json_t *f, const json_t *t, int depth, int *rc)
{
    if (depth > K1S_PATCH_MAX_DEPTH) {
        *rc = K1S_PATCH_EBADREQUEST;
        return NULL;
    }
    json_t *p = json_object();
    if (!p)
        goto oom;
    const char *k;
    json_t *tv;
    json_object_foreach((json_t *)t, k, tv)
    {
        json_t *fv = json_object_get(f, k);
        json_t *pv = NULL;
        if (fv && json_is_object(fv) && json_is_object(tv)) {
            pv = diff(fv, tv, depth + 1, rc);
            if (!pv)
                goto fail;
            if (json_object_size(pv) == 0) {
                json_decref(pv);
                continue;
            }
        } else if (!fv || !json_equal(fv, tv)) {
            pv = json_deep_copy(tv);
            if (!pv)
                goto oom;
        } else {
            continue;
        }
        if (json_object_set_new(p, k, pv))
            goto oom;
    }
    json_t *fv;
    json_object_foreach((json_t *)f, k, fv)
    {
        if (!json_object_get(t, k) && json_object_set_new(p, k, json_null()))
            goto oom;
    }
    return p;
oom:
    *rc = K1S_ENOMEM;
fail:
    json_decref(p);
    return NULL;
}

int k1s_merge_patch_create(const json_t *from, const json_t *to, json_t **patch)
{
    int rc = 0;
    *patch = NULL;
    if (json_is_object(from) && json_is_object(to))
        *patch = diff(from, to, 0, &rc);
    else
        *patch = to ? json_deep_copy(to) : json_null();
    if (!*patch && !rc)
        rc = K1S_ENOMEM;
    return rc;
}
