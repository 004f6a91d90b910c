/*
 * podutil_expect.c - expectations: the writes a controller made for an
 * owner, remembered until its informer shows them. A create or update is
 * visible once the informer's revision reaches the written object's
 * resourceVersion (watch events arrive in revision order); a delete once
 * the object is gone or marked for deletion. See podutil.h.
 */
#include "k1s_podutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube lets expectations expire after five minutes; a local watch is
 * never that late, a minute is plenty */
#define EXPECT_TTL_MS 60000

struct k1s__wl_expect {
    json_t *m; /* owned: "ns/name" -> {"rev": n, "del": {name: uid}, "since": ms} */
};

k1s__wl_expect *k1s__wl_expect_new(void)
{
    k1s__wl_expect *e = calloc(1, sizeof *e);
    if (e)
        e->m = json_object();
    return e;
}

void k1s__wl_expect_free(k1s__wl_expect *e)
{
    if (!e)
        return;
    json_decref(e->m);
    free(e);
}

/* The entry for ns/name (borrowed), made if absent. */
static json_t *entry(k1s__wl_expect *e, const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name ? name : "");
    json_t *en = json_object_get(e->m, key); /* borrowed */
    if (!en) {
        en = json_pack("{s:I, s:{}, s:I}", "rev", (json_int_t)0, "del", "since",
                       (json_int_t)k1s_time_mono_ms());
        if (!en || json_object_set_new(e->m, key, en))
            return NULL;
    }
    return en;
}

void k1s__wl_expect_write(k1s__wl_expect *e, const char *ns, const char *name,
                          const json_t *written)
{
    json_t *en = e ? entry(e, ns, name) : NULL; /* borrowed */
    if (!en)
        return;
    int64_t rev = k1s__wl_rev(written);
    if (rev > json_integer_value(json_object_get(en, "rev")))
        json_object_set_new(en, "rev", json_integer(rev));
    json_object_set_new(en, "since", json_integer(k1s_time_mono_ms()));
}

void k1s__wl_expect_delete(k1s__wl_expect *e, const char *ns, const char *name,
                           const char *obj_name, const char *uid)
{
    json_t *en = e ? entry(e, ns, name) : NULL; /* borrowed */
    if (!en || !obj_name)
        return;
    json_object_set_new(json_object_get(en, "del"), obj_name, json_string(uid ? uid : ""));
    json_object_set_new(en, "since", json_integer(k1s_time_mono_ms()));
}

bool k1s__wl_expect_satisfied(k1s__wl_expect *e, const char *ns, const char *name,
                              k1s_informer *inf)
{
    if (!e)
        return true;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name ? name : "");
    json_t *en = json_object_get(e->m, key); /* borrowed */
    if (!en)
        return true;
    if (k1s_time_mono_ms() - json_integer_value(json_object_get(en, "since")) > EXPECT_TTL_MS) {
        json_object_del(e->m, key);
        return true;
    }
    if (k1s_informer_revision(inf) < json_integer_value(json_object_get(en, "rev")))
        return false;
    const char *obj_name;
    json_t *uid; /* new once set */
    json_object_foreach(json_object_get(en, "del"), obj_name, uid)
    {
        const json_t *o = k1s_informer_get(inf, ns, obj_name);
        const char *want = json_string_value(uid);
        if (o && !k1s__wl_deleting(o) && (!want || !*want || !strcmp(want, k1s__wl_uid(o))))
            return false;
    }
    json_object_del(e->m, key);
    return true;
}

void k1s__wl_expect_forget(k1s__wl_expect *e, const char *ns, const char *name)
{
    if (!e)
        return;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name ? name : "");
    json_object_del(e->m, key);
}
