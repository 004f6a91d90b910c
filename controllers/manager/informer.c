/*
 * informer.c - per-kind caches filled by a list and kept current by a watch
 * through the client interface. The watch's notify only wakes the manager;
 * events are applied on the manager's loop thread, so caches need no locks.
 * A watch that falls behind or is compacted away is replaced by a relist.
 */
#include "k1s_json.h"
#include "ctrl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void key_of(char *buf, size_t len, const char *ns, const char *name)
{
    snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");
}

static void obj_key(char *buf, size_t len, const json_t *obj)
{
    const json_t *m = json_object_get(obj, "metadata");
    key_of(buf, len, json_string_value(json_object_get(m, "namespace")),
           json_string_value(json_object_get(m, "name")));
}

typedef struct listctx {
    json_t *fresh; /* key -> object */
} listctx;

static int list_item(void *vctx, const char *json, size_t len)
{
    listctx *lc = vctx;
    json_t *o = k1s_json_load(json, len, NULL);
    if (!o)
        return 0;
    char key[600];
    obj_key(key, sizeof key, o);
    json_object_set_new(lc->fresh, key, o);
    return 0;
}

/* (Re)list and (re)watch; the differences from the old cache go to the
 * handlers, so a relist after a lost watch looks like ordinary changes. */
int k1s__informer_sync(k1s_ctrl *c, k1s_informer *inf)
{
    if (inf->w) {
        k1s_watch_close(inf->w);
        inf->w = NULL;
    }
    k1s_status st = {0};
    listctx lc = {json_object()};
    k1s_list_opts lo = {0};
    k1s_list_result res;
    if (k1s_api_list(c->api, inf->kind, NULL, &lo, list_item, &lc, &res, &st)) {
        fprintf(stderr, "k1s: controllers: list %s failed: %s\n", inf->kind->plural,
                st.message ? st.message : "?");
        k1s_status_clear(&st);
        json_decref(lc.fresh);
        return -1;
    }
    k1s_list_result_free(&res);
    if (k1s_api_watch(c->api, inf->kind, NULL, res.rev, k1s__ctrl_wake, c, &inf->w, &st)) {
        k1s_status_clear(&st);
        json_decref(lc.fresh);
        return -1;
    }
    const char *key;
    json_t *obj;
    void *tmp;
    json_t *old = inf->cache;
    inf->cache = lc.fresh;
    json_object_foreach(inf->cache, key, obj)
    {
        json_t *prev = json_object_get(old, key);
        if (!prev || !json_equal(prev, obj))
            k1s__ctrl_changed(c, inf, prev, obj);
    }
    json_object_foreach_safe(old, tmp, key, obj)
    {
        if (!json_object_get(inf->cache, key))
            k1s__ctrl_changed(c, inf, obj, NULL);
    }
    json_decref(old);
    inf->rev = res.rev;
    return 0;
}

/* Apply queued watch events. Returns how many were applied. */
int k1s__informer_drain(k1s_ctrl *c, k1s_informer *inf)
{
    int n = 0;
    k1s_event *ev;
    int rc;
    while (inf->w && n < 1000 && (rc = k1s_watch_next(inf->w, &ev)) != 0) {
        if (rc < 0) {
            k1s__informer_sync(c, inf);
            return n + 1;
        }
        json_t *obj = k1s_json_load(ev->json, ev->len, NULL);
        char key[600];
        key_of(key, sizeof key, ev->ns, ev->name);
        json_t *prev = json_object_get(inf->cache, key);
        json_incref(prev);
        if (ev->type == K1S_EV_DELETED) {
            json_object_del(inf->cache, key);
            k1s__ctrl_changed(c, inf, prev ? prev : obj, NULL);
        } else if (obj) {
            json_object_set(inf->cache, key, obj);
            k1s__ctrl_changed(c, inf, prev, obj);
        }
        json_decref(prev);
        json_decref(obj);
        if (ev->rev > inf->rev)
            inf->rev = ev->rev;
        k1s_event_unref(ev);
        n++;
    }
    return n;
}

const json_t *k1s_informer_get(k1s_informer *inf, const char *ns, const char *name)
{
    char key[600];
    key_of(key, sizeof key, inf->kind->namespaced ? ns : "", name);
    return json_object_get(inf->cache, key);
}

void k1s_informer_each(k1s_informer *inf, const char *ns, k1s_informer_each_fn fn, void *ctx)
{
    const char *key;
    json_t *obj;
    size_t nslen = ns ? strlen(ns) : 0;
    json_object_foreach(inf->cache, key, obj)
    {
        if (ns && (strncmp(key, ns, nslen) != 0 || key[nslen] != '/'))
            continue;
        if (fn(ctx, obj))
            return;
    }
}

size_t k1s_informer_count(k1s_informer *inf)
{
    return json_object_size(inf->cache);
}

int64_t k1s_informer_revision(k1s_informer *inf)
{
    return inf->rev;
}
