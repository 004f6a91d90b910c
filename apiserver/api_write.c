/*
 * api_write.c - the generic write path shared by every kind: create, update
 * (main resource and status), patch and delete. The order of the steps lives
 * here and only here:
 *   decode checks -> metadata -> prepare -> static and kind defaults ->
 *   validation -> (under the store's writer lock) preconditions,
 *   allocation, generation, write.
 */
#include "k1s_json.h"
#include "api_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "k1s_patch.h"

/* A mutate callback's way of saying "dry run: do not write", carrying the
 * would-be object out in the context. */
#define DRY_RUN_ABORT (-1000)

typedef enum { W_CREATE, W_UPDATE, W_PATCH, W_DELETE } wmode;

typedef struct wctx {
    k1s_api *api;
    const k1s_target *t;
    const k1s_opts *o;
    wmode mode;
    json_t *body; /* borrowed: prepared object (create, update) */
    k1s_patch_type ptype;
    const json_t *patch; /* borrowed */
    k1s_status *st;
    json_t *dry; /* owned: the object a dry run would write */
    int removed;
    bool exists; /* create: the name was taken */
} wctx;

static const k1s_opts default_opts = {.grace_seconds = -1};

static const char *tgt_ns(const k1s_target *t)
{
    return t->kind->namespaced && t->ns ? t->ns : "";
}

static k1s_key target_key(const k1s_target *t)
{
    k1s_key k = {t->kind->group, t->kind->plural, tgt_ns(t), t->name};
    return k;
}

static int store_error(k1s_status *st, int rc, const k1s_target *t)
{
    switch (rc) {
    case K1S_ENOTFOUND:
        return k1s_err_not_found(st, t->kind->group, t->kind->plural, t->name);
    case K1S_EEXISTS:
        return k1s_err_already_exists(st, t->kind->group, t->kind->plural, t->name);
    case K1S_ETOOLARGE:
        return k1s_status_set(st, 413, "RequestEntityTooLarge",
                              "Request entity too large: limit is 3145728");
    default:
        return k1s_err_internal(st, "storage failure");
    }
}

/* Names generateName may try before a create fails with 409 (kube: 8). */
#define GENERATE_TRIES 8

/* generateName gets five characters from kube's alphabet (no vowels). */
static void generate_name(const k1s_api *api, const char *prefix, char *buf, size_t len)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char r[5];
    if (api->fill_random)
        api->fill_random(r, sizeof r);
    else if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        memset(r, 7, sizeof r);
    char suffix[6];
    for (int i = 0; i < 5; i++)
        suffix[i] = alphabet[r[i] % (sizeof alphabet - 1)];
    suffix[5] = 0;
    /* kube trims the prefix so the result stays within 63 characters */
    snprintf(buf, len, "%.58s%s", prefix, suffix);
}

/* Namespaced writes need a live namespace (kube's NamespaceLifecycle). */
static int check_namespace(k1s_api *api, const k1s_target *t, k1s_status *st)
{
    if (!t->kind->namespaced)
        return 0;
    k1s_key k = {"", "namespaces", "", t->ns};
    char *text = NULL;
    int64_t rev;
    int rc = k1s_store_get(api->store, &k, &text, &rev);
    if (rc == K1S_ENOTFOUND)
        return k1s_err_not_found(st, "", "namespaces", t->ns);
    if (rc)
        return store_error(st, rc, t);
    json_t *ns = k1s_json_load(text, strlen(text), NULL);
    free(text);
    int terminating = ns && json_object_get(json_object_get(ns, "metadata"), "deletionTimestamp");
    json_decref(ns);
    if (terminating) {
        k1s_status_set(
            st, 403, "Forbidden",
            "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
            t->kind->plural, t->name ? t->name : "", t->ns);
        k1s_status_details(st, t->name, t->kind->group, t->kind->plural);
        return -1;
    }
    return 0;
}

/* s: the kind's strategy, or a subresource's (kube's status strategy). */
static void apply_defaults(const k1s_kind *k, const k1s_strategy *s, json_t *obj)
{
    const k1s_type *t = k1s__kind_schema(k);
    if (t)
        k1s_schema_apply_defaults(t, obj);
    if (s && s->defaults)
        s->defaults(obj);
}

static int validate(const k1s_kind *k, const k1s_strategy *s, const json_t *obj, const json_t *old,
                    k1s_status *st)
{
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    k1s__validate_meta(k, obj, old, &fe);
    if (s && s->validate)
        s->validate(obj, old, &fe);
    int rc = 0;
    if (k1s_ferrs_count(&fe))
        rc = k1s_err_invalid(st, k->group, k->kind, k1s_meta(obj, "name"), &fe);
    k1s_ferrs_free(&fe);
    return rc;
}

/* ---- create -------------------------------------------------------------- */

static int create_cb(void *vctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    wctx *c = vctx;
    (void)cur_rev;
    (void)new_rev;
    if (cur) {
        c->exists = true;
        return k1s_err_already_exists(c->st, c->t->kind->group, c->t->kind->plural, c->t->name);
    }
    json_t *obj = json_deep_copy(c->body);
    const k1s_strategy *s = c->t->kind->strategy;
    if (s && s->allocate && s->allocate(c->api, obj, NULL, c->st) != 0) {
        json_decref(obj);
        return -1;
    }
    if (c->o->dry_run) {
        c->dry = obj;
        return DRY_RUN_ABORT;
    }
    *out = obj;
    return K1S_STORE_PUT;
}

int k1s_api_create(k1s_api *api, const k1s_target *t0, json_t *body, const k1s_opts *o,
                   json_t **out, k1s_status *st)
{
    assert(api && t0 && t0->kind && body && st);
    if (!o)
        o = &default_opts;
    const k1s_kind *k = t0->kind;
    if (t0->sub)
        return k1s_err_method_not_allowed(st, "create", k->group, k->plural);
    if (k1s__decode_check(k, body, o, st))
        return -1;
    json_t *obj = json_deep_copy(body);
    json_t *m = k1s_json_object_at(obj, "metadata");
    char namebuf[320];
    const char *name = json_string_value(json_object_get(m, "name"));
    const char *name_given = name;
    const char *gen = json_string_value(json_object_get(m, "generateName"));
    if ((!name || !*name) && gen && *gen) {
        generate_name(api, gen, namebuf, sizeof namebuf);
        json_object_set_new(m, "name", json_string(namebuf));
        name = json_string_value(json_object_get(m, "name"));
    }
    int rc = -1;
    k1s_target t = *t0;
    if (!name || !*name) {
        k1s_ferrs fe;
        k1s_ferrs_init(&fe);
        k1s_ferr_required(&fe, "metadata.name", "name or generateName is required");
        k1s_err_invalid(st, k->group, k->kind, "", &fe);
        k1s_ferrs_free(&fe);
        goto cleanup;
    }
    t.name = name;
    if (k->namespaced) {
        const char *bns = json_string_value(json_object_get(m, "namespace"));
        if (bns && *bns && t.ns && strcmp(bns, t.ns) != 0) {
            k1s_err_bad_request(
                st,
                "the namespace of the provided object does not match the namespace sent on the request");
            goto cleanup;
        }
        if (!t.ns || !*t.ns)
            t.ns = bns && *bns ? bns : "default";
        json_object_set_new(m, "namespace", json_string(t.ns));
    } else {
        json_object_del(m, "namespace");
    }
    char ts[32], uid[40];
    k1s_time_format_now(ts, sizeof ts);
    k1s__uuid(uid, sizeof uid);
    json_object_set_new(m, "uid", json_string(uid));
    json_object_set_new(m, "creationTimestamp", json_string(ts));
    json_object_del(m, "resourceVersion");
    json_object_del(m, "deletionTimestamp");
    json_object_del(m, "deletionGracePeriodSeconds");
    json_object_del(m, "selfLink");
    if (k->has_spec && json_object_get(obj, "spec"))
        json_object_set_new(m, "generation", json_integer(1));
    else
        json_object_del(m, "generation");
    if (k->strategy && k->strategy->prepare_create)
        k->strategy->prepare_create(obj);
    apply_defaults(k, k->strategy, obj);
    if (validate(k, k->strategy, obj, NULL, st))
        goto cleanup;
    if (check_namespace(api, &t, st))
        goto cleanup;

    wctx c = {.api = api, .t = &t, .o = o, .mode = W_CREATE, .body = obj, .st = st};
    int64_t rev = 0;
    int src;
    /* a generated name that is taken is generated again, as kube 1.31+
     * does, rather than failing the create with a 409 */
    for (int attempt = 0;; attempt++) {
        k1s_key key = target_key(&t);
        c.exists = false;
        src = k1s_store_update(api->store, &key, create_cb, &c, out, &rev);
        if (!c.exists || (name_given && *name_given) || attempt + 1 >= GENERATE_TRIES)
            break;
        k1s_status_clear(st);
        generate_name(api, gen, namebuf, sizeof namebuf);
        json_object_set_new(m, "name", json_string(namebuf));
        t.name = json_string_value(json_object_get(m, "name"));
    }
    if (src == DRY_RUN_ABORT) {
        if (out)
            *out = c.dry;
        else
            json_decref(c.dry);
        rc = 0;
    } else if (src < 0) {
        if (!st->code)
            store_error(st, src, &t);
    } else {
        rc = 0;
    }
cleanup:
    json_decref(obj);
    return rc;
}

/* ---- update and patch ------------------------------------------------------ */

static bool rv_mismatch(const json_t *obj, const json_t *cur)
{
    const char *want = k1s_meta(obj, "resourceVersion");
    const char *have = k1s_meta(cur, "resourceVersion");
    return want && *want && have && strcmp(want, have) != 0;
}

/* Fields of metadata that only the server sets. */
static void keep_system_meta(json_t *obj, const json_t *cur)
{
    static const char *const keep[] = {"uid",
                                       "creationTimestamp",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       "generation",
                                       "namespace",
                                       "name",
                                       NULL};
    json_t *m = k1s_json_object_at(obj, "metadata");
    const json_t *cm = json_object_get(cur, "metadata");
    for (const char *const *f = keep; *f; f++) {
        json_t *v = json_object_get(cm, *f);
        if (v)
            json_object_set(m, *f, v);
        else
            json_object_del(m, *f);
    }
    json_object_del(m, "selfLink");
}

/* The Scale (autoscaling/v1) view of an object, read where sr says.
 * New ref. */
static json_t *scale_of(const json_t *cur, const k1s_subresource *sr)
{
    const json_t *cm = json_object_get(cur, "metadata");
    json_t *meta = json_object();
    static const char *const f[] = {
        "name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL};
    for (const char *const *p = f; *p; p++)
        if (json_object_get(cm, *p))
            json_object_set(meta, *p, json_object_get(cm, *p));
    const json_t *sel = k1s_json_at(cur, sr->selector);
    /* a ReplicationController selects with a plain label map */
    json_t *as_selector = NULL;
    if (json_is_object(sel) && !json_object_get(sel, "matchLabels") &&
        !json_object_get(sel, "matchExpressions"))
        sel = as_selector = json_pack("{s:O}", "matchLabels", sel);
    char *selstr = json_is_string(sel) ? strdup(json_string_value(sel)) : k1s__selector_string(sel);
    json_decref(as_selector);
    json_t *scale = json_pack("{s:s, s:s, s:o, s:{s:I}, s:{s:I, s:s}}", "kind", "Scale",
                              "apiVersion", "autoscaling/v1", "metadata", meta, "spec", "replicas",
                              (json_int_t)k1s_json_int(cur, sr->spec_replicas, 0), "status",
                              "replicas", (json_int_t)k1s_json_int(cur, sr->status_replicas, 0),
                              "selector", selstr ? selstr : "");
    free(selstr);
    return scale;
}

/* Set the integer at a dotted path of obj, making the objects on the way.
 * 0, or -1 when out of memory. */
static int set_int_at(json_t *obj, const char *path, json_int_t v)
{
    char key[128];
    const char *p = path;
    for (const char *dot; (dot = strchr(p, '.')); p = dot + 1) {
        size_t n = (size_t)(dot - p);
        assert(n < sizeof key);
        memcpy(key, p, n);
        key[n] = 0;
        if (!(obj = k1s_json_object_at(obj, key)))
            return -1;
    }
    return json_object_set_new(obj, p, json_integer(v));
}

/* Turn what a client sent to a status or scale subresource into the whole
 * new object. */
static int merge_subresource(wctx *c, const k1s_subresource *sr, json_t *cur, json_t **obj)
{
    json_t *sent = *obj;
    json_t *next = json_deep_copy(cur);
    if (sr->type == K1S_SUBR_STATUS) {
        json_t *s = json_object_get(sent, "status");
        if (s)
            json_object_set(next, "status", s);
        else
            json_object_del(next, "status");
        /* the status endpoint may change labels and annotations only */
        json_t *sm = json_object_get(sent, "metadata");
        json_t *nm = k1s_json_object_at(next, "metadata");
        if (json_object_get(sm, "resourceVersion"))
            json_object_set(nm, "resourceVersion", json_object_get(sm, "resourceVersion"));
    } else {
        assert(sr->type == K1S_SUBR_SCALE);
        const json_t *rep = json_object_get(json_object_get(sent, "spec"), "replicas");
        if (rep && !json_is_integer(rep)) {
            json_decref(next);
            return k1s_err_bad_request(
                c->st,
                "Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an integer");
        }
        if (json_integer_value(rep) < 0) {
            json_decref(next);
            k1s_ferrs fe;
            k1s_ferrs_init(&fe);
            k1s_ferr_invalid(&fe, "spec.replicas", rep, "must be greater than or equal to 0");
            k1s_err_invalid(c->st, "autoscaling", "Scale", c->t->name, &fe);
            k1s_ferrs_free(&fe);
            return -1;
        }
        if (set_int_at(next, sr->spec_replicas, json_integer_value(rep))) {
            json_decref(next);
            return k1s_status_set(c->st, 500, "InternalError", "out of memory");
        }
        const char *want = k1s_meta(sent, "resourceVersion");
        if (want && *want)
            json_object_set_new(k1s_json_object_at(next, "metadata"), "resourceVersion",
                                json_string(want));
    }
    json_decref(sent);
    *obj = next;
    return 0;
}

/* The subresource written to (status, scale), or NULL for the object. */
static const k1s_subresource *written_sub(const wctx *c)
{
    return c->t->sub ? k1s_kind_subresource(c->t->kind, c->t->sub) : NULL;
}

static int apply_patch(wctx *c, json_t *base, json_t **out)
{
    char *err = NULL;
    int rc;
    const k1s_subresource *sr = written_sub(c);
    const k1s_type *t = sr && sr->type == K1S_SUBR_SCALE
                            ? k1s_schema_kind(sr->group, sr->version, sr->kind)
                            : k1s__kind_schema(c->t->kind);
    switch (c->ptype) {
    case K1S_PATCH_JSON:
        rc = k1s_patch_json(base, c->patch, out, &err);
        break;
    case K1S_PATCH_MERGE:
        rc = k1s_patch_merge(base, c->patch, out, &err);
        break;
    default:
        rc = k1s_patch_strategic(t, base, c->patch, out, &err);
        break;
    }
    if (rc != 0) {
        switch (rc) {
        case K1S_PATCH_EBADREQUEST:
            k1s_err_bad_request(c->st, "%s", err ? err : "invalid patch");
            break;
        case K1S_PATCH_ETOOLARGE:
            k1s_status_set(c->st, 413, "RequestEntityTooLarge", "Request entity too large: %s",
                           err ? err : "");
            break;
        case K1S_PATCH_EINVALID:
            k1s_status_set(c->st, 422, "Invalid", "%s", K1S_PATCH_MSG_INVALID);
            break;
        default:
            k1s_status_set(c->st, 500, "", "%s", err ? err : "patch failed");
            break;
        }
        free(err);
        return -1;
    }
    free(err);
    return 0;
}

static int update_cb(void *vctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    wctx *c = vctx;
    const k1s_kind *k = c->t->kind;
    (void)cur_rev;
    (void)new_rev;
    if (!cur)
        return k1s_err_not_found(c->st, k->group, k->plural, c->t->name);
    json_t *obj = NULL;
    const k1s_subresource *sr = written_sub(c);
    bool scale = sr && sr->type == K1S_SUBR_SCALE;
    /* a status write runs the status strategy when the kind has one */
    const k1s_strategy *ws = sr && sr->strategy ? sr->strategy : k->strategy;
    if (c->mode == W_PATCH) {
        json_t *base = scale ? scale_of(cur, sr) : json_incref(cur);
        int rc = apply_patch(c, base, &obj);
        json_decref(base);
        if (rc)
            return -1;
        if (!scale && k1s__decode_check(k, obj, c->o, c->st)) {
            json_decref(obj);
            return -1;
        }
    } else {
        obj = json_deep_copy(c->body);
    }
    int rc = -1;
    if (sr && merge_subresource(c, sr, cur, &obj))
        goto fail;
    const char *bname = k1s_meta(obj, "name");
    if (bname && *bname && strcmp(bname, c->t->name) != 0) {
        k1s_err_bad_request(c->st,
                            "the name of the object (%s) does not match the name on the URL (%s)",
                            bname, c->t->name);
        goto fail;
    }
    const char *bns = k1s_meta(obj, "namespace");
    if (k->namespaced && bns && *bns && strcmp(bns, tgt_ns(c->t)) != 0) {
        k1s_err_bad_request(
            c->st,
            "the namespace of the provided object does not match the namespace sent on the request");
        goto fail;
    }
    if (rv_mismatch(obj, cur)) {
        k1s_err_conflict(
            c->st, k->group, k->plural, c->t->name,
            "the object has been modified; please apply your changes to the latest version and try again");
        goto fail;
    }
    keep_system_meta(obj, cur);
    json_object_set(k1s_json_object_at(obj, "metadata"), "resourceVersion",
                    json_object_get(json_object_get(cur, "metadata"), "resourceVersion"));
    if (!sr && k1s_kind_subresource_of(k, K1S_SUBR_STATUS)) {
        /* the main resource cannot change status when status is a subresource */
        json_t *s = json_object_get(cur, "status");
        if (s)
            json_object_set(obj, "status", s);
        else
            json_object_del(obj, "status");
    }
    if (ws && ws->prepare_update)
        ws->prepare_update(obj, cur);
    apply_defaults(k, ws, obj);
    if (validate(k, ws, obj, cur, c->st))
        goto fail;
    if (k->has_spec && !json_equal(json_object_get(obj, "spec"), json_object_get(cur, "spec"))) {
        json_int_t g =
            json_integer_value(json_object_get(json_object_get(cur, "metadata"), "generation"));
        json_object_set_new(k1s_json_object_at(obj, "metadata"), "generation", json_integer(g + 1));
    }
    if (json_equal(obj, cur)) {
        json_decref(obj);
        return K1S_STORE_NOOP;
    }
    const k1s_strategy *s = k->strategy;
    if (s && s->allocate && s->allocate(c->api, obj, cur, c->st) != 0)
        goto fail;
    json_t *fin = json_object_get(json_object_get(obj, "metadata"), "finalizers");
    bool deleting = json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp");
    if (c->o->dry_run) {
        c->dry = obj;
        return DRY_RUN_ABORT;
    }
    if (deleting && json_array_size(fin) == 0 &&
        !(s && s->deletion_held && s->deletion_held(obj))) {
        /* the last finalizer went: the object goes with it */
        json_decref(obj);
        c->removed = 1;
        return K1S_STORE_DELETE;
    }
    *out = obj;
    return K1S_STORE_PUT;
fail:
    json_decref(obj);
    return rc;
}

static int write_existing(k1s_api *api, const k1s_target *t, wctx *c, json_t **out, k1s_status *st)
{
    const k1s_kind *k = t->kind;
    const k1s_subresource *sr = written_sub(c);
    if (t->sub && !(sr && (sr->type == K1S_SUBR_STATUS || sr->type == K1S_SUBR_SCALE)))
        return k1s_err_not_found(st, k->group, k->plural, t->name);
    k1s_key key = target_key(t);
    int64_t rev = 0;
    json_t *res = NULL;
    int rc = k1s_store_update(api->store, &key, update_cb, c, &res, &rev);
    if (rc == DRY_RUN_ABORT) {
        res = c->dry;
        rc = 0;
    } else if (rc < 0) {
        if (!st->code)
            store_error(st, rc, t);
        return -1;
    }
    if (sr && sr->type == K1S_SUBR_SCALE) {
        *out = scale_of(res, sr);
        json_decref(res);
    } else {
        *out = res;
    }
    return 0;
}

int k1s_api_update(k1s_api *api, const k1s_target *t, json_t *obj, const k1s_opts *o, json_t **out,
                   k1s_status *st)
{
    assert(api && t && t->kind && t->name && st && obj && out);
    if (!o)
        o = &default_opts;
    const k1s_subresource *sr = t->sub ? k1s_kind_subresource(t->kind, t->sub) : NULL;
    bool scale = sr && sr->type == K1S_SUBR_SCALE;
    if (!scale && k1s__decode_check(t->kind, obj, o, st))
        return -1;
    if (scale && !json_is_object(obj))
        return k1s_err_bad_request(st, "the body of the request was not a JSON object");
    wctx c = {.api = api, .t = t, .o = o, .mode = W_UPDATE, .body = obj, .st = st};
    return write_existing(api, t, &c, out, st);
}

int k1s_api_patch(k1s_api *api, const k1s_target *t, k1s_patch_type type, const json_t *patch,
                  const k1s_opts *o, json_t **out, k1s_status *st)
{
    assert(api && t && t->kind && t->name && st && patch && out);
    if (!o)
        o = &default_opts;
    wctx c = {.api = api, .t = t, .o = o, .mode = W_PATCH, .ptype = type, .patch = patch, .st = st};
    return write_existing(api, t, &c, out, st);
}

/* ---- delete ---------------------------------------------------------------- */

static void add_finalizer(json_t *m, const char *f)
{
    json_t *fin = json_object_get(m, "finalizers");
    if (!json_is_array(fin)) {
        fin = json_array();
        json_object_set_new(m, "finalizers", fin);
    }
    size_t i;
    json_t *v;
    json_array_foreach(fin, i,
                       v) if (!strcmp(json_string_value(v) ? json_string_value(v) : "", f)) return;
    json_array_append_new(fin, json_string(f));
}

static int delete_cb(void *vctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    wctx *c = vctx;
    const k1s_kind *k = c->t->kind;
    const k1s_opts *o = c->o;
    (void)cur_rev;
    (void)new_rev;
    if (!cur)
        return k1s_err_not_found(c->st, k->group, k->plural, c->t->name);
    const char *uid = k1s_meta(cur, "uid");
    if (o->precondition_uid && *o->precondition_uid &&
        strcmp(o->precondition_uid, uid ? uid : "") != 0) {
        char why[256];
        snprintf(why, sizeof why,
                 "Precondition failed: UID in precondition: %.64s, UID in object meta: %s",
                 o->precondition_uid, uid ? uid : "");
        return k1s_err_conflict(c->st, k->group, k->plural, c->t->name, why);
    }
    const char *rv = k1s_meta(cur, "resourceVersion");
    if (o->precondition_rv && *o->precondition_rv &&
        strcmp(o->precondition_rv, rv ? rv : "") != 0) {
        char why[256];
        snprintf(
            why, sizeof why,
            "Precondition failed: ResourceVersion in precondition: %.32s, ResourceVersion in object meta: %s",
            o->precondition_rv, rv ? rv : "");
        return k1s_err_conflict(c->st, k->group, k->plural, c->t->name, why);
    }
    json_t *obj = json_deep_copy(cur);
    json_t *m = k1s_json_object_at(obj, "metadata");
    bool already = json_object_get(m, "deletionTimestamp") != NULL;
    const k1s_strategy *s = k->strategy;
    const char *propagation = o->propagation;
    if (!propagation && s && s->default_propagation) {
        propagation = s->default_propagation;
        if (s->default_propagation_warning && o->warnings)
            json_array_append_new(o->warnings, json_string(s->default_propagation_warning));
    }
    if (propagation && !strcmp(propagation, "Orphan"))
        add_finalizer(m, "orphan");
    else if (propagation && !strcmp(propagation, "Foreground"))
        add_finalizer(m, "foregroundDeletion");

    char ts[32];
    k1s_time_format_now(ts, sizeof ts);
    long long grace = s && s->deletion_grace ? s->deletion_grace(obj, o->grace_seconds) : 0;
    if (grace > 0)
        k1s_time_format(k1s_time_now() + grace, ts, sizeof ts);
    bool held = s && s->prepare_delete && s->prepare_delete(obj);
    bool keep = json_array_size(json_object_get(m, "finalizers")) > 0 || grace > 0 || held;
    int rc;
    if (keep) {
        if (!already) {
            json_object_set_new(m, "deletionTimestamp", json_string(ts));
            json_object_set_new(m, "deletionGracePeriodSeconds", json_integer(grace));
        } else if (grace > 0) {
            /* a shorter grace period may replace a longer one */
            json_int_t old = json_integer_value(json_object_get(m, "deletionGracePeriodSeconds"));
            if (grace < old) {
                json_object_set_new(m, "deletionTimestamp", json_string(ts));
                json_object_set_new(m, "deletionGracePeriodSeconds", json_integer(grace));
            }
        }
        if (json_equal(obj, cur)) {
            json_decref(obj);
            return K1S_STORE_NOOP;
        }
        rc = K1S_STORE_PUT;
    } else {
        c->removed = 1;
        rc = K1S_STORE_DELETE;
    }
    if (o->dry_run) {
        c->dry = obj;
        return DRY_RUN_ABORT;
    }
    if (rc == K1S_STORE_PUT)
        *out = obj;
    else
        json_decref(obj);
    return rc;
}

int k1s_api_delete(k1s_api *api, const k1s_target *t, const k1s_opts *o, json_t **out, int *removed,
                   k1s_status *st)
{
    assert(api && t && t->kind && t->name && st && out && removed);
    if (!o)
        o = &default_opts;
    if (t->sub)
        return k1s_err_method_not_allowed(st, "delete", t->kind->group, t->kind->plural);
    const k1s_strategy *s = t->kind->strategy;
    if (s && s->admit_delete && s->admit_delete(t->name, st))
        return -1;
    wctx c = {.api = api, .t = t, .o = o, .mode = W_DELETE, .st = st};
    k1s_key key = target_key(t);
    int64_t rev = 0;
    json_t *res = NULL;
    int rc = k1s_store_update(api->store, &key, delete_cb, &c, &res, &rev);
    if (rc == DRY_RUN_ABORT) {
        res = c.dry;
        rc = 0;
    } else if (rc < 0) {
        if (!st->code)
            store_error(st, rc, t);
        return -1;
    }
    *out = res;
    *removed = c.removed;
    return 0;
}
