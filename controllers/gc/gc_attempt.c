/*
 * gc_attempt.c - deciding about one dependent, as kube's attemptToDeleteItem:
 * its owner references are sorted into solid (the owner exists), dangling
 * (no object with that uid) and waiting (the owner is being deleted in the
 * foreground). Then:
 *   - a solid owner: keep the object, drop the dangling and waiting refs;
 *   - waiting owners and dependents of its own: delete it in the foreground
 *     so the wait spreads down;
 *   - otherwise: delete it (background, or as its own finalizers ask).
 * The caches give a quick first answer; anything but "all solid" is checked
 * again against the store before acting, as a cache may lag behind.
 *
 * References the collector cannot judge count as solid, so it never
 * deletes because of them: kinds not served here, and a cluster-scoped
 * object naming a namespaced owner (kube leaves those alone as well).
 */
#include "gc_internal.h"

#include <string.h>

typedef struct verdict {
    int solid;
    json_t *dangling; /* owned: uids */
    json_t *waiting;  /* owned: uids */
} verdict;

static bool waits_for_dependents(const json_t *owner)
{
    return k1s__gc_deleting(owner) && k1s__gc_has_finalizer(owner, "foregroundDeletion");
}

/* Sort refs (borrowed) of the object id. live: ask the store, else the
 * caches. 0, or -1 when the store could not answer. */
static int classify(k1s_ctrl *c, const k1s__gc_id *id, const json_t *refs, bool live, verdict *v)
{
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *name, *uid;
        const k1s_kind *ok = k1s__gc_ref(r, &name, &uid);
        if (!ok || !name || !*name || !uid || !*uid || (!id->kind->namespaced && ok->namespaced)) {
            v->solid++;
            continue;
        }
        const char *ns = ok->namespaced ? id->ns : "";
        json_t *fetched = NULL; /* new */
        const json_t *owner;    /* borrowed from fetched or the cache */
        if (live) {
            int code = k1s__gc_get(c, ok, ns, name, &fetched);
            if (code && code != 404)
                return -1;
            owner = fetched;
        } else {
            k1s_informer *inf = k1s_ctrl_informer(c, ok->group, ok->kind);
            owner = inf ? k1s_informer_get(inf, ns, name) : NULL;
        }
        const char *ouid = k1s_meta(owner, "uid");
        if (!owner || !ouid || strcmp(ouid, uid))
            json_array_append_new(v->dangling, json_string(uid));
        else if (waits_for_dependents(owner))
            json_array_append_new(v->waiting, json_string(uid));
        else
            v->solid++;
        json_decref(fetched);
    }
    return 0;
}

static void verdict_reset(verdict *v)
{
    v->solid = 0;
    json_array_clear(v->dangling);
    json_array_clear(v->waiting);
}

/* One of the object's own dependents waits on it in the foreground: the
 * object must not block its owners then, or the two wait for each other. */
static bool dependent_in_foreground(k1s_ctrl *c, k1s__gc *g, const char *uid)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(g->deps, uid), key, v)
    {
        k1s__gc_id d;
        if (k1s__gc_parse_key(key, &d) == 0 && waits_for_dependents(k1s__gc_cached(c, &d)))
            return true;
    }
    return false;
}

int k1s__gc_attempt_delete(k1s_ctrl *c, k1s__gc *g, const k1s__gc_id *id, const json_t *obj)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    if (!json_array_size(refs))
        return 0;
    verdict v = {0, json_array(), json_array()};
    json_t *cur = NULL; /* new: the stored object */
    int rc = 0;
    if (classify(c, id, refs, false, &v) ||
        (!json_array_size(v.dangling) && !json_array_size(v.waiting)))
        goto cleanup;

    int code = k1s__gc_get(c, id->kind, id->ns, id->name, &cur);
    const char *uid = k1s_meta(cur, "uid");
    const char *want = k1s_meta(obj, "uid");
    if (code) {
        rc = code == 404 ? 0 : -1;
        goto cleanup;
    }
    if (!uid || !want || strcmp(uid, want) || k1s__gc_deleting(cur))
        goto cleanup;
    refs = json_object_get(json_object_get(cur, "metadata"), "ownerReferences");
    verdict_reset(&v);
    if (!json_array_size(refs))
        goto cleanup;
    if (classify(c, id, refs, true, &v)) {
        rc = -1;
        goto cleanup;
    }
    const char *rv = k1s_meta(cur, "resourceVersion");
    if (v.solid) {
        if (json_array_size(v.dangling) || json_array_size(v.waiting)) {
            json_array_extend(v.dangling, v.waiting);
            rc = k1s__gc_edit_refs(c, id, uid, v.dangling, false);
        }
    } else if (json_array_size(v.waiting) && json_object_size(json_object_get(g->deps, uid))) {
        if (dependent_in_foreground(c, g, uid)) {
            rc = k1s__gc_edit_refs(c, id, uid, NULL, true);
            rv = NULL; /* the edit made a new version */
        }
        if (rc == 0)
            rc = k1s__gc_delete(c, id, uid, rv, "Foreground");
    } else {
        const char *policy = k1s__gc_has_finalizer(cur, "orphan")               ? "Orphan"
                             : k1s__gc_has_finalizer(cur, "foregroundDeletion") ? "Foreground"
                                                                                : "Background";
        rc = k1s__gc_delete(c, id, uid, rv, policy);
    }
cleanup:
    json_decref(cur);
    json_decref(v.dangling);
    json_decref(v.waiting);
    return rc;
}
