/*
 * patch_strategic.c - strategic merge patch (k1s_patch.h), following the
 * server side of k8s.io/apimachinery's strategicpatch package:
 *
 *   merge_map     a patch object into an object: "$patch" replace/delete,
 *                 then "$retainKeys", then "$setElementOrder/<list>", then
 *                 every other member (null deletes; maps merge unless their
 *                 strategy is replace; lists go to merge_list).
 *   merge_list    (patch_strategic_list.c) lists whose strategy includes "merge": entries with
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
#include "patch_smp_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

void k1s__smp_fail_bad_arg_type(smp *c, const char *expected, const json_t *got)
{
    k1s__perr_setf(&c->e, K1S_PATCH_EINTERNAL, "expected a %s, but received a %s", expected,
                   k1s__gotype(got));
}

void k1s__smp_fail_no_merge_key(smp *c, const json_t *m, const char *key)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, "map: ");
    k1s__gofmt(&b, m);
    k1s_buf_addf(&b, " does not contain declared merge key: %s", key);
    k1s__perr_set(&c->e, K1S_PATCH_EINTERNAL, k1s_buf_take(&b, NULL));
}

void k1s__smp_fail_bad_patch_type(smp *c, const json_t *t, const json_t *m)
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

bool k1s__smp_enter(smp *c)
{
    if (++c->depth > K1S_PATCH_MAX_DEPTH) {
        c->depth--;
        k1s__perr_depth(&c->e);
        return false;
    }
    return true;
}

void k1s__smp_leave(smp *c)
{
    c->depth--;
}

/* ---- cleaning values taken from the patch -------------------------------- */

/* A copy of patch value v (borrowed) fit to store: directives applied,
 * null members dropped. m describes v (or v's entries for a list). New
 * reference, NULL on failure. */
json_t *k1s__smp_clean(smp *c, const json_t *v, const meta *m)
{
    json_t *res = NULL;
    c->cleaning++;
    if (json_is_object(v)) {
        json_t *empty = json_object();
        res = empty ? k1s__smp_merge_map(c, empty, v, &m->sub) : NULL;
        if (!empty)
            k1s__perr_oom(&c->e);
    } else if (json_is_array(v)) {
        if (!k1s__smp_enter(c)) {
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
                if (k1s__smp_is_string(json_object_get(e, DIRECTIVE), "delete"))
                    continue; /* nothing to delete in a new list */
                json_t *empty = json_object();
                ce = empty ? k1s__smp_merge_map(c, empty, e, &m->sub) : NULL;
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
        k1s__smp_leave(c);
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
        if (!name && !c->cleaning) { /* every entry names a field */
            fail_400(c, "invalid patch format of retainKeys");
            rc = -1;
            goto cleanup;
        }
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
static int check_set_order(smp *c, const json_t *pl, const json_t *sv, const char *mk)
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
                k1s__smp_fail_bad_arg_type(c, "map[string]interface {}", v);
                rc = -1;
                goto cleanup;
            }
            if (k1s__smp_is_string(json_object_get(v, DIRECTIVE), "delete"))
                continue;
        }
        if (k1s__smp_items_push(c, &nondel, v)) {
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
                k1s__smp_fail_bad_arg_type(c, "map[string]interface {}", s);
                rc = -1;
                goto cleanup;
            }
            if (!json_object_get(p, mk) || !json_object_get(s, mk)) {
                k1s__smp_fail_no_merge_key(c, json_object_get(p, mk) ? s : p, mk);
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
static int set_order(smp *c, json_t *orig, const json_t *patch, const char *key, const json_t *sv,
                     const schema *s, json_t *handled)
{
    if (c->cleaning)
        return 0; /* a value stored as sent keeps its lists as sent */
    if (!json_is_array(sv)) {
        k1s__smp_fail_bad_arg_type(c, "[]interface {}", sv);
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
        k1s__smp_fail_bad_arg_type(c, "[]interface {}", ol && !json_is_array(ol) ? ol : pl);
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
    int kind = k1s__smp_element_kind(c, ol, pl);
    if (kind < 0)
        return -1;
    const char *imk = kind == 1 ? mk : NULL; /* how entries are identified */
    order so = {0}, seto = {0};
    items pin = {0}, sonly = {0};
    json_t *merged = NULL, *res = NULL;
    int rc = -1;
    if (k1s__smp_order_of(c, &so, ol, imk) || k1s__smp_order_of(c, &seto, sv, imk))
        goto cleanup;
    if (ol && pl)
        merged = k1s__smp_merge_list(c, json_incref(ol), pl, &m, false);
    else if (ol)
        merged = json_incref(ol);
    else
        merged = k1s__smp_clean(c, pl, &m);
    if (!merged)
        goto cleanup;
    if (kind == 1 && mk && k1s__smp_check_merge_keys(c, sv, mk))
        goto cleanup;
    if (k1s__smp_partition(c, merged, &seto, mk, &pin, &sonly))
        goto cleanup;
    res = k1s__smp_normalize(c, &pin, &sonly, &seto, &so, imk);
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
    k1s__smp_order_free(&so);
    k1s__smp_order_free(&seto);
    return rc;
}

/* Merge the members of patch into orig (an object we own, updated in
 * place). "$patch" has been dealt with by the caller. */
static int merge_body(smp *c, json_t *orig, const json_t *patch, const schema *s)
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
            strncmp(k, ORDER_PREFIX, strlen(ORDER_PREFIX)) == 0 || json_object_get(handled, k))
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
            if (!json_is_array(pv)) { /* null too: kube wants a list here */
                if (c->cleaning)
                    continue;
                fail_400(c, "invalid patch format of primitive list");
                goto cleanup;
            }
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
            nv = k1s__smp_clean(c, pv, &m);
        } else if (json_is_object(pv)) {
            nv = m.replace ? k1s__smp_clean(c, pv, &m)
                           : k1s__smp_merge_map(c, json_incref(ov), pv, &m.sub);
        } else if (json_is_array(pv)) {
            nv = k1s__smp_merge_list(c, json_incref(ov), pv, &m, delete_list);
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
json_t *k1s__smp_merge_map(smp *c, json_t *orig, const json_t *patch, const schema *s)
{
    json_t *res = NULL;
    if (!k1s__smp_enter(c)) {
        json_decref(orig);
        return NULL;
    }
    json_t *d = json_object_get(patch, DIRECTIVE);
    if (d && k1s__smp_is_string(d, "replace")) {
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
    } else if (d && k1s__smp_is_string(d, "delete")) {
        json_decref(orig);
        orig = json_object();
        if (!orig)
            k1s__perr_oom(&c->e);
    } else if (d && !c->cleaning) {
        k1s__smp_fail_bad_patch_type(c, d, patch);
        goto out;
    } else if (merge_body(c, orig, patch, s)) {
        goto out;
    }
    res = orig;
    orig = NULL;
out:
    json_decref(orig);
    k1s__smp_leave(c);
    return res;
}

int k1s_patch_strategic(const k1s_type *t, const json_t *doc, const json_t *patch, json_t **out,
                        char **err)
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
    json_t *res = k1s__smp_merge_map(&c, copy, patch, &s);
    if (!res)
        return k1s__perr_finish(&c.e, err);
    *out = res;
    return 0;
}
