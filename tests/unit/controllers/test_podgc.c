/*
 * test_podgc.c - the pod garbage collector: a pod bound to a node that does
 * not exist goes once the node has been missing for the 40 s quarantine
 * (not before), while a pod on a node that exists stays.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

static json_t *bound_pod(const char *name, const char *node)
{
    return fx_jsonf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
                    "\"spec\":{\"nodeName\":\"%s\",\"containers\":[{\"name\":\"c\","
                    "\"image\":\"busybox\"}]}}",
                    name, node);
}

TEST(test_podgc_orphans_after_quarantine)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Node", "", wl_node(WL_NODE)), 0);
    CHECK_INT(fx_create(api, "Pod", NS, bound_pod("orphan", "ghost")), 0);
    CHECK_INT(fx_create(api, "Pod", NS, bound_pod("kept", WL_NODE)), 0);
    fx_sleep_ms(5000);
    CHECK(fx_exists(api, "Pod", NS, "orphan")); /* still in quarantine */
    CHECK(fx_wait_gone(api, "Pod", NS, "orphan", 45000));
    CHECK(fx_exists(api, "Pod", NS, "kept"));
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_podgc_orphans_after_quarantine))
