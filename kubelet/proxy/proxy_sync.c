/*
 * proxy_sync.c - Services and Endpoints kept current in two caches by a
 * list and then a watch through the client interface (the pattern of
 * controllers/informer.c). The watch's notify runs on the writer's thread,
 * so it only pokes the proxy's eventfd; events are applied on the proxy
 * thread. A watch that is dropped or compacted away is replaced by a relist.
 */
#include "k1s_json.h"
#include "proxy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void wake(void *ctx)
{
    k1s_proxy *p = ctx;
    uint64_t one = 1;
    /* Non-blocking; a full counter already means "wake up". */
    ssize_t r = write(p->wakefd, &one, sizeof one);
    (void)r;
}

static void obj_key(char *buf, size_t len, const char *ns, const char *name)
{
    snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");
}

static int list_item(void *ctx, const char *json, size_t len)
{
    json_t *cache = ctx;
    json_t *o = k1s_json_load(json, len, NULL);
    if (!o)
        return 0;
    char key[600];
    obj_key(key, sizeof key, k1s_meta(o, "namespace"), k1s_meta(o, "name"));
    json_object_set_new(cache, key, o);
    return 0;
}

int k1s__proxy_sync_list(k1s_proxy *p, k1s__proxy_informer *inf)
{
    if (inf->w) {
        k1s_watch_close(inf->w);
        inf->w = NULL;
    }
    json_t *fresh = json_object();
    if (!fresh)
        return -1;
    k1s_status st = {0};
    k1s_list_opts lo = {0};
    k1s_list_result res = {0};
    if (k1s_api_list(p->api, inf->kind, NULL, &lo, list_item, fresh, &res, &st) ||
        k1s_api_watch(p->api, inf->kind, NULL, res.rev, wake, p, &inf->w, &st)) {
        k1s__proxy_log(p, "list/watch %s failed: %s", inf->kind->plural,
                       st.message ? st.message : "?");
        k1s_status_clear(&st);
        k1s_list_result_free(&res);
        json_decref(fresh);
        inf->w = NULL;
        return -1;
    }
    k1s_list_result_free(&res);
    json_decref(inf->cache);
    inf->cache = fresh;
    p->dirty = true;
    /* Changes between the list and the watch are replayed into the new
     * watch without a notify: drain it on the next turn. */
    wake(p);
    return 0;
}

int k1s__proxy_sync_drain(k1s_proxy *p, k1s__proxy_informer *inf)
{
    k1s_event *ev;
    int rc, n = 0;
    while (inf->w && (rc = k1s_watch_next(inf->w, &ev)) != 0) {
        if (rc < 0) {
            k1s__proxy_log(p, "watch of %s dropped; relisting", inf->kind->plural);
            k1s__proxy_sync_list(p, inf);
            return 0;
        }
        char key[600];
        obj_key(key, sizeof key, ev->ns, ev->name);
        if (ev->type == K1S_EV_DELETED) {
            json_object_del(inf->cache, key);
        } else {
            json_t *o = k1s_json_load(ev->json, ev->len, NULL);
            if (o)
                json_object_set_new(inf->cache, key, o);
        }
        k1s_event_unref(ev);
        p->dirty = true;
        /* Bounded, so connections are served while a flood is applied. */
        if (++n >= 1000)
            return 1;
    }
    return 0;
}

void k1s__proxy_sync_free(k1s__proxy_informer *inf)
{
    if (inf->w)
        k1s_watch_close(inf->w);
    inf->w = NULL;
    json_decref(inf->cache);
    inf->cache = NULL;
}
