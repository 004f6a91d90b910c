/*
 * gc_graph.c - the garbage collector's view of ownership: how it names
 * objects on its queue, and the owner uid -> dependents index its watch
 * map keeps while every kind's changes go by (kube's graph builder, reduced
 * to what the collector asks: "who depends on this uid?").
 *
 * The map runs on the manager's loop as each watch event is applied, so the
 * index always matches the caches the reconciler reads.
 */
#include "gc_internal.h"

#include <stdio.h>
#include <string.h>

bool k1s__gc_deleting(const json_t *obj)
{
    return k1s_json_at(obj, "metadata.deletionTimestamp") != NULL;
}

bool k1s__gc_has_finalizer(const json_t *obj, const char *f)
{
    const json_t *fins = json_object_get(json_object_get(obj, "metadata"), "finalizers");
    size_t i;
    const json_t *v;
    json_array_foreach(fins, i, v)
    {
        const char *s = json_string_value(v);
        if (s && !strcmp(s, f))
            return true;
    }
    return false;
}

const k1s_kind *k1s__gc_resolve(const char *api_version, const char *kind)
{
    if (!api_version || !kind)
        return NULL;
    char group[256] = "";
    const char *slash = strchr(api_version, '/');
    if (slash) {
        size_t n = (size_t)(slash - api_version);
        if (n >= sizeof group)
            return NULL;
        memcpy(group, api_version, n);
        group[n] = 0;
    }
    return k1s_registry_find_kind(group, kind);
}

const k1s_kind *k1s__gc_ref(const json_t *ref, const char **name, const char **uid)
{
    *name = k1s_json_str(ref, "name");
    *uid = k1s_json_str(ref, "uid");
    return k1s__gc_resolve(k1s_json_str(ref, "apiVersion"), k1s_json_str(ref, "kind"));
}

int k1s__gc_key(const k1s_kind *k, const json_t *obj, char *buf, size_t len)
{
    const char *ns = k->namespaced ? k1s_meta(obj, "namespace") : "";
    const char *name = k1s_meta(obj, "name");
    if (!ns || !name || !*name || strchr(ns, '/') || strchr(name, '/'))
        return -1;
    int n = snprintf(buf, len, "%s/%s/%s/%s", ns, k->group, k->kind, name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Copy the piece of s up to '/' (or its end when last) into out. Returns
 * the rest after the '/', or NULL. */
static const char *piece(const char *s, char *out, size_t len, bool last)
{
    const char *end = last ? s + strlen(s) : strchr(s, '/');
    if (!end || (size_t)(end - s) >= len)
        return NULL;
    memcpy(out, s, (size_t)(end - s));
    out[end - s] = 0;
    return last ? end : end + 1;
}

int k1s__gc_parse(const char *ns, const char *rest, k1s__gc_id *id)
{
    char group[256], kind[128];
    memset(id, 0, sizeof *id);
    if (!ns || !rest || strlen(ns) >= sizeof id->ns)
        return -1;
    snprintf(id->ns, sizeof id->ns, "%s", ns);
    const char *p = piece(rest, group, sizeof group, false);
    if (p)
        p = piece(p, kind, sizeof kind, false);
    if (p)
        p = piece(p, id->name, sizeof id->name, true);
    if (!p || !*id->name || strchr(id->name, '/'))
        return -1;
    id->kind = k1s_registry_find_kind(group, kind);
    if (!id->kind || (!id->kind->namespaced && *id->ns))
        return -1;
    return 0;
}

int k1s__gc_parse_key(const char *key, k1s__gc_id *id)
{
    char ns[256];
    const char *rest = piece(key, ns, sizeof ns, false);
    return rest ? k1s__gc_parse(ns, rest, id) : -1;
}

void k1s__gc_enqueue(k1s_ctrl *c, int id, const char *key)
{
    char ns[256];
    const char *rest = piece(key, ns, sizeof ns, false);
    if (rest)
        k1s_ctrl_enqueue(c, id, ns, rest);
}

const json_t *k1s__gc_cached(k1s_ctrl *c, const k1s__gc_id *id)
{
    k1s_informer *inf = k1s_ctrl_informer(c, id->kind->group, id->kind->kind);
    return inf ? k1s_informer_get(inf, id->ns, id->name) : NULL;
}

/* ---- the index --------------------------------------------------------------- */

static void unindex(k1s__gc *g, const char *key)
{
    json_t *uids = json_object_get(g->owners, key); /* borrowed */
    size_t i;
    json_t *u;
    json_array_foreach(uids, i, u)
    {
        const char *uid = json_string_value(u);
        json_t *set = json_object_get(g->deps, uid); /* borrowed */
        json_object_del(set, key);
        if (set && json_object_size(set) == 0)
            json_object_del(g->deps, uid);
    }
    json_object_del(g->owners, key);
}

static void index_refs(k1s__gc *g, const char *key, const json_t *obj)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    if (!json_array_size(refs))
        return;
    json_t *uids = json_array(); /* new */
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *uid = json_string_value(json_object_get(r, "uid"));
        if (!uid || !*uid)
            continue;
        json_t *set = json_object_get(g->deps, uid); /* borrowed */
        if (!set) {
            set = json_object();
            json_object_set_new(g->deps, uid, set);
        }
        json_object_set_new(set, key, json_true());
        json_array_append_new(uids, json_string(uid));
    }
    if (json_array_size(uids))
        json_object_set_new(g->owners, key, uids);
    else
        json_decref(uids);
}

static void enqueue_dependents(k1s_ctrl *c, k1s__gc *g, const char *uid)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(g->deps, uid), key, v) k1s__gc_enqueue(c, g->id, key);
}

/* An owner deleting with the orphan or foregroundDeletion finalizer waits
 * on its dependents: any change of one is news for it. */
static void notify_owners(k1s_ctrl *c, k1s__gc *g, const k1s_kind *k, const json_t *obj)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *name, *uid;
        const k1s_kind *ok = k1s__gc_ref(r, &name, &uid);
        if (!ok || !name || !uid || (!k->namespaced && ok->namespaced))
            continue;
        k1s_informer *inf = k1s_ctrl_informer(c, ok->group, ok->kind);
        const char *ns = ok->namespaced ? k1s_meta(obj, "namespace") : "";
        const json_t *owner = inf && ns ? k1s_informer_get(inf, ns, name) : NULL;
        const char *ouid = k1s_meta(owner, "uid");
        char key[K1S_GC_KEY_MAX];
        if (owner && ouid && !strcmp(ouid, uid) && k1s__gc_deleting(owner) &&
            (k1s__gc_has_finalizer(owner, "orphan") ||
             k1s__gc_has_finalizer(owner, "foregroundDeletion")) &&
            k1s__gc_key(ok, owner, key, sizeof key) == 0)
            k1s__gc_enqueue(c, g->id, key);
    }
}

void k1s__gc_map(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    k1s__gc *g = k1s_ctrl_state(c, id);
    const json_t *any = obj ? obj : old;
    const k1s_kind *k = k1s__gc_resolve(json_string_value(json_object_get(any, "apiVersion")),
                                        json_string_value(json_object_get(any, "kind")));
    char key[K1S_GC_KEY_MAX];
    if (!g || !k || k1s__gc_key(k, any, key, sizeof key))
        return;
    g->id = id;
    const char *uid = k1s_meta(obj, "uid");
    const char *old_uid = k1s_meta(old, "uid");
    /* an identity went away: what it owned may be garbage now */
    if (old_uid && (!uid || strcmp(uid, old_uid)))
        enqueue_dependents(c, g, old_uid);
    unindex(g, key);
    if (obj)
        index_refs(g, key, obj);
    if (old)
        notify_owners(c, g, k, old);
    if (obj)
        notify_owners(c, g, k, obj);
    if (!obj)
        return;
    bool owned =
        json_array_size(json_object_get(json_object_get(obj, "metadata"), "ownerReferences")) > 0;
    bool waits = k1s__gc_deleting(obj) && (k1s__gc_has_finalizer(obj, "orphan") ||
                                           k1s__gc_has_finalizer(obj, "foregroundDeletion"));
    if (owned || waits)
        k1s__gc_enqueue(c, id, key);
}
