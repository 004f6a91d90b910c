/*
 * store_event.c - the refcounted, immutable k1s_event shared by the store's
 * in-memory ring and every watcher queue. The struct and its key strings
 * live in one allocation; the JSON text is a second one (it is usually the
 * buffer the writer serialized, handed over without copying).
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

k1s_event *k1s__event_new(int64_t rev, int type, const char *group, const char *resource,
                          const char *ns, const char *name, char *json, size_t len)
{
    size_t lg = strlen(group) + 1, lr = strlen(resource) + 1;
    size_t ln = strlen(ns) + 1, lm = strlen(name) + 1;
    /* Key parts are bounded by K1S__MAX_KEY_PART, so this cannot wrap. */
    k1s_event *e = malloc(sizeof *e + lg + lr + ln + lm);
    if (!e)
        return NULL;
    char *p = (char *)(e + 1);
    e->group = memcpy(p, group, lg);
    p += lg;
    e->resource = memcpy(p, resource, lr);
    p += lr;
    e->ns = memcpy(p, ns, ln);
    p += ln;
    e->name = memcpy(p, name, lm);
    e->rev = rev;
    e->type = type;
    e->json = json;
    e->len = len;
    e->refs = 1;
    return e;
}

void k1s_event_ref(k1s_event *e)
{
    if (e)
        __atomic_fetch_add(&e->refs, 1, __ATOMIC_RELAXED);
}

void k1s_event_unref(k1s_event *e)
{
    if (!e)
        return;
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        free(e->json);
        free(e);
    }
}
