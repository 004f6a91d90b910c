/*
 * gc_write.c - the garbage collector's writes. Each starts from the object
 * as stored now (not the cache) and carries its resourceVersion, so a
 * decision taken on an older view fails with a conflict instead of
 * undoing someone else's change; the reconciler then looks again.
 *
 * Results are reconcile results: 0 done (also when the object is gone),
 * a small delay after a conflict, -1 on other failures (logged).
 */
#include "gc_internal.h"

#include <stdio.h>
#include <string.h>

/* Retry soon after a conflict: the watch brings the new version at once. */
#define CONFLICT_RETRY_MS 20

int k1s__gc_get(k1s_ctrl *c, const k1s_kind *k, const char *ns, const char *name, json_t **out)
{
    k1s_target t = {k, k->namespaced ? ns : "", name, NULL};
    k1s_status st = {0};
    *out = NULL;
    if (k1s_api_get(k1s_ctrl_api(c), &t, out, &st) == 0)
        return 0;
    int code = st.code ? st.code : 500;
    if (code != 404)
        fprintf(stderr, "k1s: garbage-collector: get %s %s: %s\n", k->plural, name,
                st.message ? st.message : "?");
    k1s_status_clear(&st);
    return code;
}

static int result(int code)
{
    if (code == 0 || code == 404)
        return 0;
    return code == 409 ? CONFLICT_RETRY_MS : -1;
}

int k1s__gc_delete(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const char *rv,
                   const char *policy)
{
    k1s_target t = {id->kind, id->ns, id->name, NULL};
    k1s_opts o = {.propagation = policy,
                  .grace_seconds = -1, /* the pod's own grace period */
                  .precondition_uid = uid,
                  .precondition_rv = rv};
    k1s_status st = {0};
    json_t *out = NULL; /* new */
    int removed = 0;
    if (k1s_api_delete(k1s_ctrl_api(c), &t, &o, &out, &removed, &st) == 0) {
        json_decref(out);
        return 0;
    }
    int code = st.code ? st.code : 500;
    if (code != 404 && code != 409)
        fprintf(stderr, "k1s: garbage-collector: delete %s %s/%s: %s\n", id->kind->plural, id->ns,
                id->name, st.message ? st.message : "?");
    k1s_status_clear(&st);
    return result(code);
}

/* The stored object if it still is the one with uid (NULL: any). */
static int latest(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, json_t **out)
{
    int code = k1s__gc_get(c, id->kind, id->ns, id->name, out);
    if (code)
        return code;
    const char *have = k1s_meta(*out, "uid");
    if (uid && (!have || strcmp(have, uid))) {
        json_decref(*out);
        *out = NULL;
        return 404;
    }
    return 0;
}

static bool in_list(const json_t *list, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *e = json_string_value(v);
        if (e && s && !strcmp(e, s))
            return true;
    }
    return false;
}

int k1s__gc_edit_refs(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const json_t *drop,
                      bool unblock)
{
    json_t *obj = NULL; /* new */
    int code = latest(c, id, uid, &obj);
    if (code)
        return result(code);
    json_t *m = json_object_get(obj, "metadata");         /* borrowed */
    json_t *refs = json_object_get(m, "ownerReferences"); /* borrowed */
    json_t *keep = json_array();                          /* new */
    bool changed = false;
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r)
    {
        if (in_list(drop, json_string_value(json_object_get(r, "uid")))) {
            changed = true;
            continue;
        }
        if (unblock && json_is_true(json_object_get(r, "blockOwnerDeletion"))) {
            json_t *copy = json_deep_copy(r); /* new */
            json_object_set_new(copy, "blockOwnerDeletion", json_false());
            json_array_append_new(keep, copy);
            changed = true;
            continue;
        }
        json_array_append(keep, r);
    }
    int rc = 0;
    if (changed) {
        if (json_array_size(keep))
            json_object_set(m, "ownerReferences", keep);
        else
            json_object_del(m, "ownerReferences");
        rc = result(k1s_ctrl_update(c, id->kind->group, id->kind->kind, id->ns, NULL, obj, NULL));
    }
    json_decref(keep);
    json_decref(obj);
    return rc;
}

int k1s__gc_remove_finalizer(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const char *f)
{
    json_t *obj = NULL; /* new */
    int code = latest(c, id, uid, &obj);
    if (code)
        return result(code);
    int rc = 0;
    if (k1s__gc_has_finalizer(obj, f)) {
        json_t *m = json_object_get(obj, "metadata");    /* borrowed */
        json_t *fins = json_object_get(m, "finalizers"); /* borrowed */
        json_t *keep = json_array();                     /* new */
        size_t i;
        json_t *v;
        json_array_foreach(fins, i, v)
        {
            const char *s = json_string_value(v);
            if (!s || strcmp(s, f))
                json_array_append(keep, v);
        }
        if (json_array_size(keep))
            json_object_set(m, "finalizers", keep);
        else
            json_object_del(m, "finalizers");
        json_decref(keep);
        rc = result(k1s_ctrl_update(c, id->kind->group, id->kind->kind, id->ns, NULL, obj, NULL));
    }
    json_decref(obj);
    return rc;
}
