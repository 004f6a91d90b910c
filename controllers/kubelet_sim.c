/*
 * kubelet_sim.c - the simulated kubelet (`--kubelet simulated`): a node
 * whose containers start at once and never fail. It registers the Node
 * and keeps its Lease (kubelet_sim_node.c), and for every pod bound to
 * that node posts the status a kubelet would once the containers run
 * (kubelet_sim_status.c): Running and Ready, with an IP from the pod CIDR
 * 10.244.0.0/24 that no other live pod has, and the kubelet's Pulled,
 * Created and Started events.
 *
 * Deletion: a pod marked for deletion is removed (delete with grace 0) as
 * soon as its containers have stopped. Simulated containers stop at
 * SIGTERM at once, as nginx does, so that is right away; the annotation
 * k1s.io/simulated-stop-seconds makes them take that long instead, never
 * longer than the pod's grace period (the reconcile comes back when due).
 *
 * Keys: pods are queued as "ns/name"; the node's own work (lease,
 * heartbeat, re-registration) under "/<node name>".
 */
#include "kubelet_sim_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STOP_ANNOTATION "k1s.io/simulated-stop-seconds"

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static const char *meta_str(const json_t *o, const char *key)
{
    return str(json_object_get(o, "metadata"), key);
}

static bool terminal(const json_t *pod)
{
    const char *phase = str(json_object_get(pod, "status"), "phase");
    return !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
}

/* ---- pod IPs ------------------------------------------------------------------------ */

typedef struct ipscan {
    unsigned char used[256]; /* last octet in use */
    json_t *live;            /* owned set of live pod uids */
} ipscan;

static int scan_pod(void *vctx, const json_t *pod)
{
    ipscan *s = vctx;
    if (terminal(pod))
        return 0;
    json_object_set_new(s->live, meta_str(pod, "uid"), json_true());
    struct in_addr a;
    const char *ip = str(json_object_get(pod, "status"), "podIP");
    if (inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) & 0xffffff00u) == 0x0af40000u)
        s->used[ntohl(a.s_addr) & 0xff] = 1;
    return 0;
}

/* The pod's IP: kept once it has one; else the lowest of .2-.254 that no
 * live pod holds, counting addresses handed out but not yet in the cache.
 * NULL when the range is full. */
static const char *pod_ip(k1s__kubelet *k, const json_t *pod, char *buf, size_t len)
{
    if (json_is_true(json_object_get(json_object_get(pod, "spec"), "hostNetwork")))
        return k->node_ip;
    const char *have = str(json_object_get(pod, "status"), "podIP");
    if (*have)
        return have;
    const char *uid = meta_str(pod, "uid");
    const char *ip;
    json_t *owner;
    void *tmp;
    json_object_foreach(k->ips, ip, owner)
    {
        if (!strcmp(json_string_value(owner), uid))
            return ip;
    }
    ipscan s = {.live = json_object()};
    k1s_informer *pods = k1s_ctrl_informer(k->c, "", "Pod");
    if (pods)
        k1s_informer_each(pods, NULL, scan_pod, &s);
    json_object_foreach_safe(k->ips, tmp, ip, owner)
    {
        struct in_addr a;
        if (!json_object_get(s.live, json_string_value(owner)) || inet_pton(AF_INET, ip, &a) != 1)
            json_object_del(k->ips, ip); /* its pod is gone */
        else
            s.used[ntohl(a.s_addr) & 0xff] = 1;
    }
    json_decref(s.live);
    for (int i = 2; i <= 254; i++) {
        if (s.used[i])
            continue;
        snprintf(buf, len, "10.244.0.%d", i);
        json_object_set_new(k->ips, buf, json_string(uid));
        return buf;
    }
    return NULL;
}

/* ---- running pods ---------------------------------------------------------------------- */

static void started_events(k1s__kubelet *k, const json_t *pod, const json_t *started)
{
    size_t i;
    const json_t *ctr;
    json_array_foreach(started, i, ctr)
    {
        const char *name = str(ctr, "name");
        k1s_ctrl_event(k->c, K1S__KUBELET, pod, "Normal", "Pulled",
                       "Container image \"%.500s\" already present on machine", str(ctr, "image"));
        k1s_ctrl_event(k->c, K1S__KUBELET, pod, "Normal", "Created", "Created container: %.253s", name);
        k1s_ctrl_event(k->c, K1S__KUBELET, pod, "Normal", "Started", "Started container %.253s", name);
    }
}

static int run_pod(k1s__kubelet *k, const json_t *pod)
{
    char buf[32];
    const char *ip = pod_ip(k, pod, buf, sizeof buf);
    if (!ip) {
        k1s_ctrl_event(k->c, K1S__KUBELET, pod, "Warning", "FailedCreatePodSandBox",
                       "Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set: 10.244.0.1-10.244.0.254");
        return 5000;
    }
    json_t *started = NULL;
    json_t *status = k1s__kubelet_pod_status(pod, k->node_ip, ip, &started); /* new */
    int rc = 0;
    if (!json_equal(status, json_object_get(pod, "status"))) {
        json_t *copy = json_deep_copy(pod); /* new */
        json_object_set(copy, "status", status);
        rc = k1s_ctrl_update(k->c, "", "Pod", meta_str(pod, "namespace"), "status", copy, NULL);
        json_decref(copy);
        if (rc == 0)
            started_events(k, pod, started);
    }
    json_decref(status);
    json_decref(started);
    /* a conflict: the newer pod is on its way through the watch */
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- stopping pods ------------------------------------------------------------------------ */

static long long parse_time(const char *s)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return 0;
    long long t = (long long)timegm(&tm);
    return t < 0 ? 0 : t > 253402300799LL ? 253402300799LL : t; /* <= year 9999 */
}

/* When the containers, told to stop at deletion, are down (ms since the
 * epoch): deletionTimestamp is when the grace period ends, so the stop
 * began grace seconds before it. */
static long long stopped_at_ms(const json_t *pod)
{
    const json_t *m = json_object_get(pod, "metadata");
    long long grace = json_integer_value(json_object_get(m, "deletionGracePeriodSeconds"));
    long long deadline = parse_time(str(m, "deletionTimestamp"));
    /* user-given numbers: keep the arithmetic below in range */
    if (grace < 0 || deadline <= 0)
        grace = 0;
    if (grace > 10LL * 366 * 86400)
        grace = 10LL * 366 * 86400;
    long long takes = 0;
    const char *ann = str(json_object_get(m, "annotations"), STOP_ANNOTATION);
    if (*ann) {
        char *end = NULL;
        takes = strtoll(ann, &end, 10);
        if (*end || takes < 0)
            takes = 0;
    }
    if (takes > grace)
        takes = grace;
    return (deadline - grace + takes) * 1000;
}

static bool any_running(const json_t *pod)
{
    size_t i;
    const json_t *cs;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "containerStatuses"), i, cs)
    {
        if (json_object_get(json_object_get(cs, "state"), "running"))
            return true;
    }
    return false;
}

static int stop_pod(k1s__kubelet *k, const json_t *pod, const char *key)
{
    const char *uid = meta_str(pod, "uid");
    if (any_running(pod) && !json_object_get(k->stopping, key)) {
        size_t i;
        const json_t *ctr;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, ctr)
            k1s_ctrl_event(k->c, K1S__KUBELET, pod, "Normal", "Killing",
                           "Stopping container %.253s", str(ctr, "name"));
        json_object_set_new(k->stopping, key, json_string(uid));
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long due = stopped_at_ms(pod);
    if (due > now)
        return due - now > 3600000 ? 3600000 : (int)(due - now);
    int rc = k1s_ctrl_delete(k->c, "", "Pod", meta_str(pod, "namespace"), meta_str(pod, "name"),
                             0, uid);
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- the controller -------------------------------------------------------------------------- */

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__kubelet *k = state;
    if (!k)
        return -1;
    if (!*ns)
        return !strcmp(name, k->node) ? k1s__kubelet_sync_node(k) : 0;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    const json_t *pod = pods ? k1s_informer_get(pods, ns, name) : NULL;
    if (!pod) {
        json_object_del(k->stopping, key);
        return 0;
    }
    if (strcmp(str(json_object_get(pod, "spec"), "nodeName"), k->node) != 0)
        return 0;
    if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
        return stop_pod(k, pod, key);
    if (terminal(pod))
        return 0;
    return run_pod(k, pod);
}

/* The node's own changes (and its lease's) wake the node's key. */
static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    const char *node = k1s_ctrl_config(c)->node_name;
    if (!strcmp(meta_str(any, "name"), node))
        k1s_ctrl_enqueue(c, id, "", node);
}

static void map_lease(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    if (!strcmp(meta_str(any, "namespace"), K1S__LEASE_NS))
        map_node(c, id, old, obj);
}

static void *init(k1s_ctrl *c)
{
    k1s__kubelet *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    const k1s_controllers_config *cfg = k1s_ctrl_config(c);
    k->c = c;
    k->node = cfg->node_name;
    struct in_addr a;
    /* the API's address is the node's, unless it listens everywhere */
    if (cfg->api_host && inet_pton(AF_INET, cfg->api_host, &a) == 1 && a.s_addr != 0)
        snprintf(k->node_ip, sizeof k->node_ip, "%s", cfg->api_host);
    else
        snprintf(k->node_ip, sizeof k->node_ip, "127.0.0.1");
    k->ips = json_object();
    k->stopping = json_object();
    /* a kubelet registers before it runs anything; failures are retried
     * by the node's key */
    k1s__kubelet_register(k);
    return k;
}

static void fini(void *state)
{
    k1s__kubelet *k = state;
    if (!k)
        return;
    json_decref(k->ips);
    json_decref(k->stopping);
    free(k);
}

static bool simulated(const k1s_controllers_config *cfg)
{
    return cfg->kubelet && !strcmp(cfg->kubelet, "simulated");
}

const k1s_controller_def k1s__ctrl_kubelet_sim = {
    .name = K1S__KUBELET,
    .group = "",
    .kind = "Pod",
    .reconcile = reconcile,
    .watches = {
        {"", "Node", map_node},
        {"coordination.k8s.io", "Lease", map_lease},
    },
    .init = init,
    .fini = fini,
    .enabled = simulated,
};
