/*
 * test_nodelifecycle.c - taints by condition and taint-based eviction: a
 * new node is created not-ready (NoSchedule) until seen Ready; Ready=False
 * brings the not-ready NoSchedule and NoExecute taints; a pod that does
 * not tolerate them is deleted at once, one tolerating them for 1 s a
 * little later, one tolerating them for ever stays; spec.unschedulable
 * gives the unschedulable taint; a user's taint is kept throughout.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

static bool has_taint(const json_t *node, const void *key_effect)
{
    char want[128];
    size_t i;
    json_t *t;
    json_array_foreach(fx_at(node, "spec.taints"), i, t)
    {
        snprintf(want, sizeof want, "%s:%s", fx_str(t, "key"), fx_str(t, "effect"));
        if (!strcmp(want, key_effect))
            return true;
    }
    return false;
}

static bool lacks_taint(const json_t *node, const void *key_effect)
{
    return !has_taint(node, key_effect);
}

static json_t *pod_with(const char *name, const char *tolerations)
{
    return fx_jsonf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
                    "\"spec\":{\"nodeName\":\"" WL_NODE "\",\"tolerations\":%s,"
                    "\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
                    name, tolerations);
}

static bool gone_or_deleting(k1s_api *api, const char *name)
{
    json_t *p = fx_get(api, "Pod", NS, name);
    bool ok = !p || fx_deleting(p, NULL);
    json_decref(p);
    return ok;
}

static int set_ready(k1s_api *api, const char *status)
{
    json_t *n = fx_get(api, "Node", "", WL_NODE);
    json_t *c = json_array_get(fx_at(n, "status.conditions"), 0);
    json_object_set_new(c, "status", json_string(status));
    int rc = fx_update(api, "Node", "", "status", n);
    json_decref(n);
    return rc;
}

TEST(test_node_taints_and_evictions)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *node = wl_node(WL_NODE);
    json_object_set_new(
        node, "spec",
        json_pack("{s:[{s:s, s:s}]}", "taints", "key", "mine", "effect", "PreferNoSchedule"));
    json_t *made = fx_create_get(api, "Node", "", node);
    CHECK(made && has_taint(made, "node.kubernetes.io/not-ready:NoSchedule"));
    json_decref(made);
    json_t *n = fx_wait_obj(api, "Node", "", WL_NODE, lacks_taint,
                            "node.kubernetes.io/not-ready:NoSchedule", FX_WAIT_MS);
    CHECK(n && has_taint(n, "mine:PreferNoSchedule"));
    json_decref(n);

    CHECK_INT(fx_create(api, "Pod", NS, pod_with("plain", "[]")), 0);
    CHECK_INT(fx_create(api, "Pod", NS,
                        pod_with("brief", "[{\"key\":\"node.kubernetes.io/not-ready\","
                                          "\"operator\":\"Exists\",\"effect\":\"NoExecute\","
                                          "\"tolerationSeconds\":1}]")),
              0);
    CHECK_INT(fx_create(api, "Pod", NS, pod_with("patient", "[{\"operator\":\"Exists\"}]")), 0);
    fx_sleep_ms(300);
    CHECK(!gone_or_deleting(api, "plain")); /* a Ready node evicts nothing */

    CHECK_INT(set_ready(api, "False"), 0);
    n = fx_wait_obj(api, "Node", "", WL_NODE, has_taint, "node.kubernetes.io/not-ready:NoExecute",
                    FX_WAIT_MS);
    CHECK(n && has_taint(n, "node.kubernetes.io/not-ready:NoSchedule"));
    CHECK(n && fx_str(json_array_get(fx_at(n, "spec.taints"), 2), "timeAdded") != NULL);
    json_decref(n);
    /* a 1 s toleration runs out; the default 300 s one (DefaultTolerationSeconds) not yet */
    CHECK(!gone_or_deleting(api, "brief"));
    CHECK_SOON(gone_or_deleting(api, "brief"));
    fx_sleep_ms(1500);
    CHECK(!gone_or_deleting(api, "plain"));
    CHECK(!gone_or_deleting(api, "patient"));
    /* a NoExecute taint nothing but "patient" tolerates: "plain" goes at once */
    json_t *cur = fx_get(api, "Node", "", WL_NODE);
    json_array_append_new(json_object_get(json_object_get(cur, "spec"), "taints"),
                          json_pack("{s:s, s:s}", "key", "dedicated", "effect", "NoExecute"));
    CHECK_INT(fx_update(api, "Node", "", NULL, cur), 0);
    json_decref(cur);
    CHECK_SOON(gone_or_deleting(api, "plain"));
    CHECK(!gone_or_deleting(api, "patient"));
    CHECK_INT(wl_events(api, NS, "plain", "TaintManagerEviction", "Marking for deletion Pod", 1),
              1);

    /* Ready again: the taints go; cordoned: unschedulable */
    CHECK_INT(set_ready(api, "True"), 0);
    json_decref(fx_wait_obj(api, "Node", "", WL_NODE, lacks_taint,
                            "node.kubernetes.io/not-ready:NoExecute", FX_WAIT_MS));
    CHECK_INT(fx_patch(api, "Node", "", WL_NODE, NULL, "{\"spec\":{\"unschedulable\":true}}"), 0);
    n = fx_wait_obj(api, "Node", "", WL_NODE, has_taint,
                    "node.kubernetes.io/unschedulable:NoSchedule", FX_WAIT_MS);
    CHECK(n && has_taint(n, "mine:PreferNoSchedule"));
    json_decref(n);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_node_taints_and_evictions))
