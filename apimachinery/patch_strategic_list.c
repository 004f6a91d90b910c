/*
 * patch_strategic_list.c - the lists of a strategic merge patch: entries
 * matched by merge key, "$patch" directives on entries, unions of scalars
 * and "$deleteFromPrimitiveList", and the order the result keeps (the
 * patch's relative order for its entries, the original's for the rest).
 */
#include "patch_smp_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    long rank;
    size_t pos;
} ranked;

/* ---- small helpers -------------------------------------------------------- */

bool k1s__smp_is_string(const json_t *v, const char *s)
{
    const char *vs = k1s__json_cstr(v);
    return vs && strcmp(vs, s) == 0;
}

/* The value an entry is identified by: its merge key's value, or the entry
 * itself in lists of scalars. NULL when the entry has no such key. */
static const json_t *key_of(const json_t *item, const char *mk)
{
    if (!mk)
        return item;
    return json_is_object(item) ? json_object_get(item, mk) : NULL;
}

void k1s__smp_order_free(order *o)
{
    for (size_t i = 0; i < o->n; i++)
        json_decref(o->keys[i]);
    free(o->keys);
    k1s__idx_free(o->ix);
    memset(o, 0, sizeof *o);
}

static int order_build(smp *c, order *o, json_t *const *items, size_t n, const char *mk)
{
    memset(o, 0, sizeof *o);
    o->keys = n ? calloc(n, sizeof *o->keys) : NULL;
    o->cap = n;
    o->ix = k1s__idx_new(n);
    if ((n && !o->keys) || !o->ix)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const json_t *k = key_of(items[i], mk);
        o->keys[i] = k ? json_incref((json_t *)k) : NULL;
        o->n = i + 1;
        if (k && k1s__idx_add(o->ix, k, i))
            goto oom;
    }
    return 0;
oom:
    k1s__smp_order_free(o);
    return k1s__perr_oom(&c->e);
}

static long order_find(const order *o, const json_t *item, const char *mk)
{
    const json_t *k = key_of(item, mk);
    return k ? k1s__idx_find(o->ix, k) : -1;
}

/* Room for one more pointer in *arr (n used of *cap): orders and item
 * lists grow the same way. */
static int room_for_one(smp *c, json_t ***arr, size_t n, size_t *cap)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    json_t **p = realloc(*arr, ncap * sizeof *p);
    if (!p)
        return k1s__perr_oom(&c->e);
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Append an entry's key to an order (keeping a reference to it). */
static int order_append(smp *c, order *o, const json_t *item, const char *mk)
{
    int rc = room_for_one(c, &o->keys, o->n, &o->cap);
    if (rc)
        return rc;
    const json_t *k = key_of(item, mk);
    o->keys[o->n] = k ? json_incref((json_t *)k) : NULL;
    if (k && k1s__idx_add(o->ix, k, o->n)) {
        json_decref(o->keys[o->n]);
        return k1s__perr_oom(&c->e);
    }
    o->n++;
    return 0;
}

/* order_build over the entries of a JSON array (NULL is an empty list). */
int k1s__smp_order_of(smp *c, order *o, const json_t *arr, const char *mk)
{
    size_t n = json_array_size(arr);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (n && !v) {
        memset(o, 0, sizeof *o);
        return k1s__perr_oom(&c->e);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    int rc = order_build(c, o, v, n, mk);
    free(v);
    return rc;
}

int k1s__smp_items_push(smp *c, items *it, json_t *v)
{
    int rc = room_for_one(c, &it->v, it->n, &it->cap);
    if (rc)
        return rc;
    it->v[it->n++] = v;
    return 0;
}

/* Every entry of list (borrowed) must be an object carrying the merge key. */
int k1s__smp_check_merge_keys(smp *c, const json_t *list, const char *mk)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_object(v)) {
            k1s__smp_fail_bad_arg_type(c, "map[string]interface {}", v);
            return -1;
        }
        if (!json_object_get(v, mk)) {
            k1s__smp_fail_no_merge_key(c, v, mk);
            return -1;
        }
    }
    return 0;
}

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* kube's normalizeSliceOrder: entries ordered by their position in `by`
 * (stable; entries `by` lacks go last); with a merge key, entries carrying
 * "$patch": "delete" move to the very end. */
static int sort_by(smp *c, items *it, const order *by, const char *mk)
{
    if (it->n < 2)
        return 0;
    ranked *r = malloc(it->n * sizeof *r);
    json_t **tmp = malloc(it->n * sizeof *tmp);
    if (!r || !tmp) {
        free(r);
        free(tmp);
        return k1s__perr_oom(&c->e);
    }
    for (size_t i = 0; i < it->n; i++) {
        long rank = order_find(by, it->v[i], mk);
        if (mk && k1s__smp_is_string(json_object_get(it->v[i], DIRECTIVE), "delete"))
            rank = LONG_MAX;
        else if (rank < 0)
            rank = LONG_MAX - 1;
        r[i].rank = rank;
        r[i].pos = i;
    }
    qsort(r, it->n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < it->n; i++)
        tmp[i] = it->v[r[i].pos];
    memcpy(it->v, tmp, it->n * sizeof *tmp);
    free(r);
    free(tmp);
    return 0;
}

/* kube's normalizeElementOrder: patch entries in the order of `want`,
 * server-only entries in the order of `server`, interleaved so that a
 * server-only entry stays before a patch entry it preceded on the server.
 * Returns a new array (new reference), NULL on failure. */
json_t *k1s__smp_normalize(smp *c, items *patch_items, items *server_only, const order *want,
                           const order *server, const char *mk)
{
    if (sort_by(c, patch_items, want, mk) || sort_by(c, server_only, server, mk))
        return NULL;
    json_t *out = json_array();
    if (!out) {
        k1s__perr_oom(&c->e);
        return NULL;
    }
    size_t i = 0, j = 0;
    while (i < server_only->n || j < patch_items->n) {
        json_t *next;
        if (i >= server_only->n) {
            next = patch_items->v[j++];
        } else if (j >= patch_items->n) {
            next = server_only->v[i++];
        } else {
            long li = order_find(server, server_only->v[i], mk);
            long ri = order_find(server, patch_items->v[j], mk);
            if (li >= 0 && ri >= 0 && li < ri)
                next = server_only->v[i++];
            else
                next = patch_items->v[j++];
        }
        if (json_array_append(out, next)) {
            json_decref(out);
            k1s__perr_oom(&c->e);
            return NULL;
        }
    }
    return out;
}

/* Split `merged` into the entries present in `by` and the others. */
int k1s__smp_partition(smp *c, json_t *merged, const order *by, const char *mk, items *in,
                       items *out)
{
    for (size_t i = 0; i < json_array_size(merged); i++) {
        json_t *v = json_array_get(merged, i);
        if (mk) {
            if (!json_is_object(v)) {
                k1s__smp_fail_bad_arg_type(c, "map[string]interface {}", v);
                return -1;
            }
            if (!json_object_get(v, mk)) {
                k1s__smp_fail_no_merge_key(c, v, mk);
                return -1;
            }
        }
        if (k1s__smp_items_push(c, order_find(by, v, mk) >= 0 ? in : out, v))
            return -1;
    }
    return 0;
}

/* Go's reflect kinds of list entries: 0 none, 1 map, 2 scalar; -1 error. */
int k1s__smp_element_kind(smp *c, const json_t *a, const json_t *b)
{
    const json_t *first = NULL;
    const json_t *lists[2] = {a, b};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < json_array_size(lists[l]); i++) {
            const json_t *v = json_array_get(lists[l], i);
            if (!first) {
                first = v;
                if (json_is_array(v)) {
                    k1s__perr_set(&c->e, K1S_PATCH_EINVALID,
                                  strdup("lists of lists are not supported"));
                    return -1;
                }
            } else if (!k1s__same_gotype(first, v)) {
                k1s_buf buf = {0};
                k1s_buf_adds(&buf, "list element types are not identical: [");
                if (a)
                    k1s__gofmt(&buf, a);
                else
                    k1s_buf_adds(&buf, "[]");
                k1s_buf_addc(&buf, ' ');
                if (b)
                    k1s__gofmt(&buf, b);
                else
                    k1s_buf_adds(&buf, "[]");
                k1s_buf_addc(&buf, ']');
                k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL, k1s_buf_take(&buf, NULL));
                return -1;
            }
        }
    }
    if (!first)
        return 0;
    return json_is_object(first) ? 1 : 2;
}

/* ---- lists --------------------------------------------------------------- */

/* A list of scalars with merge strategy: the union of orig and patch, or
 * orig without the patch's values for a $deleteFromPrimitiveList list.
 * orig is consumed, patch borrowed; returns a new reference or NULL. */
static json_t *merge_scalars(smp *c, json_t *orig, const json_t *patch, bool delete_list)
{
    json_t *res = NULL, *merged = NULL;
    order po = {0}, oo = {0};
    items pin = {0}, sonly = {0};
    k1s__idx *seen = NULL;
    if (k1s__smp_order_of(c, &po, patch, NULL) || k1s__smp_order_of(c, &oo, orig, NULL))
        goto cleanup;
    merged = json_array();
    if (!merged)
        goto oom;
    if (delete_list) {
        for (size_t i = 0; i < json_array_size(orig); i++) {
            json_t *v = json_array_get(orig, i);
            if (order_find(&po, v, NULL) < 0 && json_array_append(merged, v))
                goto oom;
        }
        res = merged;
        merged = NULL;
        goto cleanup;
    }
    seen = k1s__idx_new(json_array_size(orig) + json_array_size(patch));
    if (!seen)
        goto oom;
    for (int l = 0; l < 2; l++) {
        const json_t *list = l ? patch : orig;
        for (size_t i = 0; i < json_array_size(list); i++) {
            json_t *v = json_array_get(list, i);
            if (k1s__idx_find(seen, v) >= 0)
                continue;
            json_t *copy = l ? json_deep_copy(v) : json_incref(v);
            if (!copy || json_array_append_new(merged, copy) ||
                k1s__idx_add(seen, copy, json_array_size(merged) - 1))
                goto oom;
        }
    }
    if (k1s__smp_partition(c, merged, &po, NULL, &pin, &sonly))
        goto cleanup;
    res = k1s__smp_normalize(c, &pin, &sonly, &po, &oo, NULL);
    goto cleanup;
oom:
    k1s__perr_oom(&c->e);
cleanup:
    k1s__idx_free(seen);
    free(pin.v);
    free(sonly.v);
    k1s__smp_order_free(&po);
    k1s__smp_order_free(&oo);
    json_decref(merged);
    json_decref(orig);
    return res;
}

/* A list of maps with merge strategy, keyed by m->merge_key. orig (an
 * array we own) is consumed and updated in place, patch borrowed; returns a
 * new reference or NULL. */
static json_t *merge_maps(smp *c, json_t *orig, const json_t *patch, const meta *m)
{
    const char *mk = m->merge_key;
    json_t *res = NULL, *work = orig;
    items plain = {0}, pin = {0}, sonly = {0};
    order so = {0}, pos = {0}, po = {0};
    bool replace = false;
    if (!mk) {
        k1s__perr_setf(&c->e, K1S_PATCH_EINTERNAL, "cannot merge lists without merge key for %s",
                       m->name ? m->name : "");
        goto cleanup;
    }
    /* entries carrying "$patch" first */
    for (size_t i = 0; i < json_array_size(patch); i++) {
        json_t *v = json_array_get(patch, i);
        json_t *d = json_object_get(v, DIRECTIVE);
        if (!d) {
            if (k1s__smp_items_push(c, &plain, v))
                goto cleanup;
        } else if (k1s__smp_is_string(d, "delete")) {
            json_t *mv = json_object_get(v, mk);
            if (!mv) {
                k1s__smp_fail_no_merge_key(c, v, mk);
                goto cleanup;
            }
            for (size_t j = json_array_size(work); j-- > 0;)
                if (k1s__scalar_eq(key_of(json_array_get(work, j), mk), mv))
                    json_array_remove(work, j);
        } else if (k1s__smp_is_string(d, "replace")) {
            replace = true;
        } else if (k1s__smp_is_string(d, "merge")) {
            k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL,
                          strdup("merging lists cannot yet be specified in the "
                                 "patch"));
            goto cleanup;
        } else {
            k1s__smp_fail_bad_patch_type(c, d, v);
            goto cleanup;
        }
    }
    if (replace) {
        /* the list becomes the patch's plain entries */
        json_t *fresh = json_array();
        if (!fresh) {
            k1s__perr_oom(&c->e);
            goto cleanup;
        }
        json_decref(work);
        work = fresh;
        for (size_t i = 0; i < plain.n; i++) {
            json_t *v = k1s__smp_clean(c, plain.v[i], m);
            if (!v || json_array_append_new(work, v)) {
                if (v)
                    k1s__perr_oom(&c->e);
                goto cleanup;
            }
        }
        plain.n = 0;
    }
    /* so: the server's order, before anything is appended (appended
     * entries must stay unknown to it); pos: where each key sits in work,
     * growing with the appends */
    if (k1s__smp_order_of(c, &so, work, mk) || k1s__smp_order_of(c, &pos, work, mk))
        goto cleanup;
    for (size_t i = 0; i < plain.n; i++) {
        json_t *v = plain.v[i];
        json_t *mv = json_object_get(v, mk);
        if (!mv) {
            k1s__smp_fail_no_merge_key(c, v, mk);
            goto cleanup;
        }
        long at = k1s__idx_find(pos.ix, mv);
        json_t *nv;
        if (at >= 0) {
            json_t *cur = json_array_get(work, (size_t)at);
            if (!json_is_object(cur)) {
                k1s__smp_fail_bad_arg_type(c, "map[string]interface {}", cur);
                goto cleanup;
            }
            nv = k1s__smp_merge_map(c, json_incref(cur), v, &m->sub);
            if (!nv || json_array_set_new(work, (size_t)at, nv)) {
                if (nv)
                    k1s__perr_oom(&c->e);
                goto cleanup;
            }
        } else {
            nv = k1s__smp_clean(c, v, m);
            if (!nv || json_array_append_new(work, nv)) {
                if (nv)
                    k1s__perr_oom(&c->e);
                goto cleanup;
            }
            if (order_append(c, &pos, nv, mk))
                goto cleanup;
        }
    }
    if (order_build(c, &po, plain.v, plain.n, mk))
        goto cleanup;
    if (k1s__smp_partition(c, work, &po, mk, &pin, &sonly))
        goto cleanup;
    res = k1s__smp_normalize(c, &pin, &sonly, &po, &so, mk);
cleanup:
    free(plain.v);
    free(pin.v);
    free(sonly.v);
    k1s__smp_order_free(&so);
    k1s__smp_order_free(&pos);
    k1s__smp_order_free(&po);
    json_decref(work);
    return res;
}

/* A list member present in both the original and the patch. orig is
 * consumed, patch borrowed; returns a new reference or NULL. */
json_t *k1s__smp_merge_list(smp *c, json_t *orig, const json_t *patch, const meta *m,
                            bool delete_list)
{
    json_t *res = NULL;
    if (!k1s__smp_enter(c)) {
        json_decref(orig);
        return NULL;
    }
    if (!m->merge) {
        /* replace strategy (kube does so even for a deletion list) */
        json_decref(orig);
        res = k1s__smp_clean(c, patch, m);
        goto out;
    }
    if (json_array_size(orig) == 0 && json_array_size(patch) == 0) {
        res = orig;
        goto out;
    }
    int kind = k1s__smp_element_kind(c, orig, patch);
    if (kind < 0) {
        json_decref(orig);
        goto out;
    }
    if (kind == 1)
        res = merge_maps(c, orig, patch, m);
    else
        res = merge_scalars(c, orig, patch, delete_list);
out:
    k1s__smp_leave(c);
    return res;
}
