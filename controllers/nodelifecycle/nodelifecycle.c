/*
 * nodelifecycle.c - the node-lifecycle-controller, as kube's
 * pkg/controller/nodelifecycle: a node whose kubelet has posted neither a
 * status heartbeat nor a Lease renewal for the grace period gets every
 * condition Unknown ("Kubelet stopped posting node status.") and its pods
 * are marked not Ready; and every node carries the taints its conditions
 * call for (TaintNodesByCondition and taint-based evictions):
 * not-ready / unreachable with NoSchedule and NoExecute, memory-, disk-,
 * pid-pressure, network-unavailable and unschedulable with NoSchedule.
 * Taints of other keys are the user's and stay.
 */
#include "k1s_podutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "node-controller"
/* kube's --node-monitor-grace-period default */
#define GRACE_MS 50000
#define LEASE_NS "kube-node-lease"

typedef struct nl_state {
    /* node -> {"hb": last heartbeat seen (epoch s), "at": when it was seen
     * to change (monotonic ms)}; entries go with their node */
    json_t *probes;
} nl_state;

static void *nl_init(k1s_ctrl *c)
{
    (void)c;
    nl_state *s = calloc(1, sizeof *s);
    if (s && !(s->probes = json_object())) {
        free(s);
        return NULL;
    }
    return s;
}

static void nl_fini(void *state)
{
    nl_state *s = state;
    if (s)
        json_decref(s->probes);
    free(s);
}

/* A Lease in kube-node-lease concerns the node of its name. */
static void map_lease(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *l = obj ? obj : old;
    if (!strcmp(k1s__wl_ns(l), LEASE_NS))
        k1s_ctrl_enqueue(c, id, "", k1s__wl_name(l));
}

static const json_t *condition(const json_t *node, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(node, "status"), "conditions"), i, c)
    {
        if (!strcmp(k1s_json_str_or(c, "type", ""), type))
            return c;
    }
    return NULL;
}

static const char *cond_status(const json_t *node, const char *type)
{
    return k1s_json_str_or(condition(node, type), "status", "");
}

/* The newest sign of life: the Ready heartbeat or the Lease renewal. */
static int64_t heartbeat(k1s_ctrl *c, const json_t *node)
{
    int64_t hb = k1s__wl_parse_time(k1s_json_str(condition(node, "Ready"), "lastHeartbeatTime"));
    k1s_informer *li = k1s_ctrl_informer(c, "coordination.k8s.io", "Lease");
    const json_t *lease = li ? k1s_informer_get(li, LEASE_NS, k1s__wl_name(node)) : NULL;
    int64_t renew = k1s__wl_parse_time(k1s_json_str(lease, "spec.renewTime"));
    return renew > hb ? renew : hb;
}

/* ---- conditions Unknown -------------------------------------------------------------- */

static const char *const node_conditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                              "PIDPressure", NULL};

static int mark_unknown(k1s_ctrl *c, const json_t *node)
{
    json_t *up = json_deep_copy(node); /* new */
    json_t *st = k1s_json_object_at(up, "status");
    json_t *conds = json_object_get(st, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(st, "conditions", conds);
    }
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    for (const char *const *t = node_conditions; *t; t++) {
        json_t *cnd = NULL;
        size_t i;
        json_t *x;
        json_array_foreach(conds, i, x) if (!strcmp(k1s_json_str_or(x, "type", ""), *t)) cnd = x;
        if (!cnd) {
            cnd = json_pack("{s:s}", "type", *t);
            json_array_append_new(conds, cnd);
        }
        if (strcmp(k1s_json_str_or(cnd, "status", ""), "Unknown") != 0)
            json_object_set_new(cnd, "lastTransitionTime", json_string(ts));
        json_object_set_new(cnd, "status", json_string("Unknown"));
        json_object_set_new(cnd, "reason", json_string("NodeStatusUnknown"));
        json_object_set_new(cnd, "message", json_string("Kubelet stopped posting node status."));
    }
    int rc = k1s_ctrl_update(c, "", "Node", "", "status", up, NULL);
    json_decref(up);
    return rc;
}

typedef struct podsctx {
    k1s_ctrl *c;
    const char *node;
} podsctx;

/* kube's MarkPodsNotReady: the pods of a silent node are not Ready. */
static int pod_not_ready(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    if (strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), p->node) != 0 || !k1s__wl_pod_ready(pod))
        return 0;
    json_t *up = json_deep_copy(pod); /* new */
    size_t i;
    json_t *cnd;
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    json_array_foreach(json_object_get(json_object_get(up, "status"), "conditions"), i, cnd)
    {
        if (strcmp(k1s_json_str_or(cnd, "type", ""), "Ready") != 0)
            continue;
        json_object_set_new(cnd, "status", json_string("False"));
        json_object_set_new(cnd, "lastTransitionTime", json_string(ts));
    }
    k1s_ctrl_update(p->c, "", "Pod", k1s__wl_ns(pod), "status", up, NULL);
    json_decref(up);
    return 0;
}

/* ---- taints ---------------------------------------------------------------------------- */

typedef struct managed_taint {
    const char *key, *effect;
} managed_taint;

static const managed_taint managed[] = {
    {"node.kubernetes.io/not-ready", "NoSchedule"},
    {"node.kubernetes.io/not-ready", "NoExecute"},
    {"node.kubernetes.io/unreachable", "NoSchedule"},
    {"node.kubernetes.io/unreachable", "NoExecute"},
    {"node.kubernetes.io/memory-pressure", "NoSchedule"},
    {"node.kubernetes.io/disk-pressure", "NoSchedule"},
    {"node.kubernetes.io/pid-pressure", "NoSchedule"},
    {"node.kubernetes.io/network-unavailable", "NoSchedule"},
    {"node.kubernetes.io/unschedulable", "NoSchedule"},
};
#define NMANAGED (sizeof managed / sizeof managed[0])

static bool wanted(const json_t *node, size_t m)
{
    const char *ready = cond_status(node, "Ready");
    const char *key = managed[m].key + strlen("node.kubernetes.io/");
    if (!strcmp(key, "not-ready"))
        return !strcmp(ready, "False");
    if (!strcmp(key, "unreachable"))
        return !strcmp(ready, "Unknown");
    if (!strcmp(key, "memory-pressure"))
        return !strcmp(cond_status(node, "MemoryPressure"), "True");
    if (!strcmp(key, "disk-pressure"))
        return !strcmp(cond_status(node, "DiskPressure"), "True");
    if (!strcmp(key, "pid-pressure"))
        return !strcmp(cond_status(node, "PIDPressure"), "True");
    if (!strcmp(key, "network-unavailable"))
        return !strcmp(cond_status(node, "NetworkUnavailable"), "True");
    return json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable"));
}

static int managed_index(const json_t *taint)
{
    for (size_t m = 0; m < NMANAGED; m++)
        if (!strcmp(k1s_json_str_or(taint, "key", ""), managed[m].key) &&
            !strcmp(k1s_json_str_or(taint, "effect", ""), managed[m].effect))
            return (int)m;
    return -1;
}

/* The node's taints as its conditions want them (new array); *changed. */
static json_t *desired_taints(const json_t *node, bool *changed)
{
    json_t *out = json_array();
    bool have[NMANAGED] = {false};
    size_t i;
    const json_t *t;
    *changed = false;
    json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, t)
    {
        int m = managed_index(t);
        if (m >= 0 && !wanted(node, (size_t)m)) {
            *changed = true;
            continue;
        }
        if (m >= 0)
            have[m] = true;
        json_array_append(out, (json_t *)t);
    }
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    for (size_t m = 0; m < NMANAGED; m++) {
        if (have[m] || !wanted(node, m))
            continue;
        json_t *taint = json_pack("{s:s, s:s}", "key", managed[m].key, "effect", managed[m].effect);
        /* eviction counts tolerationSeconds from when a NoExecute taint came */
        if (!strcmp(managed[m].effect, "NoExecute"))
            json_object_set_new(taint, "timeAdded", json_string(ts));
        json_array_append_new(out, taint);
        *changed = true;
    }
    return out;
}

static int sync_taints(k1s_ctrl *c, const json_t *node)
{
    bool changed = false;
    json_t *taints = desired_taints(node, &changed); /* new */
    int rc = 0;
    if (changed) {
        json_t *up = json_deep_copy(node); /* new */
        json_t *spec = k1s_json_object_at(up, "spec");
        if (json_array_size(taints))
            json_object_set(spec, "taints", taints);
        else
            json_object_del(spec, "taints");
        rc = k1s_ctrl_update(c, "", "Node", "", NULL, up, NULL);
        json_decref(up);
    }
    json_decref(taints);
    return rc;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    nl_state *s = state;
    (void)ns;
    k1s_informer *ni = k1s_ctrl_informer(c, "", "Node");
    if (!s || !ni)
        return -1;
    const json_t *node = k1s_informer_get(ni, "", name);
    if (!node) {
        json_object_del(s->probes, name);
        return 0;
    }
    int64_t now = k1s_time_mono_ms();
    int64_t hb = heartbeat(c, node);
    json_t *probe = json_object_get(s->probes, name);
    if (!probe || k1s_json_int(probe, "hb", -2) != hb) {
        /* a new heartbeat, or the first look: the grace period starts now */
        json_object_set_new(s->probes, name,
                            json_pack("{s:I, s:I}", "hb", (json_int_t)hb, "at", (json_int_t)now));
        probe = json_object_get(s->probes, name);
    }
    int64_t quiet = now - k1s_json_int(probe, "at", now);
    int rc = 0;
    if (quiet >= GRACE_MS && strcmp(cond_status(node, "Ready"), "Unknown") != 0) {
        rc = mark_unknown(c, node);
        k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
        podsctx p = {c, name};
        if (rc == 0 && pi)
            k1s_informer_each(pi, NULL, pod_not_ready, &p);
        if (rc == 0)
            k1s_ctrl_event(c, COMPONENT, node, "Normal", "NodeNotReady",
                           "Node %s status is now: NodeNotReady", name);
    } else {
        rc = sync_taints(c, node);
    }
    if (rc == 409)
        return 50;
    if (rc && rc != 404)
        return -1;
    /* looked at again when its grace runs out (the Lease's renewals wake
     * it earlier) */
    return quiet < GRACE_MS ? (int)(GRACE_MS - quiet + 100) : 0;
}

const k1s_controller_def k1s__ctrl_nodelifecycle = {
    .name = "node-lifecycle-controller",
    .group = "",
    .kind = "Node",
    .reconcile = reconcile,
    .watches = {{"coordination.k8s.io", "Lease", map_lease}},
    .init = nl_init,
    .fini = nl_fini,
};
