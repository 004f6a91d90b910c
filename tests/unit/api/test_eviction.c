/*
 * test_eviction.c - k1s_api_evict as kube's EvictionREST decides: the name
 * must match, pods without a budget or not running go at once, a budget
 * with disruptions left spends one (disruptedPods, DisruptionTarget on the
 * pod), one without refuses with 429 and kube's DisruptionBudget cause,
 * a budget not yet observed refuses, two budgets are a 500, a not-ready
 * pod follows unhealthyPodEvictionPolicy, dry run changes nothing.
 */
#include "k1s_test.h"
#include "k1s_api.h"
#include "k1s_fixture.h"
#include "k1s_json.h"
#include "k1s_status.h"

#define NS "default"

static json_t *pod(const char *name, const char *phase, bool ready)
{
    return fx_jsonf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
                    "\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"n1\",\"containers\":"
                    "[{\"name\":\"c\",\"image\":\"busybox\"}]},\"status\":{\"phase\":\"%s\","
                    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
                    name, phase, ready ? "True" : "False");
}

/* Create the pod and write its status (a create drops status). */
static void add_pod(k1s_api *api, const char *name, const char *phase, bool ready)
{
    json_t *p = pod(name, phase, ready);
    json_t *made = fx_create_get(api, "Pod", NS, json_deep_copy(p));
    CHECK(made != NULL);
    /* what the server set (qosClass) stays */
    json_object_update(k1s_json_object_at(made, "status"), json_object_get(p, "status"));
    CHECK_INT(fx_update(api, "Pod", NS, "status", made), 0);
    json_decref(made);
    json_decref(p);
}

/* A budget for app=web with the given status. */
static void add_pdb(k1s_api *api, const char *name, long long allowed, long long healthy,
                    long long desired, const char *policy, bool observed)
{
    json_t *b = fx_jsonf("{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","
                         "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"minAvailable\":1,"
                         "\"selector\":{\"matchLabels\":{\"app\":\"web\"}}}}",
                         name);
    if (policy)
        json_object_set_new(json_object_get(b, "spec"), "unhealthyPodEvictionPolicy",
                            json_string(policy));
    json_t *made = fx_create_get(api, "PodDisruptionBudget", NS, b);
    CHECK(made != NULL);
    json_object_set_new(
        made, "status",
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "observedGeneration", (json_int_t)(observed ? 1 : 0),
                  "disruptionsAllowed", (json_int_t)allowed, "currentHealthy", (json_int_t)healthy,
                  "desiredHealthy", (json_int_t)desired, "expectedPods", (json_int_t)healthy));
    CHECK_INT(fx_update(api, "PodDisruptionBudget", NS, "status", made), 0);
    json_decref(made);
}

static int evict(k1s_api *api, const char *name, const char *body_name, bool dry_run,
                 k1s_status *st)
{
    json_t *ev = fx_jsonf("{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\","
                          "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"}}",
                          body_name);
    int rc = k1s_api_evict(api, NS, name, ev, dry_run, st);
    json_decref(ev);
    return rc;
}

static bool gone_or_deleting(k1s_api *api, const char *name)
{
    json_t *p = fx_get(api, "Pod", NS, name);
    bool ok = !p || fx_deleting(p, NULL);
    json_decref(p);
    return ok;
}

TEST(test_eviction_without_budget_and_name_mismatch)
{
    k1s_api *api = fx_api_open();
    add_pod(api, "a", "Running", true);
    k1s_status st = {0};
    CHECK_INT(evict(api, "a", "b", false, &st), -1);
    CHECK_INT(st.code, 400);
    CHECK_STR(st.message, "name in URL does not match name in Eviction object");
    k1s_status_clear(&st);
    CHECK_INT(evict(api, "nope", "nope", false, &st), -1);
    CHECK_INT(st.code, 404);
    k1s_status_clear(&st);
    CHECK_INT(evict(api, "a", "a", false, &st), 0);
    CHECK(gone_or_deleting(api, "a"));
    json_t *p = fx_get(api, "Pod", NS, "a");
    if (p) {
        CHECK_STR(fx_str(fx_condition(p, "DisruptionTarget"), "reason"), "EvictionByEvictionAPI");
        json_decref(p);
    }
    k1s_api_close(api);
}

TEST(test_eviction_spends_a_disruption)
{
    k1s_api *api = fx_api_open();
    add_pod(api, "a", "Running", true);
    add_pod(api, "b", "Running", true);
    add_pdb(api, "web", 1, 2, 1, NULL, true);
    k1s_status st = {0};
    /* dry run: nothing changes */
    CHECK_INT(evict(api, "a", "a", true, &st), 0);
    CHECK(!gone_or_deleting(api, "a"));
    json_t *b = fx_get(api, "PodDisruptionBudget", NS, "web");
    CHECK_INT(k1s_json_int(b, "status.disruptionsAllowed", -1), 1);
    json_decref(b);

    CHECK_INT(evict(api, "a", "a", false, &st), 0);
    CHECK(gone_or_deleting(api, "a"));
    b = fx_get(api, "PodDisruptionBudget", NS, "web");
    CHECK_INT(k1s_json_int(b, "status.disruptionsAllowed", -1), 0);
    CHECK(fx_at(b, "status.disruptedPods.a") != NULL);
    json_decref(b);

    CHECK_INT(evict(api, "b", "b", false, &st), -1);
    CHECK_INT(st.code, 429);
    CHECK_STR(st.reason, "TooManyRequests");
    CHECK_STR(st.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    json_t *cause = json_array_get(json_object_get(st.details, "causes"), 0);
    CHECK_STR(fx_str(cause, "reason"), "DisruptionBudget");
    CHECK_STR(fx_str(cause, "message"),
              "The disruption budget web needs 1 healthy pods and has 2 currently");
    k1s_status_clear(&st);
    CHECK(!gone_or_deleting(api, "b"));

    /* a pod that is not running ignores the budget */
    add_pod(api, "p", "Pending", false);
    CHECK_INT(evict(api, "p", "p", false, &st), 0);
    CHECK(gone_or_deleting(api, "p"));
    k1s_api_close(api);
}

TEST(test_eviction_refusals)
{
    k1s_api *api = fx_api_open();
    add_pod(api, "a", "Running", true);
    add_pdb(api, "fresh", 5, 2, 1, NULL, false);
    k1s_status st = {0};
    CHECK_INT(evict(api, "a", "a", false, &st), -1);
    CHECK_INT(st.code, 429);
    CHECK_STR(fx_str(json_array_get(json_object_get(st.details, "causes"), 0), "message"),
              "The disruption budget fresh is still being processed by the server.");
    k1s_status_clear(&st);
    add_pdb(api, "second", 5, 2, 1, NULL, true);
    CHECK_INT(evict(api, "a", "a", false, &st), -1);
    CHECK_INT(st.code, 500);
    CHECK_STR(st.message, "This pod has more than one PodDisruptionBudget, which the eviction "
                          "subresource does not support.");
    k1s_status_clear(&st);
    CHECK(!gone_or_deleting(api, "a"));
    k1s_api_close(api);
}

TEST(test_eviction_unhealthy_pods)
{
    k1s_api *api = fx_api_open();
    add_pod(api, "sick", "Running", false);
    add_pod(api, "well", "Running", true);
    /* IfHealthyBudget (the default): a not-ready pod goes when the budget
     * is met, without spending a disruption */
    add_pdb(api, "web", 0, 1, 1, NULL, true);
    k1s_status st = {0};
    CHECK_INT(evict(api, "sick", "sick", false, &st), 0);
    CHECK(gone_or_deleting(api, "sick"));
    json_t *b = fx_get(api, "PodDisruptionBudget", NS, "web");
    CHECK_INT(k1s_json_int(b, "status.disruptionsAllowed", -1), 0);
    json_decref(b);
    /* a ready pod still needs the disruption */
    CHECK_INT(evict(api, "well", "well", false, &st), -1);
    CHECK_INT(st.code, 429);
    k1s_status_clear(&st);
    k1s_api_close(api);
}

TEST(test_eviction_always_allow)
{
    k1s_api *api = fx_api_open();
    add_pod(api, "sick", "Running", false);
    /* the budget is not met, yet AlwaysAllow lets the sick pod go */
    add_pdb(api, "web", 0, 0, 1, "AlwaysAllow", true);
    k1s_status st = {0};
    CHECK_INT(evict(api, "sick", "sick", false, &st), 0);
    CHECK(gone_or_deleting(api, "sick"));
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_eviction_without_budget_and_name_mismatch),
              T(test_eviction_spends_a_disruption), T(test_eviction_refusals),
              T(test_eviction_unhealthy_pods), T(test_eviction_always_allow))
