/*
 * gc.c - the garbage collector, as kube-controller-manager's: objects whose
 * owners (metadata.ownerReferences, by uid) are all gone are deleted;
 * owners deleted with propagationPolicy Foreground (finalizer
 * foregroundDeletion) go once their blocking dependents are gone; owners
 * deleted with Orphan (finalizer orphan) first release their dependents.
 *
 * It follows every served kind (k1s_controller_def.watch_all): its map
 * keeps an owner -> dependents index (gc_graph.c) and queues objects under
 * keys that carry their kind ("ns/group/Kind/name", see gc_internal.h);
 * there is no primary kind. Objects without ownerReferences are never
 * deleted by it, nor are the namespaces every cluster starts with.
 */
#include "gc_internal.h"

#include <stdlib.h>
#include <string.h>

/* kube never lets these go; the collector does not even try. */
static bool is_protected(const k1s__gc_id *id)
{
    static const char *const system_ns[] = {"default", "kube-system", "kube-public",
                                            "kube-node-lease", NULL};
    if (strcmp(id->kind->kind, "Namespace") || *id->kind->group)
        return false;
    for (const char *const *n = system_ns; *n; n++)
        if (!strcmp(id->name, *n))
            return true;
    return false;
}

/* The dependents of uid as the index knows them: a new object (a copy, so
 * writes may go on while it is walked) or NULL. */
static json_t *dependents_of(k1s__gc *g, const char *uid)
{
    json_t *set = json_object_get(g->deps, uid); /* borrowed */
    return set ? json_copy(set) : NULL;
}

/* Orphan: remove the owner from its dependents' references, then the
 * finalizer, which lets the owner go. */
static int orphan_dependents(k1s_ctrl *c, k1s__gc *g, const k1s__gc_id *id, const char *uid)
{
    json_t *deps = dependents_of(g, uid); /* new */
    json_t *drop = json_pack("[s]", uid); /* new */
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(deps, key, v)
    {
        k1s__gc_id d;
        if (k1s__gc_parse_key(key, &d))
            continue;
        int r = k1s__gc_edit_refs(c, &d, NULL, drop, false);
        if (r && (rc == 0 || r < 0))
            rc = r;
    }
    json_decref(drop);
    json_decref(deps);
    if (rc)
        return rc;
    return k1s__gc_remove_finalizer(c, id, uid, "orphan");
}

/* Foreground: every dependent is deleted; the owner waits for those whose
 * reference to it says blockOwnerDeletion. */
static int delete_dependents(k1s_ctrl *c, k1s__gc *g, const k1s__gc_id *id, const char *uid)
{
    json_t *deps = dependents_of(g, uid); /* new */
    int blocking = 0;
    const char *key;
    json_t *v;
    json_object_foreach(deps, key, v)
    {
        k1s__gc_id d;
        const json_t *dep;
        if (k1s__gc_parse_key(key, &d) || !(dep = k1s__gc_cached(c, &d)))
            continue;
        const json_t *refs = json_object_get(json_object_get(dep, "metadata"), "ownerReferences");
        size_t i;
        const json_t *r;
        json_array_foreach(refs, i, r)
        {
            const char *ruid = json_string_value(json_object_get(r, "uid"));
            if (ruid && !strcmp(ruid, uid) &&
                json_is_true(json_object_get(r, "blockOwnerDeletion")))
                blocking++;
        }
        if (!k1s__gc_deleting(dep))
            k1s__gc_enqueue(c, g->id, key);
    }
    json_decref(deps);
    /* the dependents' deletions requeue the owner (gc_graph.c) */
    if (blocking)
        return 0;
    return k1s__gc_remove_finalizer(c, id, uid, "foregroundDeletion");
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__gc *g = state;
    k1s__gc_id id;
    if (!g || k1s__gc_parse(ns, name, &id))
        return 0;
    const json_t *obj = k1s__gc_cached(c, &id);
    const char *uid = k1s_meta(obj, "uid");
    if (!obj || !uid)
        return 0;
    if (k1s__gc_deleting(obj)) {
        if (k1s__gc_has_finalizer(obj, "orphan"))
            return orphan_dependents(c, g, &id, uid);
        if (k1s__gc_has_finalizer(obj, "foregroundDeletion"))
            return delete_dependents(c, g, &id, uid);
        return 0;
    }
    if (is_protected(&id))
        return 0;
    return k1s__gc_attempt_delete(c, g, &id, obj);
}

static void *gc_init(k1s_ctrl *c)
{
    (void)c;
    k1s__gc *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->id = -1;
    g->deps = json_object();
    g->owners = json_object();
    return g;
}

static void gc_fini(void *state)
{
    k1s__gc *g = state;
    if (!g)
        return;
    json_decref(g->deps);
    json_decref(g->owners);
    free(g);
}

const k1s_controller_def k1s__ctrl_gc = {
    .name = "garbage-collector",
    .group = "",
    .kind = NULL, /* every kind, through watch_all */
    .reconcile = reconcile,
    .watch_all = k1s__gc_map,
    .init = gc_init,
    .fini = gc_fini,
};
