/*
 * patch_strategic.c - strategic merge patch (k1s_patch.h), following the
 * server side of k8s.io/apimachinery's strategicpatch package:
 *
 *   merge_map     a patch object into an object: "$patch" replace/delete,
 *                 then "$retainKeys", then "$setElementOrder/<list>", then
 *                 every other member (null deletes; maps merge unless their
 *                 strategy is replace; lists go to merge_list).
 *   merge_list    lists whose strategy includes "merge": entries with
 *                 "$patch" directives first, then patch entries merged into
 *                 the entry with the same merge key or appended; scalars are
 *                 unioned ("$deleteFromPrimitiveList/<list>" removes). The
 *                 result keeps the patch's relative order for the patch's
 *                 entries and the original's for the others.
 *   set_order     "$setElementOrder/<list>": the final order of the entries
 *                 the patch knows about.
 *
 * Values taken from the patch where the original has nothing to merge with
 * are "cleaned" (merged into an empty value), so directives and nulls
 * never reach the stored object; kube stores them and lets the typed
 * decoder drop them, which ends in the same object.
 *
 * kube's lookups in Go maps and its == on interface values become the
 * scalar index of am_util.h, which keeps every list merge linear.
 */
#include "patch_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PREFIX "$deleteFromPrimitiveList"
#define ORDER_PREFIX "$setElementOrder"

/* What the schema says about an object: a struct type, a map whose values
 * are of one type, or nothing. */
typedef struct schema {
    const k1s_type *type;
    bool is_map;
} schema;

/* What the schema says about one member: the schema of its value (of its
 * entries, for lists) and its list strategy. */
typedef struct meta {
    schema sub;
    const char *merge_key;
    bool merge;   /* lists: merge by merge_key, or union of scalars */
    bool replace; /* maps: take the patch's value as it is */
    const char *name; /* the entry type's name, for messages */
} meta;

typedef struct smp {
    k1s__perr e;
    int depth;
    /* > 0 while cleaning a value kube would store as sent: malformed or
     * unknown directives there are dropped instead of failing the patch,
     * as kube's typed decoding drops them. */
    int cleaning;
} smp;

static json_t *merge_map(smp *c, json_t *orig, const json_t *patch,
                         const schema *s);
static json_t *merge_list(smp *c, json_t *orig, const json_t *patch,
                          const meta *m, bool delete_list);
static json_t *clean(smp *c, const json_t *v, const meta *m);

/* ---- schema lookups ------------------------------------------------------ */

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, tok, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static meta lookup(const schema *s, const char *key)
{
    meta m = {0};
    if (s->is_map) {
        m.sub.type = s->type; /* every value has the map's value type */
        m.name = s->type ? s->type->name : "";
        return m;
    }
    if (!s->type)
        return m;
    const k1s_field *f = NULL;
    for (size_t i = 0; i < s->type->nfields && !f; i++)
        if (strcmp(s->type->fields[i].name, key) == 0)
            f = &s->type->fields[i];
    if (!f)
        return m;
    switch (f->kind) {
    case K1S_T_OBJECT:
        m.sub.type = f->type;
        break;
    case K1S_T_MAP:
        m.sub.is_map = true;
        m.sub.type = f->elem == K1S_T_OBJECT ? f->type : NULL;
        break;
    case K1S_T_ARRAY:
        m.sub.type = f->elem == K1S_T_OBJECT ? f->type : NULL;
        m.merge_key = f->merge_key && *f->merge_key ? f->merge_key : NULL;
        m.merge = has_token(f->patch_strategy, "merge");
        break;
    default:
        break;
    }
    m.replace = has_token(f->patch_strategy, "replace");
    m.name = f->type ? f->type->name : "";
    return m;
}

/* ---- messages (mergepatch's errors) -------------------------------------- */

static void fail_bad_arg_type(smp *c, const char *expected, const json_t *got)
{
    k1s__perr_setf(&c->e, K1S_PATCH_EINTERNAL,
                   "expected a %s, but received a %s", expected,
                   k1s__gotype(got));
}

static void fail_no_merge_key(smp *c, const json_t *m, const char *key)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, "map: ");
    k1s__gofmt(&b, m);
    k1s_buf_addf(&b, " does not contain declared merge key: %s", key);
    k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL, k1s_buf_take(&b, NULL));
}

static void fail_bad_patch_type(smp *c, const json_t *t, const json_t *m)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, "unknown patch type: ");
    k1s__gofmt(&b, t);
    k1s_buf_adds(&b, " in map: ");
    k1s__gofmt(&b, m);
    k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL, k1s_buf_take(&b, NULL));
}

static void fail_400(smp *c, const char *msg)
{
    k1s__perr_set(&c->e, K1S_PATCH_EBADREQUEST, strdup(msg));
}

static bool enter(smp *c)
{
    if (++c->depth > K1S_PATCH_MAX_DEPTH) {
        c->depth--;
        k1s__perr_depth(&c->e);
        return false;
    }
    return true;
}

static void leave(smp *c)
{
    c->depth--;
}

/* ---- small helpers -------------------------------------------------------- */

static bool is_string(const json_t *v, const char *s)
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

/* Positions of the entries of a list, by key_of. The keys are held by
 * reference so they survive the list's entries being replaced. */
typedef struct order {
    json_t **keys;
    size_t n, cap;
    k1s__idx *ix;
} order;

static void order_free(order *o)
{
    for (size_t i = 0; i < o->n; i++)
        json_decref(o->keys[i]);
    free(o->keys);
    k1s__idx_free(o->ix);
    memset(o, 0, sizeof *o);
}

static int order_build(smp *c, order *o, json_t *const *items, size_t n,
                       const char *mk)
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
    order_free(o);
    return k1s__perr_oom(&c->e);
}

static long order_find(const order *o, const json_t *item, const char *mk)
{
    const json_t *k = key_of(item, mk);
    return k ? k1s__idx_find(o->ix, k) : -1;
}

/* Append an entry's key to an order (keeping a reference to it). */
static int order_append(smp *c, order *o, const json_t *item, const char *mk)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        json_t **keys = realloc(o->keys, cap * sizeof *keys);
        if (!keys)
            return k1s__perr_oom(&c->e);
        o->keys = keys;
        o->cap = cap;
    }
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
static int order_of(smp *c, order *o, const json_t *arr, const char *mk)
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

/* A borrowed view of a JSON array's entries. */
typedef struct items {
    json_t **v;
    size_t n, cap;
} items;

static int items_push(smp *c, items *it, json_t *v)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 8;
        json_t **p = realloc(it->v, cap * sizeof *p);
        if (!p)
            return k1s__perr_oom(&c->e);
        it->v = p;
        it->cap = cap;
    }
    it->v[it->n++] = v;
    return 0;
}

/* Every entry of list (borrowed) must be an object carrying the merge key. */
static int check_merge_keys(smp *c, const json_t *list, const char *mk)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_object(v)) {
            fail_bad_arg_type(c, "map[string]interface {}", v);
            return -1;
        }
        if (!json_object_get(v, mk)) {
            fail_no_merge_key(c, v, mk);
            return -1;
        }
    }
    return 0;
}

typedef struct ranked {
    long rank;
    size_t pos;
} ranked;

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
        if (mk && is_string(json_object_get(it->v[i], DIRECTIVE), "delete"))
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
static json_t *normalize(smp *c, items *patch_items, items *server_only,
                         const order *want, const order *server, const char *mk)
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
static int partition(smp *c, json_t *merged, const order *by, const char *mk,
                     items *in, items *out)
{
    for (size_t i = 0; i < json_array_size(merged); i++) {
        json_t *v = json_array_get(merged, i);
        if (mk) {
            if (!json_is_object(v)) {
                fail_bad_arg_type(c, "map[string]interface {}", v);
                return -1;
            }
            if (!json_object_get(v, mk)) {
                fail_no_merge_key(c, v, mk);
                return -1;
            }
        }
        if (items_push(c, order_find(by, v, mk) >= 0 ? in : out, v))
            return -1;
    }
    return 0;
}

/* Go's reflect kinds of list entries: 0 none, 1 map, 2 scalar; -1 error. */
static int element_kind(smp *c, const json_t *a, const json_t *b)
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
static json_t *merge_scalars(smp *c, json_t *orig, const json_t *patch,
                             bool delete_list)
{
    json_t *res = NULL, *merged = NULL;
    order po = {0}, oo = {0};
    items pin = {0}, sonly = {0};
    k1s__idx *seen = NULL;
    if (order_of(c, &po, patch, NULL) || order_of(c, &oo, orig, NULL))
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
    if (partition(c, merged, &po, NULL, &pin, &sonly))
        goto cleanup;
    res = normalize(c, &pin, &sonly, &po, &oo, NULL);
    goto cleanup;
oom:
    k1s__perr_oom(&c->e);
cleanup:
    k1s__idx_free(seen);
    free(pin.v);
    free(sonly.v);
    order_free(&po);
    order_free(&oo);
    json_decref(merged);
    json_decref(orig);
    return res;
}

/* A list of maps with merge strategy, keyed by m->merge_key. orig (an
 * array we own) is consumed and updated in place, patch borrowed; returns a
 * new reference or NULL. */
static json_t *merge_maps(smp *c, json_t *orig, const json_t *patch,
                          const meta *m)
{
    const char *mk = m->merge_key;
    json_t *res = NULL, *work = orig;
    items plain = {0}, pin = {0}, sonly = {0};
    order so = {0}, pos = {0}, po = {0};
    bool replace = false;
    if (!mk) {
        k1s__perr_setf(&c->e, K1S_PATCH_EINTERNAL,
                       "cannot merge lists without merge key for %s",
                       m->name ? m->name : "");
        goto cleanup;
    }
    /* entries carrying "$patch" first */
    for (size_t i = 0; i < json_array_size(patch); i++) {
        json_t *v = json_array_get(patch, i);
        json_t *d = json_object_get(v, DIRECTIVE);
        if (!d) {
            if (items_push(c, &plain, v))
                goto cleanup;
        } else if (is_string(d, "delete")) {
            json_t *mv = json_object_get(v, mk);
            if (!mv) {
                fail_no_merge_key(c, v, mk);
                goto cleanup;
            }
            for (size_t j = json_array_size(work); j-- > 0;)
                if (k1s__scalar_eq(key_of(json_array_get(work, j), mk), mv))
                    json_array_remove(work, j);
        } else if (is_string(d, "replace")) {
            replace = true;
        } else if (is_string(d, "merge")) {
            k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL,
                          strdup("merging lists cannot yet be specified in the "
                                 "patch"));
            goto cleanup;
        } else {
            fail_bad_patch_type(c, d, v);
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
            json_t *v = clean(c, plain.v[i], m);
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
    if (order_of(c, &so, work, mk) || order_of(c, &pos, work, mk))
        goto cleanup;
    for (size_t i = 0; i < plain.n; i++) {
        json_t *v = plain.v[i];
        json_t *mv = json_object_get(v, mk);
        if (!mv) {
            fail_no_merge_key(c, v, mk);
            goto cleanup;
        }
        long at = k1s__idx_find(pos.ix, mv);
        json_t *nv;
        if (at >= 0) {
            json_t *cur = json_array_get(work, (size_t)at);
            if (!json_is_object(cur)) {
                fail_bad_arg_type(c, "map[string]interface {}", cur);
                goto cleanup;
            }
            nv = merge_map(c, json_incref(cur), v, &m->sub);
            if (!nv || json_array_set_new(work, (size_t)at, nv)) {
                if (nv)
                    k1s__perr_oom(&c->e);
                goto cleanup;
            }
        } else {
            nv = clean(c, v, m);
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
    if (partition(c, work, &po, mk, &pin, &sonly))
        goto cleanup;
    res = normalize(c, &pin, &sonly, &po, &so, mk);
cleanup:
    free(plain.v);
    free(pin.v);
    free(sonly.v);
    order_free(&so);
    order_free(&pos);
    order_free(&po);
    json_decref(work);
    return res;
}

/* A list member present in both the original and the patch. orig is
 * consumed, patch borrowed; returns a new reference or NULL. */
static json_t *merge_list(smp *c, json_t *orig, const json_t *patch,
                          const meta *m, bool delete_list)
{
    json_t *res = NULL;
    if (!enter(c)) {
        json_decref(orig);
        return NULL;
    }
    if (!m->merge) {
        /* replace strategy (kube does so even for a deletion list) */
        json_decref(orig);
        res = clean(c, patch, m);
        goto out;
    }
    if (json_array_size(orig) == 0 && json_array_size(patch) == 0) {
        res = orig;
        goto out;
    }
    int kind = element_kind(c, orig, patch);
    if (kind < 0) {
        json_decref(orig);
        goto out;
    }
    if (kind == 1)
        res = merge_maps(c, orig, patch, m);
    else
        res = merge_scalars(c, orig, patch, delete_list);
out:
    leave(c);
    return res;
}

/* ---- cleaning values taken from the patch -------------------------------- */

/* A copy of patch value v (borrowed) fit to store: directives applied,
 * null members dropped. m describes v (or v's entries for a list). New
 * reference, NULL on failure. */
static json_t *clean(smp *c, const json_t *v, const meta *m)
{
    json_t *res = NULL;
    c->cleaning++;
    if (json_is_object(v)) {
        json_t *empty = json_object();
        res = empty ? merge_map(c, empty, v, &m->sub) : NULL;
        if (!empty)
            k1s__perr_oom(&c->e);
    } else if (json_is_array(v)) {
        if (!enter(c)) {
            c->cleaning--;
            return NULL;
        }
        res = json_array();
        if (!res)
            k1s__perr_oom(&c->e);
        for (size_t i = 0; res && i < json_array_size(v); i++) {
            json_t *e = json_array_get(v, i);
            json_t *ce;
            if (json_is_object(e)) {
                if (is_string(json_object_get(e, DIRECTIVE), "delete"))
                    continue; /* nothing to delete in a new list */
                json_t *empty = json_object();
                ce = empty ? merge_map(c, empty, e, &m->sub) : NULL;
                if (!empty)
                    k1s__perr_oom(&c->e);
            } else {
                ce = json_deep_copy(e);
                if (!ce)
                    k1s__perr_oom(&c->e);
            }
            if (!ce || json_array_append_new(res, ce)) {
                if (ce)
                    k1s__perr_oom(&c->e);
                json_decref(res);
                res = NULL;
            }
        }
        leave(c);
    } else {
        res = json_copy((json_t *)v);
        if (!res)
            k1s__perr_oom(&c->e);
    }
    c->cleaning--;
    return res;
}

/* ---- maps ---------------------------------------------------------------- */

/* The list name after "<prefix>/", or NULL when key is not of that form. */
static const char *directive_target(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(key, prefix, n) != 0 || key[n] != '/')
        return NULL;
    return key + n + 1;
}

/* kube's applyRetainKeysDirective */
static int retain_keys(smp *c, json_t *orig, const json_t *patch)
{
    const json_t *rk = json_object_get(patch, RETAIN_KEYS);
    if (!rk)
        return 0;
    if (!json_is_array(rk)) {
        if (c->cleaning)
            return 0;
        fail_400(c, "invalid patch format of retainKeys");
        return -1;
    }
    /* the names to keep, as the keys of an object used as a set */
    json_t *keep = json_object();
    if (!keep)
        return k1s__perr_oom(&c->e);
    int rc = 0;
    for (size_t i = 0; i < json_array_size(rk); i++) {
        const char *name = k1s__json_cstr(json_array_get(rk, i));
        if (name && json_object_set_new(keep, name, json_true())) {
            rc = k1s__perr_oom(&c->e);
            goto cleanup;
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v)
    {
        if (json_is_null(v) || strcmp(k, RETAIN_KEYS) == 0 ||
            strncmp(k, DELETE_PREFIX, strlen(DELETE_PREFIX)) == 0 ||
            strncmp(k, ORDER_PREFIX, strlen(ORDER_PREFIX)) == 0)
            continue;
        if (!json_object_get(keep, k) && !c->cleaning) {
            fail_400(c, "invalid patch format of retainKeys");
            rc = -1;
            goto cleanup;
        }
    }
    void *it;
    json_object_foreach_safe(orig, it, k, v)
    {
        if (!json_object_get(keep, k))
            json_object_del(orig, k);
    }
cleanup:
    json_decref(keep);
    return rc;
}

/* kube's validatePatchWithSetOrderList: the patch's entries (deletions
 * and other directives aside) must appear in the order list, in order. */
static int check_set_order(smp *c, const json_t *pl, const json_t *sv,
                           const char *mk)
{
    size_t pn = json_array_size(pl), sn = json_array_size(sv);
    if (pn == 0 || sn == 0)
        return 0;
    items nondel = {0};
    int rc = 0;
    for (size_t i = 0; i < pn; i++) {
        json_t *v = json_array_get(pl, i);
        if (mk) {
            if (!json_is_object(v)) {
                fail_bad_arg_type(c, "map[string]interface {}", v);
                rc = -1;
                goto cleanup;
            }
            if (is_string(json_object_get(v, DIRECTIVE), "delete"))
                continue;
        }
        if (items_push(c, &nondel, v)) {
            rc = -1;
            goto cleanup;
        }
    }
    size_t pi = 0, si = 0;
    while (pi < nondel.n && si < sn) {
        const json_t *p = nondel.v[pi], *s = json_array_get(sv, si);
        if (json_is_object(p) && json_object_get(p, DIRECTIVE)) {
            pi++;
            continue;
        }
        bool eq;
        if (!mk) {
            eq = k1s__scalar_eq(p, s);
        } else {
            if (!json_is_object(s)) {
                fail_bad_arg_type(c, "map[string]interface {}", s);
                rc = -1;
                goto cleanup;
            }
            if (!json_object_get(p, mk) || !json_object_get(s, mk)) {
                fail_no_merge_key(c, json_object_get(p, mk) ? s : p, mk);
                rc = -1;
                goto cleanup;
            }
            eq = k1s__scalar_eq(json_object_get(p, mk), json_object_get(s, mk));
        }
        if (eq)
            pi++;
        si++;
    }
    if (pi < nondel.n && si >= sn) {
        k1s_buf b = {0};
        k1s_buf_adds(&b, "The order in patch list:\n");
        k1s__gofmt(&b, pl);
        k1s_buf_adds(&b, "\n doesn't match " ORDER_PREFIX " list:\n");
        k1s__gofmt(&b, sv);
        k1s_buf_adds(&b, "\n");
        k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL, k1s_buf_take(&b, NULL));
        rc = -1;
    }
cleanup:
    free(nondel.v);
    return rc;
}

/* One "$setElementOrder/<name>" directive (kube's mergePatchIntoOriginal):
 * merge the list if the patch has it, then order it, and record name in
 * handled (an object used as a set) so the list is not merged again. */
static int set_order(smp *c, json_t *orig, const json_t *patch, const char *key,
                     const json_t *sv, const schema *s, json_t *handled)
{
    if (c->cleaning)
        return 0; /* a value stored as sent keeps its lists as sent */
    if (!json_is_array(sv)) {
        fail_bad_arg_type(c, "[]interface {}", sv);
        return -1;
    }
    const char *name = directive_target(key, ORDER_PREFIX);
    if (!name) {
        fail_400(c, "invalid patch format of setElementOrder list");
        return -1;
    }
    json_t *ol = json_object_get(orig, name);
    const json_t *pl = json_object_get(patch, name);
    if (json_is_null(ol))
        ol = NULL;
    if (json_is_null(pl))
        pl = NULL;
    if ((ol && !json_is_array(ol)) || (pl && !json_is_array(pl))) {
        fail_bad_arg_type(c, "[]interface {}", ol && !json_is_array(ol) ? ol : pl);
        return -1;
    }
    meta m = lookup(s, name);
    if (!m.merge)
        return 0; /* only merging lists have an order to set */
    const char *mk = m.merge_key;
    if (check_set_order(c, pl, sv, mk))
        return -1;
    if (json_object_set_new(handled, name, json_true()))
        return k1s__perr_oom(&c->e);
    if (!ol && !pl)
        return 0;
    int kind = element_kind(c, ol, pl);
    if (kind < 0)
        return -1;
    const char *imk = kind == 1 ? mk : NULL; /* how entries are identified */
    order so = {0}, seto = {0};
    items pin = {0}, sonly = {0};
    json_t *merged = NULL, *res = NULL;
    int rc = -1;
    if (order_of(c, &so, ol, imk) || order_of(c, &seto, sv, imk))
        goto cleanup;
    if (ol && pl)
        merged = merge_list(c, json_incref(ol), pl, &m, false);
    else if (ol)
        merged = json_incref(ol);
    else
        merged = clean(c, pl, &m);
    if (!merged)
        goto cleanup;
    if (kind == 1 && mk && check_merge_keys(c, sv, mk))
        goto cleanup;
    if (partition(c, merged, &seto, mk, &pin, &sonly))
        goto cleanup;
    res = normalize(c, &pin, &sonly, &seto, &so, imk);
    if (!res)
        goto cleanup;
    if (json_object_set_new(orig, name, res)) {
        k1s__perr_oom(&c->e);
        goto cleanup;
    }
    rc = 0;
cleanup:
    json_decref(merged);
    free(pin.v);
    free(sonly.v);
    order_free(&so);
    order_free(&seto);
    return rc;
}

/* Merge the members of patch into orig (an object we own, updated in
 * place). "$patch" has been dealt with by the caller. */
static int merge_body(smp *c, json_t *orig, const json_t *patch,
                      const schema *s)
{
    json_t *handled = json_object(); /* lists set_order merged */
    int rc = -1;
    if (!handled) {
        k1s__perr_oom(&c->e);
        goto cleanup;
    }
    if (retain_keys(c, orig, patch))
        goto cleanup;
    const char *k;
    json_t *pv;
    json_object_foreach((json_t *)patch, k, pv)
    {
        if (strncmp(k, ORDER_PREFIX, strlen(ORDER_PREFIX)) == 0 &&
            set_order(c, orig, patch, k, pv, s, handled))
            goto cleanup;
    }
    json_object_foreach((json_t *)patch, k, pv)
    {
        if (strcmp(k, DIRECTIVE) == 0 || strcmp(k, RETAIN_KEYS) == 0 ||
            strncmp(k, ORDER_PREFIX, strlen(ORDER_PREFIX)) == 0 ||
            json_object_get(handled, k))
            continue;
        const char *name = k;
        bool delete_list = false;
        if (strncmp(k, DELETE_PREFIX, strlen(DELETE_PREFIX)) == 0) {
            name = directive_target(k, DELETE_PREFIX);
            if (!name) {
                if (c->cleaning)
                    continue;
                fail_400(c, "invalid patch format of primitive list");
                goto cleanup;
            }
            delete_list = true;
        }
        if (json_is_null(pv)) {
            json_object_del(orig, name);
            continue;
        }
        json_t *ov = json_object_get(orig, name);
        meta m = lookup(s, name);
        json_t *nv;
        if (!ov || !k1s__same_gotype(ov, pv)) {
            if (delete_list)
                continue;
            nv = clean(c, pv, &m);
        } else if (json_is_object(pv)) {
            nv = m.replace ? clean(c, pv, &m)
                           : merge_map(c, json_incref(ov), pv, &m.sub);
        } else if (json_is_array(pv)) {
            nv = merge_list(c, json_incref(ov), pv, &m, delete_list);
        } else {
            nv = json_copy(pv);
            if (!nv)
                k1s__perr_oom(&c->e);
        }
        if (!nv)
            goto cleanup;
        if (json_object_set_new(orig, name, nv)) {
            k1s__perr_oom(&c->e);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    json_decref(handled);
    return rc;
}

/* Merge a patch object into orig (an object we own; consumed). Returns the
 * merged object (new reference) or NULL on failure. */
static json_t *merge_map(smp *c, json_t *orig, const json_t *patch,
                         const schema *s)
{
    json_t *res = NULL;
    if (!enter(c)) {
        json_decref(orig);
        return NULL;
    }
    json_t *d = json_object_get(patch, DIRECTIVE);
    if (d && is_string(d, "replace")) {
        /* the map becomes the patch, minus the directive */
        json_decref(orig);
        orig = json_object();
        if (!orig) {
            k1s__perr_oom(&c->e);
            goto out;
        }
        c->cleaning++;
        int rc = merge_body(c, orig, patch, s);
        c->cleaning--;
        if (rc)
            goto out;
    } else if (d && is_string(d, "delete")) {
        json_decref(orig);
        orig = json_object();
        if (!orig)
            k1s__perr_oom(&c->e);
    } else if (d && !c->cleaning) {
        fail_bad_patch_type(c, d, patch);
        goto out;
    } else if (merge_body(c, orig, patch, s)) {
        goto out;
    }
    res = orig;
    orig = NULL;
out:
    json_decref(orig);
    leave(c);
    return res;
}

int k1s_patch_strategic(const k1s_type *t, const json_t *doc,
                        const json_t *patch, json_t **out, char **err)
{
    smp c = {0};
    *out = NULL;
    *err = NULL;
    if (patch && !json_is_null(patch) && !json_is_object(patch)) {
        k1s__perr_setf(&c.e, K1S_PATCH_EBADREQUEST,
                       "json: cannot unmarshal %s into Go value of type "
                       "map[string]interface {}",
                       k1s__json_kind(patch));
        return k1s__perr_finish(&c.e, err);
    }
    if (!json_is_object(doc)) {
        k1s__perr_set(&c.e, K1S_PATCH_EINTERNAL, strdup("invalid JSON document"));
        return k1s__perr_finish(&c.e, err);
    }
    json_t *copy = json_deep_copy(doc);
    if (!copy) {
        k1s__perr_oom(&c.e);
        return k1s__perr_finish(&c.e, err);
    }
    if (!patch || json_is_null(patch)) {
        *out = copy;
        return 0;
    }
    schema s = {t, false};
    json_t *res = merge_map(&c, copy, patch, &s);
    if (!res)
        return k1s__perr_finish(&c.e, err);
    *out = res;
    return 0;
}
