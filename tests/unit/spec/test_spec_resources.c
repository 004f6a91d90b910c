/*
 * test_spec_resources.c - k1s_spec_resources against kubelet's formulas
 * (shares = milliCPU*1024/1000 within [2, 262144], quota =
 * milliCPU*100000/1000 at least 1000, period 100000, memory limit bytes)
 * and k1s_spec_oom_score_adj by QoS class.
 */
#include "k1s_test.h"
#include "test_spec_fixture.h"

#include <unistd.h>

static long long num(const json_t *r, const char *k)
{
    const json_t *v = json_object_get(r, k);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* shares, quota, memory for one container's resources. */
static void check_res(const char *resources, long long shares, long long quota, long long mem)
{
    char c[512];
    snprintf(c, sizeof c, "{'name':'c','resources':%s}", resources);
    json_t *ct = fx_json(c);
    json_t *r = k1s_spec_resources(ct);
    CHECK(r != NULL);
    CHECK_INT(num(r, "cpu_period"), 100000);
    CHECK_INT(num(r, "cpu_shares"), shares);
    CHECK_INT(num(r, "cpu_quota"), quota);
    CHECK_INT(num(r, "memory_limit_in_bytes"), mem);
    if (mem < 0)
        CHECK(json_object_get(r, "memory_swap_limit_in_bytes") == NULL);
    else if (json_object_get(r, "memory_swap_limit_in_bytes"))
        CHECK_INT(num(r, "memory_swap_limit_in_bytes"), mem);
    /* only CRI field names */
    const char *k;
    json_t *v;
    json_object_foreach(r, k, v)
        CHECK(!strcmp(k, "cpu_period") || !strcmp(k, "cpu_quota") || !strcmp(k, "cpu_shares") ||
              !strcmp(k, "memory_limit_in_bytes") || !strcmp(k, "memory_swap_limit_in_bytes"));
    json_decref(r);
    json_decref(ct);
}

TEST(cgroup_numbers)
{
    check_res("{}", 2, 0, -1);
    check_res("{'limits':{'cpu':'500m'}}", 512, 50000, -1); /* request = limit */
    check_res("{'limits':{'cpu':'1'},'requests':{'cpu':'250m'}}", 256, 100000, -1);
    check_res("{'requests':{'cpu':'100m'}}", 102, 0, -1);
    check_res("{'limits':{'cpu':'1m'},'requests':{'cpu':'1m'}}", 2, 1000, -1);
    check_res("{'limits':{'cpu':'2','memory':'128Mi'},'requests':{'cpu':'2','memory':'64Mi'}}",
              2048, 200000, 134217728);
    check_res("{'limits':{'cpu':'1.5','memory':'1G'}}", 1536, 150000, 1000000000);
    check_res("{'requests':{'cpu':'0'},'limits':{'cpu':'300'}}", 2, 30000000, -1);
    check_res("{'requests':{'cpu':'1000'}}", 262144, 0, -1); /* MaxShares */
    /* a bad quantity is ignored, not a crash */
    check_res("{'limits':{'cpu':'lots'},'requests':{'cpu':[1]}}", 2, 0, -1);
}

static int adj(const char *pod)
{
    json_t *p = fx_json(pod);
    int a = k1s_spec_oom_score_adj(
        p, json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0));
    json_decref(p);
    return a;
}

TEST(oom_score)
{
    CHECK_INT(adj("{'spec':{'containers':[{'name':'c'}]}}"), 1000);
    CHECK_INT(
        adj("{'spec':{'containers':[{'name':'c','resources':"
            "{'limits':{'cpu':'1','memory':'1Gi'},'requests':{'cpu':'1','memory':'1Gi'}}}]}}"),
        -997);
    /* limits without (defaulted) requests: GetPodQOS says Burstable; the
     * API server defaults requests and sets status.qosClass first */
    CHECK_INT(adj("{'spec':{'containers':[{'name':'c','resources':"
                  "{'limits':{'cpu':'1','memory':'1Gi'}}}]}}"),
              999);
    /* Burstable without a memory request: 1000 - 0, then 999 */
    CHECK_INT(adj("{'spec':{'containers':[{'name':'c','resources':{'requests':{'cpu':'1'}}}]}}"),
              999);
    /* the API server's status.qosClass wins */
    CHECK_INT(adj("{'spec':{'containers':[{'name':'c'}]},'status':{'qosClass':'Guaranteed'}}"),
              -997);
    CHECK_INT(
        adj("{'spec':{'priorityClassName':'system-node-critical','containers':[{'name':'c'}]}}"),
        -997);
    /* a request of half the memory: about 500 */
    long long mem = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    char pod[256];
    snprintf(pod, sizeof pod,
             "{'spec':{'containers':[{'name':'c','resources':"
             "{'requests':{'memory':'%lld'}}}]}}",
             mem / 2);
    int a = adj(pod);
    CHECK(a >= 499 && a <= 501);
    snprintf(pod, sizeof pod,
             "{'spec':{'containers':[{'name':'c','resources':"
             "{'requests':{'memory':'%lld'}}}]}}",
             mem * 2);
    CHECK_INT(adj(pod), 3);
}

K1S_TEST_MAIN(T(cgroup_numbers), T(oom_score))
