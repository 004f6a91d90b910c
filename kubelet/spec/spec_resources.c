/*
 * spec_resources.c - the numbers kubelet derives from a container's
 * resources: the cgroup settings (pkg/kubelet/cm/helpers_linux.go
 * MilliCPUToShares / MilliCPUToQuota, kuberuntime's
 * calculateLinuxResources), the OOM score adjustment of its QoS class, and
 * the downward API's resourceFieldRef values (limits defaulting to the
 * node's allocatable).
 */
#include "spec_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "k1s_quantity.h"

/* helpers_linux.go's constants. */
#define MIN_SHARES 2
#define MAX_SHARES 262144
#define SHARES_PER_CPU 1024
#define MILLI_PER_CPU 1000
#define QUOTA_PERIOD 100000 /* µs */
#define MIN_QUOTA 1000      /* µs */

/* cgroup v1 with swap accounting: kubelet then sets memsw = memory, so the
 * container gets no swap beyond its memory limit. */
#define MEMSW_FILE "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"

static int64_t shares_of(int64_t milli)
{
    if (milli == 0)
        return MIN_SHARES; /* the kernel's default for "unset" */
    int64_t s =
        milli > INT64_MAX / SHARES_PER_CPU ? MAX_SHARES : milli * SHARES_PER_CPU / MILLI_PER_CPU;
    return s < MIN_SHARES ? MIN_SHARES : s > MAX_SHARES ? MAX_SHARES : s;
}

static int64_t quota_of(int64_t milli)
{
    if (milli == 0)
        return 0; /* no limit */
    int64_t q = milli > INT64_MAX / QUOTA_PERIOD ? INT64_MAX : milli * QUOTA_PERIOD / MILLI_PER_CPU;
    return q < MIN_QUOTA ? MIN_QUOTA : q;
}

/* resources.<which>.<name> as milli-units (cpu) or units; false when
 * absent or unparsable. */
static bool res_get(const json_t *c, const char *which, const char *name, bool milli, int64_t *out)
{
    const json_t *v =
        json_object_get(json_object_get(json_object_get(c, "resources"), which), name);
    k1s_quantity q;
    if (!v || k1s_quantity_from_json(v, &q) < 0)
        return false;
    return (milli ? k1s_quantity_milli(&q, out) : k1s_quantity_value(&q, out)) == 0;
}

json_t *k1s_spec_resources(const json_t *container)
{
    int64_t req = 0, lim = 0, mem = 0;
    bool has_req = res_get(container, "requests", "cpu", true, &req);
    bool has_lim = res_get(container, "limits", "cpu", true, &lim);
    res_get(container, "limits", "memory", false, &mem);
    /* A request defaults to the limit (the API server does this for new
     * pods; kubelet repeats it for old ones). */
    int64_t shares = !has_req && has_lim && lim ? shares_of(lim) : shares_of(req);
    json_t *r =
        json_pack("{s:I,s:I,s:I}", "cpu_period", (json_int_t)QUOTA_PERIOD, "cpu_quota",
                  (json_int_t)quota_of(has_lim ? lim : 0), "cpu_shares", (json_int_t)shares);
    if (r && mem > 0) {
        json_object_set_new(r, "memory_limit_in_bytes", json_integer(mem));
        if (access(MEMSW_FILE, F_OK) == 0)
            json_object_set_new(r, "memory_swap_limit_in_bytes", json_integer(mem));
    }
    return r;
}

/* ---- the node's size ---- */

static int64_t host_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (int64_t)pages * size : 0;
}

/* The node's allocatable name (milli for cpu): the Node object's when the
 * lookup knows it, else the host's own CPUs, memory and root disk. */
static int64_t allocatable(const json_t *pod, const k1s_spec_lookup *lk, const char *name,
                           bool milli)
{
    if (lk && lk->get) {
        const json_t *node =
            lk->get(lk->ctx, "Node", "", k1s_json_str_or(pod, "spec.nodeName", ""));
        const json_t *v =
            json_object_get(json_object_get(json_object_get(node, "status"), "allocatable"), name);
        k1s_quantity q;
        int64_t out;
        if (v && k1s_quantity_from_json(v, &q) == 0 &&
            (milli ? k1s_quantity_milli(&q, &out) : k1s_quantity_value(&q, &out)) == 0)
            return out;
    }
    if (!strcmp(name, "cpu")) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return (n > 0 ? n : 1) * (int64_t)MILLI_PER_CPU;
    }
    if (!strcmp(name, "memory"))
        return host_memory();
    struct statvfs st;
    if (!strcmp(name, "ephemeral-storage") && statvfs("/", &st) == 0)
        return (int64_t)st.f_blocks * (int64_t)st.f_frsize;
    return 0;
}

static const json_t *find_container(const json_t *pod, const char *name)
{
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i,
                           c) if (!strcmp(k1s_json_str_or(c, "name", ""), name)) return c;
    }
    return NULL;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}

int k1s__spec_resource_value(const json_t *pod, const json_t *container, const json_t *ref,
                             const k1s_spec_lookup *lk, char **out, char *err)
{
    *out = NULL;
    const char *cname = k1s_json_str_or(ref, "containerName", "");
    const json_t *c = container;
    if (*cname) {
        c = find_container(pod, cname);
        if (!c)
            return k1s__spec_errf(err, "container %s not found", cname);
    }
    const char *res = k1s_json_str_or(ref, "resource", "");
    bool lim = !strncmp(res, "limits.", 7), req = !strncmp(res, "requests.", 9);
    const char *name = lim ? res + 7 : req ? res + 9 : "";
    bool cpu = !strcmp(name, "cpu");
    bool known = cpu || !strcmp(name, "memory") || !strcmp(name, "ephemeral-storage") ||
                 !strncmp(name, "hugepages-", 10);
    if (!known)
        return k1s__spec_errf(err, "unsupported container resource : %s", res);
    int64_t v = 0;
    if (!res_get(c, lim ? "limits" : "requests", name, cpu, &v) && lim &&
        strncmp(name, "hugepages-", 10))
        v = allocatable(pod, lk, name, cpu);
    /* divisor: absent or zero means 1 */
    int64_t d = 0;
    k1s_quantity q;
    const json_t *dv = json_object_get(ref, "divisor");
    if (dv && k1s_quantity_from_json(dv, &q) == 0 && !k1s_quantity_is_zero(&q))
        (cpu ? k1s_quantity_milli : k1s_quantity_value)(&q, &d);
    if (d <= 0)
        d = cpu ? MILLI_PER_CPU : 1;
    if (asprintf(out, "%lld", (long long)ceil_div(v, d)) < 0) {
        *out = NULL;
        return k1s__spec_errf(err, "out of memory");
    }
    return 0;
}

/* ---- QoS and the OOM score (pkg/kubelet/qos) ---- */

enum qos { QOS_BEST_EFFORT, QOS_BURSTABLE, QOS_GUARANTEED };

/* v1qos.GetPodQOS: the API server's status.qosClass when set, else
 * computed from the cpu and memory of all (init) containers. */
static enum qos pod_qos(const json_t *pod)
{
    const char *s = k1s_json_str_or(pod, "status.qosClass", "");
    if (!strcmp(s, "Guaranteed"))
        return QOS_GUARANTEED;
    if (!strcmp(s, "BestEffort"))
        return QOS_BEST_EFFORT;
    if (!strcmp(s, "Burstable"))
        return QOS_BURSTABLE;
    static const char *const names[] = {"cpu", "memory"};
    int64_t req[2] = {0, 0}, lim[2] = {0, 0};
    bool has_req[2] = {false, false}, has_lim[2] = {false, false};
    bool guaranteed = true;
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c)
        {
            int found = 0;
            for (int r = 0; r < 2; r++) {
                int64_t v;
                if (res_get(c, "requests", names[r], r == 0, &v) && v > 0) {
                    req[r] += v;
                    has_req[r] = true;
                }
                if (res_get(c, "limits", names[r], r == 0, &v) && v > 0) {
                    lim[r] += v;
                    has_lim[r] = true;
                    found++;
                }
            }
            if (found < 2)
                guaranteed = false;
        }
    }
    if (!has_req[0] && !has_req[1] && !has_lim[0] && !has_lim[1])
        return QOS_BEST_EFFORT;
    for (int r = 0; r < 2 && guaranteed; r++)
        if (has_req[r] && (!has_lim[r] || lim[r] != req[r]))
            guaranteed = false;
    if (guaranteed && has_req[0] == has_lim[0] && has_req[1] == has_lim[1])
        return QOS_GUARANTEED;
    return QOS_BURSTABLE;
}

int k1s_spec_oom_score_adj(const json_t *pod, const json_t *container)
{
    const int guaranteed_adj = -997, best_effort_adj = 1000;
    const char *prio = k1s_json_str_or(pod, "spec.priorityClassName", "");
    if (!strcmp(prio, "system-node-critical"))
        return guaranteed_adj;
    switch (pod_qos(pod)) {
    case QOS_GUARANTEED:
        return guaranteed_adj;
    case QOS_BEST_EFFORT:
        return best_effort_adj;
    case QOS_BURSTABLE:
        break;
    }
    int64_t memreq = 0, cap = host_memory();
    res_get(container, "requests", "memory", false, &memreq);
    int64_t adj = cap > 0 && memreq < INT64_MAX / 1000 ? 1000 - 1000 * memreq / cap : 0;
    if (adj < 1000 + guaranteed_adj)
        return 1000 + guaranteed_adj;
    if (adj == best_effort_adj)
        return best_effort_adj - 1;
    return (int)adj;
}
