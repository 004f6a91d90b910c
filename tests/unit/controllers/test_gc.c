/*
 * test_gc.c - the garbage collector against a real API on an in-memory
 * store: dangling dependents deleted, several owners, foreground with
 * blockOwnerDeletion, orphan, graceful pod deletion, the system
 * namespaces left alone, and convergence after the controllers restart.
 * Owners and dependents are ConfigMaps and Secrets, which no other
 * controller touches.
 */
#include "k1s_test.h"

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

/* An owner reference to o (ConfigMap) as JSON text into buf. */
static const char *ref(char *buf, size_t len, const json_t *o, bool block)
{
    snprintf(buf, len, "{'apiVersion':'v1','kind':'ConfigMap','name':'%s','uid':'%s'%s}",
             k1s_meta(o, "name"), k1s_meta(o, "uid"), block ? ",'blockOwnerDeletion':true" : "");
    return buf;
}

/* Delete propagation Orphan, with the default grace period. */
static const k1s_opts orphan = {.propagation = "Orphan", .grace_seconds = -1};

/* Whether obj has (uintptr_t)n owner references. */
static bool has_refs(const json_t *obj, const void *n)
{
    return json_array_size(fx_at(obj, "metadata.ownerReferences")) == (size_t)(uintptr_t)n;
}

static json_t *dependent(k1s_api *api, const char *name, const char *refs, const char *finalizers)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'%s',"
             "'ownerReferences':[%s]%s%s}}",
             name, refs, finalizers ? ",'finalizers':" : "", finalizers ? finalizers : "");
    return fx_create_get(api, "ConfigMap", "default", fx_json(text));
}

static json_t *owner(k1s_api *api, const char *name)
{
    char text[256];
    snprintf(text, sizeof text, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'%s'}}",
             name);
    return fx_create_get(api, "ConfigMap", "default", fx_json(text));
}

TEST(test_owner_gone_dependents_deleted)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *o = owner(api, "o1");
    char r[512];
    json_t *d1 = dependent(api, "d1", ref(r, sizeof r, o, false), NULL);
    snprintf(r, sizeof r,
             "{'apiVersion':'v1','kind':'ConfigMap','name':'o1',"
             "'uid':'%s'}",
             k1s_meta(o, "uid"));
    char text[1024];
    snprintf(text, sizeof text,
             "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s1',"
             "'ownerReferences':[%s]}}",
             r);
    json_t *s1 = fx_create_get(api, "Secret", "default", fx_json(text));
    json_t *free_cm = owner(api, "free");
    /* an owner that never existed (by uid: same name, other uid) */
    json_t *ghost = dependent(api, "ghost",
                              "{'apiVersion':'v1','kind':'ConfigMap','name':'o1',"
                              "'uid':'00000000-0000-0000-0000-000000000000'}",
                              NULL);
    CHECK(o && d1 && s1 && free_cm && ghost);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "ghost", FX_WAIT_MS));
    /* the owner lives: its dependents stay */
    fx_sleep_ms(200);
    CHECK(fx_exists(api, "ConfigMap", "default", "d1"));
    CHECK(fx_exists(api, "Secret", "default", "s1"));
    k1s_opts background = {.propagation = "Background", .grace_seconds = -1};
    CHECK_INT(fx_delete_with(api, "ConfigMap", "default", "o1", &background, NULL), 0);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "d1", FX_WAIT_MS));
    CHECK(fx_wait_gone(api, "Secret", "default", "s1", FX_WAIT_MS));
    CHECK(fx_exists(api, "ConfigMap", "default", "free"));
    json_decref(o);
    json_decref(d1);
    json_decref(s1);
    json_decref(free_cm);
    json_decref(ghost);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_dependent_of_two_owners_kept_while_one_lives)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *a = owner(api, "a"), *b = owner(api, "b");
    char ra[512], rb[512], refs[1100];
    snprintf(refs, sizeof refs, "%s,%s", ref(ra, sizeof ra, a, false),
             ref(rb, sizeof rb, b, false));
    json_t *d = dependent(api, "shared", refs, NULL);
    CHECK(a && b && d);
    CHECK_INT(fx_delete(api, "ConfigMap", "default", "a", -1), 0);
    /* the reference to the gone owner is dropped, the object kept */
    json_t *cur =
        fx_wait_obj(api, "ConfigMap", "default", "shared", has_refs, (void *)1, FX_WAIT_MS);
    CHECK_INT(cur ? (long long)json_array_size(fx_at(cur, "metadata.ownerReferences")) : -1, 1);
    json_t *left = fx_at(cur, "metadata.ownerReferences.0");
    CHECK_STR(json_string_value(json_object_get(left, "name")), "b");
    json_decref(cur);
    CHECK_INT(fx_delete(api, "ConfigMap", "default", "b", -1), 0);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "shared", FX_WAIT_MS));
    json_decref(a);
    json_decref(b);
    json_decref(d);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_foreground_waits_for_blocking_dependents)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *o = owner(api, "fg");
    char r[512];
    /* the blocking one is held by a finalizer, so the wait can be seen */
    json_t *blk = dependent(api, "blocker", ref(r, sizeof r, o, true), "['example.com/hold']");
    json_t *loose = dependent(api, "loose", ref(r, sizeof r, o, false), NULL);
    CHECK(o && blk && loose);
    k1s_opts foreground = {.propagation = "Foreground", .grace_seconds = -1};
    CHECK_INT(fx_delete_with(api, "ConfigMap", "default", "fg", &foreground, NULL), 0);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "loose", FX_WAIT_MS));
    /* the blocker is being deleted, the owner waits for it */
    json_t *cur =
        fx_wait_obj(api, "ConfigMap", "default", "blocker", fx_deleting, NULL, FX_WAIT_MS);
    CHECK(cur && fx_deleting(cur, NULL));
    json_decref(cur);
    fx_sleep_ms(300);
    cur = fx_get(api, "ConfigMap", "default", "fg");
    CHECK(cur != NULL);
    CHECK(cur && k1s_meta(cur, "deletionTimestamp") != NULL);
    json_decref(cur);
    /* let the blocker go: the owner follows */
    cur = fx_get(api, "ConfigMap", "default", "blocker");
    if (cur) {
        json_object_del(json_object_get(cur, "metadata"), "finalizers");
        CHECK_INT(fx_update(api, "ConfigMap", "default", NULL, cur), 0);
        json_decref(cur);
    }
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "blocker", FX_WAIT_MS));
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "fg", FX_WAIT_MS));
    json_decref(o);
    json_decref(blk);
    json_decref(loose);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static int refs_of(k1s_api *api, const char *name)
{
    json_t *cur = fx_get(api, "ConfigMap", "default", name);
    int n = cur ? (int)json_array_size(fx_at(cur, "metadata.ownerReferences")) : -1;
    json_decref(cur);
    return n;
}

TEST(test_orphan_releases_dependents)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *o = owner(api, "parent");
    char r[512];
    json_t *k1 = dependent(api, "kid1", ref(r, sizeof r, o, true), NULL);
    json_t *k2 = dependent(api, "kid2", ref(r, sizeof r, o, false), NULL);
    CHECK(o && k1 && k2);
    CHECK_INT(fx_delete_with(api, "ConfigMap", "default", "parent", &orphan, NULL), 0);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "parent", FX_WAIT_MS));
    fx_sleep_ms(200);
    CHECK_INT(refs_of(api, "kid1"), 0);
    CHECK_INT(refs_of(api, "kid2"), 0);
    json_decref(o);
    json_decref(k1);
    json_decref(k2);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_bound_pod_deleted_gracefully)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *o = owner(api, "podowner");
    char r[512], text[2048];
    snprintf(text, sizeof text,
             "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p',"
             "'ownerReferences':[%s]},'spec':{'nodeName':'node1',"
             "'containers':[{'name':'c','image':'nginx'}]}}",
             ref(r, sizeof r, o, true));
    json_t *p = fx_create_get(api, "Pod", "default", fx_json(text));
    CHECK(o && p);
    CHECK_INT(fx_delete(api, "ConfigMap", "default", "podowner", -1), 0);
    /* no kubelet here: the pod is marked and stays */
    json_t *cur = fx_wait_obj(api, "Pod", "default", "p", fx_deleting, NULL, FX_WAIT_MS);
    CHECK(cur != NULL);
    CHECK(cur && k1s_meta(cur, "deletionTimestamp") != NULL);
    CHECK_INT(json_integer_value(fx_at(cur, "metadata.deletionGracePeriodSeconds")), 30);
    json_decref(cur);
    json_decref(o);
    json_decref(p);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_system_namespaces_left_alone)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* a dangling owner reference on a system namespace */
    json_t *ns = fx_get(api, "Namespace", "", "kube-node-lease");
    CHECK(ns != NULL);
    if (ns) {
        json_object_set_new(json_object_get(ns, "metadata"), "ownerReferences",
                            fx_json("[{'apiVersion':'v1','kind':'ConfigMap','name':'x',"
                                    "'uid':'11111111-1111-1111-1111-111111111111'}]"));
        CHECK_INT(fx_update(api, "Namespace", "", NULL, ns), 0);
        json_decref(ns);
    }
    /* a dangling ConfigMap made after it is collected: the GC has looked */
    json_t *g = dependent(api, "after",
                          "{'apiVersion':'v1','kind':'ConfigMap','name':'x',"
                          "'uid':'11111111-1111-1111-1111-111111111111'}",
                          NULL);
    CHECK(g != NULL);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "after", FX_WAIT_MS));
    json_t *cur = fx_get(api, "Namespace", "", "kube-node-lease");
    CHECK(cur != NULL && !k1s_meta(cur, "deletionTimestamp"));
    json_decref(cur);
    /* and kube's immortal namespaces refuse deletion */
    k1s_target t = {fx_kind("Namespace"), "", "default", NULL};
    k1s_opts o = {.grace_seconds = -1};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    CHECK_INT(k1s_api_delete(api, &t, &o, &out, &removed, &st), -1);
    CHECK_INT(st.code, 403);
    CHECK_STR(st.message, "namespaces \"default\" is forbidden: this namespace may not be deleted");
    k1s_status_clear(&st);
    json_decref(g);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_restart_converges)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *o = owner(api, "old"), *keep = owner(api, "keeper");
    char r[512];
    json_t *d = dependent(api, "stale", ref(r, sizeof r, o, false), NULL);
    json_t *kd = dependent(api, "kept", ref(r, sizeof r, keep, false), NULL);
    CHECK(o && keep && d && kd);
    fx_sleep_ms(100);
    k1s_controllers_stop(ctl);
    /* changes while nobody collects */
    CHECK_INT(fx_delete(api, "ConfigMap", "default", "old", -1), 0);
    CHECK_INT(fx_delete_with(api, "ConfigMap", "default", "keeper", &orphan, NULL), 0);
    fx_sleep_ms(100);
    CHECK(fx_exists(api, "ConfigMap", "default", "stale"));
    CHECK(fx_exists(api, "ConfigMap", "default", "keeper"));
    ctl = fx_controllers_start(api, "node1");
    CHECK(ctl != NULL);
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "stale", FX_WAIT_MS));
    CHECK(fx_wait_gone(api, "ConfigMap", "default", "keeper", FX_WAIT_MS));
    CHECK(fx_exists(api, "ConfigMap", "default", "kept"));
    CHECK_INT(refs_of(api, "kept"), 0);
    json_decref(o);
    json_decref(keep);
    json_decref(d);
    json_decref(kd);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_owner_gone_dependents_deleted),
              T(test_dependent_of_two_owners_kept_while_one_lives),
              T(test_foreground_waits_for_blocking_dependents), T(test_orphan_releases_dependents),
              T(test_bound_pod_deleted_gracefully), T(test_system_namespaces_left_alone),
              T(test_restart_converges))
