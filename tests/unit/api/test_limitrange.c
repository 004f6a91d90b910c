/*
 * test_limitrange.c - LimitRanger admission through the API: Container
 * defaults for containers and init containers with the annotation kube
 * writes, maxLimitRequestRatio, Pod totals (the sum
 * of containers against max), several violations as kube's "[a, b]".
 */
#include "k1s_api.h"
#include "k1s_fixture.h"
#include "k1s_json.h"
#include "k1s_status.h"
#include "k1s_test.h"

#define NS "default"

static void add_range(k1s_api *api, const char *limits_json)
{
    json_t *lr = fx_jsonf("{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\",\"metadata\":"
                          "{\"name\":\"lr\"},\"spec\":{\"limits\":%s}}",
                          limits_json);
    CHECK_INT(fx_create(api, "LimitRange", NS, lr), 0);
}

/* Create a pod with these containers; 0 or the HTTP code, message in msg. */
static int make_pod(k1s_api *api, const char *name, const char *containers, const char *inits,
                    char *msg, size_t len)
{
    json_t *pod =
        fx_jsonf("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
                 "\"spec\":{\"containers\":%s%s%s}}",
                 name, containers, inits ? ",\"initContainers\":" : "", inits ? inits : "");
    k1s_target t = {fx_kind("Pod"), NS, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_create(api, &t, pod, NULL, &out, &st) ? st.code : 0;
    snprintf(msg, len, "%s", st.message ? st.message : "");
    k1s_status_clear(&st);
    json_decref(out);
    json_decref(pod);
    return rc;
}

TEST(test_limitrange_defaults)
{
    k1s_api *api = fx_api_open();
    add_range(api, "[{\"type\":\"Container\",\"default\":{\"memory\":\"128Mi\"},"
                   "\"defaultRequest\":{\"memory\":\"64Mi\",\"cpu\":\"100m\"}}]");
    char msg[512];
    CHECK_INT(make_pod(api, "p", "[{\"name\":\"c\",\"image\":\"x\"}]",
                       "[{\"name\":\"i\",\"image\":\"x\",\"resources\":{\"limits\":"
                       "{\"memory\":\"1Gi\"}}}]",
                       msg, sizeof msg),
              0);
    json_t *pod = fx_get(api, "Pod", NS, "p");
    CHECK_STR(fx_str(pod, "spec.containers.0.resources.limits.memory"), "128Mi");
    CHECK_STR(fx_str(pod, "spec.containers.0.resources.requests.cpu"), "100m");
    CHECK_STR(fx_str(pod, "spec.initContainers.0.resources.limits.memory"), "1Gi");
    CHECK_STR(k1s_meta_annotation(pod, "kubernetes.io/limit-ranger"),
              "LimitRanger plugin set: cpu, memory request for container c; memory limit for "
              "container c; cpu request for init container i");
    CHECK_STR(fx_str(pod, "status.qosClass"), "Burstable");
    json_decref(pod);
    k1s_api_close(api);
}

TEST(test_limitrange_refusals)
{
    k1s_api *api = fx_api_open();
    add_range(api, "[{\"type\":\"Container\",\"min\":{\"cpu\":\"100m\"},"
                   "\"maxLimitRequestRatio\":{\"memory\":\"2\"}},"
                   "{\"type\":\"Pod\",\"max\":{\"cpu\":\"1\"}}]");
    char msg[512];
    CHECK_INT(make_pod(api, "none", "[{\"name\":\"c\",\"image\":\"x\"}]", NULL, msg, sizeof msg),
              403);
    /* min's value became the range's defaultRequest (kube's LimitRange
     * defaults), so the container has its request: no minimum error */
    CHECK_STR(msg, "pods \"none\" is forbidden: [memory max limit to request ratio per Container "
                   "is 2, but no request is specified or request is 0., maximum cpu usage per "
                   "Pod is 1.  No limit is specified.]");
    CHECK_INT(make_pod(api, "ratio",
                       "[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":"
                       "\"200m\",\"memory\":\"100Mi\"},\"limits\":{\"cpu\":\"600m\",\"memory\":"
                       "\"400Mi\"}}},{\"name\":\"d\",\"image\":\"x\",\"resources\":{\"requests\":"
                       "{\"cpu\":\"200m\",\"memory\":\"100Mi\"},\"limits\":{\"cpu\":\"600m\","
                       "\"memory\":\"200Mi\"}}}]",
                       NULL, msg, sizeof msg),
              403);
    CHECK_STR(msg, "pods \"ratio\" is forbidden: [memory max limit to request ratio per "
                   "Container is 2, but provided ratio is 4.000000., maximum cpu usage per Pod "
                   "is 1, but limit is 1200m.]");
    CHECK(!fx_exists(api, "Pod", NS, "ratio"));
    CHECK_INT(make_pod(api, "ok",
                       "[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":{\"cpu\":"
                       "\"200m\",\"memory\":\"100Mi\"},\"limits\":{\"cpu\":\"600m\",\"memory\":"
                       "\"200Mi\"}}}]",
                       NULL, msg, sizeof msg),
              0);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_limitrange_defaults), T(test_limitrange_refusals))
