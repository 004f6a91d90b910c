/*
 * sim.c - the kubelet's simulated mode (`--kubelet simulated`): a node
 * whose containers start at once, with no runtime, no CRI and no proxy, so
 * it runs without root. Containers of restartPolicy Never/OnFailure pods
 * exit after sim.k1s.io/run-ms (200 ms) with sim.k1s.io/exit-code (0), so
 * Jobs can finish in fixtures; Always pods run until deleted. The Node, its Lease and the
 * heartbeat are the containerd mode's (node.c, with no runtime
 * check); for every pod bound to the node it posts the status a kubelet
 * would once the containers run (sim_status.c): Running and Ready, with an
 * IP of the pod CIDR (10.244.0.0/24 by default) that no other live pod
 * has, and the kubelet's Pulled, Created and Started events.
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
#include "sim_internal.h"
#include "k1s_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STOP_ANNOTATION "k1s.io/simulated-stop-seconds"

static bool terminal(const json_t *pod)
{
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    return !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
}

int k1s__sim_prepare(k1s_kubelet *kl, char **err)
{
    k1s_cidr4 c;
    if (k1s_cidr4_parse(kl->pod_cidr, &c) != 0 || c.bits != 24) {
        if (asprintf(err, "simulated kubelet: the pod CIDR must be an IPv4 /24, not \"%s\"",
                     kl->pod_cidr) < 0)
            *err = NULL;
        return -1;
    }
    kl->sim_net = c.net;
    snprintf(kl->runtime_version, sizeof kl->runtime_version, "simulated://1.0");
    return 0;
}

/* ---- pod IPs ------------------------------------------------------------------------ */

typedef struct ipscan {
    uint32_t net;            /* the pod network, host order */
    unsigned char used[256]; /* last octet in use */
    json_t *live;            /* owned set of live pod uids */
} ipscan;

static int scan_pod(void *vctx, const json_t *pod)
{
    ipscan *s = vctx;
    if (terminal(pod))
        return 0;
    json_object_set_new(s->live, k1s_json_str_or(pod, "metadata.uid", ""), json_true());
    uint32_t a;
    if (k1s_ipv4_parse(k1s_json_str(pod, "status.podIP"), &a) == 0 && (a & 0xffffff00u) == s->net)
        s->used[a & 0xff] = 1;
    return 0;
}

/* The pod's IP: kept once it has one; else the lowest of .2-.254 that no
 * live pod holds, counting addresses handed out but not yet in the cache.
 * NULL when the range is full. */
static const char *pod_ip(k1s_kubelet *kl, const json_t *pod, char *buf, size_t len)
{
    if (json_is_true(json_object_get(json_object_get(pod, "spec"), "hostNetwork")))
        return kl->node_ip;
    const char *have = k1s_json_str_or(pod, "status.podIP", "");
    if (*have)
        return have;
    const char *uid = k1s_json_str_or(pod, "metadata.uid", "");
    const char *ip;
    json_t *owner;
    void *tmp;
    json_object_foreach(kl->sim_ips, ip, owner)
    {
        if (!strcmp(json_string_value(owner), uid))
            return ip;
    }
    ipscan s = {.net = kl->sim_net, .live = json_object()};
    k1s_informer *pods = k1s_ctrl_informer(kl->c, "", "Pod");
    if (pods)
        k1s_informer_each(pods, NULL, scan_pod, &s);
    json_object_foreach_safe(kl->sim_ips, tmp, ip, owner)
    {
        uint32_t a;
        if (!json_object_get(s.live, json_string_value(owner)) || k1s_ipv4_parse(ip, &a) != 0)
            json_object_del(kl->sim_ips, ip); /* its pod is gone */
        else
            s.used[a & 0xff] = 1;
    }
    json_decref(s.live);
    for (uint32_t i = 2; i <= 254; i++) {
        if (s.used[i])
            continue;
        if (len < K1S_IPV4_LEN)
            return NULL;
        k1s_ipv4_format(kl->sim_net | i, buf, len);
        json_object_set_new(kl->sim_ips, buf, json_string(uid));
        return buf;
    }
    return NULL;
}

/* ---- running pods ---------------------------------------------------------------------- */

static void started_events(k1s_kubelet *kl, const json_t *pod, const json_t *started)
{
    size_t i;
    const json_t *ctr;
    json_array_foreach(started, i, ctr)
    {
        const char *name = k1s_json_str_or(ctr, "name", "");
        K1S__EVENT(kl, pod, "Normal", "Pulled",
                   "Container image \"%.500s\" already present on machine",
                   k1s_json_str_or(ctr, "image", ""));
        K1S__EVENT(kl, pod, "Normal", "Created", "Created container: %.253s", name);
        K1S__EVENT(kl, pod, "Normal", "Started", "Started container %.253s", name);
    }
}

static int run_pod(k1s_kubelet *kl, const json_t *pod)
{
    char buf[32];
    const char *ip = pod_ip(kl, pod, buf, sizeof buf);
    if (!ip) {
        char first[K1S_IPV4_LEN], last[K1S_IPV4_LEN];
        k1s_ipv4_format(kl->sim_net | 1, first, sizeof first);
        k1s_ipv4_format(kl->sim_net | 254, last, sizeof last);
        K1S__EVENT(
            kl, pod, "Warning", "FailedCreatePodSandBox",
            "Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set: %s-%s",
            first, last);
        return 5000;
    }
    json_t *started = NULL;
    json_t *status = k1s__sim_pod_status(pod, kl->node_ip, ip, &started); /* new */
    int rc = 0;
    if (!json_equal(status, json_object_get(pod, "status"))) {
        json_t *copy = json_deep_copy(pod); /* new */
        json_object_set(copy, "status", status);
        rc = k1s_ctrl_update(kl->c, "", "Pod", k1s_json_str_or(pod, "metadata.namespace", ""),
                             "status", copy, NULL);
        json_decref(copy);
        if (rc == 0)
            started_events(kl, pod, started);
    }
    json_decref(status);
    json_decref(started);
    /* a conflict: the newer pod is on its way through the watch */
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- stopping pods ------------------------------------------------------------------------ */

/* Unix seconds of an RFC 3339 time (0 when malformed or before 1970);
 * the format keeps it below year 10000. */
static long long parse_time(const char *s)
{
    k1s_time t;
    if (k1s_time_parse_str(s, &t) != 0)
        return 0;
    return t.sec < 0 ? 0 : t.sec;
}

/* When the containers, told to stop at deletion, are down (ms since the
 * epoch): deletionTimestamp is when the grace period ends, so the stop
 * began grace seconds before it. */
static long long stopped_at_ms(const json_t *pod)
{
    const json_t *m = json_object_get(pod, "metadata");
    long long grace = json_integer_value(json_object_get(m, "deletionGracePeriodSeconds"));
    long long deadline = parse_time(k1s_json_str_or(m, "deletionTimestamp", ""));
    /* user-given numbers: keep the arithmetic below in range */
    if (grace < 0 || deadline <= 0)
        grace = 0;
    if (grace > 10LL * 366 * 86400)
        grace = 10LL * 366 * 86400;
    long long takes = 0;
    const char *ann = k1s_meta_annotation(pod, STOP_ANNOTATION);
    if (ann && *ann) {
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
        if (k1s__cs_has(cs, "running"))
            return true;
    }
    return false;
}

static int stop_pod(k1s_kubelet *kl, const json_t *pod, const char *key)
{
    const char *uid = k1s_json_str_or(pod, "metadata.uid", "");
    if (any_running(pod) && !json_object_get(kl->sim_stopping, key)) {
        size_t i;
        const json_t *ctr;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, ctr)
            K1S__EVENT(kl, pod, "Normal", "Killing", "Stopping container %.253s",
                       k1s_json_str_or(ctr, "name", ""));
        json_object_set_new(kl->sim_stopping, key, json_string(uid));
    }
    long long now = k1s_time_wall_ms();
    long long due = stopped_at_ms(pod);
    if (due > now)
        return due - now > 3600000 ? 3600000 : (int)(due - now);
    int rc = k1s_ctrl_delete(kl->c, "", "Pod", k1s_json_str_or(pod, "metadata.namespace", ""),
                             k1s_json_str_or(pod, "metadata.name", ""), 0, uid);
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- pods that run to completion ---------------------------------------------------- */

#define EXIT_ANNOTATION "sim.k1s.io/exit-code"
#define RUN_MS_ANNOTATION "sim.k1s.io/run-ms"
#define DEFAULT_RUN_MS 200

static long long ann_int(const json_t *pod, const char *key, long long dflt, long long max)
{
    const char *v = k1s_meta_annotation(pod, key);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return *end || n < 0 || n > max ? dflt : n;
}

/* A container that ran its course: terminated with the pod's chosen exit
 * code. New reference. */
static json_t *terminated(const json_t *cs, int code, const char *now)
{
    json_t *out = json_deep_copy(cs);
    const json_t *run = json_object_get(json_object_get(cs, "state"), "running");
    json_object_set_new(out, "state",
                        json_pack("{s:{s:i, s:s, s:O*, s:s, s:O*}}", "terminated", "exitCode", code,
                                  "reason", code ? "Error" : "Completed", "startedAt",
                                  json_object_get(run, "startedAt"), "finishedAt", now,
                                  "containerID", json_object_get(cs, "containerID")));
    json_object_set_new(out, "ready", json_false());
    json_object_set_new(out, "started", json_false());
    return out;
}

/* Ms until a running pod of restartPolicy Never/OnFailure ends (0: now),
 * or -1 when it never ends on its own. */
static long long finish_in(const json_t *pod)
{
    const char *rp = k1s_json_str_or(pod, "spec.restartPolicy", "Always");
    if (!strcmp(rp, "Always") || strcmp(k1s_json_str_or(pod, "status.phase", ""), "Running"))
        return -1;
    const json_t *cs =
        json_array_get(json_object_get(json_object_get(pod, "status"), "containerStatuses"), 0);
    const char *at =
        k1s_json_str_or(json_object_get(json_object_get(cs, "state"), "running"), "startedAt", "");
    if (!*at)
        return -1;
    /* startedAt has whole seconds: a restarted container waits for the
     * next one, so that restarts never spin */
    long long restarts = json_integer_value(json_object_get(cs, "restartCount"));
    long long due = (parse_time(at) + (restarts > 0)) * 1000 +
                    ann_int(pod, RUN_MS_ANNOTATION, DEFAULT_RUN_MS, 86400000);
    long long now = k1s_time_wall_ms();
    return due > now ? due - now : 0;
}

/* Every container exits: Succeeded or Failed with Ready False
 * (PodCompleted); with OnFailure a failure restarts the containers. */
static int finish_pod(k1s_kubelet *kl, const json_t *pod)
{
    int code = (int)ann_int(pod, EXIT_ANNOTATION, 0, 255);
    bool restart = code && !strcmp(k1s_json_str_or(pod, "spec.restartPolicy", ""), "OnFailure");
    char now[32];
    k1s_time_format_now(now, sizeof now);
    json_t *copy = json_deep_copy(pod);
    json_t *st = json_object_get(copy, "status");
    json_t *ctrs = json_array();
    size_t i;
    json_t *cs;
    json_array_foreach(json_object_get(st, "containerStatuses"), i, cs)
    {
        json_t *t = terminated(cs, code, now);
        if (restart) {
            json_t *r = json_deep_copy(cs);
            json_object_set_new(r, "lastState", json_incref(json_object_get(t, "state")));
            json_object_set_new(
                r, "restartCount",
                json_integer(json_integer_value(json_object_get(cs, "restartCount")) + 1));
            json_object_set_new(json_object_get(json_object_get(r, "state"), "running"),
                                "startedAt", json_string(now));
            json_decref(t);
            t = r;
        }
        json_array_append_new(ctrs, t);
    }
    json_object_set_new(st, "containerStatuses", ctrs);
    if (!restart) {
        json_object_set_new(st, "phase", json_string(code ? "Failed" : "Succeeded"));
        json_array_foreach(json_object_get(st, "conditions"), i, cs)
        {
            const char *t = k1s_json_str_or(cs, "type", "");
            if (!strcmp(t, "Ready") || !strcmp(t, "ContainersReady")) {
                json_object_set_new(cs, "status", json_string("False"));
                json_object_set_new(cs, "reason", json_string("PodCompleted"));
                json_object_set_new(cs, "lastTransitionTime", json_string(now));
            }
        }
    }
    int rc = k1s_ctrl_update(kl->c, "", "Pod", k1s_json_str_or(pod, "metadata.namespace", ""),
                             "status", copy, NULL);
    json_decref(copy);
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- the controller -------------------------------------------------------------------------- */

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s_kubelet *kl = state;
    if (!kl)
        return -1;
    if (!*ns)
        return !strcmp(name, kl->node) ? k1s__node_sync(kl) : 0;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    const json_t *pod = pods ? k1s_informer_get(pods, ns, name) : NULL;
    if (!pod) {
        json_object_del(kl->sim_stopping, key);
        return 0;
    }
    if (strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), kl->node) != 0)
        return 0;
    if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
        return stop_pod(kl, pod, key);
    if (terminal(pod))
        return 0;
    long long due = finish_in(pod);
    if (due == 0)
        return finish_pod(kl, pod);
    if (due > 0)
        return due > 3600000 ? 3600000 : (int)due;
    return run_pod(kl, pod);
}

static void *init(k1s_ctrl *c)
{
    k1s_kubelet *kl = k1s_ctrl_user(c);
    kl->c = c;
    kl->sim_ips = json_object();
    kl->sim_stopping = json_object();
    kl->runtime_ok = true; /* nothing to be down */
    /* a kubelet registers before it runs anything (so the Node is there
     * when k1s_kubelet_start returns); a failure is retried by the node's
     * key, whose timer (the one id of this loop: 0) may be set already */
    kl->registered = k1s__node_register(kl) == 0;
    k1s_ctrl_enqueue_after(c, 0, "", kl->node, 1);
    return kl;
}

static void fini(void *state)
{
    k1s_kubelet *kl = state;
    if (!kl)
        return;
    json_decref(kl->sim_ips);
    json_decref(kl->sim_stopping);
    kl->sim_ips = kl->sim_stopping = NULL;
}

const k1s_controller_def k1s__sim_def = {
    .name = K1S__KL,
    .group = "",
    .kind = "Pod",
    .reconcile = reconcile,
    .watches =
        {
            {"", "Node", k1s__map_node},
            {"coordination.k8s.io", "Lease", k1s__map_lease},
        },
    .init = init,
    .fini = fini,
};
