/*
 * test_namespace.c - namespace lifecycle and default ServiceAccounts
 * against a real API on an in-memory store: a deleted namespace loses its
 * content (pods gracefully), reports what holds it in status.conditions,
 * then goes; every namespace gets a "default" ServiceAccount, made again
 * when deleted; a restart of the controllers finishes what was pending.
 */
#include "k1s_test.h"

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

static const char *cond_field(const json_t *ns, const char *type, const char *f)
{
    return json_string_value(json_object_get(fx_condition(ns, type), f));
}

static json_t *wait_for(k1s_api *api, const char *kind, const char *ns, const char *name)
{
    return fx_wait_obj(api, kind, ns, name, NULL, NULL, FX_WAIT_MS);
}

/* Whether obj's uid is not the one given (it was made again). */
static bool uid_is_not(const json_t *obj, const void *uid)
{
    const char *u = k1s_meta(obj, "uid");
    return u && strcmp(u, uid) != 0;
}

/* Whether the namespace says which finalizers hold it (message want). */
static bool finalizers_remaining(const json_t *ns, const void *want)
{
    const char *m = cond_field(ns, "NamespaceFinalizersRemaining", "message");
    return m && !strcmp(m, want);
}

static json_t *make_ns(k1s_api *api, const char *name)
{
    char text[256];
    snprintf(text, sizeof text, "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s'}}",
             name);
    return fx_create_get(api, "Namespace", "", fx_json(text));
}

TEST(test_default_serviceaccount)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    static const char *const system_ns[] = {"default", "kube-system", "kube-public",
                                            "kube-node-lease"};
    for (size_t i = 0; i < 4; i++) {
        json_t *sa = wait_for(api, "ServiceAccount", system_ns[i], "default");
        CHECK(sa != NULL);
        json_decref(sa);
    }
    json_t *ns = make_ns(api, "team-a");
    CHECK(ns != NULL);
    json_t *sa = wait_for(api, "ServiceAccount", "team-a", "default");
    CHECK(sa != NULL);
    char uid[64] = "";
    snprintf(uid, sizeof uid, "%s", sa ? k1s_meta(sa, "uid") : "");
    json_decref(sa);
    /* deleted: made again */
    CHECK_INT(fx_delete(api, "ServiceAccount", "team-a", "default", -1), 0);
    json_t *cur =
        fx_wait_obj(api, "ServiceAccount", "team-a", "default", uid_is_not, uid, FX_WAIT_MS);
    CHECK(cur && uid_is_not(cur, uid));
    json_decref(cur);
    json_decref(ns);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_namespace_deletion_removes_content_then_namespace)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "doomed");
    json_t *cm = fx_create_get(api, "ConfigMap", "doomed",
                               fx_json("{'apiVersion':'v1','kind':'ConfigMap',"
                                       "'metadata':{'name':'c'}}"));
    json_t *held = fx_create_get(api, "ConfigMap", "doomed",
                                 fx_json("{'apiVersion':'v1','kind':'ConfigMap',"
                                         "'metadata':{'name':'held',"
                                         "'finalizers':['example.com/hold']}}"));
    json_t *sec = fx_create_get(api, "Secret", "doomed",
                                fx_json("{'apiVersion':'v1','kind':'Secret',"
                                        "'metadata':{'name':'s'}}"));
    json_t *other = fx_create_get(api, "ConfigMap", "default",
                                  fx_json("{'apiVersion':'v1','kind':'ConfigMap',"
                                          "'metadata':{'name':'bystander'}}"));
    json_t *sa = wait_for(api, "ServiceAccount", "doomed", "default");
    CHECK(ns && cm && held && sec && other && sa);
    CHECK_INT(fx_delete(api, "Namespace", "", "doomed", -1), 0);
    CHECK(fx_wait_gone(api, "ConfigMap", "doomed", "c", FX_WAIT_MS));
    CHECK(fx_wait_gone(api, "Secret", "doomed", "s", FX_WAIT_MS));
    CHECK(fx_wait_gone(api, "ServiceAccount", "doomed", "default", FX_WAIT_MS));
    /* the held one keeps the namespace, and the conditions say so */
    const char *want = "Some content in the namespace has finalizers remaining: "
                       "example.com/hold in 1 resource instances";
    json_t *cur =
        fx_wait_obj(api, "Namespace", "", "doomed", finalizers_remaining, want, FX_WAIT_MS);
    CHECK(cur != NULL);
    CHECK_STR(fx_str(cur, "status.phase"), "Terminating");
    CHECK_STR(cond_field(cur, "NamespaceFinalizersRemaining", "status"), "True");
    CHECK_STR(cond_field(cur, "NamespaceFinalizersRemaining", "reason"), "SomeFinalizersRemain");
    CHECK_STR(cond_field(cur, "NamespaceContentRemaining", "reason"), "SomeResourcesRemain");
    CHECK_STR(cond_field(cur, "NamespaceContentRemaining", "message"),
              "Some resources are remaining: configmaps. has 1 resource instances");
    CHECK_STR(cond_field(cur, "NamespaceDeletionContentFailure", "status"), "False");
    CHECK_STR(cond_field(cur, "NamespaceDeletionDiscoveryFailure", "reason"),
              "ResourcesDiscovered");
    CHECK(cond_field(cur, "NamespaceContentRemaining", "lastTransitionTime") != NULL);
    json_decref(cur);
    /* no ServiceAccount comes back while it terminates */
    fx_sleep_ms(200);
    CHECK(!fx_exists(api, "ServiceAccount", "doomed", "default"));
    /* release it: the namespace goes */
    cur = fx_get(api, "ConfigMap", "doomed", "held");
    CHECK(cur != NULL);
    if (cur) {
        json_object_del(json_object_get(cur, "metadata"), "finalizers");
        CHECK_INT(fx_update(api, "ConfigMap", "doomed", NULL, cur), 0);
        json_decref(cur);
    }
    CHECK(fx_wait_gone(api, "Namespace", "", "doomed", FX_WAIT_MS));
    CHECK(fx_exists(api, "ConfigMap", "default", "bystander"));
    json_decref(ns);
    json_decref(cm);
    json_decref(held);
    json_decref(sec);
    json_decref(other);
    json_decref(sa);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_bound_pods_deleted_gracefully)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "pods");
    json_t *p = fx_create_get(api, "Pod", "pods",
                              fx_json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
                                      "'spec':{'nodeName':'node1',"
                                      "'terminationGracePeriodSeconds':5,"
                                      "'containers':[{'name':'c','image':'nginx'}]}}"));
    CHECK(ns && p);
    CHECK_INT(fx_delete(api, "Namespace", "", "pods", -1), 0);
    json_t *cur = fx_wait_obj(api, "Pod", "pods", "p", fx_deleting, NULL, FX_WAIT_MS);
    CHECK(cur && k1s_meta(cur, "deletionTimestamp"));
    CHECK_INT(json_integer_value(fx_at(cur, "metadata.deletionGracePeriodSeconds")), 5);
    json_decref(cur);
    fx_sleep_ms(300);
    CHECK(fx_exists(api, "Namespace", "", "pods"));
    /* what a kubelet does once the containers stopped */
    CHECK_INT(fx_delete(api, "Pod", "pods", "p", 0), 0);
    CHECK(fx_wait_gone(api, "Namespace", "", "pods", FX_WAIT_MS));
    json_decref(ns);
    json_decref(p);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_restart_finishes_deletion)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "later");
    json_t *sa = wait_for(api, "ServiceAccount", "later", "default");
    json_t *before = wait_for(api, "ServiceAccount", "default", "default");
    CHECK(ns && sa && before);
    char uid[64];
    snprintf(uid, sizeof uid, "%s", before ? k1s_meta(before, "uid") : "");
    json_decref(before);
    k1s_controllers_stop(ctl);
    json_t *cm = fx_create_get(api, "ConfigMap", "later",
                               fx_json("{'apiVersion':'v1','kind':'ConfigMap',"
                                       "'metadata':{'name':'c'}}"));
    json_t *ns2 = make_ns(api, "fresh");
    CHECK(cm && ns2);
    CHECK_INT(fx_delete(api, "Namespace", "", "later", -1), 0);
    fx_sleep_ms(100);
    CHECK(fx_exists(api, "Namespace", "", "later"));
    ctl = fx_controllers_start(api, "node1");
    CHECK(ctl != NULL);
    CHECK(fx_wait_gone(api, "Namespace", "", "later", FX_WAIT_MS));
    json_t *sa2 = wait_for(api, "ServiceAccount", "fresh", "default");
    CHECK(sa2 != NULL);
    /* the one made before the restart is kept, not made again */
    json_t *sa0 = fx_get(api, "ServiceAccount", "default", "default");
    CHECK(sa0 != NULL);
    CHECK_STR(sa0 ? k1s_meta(sa0, "uid") : NULL, uid);
    json_decref(sa0);
    json_decref(sa2);
    json_decref(ns);
    json_decref(ns2);
    json_decref(sa);
    json_decref(cm);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_default_serviceaccount),
              T(test_namespace_deletion_removes_content_then_namespace),
              T(test_bound_pods_deleted_gracefully), T(test_restart_finishes_deletion))
