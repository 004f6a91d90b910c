/*
 * test_namespace.c - namespace lifecycle and default ServiceAccounts
 * against a real API on an in-memory store: a deleted namespace loses its
 * content (pods gracefully), reports what holds it in status.conditions,
 * then goes; every namespace gets a "default" ServiceAccount, made again
 * when deleted; a restart of the controllers finishes what was pending.
 */
#include "k1s_test.h"

#include "ctrl_fixture.h"

static int update(k1s_api *api, const char *kind, const char *ns, json_t *obj)
{
    k1s_target t = {K(kind), ns, meta(obj, "name"), NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_update(api, &t, obj, NULL, &out, &st);
    if (rc)
        fprintf(stderr, "update: %s\n", st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(out);
    return rc;
}

/* The namespace's condition of type (borrowed from ns) or NULL. */
static const json_t *condition(const json_t *ns, const char *type)
{
    const json_t *conds = json_object_get(json_object_get(ns, "status"), "conditions");
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

static const char *cond_field(const json_t *ns, const char *type, const char *f)
{
    return json_string_value(json_object_get(condition(ns, type), f));
}

static json_t *wait_for(k1s_api *api, const char *kind, const char *ns,
                        const char *name)
{
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        json_t *o = get(api, kind, ns, name);
        if (o)
            return o;
        sleep_ms(10);
    }
    return NULL;
}

static json_t *make_ns(k1s_api *api, const char *name)
{
    char text[256];
    snprintf(text, sizeof text,
             "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s'}}", name);
    return create(api, "Namespace", "", text);
}

TEST(test_default_serviceaccount)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
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
    snprintf(uid, sizeof uid, "%s", sa ? meta(sa, "uid") : "");
    json_decref(sa);
    /* deleted: made again */
    CHECK_INT(del(api, "ServiceAccount", "team-a", "default", NULL), 0);
    bool again = false;
    for (int waited = 0; waited < WAIT_MS && !again; waited += 10) {
        json_t *cur = get(api, "ServiceAccount", "team-a", "default");
        again = cur && strcmp(meta(cur, "uid"), uid) != 0;
        json_decref(cur);
        sleep_ms(10);
    }
    CHECK(again);
    json_decref(ns);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_namespace_deletion_removes_content_then_namespace)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "doomed");
    json_t *cm = create(api, "ConfigMap", "doomed",
                        "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}");
    json_t *held = create(api, "ConfigMap", "doomed",
                          "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'held',"
                          "'finalizers':['example.com/hold']}}");
    json_t *sec = create(api, "Secret", "doomed",
                         "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'}}");
    json_t *other = create(api, "ConfigMap", "default",
                           "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'bystander'}}");
    json_t *sa = wait_for(api, "ServiceAccount", "doomed", "default");
    CHECK(ns && cm && held && sec && other && sa);
    CHECK_INT(del(api, "Namespace", "", "doomed", NULL), 0);
    CHECK(wait_gone(api, "ConfigMap", "doomed", "c"));
    CHECK(wait_gone(api, "Secret", "doomed", "s"));
    CHECK(wait_gone(api, "ServiceAccount", "doomed", "default"));
    /* the held one keeps the namespace, and the conditions say so */
    const char *want = "Some content in the namespace has finalizers remaining: "
                       "example.com/hold in 1 resource instances";
    json_t *cur = NULL;
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        cur = get(api, "Namespace", "", "doomed");
        const char *m = cond_field(cur, "NamespaceFinalizersRemaining", "message");
        if (!cur || (m && !strcmp(m, want)))
            break;
        json_decref(cur);
        cur = NULL;
        sleep_ms(10);
    }
    CHECK(cur != NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(cur, "status"), "phase")),
              "Terminating");
    CHECK_STR(cond_field(cur, "NamespaceFinalizersRemaining", "status"), "True");
    CHECK_STR(cond_field(cur, "NamespaceFinalizersRemaining", "reason"), "SomeFinalizersRemain");
    CHECK_STR(cond_field(cur, "NamespaceContentRemaining", "reason"), "SomeResourcesRemain");
    CHECK_STR(cond_field(cur, "NamespaceContentRemaining", "message"),
              "Some resources are remaining: configmaps. has 1 resource instances");
    CHECK_STR(cond_field(cur, "NamespaceDeletionContentFailure", "status"), "False");
    CHECK_STR(cond_field(cur, "NamespaceDeletionDiscoveryFailure", "reason"), "ResourcesDiscovered");
    CHECK(cond_field(cur, "NamespaceContentRemaining", "lastTransitionTime") != NULL);
    json_decref(cur);
    /* no ServiceAccount comes back while it terminates */
    sleep_ms(200);
    CHECK(!exists(api, "ServiceAccount", "doomed", "default"));
    /* release it: the namespace goes */
    cur = get(api, "ConfigMap", "doomed", "held");
    CHECK(cur != NULL);
    if (cur) {
        json_object_del(json_object_get(cur, "metadata"), "finalizers");
        CHECK_INT(update(api, "ConfigMap", "doomed", cur), 0);
        json_decref(cur);
    }
    CHECK(wait_gone(api, "Namespace", "", "doomed"));
    CHECK(exists(api, "ConfigMap", "default", "bystander"));
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
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "pods");
    json_t *p = create(api, "Pod", "pods",
                       "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},"
                       "'spec':{'nodeName':'node1','terminationGracePeriodSeconds':5,"
                       "'containers':[{'name':'c','image':'nginx'}]}}");
    CHECK(ns && p);
    CHECK_INT(del(api, "Namespace", "", "pods", NULL), 0);
    json_t *cur = NULL;
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        cur = get(api, "Pod", "pods", "p");
        if (!cur || meta(cur, "deletionTimestamp"))
            break;
        json_decref(cur);
        cur = NULL;
        sleep_ms(10);
    }
    CHECK(cur && meta(cur, "deletionTimestamp"));
    CHECK_INT(json_integer_value(json_object_get(json_object_get(cur, "metadata"),
                                                 "deletionGracePeriodSeconds")),
              5);
    json_decref(cur);
    sleep_ms(300);
    CHECK(exists(api, "Namespace", "", "pods"));
    /* what a kubelet does once the containers stopped */
    k1s_target t = {K("Pod"), "pods", "p", NULL};
    k1s_opts o = {.grace_seconds = 0};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    CHECK_INT(k1s_api_delete(api, &t, &o, &out, &removed, &st), 0);
    k1s_status_clear(&st);
    json_decref(out);
    CHECK(wait_gone(api, "Namespace", "", "pods"));
    json_decref(ns);
    json_decref(p);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_restart_finishes_deletion)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *ns = make_ns(api, "later");
    json_t *sa = wait_for(api, "ServiceAccount", "later", "default");
    json_t *before = wait_for(api, "ServiceAccount", "default", "default");
    CHECK(ns && sa && before);
    char uid[64];
    snprintf(uid, sizeof uid, "%s", before ? meta(before, "uid") : "");
    json_decref(before);
    k1s_controllers_stop(ctl);
    json_t *cm = create(api, "ConfigMap", "later",
                        "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}");
    json_t *ns2 = make_ns(api, "fresh");
    CHECK(cm && ns2);
    CHECK_INT(del(api, "Namespace", "", "later", NULL), 0);
    sleep_ms(100);
    CHECK(exists(api, "Namespace", "", "later"));
    ctl = start(api);
    CHECK(ctl != NULL);
    CHECK(wait_gone(api, "Namespace", "", "later"));
    json_t *sa2 = wait_for(api, "ServiceAccount", "fresh", "default");
    CHECK(sa2 != NULL);
    /* the one made before the restart is kept, not made again */
    json_t *sa0 = get(api, "ServiceAccount", "default", "default");
    CHECK(sa0 != NULL);
    CHECK_STR(sa0 ? meta(sa0, "uid") : NULL, uid);
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
              T(test_bound_pods_deleted_gracefully),
              T(test_restart_finishes_deletion))
